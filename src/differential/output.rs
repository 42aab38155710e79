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
pub fn scenario_yaml(f: &Found) -> anyhow::Result<String> {
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

/// Writes one scenario per divergence and `summary.md`; returns the paths.
pub fn write(found: &[Found], settings: &Settings) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(&settings.out_dir)?;
    let mut written = Vec::new();
    let mut md = format!(
        "# Differential fuzzing\n\nSeed `{}` — reproduce with `ssec-conform fuzz --seed {} --cases {}`.\n\n",
        settings.seed, settings.seed, settings.cases
    );
    if found.is_empty() {
        md.push_str("No divergence from the reference server.\n");
    } else {
        md.push_str(
            "| # | security | probe | reference | endpoint | differences | scenario |\n|---|---|---|---|---|---|---|\n",
        );
    }
    for (i, f) in found.iter().enumerate() {
        let name = format!("{:03}-divergence.yaml", i + 1);
        let path = settings.out_dir.join(&name);
        std::fs::write(&path, scenario_yaml(f)?)?;
        md.push_str(&format!(
            "| {} | {} | {:?} | {} | {} | {} | [{name}]({name}) |\n",
            i + 1,
            if f.divergence.security { "**yes**" } else { "" },
            f.case.op,
            markdown_cell(&f.reference.short()),
            markdown_cell(&f.endpoint.short()),
            markdown_cell(&f.divergence.differences.join("; ")),
        ));
        written.push(path);
    }
    let summary = settings.out_dir.join("summary.md");
    std::fs::write(&summary, md)?;
    written.push(summary);
    Ok(written)
}
