//! Response bodies: `RawStream`, the wire side of `s3seal.response.StreamingBody`. Every
//! wait for data runs with the GIL released; a full `read()` builds the result once.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use bytes::{Buf, Bytes};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::error::{Error, Result};
use crate::runtime::wait;

/// Where a body stands: the stream, the unread rest of its last chunk, what is expected.
#[derive(Debug)]
struct Cursor {
    stream: ByteStream,
    pending: Bytes,
    remaining: Option<u64>,
    read_timeout: Duration,
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

#[pyclass(module = "s3seal._native", frozen)]
pub struct RawStream {
    /// Taken out while a read is in flight, so a second thread reading the same body gets
    /// an error instead of waiting on a lock with the GIL held.
    cursor: Mutex<Option<Cursor>>,
    closed: Mutex<bool>,
}

impl RawStream {
    pub fn new(stream: ByteStream, length: Option<u64>, read_timeout: Duration) -> Self {
        Self {
            cursor: Mutex::new(Some(Cursor {
                stream,
                pending: Bytes::new(),
                remaining: length,
                read_timeout,
            })),
            closed: Mutex::new(false),
        }
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
    fn read<'py>(&self, py: Python<'py>, amt: Option<usize>) -> PyResult<Bound<'py, PyBytes>> {
        let mut cursor = self.take()?;
        let result = read_with(py, &mut cursor, amt);
        self.put_back(cursor);
        result
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
// fills it, which the reading thread itself drives.
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
    advise_huge_pages(ptr, size);
    Ok((bytes, RawBuf { ptr, len: size }))
}

/// Ask for 2 MiB pages under a large body's buffer before it is first touched: filling
/// 256 MiB of fresh 4 KiB pages costs 65,536 page faults, which measured as more CPU than
/// receiving the data. Only a hint (transparent huge pages may be off).
fn advise_huge_pages(ptr: *mut u8, len: usize) {
    const HUGE: usize = 2 << 20;
    if len < 4 * HUGE {
        return;
    }
    let start = (ptr as usize).next_multiple_of(HUGE);
    let end = (ptr as usize + len) & !(HUGE - 1);
    #[cfg(target_os = "linux")]
    if end > start {
        // SAFETY: the range lies inside the allocation; MADV_HUGEPAGE changes no contents.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

fn read_with<'py>(
    py: Python<'py>,
    cursor: &mut Cursor,
    amt: Option<usize>,
) -> PyResult<Bound<'py, PyBytes>> {
    match (amt, cursor.remaining) {
        (Some(amt), _) => {
            let data = wait(py, cursor.read_up_to(amt))?;
            Ok(PyBytes::new(py, &data))
        }
        (None, Some(remaining)) => {
            // Content-Length is known: allocate the result once and fill it in place.
            let size = cursor.pending.len() + usize::try_from(remaining).unwrap_or(usize::MAX);
            let (bytes, buf) = uninit_bytes(py, size)?;
            let got = wait(py, cursor.fill(buf))?;
            if got == size {
                Ok(bytes)
            } else {
                // The body ended early; StreamingBody reports IncompleteReadError.
                // SAFETY: the first `got` bytes were written by `fill`.
                let written = unsafe { std::slice::from_raw_parts(buf.ptr, got) };
                Ok(PyBytes::new(py, written))
            }
        }
        (None, None) => {
            let data = wait(py, cursor.read_to_end())?;
            Ok(PyBytes::new(py, &data))
        }
    }
}
