//! Uploads from a path or a Python file object: one PutObject below the threshold, else a
//! multipart upload whose parts are read in order into a few reused buffers and sent
//! concurrently. Any failure aborts the upload.

use std::collections::VecDeque;
use std::fs::File;
use std::future::Future;
use std::io::Read;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedPart};
use bytes::{Bytes, BytesMut};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::PyBytes;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::progress::{body_with_progress, stream_with_progress};
use super::{abort_upload, crc32_base64, Transfer, MAX_PARTS};
use crate::error::{Error, Result};
use crate::ops::multipart::{create_multipart_upload, send_complete, send_part, PartRequest};
use crate::ops::object::{send_put, PUT_TYPED};
use crate::ops::Prepared;
use crate::params::{FileBody, Params};
use crate::value::Value;

/// The request templates of an upload, built from `ExtraArgs` as s3transfer forwards them.
pub struct UploadRequests {
    pub put: Params,
    pub create: Params,
    pub part: Params,
    pub complete: Params,
    pub abort: Params,
}

pub enum Source {
    Path(PathBuf),
    /// A readable binary file object, and its remaining size when it is seekable.
    FileObj {
        obj: Py<PyAny>,
        size: Option<u64>,
    },
}

/// A part source read sequentially on a blocking thread.
trait PartReader: Send + 'static {
    /// Up to `len` bytes; fewer only at the end of the data.
    fn read(&mut self, len: usize) -> Result<Bytes>;
}

/// Part buffers, reused once their request is done (fresh 8 MiB buffers would cost page
/// faults on every part).
#[derive(Default)]
struct Pool {
    free: Mutex<Vec<BytesMut>>,
}

impl Pool {
    fn take(&self, len: usize) -> BytesMut {
        let mut buf = self
            .free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
            .unwrap_or_default();
        if buf.len() < len {
            buf.resize(len, 0);
        } else {
            buf.truncate(len);
        }
        buf
    }

    /// Take a sent part's buffer back, if nothing else holds it.
    fn give(&self, data: Bytes, keep: usize) {
        if let Ok(buf) = data.try_into_mut() {
            let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
            if free.len() < keep {
                free.push(buf);
            }
        }
    }
}

struct FileReader {
    file: File,
    path: PathBuf,
    pool: Arc<Pool>,
}

impl PartReader for FileReader {
    fn read(&mut self, len: usize) -> Result<Bytes> {
        let mut buf = self.pool.take(len);
        let mut filled = 0;
        while filled < len {
            match self.file.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(Error::Io {
                        source,
                        path: self.path.clone(),
                    })
                }
            }
        }
        buf.truncate(filled);
        Ok(buf.freeze())
    }
}

/// The native end of `s3seal.transfer._pump`, which reads a Python file object in
/// part-sized blocks on a Python daemon thread. A read() that blocks or spins then holds up
/// neither Ctrl-C (the waiting thread gives up on it at once) nor the interpreter's exit
/// (no native thread is inside Python when it ends). `push` never waits, so the reader
/// thread never sits in native code; at most one block waits here.
#[pyclass(module = "s3seal._native", frozen)]
pub struct PartSink {
    state: Mutex<SinkState>,
    ready: Condvar,
}

#[derive(Default)]
struct SinkState {
    blocks: VecDeque<std::result::Result<Bytes, PyErr>>,
    closed: bool,
}

impl PartSink {
    fn lock(&self) -> std::sync::MutexGuard<'_, SinkState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_all();
    }

    fn deliver(&self, item: std::result::Result<Bytes, PyErr>) {
        self.lock().blocks.push_back(item);
        self.ready.notify_all();
    }
}

#[pymethods]
impl PartSink {
    /// Hand over the next block; false (try again) while the previous one waits.
    fn push(&self, data: &Bound<'_, PyAny>) -> PyResult<bool> {
        let state = self.lock();
        if state.closed || !state.blocks.is_empty() {
            return Ok(false);
        }
        drop(state);
        let block = if data.is_instance_of::<PyBytes>() {
            Bytes::from_owner(data.extract::<PyBackedBytes>()?)
        } else {
            Bytes::from(data.extract::<Vec<u8>>()?)
        };
        self.deliver(Ok(block));
        Ok(true)
    }

    /// The reader failed (read() raised, or returned something else than bytes).
    fn fail(&self, error: Bound<'_, pyo3::exceptions::PyBaseException>) {
        self.deliver(Err(PyErr::from_value(error.into_any())));
    }

    /// Set once the upload no longer wants blocks (finished, failed or cancelled).
    #[getter]
    fn closed(&self) -> bool {
        self.lock().closed
    }
}

/// Start `_pump` over `obj`; the sink it feeds.
fn start_pump(obj: Py<PyAny>, part_size: usize) -> Result<Py<PartSink>> {
    Python::attach(|py| {
        let sink = Py::new(
            py,
            PartSink {
                state: Mutex::new(SinkState::default()),
                ready: Condvar::new(),
            },
        )?;
        py.import("s3seal.transfer")?
            .getattr("_start_pump")?
            .call1((obj, part_size, sink.clone_ref(py)))?;
        Ok(sink)
    })
}

/// Closes the sink when the upload ends, however it ends: the reader thread stops after
/// its current read, and a part reader waiting for a block returns.
struct SinkGuard(Py<PartSink>);

impl Drop for SinkGuard {
    fn drop(&mut self) {
        self.0.get().close();
    }
}

/// Parts as `_pump` delivers them (always `part_size` long, but the last).
struct PumpReader {
    sink: Py<PartSink>,
}

impl PartReader for PumpReader {
    fn read(&mut self, _len: usize) -> Result<Bytes> {
        let sink = self.sink.get();
        let mut state = sink.lock();
        loop {
            if let Some(block) = state.blocks.pop_front() {
                return block.map_err(Error::Python);
            }
            if state.closed {
                return Err(Error::Cancelled);
            }
            state = sink
                .ready
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

fn concat(mut blocks: Vec<Bytes>) -> Bytes {
    match blocks.len() {
        0 => Bytes::new(),
        1 => blocks.pop().unwrap_or_default(),
        _ => {
            let mut all = BytesMut::with_capacity(blocks.iter().map(Bytes::len).sum());
            for b in blocks {
                all.extend_from_slice(&b);
            }
            all.freeze()
        }
    }
}

/// The start of the data: enough to decide between PutObject and multipart.
struct First {
    blocks: Vec<Bytes>,
    total: u64,
    eof: bool,
}

fn read_first(reader: &mut dyn PartReader, threshold: u64, part_size: usize) -> Result<First> {
    let mut first = First {
        blocks: Vec::new(),
        total: 0,
        eof: false,
    };
    while first.total < threshold.max(1) {
        let block = reader.read(part_size)?;
        first.eof = block.len() < part_size;
        first.total += block.len() as u64;
        if !block.is_empty() {
            first.blocks.push(block);
        }
        if first.eof {
            break;
        }
    }
    Ok(first)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(format!("reader task failed: {e}")))?
}

fn open(path: PathBuf) -> Result<(File, u64)> {
    let io = |source| Error::Io {
        source,
        path: path.clone(),
    };
    let file = File::open(&path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(io(std::io::Error::from_raw_os_error(libc::EISDIR)));
    }
    Ok((file, meta.len()))
}

/// Upload `source` as s3transfer would: PutObject below the threshold, multipart from it.
pub async fn upload(t: Arc<Transfer>, source: Source, req: UploadRequests) -> Result<()> {
    let pool = Arc::new(Pool::default());
    let mut guard: Option<SinkGuard> = None;
    let (reader, size): (Box<dyn PartReader>, Option<u64>) = match source {
        Source::Path(path) => {
            let (file, size) = blocking({
                let path = path.clone();
                move || open(path)
            })
            .await?;
            if size < t.plan.upload_threshold() && put_streams(&t, &req.put) {
                drop(file);
                return put_path(&t, &req, path, size).await;
            }
            let reader = FileReader {
                file,
                path,
                pool: Arc::clone(&pool),
            };
            (Box::new(reader), Some(size))
        }
        Source::FileObj { obj, size } => {
            let file = Python::attach(|py| FileBody::from_file_object(obj.bind(py)))?;
            if let Some(file) = file {
                if file.len < t.plan.upload_threshold() && put_streams(&t, &req.put) {
                    return put_file(&t, &req, file).await;
                }
            }
            let part_size = usize::try_from(t.plan.part_size(size)).unwrap_or(usize::MAX);
            let sink = start_pump(obj, part_size)?;
            let reader = PumpReader {
                sink: Python::attach(|py| sink.clone_ref(py)),
            };
            guard = Some(SinkGuard(sink));
            (Box::new(reader), size)
        }
    };
    let part_size = usize::try_from(t.plan.part_size(size)).unwrap_or(usize::MAX);
    let threshold = t.plan.upload_threshold();
    let (reader, first) = until_cancelled(
        &t,
        blocking(move || {
            let mut reader = reader;
            let first = read_first(reader.as_mut(), threshold, part_size)?;
            Ok((reader, first))
        }),
    )
    .await?;
    t.check_cancelled()?;
    let outcome = if first.eof && first.total < threshold || first.total == 0 {
        put(&t, &req, concat(first.blocks)).await
    } else {
        multipart(t, req, reader, first, part_size, pool).await
    };
    drop(guard);
    outcome
}

/// `work`, abandoned as soon as the transfer is cancelled: a read() stuck in a file object
/// must not hold up Ctrl-C (its reader stops once the sink is closed).
async fn until_cancelled<T>(t: &Transfer, work: impl Future<Output = Result<T>>) -> Result<T> {
    tokio::select! {
        biased;
        () = t.cancel.cancelled() => Err(Error::Cancelled),
        done = work => done,
    }
}

fn algorithm(p: &Params) -> Option<ChecksumAlgorithm> {
    p.str("ChecksumAlgorithm")
        .map(|a| ChecksumAlgorithm::from(a.to_ascii_uppercase().as_str()))
}

/// Whether a body can be streamed with progress (no SDK buffering): the payload goes
/// unsigned and the SDK has no checksum of its own to compute.
fn streamable(t: &Transfer, algorithm: Option<&ChecksumAlgorithm>, crc: Option<&String>) -> bool {
    t.ctx.unsigned_payload && (crc.is_some() || algorithm.is_none() && t.checksum_when_required)
}

async fn put(t: &Transfer, req: &UploadRequests, data: Bytes) -> Result<()> {
    let p = &req.put;
    let algorithm = algorithm(p);
    let crc = p
        .string("ChecksumCRC32")
        .or_else(|| (algorithm == Some(ChecksumAlgorithm::Crc32)).then(|| crc32_base64(&data)));
    let len = data.len();
    let streamed = streamable(t, algorithm.as_ref(), crc.as_ref());
    let body = if streamed {
        body_with_progress(data, t.plan.io_chunksize, &t.progress)
    } else {
        ByteStream::from(data)
    };
    t.throttle(len).await;
    let prepared = Prepared::new(p, PUT_TYPED)?;
    let length = i64::try_from(len).unwrap_or(i64::MAX);
    send_put(&t.ctx, &prepared, p, body, length, crc).await?;
    if !streamed {
        t.progress.add(i64::try_from(len).unwrap_or(i64::MAX));
    }
    Ok(())
}

/// Whether [`put_path`] can send the single PutObject of an upload straight from its file:
/// only when the body goes unsigned and the SDK computes no checksum of its own (which
/// would need the body in memory).
fn put_streams(t: &Transfer, p: &Params) -> bool {
    let algorithm = algorithm(p);
    let crc_known = p.get("ChecksumCRC32").is_some() || algorithm == Some(ChecksumAlgorithm::Crc32);
    streamable(t, algorithm.as_ref(), crc_known.then(String::new).as_ref())
}

/// The single PutObject of a file below the threshold, streamed from the file (memory
/// stays flat whatever the threshold), its CRC32 computed by a first pass over the file.
async fn put_path(t: &Transfer, req: &UploadRequests, path: PathBuf, size: u64) -> Result<()> {
    let p = &req.put;
    let crc = match p.string("ChecksumCRC32") {
        Some(crc) => Some(crc),
        None if algorithm(p) == Some(ChecksumAlgorithm::Crc32) => {
            let path = path.clone();
            Some(blocking(move || crc32_of_file(&path)).await?)
        }
        None => None,
    };
    let io = |e: aws_smithy_types::byte_stream::error::Error| Error::Io {
        source: std::io::Error::other(e),
        path: path.clone(),
    };
    let file = ByteStream::read_from()
        .path(&path)
        .length(aws_smithy_types::byte_stream::Length::Exact(size))
        .build()
        .await
        .map_err(io)?;
    let body = stream_with_progress(file.into_inner(), &t.progress);
    t.throttle(usize::try_from(size).unwrap_or(usize::MAX))
        .await;
    let prepared = Prepared::new(p, PUT_TYPED)?;
    let length = i64::try_from(size).unwrap_or(i64::MAX);
    send_put(&t.ctx, &prepared, p, body, length, crc).await?;
    Ok(())
}

/// [`put_path`] for an open regular file given to `upload_fileobj`: from its position to
/// its end, as s3transfer reads it.
async fn put_file(t: &Transfer, req: &UploadRequests, file: FileBody) -> Result<()> {
    let p = &req.put;
    let file = Arc::new(file);
    let crc = match p.string("ChecksumCRC32") {
        Some(crc) => Some(crc),
        None if algorithm(p) == Some(ChecksumAlgorithm::Crc32) => {
            let file = Arc::clone(&file);
            Some(
                blocking(move || {
                    file.crc32()
                        .map_err(|e| Error::Internal(format!("cannot read the file object: {e}")))
                })
                .await?,
            )
        }
        None => None,
    };
    let body = stream_with_progress(file.stream().await?.into_inner(), &t.progress);
    t.throttle(usize::try_from(file.len).unwrap_or(usize::MAX))
        .await;
    let prepared = Prepared::new(p, PUT_TYPED)?;
    let length = i64::try_from(file.len).unwrap_or(i64::MAX);
    send_put(&t.ctx, &prepared, p, body, length, crc).await?;
    Ok(())
}

fn crc32_of_file(path: &std::path::Path) -> Result<String> {
    use base64::Engine;
    let io = |source| Error::Io {
        source,
        path: path.to_owned(),
    };
    let mut file = File::open(path).map_err(io)?;
    let mut hasher = crc32fast::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io(e)),
        }
    }
    Ok(base64::engine::general_purpose::STANDARD.encode(hasher.finalize().to_be_bytes()))
}

/// One part on its way: number, data, and its CRC32 when that is the algorithm.
struct Part {
    number: i32,
    data: Bytes,
    crc: Option<String>,
}

/// Everything a part upload needs, shared by the upload tasks.
struct Parts {
    t: Arc<Transfer>,
    prepared: Prepared,
    algorithm: Option<ChecksumAlgorithm>,
    target: (String, String, String),
    pool: Arc<Pool>,
}

async fn multipart(
    t: Arc<Transfer>,
    req: UploadRequests,
    reader: Box<dyn PartReader>,
    first: First,
    part_size: usize,
    pool: Arc<Pool>,
) -> Result<()> {
    // Everything that can fail before a request is prepared before the upload exists, so
    // no early return can leave it behind.
    let part_prepared = Prepared::new(&req.part, UPLOAD_PART_TYPED)?;
    let complete_prepared = Prepared::new(&req.complete, &["UploadId", "MultipartUpload"])?;
    let abort_prepared = Prepared::new(&req.abort, &["UploadId"])?;
    let created = create_multipart_upload(&t.ctx, &req.create).await?;
    let text = |name: &str| {
        crate::value::field(&created.fields, name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let target = (
        crate::ops::bucket(&req.create),
        req.create.string("Key").unwrap_or_default(),
        text("UploadId"),
    );
    let parts = Arc::new(Parts {
        t: Arc::clone(&t),
        prepared: part_prepared,
        algorithm: algorithm(&req.part),
        target: target.clone(),
        pool,
    });
    let outcome = async {
        let completed = send_parts(&parts, reader, first, part_size).await?;
        let (bucket, key, id) = &target;
        send_complete(&t.ctx, &complete_prepared, (bucket, key, id), completed).await?;
        Ok(())
    }
    .await;
    if let Err(e) = outcome {
        let (bucket, key, id) = &target;
        abort_upload(&t, &abort_prepared, (bucket, key, id)).await;
        return Err(e);
    }
    Ok(())
}

const UPLOAD_PART_TYPED: &[&str] = &["ChecksumAlgorithm", "ChecksumCRC32", "ContentLength"];

/// Read parts on a blocking thread and upload them on `concurrency` tasks. At most one
/// part waits between the reader and the uploaders, so memory stays near
/// (concurrency + 2) x part size.
async fn send_parts(
    parts: &Arc<Parts>,
    mut reader: Box<dyn PartReader>,
    first: First,
    part_size: usize,
) -> Result<Vec<CompletedPart>> {
    let t = &parts.t;
    let (tx, rx) = mpsc::channel::<Part>(1);
    let with_crc = parts.algorithm == Some(ChecksumAlgorithm::Crc32);
    let cancel = t.cancel.clone();
    let producer = tokio::task::spawn_blocking(move || -> Result<()> {
        let mut number = 0i32;
        let mut send = |data: Bytes| -> Result<bool> {
            number += 1;
            if u64::try_from(number).unwrap_or(u64::MAX) > MAX_PARTS {
                return Err(Error::InvalidConfig(format!(
                    "the upload needs more than {MAX_PARTS} parts: raise multipart_chunksize"
                )));
            }
            let crc = with_crc.then(|| crc32_base64(&data));
            Ok(tx.blocking_send(Part { number, data, crc }).is_ok() && !cancel.is_cancelled())
        };
        for block in first.blocks {
            if !send(block)? {
                return Ok(());
            }
        }
        if first.eof {
            return Ok(());
        }
        loop {
            let block = reader.read(part_size)?;
            let last = block.len() < part_size;
            if !block.is_empty() && !send(block)? {
                return Ok(());
            }
            if last {
                return Ok(());
            }
        }
    });
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let mut set = JoinSet::new();
    for _ in 0..t.plan.concurrency.max(1) {
        let (parts, rx) = (Arc::clone(parts), Arc::clone(&rx));
        set.spawn(async move {
            let mut done = Vec::new();
            loop {
                let next = until_cancelled(&parts.t, async { Ok(rx.lock().await.recv().await) });
                let Some(part) = next.await? else {
                    return Ok(done);
                };
                let cancel = parts.t.cancel.clone();
                let sent = tokio::select! {
                    biased;
                    () = cancel.cancelled() => Err(Error::Cancelled),
                    sent = send_one(&parts, part) => sent,
                }?;
                done.push(sent);
            }
        });
    }
    let mut completed = Vec::new();
    while let Some(joined) = set.join_next().await {
        let failure = match joined {
            Ok(Ok(done)) => {
                completed.extend(done);
                continue;
            }
            Ok(Err(e)) => e,
            Err(e) => Error::Internal(format!("upload task failed: {e}")),
        };
        // Stop the others (dropping their requests) and the reader, then report.
        set.shutdown().await;
        drop(rx);
        return Err(failure);
    }
    until_cancelled(t, async {
        producer
            .await
            .map_err(|e| Error::Internal(format!("reader task failed: {e}")))?
    })
    .await?;
    t.check_cancelled()?;
    completed.sort_by_key(|p| p.part_number().unwrap_or_default());
    Ok(completed)
}

async fn send_one(parts: &Parts, part: Part) -> Result<CompletedPart> {
    let t = &parts.t;
    let len = part.data.len();
    let streamed = streamable(t, parts.algorithm.as_ref(), part.crc.as_ref());
    let body = if streamed {
        body_with_progress(part.data.clone(), t.plan.io_chunksize, &t.progress)
    } else {
        ByteStream::from(part.data.clone())
    };
    t.throttle(len).await;
    let (bucket, key, upload_id) = &parts.target;
    let request = PartRequest {
        bucket,
        key,
        upload_id,
        part_number: part.number,
        body,
        length: i64::try_from(len).unwrap_or(i64::MAX),
        algorithm: parts.algorithm.clone(),
        checksum_crc32: part.crc.clone(),
        unsigned_payload: t.ctx.unsigned_payload,
    };
    let seen = send_part(&t.ctx, &parts.prepared, request).await?;
    if !streamed {
        t.progress.add(i64::try_from(len).unwrap_or(i64::MAX));
    }
    parts.pool.give(part.data, t.plan.concurrency + 2);
    let echoed = |name: &str| seen.header(name).map(str::to_owned);
    let mut completed = CompletedPart::builder()
        .part_number(part.number)
        .set_e_tag(echoed("etag"));
    completed = match &parts.algorithm {
        Some(ChecksumAlgorithm::Crc32) => {
            completed.set_checksum_crc32(part.crc.or_else(|| echoed("x-amz-checksum-crc32")))
        }
        Some(ChecksumAlgorithm::Crc32C) => {
            completed.set_checksum_crc32_c(echoed("x-amz-checksum-crc32c"))
        }
        Some(ChecksumAlgorithm::Crc64Nvme) => {
            completed.set_checksum_crc64_nvme(echoed("x-amz-checksum-crc64nvme"))
        }
        Some(ChecksumAlgorithm::Sha1) => completed.set_checksum_sha1(echoed("x-amz-checksum-sha1")),
        Some(ChecksumAlgorithm::Sha256) => {
            completed.set_checksum_sha256(echoed("x-amz-checksum-sha256"))
        }
        _ => completed,
    };
    Ok(completed.build())
}
