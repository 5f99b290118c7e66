//! Uploads from a path or a Python file object: one PutObject below the threshold, else a
//! multipart upload whose parts are read in order into a few reused buffers and sent
//! concurrently. Any failure aborts the upload.

use std::collections::VecDeque;
use std::fs::File;
use std::io::Read;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use bytes::{Bytes, BytesMut};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::PyBytes;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::progress::observer;
use super::{
    abort_upload, checksum_member, complete_members, completed_part, crc32_base64, text, Request,
    Transfer, MAX_PARTS,
};
use crate::engine::{Extras, Payload};
use crate::error::{Error, Result};
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
            if size < t.plan.upload_threshold() {
                return put_file(&t, &req, FileBody::new(file, 0, size)).await;
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
                if file.len < t.plan.upload_threshold() {
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
    // A read() stuck in a file object must not hold up Ctrl-C (its reader stops once the
    // sink is closed).
    let (reader, first) = t
        .until_cancelled(blocking(move || {
            let mut reader = reader;
            let first = read_first(reader.as_mut(), threshold, part_size)?;
            Ok((reader, first))
        }))
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

/// The single PutObject of an upload whose data is in memory.
async fn put(t: &Transfer, req: &UploadRequests, data: Bytes) -> Result<()> {
    t.throttle(data.len()).await;
    let mut request = Request::new("put", &req.put, Vec::new());
    request.extras = Extras {
        body: Some(Payload::Bytes(data)),
        observe: observer(&t.progress, t.plan.io_chunksize),
        landing: None,
    };
    t.until_cancelled(t.send(request)).await?;
    Ok(())
}

/// The single PutObject of a file below the threshold (a path, or an open regular file
/// from its position to its end, as s3transfer reads it): streamed from the file where
/// the payload goes unsigned with a CRC32 (computed by a first pass), so memory stays flat
/// whatever the threshold; else read into memory by the engine.
async fn put_file(t: &Transfer, req: &UploadRequests, file: FileBody) -> Result<()> {
    t.throttle(usize::try_from(file.len).unwrap_or(usize::MAX))
        .await;
    let mut request = Request::new("put", &req.put, Vec::new());
    request.extras = Extras {
        body: Some(Payload::File(file)),
        observe: observer(&t.progress, t.plan.io_chunksize),
        landing: None,
    };
    t.until_cancelled(t.send(request)).await?;
    Ok(())
}

/// One part on its way: number, data, and its CRC32 when that is the algorithm.
struct Part {
    number: usize,
    data: Bytes,
    crc: Option<String>,
}

/// Everything a part upload needs, shared by the upload tasks.
struct Parts {
    t: Arc<Transfer>,
    template: Params,
    algorithm: Option<String>,
    upload_id: String,
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
    let created = t
        .send(Request::new("create", &req.create, Vec::new()))
        .await?;
    let upload_id = text(&created.fields, "UploadId").unwrap_or_default();
    let UploadRequests {
        part,
        complete,
        abort,
        ..
    } = req;
    let parts = Arc::new(Parts {
        t: Arc::clone(&t),
        algorithm: part.string("ChecksumAlgorithm"),
        template: part,
        upload_id: upload_id.clone(),
        pool,
    });
    let outcome = async {
        let completed = send_parts(&parts, reader, first, part_size).await?;
        let set = complete_members(&upload_id, completed);
        t.until_cancelled(t.send(Request::new("complete", &complete, set)))
            .await?;
        Ok(())
    }
    .await;
    if let Err(e) = outcome {
        abort_upload(&t, &abort, &upload_id).await;
        return Err(e);
    }
    Ok(())
}

/// Read parts on a blocking thread and upload them on `concurrency` tasks. At most one
/// part waits between the reader and the uploaders, so memory stays near
/// (concurrency + 2) x part size.
async fn send_parts(
    parts: &Arc<Parts>,
    mut reader: Box<dyn PartReader>,
    first: First,
    part_size: usize,
) -> Result<Vec<Value>> {
    let t = &parts.t;
    let (tx, rx) = mpsc::channel::<Part>(1);
    let with_crc = parts
        .algorithm
        .as_deref()
        .is_some_and(|a| a.eq_ignore_ascii_case("CRC32"));
    let cancel = t.cancel.clone();
    let producer = tokio::task::spawn_blocking(move || -> Result<()> {
        let mut number = 0usize;
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
                let next = parts
                    .t
                    .until_cancelled(async { Ok(rx.lock().await.recv().await) });
                let Some(part) = next.await? else {
                    return Ok(done);
                };
                let number = part.number;
                let sent = parts.t.until_cancelled(send_one(&parts, part)).await?;
                done.push((number, sent));
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
    t.until_cancelled(async {
        producer
            .await
            .map_err(|e| Error::Internal(format!("reader task failed: {e}")))?
    })
    .await?;
    t.check_cancelled()?;
    completed.sort_by_key(|(number, _)| *number);
    Ok(completed.into_iter().map(|(_, part)| part).collect())
}

/// One UploadPart, through the engine; the completed part CompleteMultipartUpload lists.
async fn send_one(parts: &Parts, part: Part) -> Result<Value> {
    let t = &parts.t;
    t.throttle(part.data.len()).await;
    let set = vec![
        ("UploadId", Value::Str(parts.upload_id.clone())),
        (
            "PartNumber",
            Value::Int(i64::try_from(part.number).unwrap_or(i64::MAX)),
        ),
    ];
    let mut request = Request::new("part", &parts.template, set);
    request.extras = Extras {
        body: Some(Payload::Bytes(part.data.clone())),
        observe: observer(&t.progress, t.plan.io_chunksize),
        landing: None,
    };
    request.crc32 = part.crc.clone();
    let out = t.send(request).await?;
    parts.pool.give(part.data, t.plan.concurrency + 2);
    let checksum = parts
        .algorithm
        .as_deref()
        .and_then(checksum_member)
        .and_then(|member| {
            let echoed = text(&out.fields, member);
            let own = (member == "ChecksumCRC32").then_some(part.crc).flatten();
            own.or(echoed).map(|v| (member, v))
        });
    Ok(completed_part(
        part.number,
        text(&out.fields, "ETag"),
        checksum,
    ))
}
