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
    async fn fill(&mut self, buf: &mut [u8]) -> Result<usize> {
        let mut filled = 0;
        while filled < buf.len() {
            if self.pending.is_empty() {
                match self.next_chunk().await? {
                    Some(chunk) => self.pending = chunk,
                    None => break,
                }
            }
            let take = (buf.len() - filled).min(self.pending.len());
            buf[filled..filled + take].copy_from_slice(&self.pending[..take]);
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
            let mut got = 0;
            let bytes = PyBytes::new_with(py, size, |buf| {
                got = wait(py, cursor.fill(buf))?;
                Ok(())
            })?;
            if got == size {
                Ok(bytes)
            } else {
                // The body ended early; StreamingBody reports IncompleteReadError.
                Ok(PyBytes::new(py, &bytes.as_bytes()[..got]))
            }
        }
        (None, None) => {
            let data = wait(py, cursor.read_to_end())?;
            Ok(PyBytes::new(py, &data))
        }
    }
}
