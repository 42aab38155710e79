//! Bucket policies: parsed with s3s-policy, evaluated for the requests the reference server guards.
//!
//! The reference server has one account, the bucket owner, who is allowed everything a policy does
//! not deny. So evaluation looks for a matching `Deny` statement (explicit deny wins, as in IAM). A
//! statement matches when its action, resource and every condition match; principals are not
//! distinguished (every request comes from the owner). Supported condition operators: `Null`,
//! `StringEquals`, `StringNotEquals`, `StringEqualsIgnoreCase`, `StringNotEqualsIgnoreCase`,
//! `StringLike`, `StringNotLike`; any other is refused when the policy is put (`MalformedPolicy`),
//! so a policy is never silently weaker than written.

use std::collections::BTreeMap;

use s3s_policy::model::{ActionRule, ConditionRule, Effect, OneOrMore, Policy, ResourceRule, WildcardOneOrMore};
use s3s_policy::pattern::PatternSet;

/// The policy condition key of the SSE-C algorithm.
const SSE_C_ALGORITHM_KEY: &str = "s3:x-amz-server-side-encryption-customer-algorithm";
/// The policy condition key of SSE-S3/SSE-KMS.
const SSE_KEY: &str = "s3:x-amz-server-side-encryption";

const OPERATORS: [&str; 7] = [
    "Null",
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
];

/// A request as policy evaluation sees it.
#[derive(Debug)]
pub(super) struct Request<'a> {
    /// `s3:PutObject`, …
    pub action: &'a str,
    /// `arn:aws:s3:::bucket/key`
    pub resource: String,
    /// Condition keys present in the request (lower-case names), e.g.
    /// `s3:x-amz-server-side-encryption-customer-algorithm`.
    pub context: BTreeMap<String, String>,
}

/// Parses and checks a policy document; the error is the `MalformedPolicy` message.
pub(super) fn parse(text: &str) -> Result<Policy, String> {
    let policy: Policy =
        serde_json::from_str(text).map_err(|e| format!("Policy has invalid resource or syntax: {e}"))?;
    for st in policy.statement.as_slice() {
        for op in st.condition.iter().flat_map(|c| c.0.keys()) {
            if !OPERATORS.contains(&op.as_str()) {
                return Err(format!("Policy has an unsupported condition operator: {op}"));
            }
        }
    }
    Ok(policy)
}

fn patterns_match(rule: &WildcardOneOrMore<String>, value: &str, case_insensitive: bool) -> bool {
    let items: &[String] = match rule {
        WildcardOneOrMore::Wildcard => return true,
        WildcardOneOrMore::One(one) => std::slice::from_ref(one),
        WildcardOneOrMore::More(v) => v,
    };
    let fold = |s: &str| if case_insensitive { s.to_ascii_lowercase() } else { s.to_owned() };
    let folded: Vec<String> = items.iter().map(|s| fold(s)).collect();
    PatternSet::new(folded.iter().map(String::as_str)).is_ok_and(|p| p.is_match(&fold(value)))
}

fn values(v: &OneOrMore<String>) -> &[String] {
    v.as_slice()
}

fn condition_holds(op: &str, key: &str, wanted: &[String], req: &Request<'_>) -> bool {
    let got = req.context.get(&key.to_ascii_lowercase());
    let like = |v: &str| PatternSet::new(wanted.iter().map(String::as_str)).is_ok_and(|p| p.is_match(v));
    match op {
        "Null" => wanted.iter().any(|w| w.eq_ignore_ascii_case("true") == got.is_none()),
        "StringEquals" => got.is_some_and(|g| wanted.iter().any(|w| w == g)),
        "StringEqualsIgnoreCase" => got.is_some_and(|g| wanted.iter().any(|w| w.eq_ignore_ascii_case(g))),
        // IAM: the negated operators also match when the key is absent.
        "StringNotEquals" => got.is_none_or(|g| !wanted.iter().any(|w| w == g)),
        "StringNotEqualsIgnoreCase" => got.is_none_or(|g| !wanted.iter().any(|w| w.eq_ignore_ascii_case(g))),
        "StringLike" => got.is_some_and(|g| like(g)),
        "StringNotLike" => got.is_none_or(|g| !like(g)),
        _ => false,
    }
}

fn conditions_hold(rule: Option<&ConditionRule>, req: &Request<'_>) -> bool {
    rule.is_none_or(|c| {
        c.0.iter().all(|(op, kv)| kv.0.iter().all(|(key, wanted)| condition_holds(op, key, values(wanted), req)))
    })
}

/// Whether `policy` explicitly denies `req`.
#[must_use]
pub(super) fn denies(policy: &Policy, req: &Request<'_>) -> bool {
    policy.statement.as_slice().iter().any(|st| {
        st.effect == Effect::Deny
            && match &st.action {
                ActionRule::Action(a) => patterns_match(a, req.action, true),
                ActionRule::NotAction(a) => !patterns_match(a, req.action, true),
            }
            && match &st.resource {
                ResourceRule::Resource(r) => patterns_match(r, &req.resource, false),
                ResourceRule::NotResource(r) => !patterns_match(r, &req.resource, false),
            }
            && conditions_hold(st.condition.as_ref(), req)
    })
}

/// Whether the bucket policy `text` denies `s3:PutObject` of `bucket/key` to a request that gives
/// this SSE-C algorithm and this `x-amz-server-side-encryption` value (`None` when absent). Both
/// fronts ask this of every write: the S3 write gate and the Swift front. A policy that does not
/// parse denies nothing (it was checked when it was put).
#[must_use]
pub(super) fn denies_put_object(
    text: &str,
    bucket: &str,
    key: &str,
    sse_c_algorithm: Option<&str>,
    sse: Option<&str>,
) -> bool {
    let Ok(policy) = parse(text) else { return false };
    let context = [(SSE_C_ALGORITHM_KEY, sse_c_algorithm), (SSE_KEY, sse)]
        .into_iter()
        .filter_map(|(name, value)| Some((name.to_owned(), value?.to_owned())))
        .collect();
    denies(&policy, &Request { action: "s3:PutObject", resource: format!("arn:aws:s3:::{bucket}/{key}"), context })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALG: &str = SSE_C_ALGORITHM_KEY;

    fn put(alg: Option<&str>) -> Request<'static> {
        let mut context = BTreeMap::new();
        if let Some(a) = alg {
            context.insert(ALG.to_owned(), a.to_owned());
        }
        Request { action: "s3:PutObject", resource: "arn:aws:s3:::b/k".into(), context }
    }

    fn policy(condition: &str) -> Policy {
        parse(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*","Condition":{condition}}}]}}"#
        ))
        .unwrap()
    }

    #[test]
    fn require_and_forbid_sse_c() {
        let require = policy(&format!(r#"{{"Null":{{"{ALG}":"true"}}}}"#));
        assert!(denies(&require, &put(None)));
        assert!(!denies(&require, &put(Some("AES256"))));
        let forbid = policy(&format!(r#"{{"Null":{{"{ALG}":"false"}}}}"#));
        assert!(denies(&forbid, &put(Some("AES256"))));
        assert!(!denies(&forbid, &put(None)));
        let only_aes = policy(&format!(r#"{{"StringNotEquals":{{"{ALG}":"AES256"}}}}"#));
        assert!(denies(&only_aes, &put(Some("AES192"))));
        assert!(!denies(&only_aes, &put(Some("AES256"))));
    }

    #[test]
    fn unknown_operators_are_refused() {
        assert!(parse(r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"x":"1"}}}]}"#).is_err());
    }
}
