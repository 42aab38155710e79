//! `ssec-conform keygen`: a fresh random customer key for manual use with the AWS CLI.

use std::process::ExitCode;

use ssec_conform::sse_c::CustomerKey;

/// Prints a fresh random key and its MD5 (the values of the SSE-C key headers), for manual use
/// with the AWS CLI.
pub(super) fn keygen() -> anyhow::Result<ExitCode> {
    let key = CustomerKey::random();
    println!("SSE_C_KEY={}", key.to_base64().as_str());
    println!("SSE_C_KEY_MD5={}", key.md5_b64());
    Ok(ExitCode::SUCCESS)
}
