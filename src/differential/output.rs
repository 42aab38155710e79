//! Divergences as ready-to-commit scenarios, and a Markdown summary.

use std::path::PathBuf;

use super::{Found, Settings};
use crate::report::escape::markdown_cell;
use crate::scenario::model::{Expect, HeaderExpect};
use crate::sse_c::headers::{ALGORITHM, KEY_MD5};

/// The expectation the reference's answer sets.
fn expectation(f: &Found) -> Expect {
    let r = &f.reference;
    let mut e = Expect { status: *r.status.as_ref().unwrap_or(&0), code: r.code.clone(), ..Expect::default() };
    if (200..300).contains(&e.status) {
        for (name, value) in [(ALGORITHM, &r.algorithm), (KEY_MD5, &r.key_md5)] {
            e.headers.insert(name.to_owned(), value.clone().map_or(HeaderExpect::Present(false), HeaderExpect::Equals));
        }
    }
    e
}

/// Removes nulls and empty collections, so the YAML reads like a hand-written scenario.
fn prune(v: serde_json::Value) -> Option<serde_json::Value> {
    use serde_json::Value;
    match v {
        Value::Null => None,
        Value::Array(a) if a.is_empty() => None,
        Value::Object(o) if o.is_empty() => None,
        Value::Array(a) => Some(Value::Array(a.into_iter().filter_map(prune).collect())),
        Value::Object(o) => {
            let o: serde_json::Map<_, _> = o
                .into_iter()
                .filter(|(k, v)| !(k == "plain-http" && *v == Value::Bool(false)))
                .filter_map(|(k, v)| prune(v).map(|v| (k, v)))
                .collect();
            (!o.is_empty()).then_some(Value::Object(o))
        }
        other => Some(other),
    }
}

/// The scenario file text of a divergence.
pub(super) fn scenario_yaml(f: &Found) -> anyhow::Result<String> {
    let title = format!(
        "Fuzz: {:?} of a{} object of {} bytes — reference {}, endpoint {}",
        f.case.op,
        if f.case.sse_c_object { "n SSE-C" } else { " plain" },
        f.case.size,
        f.reference.short(),
        f.endpoint.short()
    );
    let scenario = f.case.to_scenario(title, f.case.catalogue_cases(), expectation(f));
    let value = prune(serde_json::to_value(&scenario)?).unwrap_or_default();
    Ok(serde_saphyr::to_string(&value)?)
}

/// Why a run ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Stop {
    /// Every case ran.
    #[default]
    Done,
    /// The time budget ran out.
    TimeUp,
    /// Ctrl-C or SIGTERM.
    Interrupted,
}

/// The output directory of a run, kept current as divergences are found: each one's scenario file
/// and its line in `summary.md` are on disk before the run goes on.
pub(super) struct Journal {
    dir: PathBuf,
    header: String,
    rows: Vec<String>,
    written: Vec<PathBuf>,
}

/// Files of an earlier run in the output directory: `NNN-divergence.yaml`.
fn is_divergence_file(name: &str) -> bool {
    name.strip_suffix("-divergence.yaml").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

impl Journal {
    /// Empties the output directory of an earlier run's divergences and writes a summary that says
    /// the run is in progress.
    pub(super) fn create(settings: &Settings) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&settings.out_dir)?;
        for entry in std::fs::read_dir(&settings.out_dir)? {
            let entry = entry?;
            if is_divergence_file(&entry.file_name().to_string_lossy()) {
                std::fs::remove_file(entry.path())?;
            }
        }
        let header = format!(
            "# Differential fuzzing\n\nSeed `{}` — reproduce with `ssec-conform fuzz --seed {} --cases {}`.\n\n",
            settings.seed, settings.seed, settings.cases
        );
        let journal = Self { dir: settings.out_dir.clone(), header, rows: Vec::new(), written: Vec::new() };
        journal.write_summary("Running: divergences are added below as they are found.")?;
        Ok(journal)
    }

    /// Writes a divergence's scenario and adds its line to the summary.
    pub(super) fn record(&mut self, f: &Found) -> anyhow::Result<()> {
        let n = self.rows.len() + 1;
        let name = format!("{n:03}-divergence.yaml");
        let path = self.dir.join(&name);
        std::fs::write(&path, scenario_yaml(f)?)?;
        self.written.push(path);
        self.rows.push(format!(
            "| {n} | {} | {:?} | {} | {} | {} | [{name}]({name}) |\n",
            if f.divergence.security { "**yes**" } else { "" },
            f.case.op,
            markdown_cell(&f.reference.short()),
            markdown_cell(&f.endpoint.short()),
            markdown_cell(&f.divergence.differences.join("; ")),
        ));
        self.write_summary("Running: divergences are added below as they are found.")
    }

    /// Writes the final summary; returns every file written, the summary last.
    pub(super) fn finish(mut self, stop: Stop, cases_run: u32) -> anyhow::Result<Vec<PathBuf>> {
        let status = match stop {
            Stop::Done => format!("Finished: {cases_run} cases."),
            Stop::TimeUp => format!("Stopped by the time budget after {cases_run} cases."),
            Stop::Interrupted => format!("Interrupted (Ctrl-C or SIGTERM) after {cases_run} cases."),
        };
        self.write_summary(&status)?;
        self.written.push(self.dir.join("summary.md"));
        Ok(self.written)
    }

    /// Replaces `summary.md` in one step (a reader never sees half a file).
    fn write_summary(&self, status: &str) -> anyhow::Result<()> {
        let mut md = format!("{}{status}\n\n", self.header);
        if self.rows.is_empty() {
            md.push_str("No divergence from the reference server.\n");
        } else {
            md.push_str(
                "| # | security | probe | reference | endpoint | differences | scenario |\n|---|---|---|---|---|---|---|\n",
            );
            md.extend(self.rows.iter().map(String::as_str));
        }
        let partial = self.dir.join("summary.md.partial");
        std::fs::write(&partial, md)?;
        std::fs::rename(&partial, self.dir.join("summary.md"))?;
        Ok(())
    }
}
