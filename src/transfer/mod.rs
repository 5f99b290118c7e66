//! The managed-transfer engine behind `upload_file`, `upload_fileobj`, `download_file`,
//! `download_fileobj` and `copy`: boto3's semantics (s3transfer's thresholds, part sizes
//! and forwarding), run as tokio tasks on the shared runtime.
//!
//! Memory stays bounded by concurrency x part size: uploads read parts into a few reused
//! buffers, downloads write ranges in place at their offsets. Anything that fails or is
//! cancelled (Ctrl-C, a raising callback) cleans up before returning: multipart uploads are
//! aborted, temporary files removed.

pub mod copy;
pub mod download;
pub mod progress;
pub mod upload;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::engine::{Ctx, Engine, Extras, Output};
use crate::error::{Error, Result};
use crate::events::CallHook;
use crate::params::Params;
use crate::value::{Fields, Value};
use progress::Progress;

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;
/// S3's limits, as s3transfer's `ChunksizeAdjuster` applies them.
pub const MIN_PART_SIZE: u64 = 5 * MIB;
pub const MAX_PART_SIZE: u64 = 5 * GIB;
pub const MAX_PARTS: u64 = 10_000;
pub const MAX_SINGLE_UPLOAD: u64 = 5 * GIB;

/// How long a failed upload keeps trying to abort itself (a server that comes back within
/// this window gets the abort, so no orphan parts stay billed).
const ABORT_BUDGET: Duration = Duration::from_secs(10);

/// A `TransferConfig`, as the engine uses it.
#[derive(Debug, Clone)]
pub struct Plan {
    pub threshold: u64,
    pub chunksize: u64,
    pub concurrency: usize,
    pub download_attempts: u32,
    pub io_chunksize: usize,
}

impl Plan {
    /// s3transfer's `ChunksizeAdjuster.adjust_chunksize`: doubled until the object fits in
    /// 10,000 parts, then kept within S3's 5 MiB..5 GiB.
    pub fn part_size(&self, total: Option<u64>) -> u64 {
        let mut size = self.chunksize.max(1);
        if let Some(total) = total {
            while total.div_ceil(size) > MAX_PARTS {
                size *= 2;
            }
        }
        size.clamp(MIN_PART_SIZE, MAX_PART_SIZE)
    }

    /// The size from which an upload goes multipart (also above S3's single-PUT limit).
    pub fn upload_threshold(&self) -> u64 {
        self.threshold.min(MAX_SINGLE_UPLOAD + 1)
    }
}

/// What every task of one transfer shares.
pub struct Transfer {
    /// The client's engine: every request of the transfer goes through it.
    pub engine: Engine,
    pub ctx: Ctx,
    /// A region learnt from a cross-region redirect during this transfer.
    pub redirected: Mutex<Option<String>>,
    /// `provide-client-params` / `before-parameter-build` / `after-call` handlers, while
    /// registered: each request's parameters go through them, as each of s3transfer's
    /// client calls does.
    pub events: Option<CallHook>,
    pub plan: Plan,
    pub progress: Progress,
    pub throttle: Option<Throttle>,
    /// Set by Ctrl-C or a failing callback: every task stops and the transfer cleans up.
    pub cancel: CancellationToken,
    pub read_timeout: Duration,
}

/// One request of a transfer: a template of the Python layer's `requests` and the
/// members of this one request.
pub struct Request<'a> {
    /// The template's name in the Python layer's `requests` (`"part"`, `"get"`, ...).
    pub name: &'static str,
    pub template: &'a Params,
    /// This request's own members (`UploadId`, `PartNumber`, `Range`, ...).
    pub set: Fields,
    pub extras: Extras,
    /// The body's CRC32 (base64), computed off the runtime; sent when the request's
    /// checksum algorithm is CRC32.
    pub crc32: Option<String>,
}

impl<'a> Request<'a> {
    pub fn new(name: &'static str, template: &'a Params, set: Fields) -> Self {
        Self {
            name,
            template,
            set,
            extras: Extras::default(),
            crc32: None,
        }
    }
}

/// The checksum members a request may carry.
const CHECKSUM_MEMBERS: [&str; 5] = [
    "ChecksumCRC32",
    "ChecksumCRC32C",
    "ChecksumCRC64NVME",
    "ChecksumSHA1",
    "ChecksumSHA256",
];

/// The output member holding a part's checksum for `algorithm` (`ChecksumCRC32C`, ...).
pub fn checksum_member(algorithm: &str) -> Option<&'static str> {
    let wanted = format!("Checksum{}", algorithm.to_ascii_uppercase());
    CHECKSUM_MEMBERS.into_iter().find(|m| *m == wanted)
}

impl Transfer {
    /// Send one request through the engine: its parameters through the event handlers
    /// when any are registered, then built, signed, sent and retried as any operation is,
    /// following a cross-region redirect once.
    pub async fn send(&self, req: Request<'_>) -> Result<Output> {
        let Request {
            name,
            template,
            set,
            extras,
            crc32,
        } = req;
        let (mut params, state) = match &self.events {
            Some(events) => {
                let (params, state) = events.before(name, template.op, set)?;
                (params, Some(state))
            }
            None => (template.with(set), None),
        };
        if let Some(crc) = crc32 {
            let crc32_chosen = params
                .str("ChecksumAlgorithm")
                .is_some_and(|a| a.eq_ignore_ascii_case("CRC32"));
            let given = CHECKSUM_MEMBERS.iter().any(|m| params.get(m).is_some());
            if crc32_chosen && !given {
                params.fields.push(("ChecksumCRC32", Value::Str(crc)));
            }
        }
        let outcome = self.run(&params, &extras).await;
        if let (Some(events), Some(state)) = (&self.events, state) {
            events.after(state, outcome.as_ref())?;
        }
        outcome
    }

    async fn run(&self, params: &Params, extras: &Extras) -> Result<Output> {
        let current = self
            .redirected
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .or_else(|| self.ctx.region.clone());
        let hook = self.ctx.request_hook.as_ref();
        let outcome = self
            .engine
            .call(params, current.as_deref(), hook, extras)
            .await;
        let Err(Error::Service(e)) = outcome else {
            return outcome;
        };
        let Some(region) = crate::client::redirect_region(&e, current.as_deref()) else {
            return Err(Error::Service(e));
        };
        *self
            .redirected
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(region.clone());
        self.engine.call(params, Some(&region), hook, extras).await
    }

    /// `work`, given up with `Cancelled` as soon as the transfer is told to stop. Requests
    /// go through here when giving them up loses nothing: a download's HEAD and GETs, a
    /// single PUT or copy, a part, a Complete (the abort that follows finds the upload gone
    /// if it went through). Never a
    /// Create: its answer is the upload id, without which the upload could not be aborted.
    pub async fn until_cancelled<T>(&self, work: impl Future<Output = Result<T>>) -> Result<T> {
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => Err(Error::Cancelled),
            done = work => done,
        }
    }

    /// Fail with `Cancelled` once the transfer was told to stop.
    pub fn check_cancelled(&self) -> Result<()> {
        if self.cancel.is_cancelled() {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }

    pub async fn throttle(&self, bytes: usize) {
        if let Some(t) = &self.throttle {
            t.take(bytes).await;
        }
    }
}

/// `max_bandwidth`: each request reserves its bytes in a shared schedule and starts when
/// its slot comes, so the average rate stays at or under the limit.
pub struct Throttle {
    seconds_per_byte: f64,
    next: Mutex<Instant>,
}

impl Throttle {
    pub fn new(bytes_per_second: u64) -> Self {
        Self {
            seconds_per_byte: 1.0 / bytes_per_second.max(1) as f64,
            next: Mutex::new(Instant::now()),
        }
    }

    async fn take(&self, bytes: usize) {
        let start = {
            let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
            let start = (*next).max(Instant::now());
            *next = start + Duration::from_secs_f64(bytes as f64 * self.seconds_per_byte);
            start
        };
        tokio::time::sleep_until(start.into()).await;
    }
}

/// Run `work(0..count)` on up to `concurrency` tasks, in part order as far as possible,
/// and return the results in index order. The first failure stops (and waits for) every
/// other task before it is returned, so nothing is still running when the caller cleans up.
pub async fn run_parts<T, F, Fut>(t: &Arc<Transfer>, count: usize, work: F) -> Result<Vec<T>>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T>> + Send + 'static,
{
    let work = Arc::new(work);
    let next = Arc::new(AtomicUsize::new(0));
    let mut set = JoinSet::new();
    for _ in 0..t.plan.concurrency.clamp(1, count.max(1)) {
        let (work, next, t) = (Arc::clone(&work), Arc::clone(&next), Arc::clone(t));
        set.spawn(async move {
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    return Ok(done);
                }
                let out = t.until_cancelled(work(i)).await?;
                done.push((i, out));
            }
        });
    }
    let mut results = Vec::with_capacity(count);
    while let Some(joined) = set.join_next().await {
        let failure = match joined {
            Ok(Ok(done)) => {
                results.extend(done);
                continue;
            }
            Ok(Err(e)) => e,
            Err(e) => Error::Internal(format!("transfer task failed: {e}")),
        };
        set.shutdown().await;
        return Err(failure);
    }
    results.sort_by_key(|(i, _)| *i);
    Ok(results.into_iter().map(|(_, r)| r).collect())
}

/// Whether another try of an abort could succeed (the server unreachable or failing).
fn transient(e: &Error) -> bool {
    match e {
        Error::EndpointConnection(_)
        | Error::ConnectTimeout(_)
        | Error::ReadTimeout(_)
        | Error::ConnectionClosed(_) => true,
        Error::Service(s) => s.meta.status >= 500,
        _ => false,
    }
}

/// Abort a multipart upload after a failure, retrying while the server is unreachable
/// for up to [`ABORT_BUDGET`]. Returns whether the upload is gone. One try waits at most
/// a third of the budget: a pooled connection of a server that stopped answering (the
/// reason for a Ctrl-C) would otherwise hold the abort until the read timeout, the next
/// try goes on another connection.
pub async fn abort_upload(t: &Transfer, template: &Params, upload_id: &str) -> bool {
    let deadline = Instant::now() + ABORT_BUDGET;
    let mut pause = Duration::from_millis(100);
    loop {
        let set = vec![("UploadId", Value::Str(upload_id.to_owned()))];
        let attempt = t.send(Request::new("abort", template, set));
        let answer = tokio::time::timeout(ABORT_BUDGET / 3, attempt)
            .await
            .unwrap_or_else(|_| Err(Error::ReadTimeout(String::from("(abort)"))));
        match answer {
            Ok(_) => return true,
            Err(Error::Service(e)) if e.code() == "NoSuchUpload" => return true,
            Err(e) if transient(&e) && Instant::now() + pause < deadline => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(1));
            }
            Err(_) => return false,
        }
    }
}

/// s3transfer's `random_file_extension`: 8 hex digits for a temporary file's name.
pub fn random_suffix() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    format!("{:08X}", h.finish() as u32)
}

/// A text member of a response (`UploadId`, `ETag`, ...).
pub fn text(fields: &[(&'static str, Value)], name: &str) -> Option<String> {
    crate::value::field(fields, name)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// A completed part as CompleteMultipartUpload takes it (the model's member order).
pub fn completed_part(
    number: usize,
    etag: Option<String>,
    checksum: Option<(&'static str, String)>,
) -> Value {
    let mut part = Fields::new();
    if let Some(etag) = etag {
        part.push(("ETag", Value::Str(etag)));
    }
    if let Some((member, value)) = checksum {
        part.push((member, Value::Str(value)));
    }
    part.push((
        "PartNumber",
        Value::Int(i64::try_from(number).unwrap_or(i64::MAX)),
    ));
    Value::Struct(part)
}

/// The members of a CompleteMultipartUpload: the upload and its parts, in order.
pub fn complete_members(upload_id: &str, parts: Vec<Value>) -> Fields {
    vec![
        ("UploadId", Value::Str(upload_id.to_owned())),
        (
            "MultipartUpload",
            Value::Struct(vec![("Parts", Value::List(parts))]),
        ),
    ]
}

/// The CRC32 of `data` as S3 expects it in `x-amz-checksum-crc32`.
pub fn crc32_base64(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(crc32fast::hash(data).to_be_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(chunksize: u64) -> Plan {
        Plan {
            threshold: 8 * MIB,
            chunksize,
            concurrency: 10,
            download_attempts: 5,
            io_chunksize: 256 * 1024,
        }
    }

    #[test]
    fn part_sizes_follow_s3_limits() {
        assert_eq!(plan(8 * MIB).part_size(Some(100 * MIB)), 8 * MIB);
        assert_eq!(plan(MIB).part_size(Some(100 * MIB)), MIN_PART_SIZE);
        assert_eq!(plan(10 * GIB).part_size(None), MAX_PART_SIZE);
        // 100 GiB in 8 MiB parts is 12,800 parts: doubled to 16 MiB (6,400 parts).
        assert_eq!(plan(8 * MIB).part_size(Some(100 * GIB)), 16 * MIB);
    }

    #[test]
    fn uploads_above_five_gib_are_multipart_whatever_the_threshold() {
        let mut p = plan(8 * MIB);
        p.threshold = 100 * GIB;
        assert_eq!(p.upload_threshold(), MAX_SINGLE_UPLOAD + 1);
    }

    #[test]
    fn crc32_is_big_endian_base64() {
        // CRC32("hello") = 0x3610a686
        assert_eq!(crc32_base64(b"hello"), "NhCmhg==");
    }

    #[test]
    fn suffixes_are_eight_hex_digits() {
        let s = random_suffix();
        assert_eq!(s.len(), 8);
        assert!(s.chars().all(|c| c.is_ascii_hexdigit()));
    }
}

/// Stops a transfer from another thread: the async API's transfers run the engine in a worker
/// thread, and a cancelled task must stop it even while no bytes move (a stalled server), which
/// the progress callback it also raises from cannot. Stopped, the transfer cleans up as on
/// Ctrl-C (aborts its multipart upload, removes its temporary file) and fails with `exception`.
#[pyclass(frozen, module = "s3seal._native")]
pub struct TransferStop {
    pub token: CancellationToken,
    pub exception: Py<PyAny>,
}

#[pymethods]
impl TransferStop {
    #[new]
    fn new(exception: Py<PyAny>) -> Self {
        Self {
            token: CancellationToken::new(),
            exception,
        }
    }

    /// Stop the transfer this was given to (or the next one, if it has not started).
    fn stop(&self) {
        self.token.cancel();
    }
}
