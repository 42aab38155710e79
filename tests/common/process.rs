//! `ssec-conform serve` run as its own process, for the tests that watch or kill the process.

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A free loopback port (bound, read and released; the server binds it again right after).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running `ssec-conform serve` on two loopback ports, killed when dropped.
pub(crate) struct ServeProcess {
    /// The process.
    pub child: Child,
    /// `host:port` of the plain-HTTP listener.
    pub http: String,
    /// `host:port` of the HTTPS listener.
    pub https: String,
}

impl ServeProcess {
    /// Spawns `ssec-conform serve` on fresh ports with `--data-dir data --ca-out ca`, its output to
    /// `output` (`None`: discarded). Returns at once: the caller waits for the listeners.
    pub(crate) fn spawn(data: &Path, ca: &Path, output: Option<File>) -> Self {
        let (http, https) = (format!("127.0.0.1:{}", free_port()), format!("127.0.0.1:{}", free_port()));
        let (stdout, stderr) = match output {
            Some(file) => (Stdio::from(file.try_clone().unwrap()), Stdio::from(file)),
            None => (Stdio::null(), Stdio::null()),
        };
        let child = Command::new(env!("CARGO_BIN_EXE_ssec-conform"))
            .arg("serve")
            .args(["--http", &http, "--https", &https])
            .arg("--data-dir")
            .arg(data)
            .arg("--ca-out")
            .arg(ca)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("spawn ssec-conform serve");
        Self { child, http, https }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
