//! Differential fuzzing of a live endpoint against the reference server.
//!
//! Each generated [`case::Case`] stores an object, then sends one probe with mutated SSE-C
//! parameters, to both targets. A divergence in status, error code, SSE-C response headers, key
//! echo or body is shrunk (proptest) to a minimal case and written at once as a ready-to-commit
//! scenario, with a line in `summary.md`, so a run that is stopped (Ctrl-C, SIGTERM, its time
//! budget, a CI timeout) keeps everything found so far. Cases run on several workers at once; case
//! `i` of a seed is the same whatever the number of workers, so a run is reproducible from its seed.

pub mod case;
pub mod compare;
mod output;

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use tokio_util::sync::CancellationToken;

use self::case::{Case, Op};
use self::compare::{Divergence, Observation, compare};
pub use self::output::Stop;
use crate::client::{Client, Outgoing};
use crate::scenario::build::{Location, make_bodies};

/// A fuzzing run's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Cases to generate at most.
    pub cases: u32,
    /// Seed of the generator.
    pub seed: u64,
    /// Wall-time budget, shrinking included.
    pub time: Duration,
    /// Cases run at once.
    pub jobs: u32,
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
pub struct RunSummary {
    /// Cases generated and run.
    pub cases_run: u32,
    /// Distinct divergences, shrunk.
    pub found: Vec<Found>,
    /// Cases whose set-up failed on either side.
    pub setup_errors: u32,
    /// The files written.
    pub written: Vec<PathBuf>,
    /// Why the run ended.
    pub stop: Stop,
}

struct Pair<'a> {
    reference: &'a Client,
    endpoint: &'a Client,
    bucket: String,
    counter: AtomicU32,
}

impl Pair<'_> {
    /// Runs a case on both sides (each in its own key prefix); `None` when set-up failed or the run
    /// was cancelled meanwhile.
    fn check(&self, handle: &tokio::runtime::Handle, case: &Case, cancel: &CancellationToken) -> Option<Option<Found>> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let at = Location { bucket: self.bucket.clone(), prefix: format!("c{n}/") };
        let scenario = case.to_scenario(String::new(), Vec::new(), Default::default());
        let bodies = make_bodies(&scenario.bodies);
        let (r, e) = handle.block_on(async {
            tokio::select! {
                both = async {
                    tokio::join!(
                        compare::run(self.reference, &scenario, &bodies, &at),
                        compare::run(self.endpoint, &scenario, &bodies, &at)
                    )
                } => Some(both),
                () = cancel.cancelled() => None,
            }
        })?;
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

/// Runs the differential fuzzer until `settings.cases` cases ran, `settings.time` passed or `stop`
/// is cancelled (then [`RunSummary::stop`] is [`Stop::Interrupted`]); must be called on a
/// multi-threaded Tokio runtime. Each divergence is on disk as soon as it is shrunk.
pub async fn run(
    reference: &Client,
    endpoint: &Client,
    settings: &Settings,
    stop: CancellationToken,
) -> anyhow::Result<RunSummary> {
    let started = Instant::now();
    // Cancelled by the time budget too, so that a request in flight never outlives it.
    let cancel = stop.child_token();
    let deadline = tokio::spawn({
        let cancel = cancel.clone();
        let time = settings.time;
        async move {
            tokio::time::sleep(time).await;
            cancel.cancel();
        }
    });
    let bucket = format!("ssec-fuzz-{}", settings.run_id);
    tokio::select! {
        made = async { tokio::try_join!(make_bucket(reference, &bucket), make_bucket(endpoint, &bucket)) } => { made?; }
        () = cancel.cancelled() => anyhow::bail!("stopped while creating bucket {bucket}"),
    }
    let handle = tokio::runtime::Handle::current();
    let outcome = tokio::task::block_in_place(|| {
        let pair = Pair { reference, endpoint, bucket: bucket.clone(), counter: AtomicU32::new(0) };
        explore(&pair, &handle, settings, started, &cancel, &stop)
    });
    deadline.abort();
    outcome
}

/// The progress workers share.
struct Shared {
    journal: output::Journal,
    seen: std::collections::BTreeSet<String>,
    found: Vec<Found>,
    setup_errors: u32,
    /// The first error writing the journal, which stops the run.
    failed: Option<anyhow::Error>,
}

/// The generator of case `index`: a runner seeded from the run's seed and the index.
fn runner_for(seed: u64, index: u32) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..12].copy_from_slice(&index.to_le_bytes());
    TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

fn explore(
    pair: &Pair<'_>,
    handle: &tokio::runtime::Handle,
    settings: &Settings,
    started: Instant,
    cancel: &CancellationToken,
    interrupted: &CancellationToken,
) -> anyhow::Result<RunSummary> {
    let strategy = case::cases(pair.endpoint.target().plain_endpoint.is_some());
    let next = AtomicU32::new(0);
    let ran = AtomicU32::new(0);
    let shared = Mutex::new(Shared {
        journal: output::Journal::create(settings)?,
        seen: std::collections::BTreeSet::new(),
        found: Vec::new(),
        setup_errors: 0,
        failed: None,
    });
    let lock = || shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    std::thread::scope(|scope| {
        for _ in 0..settings.jobs.max(1) {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= settings.cases || cancel.is_cancelled() || started.elapsed() >= settings.time {
                        break;
                    }
                    let Ok(tree) = strategy.new_tree(&mut runner_for(settings.seed, index)) else { continue };
                    ran.fetch_add(1, Ordering::Relaxed);
                    match pair.check(handle, &tree.current(), cancel) {
                        None if !cancel.is_cancelled() => lock().setup_errors += 1,
                        Some(Some(first)) => {
                            let best = shrink(pair, handle, tree, first, cancel);
                            let mut s = lock();
                            if s.seen.insert(signature(&best)) {
                                if let Err(e) = s.journal.record(&best) {
                                    s.failed.get_or_insert(e);
                                    cancel.cancel();
                                }
                                s.found.push(best);
                            }
                        }
                        _ => {}
                    }
                }
            });
        }
    });
    let cases_run = ran.load(Ordering::Relaxed);
    let shared = shared.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(e) = shared.failed {
        return Err(e);
    }
    let stop = if interrupted.is_cancelled() {
        Stop::Interrupted
    } else if next.load(Ordering::Relaxed) >= settings.cases {
        Stop::Done
    } else {
        Stop::TimeUp
    };
    let written = shared.journal.finish(stop, cases_run)?;
    Ok(RunSummary { cases_run, found: shared.found, setup_errors: shared.setup_errors, written, stop })
}

/// Simplifies a diverging case while it still diverges, stepping back when it stops diverging,
/// for at most 200 steps or until cancelled; returns the simplest divergence seen.
fn shrink(
    pair: &Pair<'_>,
    handle: &tokio::runtime::Handle,
    mut tree: impl ValueTree<Value = Case>,
    first: Found,
    cancel: &CancellationToken,
) -> Found {
    let mut best = first;
    if !tree.simplify() {
        return best;
    }
    for _ in 0..200 {
        if cancel.is_cancelled() {
            break;
        }
        let more = match pair.check(handle, &tree.current(), cancel) {
            Some(Some(found)) => {
                best = found;
                tree.simplify()
            }
            _ => tree.complicate(),
        };
        if !more {
            break;
        }
    }
    best
}
