//! The async API's native half: futures that run on s3seal's own fork-aware runtime and
//! resolve as asyncio futures on the caller's event loop.
//!
//! Why not pyo3-async-runtimes' `future_into_py`: per awaitable it spawns two tasks, hops to
//! the blocking pool, and takes the GIL twice off the loop's thread (to build the result,
//! then to `call_soon_threadsafe`, one self-pipe write per result). With many requests in
//! flight those hand-offs were most of an async request's client CPU. Here a finished task
//! only pushes its output onto its loop's [`Queue`] and, if the queue was empty, writes an
//! eventfd the loop watches (`add_reader`): no GIL off the loop, one wake-up for however many
//! results are ready. The loop's thread turns them into Python objects and sets the futures.
//!
//! Cancelling the asyncio future (task.cancel(), asyncio.wait_for's timeout) aborts the task,
//! which drops the Rust future and with it the in-flight request.

use std::cell::RefCell;
use std::future::Future;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::runtime::{fork_generation, panic_message, runtime};

/// Turns a task's output into the Python result, on the loop's thread (GIL held).
type Finish = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

/// A finished task's output, waiting for its loop.
struct Completion {
    future: Py<PyAny>,
    finish: Finish,
}

/// One event loop's finished tasks, and the eventfd that wakes the loop for them.
struct Queue {
    pending: Mutex<Vec<Completion>>,
    wake: OwnedFd,
}

impl Queue {
    fn new() -> PyResult<Self> {
        // SAFETY: a plain syscall; the descriptor is owned from here on.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error().into());
        }
        // SAFETY: `fd` is a fresh descriptor nobody else owns.
        let wake = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Self {
            pending: Mutex::new(Vec::new()),
            wake,
        })
    }

    /// Queue `done` for the loop; only the first of a batch wakes it.
    fn push(&self, done: Completion) {
        let first = {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            pending.push(done);
            pending.len() == 1
        };
        if first {
            let one: u64 = 1;
            // SAFETY: writes 8 bytes from a live u64 to our own eventfd. It cannot fail
            // short of the counter overflowing, which one write per batch never reaches.
            unsafe { libc::write(self.wake.as_raw_fd(), (&raw const one).cast(), 8) };
        }
    }

    /// Everything finished so far. The eventfd is read first: a push after that read
    /// writes it again, so no completion is left without a wake-up.
    fn take(&self) -> Vec<Completion> {
        let mut count: u64 = 0;
        // SAFETY: reads 8 bytes into a live u64 from our own non-blocking eventfd
        // (EAGAIN when it was not written is fine: there is nothing to reset).
        unsafe { libc::read(self.wake.as_raw_fd(), (&raw mut count).cast(), 8) };
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// The reader callback a loop calls when its queue's eventfd is readable.
#[pyclass(frozen)]
struct Drain {
    queue: Arc<Queue>,
}

#[pymethods]
impl Drain {
    fn __call__(&self, py: Python<'_>) {
        for done in self.queue.take() {
            settle(py, done);
        }
    }
}

/// Set `done`'s future to its result or exception, unless it was cancelled meanwhile.
fn settle(py: Python<'_>, done: Completion) {
    let future = done.future.bind(py);
    if future
        .call_method0(pyo3::intern!(py, "done"))
        .and_then(|d| d.is_truthy())
        .unwrap_or(true)
    {
        return;
    }
    let set = match (done.finish)(py) {
        Ok(value) => future.call_method1(pyo3::intern!(py, "set_result"), (value,)),
        Err(err) => future.call_method1(pyo3::intern!(py, "set_exception"), (err.into_value(py),)),
    };
    if let Err(err) = set {
        // Only a future that cannot take a result gets here; the loop has no one to tell.
        err.write_unraisable(py, Some(future));
    }
}

/// The done callback of each future: aborting an already finished task does nothing, so
/// it need not know whether the future was cancelled or resolved.
#[pyclass(frozen)]
struct AbortOnDone {
    task: tokio::task::AbortHandle,
}

#[pymethods]
impl AbortOnDone {
    fn __call__(&self, _future: &Bound<'_, PyAny>) {
        self.task.abort();
    }
}

/// The loop this thread last awaited on, and its queue.
struct LoopQueue {
    event_loop: Py<PyAny>,
    generation: u64,
    queue: Arc<Queue>,
}

thread_local! {
    // One entry: a thread runs one loop at a time. The strong reference keeps the loop's
    // address from being reused by another loop while it is cached here.
    static CURRENT: RefCell<Option<LoopQueue>> = const { RefCell::new(None) };
}

/// The running loop's queue, made and registered with the loop on first use (again after
/// a fork: the parent's eventfd is not the child's to read).
fn queue_for(py: Python<'_>, event_loop: &Bound<'_, PyAny>) -> PyResult<Arc<Queue>> {
    let generation = fork_generation();
    let cached = CURRENT.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|e| e.generation == generation && e.event_loop.is(event_loop))
            .map(|e| Arc::clone(&e.queue))
    });
    if let Some(queue) = cached {
        return Ok(queue);
    }
    let queue = Arc::new(Queue::new()?);
    let drain = Drain {
        queue: Arc::clone(&queue),
    };
    event_loop.call_method1(
        pyo3::intern!(py, "add_reader"),
        (queue.wake.as_raw_fd(), drain),
    )?;
    let entry = LoopQueue {
        event_loop: event_loop.clone().unbind(),
        generation,
        queue: Arc::clone(&queue),
    };
    // The old entry is dropped outside the borrow: releasing a loop may run Python code.
    let old = CURRENT.with(|c| c.borrow_mut().replace(entry));
    drop(old);
    Ok(queue)
}

fn running_loop(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    GET_RUNNING_LOOP
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("asyncio")?.getattr("get_running_loop")?.unbind())
        })?
        .bind(py)
        .call0()
}

/// The future `make` returns as an asyncio future of the running loop: it runs on s3seal's
/// runtime, and `finish` makes its output a Python object on the loop's thread.
///
/// The future is made on the runtime, not here: an operation's future is ~6 KiB, and
/// making it here, then moving it into the task, was two copies of that size (and a malloc)
/// per call on the loop's thread, under the GIL. The task now holds a closure and a box.
pub fn awaitable<'py, F, R>(
    py: Python<'py>,
    make: impl FnOnce() -> F + Send + 'static,
    finish: impl FnOnce(Python<'_>, R) -> PyResult<Py<PyAny>> + Send + 'static,
) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = R> + Send + 'static,
    R: Send + 'static,
{
    let event_loop = running_loop(py)?;
    let queue = queue_for(py, &event_loop)?;
    let future = event_loop.call_method0(pyo3::intern!(py, "create_future"))?;
    let done_future = future.clone().unbind();
    let task = runtime().spawn(async move {
        let finish: Finish = match CatchUnwind(Box::pin(make())).await {
            Ok(out) => Box::new(move |py| finish(py, out)),
            Err(panic) => Box::new(move |_| Err(PyRuntimeError::new_err(panic))),
        };
        queue.push(Completion {
            future: done_future,
            finish,
        });
    });
    future.call_method1(
        pyo3::intern!(py, "add_done_callback"),
        (AbortOnDone {
            task: task.abort_handle(),
        },),
    )?;
    Ok(future)
}

/// A future whose panic becomes an error (the awaiting coroutine would otherwise wait
/// forever for a result that never comes).
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Ready(out)) => Poll::Ready(Ok(out)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(panic) => Poll::Ready(Err(format!(
                "s3seal task panicked: {}",
                panic_message(&*panic)
            ))),
        }
    }
}
