//! The scenario × endpoint matrix shared by the HTML and Markdown renderers: one column per
//! report, one row per scenario id found in any report, rows grouped by area.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::model::{Report, ScenarioReport};

/// Every scenario of every report, laid out as a matrix.
pub(super) struct Matrix<'a> {
    /// One column per report, in the order given.
    pub columns: Vec<Column<'a>>,
    /// Areas in name order, each with its rows in id order.
    pub areas: Vec<Area<'a>>,
}

/// One report's column.
pub(super) struct Column<'a> {
    /// The endpoint name, made unique among the columns (`name (2)` for a repeat).
    pub label: String,
    /// The report.
    pub report: &'a Report,
}

/// The rows of one area.
pub(super) struct Area<'a> {
    /// The area name.
    pub name: &'a str,
    /// Its scenarios, in id order.
    pub rows: Vec<Row<'a>>,
}

/// One scenario across all columns.
pub(super) struct Row<'a> {
    /// The scenario's first appearance, for its id, title, cases and level.
    pub scenario: &'a ScenarioReport,
    /// The scenario in each column (`None` where that report lacks it).
    pub cells: Vec<Option<&'a ScenarioReport>>,
}

impl<'a> Matrix<'a> {
    /// Lays out `reports`.
    pub(super) fn new(reports: &'a [Report]) -> Self {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut taken: HashSet<String> = HashSet::new();
        let columns = reports
            .iter()
            .map(|report| {
                let name = report.endpoint.name.as_str();
                let mut n = *seen.entry(name).and_modify(|n| *n += 1).or_insert(1);
                let mut label = if n == 1 { name.to_owned() } else { format!("{name} ({n})") };
                while !taken.insert(label.clone()) {
                    n += 1;
                    label = format!("{name} ({n})");
                }
                Column { label, report }
            })
            .collect();

        let mut rows: BTreeMap<(&str, &str), Row<'a>> = BTreeMap::new();
        for (i, report) in reports.iter().enumerate() {
            for scenario in &report.scenarios {
                let row = rows
                    .entry((scenario.area.as_str(), scenario.id.as_str()))
                    .or_insert_with(|| Row { scenario, cells: vec![None; reports.len()] });
                row.cells[i] = Some(scenario);
            }
        }
        let mut areas: Vec<Area<'a>> = Vec::new();
        for ((area, _), row) in rows {
            match areas.last_mut() {
                Some(last) if last.name == area => last.rows.push(row),
                _ => areas.push(Area { name: area, rows: vec![row] }),
            }
        }
        Matrix { columns, areas }
    }
}

/// The anchor of a scenario's detail in a column: `<label>-<id>`, with every character other
/// than ASCII letters, digits, `-`, `_`, `.` and `/` replaced by `_` so it is a valid id and
/// URL fragment.
pub(super) fn anchor(label: &str, id: &str) -> String {
    format!("{label}-{id}")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/') { c } else { '_' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::model::Outcome;
    use super::super::testdata::{sample, scenario};
    use super::*;

    #[test]
    fn groups_by_area_and_unions_scenarios() {
        let a = sample("minio");
        let mut b = sample("minio");
        b.scenarios.push(scenario("aaa/001-only-here", Outcome::Pass, None));
        let reports = [a, b];
        let m = Matrix::new(&reports);
        let labels: Vec<&str> = m.columns.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["minio", "minio (2)"]);
        let areas: Vec<&str> = m.areas.iter().map(|a| a.name).collect();
        assert_eq!(areas, ["aaa", "basic", "copy", "errors", "multipart"]);
        assert!(m.areas[0].rows[0].cells[0].is_none());
        assert!(m.areas[0].rows[0].cells[1].is_some());
        assert_eq!(m.areas[1].rows.len(), 3);
    }

    #[test]
    fn anchors_are_fragment_safe() {
        assert_eq!(anchor("my ep", "basic/001-a"), "my_ep-basic/001-a");
        assert_eq!(anchor("x\"<y", "a/b"), "x__y-a/b");
    }
}
