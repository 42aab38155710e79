//! Differential fuzzing of a live endpoint against the reference server.
//!
//! Each generated [`case::Case`] stores an object, then sends one probe with mutated SSE-C
//! parameters, to both targets. A divergence in status, error code, SSE-C response headers, key
//! echo or body is shrunk (proptest) to a minimal case and written as a ready-to-commit scenario,
//! with a line in `summary.md`. The run is reproducible from its seed.

pub mod case;
pub mod compare;
mod output;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use self::case::{Case, Op};
use self::compare::{Divergence, Observation, compare};
use crate::client::{Client, Outgoing};
use crate::scenario::build::{Location, make_body};

/// A fuzzing run's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Cases to generate at most.
    pub cases: u32,
    /// Seed of the generator.
    pub seed: u64,
    /// Wall-time budget.
    pub time: Duration,
    /// Where divergences are written.
    pub out_dir: PathBuf,
    /// Run id, for bucket names.
    pub run_id: String,
}

/// One divergence, shrunk.
#[derive(Debug, Clone)]
pub struct Found {
    /// The minimal case.
    pub case: Case,
    /// What differed.
    pub divergence: Divergence,
    /// The reference's answer.
    pub reference: Observation,
    /// The endpoint's answer.
    pub endpoint: Observation,
}

/// The result of a run.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Cases generated and run.
    pub cases_run: u32,
    /// Distinct divergences, shrunk.
    pub found: Vec<Found>,
    /// Cases whose set-up failed on either side.
    pub setup_errors: u32,
    /// The files written.
    pub written: Vec<PathBuf>,
}

struct Pair<'a> {
    reference: &'a Client,
    endpoint: &'a Client,
    bucket: String,
    counter: std::cell::Cell<u32>,
}

impl Pair<'_> {
    /// Runs a case on both sides (each in its own key prefix); `None` when set-up failed.
    fn check(&self, handle: &tokio::runtime::Handle, case: &Case) -> Option<Option<Found>> {
        let n = self.counter.get();
        self.counter.set(n + 1);
        let at = Location { bucket: self.bucket.clone(), prefix: format!("c{n}/") };
        let scenario = case.to_scenario(String::new(), Vec::new(), Default::default());
        let bodies = scenario.bodies.iter().map(|(n, b)| (n.clone(), make_body(b))).collect();
        let (r, e) = handle.block_on(async {
            tokio::join!(
                compare::run(self.reference, &scenario, &bodies, &at),
                compare::run(self.endpoint, &scenario, &bodies, &at)
            )
        });
        let (reference, endpoint) = (r.ok()?, e.ok()?);
        let read = case.sse_c_object && matches!(case.op, Op::Get | Op::Head | Op::Copy);
        Some(compare(&reference, &endpoint, read).map(|divergence| Found {
            case: case.clone(),
            divergence,
            reference,
            endpoint,
        }))
    }
}

fn signature(f: &Found) -> String {
    format!("{:?}|{}|{}|{}", f.case.op, f.reference.short(), f.endpoint.short(), f.divergence.security)
}

async fn make_bucket(client: &Client, bucket: &str) -> anyhow::Result<()> {
    let r = client.send(&Outgoing::new("PUT", Some(bucket), None)).await.response?;
    anyhow::ensure!(
        (200..300).contains(&r.status),
        "CreateBucket {bucket} on {} answered {}",
        client.target().endpoint,
        r.status
    );
    Ok(())
}

/// Runs the differential fuzzer; must be called on a multi-threaded Tokio runtime.
pub async fn run(reference: &Client, endpoint: &Client, settings: &Settings) -> anyhow::Result<Outcome> {
    let bucket = format!("ssec-fuzz-{}", settings.run_id);
    make_bucket(reference, &bucket).await?;
    make_bucket(endpoint, &bucket).await?;
    let handle = tokio::runtime::Handle::current();
    let outcome = tokio::task::block_in_place(|| {
        let pair = Pair { reference, endpoint, bucket: bucket.clone(), counter: std::cell::Cell::new(0) };
        explore(&pair, &handle, settings)
    })?;
    Ok(outcome)
}

fn explore(pair: &Pair<'_>, handle: &tokio::runtime::Handle, settings: &Settings) -> anyhow::Result<Outcome> {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&settings.seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
    let strategy = case::cases(pair.endpoint.target().plain_endpoint.is_some());
    let started = Instant::now();
    let mut outcome = Outcome::default();
    let mut seen = std::collections::BTreeSet::new();
    while outcome.cases_run < settings.cases && started.elapsed() < settings.time {
        let mut tree = strategy.new_tree(&mut runner).map_err(|e| anyhow::anyhow!("generator: {e}"))?;
        outcome.cases_run += 1;
        let Some(first) = pair.check(handle, &tree.current()) else {
            outcome.setup_errors += 1;
            continue;
        };
        let Some(mut best) = first else { continue };
        // Shrink: simplify while the case still diverges, step back when it stops diverging.
        let mut budget = 200;
        if tree.simplify() {
            while budget > 0 && started.elapsed() < settings.time {
                budget -= 1;
                match pair.check(handle, &tree.current()) {
                    Some(Some(found)) => {
                        best = found;
                        if !tree.simplify() {
                            break;
                        }
                    }
                    _ => {
                        if !tree.complicate() {
                            break;
                        }
                    }
                }
            }
        }
        if seen.insert(signature(&best)) {
            outcome.found.push(best);
        }
    }
    outcome.written = output::write(&outcome.found, settings)?;
    Ok(outcome)
}
