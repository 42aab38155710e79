//! The module layering of `src/`, checked against the table in `docs/architecture.md`.
//!
//! Every `crate::…`, `ssec_conform::…` and `super::…` path in every file under `src/` is an edge from
//! the file's module to the module it names. The test fails on an edge from a top-level folder to one
//! its row of the table does not list, and on an import cycle among the modules of one folder, and
//! prints the offending edge (with the file and line that makes it).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One reference from a module to another.
#[derive(Debug, Clone)]
struct Edge {
    from: Vec<String>,
    to: Vec<String>,
    at: String,
}

impl std::fmt::Display for Edge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} -> {} ({})", self.from.join("::"), self.to.join("::"), self.at)
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("read src").map(|e| e.expect("entry").path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file under `src/`: `src/scenario/exec.rs` is `scenario::exec`,
/// `src/scenario/mod.rs` is `scenario`, `src/lib.rs` and `src/main.rs` are the root.
fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().expect("file name");
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_owned());
    }
    parts
}

/// Reads a path after `prefix::` at `text[at..]`: the segments, with `{a, b::c}` groups expanded.
fn paths_at(text: &str, mut at: usize) -> Vec<Vec<String>> {
    let bytes = text.as_bytes();
    let mut segments = Vec::new();
    loop {
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if at < bytes.len() && bytes[at] == b'{' {
            let mut depth = 0;
            let start = at + 1;
            let mut end = start;
            for (i, &b) in bytes[at..].iter().enumerate() {
                match b {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = at + i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let mut out = Vec::new();
            let mut item_start = start;
            let mut depth = 0;
            for i in start..=end {
                let b = if i == end { b',' } else { bytes[i] };
                match b {
                    b'{' => depth += 1,
                    b'}' => depth -= 1,
                    b',' if depth == 0 => {
                        let item = &text[item_start..i];
                        let offset = item_start + (item.len() - item.trim_start().len());
                        if !item.trim().is_empty() {
                            for tail in paths_at(text, offset) {
                                let mut p = segments.clone();
                                p.extend(tail);
                                out.push(p);
                            }
                        }
                        item_start = i + 1;
                    }
                    _ => {}
                }
            }
            return out;
        }
        let start = at;
        while at < bytes.len() && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'_') {
            at += 1;
        }
        if start == at {
            return vec![segments];
        }
        segments.push(text[start..at].to_owned());
        if text[at..].starts_with("::") {
            at += 2;
        } else {
            return vec![segments];
        }
    }
}

/// Whether `text[at..]` starts a path rather than continuing an identifier.
fn starts_token(text: &str, at: usize) -> bool {
    at == 0
        || !text.as_bytes()[at - 1].is_ascii_alphanumeric()
            && text.as_bytes()[at - 1] != b'_'
            && text.as_bytes()[at - 1] != b':'
}

/// Every module-to-module reference in `src/`, resolved to the longest known module.
fn edges() -> (BTreeSet<Vec<String>>, Vec<Edge>) {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(f.strip_prefix(&src).unwrap())).collect();
    let mut out = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        let module = module_of(relative);
        let text = std::fs::read_to_string(file).expect("read file");
        // Inline modules (`mod tests { … }`) sit one level below the file's module; the reader
        // assumes they close at the end of the file, as test modules do.
        let mut inline_depth = 0;
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            let trimmed = code.trim_start();
            if (trimmed.starts_with("mod ") || trimmed.starts_with("pub mod ")) && trimmed.trim_end().ends_with('{') {
                inline_depth += 1;
            }
            for prefix in ["crate::", "ssec_conform::", "super::"] {
                let mut from = 0;
                while let Some(found) = code[from..].find(prefix) {
                    let at = from + found;
                    from = at + prefix.len();
                    if !starts_token(code, at) {
                        continue;
                    }
                    let mut base: Vec<String> = if prefix == "super::" {
                        // `super` is the parent of the file's module, or, inside `mod tests { … }`, the module itself.
                        let mut base = module.clone();
                        if inline_depth == 0 {
                            base.pop();
                        }
                        base
                    } else {
                        Vec::new()
                    };
                    let mut after = at + prefix.len();
                    while prefix == "super::" && code[after..].starts_with("super::") {
                        base.pop();
                        after += "super::".len();
                    }
                    for tail in paths_at(code, after) {
                        let mut path = base.clone();
                        path.extend(tail.into_iter().filter(|s| s != "self"));
                        while !path.is_empty() && !modules.contains(&path) {
                            path.pop();
                        }
                        if path != module {
                            out.push(Edge {
                                from: module.clone(),
                                to: path,
                                at: format!("src/{}:{}", relative.display(), number + 1),
                            });
                        }
                    }
                }
            }
        }
    }
    (modules, out)
}

/// The rows of the table in `docs/architecture.md`: folder -> the folders it may import.
fn layer_rules() -> BTreeMap<String, BTreeSet<String>> {
    let doc = std::fs::read_to_string(root().join("docs/architecture.md")).expect("docs/architecture.md");
    let mut rules = BTreeMap::new();
    for line in doc.lines() {
        let cells: Vec<&str> = line.trim().trim_matches('|').split('|').map(str::trim).collect();
        let Some(folder) = cells.first().and_then(|c| c.strip_prefix("`src/")).and_then(|c| c.strip_suffix("/`"))
        else {
            continue;
        };
        assert_eq!(cells.len(), 3, "a layer row has folder | job | may import: {line}");
        let allowed = cells[2]
            .split(',')
            .map(|c| c.trim().trim_matches('`').to_owned())
            .filter(|c| !c.is_empty() && c != "nothing");
        rules.insert(folder.to_owned(), allowed.collect());
    }
    rules
}

#[test]
fn every_folder_under_src_has_one_row_in_the_layer_table() {
    let rules = layer_rules();
    let mut folders = BTreeSet::new();
    for entry in std::fs::read_dir(root().join("src")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            folders.insert(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    let documented: BTreeSet<String> = rules.keys().cloned().collect();
    assert_eq!(documented, folders, "docs/architecture.md's table must list exactly the folders under src/");
    for (folder, allowed) in &rules {
        for name in allowed {
            assert!(folders.contains(name), "src/{folder}/ may import `{name}`, which is not a folder under src/");
        }
    }
}

#[test]
fn no_folder_imports_a_folder_its_row_does_not_allow() {
    let rules = layer_rules();
    let (_, edges) = edges();
    let offending: Vec<String> = edges
        .iter()
        .filter(|e| !e.from.is_empty() && !e.to.is_empty() && e.from[0] != e.to[0])
        .filter(|e| !rules.get(&e.from[0]).is_some_and(|allowed| allowed.contains(&e.to[0])))
        .map(|e| format!("  {e}"))
        .collect();
    assert!(offending.is_empty(), "imports that break the layers of docs/architecture.md:\n{}", offending.join("\n"));
}

/// The two children of one folder an edge joins, if it runs between siblings (or their descendants).
fn sibling_pair(edge: &Edge) -> Option<(Vec<String>, String, String)> {
    let common = edge.from.iter().zip(&edge.to).take_while(|(a, b)| a == b).count();
    let from = edge.from.get(common)?;
    let to = edge.to.get(common)?;
    Some((edge.from[..common].to_vec(), from.clone(), to.clone()))
}

/// The edges of a directed graph that lie on a cycle (their target reaches back to their source),
/// as `from -> to (file:line)`.
fn cycle_edges(graph: &BTreeMap<String, BTreeMap<String, String>>) -> Vec<String> {
    let reaches = |from: &str, goal: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_owned()];
        while let Some(node) = todo.pop() {
            if node == goal {
                return true;
            }
            if seen.insert(node.clone()) {
                todo.extend(graph.get(&node).into_iter().flat_map(BTreeMap::keys).cloned());
            }
        }
        false
    };
    graph
        .iter()
        .flat_map(|(from, targets)| targets.iter().map(move |(to, at)| (from, to, at)))
        .filter(|(from, to, _)| reaches(to, from))
        .map(|(from, to, at)| format!("{from} -> {to} ({at})"))
        .collect()
}

/// The cycles `docs/architecture.md` lists as known (to be removed), as `folder: from -> to` lines.
fn known_cycles() -> BTreeSet<String> {
    let doc = std::fs::read_to_string(root().join("docs/architecture.md")).expect("docs/architecture.md");
    doc.lines().filter_map(|l| l.strip_prefix("- known cycle: `")).map(|l| l.trim_end_matches('`').to_owned()).collect()
}

#[test]
fn no_import_cycle_between_the_modules_of_a_folder() {
    let (_, edges) = edges();
    let mut folders: BTreeMap<Vec<String>, BTreeMap<String, BTreeMap<String, String>>> = BTreeMap::new();
    for edge in &edges {
        if let Some((folder, from, to)) = sibling_pair(edge) {
            folders.entry(folder).or_default().entry(from).or_default().entry(to).or_insert_with(|| edge.at.clone());
        }
    }
    let known = known_cycles();
    let mut found = BTreeSet::new();
    let mut cycles = Vec::new();
    for (folder, graph) in &folders {
        for edge in cycle_edges(graph) {
            let name = format!("src/{}: {}", folder.join("/"), edge.split(" (").next().unwrap_or_default());
            if !known.contains(&name) {
                cycles.push(format!("  {}: {edge}", folder.join("/")));
            }
            found.insert(name);
        }
    }
    assert!(cycles.is_empty(), "imports on a cycle between modules of one folder:\n{}", cycles.join("\n"));
    let gone: Vec<&String> = known.difference(&found).collect();
    assert!(gone.is_empty(), "docs/architecture.md lists known cycles that no longer exist; remove them: {gone:?}");
}

#[test]
fn the_reader_resolves_grouped_and_relative_imports() {
    let text = "use crate::scenario::{model::{Step, Level}, vars};";
    let paths = paths_at(text, "use crate::".len());
    let expected: Vec<Vec<String>> = [["scenario", "model", "Step"], ["scenario", "model", "Level"]]
        .iter()
        .map(|p| p.iter().map(|s| (*s).to_owned()).collect())
        .chain(std::iter::once(vec!["scenario".to_owned(), "vars".to_owned()]))
        .collect();
    assert_eq!(paths, expected);
    let (modules, edges) = edges();
    assert!(modules.contains(&vec!["scenario".to_owned(), "exec".to_owned()]), "{modules:?}");
    assert!(
        edges.iter().any(|e| e.from == ["scenario", "runner"] && e.to == ["scenario", "exec"]),
        "the runner's `use super::exec` is an edge"
    );
}
