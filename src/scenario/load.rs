//! Scenario files → validated scenarios. Every error names `file:line:col`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::units::parse_size;

use super::model::{ALL_OPS, BodyExpect, BodyRef, BodySpec, Request, Scenario, SseCSpec, Step, XmlExpect};

/// A scenario with its identity.
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    /// `area/NNN-slug`: the path under the scenario root, without `.yaml`.
    pub id: String,
    /// The first path component.
    pub area: String,
    /// The file it came from.
    pub path: PathBuf,
    /// The parsed scenario.
    pub scenario: Scenario,
}

/// All problems found while loading, one `file:line:col: message` per line.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", .0.join("\n"))]
pub struct LoadError(pub Vec<String>);

/// One scenario file's text and where it came from, before parsing.
#[derive(Debug, Clone)]
pub struct ScenarioSource {
    /// `area/NNN-slug`: the path under the scenario root, without `.yaml`.
    pub id: String,
    /// The file it came from: a path on disk, or the catalogue path of an embedded file
    /// (`scenarios/area/NNN-slug.yaml`). Errors name it.
    pub path: PathBuf,
    /// The YAML text.
    pub text: String,
}

/// Loads every `*.yaml` under `root` (recursively), sorted by id.
pub fn load_dir(root: &Path) -> Result<Vec<LoadedScenario>, LoadError> {
    load_sources(read_dir(root)?)
}

/// Reads every `*.yaml` under `root` (recursively; a `profiles` directory is not scenarios).
pub fn read_dir(root: &Path) -> Result<Vec<ScenarioSource>, LoadError> {
    let pattern = format!("{}/**/*.yaml", root.display());
    let paths: Vec<PathBuf> = glob::glob(&pattern)
        .map_err(|e| LoadError(vec![format!("{pattern}: {e}")]))?
        .filter_map(Result::ok)
        .filter(|p| !p.components().any(|c| c.as_os_str() == "profiles"))
        .collect();
    if paths.is_empty() {
        return Err(LoadError(vec![format!("{}: no scenario matched {pattern}", root.display())]));
    }
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        let rel = path.strip_prefix(root).unwrap_or(&path);
        let id =
            rel.with_extension("").components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        match std::fs::read_to_string(&path) {
            Err(e) => errors.push(format!("{}: {e}", path.display())),
            Ok(text) => sources.push(ScenarioSource { id, path, text }),
        }
    }
    if errors.is_empty() { Ok(sources) } else { Err(LoadError(errors)) }
}

/// Parses and validates scenario files, sorted by id; every problem of every file is reported.
pub fn load_sources(sources: Vec<ScenarioSource>) -> Result<Vec<LoadedScenario>, LoadError> {
    let mut loaded = Vec::new();
    let mut errors = Vec::new();
    for ScenarioSource { id, path, text } in sources {
        let area = id.split('/').next().unwrap_or_default().to_owned();
        match parse(&path.display().to_string(), &text) {
            Ok(scenario) => loaded.push(LoadedScenario { id, area, path, scenario }),
            Err(mut e) => errors.append(&mut e),
        }
    }
    check_duplicate_numbers(&loaded, &mut errors);
    if !errors.is_empty() {
        return Err(LoadError(errors));
    }
    loaded.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(loaded)
}

/// Two files of one area must not share a number (`get-head/003-a.yaml`, `get-head/003-b.yaml`).
fn check_duplicate_numbers(loaded: &[LoadedScenario], errors: &mut Vec<String>) {
    let mut seen: BTreeMap<String, &Path> = BTreeMap::new();
    for s in loaded {
        let (dir, file) = s.id.rsplit_once('/').unwrap_or(("", &s.id));
        let number = file.split('-').next().unwrap_or(file);
        let key = format!("{dir}/{number}");
        if let Some(first) = seen.insert(key.clone(), &s.path) {
            errors.push(format!("{}:1:1: duplicate scenario id {key}: also {}", s.path.display(), first.display()));
        }
    }
}

/// Parses and validates one scenario; `origin` names it in errors.
pub fn parse(origin: &str, text: &str) -> Result<Scenario, Vec<String>> {
    let scenario: Scenario = serde_saphyr::from_str(text).map_err(|e| {
        let (line, col) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
        let msg = e.to_string();
        let first = msg.lines().next().unwrap_or_default().to_owned();
        vec![format!("{origin}:{line}:{col}: {first}")]
    })?;
    let errors = validate(origin, &scenario);
    if errors.is_empty() { Ok(scenario) } else { Err(errors) }
}

/// The largest random body a scenario may ask for.
const MAX_BODY_SIZE: u64 = 4 << 30;

/// Semantic checks serde cannot make.
fn validate(origin: &str, s: &Scenario) -> Vec<String> {
    let mut errors = Vec::new();
    if s.cases.is_empty() {
        errors.push(format!("{origin}:1:1: `cases` must name at least one catalogue case"));
    }
    for (name, body) in &s.bodies {
        match body {
            BodySpec::Random(size) => match parse_size(size) {
                Ok(n) if n <= MAX_BODY_SIZE => {}
                Ok(_) => errors.push(format!("{origin}:1:1: body `{name}`: `{size}` is larger than 4GiB")),
                Err(e) => errors.push(format!("{origin}:1:1: body `{name}`: {e}")),
            },
            BodySpec::Concat(parts) => {
                for part in
                    parts.iter().filter(|p| !matches!(s.bodies.get(*p), Some(b) if !matches!(b, BodySpec::Concat(_))))
                {
                    errors.push(format!(
                        "{origin}:1:1: body `{name}`: `{part}` is not a random or text body of this scenario"
                    ));
                }
            }
            BodySpec::Text(_) => {}
        }
    }
    let mut saved: BTreeSet<String> = BTreeSet::new();
    for spanned in &s.steps {
        let at = format!("{origin}:{}:{}", spanned.referenced.line(), spanned.referenced.column());
        let step = &spanned.value;
        let mut err = |m: String| errors.push(format!("{at}: {m}"));
        let ops = op_names(step);
        if ops.len() != 1 {
            err(format!("a step needs exactly one operation ({}), found {ops:?}", ALL_OPS.join(", ")));
        }
        let op = ops.first().copied().unwrap_or_default();
        let requests = requests(step);
        for r in &requests {
            if r.key.is_none() && !matches!(op, "list" | "post") {
                err(format!("`{op}` needs `key`"));
            }
            if op.contains("copy") && r.copy_source.is_none() {
                err(format!("`{op}` needs `copy-source`"));
            }
            if matches!(op, "upload-part" | "upload-part-copy" | "complete" | "abort" | "list-parts") {
                match &r.upload {
                    None => err(format!("`{op}` needs `upload` (a name saved by `save-upload`)")),
                    Some(u) if !saved.contains(&format!("upload.{u}")) => {
                        err(format!("upload `{u}` is not saved by an earlier step (`save-upload`)"))
                    }
                    Some(_) => {}
                }
            }
            if op.starts_with("upload-part") && r.part.is_none() {
                err(format!("`{op}` needs `part`"));
            }
            super::payload::errors(op, r).into_iter().for_each(&mut err);
        }
        if step.save_upload.is_some() && op != "create-multipart" {
            err("`save-upload` belongs on a `create-multipart` step".into());
        }
        let mut key_refs = Vec::new();
        let mut body_refs = Vec::new();
        let mut texts: Vec<&str> = Vec::new();
        for r in &requests {
            for spec in [&r.sse_c, &r.copy_source_sse_c].into_iter().flatten() {
                match spec {
                    SseCSpec::Key(k) => key_refs.push(k.as_str()),
                    SseCSpec::Custom(c) => {
                        key_refs.extend(c.key.as_deref());
                        texts.extend(
                            c.algorithm.as_deref().into_iter().chain(c.key_b64.as_deref()).chain(c.md5.as_deref()),
                        );
                    }
                }
            }
            body_refs.extend(named_body(r.body.as_ref()));
            texts.extend(r.headers.values().map(String::as_str));
            texts.extend(r.query.values().map(String::as_str));
            texts.extend(
                r.range
                    .as_deref()
                    .into_iter()
                    .chain(r.copy_source_version.as_deref())
                    .chain(r.copy_source_range.as_deref())
                    .chain(r.checksum.as_ref().and_then(|c| c.value.as_deref())),
            );
        }
        if let Some(sw) = &step.swift {
            body_refs.extend(named_body(sw.body.as_ref()));
            texts.extend(sw.headers.values().map(String::as_str));
            texts.extend(sw.object.as_deref());
        }
        if let Some(raw) = &step.raw {
            body_refs.extend(named_body(raw.body.as_ref()));
            texts.extend(raw.headers.values().map(String::as_str));
            texts.extend(raw.query.values().map(String::as_str));
        }
        match &step.expect.body {
            Some(BodyExpect::Named(n)) => body_refs.push(n),
            Some(BodyExpect::Slice(sl)) => body_refs.push(&sl.of),
            None => {}
        }
        if let Some(e) = &step.expect.etag {
            body_refs.extend(e.md5_of.as_deref());
            for name in e.equals.iter().chain(e.differs_from.iter()) {
                if !saved.contains(&format!("etag.{name}")) {
                    err(format!("ETag `{name}` is not saved by an earlier step (`save-etag`)"));
                }
            }
        }
        texts.extend(step.expect.xml.values().filter_map(|x| match x {
            XmlExpect::Text(t) => Some(t.as_str()),
            XmlExpect::Present(_) => None,
        }));
        texts.extend(step.expect.headers.values().filter_map(|h| match h {
            super::model::HeaderExpect::Equals(v) => Some(v.as_str()),
            super::model::HeaderExpect::Present(_) => None,
        }));
        for k in key_refs {
            if !s.keys.contains_key(k) {
                err(format!("key `{k}` is not defined in `keys`"));
            }
        }
        for b in body_refs {
            if !s.bodies.contains_key(b) {
                err(format!("body `{b}` is not defined in `bodies`"));
            }
        }
        for t in texts {
            for var in super::vars::references(t) {
                if let Err(m) = super::vars::check(&var, s, &saved) {
                    err(m);
                }
            }
        }
        for (kind, name) in [("etag", &step.save_etag), ("version", &step.save_version), ("upload", &step.save_upload)]
        {
            if let Some(n) = name {
                saved.insert(format!("{kind}.{n}"));
            }
        }
    }
    errors
}

/// The `bodies` names a request body refers to: its name, or the parts of an inline concatenation.
fn named_body(b: Option<&BodyRef>) -> Vec<&str> {
    match b {
        Some(BodyRef::Named(n)) => vec![n],
        Some(BodyRef::Inline(BodySpec::Concat(parts))) => parts.iter().map(String::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The operation names set on a step.
fn op_names(step: &Step) -> Vec<&'static str> {
    step.operations().into_iter().map(|(n, _)| n).collect()
}

fn requests(step: &Step) -> Vec<&Request> {
    step.operations().into_iter().filter_map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "title: t\ncases: [G3]\nlevel: must\nkeys: { a: random }\nsteps:\n  - put: { key: o, body: { text: hi }, sse-c: a }\n    expect: { status: 200 }\n";

    #[test]
    fn a_random_body_size_follows_the_size_grammar_up_to_4_gib() {
        let with = |size: &str| GOOD.replace("keys:", &format!("bodies: {{ b: {{ random: \"{size}\" }} }}\nkeys:"));
        parse("x.yaml", &with("5MiB+1")).unwrap();
        parse("x.yaml", &with("4G")).unwrap();
        let e = parse("x.yaml", &with("lots")).unwrap_err();
        assert!(e[0].contains("body `b`: `lots` is not a size") && e[0].contains("KiB"), "{e:?}");
        let e = parse("x.yaml", &with("4GiB+1")).unwrap_err();
        assert!(e[0].contains("larger than 4GiB"), "{e:?}");
    }

    #[test]
    fn good_scenario_loads() {
        assert!(parse("x.yaml", GOOD).is_ok());
    }

    #[test]
    fn errors_name_line_and_column() {
        let unknown = GOOD.replace("level: must", "level: must\nbogus: 1");
        let e = parse("x.yaml", &unknown).unwrap_err();
        assert!(e[0].starts_with("x.yaml:4:"), "{e:?}");
        let undefined = GOOD.replace("sse-c: a", "sse-c: b");
        let e = parse("x.yaml", &undefined).unwrap_err();
        assert!(e[0].starts_with("x.yaml:6:5: key `b` is not defined"), "{e:?}");
        let bad_var = GOOD.replace("status: 200 }", "status: 200, headers: { x: \"${zz.md5}\" } }");
        let e = parse("x.yaml", &bad_var).unwrap_err();
        assert!(e[0].contains("zz"), "{e:?}");
    }

    #[test]
    fn a_concatenation_names_random_or_text_bodies_of_its_scenario_named_or_inline() {
        let with = |bodies: &str| GOOD.replace("keys:", &format!("bodies: {bodies}\nkeys:"));
        assert!(parse("x.yaml", &with("{ a: { text: x }, w: { concat: [a, a] } }")).is_ok());
        let e = parse("x.yaml", &with("{ a: { text: x }, w: { concat: [a, b] } }")).unwrap_err();
        assert_eq!(e, ["x.yaml:1:1: body `w`: `b` is not a random or text body of this scenario"]);
        let e = parse("x.yaml", &with("{ a: { text: x }, w: { concat: [a] }, v: { concat: [w] } }")).unwrap_err();
        assert_eq!(e, ["x.yaml:1:1: body `v`: `w` is not a random or text body of this scenario"]);
        let e = parse("x.yaml", &GOOD.replace("{ text: hi }", "{ concat: [zz] }")).unwrap_err();
        assert_eq!(e, ["x.yaml:6:5: body `zz` is not defined in `bodies`"]);
    }

    #[test]
    fn an_unknown_capability_is_an_error_at_its_line_listing_the_known_ones() {
        let e = parse("x.yaml", &GOOD.replace("level: must", "level: must\nrequires: [sse-c, teleport]")).unwrap_err();
        assert!(e[0].starts_with("x.yaml:4:"), "{e:?}");
        assert!(e[0].contains("teleport") && e[0].contains("block-sse-c"), "{e:?}");
    }

    #[test]
    fn empty_glob_is_an_error() {
        let dir = std::env::temp_dir().join(format!("ssec-empty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let e = load_dir(&dir).unwrap_err();
        assert!(e.to_string().contains("no scenario matched"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
