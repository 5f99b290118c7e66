//! Managed copy, as s3transfer does it: CopyObject below the threshold, else a multipart
//! upload of UploadPartCopy ranges pinned to the source's ETag. The caller has already made
//! the HeadObject on the source (with the source's SSE-C key), so an object of any size can
//! move to a new SSE-C key.

use std::sync::Arc;

use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedPart};

use super::{abort_upload, run_parts, Transfer};
use crate::error::Result;
use crate::ops::multipart::{create_multipart_upload, send_complete, send_part_copy};
use crate::ops::object::copy_object;
use crate::ops::Prepared;
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
        copy_object(&t.ctx, &req.single).await?;
        t.progress.add(i64::try_from(size).unwrap_or(i64::MAX));
        return Ok(());
    }
    // Prepared before the upload exists, so no early return can leave it behind.
    let abort_prepared = Prepared::new(&req.abort, &["UploadId"])?;
    let created = create_multipart_upload(&t.ctx, &req.create).await?;
    let upload_id = field(&created.fields, "UploadId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let target = Arc::new((
        crate::ops::bucket(&req.create),
        req.create.string("Key").unwrap_or_default(),
        upload_id,
    ));
    let outcome = copy_parts(&t, &req, size, &target).await;
    let (bucket, key, id) = &*target;
    if let Err(e) = outcome {
        abort_upload(&t, &abort_prepared, (bucket, key, id)).await;
        return Err(e);
    }
    Ok(())
}

async fn copy_parts(
    t: &Arc<Transfer>,
    req: &CopyRequests,
    size: u64,
    target: &Arc<(String, String, String)>,
) -> Result<()> {
    let part_size = t.plan.part_size(Some(size));
    let count = usize::try_from(size.div_ceil(part_size)).unwrap_or(usize::MAX);
    let typed = &["UploadId", "PartNumber", "CopySource", "CopySourceRange"];
    let prepared = Arc::new(Prepared::new(&req.part, typed)?);
    let source = Arc::new(req.part.string("CopySource").unwrap_or_default());
    let algorithm = req
        .create
        .str("ChecksumAlgorithm")
        .map(|a| ChecksumAlgorithm::from(a.to_ascii_uppercase().as_str()));
    let work = {
        let t = Arc::clone(t);
        let target = Arc::clone(target);
        move |i: usize| {
            let (t, target, prepared, source, algorithm) = (
                Arc::clone(&t),
                Arc::clone(&target),
                Arc::clone(&prepared),
                Arc::clone(&source),
                algorithm.clone(),
            );
            async move {
                let start = i as u64 * part_size;
                let len = part_size.min(size - start);
                let range = format!("bytes={}-{}", start, start + len - 1);
                let number = i32::try_from(i + 1).unwrap_or(i32::MAX);
                let (bucket, key, id) = &*target;
                let (out, _) = send_part_copy(
                    &t.ctx,
                    &prepared,
                    (bucket, key, id),
                    number,
                    &source,
                    Some(range),
                )
                .await?;
                t.progress.add(i64::try_from(len).unwrap_or(i64::MAX));
                let result = out.copy_part_result();
                let mut part = CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(result.and_then(|r| r.e_tag()).map(str::to_owned));
                let own = |v: Option<&str>| v.map(str::to_owned);
                part = match (algorithm, result) {
                    (Some(ChecksumAlgorithm::Crc32), Some(r)) => {
                        part.set_checksum_crc32(own(r.checksum_crc32()))
                    }
                    (Some(ChecksumAlgorithm::Crc32C), Some(r)) => {
                        part.set_checksum_crc32_c(own(r.checksum_crc32_c()))
                    }
                    (Some(ChecksumAlgorithm::Crc64Nvme), Some(r)) => {
                        part.set_checksum_crc64_nvme(own(r.checksum_crc64_nvme()))
                    }
                    (Some(ChecksumAlgorithm::Sha1), Some(r)) => {
                        part.set_checksum_sha1(own(r.checksum_sha1()))
                    }
                    (Some(ChecksumAlgorithm::Sha256), Some(r)) => {
                        part.set_checksum_sha256(own(r.checksum_sha256()))
                    }
                    _ => part,
                };
                Ok(part.build())
            }
        }
    };
    let parts = run_parts(t, count, work).await?;
    t.check_cancelled()?;
    let prepared = Prepared::new(&req.complete, &["UploadId", "MultipartUpload"])?;
    let (bucket, key, id) = &**target;
    send_complete(&t.ctx, &prepared, (bucket, key, id), parts).await?;
    Ok(())
}
