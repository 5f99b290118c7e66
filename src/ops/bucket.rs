//! Bucket operations: CreateBucket, DeleteBucket, HeadBucket, ListObjectsV2, DeleteObjects.

use aws_sdk_s3::types::{
    BucketLocationConstraint, ChecksumAlgorithm, CreateBucketConfiguration, Delete,
    ObjectIdentifier,
};

use super::{bucket, finish, push_bool, push_int, push_str, push_time, send, Ctx, Output};
use crate::error::{Error, Result};
use crate::params::Params;
use crate::value::{field, Fields, Value};

pub async fn create_bucket(ctx: &Ctx, p: &Params) -> Result<Output> {
    let configuration = match p.get("CreateBucketConfiguration") {
        Some(Value::Struct(c)) => Some(
            CreateBucketConfiguration::builder()
                .set_location_constraint(
                    field(c, "LocationConstraint")
                        .and_then(Value::as_str)
                        .map(BucketLocationConstraint::from),
                )
                .build(),
        ),
        _ => None,
    };
    let fluent = ctx
        .s3
        .create_bucket()
        .bucket(bucket(p))
        .set_create_bucket_configuration(configuration);
    let (_, seen) = send!(ctx, p, &[], fluent)?;
    Ok(finish(p.op, seen, Fields::new(), ctx.max_attempts))
}

pub async fn delete_bucket(ctx: &Ctx, p: &Params) -> Result<Output> {
    let fluent = ctx.s3.delete_bucket().bucket(bucket(p));
    let (_, seen) = send!(ctx, p, &[], fluent)?;
    Ok(finish(p.op, seen, Fields::new(), ctx.max_attempts))
}

pub async fn head_bucket(ctx: &Ctx, p: &Params) -> Result<Output> {
    let fluent = ctx.s3.head_bucket().bucket(bucket(p));
    let (_, seen) = send!(ctx, p, &[], fluent)?;
    Ok(finish(p.op, seen, Fields::new(), ctx.max_attempts))
}

/// botocore's `unquote_str` for keys it asked S3 to url-encode.
pub fn unquote(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let hex = |b: u8| (b as char).to_digit(16);
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// ListObjectsV2. With `decode_keys`, s3seal asked for `EncodingType=url` on the caller's
/// behalf (as botocore does) and decodes the keys back.
pub async fn list_objects_v2(ctx: &Ctx, p: &Params, decode_keys: bool) -> Result<Output> {
    let fluent = ctx.s3.list_objects_v2().bucket(bucket(p));
    let (out, seen) = send!(ctx, p, &[], fluent)?;
    let decode = |s: Option<&str>| -> Option<String> {
        s.map(|s| {
            if decode_keys {
                unquote(s)
            } else {
                s.to_owned()
            }
        })
    };
    let mut body = Fields::new();
    push_bool(&mut body, "IsTruncated", out.is_truncated());
    if !out.contents().is_empty() {
        let contents = out
            .contents()
            .iter()
            .map(|o| {
                let mut f = Fields::new();
                push_str(&mut f, "Key", decode(o.key()).as_deref());
                push_time(&mut f, "LastModified", o.last_modified());
                push_str(&mut f, "ETag", o.e_tag());
                if !o.checksum_algorithm().is_empty() {
                    let algos = o
                        .checksum_algorithm()
                        .iter()
                        .map(|a| Value::Str(a.as_str().to_owned()))
                        .collect();
                    f.push(("ChecksumAlgorithm", Value::List(algos)));
                }
                push_str(
                    &mut f,
                    "ChecksumType",
                    o.checksum_type().map(|c| c.as_str()),
                );
                push_int(&mut f, "Size", o.size());
                push_str(
                    &mut f,
                    "StorageClass",
                    o.storage_class().map(|c| c.as_str()),
                );
                if let Some(owner) = o.owner() {
                    let mut of = Fields::new();
                    push_str(&mut of, "DisplayName", owner.display_name());
                    push_str(&mut of, "ID", owner.id());
                    f.push(("Owner", Value::Struct(of)));
                }
                Value::Struct(f)
            })
            .collect();
        body.push(("Contents", Value::List(contents)));
    }
    push_str(&mut body, "Name", out.name());
    push_str(&mut body, "Prefix", decode(out.prefix()).as_deref());
    push_str(&mut body, "Delimiter", decode(out.delimiter()).as_deref());
    push_int(&mut body, "MaxKeys", out.max_keys().map(i64::from));
    if !out.common_prefixes().is_empty() {
        let prefixes = out
            .common_prefixes()
            .iter()
            .map(|c| {
                let mut f = Fields::new();
                push_str(&mut f, "Prefix", decode(c.prefix()).as_deref());
                Value::Struct(f)
            })
            .collect();
        body.push(("CommonPrefixes", Value::List(prefixes)));
    }
    push_str(
        &mut body,
        "EncodingType",
        out.encoding_type().map(|e| e.as_str()),
    );
    push_int(&mut body, "KeyCount", out.key_count().map(i64::from));
    push_str(&mut body, "ContinuationToken", out.continuation_token());
    push_str(
        &mut body,
        "NextContinuationToken",
        out.next_continuation_token(),
    );
    push_str(
        &mut body,
        "StartAfter",
        decode(out.start_after()).as_deref(),
    );
    Ok(finish(p.op, seen, body, ctx.max_attempts))
}

fn delete_request(p: &Params) -> Result<Delete> {
    let Some(Value::Struct(delete)) = p.get("Delete") else {
        return Err(Error::Internal(
            "Delete was validated as a structure".into(),
        ));
    };
    let objects = match field(delete, "Objects") {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|item| match item {
                Value::Struct(f) => Some(
                    ObjectIdentifier::builder()
                        .set_key(field(f, "Key").and_then(Value::as_str).map(str::to_owned))
                        .set_version_id(
                            field(f, "VersionId")
                                .and_then(Value::as_str)
                                .map(str::to_owned),
                        )
                        .set_e_tag(field(f, "ETag").and_then(Value::as_str).map(str::to_owned))
                        .build(),
                ),
                _ => None,
            })
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::ParamValidation(e.to_string()))?,
        _ => Vec::new(),
    };
    let quiet = match field(delete, "Quiet") {
        Some(Value::Bool(b)) => Some(*b),
        _ => None,
    };
    Delete::builder()
        .set_objects(Some(objects))
        .set_quiet(quiet)
        .build()
        .map_err(|e| Error::ParamValidation(e.to_string()))
}

pub async fn delete_objects(ctx: &Ctx, p: &Params) -> Result<Output> {
    let fluent = ctx
        .s3
        .delete_objects()
        .bucket(bucket(p))
        .delete(delete_request(p)?)
        .set_checksum_algorithm(p.str("ChecksumAlgorithm").map(ChecksumAlgorithm::from));
    let (out, seen) = send!(ctx, p, &["ChecksumAlgorithm"], fluent)?;
    let mut body = Fields::new();
    if !out.deleted().is_empty() {
        let deleted = out
            .deleted()
            .iter()
            .map(|d| {
                let mut f = Fields::new();
                push_str(&mut f, "Key", d.key());
                push_str(&mut f, "VersionId", d.version_id());
                push_bool(&mut f, "DeleteMarker", d.delete_marker());
                push_str(
                    &mut f,
                    "DeleteMarkerVersionId",
                    d.delete_marker_version_id(),
                );
                Value::Struct(f)
            })
            .collect();
        body.push(("Deleted", Value::List(deleted)));
    }
    if !out.errors().is_empty() {
        let errors = out
            .errors()
            .iter()
            .map(|e| {
                let mut f = Fields::new();
                push_str(&mut f, "Key", e.key());
                push_str(&mut f, "VersionId", e.version_id());
                push_str(&mut f, "Code", e.code());
                push_str(&mut f, "Message", e.message());
                Value::Struct(f)
            })
            .collect();
        body.push(("Errors", Value::List(errors)));
    }
    Ok(finish(p.op, seen, body, ctx.max_attempts))
}

#[cfg(test)]
mod tests {
    use super::unquote;

    #[test]
    fn unquotes_like_botocore() {
        assert_eq!(unquote("a%20b%2Fc+d"), "a b/c d");
        assert_eq!(unquote("%E2%9C%93"), "✓");
        assert_eq!(unquote("100%"), "100%");
    }
}
