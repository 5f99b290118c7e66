//! Multipart operations: CreateMultipartUpload, UploadPart, UploadPartCopy,
//! CompleteMultipartUpload, AbortMultipartUpload, ListParts, ListMultipartUploads.
//!
//! The `send_*` functions are what the transfer engine calls once per part, with headers
//! serialised once per transfer ([`Prepared`]); the public operations wrap them.

use aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadOutput;
use aws_sdk_s3::operation::upload_part_copy::UploadPartCopyOutput;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart, Initiator, Owner,
};

use super::{
    bucket, finish, push_bool, push_int, push_str, push_time, send, send_prepared, Ctx, Output,
    Prepared,
};
use crate::error::Result;
use crate::hooks::Seen;
use crate::params::Params;
use crate::value::{field, Fields, Value};

fn key(p: &Params) -> String {
    super::placeholder::sdk_key(p.str("Key").unwrap_or_default())
}

fn upload_id(p: &Params) -> String {
    super::placeholder::sdk_upload_id(p.str("UploadId").unwrap_or_default())
}

fn part_number(p: &Params) -> i32 {
    match p.get("PartNumber") {
        Some(Value::Int(n)) => i32::try_from(*n).unwrap_or(i32::MAX),
        _ => 0,
    }
}

fn int(v: Option<&str>) -> Option<i64> {
    v.and_then(|s| s.trim().parse().ok())
}

pub async fn create_multipart_upload(ctx: &Ctx, p: &Params) -> Result<Output> {
    let fluent = ctx
        .s3
        .create_multipart_upload()
        .bucket(bucket(p))
        .key(key(p));
    let (out, seen) = send!(ctx, p, &[], fluent)?;
    let mut body = Fields::new();
    push_str(&mut body, "Bucket", out.bucket());
    push_str(&mut body, "Key", out.key());
    push_str(&mut body, "UploadId", out.upload_id());
    Ok(finish(p.op, seen, body, ctx.max_attempts))
}

/// One UploadPart. `checksum_crc32` (computed by the caller) keeps the SDK from computing
/// its own, which for a streamed body would mean an `aws-chunked` trailer.
pub struct PartRequest<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub upload_id: &'a str,
    pub part_number: i32,
    pub body: ByteStream,
    pub length: i64,
    pub algorithm: Option<ChecksumAlgorithm>,
    pub checksum_crc32: Option<String>,
    pub unsigned_payload: bool,
}

pub async fn send_part(ctx: &Ctx, prepared: &Prepared, r: PartRequest<'_>) -> Result<Seen> {
    let fluent = ctx
        .s3
        .upload_part()
        .bucket(r.bucket)
        .key(super::placeholder::sdk_key(r.key))
        .upload_id(super::placeholder::sdk_upload_id(r.upload_id))
        .part_number(r.part_number)
        .content_length(r.length)
        .body(r.body)
        .set_checksum_algorithm(r.algorithm)
        .set_checksum_crc32(r.checksum_crc32);
    let unsigned = r.unsigned_payload;
    let (_, seen) = send_prepared!(ctx, "UploadPart", prepared, fluent, op => if unsigned {
        op.disable_payload_signing()
    } else {
        op
    })?;
    Ok(seen)
}

/// The members UploadPart's typed builder sets (never serialised generically).
const UPLOAD_PART_TYPED: &[&str] = &[
    "UploadId",
    "PartNumber",
    "Body",
    "ContentLength",
    "ChecksumAlgorithm",
    "ChecksumCRC32",
];

pub async fn upload_part(ctx: &Ctx, p: &Params) -> Result<Output> {
    let body = match p.get("Body") {
        Some(Value::Blob(b)) => b.clone(),
        _ => bytes::Bytes::new(),
    };
    let length = i64::try_from(body.len()).unwrap_or(i64::MAX);
    let request = PartRequest {
        bucket: &bucket(p),
        key: &key(p),
        upload_id: &upload_id(p),
        part_number: part_number(p),
        body: ByteStream::from(body),
        length,
        algorithm: p.str("ChecksumAlgorithm").map(ChecksumAlgorithm::from),
        checksum_crc32: p.string("ChecksumCRC32"),
        unsigned_payload: ctx.unsigned_payload,
    };
    let seen = send_part(ctx, &Prepared::new(p, UPLOAD_PART_TYPED)?, request).await?;
    Ok(finish(p.op, seen, Fields::new(), ctx.max_attempts))
}

/// One UploadPartCopy of `range` (`bytes=a-b`) of the copy source.
pub async fn send_part_copy(
    ctx: &Ctx,
    prepared: &Prepared,
    target: (&str, &str, &str),
    part_number: i32,
    copy_source: &str,
    range: Option<String>,
) -> Result<(UploadPartCopyOutput, Seen)> {
    let (bucket, key, upload_id) = target;
    let fluent = ctx
        .s3
        .upload_part_copy()
        .bucket(bucket)
        .key(super::placeholder::sdk_key(key))
        .upload_id(super::placeholder::sdk_upload_id(upload_id))
        .part_number(part_number)
        .copy_source(copy_source)
        .set_copy_source_range(range);
    send_prepared!(ctx, "UploadPartCopy", prepared, fluent)
}

pub async fn upload_part_copy(ctx: &Ctx, p: &Params) -> Result<Output> {
    let typed = &["UploadId", "PartNumber", "CopySource", "CopySourceRange"];
    let (out, seen) = send_part_copy(
        ctx,
        &Prepared::new(p, typed)?,
        (&bucket(p), &key(p), &upload_id(p)),
        part_number(p),
        p.str("CopySource").unwrap_or_default(),
        p.string("CopySourceRange"),
    )
    .await?;
    let mut body = Fields::new();
    if let Some(r) = out.copy_part_result() {
        let mut result = Fields::new();
        push_str(&mut result, "ETag", r.e_tag());
        push_time(&mut result, "LastModified", r.last_modified());
        push_str(&mut result, "ChecksumCRC32", r.checksum_crc32());
        push_str(&mut result, "ChecksumCRC32C", r.checksum_crc32_c());
        push_str(&mut result, "ChecksumCRC64NVME", r.checksum_crc64_nvme());
        push_str(&mut result, "ChecksumSHA1", r.checksum_sha1());
        push_str(&mut result, "ChecksumSHA256", r.checksum_sha256());
        body.push(("CopyPartResult", Value::Struct(result)));
    }
    Ok(finish(p.op, seen, body, ctx.max_attempts))
}

pub async fn send_complete(
    ctx: &Ctx,
    prepared: &Prepared,
    target: (&str, &str, &str),
    parts: Vec<CompletedPart>,
) -> Result<(CompleteMultipartUploadOutput, Seen)> {
    let (bucket, key, upload_id) = target;
    let fluent = ctx
        .s3
        .complete_multipart_upload()
        .bucket(bucket)
        .key(super::placeholder::sdk_key(key))
        .upload_id(super::placeholder::sdk_upload_id(upload_id))
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        );
    send_prepared!(ctx, "CompleteMultipartUpload", prepared, fluent)
}

/// A `CompletedPart` from the caller's `{'ETag': ..., 'PartNumber': ..., 'Checksum*': ...}`.
fn completed_part(fields: &Fields) -> CompletedPart {
    let s = |n: &str| field(fields, n).and_then(Value::as_str).map(str::to_owned);
    let number = match field(fields, "PartNumber") {
        Some(Value::Int(n)) => i32::try_from(*n).ok(),
        _ => None,
    };
    CompletedPart::builder()
        .set_e_tag(s("ETag"))
        .set_part_number(number)
        .set_checksum_crc32(s("ChecksumCRC32"))
        .set_checksum_crc32_c(s("ChecksumCRC32C"))
        .set_checksum_crc64_nvme(s("ChecksumCRC64NVME"))
        .set_checksum_sha1(s("ChecksumSHA1"))
        .set_checksum_sha256(s("ChecksumSHA256"))
        .build()
}

pub async fn complete_multipart_upload(ctx: &Ctx, p: &Params) -> Result<Output> {
    let parts = match p.get("MultipartUpload") {
        Some(Value::Struct(upload)) => match field(upload, "Parts") {
            Some(Value::List(parts)) => parts
                .iter()
                .filter_map(|v| match v {
                    Value::Struct(f) => Some(completed_part(f)),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    let typed = &["UploadId", "MultipartUpload"];
    let (out, seen) = send_complete(
        ctx,
        &Prepared::new(p, typed)?,
        (&bucket(p), &key(p), &upload_id(p)),
        parts,
    )
    .await?;
    Ok(finish(
        p.op,
        seen,
        completion_fields(&out),
        ctx.max_attempts,
    ))
}

/// The body members of a CompleteMultipartUpload response.
pub fn completion_fields(out: &CompleteMultipartUploadOutput) -> Fields {
    let mut body = Fields::new();
    push_str(&mut body, "Location", out.location());
    push_str(&mut body, "Bucket", out.bucket());
    push_str(&mut body, "Key", out.key());
    push_str(&mut body, "ETag", out.e_tag());
    push_str(&mut body, "ChecksumCRC32", out.checksum_crc32());
    push_str(&mut body, "ChecksumCRC32C", out.checksum_crc32_c());
    push_str(&mut body, "ChecksumCRC64NVME", out.checksum_crc64_nvme());
    push_str(&mut body, "ChecksumSHA1", out.checksum_sha1());
    push_str(&mut body, "ChecksumSHA256", out.checksum_sha256());
    push_str(
        &mut body,
        "ChecksumType",
        out.checksum_type().map(|c| c.as_str()),
    );
    body
}

pub async fn send_abort(
    ctx: &Ctx,
    prepared: &Prepared,
    target: (&str, &str, &str),
) -> Result<Seen> {
    let (bucket, key, upload_id) = target;
    let fluent = ctx
        .s3
        .abort_multipart_upload()
        .bucket(bucket)
        .key(super::placeholder::sdk_key(key))
        .upload_id(super::placeholder::sdk_upload_id(upload_id));
    let (_, seen) = send_prepared!(ctx, "AbortMultipartUpload", prepared, fluent)?;
    Ok(seen)
}

pub async fn abort_multipart_upload(ctx: &Ctx, p: &Params) -> Result<Output> {
    let seen = send_abort(
        ctx,
        &Prepared::new(p, &["UploadId"])?,
        (&bucket(p), &key(p), &upload_id(p)),
    )
    .await?;
    Ok(finish(p.op, seen, Fields::new(), ctx.max_attempts))
}

fn person(id: Option<&str>, display_name: Option<&str>) -> Value {
    let mut f = Fields::new();
    push_str(&mut f, "ID", id);
    push_str(&mut f, "DisplayName", display_name);
    Value::Struct(f)
}

fn initiator(i: &Initiator) -> Value {
    person(i.id(), i.display_name())
}

fn owner(o: &Owner) -> Value {
    person(o.id(), o.display_name())
}

pub async fn list_parts(ctx: &Ctx, p: &Params) -> Result<Output> {
    let fluent = ctx
        .s3
        .list_parts()
        .bucket(bucket(p))
        .key(key(p))
        .upload_id(upload_id(p));
    let (out, seen) = send!(ctx, p, &["UploadId"], fluent)?;
    let mut body = Fields::new();
    push_str(&mut body, "Bucket", out.bucket());
    push_str(&mut body, "Key", out.key());
    push_str(&mut body, "UploadId", out.upload_id());
    push_int(&mut body, "PartNumberMarker", int(out.part_number_marker()));
    push_int(
        &mut body,
        "NextPartNumberMarker",
        int(out.next_part_number_marker()),
    );
    push_int(&mut body, "MaxParts", out.max_parts().map(i64::from));
    push_bool(&mut body, "IsTruncated", out.is_truncated());
    if !out.parts().is_empty() {
        let parts = out
            .parts()
            .iter()
            .map(|part| {
                let mut f = Fields::new();
                push_int(&mut f, "PartNumber", part.part_number().map(i64::from));
                push_time(&mut f, "LastModified", part.last_modified());
                push_str(&mut f, "ETag", part.e_tag());
                push_int(&mut f, "Size", part.size());
                push_str(&mut f, "ChecksumCRC32", part.checksum_crc32());
                push_str(&mut f, "ChecksumCRC32C", part.checksum_crc32_c());
                push_str(&mut f, "ChecksumCRC64NVME", part.checksum_crc64_nvme());
                push_str(&mut f, "ChecksumSHA1", part.checksum_sha1());
                push_str(&mut f, "ChecksumSHA256", part.checksum_sha256());
                Value::Struct(f)
            })
            .collect();
        body.push(("Parts", Value::List(parts)));
    }
    if let Some(i) = out.initiator() {
        body.push(("Initiator", initiator(i)));
    }
    if let Some(o) = out.owner() {
        body.push(("Owner", owner(o)));
    }
    push_str(
        &mut body,
        "StorageClass",
        out.storage_class().map(|c| c.as_str()),
    );
    push_str(
        &mut body,
        "ChecksumAlgorithm",
        out.checksum_algorithm().map(|c| c.as_str()),
    );
    push_str(
        &mut body,
        "ChecksumType",
        out.checksum_type().map(|c| c.as_str()),
    );
    Ok(finish(p.op, seen, body, ctx.max_attempts))
}

pub async fn list_multipart_uploads(ctx: &Ctx, p: &Params) -> Result<Output> {
    let fluent = ctx.s3.list_multipart_uploads().bucket(bucket(p));
    let (out, seen) = send!(ctx, p, &[], fluent)?;
    let mut body = Fields::new();
    push_str(&mut body, "Bucket", out.bucket());
    push_str(&mut body, "KeyMarker", out.key_marker());
    push_str(&mut body, "UploadIdMarker", out.upload_id_marker());
    push_str(&mut body, "NextKeyMarker", out.next_key_marker());
    push_str(&mut body, "Prefix", out.prefix());
    push_str(&mut body, "Delimiter", out.delimiter());
    push_str(&mut body, "NextUploadIdMarker", out.next_upload_id_marker());
    push_int(&mut body, "MaxUploads", out.max_uploads().map(i64::from));
    push_bool(&mut body, "IsTruncated", out.is_truncated());
    if !out.uploads().is_empty() {
        let uploads = out
            .uploads()
            .iter()
            .map(|u| {
                let mut f = Fields::new();
                push_str(&mut f, "UploadId", u.upload_id());
                push_str(&mut f, "Key", u.key());
                push_time(&mut f, "Initiated", u.initiated());
                push_str(
                    &mut f,
                    "StorageClass",
                    u.storage_class().map(|c| c.as_str()),
                );
                if let Some(o) = u.owner() {
                    f.push(("Owner", owner(o)));
                }
                if let Some(i) = u.initiator() {
                    f.push(("Initiator", initiator(i)));
                }
                push_str(
                    &mut f,
                    "ChecksumAlgorithm",
                    u.checksum_algorithm().map(|c| c.as_str()),
                );
                push_str(
                    &mut f,
                    "ChecksumType",
                    u.checksum_type().map(|c| c.as_str()),
                );
                Value::Struct(f)
            })
            .collect();
        body.push(("Uploads", Value::List(uploads)));
    }
    if !out.common_prefixes().is_empty() {
        let prefixes = out
            .common_prefixes()
            .iter()
            .map(|c| {
                let mut f = Fields::new();
                push_str(&mut f, "Prefix", c.prefix());
                Value::Struct(f)
            })
            .collect();
        body.push(("CommonPrefixes", Value::List(prefixes)));
    }
    push_str(
        &mut body,
        "EncodingType",
        out.encoding_type().map(|c| c.as_str()),
    );
    Ok(finish(p.op, seen, body, ctx.max_attempts))
}
