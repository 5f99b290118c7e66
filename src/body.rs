//! Response bodies: `RawStream`, the wire side of `s3seal.response.StreamingBody`. Every
//! wait for data runs with the GIL released; a full `read()` builds the result once.

use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use aws_smithy_types::byte_stream::ByteStream;
use bytes::{Buf, Bytes};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::error::{Error, Result};
use crate::runtime::{wait_in, wait_on, Home};
use crate::transport::{LandingZone, READ_WHOLE_UP_TO};

/// Where a body stands: the stream, the unread rest of its last chunk, what is expected.
#[derive(Debug)]
struct Cursor {
    stream: ByteStream,
    pending: Bytes,
    remaining: Option<u64>,
    read_timeout: Duration,
    /// The runtime whose I/O driver the connection is registered with.
    home: Home,
    /// The whole body is in `pending` (it arrived with the response head): reads are
    /// served here, with no runtime and no wait.
    in_memory: bool,
    /// The `bytes` object the body landed in (see [`Landing`]), `pending` being a view of
    /// it, until the first read: a read of everything returns it as it is.
    whole: Option<Py<PyBytes>>,
}

impl Cursor {
    /// A read that needs no waiting: everything is in memory already.
    fn read_now<'py>(
        &mut self,
        py: Python<'py>,
        amt: Option<usize>,
    ) -> Option<Bound<'py, PyBytes>> {
        if !self.in_memory {
            return None;
        }
        let take = amt.unwrap_or(usize::MAX).min(self.pending.len());
        if let Some(whole) = self.whole.take() {
            if take == self.pending.len() {
                self.pending = Bytes::new();
                return Some(whole.into_bound(py));
            }
        }
        Some(PyBytes::new(py, &self.pending.split_to(take)))
    }
}

impl Cursor {
    /// The next chunk from the wire, or `None` at the end. A chunk that takes longer than
    /// the read timeout fails like botocore's socket timeout.
    async fn next_chunk(&mut self) -> Result<Option<Bytes>> {
        match tokio::time::timeout(self.read_timeout, self.stream.next()).await {
            Err(_) => Err(Error::ReadTimeout(String::from("(response body)"))),
            Ok(None) => Ok(None),
            Ok(Some(Err(e))) => Err(Error::ResponseStreaming(e.to_string())),
            Ok(Some(Ok(chunk))) => {
                if let Some(r) = self.remaining.as_mut() {
                    *r = r.saturating_sub(chunk.len() as u64);
                }
                Ok(Some(chunk))
            }
        }
    }

    /// Up to `amt` bytes: blocks until that many arrived or the body ended.
    async fn read_up_to(&mut self, amt: usize) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(amt.min(self.pending.len() + (8 << 20)));
        while out.len() < amt {
            if self.pending.is_empty() {
                match self.next_chunk().await? {
                    Some(chunk) => self.pending = chunk,
                    None => break,
                }
            }
            let take = (amt - out.len()).min(self.pending.len());
            out.extend_from_slice(&self.pending[..take]);
            self.pending.advance(take);
        }
        Ok(out)
    }

    /// Fill `buf` from the wire; returns how much arrived (less if the body ended early).
    async fn fill(&mut self, buf: RawBuf) -> Result<usize> {
        let mut filled = 0;
        while filled < buf.len {
            if self.pending.is_empty() {
                match self.next_chunk().await? {
                    Some(chunk) => self.pending = chunk,
                    None => break,
                }
            }
            let take = (buf.len - filled).min(self.pending.len());
            // SAFETY: `filled + take <= buf.len`, and `buf` is ours alone (see RawBuf).
            unsafe {
                std::ptr::copy_nonoverlapping(self.pending.as_ptr(), buf.ptr.add(filled), take);
            }
            self.pending.advance(take);
            filled += take;
        }
        Ok(filled)
    }

    async fn read_to_end(&mut self) -> Result<Vec<u8>> {
        let mut out = std::mem::take(&mut self.pending).to_vec();
        while let Some(chunk) = self.next_chunk().await? {
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }
}

/// The bytes of a body held in memory, moved out of it (an in-memory `SdkBody` yields its
/// one `Bytes` on the first poll, without waiting); a streamed body is given back as is.
/// Copying instead cost a memcpy of the whole body per GET, under the GIL.
fn take_whole(stream: ByteStream) -> (ByteStream, Option<Bytes>) {
    use http_body::Body;
    use std::task::{Context, Poll, Waker};
    let Some(len) = stream.bytes().map(<[u8]>::len) else {
        return (stream, None);
    };
    let mut body = stream.into_inner();
    let polled = Pin::new(&mut body).poll_frame(&mut Context::from_waker(Waker::noop()));
    let data = match polled {
        Poll::Ready(Some(Ok(frame))) => frame.into_data().unwrap_or_default(),
        _ => Bytes::new(),
    };
    debug_assert_eq!(data.len(), len, "an in-memory body yields itself whole");
    let empty = ByteStream::new(aws_smithy_types::body::SdkBody::empty());
    (empty, Some(data))
}

#[pyclass(module = "s3seal._native", frozen)]
pub struct RawStream {
    /// Taken out while a read is in flight, so a second thread reading the same body gets
    /// an error instead of waiting on a lock with the GIL held.
    cursor: Mutex<Option<Cursor>>,
    closed: Mutex<bool>,
}

impl RawStream {
    pub fn new(
        py: Python<'_>,
        stream: ByteStream,
        length: Option<u64>,
        read_timeout: Duration,
        home: Home,
        landing: Option<Landing>,
    ) -> PyResult<Self> {
        // A body that arrived whole with its head (small ones do, see transport/pool.rs)
        // moves into `pending`: reading it needs no runtime.
        let (stream, data) = take_whole(stream);
        let in_memory = data.is_some();
        let (pending, whole) = match (data, landing) {
            (Some(data), Some(landing)) => match landing.adopt(py, data)? {
                Ok((whole, view)) => (view, Some(whole)),
                Err(data) => (data, None),
            },
            (data, _) => (data.unwrap_or_default(), None),
        };
        Ok(Self {
            cursor: Mutex::new(Some(Cursor {
                stream,
                pending,
                remaining: length,
                read_timeout,
                home,
                in_memory,
                whole,
            })),
            closed: Mutex::new(false),
        })
    }

    fn take(&self) -> PyResult<Cursor> {
        if *self.closed.lock().unwrap_or_else(PoisonError::into_inner) {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "I/O operation on closed file.",
            ));
        }
        self.cursor
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .ok_or_else(|| {
                pyo3::exceptions::PyRuntimeError::new_err(
                    "this body is being read by another thread",
                )
            })
    }

    fn put_back(&self, cursor: Cursor) {
        *self.cursor.lock().unwrap_or_else(PoisonError::into_inner) = Some(cursor);
    }
}

#[pymethods]
impl RawStream {
    /// Read `amt` bytes, or everything that is left when `amt` is None.
    #[pyo3(signature = (amt=None))]
    pub(crate) fn read<'py>(
        &self,
        py: Python<'py>,
        amt: Option<usize>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let mut cursor = self.take()?;
        if let Some(data) = cursor.read_now(py, amt) {
            self.put_back(cursor);
            return Ok(data);
        }
        let (cursor, result) = read_with(py, cursor, amt);
        match cursor {
            Some(cursor) => self.put_back(cursor),
            // Interrupted while the rest was being read: where the body stands is unknown.
            None => *self.closed.lock().unwrap_or_else(PoisonError::into_inner) = true,
        }
        result
    }

    /// `read` if it needs no waiting (the body is in memory), else None: the async
    /// StreamingBody's shortcut past an awaitable's round trip through the runtime.
    #[pyo3(signature = (amt=None))]
    fn _read_now<'py>(
        &self,
        py: Python<'py>,
        amt: Option<usize>,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let mut cursor = self.take()?;
        let data = cursor.read_now(py, amt);
        self.put_back(cursor);
        Ok(data)
    }

    /// `read` as a coroutine (the async StreamingBody). Cancelled mid-read, the body is
    /// closed: where it stands is unknown.
    #[pyo3(signature = (amt=None))]
    fn _read_async<'py>(slf: &Bound<'py, Self>, amt: Option<usize>) -> PyResult<Bound<'py, PyAny>> {
        let mut cursor = slf.get().take()?;
        let owner = CloseUnlessReturned(Some(slf.clone().unbind()));
        crate::aio::awaitable(
            slf.py(),
            move || async move {
                let result = match amt {
                    Some(n) => cursor.read_up_to(n).await,
                    None => cursor.read_to_end().await,
                };
                (result, cursor, owner)
            },
            |py, (result, cursor, mut owner)| {
                if let Some(stream) = owner.0.take() {
                    stream.get().put_back(cursor);
                }
                Ok(PyBytes::new(py, &result?).into_any().unbind())
            },
        )
    }

    fn close(&self) {
        *self.closed.lock().unwrap_or_else(PoisonError::into_inner) = true;
        // Dropping the stream closes (and does not reuse) an unfinished connection.
        self.cursor
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }

    #[getter]
    fn closed(&self) -> bool {
        *self.closed.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Marks a body closed when an async read is dropped (cancelled) before it hands its
/// cursor back. A frozen pyclass's locks need no GIL, so this is safe in any thread.
struct CloseUnlessReturned(Option<Py<RawStream>>);

impl Drop for CloseUnlessReturned {
    fn drop(&mut self) {
        if let Some(stream) = self.0.take() {
            *stream
                .get()
                .closed
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = true;
        }
    }
}

/// A `bytes` object made before a call that may answer with a small streamed body, for
/// the transport to receive that body into with the GIL released (see
/// `transport/landing.rs` for why). Made and adopted under the GIL: a malloc before the
/// call, a shrinking realloc after, in place of a copy of the body.
pub struct Landing {
    zone: LandingZone,
}

impl Landing {
    pub fn new(py: Python<'_>) -> PyResult<Self> {
        // Room for the largest body the transport reads with its head.
        let (bytes, buf) = uninit_bytes(py, READ_WHOLE_UP_TO)?;
        // SAFETY: the buffer is the bytes object's, which the zone owns; nobody else has
        // seen the object, and nobody will until the zone gives it back (`adopt`).
        let zone = unsafe { LandingZone::new(buf.ptr, buf.len, bytes.unbind()) };
        Ok(Self { zone })
    }

    /// What the transport receives the body into.
    pub fn zone(&self) -> LandingZone {
        self.zone.clone()
    }

    /// The bytes object `data` landed in, cut to its length, with a view of it for the
    /// cursor; `Err(data)` if `data` is other memory (the body did not land).
    fn adopt(
        self,
        py: Python<'_>,
        data: Bytes,
    ) -> PyResult<std::result::Result<(Py<PyBytes>, Bytes), Bytes>> {
        if data.as_ptr() != self.zone.start() {
            return Ok(Err(data));
        }
        let len = data.len();
        drop(data);
        let mut zone = self.zone;
        let Some(bytes) = zone.take_owner::<Py<PyBytes>>() else {
            // Another view of it is still held somewhere: leave it be, and read this one.
            return Ok(Err(zone.filled(len)));
        };
        let (bytes, buf) = grow(py, Some(bytes.into_bound(py)), len)?;
        let view = Bytes::from_owner(BytesView {
            _bytes: bytes.clone().unbind(),
            buf,
        });
        Ok(Ok((bytes.unbind(), view)))
    }
}

/// A `bytes` object's contents as `Bytes`, holding a reference to it.
struct BytesView {
    _bytes: Py<PyBytes>,
    buf: RawBuf,
}

impl AsRef<[u8]> for BytesView {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: the object's buffer, kept alive by `_bytes`; bytes objects never change.
        unsafe { std::slice::from_raw_parts(self.buf.ptr, self.buf.len) }
    }
}

/// The inside of a `bytes` object this module just created and nobody else has seen: it
/// is written only through raw copies while the GIL is released, and handed to Python only
/// once full. Not zero-filled first (`PyBytes::new_with` would be): for a large body that
/// memset costs as much as the copy itself.
#[derive(Clone, Copy)]
struct RawBuf {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the buffer belongs to one read; the pointer only travels with the future that
// fills it, driven by the reading thread or by one task that thread waits for (and that
// holds its own reference to the bytes object, see `read_rest`).
unsafe impl Send for RawBuf {}

fn uninit_bytes(py: Python<'_>, size: usize) -> PyResult<(Bound<'_, PyBytes>, RawBuf)> {
    let len =
        isize::try_from(size).map_err(|_| pyo3::exceptions::PyOverflowError::new_err(size))?;
    // SAFETY: a NULL source asks CPython for an uninitialised bytes object of `len`.
    let bytes = unsafe {
        Bound::from_owned_ptr_or_err(
            py,
            pyo3::ffi::PyBytes_FromStringAndSize(std::ptr::null(), len),
        )?
        .cast_into_unchecked::<PyBytes>()
    };
    // SAFETY: `bytes` is a bytes object, so this is its `len`-byte buffer.
    let ptr = unsafe { pyo3::ffi::PyBytes_AsString(bytes.as_ptr()) }.cast::<u8>();
    let buf = RawBuf { ptr, len: size };
    buf.advise(false);
    Ok((bytes, buf))
}

impl RawBuf {
    fn advise(self, populate: bool) {
        advise(self.ptr as usize, self.len, populate);
    }
}

/// Memory advice for a large body's buffer, on its 2 MiB-aligned interior. Filling 256 MiB
/// of fresh 4 KiB pages costs 65,536 page faults, which measured as more CPU than receiving
/// the data: ask for huge pages before the first touch (only a hint: transparent huge
/// pages may be off), then fault the whole range in with one call (`populate`).
#[cfg(target_os = "linux")]
fn advise(addr: usize, len: usize, populate: bool) {
    const HUGE: usize = 2 << 20;
    if len < 4 * HUGE {
        return;
    }
    let start = addr.next_multiple_of(HUGE);
    let end = (addr + len) & !(HUGE - 1);
    let advice = if populate {
        libc::MADV_POPULATE_WRITE
    } else {
        libc::MADV_HUGEPAGE
    };
    if end > start {
        // SAFETY: the range lies inside the allocation; neither advice changes its
        // contents (populating only faults in pages not yet present).
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, advice);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise(_addr: usize, _len: usize, _populate: bool) {}

fn read_with<'py>(
    py: Python<'py>,
    mut cursor: Cursor,
    amt: Option<usize>,
) -> (Option<Cursor>, PyResult<Bound<'py, PyBytes>>) {
    match (amt, cursor.remaining) {
        (Some(amt), _) => {
            let home = cursor.home.clone();
            let data = wait_on(py, &home, cursor.read_up_to(amt));
            (
                Some(cursor),
                data.map(|d| PyBytes::new(py, &d)).map_err(Into::into),
            )
        }
        (None, Some(remaining)) => {
            let size = cursor.pending.len() + usize::try_from(remaining).unwrap_or(usize::MAX);
            match read_rest(py, cursor, size) {
                Ok((cursor, bytes)) => (Some(cursor), Ok(bytes)),
                Err(e) => (None, Err(e)),
            }
        }
        (None, None) => {
            let home = cursor.home.clone();
            let data = wait_on(py, &home, cursor.read_to_end());
            (
                Some(cursor),
                data.map(|d| PyBytes::new(py, &d)).map_err(Into::into),
            )
        }
    }
}

/// The rest of a body of announced length, into one bytes object. It grows in steps of at
/// most [`GROWTH_STEP`] as data arrives, never trusting `Content-Length` for more: a server
/// announcing 2 GiB and sending 10 bytes costs one step of address space, not of memory.
/// A body of up to [`FIRST_STEP`] never grows: it is received in place.
fn read_rest(
    py: Python<'_>,
    mut cursor: Cursor,
    size: usize,
) -> PyResult<(Cursor, Bound<'_, PyBytes>)> {
    let mut filled = 0;
    let mut bytes: Option<Bound<'_, PyBytes>> = None;
    loop {
        let step = filled
            .clamp(FIRST_STEP, GROWTH_STEP)
            .max(cursor.pending.len());
        let target = size.min(filled + step);
        let (grown, whole) = grow(py, bytes.take(), target)?;
        // SAFETY: `filled <= target`, the buffer's length.
        let rest = RawBuf {
            ptr: unsafe { whole.ptr.add(filled) },
            len: target - filled,
        };
        let (back, got) = fill_step(py, cursor, &grown, rest)?;
        cursor = back;
        filled += got;
        bytes = Some(grown);
        if got < rest.len || filled == size {
            break;
        }
    }
    let bytes = grow(py, bytes, filled)?.0;
    Ok((cursor, bytes))
}

/// How far ahead of the data received a body's buffer may grow: the first step, then
/// doubling up to [`GROWTH_STEP`]. Memory allocated but not yet written costs no RSS (a
/// lying server costs the pages it sent, not what it announced), so the first step is large
/// enough that most bodies never grow. Growing is a `realloc`, and glibc serves a large
/// request from the heap whenever the heap has room (a process that has freed large buffers
/// keeps it), where growing copies onto fresh 4 KiB pages: with an 8 MiB first step, a
/// 64 MiB GET copied 56 MiB and took 16,600 page faults, 0.6 GB/s on the sink against 2.4
/// before the steps.
const FIRST_STEP: usize = 256 << 20;
const GROWTH_STEP: usize = 1 << 30;

extern "C" {
    /// CPython's in-place resize of a bytes object nobody else references (not exported by
    /// pyo3-ffi; part of CPython's C API since 2.x).
    fn _PyBytes_Resize(bytes: *mut *mut pyo3::ffi::PyObject, size: pyo3::ffi::Py_ssize_t) -> i32;
}

/// A fresh uninitialised bytes object of `size`, or `bytes` resized to `size` (keeping its
/// contents). `bytes` must be referenced only here.
fn grow<'py>(
    py: Python<'py>,
    bytes: Option<Bound<'py, PyBytes>>,
    size: usize,
) -> PyResult<(Bound<'py, PyBytes>, RawBuf)> {
    let Some(bytes) = bytes else {
        return uninit_bytes(py, size);
    };
    if bytes.as_bytes().len() == size {
        let ptr = bytes.as_bytes().as_ptr().cast_mut();
        return Ok((bytes, RawBuf { ptr, len: size }));
    }
    let len =
        isize::try_from(size).map_err(|_| pyo3::exceptions::PyOverflowError::new_err(size))?;
    let mut raw = bytes.into_ptr();
    // SAFETY: `raw` is an owned reference to a bytes object only this read holds (the task
    // that filled it has finished and dropped its reference). On failure CPython frees it
    // and sets `raw` to NULL, which `from_owned_ptr_or_err` reports.
    let resized = unsafe {
        _PyBytes_Resize(&mut raw, len);
        Bound::from_owned_ptr_or_err(py, raw)?.cast_into_unchecked::<PyBytes>()
    };
    // SAFETY: `resized` is a bytes object of `size` bytes.
    let ptr = unsafe { pyo3::ffi::PyBytes_AsString(resized.as_ptr()) }.cast::<u8>();
    let buf = RawBuf { ptr, len: size };
    buf.advise(false);
    Ok((resized, buf))
}

/// Fill `rest` (a part of `bytes`) from the wire. A large part is copied by a task on the
/// runtime, beside the connection that receives the data: driven from the calling thread,
/// every chunk cost a cross-thread wake-up (measured: a third of a 64 MiB GET's CPU).
fn fill_step(
    py: Python<'_>,
    cursor: Cursor,
    bytes: &Bound<'_, PyBytes>,
    rest: RawBuf,
) -> PyResult<(Cursor, usize)> {
    // A local runtime's connection is best driven right here, by the thread that waits
    // anyway: no wake-ups to hand over.
    let spawner = cursor
        .home
        .spawner()
        .filter(|_| rest.len >= SPAWN_READ_FROM);
    let Some(rt) = spawner else {
        let mut cursor = cursor;
        let home = cursor.home.clone();
        let got = wait_on(py, &home, cursor.fill(rest))?;
        return Ok((cursor, got));
    };
    // The task holds its own reference, so the buffer outlives any write into it even if
    // this thread stops waiting (Ctrl-C) while the task is in the middle of a copy.
    let keep = bytes.clone().unbind();
    let task = rt.spawn(async move {
        let mut cursor = cursor;
        let got = cursor.fill(rest).await;
        (cursor, got, keep)
    });
    let abort = AbortOnDrop(task.abort_handle());
    // Fault the pages in here while the task receives, rather than on its thread.
    py.detach(move || rest.advise(true));
    let (cursor, got, keep) = wait_in(py, rt, async move {
        task.await
            .map_err(|e| Error::Internal(format!("body reader task failed: {e}")))
    })?;
    drop((abort, keep));
    Ok((cursor, got?))
}

/// Below this a body is copied on the calling thread: the hand-off to a task costs more
/// than the few wake-ups a small body needs.
const SPAWN_READ_FROM: usize = 1 << 20;

/// Stops a spawned task when the thread waiting for it gives up.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
