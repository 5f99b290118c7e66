//! Managed copy, as s3transfer does it: CopyObject below the threshold, else a multipart
//! upload of UploadPartCopy ranges pinned to the source's ETag. The caller has already made
//! the HeadObject on the source (with the source's SSE-C key), so an object of any size can
//! move to a new SSE-C key.

use std::sync::Arc;

use super::{
    abort_upload, checksum_member, complete_members, completed_part, run_parts, text, Request,
    Transfer,
};
use crate::error::Result;
use crate::params::Params;
use crate::value::{field, Value};

/// The request templates of a copy, built from `ExtraArgs`.
pub struct CopyRequests {
    pub single: Params,
    pub create: Params,
    pub part: Params,
    pub complete: Params,
    pub abort: Params,
}

pub async fn copy(t: Arc<Transfer>, size: u64, req: CopyRequests) -> Result<()> {
    if size < t.plan.threshold {
        t.until_cancelled(t.send(Request::new("single", &req.single, Vec::new())))
            .await?;
        t.progress.add(i64::try_from(size).unwrap_or(i64::MAX));
        return Ok(());
    }
    let created = t
        .send(Request::new("create", &req.create, Vec::new()))
        .await?;
    let upload_id = text(&created.fields, "UploadId").unwrap_or_default();
    let req = Arc::new(req);
    let outcome = copy_parts(&t, &req, size, &upload_id).await;
    if let Err(e) = outcome {
        abort_upload(&t, &req.abort, &upload_id).await;
        return Err(e);
    }
    Ok(())
}

async fn copy_parts(
    t: &Arc<Transfer>,
    req: &Arc<CopyRequests>,
    size: u64,
    upload_id: &str,
) -> Result<()> {
    let part_size = t.plan.part_size(Some(size));
    let count = usize::try_from(size.div_ceil(part_size)).unwrap_or(usize::MAX);
    let checksum = req
        .create
        .str("ChecksumAlgorithm")
        .and_then(checksum_member);
    let work = {
        let (t, req, upload_id) = (Arc::clone(t), Arc::clone(req), upload_id.to_owned());
        move |i: usize| {
            let (t, req, upload_id) = (Arc::clone(&t), Arc::clone(&req), upload_id.clone());
            async move {
                let start = i as u64 * part_size;
                let len = part_size.min(size - start);
                let number = i + 1;
                let set = vec![
                    ("UploadId", Value::Str(upload_id)),
                    (
                        "PartNumber",
                        Value::Int(i64::try_from(number).unwrap_or(i64::MAX)),
                    ),
                    (
                        "CopySourceRange",
                        Value::Str(format!("bytes={}-{}", start, start + len - 1)),
                    ),
                ];
                let out = t.send(Request::new("part", &req.part, set)).await?;
                t.progress.add(i64::try_from(len).unwrap_or(i64::MAX));
                let result = match field(&out.fields, "CopyPartResult") {
                    Some(Value::Struct(result)) => &result[..],
                    _ => &[],
                };
                let checksum = checksum.and_then(|m| text(result, m).map(|v| (m, v)));
                Ok(completed_part(number, text(result, "ETag"), checksum))
            }
        }
    };
    let parts = run_parts(t, count, work).await?;
    t.check_cancelled()?;
    let set = complete_members(upload_id, parts);
    t.until_cancelled(t.send(Request::new("complete", &req.complete, set)))
        .await?;
    Ok(())
}
