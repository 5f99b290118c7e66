//! Downloads to a path or a Python file object, as s3transfer does them: HeadObject for the
//! size and ETag, one GetObject below the threshold, else concurrent ranged GETs pinned to
//! the ETag (`If-Match`) so an object replaced mid-download fails instead of mixing
//! versions. A path is written in place at each range's offset into a temporary file in
//! the target directory, renamed over the target only on success. Stream errors are
//! retried `num_download_attempts` times.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use super::{random_suffix, run_parts, text, Request, Transfer};
use crate::error::{Error, Result};
use crate::params::Params;
use crate::value::{field, Value};

/// The request templates of a download, built from `ExtraArgs`.
pub struct DownloadRequests {
    pub head: Params,
    pub get: Params,
}

pub enum Target {
    Path(PathBuf),
    /// A writable binary file object: written in order, in whole parts.
    FileObj(Py<PyAny>),
}

/// A temporary file removed on drop unless it was renamed into place.
struct TempFile {
    path: PathBuf,
    kept: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// What a ranged GET writes into.
enum Sink {
    /// `pwrite` at the range's offset, one writer at a time: concurrent writers to one file
    /// contend on its inode lock, which the kernel spins on (measured: about twice the CPU).
    File(Arc<(File, Mutex<()>)>, PathBuf),
    /// Collect the range; it goes to the ordered writer.
    Memory(Vec<Bytes>),
}

/// One GET: the whole object or `[start, end]` of it.
#[derive(Clone, Copy)]
struct Span {
    start: u64,
    len: u64,
    ranged: bool,
    /// The last range: open-ended (`bytes=N-`), as s3transfer asks for it.
    last: bool,
}

impl Span {
    fn header(self) -> Option<String> {
        self.ranged.then(|| match self.last {
            true => format!("bytes={}-", self.start),
            false => format!("bytes={}-{}", self.start, self.start + self.len - 1),
        })
    }
}

/// The object's spans: one below the threshold (or when empty), else `chunksize` ranges.
fn spans(t: &Transfer, size: u64) -> Vec<Span> {
    if size < t.plan.threshold || size == 0 {
        return vec![Span {
            start: 0,
            len: size,
            ranged: false,
            last: true,
        }];
    }
    let part = t.plan.chunksize.max(1);
    let count = size.div_ceil(part);
    (0..count)
        .map(|i| Span {
            start: i * part,
            len: part.min(size - i * part),
            ranged: true,
            last: i + 1 == count,
        })
        .collect()
}

pub async fn download(t: Arc<Transfer>, target: Target, req: DownloadRequests) -> Result<()> {
    let head = t
        .until_cancelled(t.send(Request::new("head", &req.head, Vec::new())))
        .await?;
    let size = match field(&head.fields, "ContentLength") {
        Some(Value::Int(n)) => u64::try_from(*n).unwrap_or_default(),
        _ => 0,
    };
    let etag = text(&head.fields, "ETag");
    let fetch = Arc::new(Fetch {
        t: Arc::clone(&t),
        get: req.get,
        etag,
    });
    match target {
        Target::Path(path) => to_path(&t, fetch, path, size).await,
        Target::FileObj(obj) => to_fileobj(&t, fetch, obj, size).await,
    }
}

/// s3transfer's temporary name: `<target>.<8 hex digits>`, in the target's directory.
fn temp_path(path: &std::path::Path) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(".");
    name.push(random_suffix());
    PathBuf::from(name)
}

async fn to_path(t: &Arc<Transfer>, fetch: Arc<Fetch>, path: PathBuf, size: u64) -> Result<()> {
    let temp_name = temp_path(&path);
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp_name)
        .map_err(|source| Error::Io {
            source,
            path: temp_name.clone(),
        })?;
    let mut temp = TempFile {
        path: temp_name.clone(),
        kept: false,
    };
    let file = Arc::new((file, Mutex::new(())));
    let spans = spans(t, size);
    let count = spans.len();
    let work = {
        let (fetch, file) = (Arc::clone(&fetch), Arc::clone(&file));
        move |i: usize| {
            let (fetch, file, path) = (Arc::clone(&fetch), Arc::clone(&file), temp_name.clone());
            let span = spans[i];
            async move { fetch.get(span, &mut Sink::File(file, path)).await.map(drop) }
        }
    };
    run_parts(t, count, work).await?;
    t.check_cancelled()?;
    drop(file);
    std::fs::rename(&temp.path, &path).map_err(|source| Error::Io {
        source,
        path: path.clone(),
    })?;
    temp.kept = true;
    Ok(())
}

/// A download's GETs: the template and the ETag to pin ranges to.
struct Fetch {
    t: Arc<Transfer>,
    get: Params,
    etag: Option<String>,
}

/// The errors s3transfer retries on a download (`S3_RETRYABLE_DOWNLOAD_ERRORS`).
fn retryable(e: &Error) -> bool {
    matches!(
        e,
        Error::ResponseStreaming(_)
            | Error::ReadTimeout(_)
            | Error::IncompleteRead { .. }
            | Error::ConnectionClosed(_)
    )
}

impl Fetch {
    /// GET `span` into `sink`, retrying stream errors; progress already reported for a
    /// failed attempt is taken back.
    async fn get(&self, span: Span, sink: &mut Sink) -> Result<()> {
        let attempts = self.t.plan.download_attempts.max(1);
        let mut last = None;
        for _ in 0..attempts {
            let mut reported = 0u64;
            let outcome = self.get_once(span, sink, &mut reported).await;
            match outcome {
                Ok(()) => return Ok(()),
                Err(e) if retryable(&e) => {
                    self.t
                        .progress
                        .add(-i64::try_from(reported).unwrap_or(i64::MAX));
                    if let Sink::Memory(chunks) = sink {
                        chunks.clear();
                    }
                    last = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(Error::RetriesExceeded(Box::new(last.unwrap_or_else(
            || Error::Internal("no attempt made".into()),
        ))))
    }

    async fn get_once(&self, span: Span, sink: &mut Sink, reported: &mut u64) -> Result<()> {
        let t = &self.t;
        // s3transfer's ranged GETs: `Range`, pinned to the ETag with `IfMatch`.
        let mut set = Vec::new();
        if let Some(range) = span.header() {
            set.push(("Range", Value::Str(range)));
            if let Some(etag) = &self.etag {
                set.push(("IfMatch", Value::Str(etag.clone())));
            }
        }
        // Ranged or not, botocore asks for the response checksum (`ChecksumMode`) and
        // validates one that comes back whole (S3 sends none for a range).
        let out = t.send(Request::new("get", &self.get, set)).await?;
        let url = out.meta.url.clone();
        let mut fields = out.fields;
        let expected = match field(&fields, "ContentLength") {
            Some(Value::Int(n)) => u64::try_from(*n).ok(),
            _ => None,
        }
        .unwrap_or(span.len);
        let at = fields.iter().position(|(name, _)| *name == "Body");
        let Some((_, Value::Stream(mut body, _))) = at.map(|at| fields.swap_remove(at)) else {
            return Err(Error::Internal("GetObject answered without a body".into()));
        };
        let mut offset = span.start;
        let mut batch: Vec<Bytes> = Vec::new();
        let mut batch_len = 0usize;
        // Progress goes out per `io_chunksize` received, as s3transfer reports it, even where
        // the writes are batched larger.
        let mut unreported = 0usize;
        let mut received = 0u64;
        loop {
            let next = tokio::time::timeout(t.read_timeout, body.next())
                .await
                .map_err(|_| Error::ReadTimeout(url.clone()))?;
            let chunk = match next {
                None => None,
                Some(Ok(chunk)) => Some(chunk),
                Some(Err(e)) => return Err(Error::ResponseStreaming(e.to_string())),
            };
            let end = chunk.is_none();
            if let Some(chunk) = chunk {
                received += chunk.len() as u64;
                batch_len += chunk.len();
                unreported += chunk.len();
                batch.push(chunk);
            }
            if batch_len >= batch_limit(sink, t.plan.io_chunksize) || (end && batch_len > 0) {
                t.throttle(batch_len).await;
                let chunks = std::mem::take(&mut batch);
                write(sink, offset, chunks).await?;
                offset += batch_len as u64;
                batch_len = 0;
            }
            if unreported >= t.plan.io_chunksize || (end && unreported > 0) {
                *reported += unreported as u64;
                t.progress
                    .add(i64::try_from(unreported).unwrap_or(i64::MAX));
                unreported = 0;
            }
            if end {
                break;
            }
            t.check_cancelled()?;
        }
        if received != expected {
            return Err(Error::IncompleteRead {
                actual: received,
                expected,
            });
        }
        Ok(())
    }
}

/// How much of a range is gathered before it is written: `io_chunksize`, and at least
/// [`FILE_BATCH`] for a file, whose writes each cost a hop to a blocking thread and back.
fn batch_limit(sink: &Sink, io_chunksize: usize) -> usize {
    match sink {
        Sink::File(..) => io_chunksize.max(FILE_BATCH),
        Sink::Memory(_) => io_chunksize,
    }
}

/// Measured on a 1 GiB download from Garage: 256 KiB batches cost ~8,000 thread switches.
const FILE_BATCH: usize = 1 << 20;

/// Write `chunks` at `offset`: `pwrite` on a blocking thread, or keep them in memory.
async fn write(sink: &mut Sink, offset: u64, chunks: Vec<Bytes>) -> Result<()> {
    match sink {
        Sink::File(file, path) => {
            let (file, path) = (Arc::clone(file), path.clone());
            tokio::task::spawn_blocking(move || {
                let (file, one_writer) = &*file;
                let _turn = one_writer.lock().unwrap_or_else(PoisonError::into_inner);
                let mut at = offset;
                for chunk in chunks {
                    file.write_all_at(&chunk, at).map_err(|source| Error::Io {
                        source,
                        path: path.clone(),
                    })?;
                    at += chunk.len() as u64;
                }
                Ok(())
            })
            .await
            .map_err(|e| Error::Internal(format!("writer task failed: {e}")))?
        }
        Sink::Memory(kept) => {
            kept.extend(chunks);
            Ok(())
        }
    }
}

/// A finished range on its way to the ordered writer, holding its memory permit.
struct Finished {
    index: usize,
    chunks: Vec<Bytes>,
    _permit: OwnedSemaphorePermit,
}

/// Ranges are fetched concurrently into memory and written to the file object in order,
/// one `write()` per range; at most 2 x concurrency ranges are held at once.
async fn to_fileobj(t: &Arc<Transfer>, fetch: Arc<Fetch>, obj: Py<PyAny>, size: u64) -> Result<()> {
    let spans = spans(t, size);
    let count = spans.len();
    let (tx, rx) = mpsc::unbounded_channel::<Finished>();
    let writer = tokio::task::spawn_blocking(move || write_in_order(&obj, rx));
    let permits = Arc::new(Semaphore::new(t.plan.concurrency.max(1) * 2));
    let work = move |i: usize| {
        let (fetch, permits, tx) = (Arc::clone(&fetch), Arc::clone(&permits), tx.clone());
        let span = spans[i];
        async move {
            let permit = permits
                .acquire_owned()
                .await
                .map_err(|_| Error::Cancelled)?;
            let mut sink = Sink::Memory(Vec::new());
            fetch.get(span, &mut sink).await?;
            let Sink::Memory(chunks) = sink else {
                return Err(Error::Internal("memory sink expected".into()));
            };
            tx.send(Finished {
                index: i,
                chunks,
                _permit: permit,
            })
            .map_err(|_| Error::Cancelled)
        }
    };
    let fetched = run_parts(t, count, work).await;
    // Every sender is gone now: the writer drains what it has and stops.
    let written = writer
        .await
        .map_err(|e| Error::Internal(format!("writer task failed: {e}")))?;
    written?;
    fetched?;
    t.check_cancelled()
}

fn write_in_order(obj: &Py<PyAny>, mut rx: mpsc::UnboundedReceiver<Finished>) -> Result<()> {
    let mut pending: BTreeMap<usize, Finished> = BTreeMap::new();
    let mut next = 0usize;
    while let Some(done) = rx.blocking_recv() {
        pending.insert(done.index, done);
        while let Some(ready) = pending.remove(&next) {
            let len: usize = ready.chunks.iter().map(Bytes::len).sum();
            if len > 0 {
                Python::attach(|py| -> PyResult<()> {
                    let data = PyBytes::new_with(py, len, |buf| {
                        let mut at = 0;
                        for chunk in &ready.chunks {
                            buf[at..at + chunk.len()].copy_from_slice(chunk);
                            at += chunk.len();
                        }
                        Ok(())
                    })?;
                    obj.bind(py).call_method1("write", (data,))?;
                    Ok(())
                })?;
            }
            next += 1;
        }
    }
    Ok(())
}
