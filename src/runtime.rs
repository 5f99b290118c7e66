//! The one tokio runtime of the process, rebuilt after `fork()`, and `wait`: the only way
//! s3seal blocks, with the GIL released and Ctrl-C honoured.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::Once;
use std::time::Duration;

use pyo3::prelude::*;
use tokio::runtime::Runtime;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};

/// Bumped in the child of every `fork()`: a runtime or connection pool made in an older
/// generation belongs to threads that no longer exist and must not be used.
static FORK_GENERATION: AtomicU64 = AtomicU64::new(0);
static RUNTIME: AtomicPtr<(u64, Runtime)> = AtomicPtr::new(std::ptr::null_mut());
static AT_FORK: Once = Once::new();

/// How often a wait on the main thread looks for a pending signal (Ctrl-C).
const SIGNAL_TICK: Duration = Duration::from_millis(100);

extern "C" fn child_after_fork() {
    FORK_GENERATION.fetch_add(1, Ordering::SeqCst);
}

pub fn fork_generation() -> u64 {
    FORK_GENERATION.load(Ordering::Acquire)
}

/// The runtime of this process, built on first use and again in a forked child. The
/// runtime inherited over a fork is leaked, never dropped: its worker threads are gone and
/// dropping it could block on them.
pub fn runtime() -> &'static Runtime {
    AT_FORK.call_once(|| {
        // SAFETY: registering a handler that only touches an atomic is async-signal-safe.
        unsafe {
            libc::pthread_atfork(None, None, Some(child_after_fork));
        }
    });
    let generation = fork_generation();
    let current = RUNTIME.load(Ordering::Acquire);
    // SAFETY: pointers stored in RUNTIME come from Box::into_raw and are never freed.
    if let Some((g, rt)) = unsafe { current.as_ref() } {
        if *g == generation {
            return rt;
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("s3seal-worker")
        .build()
        .expect("tokio runtime");
    let fresh = Box::into_raw(Box::new((generation, rt)));
    match RUNTIME.compare_exchange(current, fresh, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => {
            // SAFETY: `fresh` is now published and never freed.
            let rt = unsafe { &(*fresh).1 };
            if generation == 0 {
                // The async API (pyo3-async-runtimes) runs on this same runtime.
                let _ = pyo3_async_runtimes::tokio::init_with_runtime(rt);
            }
            rt
        }
        Err(_) => {
            // Another thread won the race: drop ours (never used) and take theirs.
            // SAFETY: `fresh` was never published.
            drop(unsafe { Box::from_raw(fresh) });
            runtime()
        }
    }
}

fn on_main_thread() -> bool {
    // SAFETY: plain syscalls without arguments.
    unsafe { libc::gettid() == libc::getpid() }
}

/// Run `fut` to completion on the shared runtime with the GIL released. On the main thread
/// a pending Ctrl-C raises `KeyboardInterrupt` within ~0.1 s and drops `fut`, which
/// cancels whatever it had in flight. A panic becomes an error, never a Python crash.
pub fn wait<T, F>(py: Python<'_>, fut: F) -> Result<T>
where
    F: Future<Output = Result<T>> + Send,
    T: Send,
{
    block(py, fut, on_main_thread())
}

/// Block on `fut` with the GIL released, checking for signals if `watch_signals`.
fn block<T, F>(py: Python<'_>, fut: F, watch_signals: bool) -> Result<T>
where
    F: Future<Output = Result<T>> + Send,
    T: Send,
{
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::Internal(
            "s3seal cannot block inside its own runtime (called from a callback?)".into(),
        ));
    }
    py.detach(move || {
        let run = AssertUnwindSafe(|| {
            runtime().block_on(async move {
                if !watch_signals {
                    return fut.await;
                }
                tokio::pin!(fut);
                loop {
                    tokio::select! {
                        biased;
                        out = &mut fut => return out,
                        () = tokio::time::sleep(SIGNAL_TICK) => {
                            Python::attach(|py| py.check_signals())?;
                        }
                    }
                }
            })
        });
        std::panic::catch_unwind(run).unwrap_or_else(|panic| {
            let text = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(Error::Internal(format!("panic: {text}")))
        })
    })
}

/// How long a cancelled transfer may take to clean up (abort its multipart upload, remove
/// its temporary file) before Ctrl-C is raised anyway.
const CLEANUP_GRACE: Duration = Duration::from_secs(30);

/// [`wait`] for work that must clean up when interrupted: on Ctrl-C the future is not
/// dropped but told to stop through its [`CancellationToken`], and awaited (up to
/// [`CLEANUP_GRACE`]) so it can abort what it started before `KeyboardInterrupt` is raised.
pub fn wait_cancellable<T, F>(
    py: Python<'_>,
    make: impl FnOnce(CancellationToken) -> F,
) -> Result<T>
where
    F: Future<Output = Result<T>> + Send,
    T: Send,
{
    let cancel = CancellationToken::new();
    let fut = make(cancel.clone());
    let watching = on_main_thread();
    let guarded = async move {
        tokio::pin!(fut);
        loop {
            tokio::select! {
                biased;
                out = &mut fut => return out,
                () = tokio::time::sleep(SIGNAL_TICK), if watching => {
                    if let Err(interrupt) = Python::attach(|py| py.check_signals()) {
                        cancel.cancel();
                        let _ = tokio::time::timeout(CLEANUP_GRACE, &mut fut).await;
                        return Err(Error::Python(interrupt));
                    }
                }
            }
        }
    };
    block(py, guarded, false)
}
