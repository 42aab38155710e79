//! The shell variables reproductions name keys by (`$KEY_007_a`), and `keys.env`, the file that
//! holds their values when a run is asked to keep them (`--write-keys`).
//!
//! Reports never carry a key: a reproduction sends `-H "x-amz-server-side-encryption-customer-key:
//! $KEY_007_a"`, where `007` is the scenario's position in the run (as in its bucket name) and `a`
//! the key's name in the scenario. A key text a scenario sends that is not one of its keys (a
//! faulted key) gets a variable of its own, `$KEY_007_sent1`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;
use std::sync::Mutex;

use zeroize::Zeroizing;

use crate::sse_c::CustomerKey;

/// The variables of one scenario's keys and sent key texts.
pub struct KeyVars {
    scenario: String,
    prefix: String,
    /// Variable name and value (the base64 text sent).
    vars: Vec<(String, Zeroizing<String>)>,
    sent: usize,
}

impl std::fmt::Debug for KeyVars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.vars.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("KeyVars").field("scenario", &self.scenario).field("names", &names).finish()
    }
}

/// A shell variable name made of `text`: letters, digits and `_`.
fn identifier(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
}

impl KeyVars {
    /// The variables of scenario `id`, the `index`-th of the run, with its generated keys.
    #[must_use]
    pub fn new(id: &str, index: usize, keys: &BTreeMap<String, CustomerKey>) -> Self {
        let prefix = format!("KEY_{index:03}");
        let vars = keys.iter().map(|(name, key)| (format!("{prefix}_{}", identifier(name)), key.to_base64())).collect();
        Self { scenario: id.to_owned(), prefix, vars, sent: 0 }
    }

    /// The variable holding `value`, a key text sent; a text that is none of the scenario's keys
    /// gets a new variable.
    pub fn name_for(&mut self, value: &str) -> String {
        if let Some((name, _)) = self.vars.iter().find(|(_, v)| v.as_str() == value) {
            return name.clone();
        }
        self.sent += 1;
        let name = format!("{}_sent{}", self.prefix, self.sent);
        self.vars.push((name.clone(), Zeroizing::new(value.to_owned())));
        name
    }

    /// `value` as one double-quoted shell word in which every key of the scenario is its variable;
    /// `None` when `value` holds no key.
    #[must_use]
    pub fn substitute(&self, value: &str) -> Option<String> {
        let mut word = String::from("\"");
        let mut rest = value;
        let mut found = false;
        while !rest.is_empty() {
            let next = self.vars.iter().filter_map(|(n, v)| rest.find(v.as_str()).map(|at| (at, n, v.len()))).min();
            let Some((at, name, len)) = next.filter(|(_, _, len)| *len > 0) else { break };
            push_escaped(&mut word, &rest[..at]);
            word.push_str(&format!("${{{name}}}"));
            rest = &rest[at + len..];
            found = true;
        }
        push_escaped(&mut word, rest);
        word.push('"');
        found.then_some(word)
    }
}

/// Appends `text` escaped for a double-quoted shell word.
fn push_escaped(word: &mut String, text: &str) {
    for c in text.chars() {
        if matches!(c, '"' | '\\' | '$' | '`') {
            word.push('\\');
        }
        word.push(c);
    }
}

/// The variables of every scenario of a run, written as `keys.env` at the end. Its `Debug` shows
/// only how many scenarios it holds.
#[derive(Default)]
pub struct KeyLog {
    scenarios: Mutex<Vec<KeyVars>>,
}

impl std::fmt::Debug for KeyLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.scenarios.lock().map_or(0, |s| s.len());
        write!(f, "KeyLog({n} scenarios)")
    }
}

impl KeyLog {
    /// Keeps a scenario's variables.
    pub fn record(&self, vars: KeyVars) {
        if !vars.vars.is_empty()
            && let Ok(mut scenarios) = self.scenarios.lock()
        {
            scenarios.push(vars);
        }
    }

    /// Writes `keys.env` at `path`, readable and writable by its owner only: one shell assignment
    /// per variable under a comment naming each scenario, in scenario order.
    ///
    /// # Errors
    ///
    /// When the file cannot be created or written.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let mut text = Zeroizing::new(String::from(
            "# ssec-conform: the customer keys of one run. Secret: do not share. `. ./keys.env`, then run a\n\
             # reproduction command from the report.\n",
        ));
        let mut scenarios = self.scenarios.lock().map_err(|_| std::io::Error::other("key log poisoned"))?;
        scenarios.sort_by(|a, b| a.prefix.cmp(&b.prefix));
        for s in scenarios.iter() {
            text.push_str(&format!("# {}\n", s.scenario));
            for (name, value) in &s.vars {
                text.push_str(&format!("{name}='{}'\n", value.replace('\'', "'\\''")));
            }
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path)?;
        #[cfg(unix)]
        file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
        file.write_all(text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_become_variables_in_one_shell_word() {
        let keys: BTreeMap<String, CustomerKey> = [("a".to_owned(), CustomerKey::from_bytes([7; 32]))].into();
        let mut vars = KeyVars::new("put/001", 7, &keys);
        let b64 = keys["a"].to_base64().to_string();
        assert_eq!(vars.name_for(&b64), "KEY_007_a");
        assert_eq!(vars.name_for("faulted"), "KEY_007_sent1");
        assert_eq!(vars.name_for("faulted"), "KEY_007_sent1");
        assert_eq!(
            vars.substitute(&format!("x-meta: $`{b64}\"")).as_deref(),
            Some("\"x-meta: \\$\\`${KEY_007_a}\\\"\"")
        );
        assert_eq!(vars.substitute("nothing secret"), None);
        assert!(!format!("{vars:?}").contains(&b64));
    }

    #[test]
    fn keys_env_is_private_and_sourceable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys.env");
        std::fs::write(&path, "stale").expect("write");
        let keys: BTreeMap<String, CustomerKey> = [("k-1".to_owned(), CustomerKey::from_bytes([1; 32]))].into();
        let log = KeyLog::default();
        let mut vars = KeyVars::new("get-head/003-wrong-key", 3, &keys);
        vars.name_for("it's");
        log.record(vars);
        log.write(&path).expect("write keys.env");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains("# get-head/003-wrong-key\n"), "{text}");
        assert!(text.contains(&format!("KEY_003_k_1='{}'\n", keys["k-1"].to_base64().as_str())), "{text}");
        assert!(text.contains("KEY_003_sent1='it'\\''s'\n"), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("metadata").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }
}
