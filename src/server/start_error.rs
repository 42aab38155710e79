//! Why a reference server could not start.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Why [`super::ReferenceServer::start`] (or an in-process server) could not start. Each variant
/// names the setting at fault; its `Display` says what to change.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A setting is out of range (a limit of zero, too many parts, an empty token lifetime, ...).
    #[error("invalid server configuration: {0}")]
    InvalidConfig(String),
    /// Neither an HTTP nor an HTTPS listen address was given.
    #[error("no listener: give an HTTP or HTTPS address (--http / --https)")]
    NoListener,
    /// A listener could not be bound.
    #[error("cannot listen on {addr} ({flag}): {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The command-line flag that gives it.
        flag: &'static str,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The data directory could not be opened or is not one this server may use.
    #[error("cannot open the data directory {} (--data-dir): {source}", path.display())]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why, with what to do about it.
        source: std::io::Error,
    },
    /// The TLS certificate or key could not be made, read or used.
    #[error("TLS: {0}")]
    Tls(String),
}
