//! JSON Schemas of the scenario and profile formats and of `report.json`, generated from the Rust
//! types.
//!
//! The committed copies (`scenarios/schema.json`, `profiles/schema.json`, `reports/schema.json`)
//! give editors completion and validation, and tools reading reports a contract; a test fails when
//! they drift from the types (`SSEC_BLESS=1 cargo test` rewrites them).

use super::model::Scenario;
use super::profile::Profile;
use crate::report::model::Report;

/// The scenario file schema, pretty-printed.
#[must_use]
pub fn scenario() -> String {
    pretty(&schemars::schema_for!(Scenario))
}

/// The profile file schema, pretty-printed.
#[must_use]
pub fn profile() -> String {
    pretty(&schemars::schema_for!(Profile))
}

/// The `report.json` schema, pretty-printed.
#[must_use]
pub fn report() -> String {
    pretty(&schemars::schema_for!(Report))
}

fn pretty(schema: &schemars::Schema) -> String {
    let mut s = serde_json::to_string_pretty(schema).expect("schemas serialise");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn check(path: &str, generated: &str) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        if std::env::var_os("SSEC_BLESS").is_some() {
            std::fs::write(&path, generated).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "{} is out of date with the Rust types: run `SSEC_BLESS=1 cargo test --lib schema` and commit it",
            path.display()
        );
    }

    #[test]
    fn committed_schemas_match_the_types() {
        check("scenarios/schema.json", &super::scenario());
        check("profiles/schema.json", &super::profile());
        check("reports/schema.json", &super::report());
    }
}
