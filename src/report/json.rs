//! `report.json`: the canonical report, pretty-printed JSON.

use super::model::Report;

/// The report as pretty JSON, ending with a newline.
pub(super) fn render(report: &Report) -> anyhow::Result<String> {
    let mut text = serde_json::to_string_pretty(report)?;
    text.push('\n');
    Ok(text)
}

/// Parses a `report.json`; unknown (later-added) fields are ignored.
pub(super) fn parse(text: &str) -> serde_json::Result<Report> {
    serde_json::from_str(text)
}

#[cfg(test)]
mod tests {
    use super::super::model::{Outcome, SCHEMA_VERSION};
    use super::super::testdata::sample;
    use super::*;

    #[test]
    fn round_trips() {
        let report = sample("minio");
        let text = render(&report).expect("render");
        let back = parse(&text).expect("parse");
        assert_eq!(render(&back).expect("render again"), text);
        assert_eq!(back.schema_version, SCHEMA_VERSION);
        assert_eq!(back.scenarios.len(), report.scenarios.len());
        for (a, b) in back.scenarios.iter().zip(&report.scenarios) {
            assert_eq!((&a.id, a.outcome), (&b.id, b.outcome));
        }
    }

    #[test]
    fn outcomes_are_kebab_case() {
        let text = render(&sample("minio")).expect("render");
        for outcome in Outcome::ALL {
            assert!(text.contains(&format!("\"outcome\": \"{}\"", outcome.as_str())), "{}", outcome.as_str());
        }
        assert!(text.ends_with("}\n"));
    }

    #[test]
    fn ignores_unknown_fields() {
        let mut value: serde_json::Value = serde_json::from_str(&render(&sample("minio")).expect("render")).unwrap();
        value["added_later"] = serde_json::json!({"x": 1});
        value["scenarios"][0]["added_later"] = serde_json::json!(true);
        let report = parse(&value.to_string()).expect("parse with extra fields");
        assert_eq!(report.endpoint.name, "minio");
    }
}
