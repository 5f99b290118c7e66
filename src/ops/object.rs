//! Object operations: PutObject, GetObject, HeadObject, CopyObject, DeleteObject.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode};

use super::{bucket, finish, push_str, push_time, send, send_prepared, Ctx, Output, Prepared};
use crate::error::Result;
use crate::params::Params;
use crate::value::{Fields, Value};

fn checksum_algorithm(p: &Params) -> Option<ChecksumAlgorithm> {
    p.str("ChecksumAlgorithm").map(ChecksumAlgorithm::from)
}

fn checksum_mode(p: &Params) -> Option<ChecksumMode> {
    p.str("ChecksumMode").map(ChecksumMode::from)
}

fn key(p: &Params) -> String {
    super::placeholder::sdk_key(p.str("Key").unwrap_or_default())
}

/// The members [`send_put`]'s typed builder sets.
pub const PUT_TYPED: &[&str] = &["ChecksumAlgorithm", "ContentLength", "ChecksumCRC32"];

/// A PutObject of a transfer: the body may be streamed (with progress) and its CRC32
/// computed by the caller, so the SDK neither buffers nor uses an `aws-chunked` trailer.
pub async fn send_put(
    ctx: &Ctx,
    prepared: &Prepared,
    p: &Params,
    body: ByteStream,
    length: i64,
    checksum_crc32: Option<String>,
) -> Result<Output> {
    let fluent = ctx
        .s3
        .put_object()
        .bucket(bucket(p))
        .key(key(p))
        .content_length(length)
        .body(body)
        .set_checksum_algorithm(checksum_algorithm(p))
        .set_checksum_crc32(checksum_crc32);
    let (_, seen) = send_prepared!(ctx, "PutObject", prepared, fluent, op => if ctx.unsigned_payload {
        op.disable_payload_signing()
    } else {
        op
    })?;
    Ok(finish(p.op, seen, Fields::new(), ctx.max_attempts))
}

/// A GetObject of a transfer: the whole object (response checksum validated as botocore
/// does) or one range of it, pinned to `if_match`.
pub async fn send_get(
    ctx: &Ctx,
    prepared: &Prepared,
    p: &Params,
    range: Option<String>,
    if_match: Option<String>,
) -> Result<(
    aws_sdk_s3::operation::get_object::GetObjectOutput,
    crate::hooks::Seen,
)> {
    let mode = checksum_mode(p)
        .or((ctx.validate_checksums && range.is_none()).then_some(ChecksumMode::Enabled));
    let fluent = ctx
        .s3
        .get_object()
        .bucket(bucket(p))
        .key(key(p))
        .set_checksum_mode(mode)
        .set_range(range)
        .set_if_match(if_match);
    send_prepared!(ctx, "GetObject", prepared, fluent)
}

pub async fn head_object(ctx: &Ctx, p: &Params) -> Result<Output> {
    let fluent = ctx
        .s3
        .head_object()
        .bucket(bucket(p))
        .key(key(p))
        .set_checksum_mode(checksum_mode(p));
    let (_, seen) = send!(ctx, p, &["ChecksumMode"], fluent)?;
    Ok(finish(p.op, seen, Fields::new(), ctx.max_attempts))
}

pub async fn copy_object(ctx: &Ctx, p: &Params) -> Result<Output> {
    let fluent = ctx
        .s3
        .copy_object()
        .bucket(bucket(p))
        .key(key(p))
        // The SDK refuses an empty copy source, which botocore sends (the server answers):
        // the header set from `p` replaces this one.
        .copy_source(
            p.str("CopySource")
                .filter(|s| !s.is_empty())
                .unwrap_or("-/-"),
        )
        .set_checksum_algorithm(checksum_algorithm(p));
    let (out, seen) = send!(ctx, p, &["ChecksumAlgorithm"], fluent)?;
    let mut body = Fields::new();
    if let Some(r) = out.copy_object_result() {
        let mut result = Fields::new();
        push_str(&mut result, "ETag", r.e_tag());
        push_time(&mut result, "LastModified", r.last_modified());
        push_str(
            &mut result,
            "ChecksumType",
            r.checksum_type().map(|c| c.as_str()),
        );
        push_str(&mut result, "ChecksumCRC32", r.checksum_crc32());
        push_str(&mut result, "ChecksumCRC32C", r.checksum_crc32_c());
        push_str(&mut result, "ChecksumCRC64NVME", r.checksum_crc64_nvme());
        push_str(&mut result, "ChecksumSHA1", r.checksum_sha1());
        push_str(&mut result, "ChecksumSHA256", r.checksum_sha256());
        body.push(("CopyObjectResult", Value::Struct(result)));
    }
    Ok(finish(p.op, seen, body, ctx.max_attempts))
}
