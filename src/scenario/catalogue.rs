//! The scenario catalogue and the endpoint profiles built into the binary, and how a directory on
//! disk adds to or overrides them.
//!
//! Every file under `scenarios/` and `profiles/` is embedded when the crate is built, so an installed
//! binary needs no checkout. An embedded file is named by its catalogue path
//! (`scenarios/get-head/003-wrong-key.yaml`) in every error, with line and column.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::load::{self, LoadError, LoadedScenario, ScenarioSource};

/// A file built into the binary.
#[derive(Debug, Clone, Copy)]
pub struct EmbeddedFile {
    /// Its path in the source tree, `/`-separated: `scenarios/put/001-basic.yaml`.
    pub path: &'static str,
    /// Its contents.
    pub text: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/catalogue.rs"));

/// Every embedded file under `scenarios/`: the YAML scenarios, their manual and JSON Schema.
#[must_use]
pub fn scenario_files() -> &'static [EmbeddedFile] {
    SCENARIO_FILES
}

/// Every embedded file under `profiles/`: one YAML profile per endpoint kind, and their JSON Schema.
#[must_use]
pub fn profile_files() -> &'static [EmbeddedFile] {
    PROFILE_FILES
}

/// The embedded scenario files, ready to parse.
fn embedded_sources() -> impl Iterator<Item = ScenarioSource> {
    SCENARIO_FILES.iter().filter_map(|f| {
        let id = f.path.strip_prefix("scenarios/")?.strip_suffix(".yaml")?;
        Some(ScenarioSource { id: id.to_owned(), path: PathBuf::from(f.path), text: f.text.to_owned() })
    })
}

/// The embedded catalogue, sorted by id.
pub fn embedded() -> Result<Vec<LoadedScenario>, LoadError> {
    load::load_sources(embedded_sources().collect())
}

/// The embedded catalogue with the scenarios of `dir` (if any) added: a file of `dir` whose id
/// (`area/NNN-slug`) is also embedded replaces the embedded one.
pub fn with_dir(dir: Option<&Path>) -> Result<Vec<LoadedScenario>, LoadError> {
    let mut by_id: BTreeMap<String, ScenarioSource> = embedded_sources().map(|s| (s.id.clone(), s)).collect();
    if let Some(dir) = dir {
        by_id.extend(load::read_dir(dir)?.into_iter().map(|s| (s.id.clone(), s)));
    }
    load::load_sources(by_id.into_values().collect())
}

/// The names of the embedded profiles (`aws`, `reference`, ...), sorted.
#[must_use]
pub fn profile_names() -> Vec<&'static str> {
    PROFILE_FILES.iter().filter_map(|f| f.path.strip_prefix("profiles/")?.strip_suffix(".yaml")).collect()
}

/// The embedded profile called `name`.
#[must_use]
pub fn profile_file(name: &str) -> Option<&'static EmbeddedFile> {
    PROFILE_FILES.iter().find(|f| f.path.strip_prefix("profiles/").and_then(|p| p.strip_suffix(".yaml")) == Some(name))
}

/// Writes the embedded catalogue into `dir` for editing: the scenarios as `dir/<area>/<file>.yaml`
/// (with the manual and the JSON Schema), the profiles as `dir/profiles/<name>.yaml`. `dir` must be
/// new or empty, so nothing is overwritten. Returns the files written.
pub fn export(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if let Ok(mut entries) = std::fs::read_dir(dir) {
        anyhow::ensure!(
            entries.next().is_none(),
            "{} is not empty: export into a new or empty directory",
            dir.display()
        );
    }
    let scenarios = SCENARIO_FILES.iter().filter_map(|f| Some((f.path.strip_prefix("scenarios/")?, f.text)));
    let profiles = PROFILE_FILES.iter().map(|f| (f.path, f.text));
    let mut written = Vec::new();
    for (relative, text) in scenarios.chain(profiles) {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| anyhow::anyhow!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_catalogue_is_embedded_and_loads() {
        let on_disk = load::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")).unwrap();
        let embedded = embedded().unwrap();
        let ids = |v: &[LoadedScenario]| v.iter().map(|s| s.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&embedded), ids(&on_disk));
        assert!(embedded.iter().all(|s| s.path.starts_with("scenarios")), "catalogue paths name embedded files");
        assert!(profile_names().contains(&"aws") && profile_names().contains(&"reference"), "{:?}", profile_names());
    }

    #[test]
    fn a_directory_adds_and_overrides_by_id() {
        let dir = tempfile::tempdir().unwrap();
        let first = embedded().unwrap().remove(0);
        let (area, file) = first.id.split_once('/').unwrap();
        std::fs::create_dir_all(dir.path().join(area)).unwrap();
        let text = scenario_files().iter().find(|f| Path::new(f.path) == first.path).unwrap().text;
        std::fs::write(dir.path().join(format!("{area}/{file}.yaml")), text.replace("title:", "title: EDITED"))
            .unwrap();
        std::fs::create_dir_all(dir.path().join("mine")).unwrap();
        std::fs::write(dir.path().join("mine/001-extra.yaml"), text).unwrap();

        let all = with_dir(Some(dir.path())).unwrap();
        assert_eq!(all.len(), embedded().unwrap().len() + 1);
        let edited = all.iter().find(|s| s.id == first.id).unwrap();
        assert!(edited.scenario.title.starts_with("EDITED"), "{}", edited.scenario.title);
        assert!(edited.path.starts_with(dir.path()));
        assert!(all.iter().any(|s| s.id == "mine/001-extra"));
    }

    #[test]
    fn errors_in_an_embedded_file_name_its_catalogue_path() {
        let source = embedded_sources().next().unwrap();
        let path = source.path.display().to_string();
        let broken = ScenarioSource { text: format!("{}\nbogus-field: 1\n", source.text), ..source };
        let e = load::load_sources(vec![broken]).unwrap_err().to_string();
        assert!(e.starts_with(&format!("{path}:")), "{e}");
        let location: Vec<&str> = e[path.len() + 1..].splitn(3, ':').collect();
        assert!(location[0].parse::<u32>().unwrap() > 1 && location[1].parse::<u32>().is_ok(), "{e}");
    }

    #[test]
    fn export_writes_an_editable_catalogue_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let written = export(dir.path()).unwrap();
        assert_eq!(written.len(), scenario_files().len() + profile_files().len());
        let reloaded = load::load_dir(dir.path()).unwrap();
        assert_eq!(reloaded.len(), embedded().unwrap().len());
        assert!(dir.path().join("profiles/aws.yaml").is_file());
        assert!(dir.path().join("README.md").is_file());
        let e = export(dir.path()).unwrap_err().to_string();
        assert!(e.contains("is not empty"), "{e}");
    }
}
