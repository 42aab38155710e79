//! `docs/behaviour.md`, the behaviour table, is generated from `docs/cases.yaml` (what AWS answers to
//! each case, and the evidence) and the scenario catalogue (which scenarios check it), so it cannot
//! go stale: this test fails when the committed file differs from what the two give, and when a
//! scenario cites a case id that `docs/cases.yaml` does not describe.
//!
//! `SSEC_BLESS=1 cargo test --test behaviour_table` rewrites the table.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Deserialize;
use ssec_conform::scenario::LoadedScenario;
use ssec_conform::scenario::catalogue;
use ssec_conform::scenario::model::Level;

/// One entry of `docs/cases.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    id: String,
    section: String,
    case: String,
    aws: String,
    evidence: String,
}

/// The heading of each section of the table, in order.
const SECTIONS: [(&str, &str); 13] = [
    ("A.1", "PutObject (catalogue A.1)"),
    ("A.2", "GetObject, HeadObject, GetObjectAttributes, ranges, versions, DeleteObject, listings (A.2)"),
    ("A.3", "CopyObject (A.3)"),
    ("A.4", "Multipart uploads (A.4)"),
    ("A.5", "Presigned URLs and POST Object (A.5)"),
    ("A.6", "Where implementations disagree with AWS (A.6)"),
    ("A.7", "More AWS observations (A.7)"),
    ("K", "Flexible checksums and payload modes (K)"),
    ("B", "Precedence: which error wins (B)"),
    ("D", "Security properties (D)"),
    ("F", "Client encodings (F)"),
    ("Seed guide", "The seed guide"),
    ("V", "Cases the catalogue has no id for (V)"),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(root().join("docs/cases.yaml")).expect("docs/cases.yaml");
    serde_saphyr::from_str(&text).expect("docs/cases.yaml parses")
}

fn level(l: Level) -> &'static str {
    match l {
        Level::Must => "must",
        Level::Should => "should",
        Level::Info => "info",
    }
}

/// A table cell: one line, no column separators.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The scenarios citing each case id, as Markdown links with their level.
fn citations(scenarios: &[LoadedScenario]) -> BTreeMap<String, Vec<String>> {
    let mut by_case: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in scenarios {
        let path = s.path.to_string_lossy().replace('\\', "/");
        let file = path.rsplit_once("scenarios/").map_or(path.as_str(), |(_, f)| f);
        let (area, name) = s.id.split_once('/').unwrap_or(("", s.id.as_str()));
        let number = name.split('-').next().unwrap_or(name);
        let link = format!("[{area}/{number}](../scenarios/{file}) {}", level(s.scenario.level));
        for id in &s.scenario.cases {
            by_case.entry(id.clone()).or_default().push(link.clone());
        }
    }
    by_case
}

fn render(cases: &[Case], scenarios: &[LoadedScenario]) -> String {
    let cited = citations(scenarios);
    let mut out = String::from(
        "# The behaviour table\n\n\
         Every case of the behaviour catalogue that the scenarios check: the condition, what AWS S3 \
         answers, the evidence for that answer, and the scenarios that check it with their level \
         (`must`, `should`, `info`; see [the format manual](../scenarios/README.md#levels)). Where AWS \
         was not observed, the answer is the reference server's choice and its scenarios are `info`.\n\n\
         This file is generated from [`cases.yaml`](cases.yaml) and the scenarios; do not edit it. \
         After changing either, run `SSEC_BLESS=1 cargo test --test behaviour_table`.\n",
    );
    for (section, heading) in SECTIONS {
        let rows: Vec<&Case> = cases.iter().filter(|c| c.section == section).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "\n## {heading}\n\n| case | condition | AWS answers | evidence | checked by |\n|---|---|---|---|---|\n"
        );
        for c in rows {
            let by = cited.get(&c.id).map_or_else(|| "none yet".to_owned(), |links| links.join(", "));
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                cell(&c.id),
                cell(&c.case),
                cell(&c.aws),
                cell(&c.evidence),
                by
            );
        }
    }
    out
}

#[test]
fn every_cited_case_is_described() {
    let described: Vec<String> = cases().into_iter().map(|c| c.id).collect();
    let scenarios = catalogue::embedded().expect("the catalogue loads");
    let missing: Vec<String> = citations(&scenarios)
        .into_iter()
        .filter(|(id, _)| !described.contains(id))
        .map(|(id, by)| format!("{id} (cited by {})", by.join(", ")))
        .collect();
    assert!(missing.is_empty(), "docs/cases.yaml has no entry for: {}", missing.join("; "));
}

#[test]
fn every_case_has_a_known_section_and_one_entry() {
    let cases = cases();
    for c in &cases {
        assert!(SECTIONS.iter().any(|(s, _)| *s == c.section), "{}: unknown section {}", c.id, c.section);
        assert_eq!(cases.iter().filter(|o| o.id == c.id).count(), 1, "{} is described twice", c.id);
    }
}

#[test]
fn committed_table_matches_cases_and_scenarios() {
    let scenarios = catalogue::embedded().expect("the catalogue loads");
    let generated = render(&cases(), &scenarios);
    let path = root().join("docs/behaviour.md");
    if std::env::var_os("SSEC_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write docs/behaviour.md");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/behaviour.md is out of date with docs/cases.yaml and the scenarios: run \
         `SSEC_BLESS=1 cargo test --test behaviour_table` and commit it"
    );
}
