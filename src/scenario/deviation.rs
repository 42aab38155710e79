//! A step's deviations from AWS, each named by a signature that is the same for the same deviation
//! in every scenario and every run, so that reports can group them into findings.

use super::check::{Violation, restated_by};
use super::grade::{Field, Mismatch, Severity};
use super::judge::Judge;
use super::model::{Expect, Level, Scenario};
use crate::client::Response;
use crate::client::xml::error_body;
use crate::report::model::{Deviation, FindingSeverity};

/// `403 AccessDenied`, or `200` when there is no code.
fn answer(status: u16, code: Option<&str>) -> String {
    match code {
        Some(code) => format!("{status} {code}"),
        None => status.to_string(),
    }
}

/// One answer judged: what counts for its grade, what its transcript says, and how it deviated.
#[derive(Debug)]
pub struct Assessed {
    /// The mismatches that grade the step: all but those a waived check covers.
    pub graded: Vec<Mismatch>,
    /// Every mismatch and waived check, one line each, for the transcript.
    pub lines: Vec<String>,
    /// The step's deviations: its own mismatches (not at `info` level, where AWS's answer is
    /// unknown), and one per check that fired.
    pub deviations: Vec<Deviation>,
    /// The checks that fired and are not waived: they fail the scenario.
    pub violations: Vec<Violation>,
}

/// Judges one answer: its mismatches against `expect` and the automatic checks that fired on it.
///
/// An expectation that restates a check that fired (an ETag that must not be the plaintext's MD5,
/// an SSE-C echo header) belongs to that check's finding rather than to a finding of its own, and
/// a waiver of the check covers it: one deviation, waived once, hides nothing else.
#[must_use]
pub fn assess(
    operation: &str,
    scenario: &Scenario,
    expect: &Expect,
    resp: &Response,
    mismatches: Vec<Mismatch>,
    violations: Vec<Violation>,
    judge: &Judge,
) -> Assessed {
    let restated = |m: &Mismatch| restated_by(&m.field).filter(|c| violations.iter().any(|v| v.check == *c));
    let mut lines = Vec::new();
    let mut own = Vec::new();
    let mut graded = Vec::new();
    for m in mismatches {
        match restated(&m) {
            Some(check) if judge.waiver(check).is_some() => {
                lines.push(format!("{} (check {check} waived by the profile)", m.text));
            }
            Some(_) => {
                lines.push(m.text.clone());
                graded.push(m);
            }
            None => {
                lines.push(m.text.clone());
                own.push(m.clone());
                graded.push(m);
            }
        }
    }
    let mut deviations = Vec::new();
    if scenario.level != Level::Info {
        let failing = own.iter().any(|m| m.severity == Severity::Hard);
        let own: Vec<&Mismatch> = own.iter().collect();
        deviations.extend(of_mismatches(operation, &scenario.cases, expect, resp, &own, failing));
    }
    let mut unwaived = Vec::new();
    for v in violations {
        let waived = judge.waiver(v.check);
        deviations.push(of_violation(operation, &v, waived));
        match waived {
            Some(_) => lines.push(format!("{} (check {} waived by the profile)", v.text, v.check)),
            None => unwaived.push(v),
        }
    }
    Assessed { graded, lines, deviations, violations: unwaived }
}

/// The deviation of a step whose answer did not meet `expect`, if any mismatched.
///
/// A different status or code is named by both answers (`get: 403 AccessDenied → 400
/// InvalidRequest`); otherwise by the fields that differed (`copy: 200, header
/// x-amz-copy-source-version-id missing`). The signature leaves the catalogue cases out, so the
/// same deviation groups across the scenarios that show it; the deviation carries them. A request
/// AWS refuses that the endpoint accepts is a security finding; one whose only difference is the
/// error message is cosmetic. `failing` says whether the mismatches fail the scenario (rather
/// than make it non-strict).
#[must_use]
pub fn of_mismatches(
    operation: &str,
    cases: &[String],
    expect: &Expect,
    resp: &Response,
    mismatches: &[&Mismatch],
    failing: bool,
) -> Option<Deviation> {
    if mismatches.is_empty() {
        return None;
    }
    let aws = answer(expect.status, expect.code.as_deref());
    let answered = mismatches.iter().any(|m| matches!(m.field, Field::Status | Field::Code));
    let signature = if answered {
        let code = error_body(&resp.body).code;
        format!("{operation}: {aws} → {}", answer(resp.status, code.as_deref()))
    } else {
        let mut fields: Vec<String> = Vec::new();
        for m in mismatches {
            let field = m.field.to_string();
            if !fields.contains(&field) {
                fields.push(field);
            }
        }
        format!("{operation}: {aws}, {}", fields.join(", "))
    };
    let fail_open = expect.status >= 400 && (200..300).contains(&resp.status);
    let severity = if fail_open {
        FindingSeverity::Security
    } else if mismatches.iter().all(|m| m.field == Field::Message) {
        FindingSeverity::Cosmetic
    } else {
        FindingSeverity::Conformance
    };
    Some(Deviation { signature, severity, check: None, cases: cases.to_vec(), failing, known: None })
}

/// The deviation of a step that got no answer at all.
#[must_use]
pub fn of_no_answer(operation: &str, cases: &[String], expect: &Expect) -> Deviation {
    let aws = answer(expect.status, expect.code.as_deref());
    Deviation {
        signature: format!("{operation}: {aws} → no answer"),
        severity: FindingSeverity::Conformance,
        check: None,
        cases: cases.to_vec(),
        failing: true,
        known: None,
    }
}

/// The deviation an automatic check found on a step (`check etag-not-plaintext-md5 on put`),
/// known (and not failing) when the profile waives the check.
#[must_use]
pub fn of_violation(operation: &str, v: &Violation, waived: Option<&str>) -> Deviation {
    Deviation {
        signature: format!("check {} on {operation}", v.check),
        severity: v.check.severity(),
        check: Some(v.check.name().to_owned()),
        cases: vec![v.check.case().to_owned()],
        failing: waived.is_none(),
        known: waived.map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::super::check::Check;
    use super::super::grade::{HeaderFault, Severity};
    use super::*;

    fn expect(status: u16, code: Option<&str>) -> Expect {
        serde_json::from_value(serde_json::json!({ "status": status, "code": code })).unwrap()
    }

    fn response(status: u16, body: &str) -> Response {
        Response { status, headers: vec![], body: bytes::Bytes::from(body.to_owned()) }
    }

    fn mismatch(field: Field) -> Mismatch {
        Mismatch {
            severity: Severity::Hard,
            field,
            expected: "e".into(),
            observed: "o".into(),
            text: "values that change from run to run".into(),
        }
    }

    const DENIED: &str = "<Error><Code>InvalidRequest</Code><Message>nope</Message></Error>";

    #[test]
    fn a_different_answer_is_named_by_both_answers() {
        let cases = vec!["G3".to_owned()];
        let d = of_mismatches(
            "get",
            &cases,
            &expect(403, Some("AccessDenied")),
            &response(400, DENIED),
            &[&mismatch(Field::Status), &mismatch(Field::Code), &mismatch(Field::Message)],
            true,
        )
        .unwrap();
        assert_eq!(d.signature, "get: 403 AccessDenied → 400 InvalidRequest");
        assert!(d.failing);
        assert_eq!(d.severity, FindingSeverity::Conformance);
        assert_eq!(d.cases, cases);
    }

    #[test]
    fn accepting_what_aws_refuses_is_a_security_finding() {
        let status = mismatch(Field::Status);
        let d = of_mismatches("get", &[], &expect(403, Some("AccessDenied")), &response(200, ""), &[&status], true)
            .unwrap();
        assert_eq!(d.signature, "get: 403 AccessDenied → 200");
        assert_eq!(d.severity, FindingSeverity::Security);
    }

    #[test]
    fn the_same_answer_with_other_details_is_named_by_fields() {
        let header = Field::Header("x-amz-server-side-encryption-customer-algorithm".into(), HeaderFault::Missing);
        let cases = vec!["P1".to_owned(), "G1".to_owned()];
        let mismatches = [mismatch(header.clone()), mismatch(Field::Body), mismatch(header)];
        let d = of_mismatches(
            "put",
            &cases,
            &expect(200, None),
            &response(200, ""),
            &mismatches.iter().collect::<Vec<_>>(),
            true,
        )
        .unwrap();
        assert_eq!(
            d.signature,
            "put: 200, header x-amz-server-side-encryption-customer-algorithm missing, body differs"
        );
        assert_eq!(d.cases, cases, "the cases travel with the deviation, outside its signature");
        assert_eq!(d.severity, FindingSeverity::Conformance);
    }

    #[test]
    fn a_message_alone_is_cosmetic() {
        let message = mismatch(Field::Message);
        let d =
            of_mismatches("get", &[], &expect(400, Some("InvalidRequest")), &response(400, DENIED), &[&message], false)
                .unwrap();
        assert_eq!(d.signature, "get: 400 InvalidRequest, message differs");
        assert_eq!((d.severity, d.failing), (FindingSeverity::Cosmetic, false));
        assert!(of_mismatches("get", &[], &expect(200, None), &response(200, ""), &[], false).is_none());
    }

    #[test]
    fn a_check_is_named_by_check_and_operation() {
        let v = Violation { check: Check::EtagNotPlaintextMd5, text: "t".into() };
        let d = of_violation("put", &v, Some("known"));
        assert_eq!(d.signature, "check etag-not-plaintext-md5 on put");
        assert_eq!(
            (d.severity, d.check.as_deref(), d.known.as_deref()),
            (FindingSeverity::Security, Some("etag-not-plaintext-md5"), Some("known"))
        );
        assert!(!d.failing, "a waived check fails nothing");
        assert!(of_violation("put", &v, None).failing);
        assert_eq!(d.cases, ["D.4"]);
    }
}
