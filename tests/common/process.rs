//! `ssec-conform serve` run as its own process, for the tests that watch or kill the process.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
    /// Starts `ssec-conform serve --data-dir data --ca-out ca` with its output to the file `log`,
    /// and waits (at most 30 s) until it prints its endpoints. Both listeners bind port 0, so no
    /// other process can take a port between its choice and its bind. Panics with the log if the
    /// server exits or never prints them.
    pub(crate) fn start(data: &Path, ca: &Path, log: &Path) -> Self {
        let out = std::fs::File::create(log).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_ssec-conform"))
            .arg("serve")
            .args(["--http", "127.0.0.1:0", "--https", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(data)
            .arg("--ca-out")
            .arg(ca)
            .stdin(Stdio::null())
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out))
            .spawn()
            .expect("spawn ssec-conform serve");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let endpoint = |label: &str, scheme: &str| {
                text.lines().find_map(|l| l.trim().strip_prefix(label)).and_then(|v| {
                    v.trim().strip_prefix(scheme).map(|rest| rest.split_whitespace().next().unwrap_or("").to_owned())
                })
            };
            if let (Some(http), Some(https)) =
                (endpoint("HTTP endpoint:", "http://"), endpoint("HTTPS endpoint:", "https://"))
            {
                return Self { child, http, https };
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!("ssec-conform serve exited with {status}: {text}");
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("ssec-conform serve printed no endpoints within 30 s: {text}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
