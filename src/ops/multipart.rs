//! Multipart operations: CreateMultipartUpload, UploadPart, UploadPartCopy,
//! CompleteMultipartUpload, AbortMultipartUpload, ListParts, ListMultipartUploads.
//!
//! The `send_*` functions are what the transfer engine calls once per part, with headers
//! serialised once per transfer ([`Prepared`]); the public operations wrap them.

use aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadOutput;
use aws_sdk_s3::operation::upload_part_copy::UploadPartCopyOutput;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};

use super::{bucket, finish, push_str, send, send_prepared, Ctx, Output, Prepared};
use crate::error::Result;
use crate::hooks::Seen;
use crate::params::Params;
use crate::value::Fields;

fn key(p: &Params) -> String {
    super::placeholder::sdk_key(p.str("Key").unwrap_or_default())
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
