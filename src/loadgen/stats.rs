//! Latency and outcome counting for load runs.

use std::collections::BTreeMap;
use std::time::Duration;

/// What happened to the operations of one kind.
#[derive(Debug, Default, Clone)]
pub struct OpStats {
    /// Latencies of completed operations.
    pub latencies: Vec<Duration>,
    /// Operations whose answer was not the expected one (status, transport).
    pub errors: u64,
    /// Reads whose body differed from what was written.
    pub corrupt: u64,
}

impl OpStats {
    /// The `q` quantile (0..=1) of the latencies.
    #[must_use]
    pub fn quantile(&self, q: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let mut v = self.latencies.clone();
        v.sort_unstable();
        let idx = ((v.len() - 1) as f64 * q).round() as usize;
        v[idx.min(v.len() - 1)]
    }
}

/// Statistics per operation name.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    /// By operation.
    pub ops: BTreeMap<&'static str, OpStats>,
    /// First few error descriptions, for the report.
    pub samples: Vec<String>,
}

impl Stats {
    /// Records a completed operation.
    pub fn ok(&mut self, op: &'static str, latency: Duration) {
        self.ops.entry(op).or_default().latencies.push(latency);
    }

    /// Records an unexpected answer.
    pub fn error(&mut self, op: &'static str, what: String) {
        self.ops.entry(op).or_default().errors += 1;
        if self.samples.len() < 10 {
            self.samples.push(format!("{op}: {what}"));
        }
    }

    /// Records a read that returned other bytes than were written.
    pub fn corrupt(&mut self, op: &'static str, what: String) {
        self.ops.entry(op).or_default().corrupt += 1;
        if self.samples.len() < 10 {
            self.samples.push(format!("{op}: CORRUPT {what}"));
        }
    }

    /// Adds another worker's statistics.
    pub fn merge(&mut self, other: Stats) {
        for (op, s) in other.ops {
            let mine = self.ops.entry(op).or_default();
            mine.latencies.extend(s.latencies);
            mine.errors += s.errors;
            mine.corrupt += s.corrupt;
        }
        for s in other.samples {
            if self.samples.len() < 10 {
                self.samples.push(s);
            }
        }
    }

    /// Total completed operations.
    #[must_use]
    pub fn completed(&self) -> u64 {
        self.ops.values().map(|s| s.latencies.len() as u64).sum()
    }

    /// Total errors.
    #[must_use]
    pub fn errors(&self) -> u64 {
        self.ops.values().map(|s| s.errors).sum()
    }

    /// Total corrupt reads.
    #[must_use]
    pub fn corrupt_reads(&self) -> u64 {
        self.ops.values().map(|s| s.corrupt).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_and_merge() {
        let mut a = Stats::default();
        for ms in 1..=100 {
            a.ok("get", Duration::from_millis(ms));
        }
        let mut b = Stats::default();
        b.error("put", "500".into());
        a.merge(b);
        assert_eq!(a.ops["get"].quantile(0.5), Duration::from_millis(51));
        assert_eq!(a.ops["get"].quantile(0.99), Duration::from_millis(99));
        assert_eq!((a.completed(), a.errors(), a.corrupt_reads()), (100, 1, 0));
    }
}
