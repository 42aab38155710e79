//! Conditional requests: the `If-*` headers of GetObject and HeadObject, the
//! `x-amz-copy-source-if-*` headers of copies, and `If-Match`/`If-None-Match` on writes (PutObject,
//! CompleteMultipartUpload), each evaluated in RFC 9110 §13.2.2 order.
//!
//! Callers evaluate them only after the SSE-C checks (catalogue B.4; V1–V4: AWS's order was not
//! observed). So a 304 or 412 never answers a request that could not have read or written the object,
//! and a precondition never confirms a guessed ETag or date to a caller without the key.

use http::HeaderMap;
use s3s::dto::{ETagCondition, Timestamp};
use s3s::{S3Error, S3Result};

use crate::server::error::s3_error;
use crate::server::store::Store;

/// The preconditions of one request.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Conditions<'a> {
    /// `If-Match` (or `x-amz-copy-source-if-match`).
    pub(super) if_match: Option<&'a ETagCondition>,
    /// `If-None-Match` (or `x-amz-copy-source-if-none-match`).
    pub(super) if_none_match: Option<&'a ETagCondition>,
    /// `If-Modified-Since` (or `x-amz-copy-source-if-modified-since`).
    pub(super) if_modified_since: Option<&'a Timestamp>,
    /// `If-Unmodified-Since` (or `x-amz-copy-source-if-unmodified-since`).
    pub(super) if_unmodified_since: Option<&'a Timestamp>,
}

/// What the object looks like to the conditions.
#[derive(Debug, Clone, Copy)]
pub(super) struct Current<'a> {
    /// Its ETag, unquoted.
    pub(super) etag: &'a str,
    /// Its Last-Modified, in milliseconds since the epoch.
    pub(super) last_modified_ms: i64,
}

fn matches(cond: &ETagCondition, etag: &str) -> bool {
    match cond {
        ETagCondition::Any => true,
        ETagCondition::ETag(e) => e.value() == etag,
    }
}

/// Seconds since the epoch: HTTP dates have no finer resolution, so Last-Modified is compared in
/// whole seconds.
fn seconds(t: &Timestamp) -> i64 {
    time::OffsetDateTime::from(t.clone()).unix_timestamp()
}

/// 412 PreconditionFailed.
pub(super) fn precondition_failed() -> S3Error {
    s3_error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
}

fn not_modified(etag: &str) -> S3Error {
    let mut e = s3_error(304, "NotModified", "Not Modified");
    let mut h = HeaderMap::new();
    if let Ok(v) = http::HeaderValue::from_str(&format!("\"{etag}\"")) {
        h.insert(http::header::ETAG, v);
    }
    e.set_headers(h);
    e
}

/// Which answer a failed condition gets.
enum Outcome {
    /// `If-Match` or `If-Unmodified-Since` failed.
    Failed,
    /// `If-None-Match` or `If-Modified-Since` failed.
    NotModified,
}

impl Conditions<'_> {
    /// RFC 9110 §13.2.2: `If-Match`, else `If-Unmodified-Since`; then `If-None-Match`, else
    /// `If-Modified-Since`.
    fn evaluate(&self, current: Current<'_>) -> Option<Outcome> {
        let modified = current.last_modified_ms.div_euclid(1000);
        match (self.if_match, self.if_unmodified_since) {
            (Some(c), _) if !matches(c, current.etag) => return Some(Outcome::Failed),
            (None, Some(t)) if modified > seconds(t) => return Some(Outcome::Failed),
            _ => {}
        }
        match (self.if_none_match, self.if_modified_since) {
            (Some(c), _) if matches(c, current.etag) => Some(Outcome::NotModified),
            (None, Some(t)) if modified <= seconds(t) => Some(Outcome::NotModified),
            _ => None,
        }
    }

    /// GetObject and HeadObject: 412 PreconditionFailed, or 304 Not Modified.
    pub(super) fn check_read(&self, current: Current<'_>) -> S3Result<()> {
        match self.evaluate(current) {
            None => Ok(()),
            Some(Outcome::Failed) => Err(precondition_failed()),
            Some(Outcome::NotModified) => Err(not_modified(current.etag)),
        }
    }

    /// A copy source: any condition that does not hold is 412 PreconditionFailed (CopyObject and
    /// UploadPartCopy never answer 304).
    pub(super) fn check_copy_source(&self, current: Current<'_>) -> S3Result<()> {
        self.evaluate(current).map_or(Ok(()), |_| Err(precondition_failed()))
    }

    /// A write (PutObject, CompleteMultipartUpload) over `current`, the object's current version if
    /// any: `If-None-Match: *` fails on an existing object, `If-Match` fails on another ETag and answers
    /// 404 NoSuchKey when there is no object.
    pub(super) fn check_write(&self, current: Option<&str>) -> S3Result<()> {
        if let Some(cond) = self.if_match {
            let etag = current.ok_or_else(crate::server::error::no_such_key)?;
            if !matches(cond, etag) {
                return Err(precondition_failed());
            }
        }
        if let (Some(cond), Some(etag)) = (self.if_none_match, current)
            && matches(cond, etag)
        {
            return Err(precondition_failed());
        }
        Ok(())
    }
}

/// The ETag of `bucket/key`'s current version, for the conditions of a write over it; none when
/// there is no object or its current version is a delete marker.
#[must_use]
pub(super) fn current_etag(store: &Store, bucket: &str, key: &str) -> Option<String> {
    store.get(bucket, key, None).ok().flatten().filter(|o| !o.meta.delete_marker).map(|o| o.meta.etag.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(secs: i64) -> Timestamp {
        Timestamp::from(time::OffsetDateTime::from_unix_timestamp(secs).unwrap())
    }

    fn status(r: S3Result<()>) -> Option<u16> {
        r.err().and_then(|e| e.status_code()).map(|s| s.as_u16())
    }

    const NOW: Current<'static> = Current { etag: "abc", last_modified_ms: 1_000_500 };

    #[test]
    fn dates_compare_in_whole_seconds() {
        let at = ts(1000);
        let same = Conditions { if_modified_since: Some(&at), ..Default::default() };
        assert_eq!(status(same.check_read(NOW)), Some(304));
        let unmodified = Conditions { if_unmodified_since: Some(&at), ..Default::default() };
        assert_eq!(status(unmodified.check_read(NOW)), None);
        let earlier = ts(999);
        let unmodified = Conditions { if_unmodified_since: Some(&earlier), ..Default::default() };
        assert_eq!(status(unmodified.check_read(NOW)), Some(412));
        assert_eq!(status(unmodified.check_copy_source(NOW)), Some(412));
    }

    #[test]
    fn etag_conditions_take_precedence_over_dates() {
        let early = ts(0);
        let tag = ETagCondition::ETag(s3s::dto::ETag::Strong("abc".into()));
        let both = Conditions { if_match: Some(&tag), if_unmodified_since: Some(&early), ..Default::default() };
        assert_eq!(status(both.check_read(NOW)), None);
        let late = ts(2000);
        let other = ETagCondition::ETag(s3s::dto::ETag::Strong("zzz".into()));
        let none = Conditions { if_none_match: Some(&other), if_modified_since: Some(&late), ..Default::default() };
        assert_eq!(status(none.check_read(NOW)), None);
        assert_eq!(status(none.check_copy_source(NOW)), None);
    }

    #[test]
    fn writes_fail_on_existing_objects_and_missing_ones_for_if_match() {
        let any = ETagCondition::Any;
        let create_only = Conditions { if_none_match: Some(&any), ..Default::default() };
        assert_eq!(status(create_only.check_write(Some("abc"))), Some(412));
        assert_eq!(status(create_only.check_write(None)), None);
        let tag = ETagCondition::ETag(s3s::dto::ETag::Strong("abc".into()));
        let replace = Conditions { if_match: Some(&tag), ..Default::default() };
        assert_eq!(status(replace.check_write(Some("abc"))), None);
        assert_eq!(status(replace.check_write(Some("other"))), Some(412));
        assert_eq!(status(replace.check_write(None)), Some(404));
    }
}
