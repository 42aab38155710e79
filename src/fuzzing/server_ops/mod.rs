//! Target `server_ops`: a sequence of S3 operations against a reference server, checked against a
//! model of what each object holds and under which key.

use std::sync::atomic::{AtomicU64, Ordering};

use arbitrary::{Arbitrary, Unstructured};

mod case;
mod endpoint;
mod run;

pub use self::case::*;
use self::endpoint::{Endpoint, InMemory, OverHttps};
pub use self::endpoint::{IN_MEMORY_MIN_PART_SIZE, IN_MEMORY_SEGMENT_SIZE};
use self::run::Run;

/// A sequence of operations for [`server_ops`].
#[derive(Debug, Clone, Arbitrary)]
pub struct OpsCase {
    /// The operations (the first 12 are run).
    pub ops: Vec<Op>,
}

/// At most this many operations per case.
pub const MAX_OPS: usize = 12;

/// Fuzz entry point: [`OpsCase`] from bytes, then [`check_ops_case`].
pub fn server_ops(data: &[u8]) {
    if let Ok(case) = OpsCase::arbitrary_take_rest(Unstructured::new(data)) {
        check_ops_case(&case);
    }
}

/// Fuzz entry point: [`OpsCase`] from bytes, then [`check_ops_case_https`].
pub fn server_ops_https(data: &[u8]) {
    if let Ok(case) = OpsCase::arbitrary_take_rest(Unstructured::new(data)) {
        check_ops_case_https(&case);
    }
}

/// Runs the operations on a fresh in-memory reference server (minimum part size
/// [`IN_MEMORY_MIN_PART_SIZE`], segments of [`IN_MEMORY_SEGMENT_SIZE`]), checking every reply
/// against the model.
pub fn check_ops_case(case: &OpsCase) {
    let server = InMemory::new();
    Run::execute(&server, "ops".to_owned(), ops(case), false);
}

/// Runs the operations in a fresh bucket of a reference server shared by the process, over HTTPS
/// with signed requests and the default configuration, checking every reply against the model; the
/// bucket is emptied and deleted afterwards.
pub fn check_ops_case_https(case: &OpsCase) {
    static N: AtomicU64 = AtomicU64::new(0);
    let bucket = format!("ops-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
    Run::execute(OverHttps::shared(), bucket, ops(case), true);
}

fn ops(case: &OpsCase) -> &[Op] {
    &case.ops[..case.ops.len().min(MAX_OPS)]
}
