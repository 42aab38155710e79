//! `ssec-conform`: tells whether an S3 endpoint implements SSE-C (server-side encryption with
//! customer-provided keys) exactly as AWS S3 does, with a strict reference server to compare against.

pub mod client;
pub mod differential;
#[doc(hidden)]
pub mod fuzzing;
pub mod loadgen;
pub mod report;
pub mod scenario;
pub mod server;
pub mod sse_c;
pub mod units;

pub use server::{ReferenceServer, ServerConfig, ServerHandle};
