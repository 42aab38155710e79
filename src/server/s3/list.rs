//! ListObjectsV2 and ListObjects (V1): sizes are plaintext sizes, and no key material appears
//! (catalogue L1).

use std::collections::BTreeSet;

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use crate::server::error::{bucket_error, s3_error};
use crate::server::store::Store;

/// The owner reported in listings: the single account of the reference server.
pub(super) fn owner() -> Owner {
    Owner { display_name: Some("ssec-conform".into()), id: Some("ssec-conform".into()) }
}

/// A listing timestamp from milliseconds since the epoch.
pub(super) fn timestamp(ms: i64) -> Timestamp {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    Timestamp::from(t)
}

pub(super) fn list_objects_v2(
    store: &Store,
    req: S3Request<ListObjectsV2Input>,
) -> S3Result<S3Response<ListObjectsV2Output>> {
    let input = req.input;
    let max_keys = input.max_keys.unwrap_or(1000);
    if max_keys < 0 {
        return Err(s3_error(400, "InvalidArgument", "max-keys must be non-negative"));
    }
    let limit = usize::try_from(max_keys).unwrap_or(1000).min(1000);
    let prefix = input.prefix.clone().unwrap_or_default();
    let delimiter = input.delimiter.clone().filter(|d| !d.is_empty());
    let start = match (&input.continuation_token, &input.start_after) {
        (Some(token), _) => {
            Some(String::from_utf8(hex::decode(token).map_err(|_| invalid_token())?).map_err(|_| invalid_token())?)
        }
        (None, after) => after.clone(),
    };
    let candidates = store.list(&input.bucket, &prefix, start.as_deref()).map_err(bucket_error)?;

    let mut contents = Vec::new();
    let mut prefixes = BTreeSet::new();
    let mut last_key = None;
    let mut truncated = false;
    for obj in candidates {
        let key = &obj.meta.key;
        if let Some(d) = &delimiter
            && let Some(pos) = key[prefix.len()..].find(d.as_str())
        {
            let common = key[..prefix.len() + pos + d.len()].to_owned();
            if start.as_deref().is_some_and(|s| s.starts_with(&common)) || prefixes.contains(&common) {
                continue;
            }
            if contents.len() + prefixes.len() == limit {
                truncated = true;
                break;
            }
            last_key = Some(common.clone());
            prefixes.insert(common);
            continue;
        }
        if contents.len() + prefixes.len() == limit {
            truncated = true;
            break;
        }
        last_key = Some(key.clone());
        contents.push(Object {
            key: Some(key.clone()),
            size: Some(i64::try_from(obj.meta.size).unwrap_or(i64::MAX)),
            e_tag: Some(ETag::Strong(obj.meta.etag.clone())),
            last_modified: Some(timestamp(obj.meta.last_modified_ms)),
            storage_class: Some(ObjectStorageClass::from_static(ObjectStorageClass::STANDARD)),
            ..Default::default()
        });
    }
    let key_count = i32::try_from(contents.len() + prefixes.len()).unwrap_or(i32::MAX);
    let output = ListObjectsV2Output {
        name: Some(input.bucket),
        prefix: Some(prefix),
        delimiter,
        max_keys: Some(max_keys),
        key_count: Some(key_count),
        is_truncated: Some(truncated),
        continuation_token: input.continuation_token,
        next_continuation_token: truncated.then(|| last_key.map(hex::encode)).flatten(),
        start_after: input.start_after,
        contents: Some(contents),
        common_prefixes: Some(prefixes.into_iter().map(|p| CommonPrefix { prefix: Some(p) }).collect()),
        ..Default::default()
    };
    Ok(S3Response::new(output))
}

/// ListObjects (V1): the V2 listing from `marker`, with V1's `Marker` and `NextMarker`.
pub(crate) fn list_objects(store: &Store, req: S3Request<ListObjectsInput>) -> S3Result<S3Response<ListObjectsOutput>> {
    let marker = req.input.marker.clone();
    let v2 = list_objects_v2(
        store,
        req.map_input(|i| ListObjectsV2Input {
            bucket: i.bucket,
            delimiter: i.delimiter,
            max_keys: i.max_keys,
            prefix: i.prefix,
            start_after: i.marker,
            ..Default::default()
        }),
    )?
    .output;
    let truncated = v2.is_truncated == Some(true);
    // V1 names the last key (or common prefix) returned only when a delimiter is used.
    let next_marker = (truncated && v2.delimiter.is_some())
        .then(|| v2.next_continuation_token.and_then(|t| String::from_utf8(hex::decode(t).ok()?).ok()))
        .flatten();
    Ok(S3Response::new(ListObjectsOutput {
        name: v2.name,
        prefix: v2.prefix,
        delimiter: v2.delimiter,
        marker: Some(marker.unwrap_or_default()),
        max_keys: v2.max_keys,
        is_truncated: v2.is_truncated,
        contents: v2.contents,
        common_prefixes: v2.common_prefixes,
        next_marker,
        ..Default::default()
    }))
}

fn invalid_token() -> s3s::S3Error {
    s3_error(400, "InvalidArgument", "The continuation token provided is incorrect")
}
