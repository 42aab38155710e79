//! The SSE-C vocabulary shared by the reference server, the client and the generators.
//!
//! - [`CustomerKey`]: a 32-byte customer key that is zeroized on drop, redacted in `Debug` and compared
//!   in constant time.
//! - [`headers`]: the header names of the request triple and the copy-source triple.
//! - [`rules`]: the validation rules of the behaviour catalogue (cases P2–P10, G3–G6), as a typed
//!   [`SseCError`] that knows its AWS status, error code and message.

pub mod headers;
mod key;
pub mod rules;

pub use self::headers::{RawTriple, TripleKind};
pub use self::key::{CustomerKey, key_md5_b64};
pub use self::rules::{SseCError, ValidTriple};
