//! The tokio runtimes of the process, rebuilt after `fork()`, and `wait`: the only way
//! s3seal blocks, with the GIL released and Ctrl-C honoured.
//!
//! Three kinds, one code path on top of them. The shared multi-thread runtime runs the async
//! API and the transfer engine's parallel parts. A synchronous call runs on a *local*
//! runtime instead: a current-thread runtime the calling thread drives itself, so the
//! socket's readiness wakes that thread directly. On the shared runtime the same request
//! took three cross-thread wake-ups (caller -> connection task -> I/O driver -> caller),
//! which measured as most of a small request's cost. Local runtimes are kept in an idle
//! stack and lent out per call (not per thread: threads come and go, runtimes own file
//! descriptors), and their connections stay with them (see `transport.rs`). When every
//! local runtime is in use (more threads calling at once than cores), a call runs as a
//! task of the *overflow* runtime, a multi-thread one of its own (see [`wait_home`]).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, Once, PoisonError};
use std::time::Duration;

use pyo3::prelude::*;
use tokio::runtime::Runtime;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use crate::transfer::TransferStop;

/// Bumped in the child of every `fork()`: a runtime or connection pool made in an older
/// generation belongs to threads that no longer exist and must not be used.
static FORK_GENERATION: AtomicU64 = AtomicU64::new(0);
static AT_FORK: Once = Once::new();
/// The async API, the transfer engine's parallel parts and large body copies.
static SHARED: ForkAware = ForkAware::new();
/// Synchronous calls beyond the local runtimes (see [`wait_home`]).
static OVERFLOW: ForkAware = ForkAware::new();

/// How often a wait on the main thread looks for a pending signal (Ctrl-C).
const SIGNAL_TICK: Duration = Duration::from_millis(100);

extern "C" fn child_after_fork() {
    FORK_GENERATION.fetch_add(1, Ordering::SeqCst);
}

pub fn fork_generation() -> u64 {
    FORK_GENERATION.load(Ordering::Acquire)
}

/// The shared multi-thread runtime (one worker per core, tokio's default).
pub fn runtime() -> &'static Runtime {
    SHARED.get(|builder| builder.thread_name("s3seal-worker"))
}

/// The runtime the synchronous calls past [`local_limit`] run on: its own, with one worker
/// fewer than the cores (at least one).
///
/// One core is taken by whichever thread holds the GIL, and the calls that overflow here
/// are each a small request between two turns of it. With a worker per core (the shared
/// runtime), each call spawned from outside woke an idle worker to run it: the workers
/// took turns parking and being woken (a futex wake and often an inter-processor
/// interrupt each) where one busy worker would have found the next call in its queue.
/// Measured on the sink, 2 cores (so one worker here), 32 threads, paired runs against the
/// shared runtime (geometric means of 6-8 rounds): 4 KiB GET 1.07x ops/s plain and SSE-C,
/// PUT 1.04x and 1.06x, at 7-11 % less client CPU; 64 KiB GET 1.15x, PUT 1.01x. The
/// transfer engine keeps the shared runtime and all its workers: one worker for it
/// measured up to 15 % slower on a 1 GiB upload.
fn overflow_runtime() -> &'static Runtime {
    OVERFLOW.get(|builder| {
        builder
            .thread_name("s3seal-calls")
            .worker_threads(overflow_workers(std::thread::available_parallelism().ok()))
            // Its connections stay with it, as a local runtime's do: used from the shared
            // runtime, each readiness would be one more wake-up across runtimes.
            .on_thread_start(|| DRIVING.with(|d| d.set(OVERFLOW_RUNTIME_ID)))
    })
}

/// Names the overflow runtime in connection pools (local runtimes count up from 1).
const OVERFLOW_RUNTIME_ID: u64 = u64::MAX;

fn overflow_workers(cores: Option<std::num::NonZeroUsize>) -> usize {
    cores.map_or(1, usize::from).saturating_sub(1).max(1)
}

/// A multi-thread runtime of this process, built on first use and again in a forked child.
/// The runtime inherited over a fork is leaked, never dropped: its worker threads are gone
/// and dropping it could block on them.
struct ForkAware(AtomicPtr<(u64, Runtime)>);

impl ForkAware {
    const fn new() -> Self {
        Self(AtomicPtr::new(std::ptr::null_mut()))
    }

    fn get(
        &'static self,
        configure: impl Fn(&mut tokio::runtime::Builder) -> &mut tokio::runtime::Builder,
    ) -> &'static Runtime {
        AT_FORK.call_once(|| {
            // SAFETY: registering a handler that only touches an atomic is async-signal-safe.
            unsafe {
                libc::pthread_atfork(None, None, Some(child_after_fork));
            }
        });
        let generation = fork_generation();
        let current = self.0.load(Ordering::Acquire);
        // SAFETY: pointers stored here come from Box::into_raw and are never freed.
        if let Some((g, rt)) = unsafe { current.as_ref() } {
            if *g == generation {
                return rt;
            }
        }
        let rt = configure(tokio::runtime::Builder::new_multi_thread().enable_all())
            .build()
            .expect("tokio runtime");
        let fresh = Box::into_raw(Box::new((generation, rt)));
        match self
            .0
            .compare_exchange(current, fresh, Ordering::AcqRel, Ordering::Acquire)
        {
            // SAFETY: `fresh` is now published and never freed.
            Ok(_) => unsafe { &(*fresh).1 },
            Err(_) => {
                // Another thread won the race: drop ours (never used) and take theirs.
                // SAFETY: `fresh` was never published.
                drop(unsafe { Box::from_raw(fresh) });
                self.get(configure)
            }
        }
    }
}

/// A current-thread runtime lent to one synchronous call at a time (see the module doc).
/// A response body read later keeps its `Local`: its connection is registered with this
/// runtime's I/O driver, so the reads must drive the same runtime.
#[derive(Clone)]
pub struct Local(Arc<LocalRuntime>);

struct LocalRuntime {
    rt: Runtime,
    /// Names this runtime in connection pools (0 is the shared runtime, and
    /// [`OVERFLOW_RUNTIME_ID`] the overflow one).
    id: u64,
}

impl std::fmt::Debug for Local {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Local({})", self.0.id)
    }
}

/// Idle local runtimes, of one fork generation.
static IDLE_LOCALS: Mutex<(u64, Vec<Local>)> = Mutex::new((0, Vec::new()));
static NEXT_LOCAL_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// What this thread's last call was done with, to be freed by its next wait: see
    /// [`free_later`].
    static FREE_LATER: RefCell<Option<Box<dyn Send>>> = const { RefCell::new(None) };
}

/// Free `value` at this thread's next blocking wait, once the GIL is released, not now.
/// A call ends under the GIL, and what it ends with (a GET's response metadata: some 20
/// strings) was freed there, on the path every other thread waits for. One value waits per
/// thread: keeping another frees the one before (an event loop's thread, which never
/// blocks, frees each call's leftovers at the next call's end, as before). A thread that
/// never calls again frees it when it exits.
pub fn free_later<T: Send + 'static>(value: T) {
    let before = FREE_LATER.with(|later| later.borrow_mut().replace(Box::new(value)));
    drop(before);
}

/// Free what [`free_later`] kept (called with the GIL released).
fn free_kept() {
    let kept = FREE_LATER.with(|later| later.borrow_mut().take());
    drop(kept);
}

thread_local! {
    /// The runtime whose connections this thread's requests use: the local runtime it is
    /// driving right now, the overflow runtime on that runtime's workers, else 0 (the
    /// shared one).
    static DRIVING: Cell<u64> = const { Cell::new(0) };
    /// The local runtime this thread was last lent: lent again when idle, so a thread's
    /// calls find the connections its earlier calls (and their bodies) gave back.
    static LAST_LENT: Cell<u64> = const { Cell::new(0) };
}

/// Which runtime's connections a request made here may use: a connection belongs to the
/// runtime whose I/O driver it was registered with.
pub fn driving_runtime_id() -> u64 {
    DRIVING.with(Cell::get)
}

impl Local {
    fn lend() -> Result<Self> {
        let generation = fork_generation();
        {
            let mut idle = IDLE_LOCALS.lock().unwrap_or_else(PoisonError::into_inner);
            if idle.0 != generation {
                // Inherited over a fork: their drivers' descriptors are shared with the
                // parent. Leaked, never dropped (dropping could wait on threads that are gone).
                std::mem::forget(std::mem::take(&mut idle.1));
                idle.0 = generation;
            }
            let last = LAST_LENT.with(Cell::get);
            let pick = idle.1.iter().position(|l| l.0.id == last);
            let local = match pick {
                Some(i) => Some(idle.1.swap_remove(i)),
                None => idle.1.pop(),
            };
            if let Some(local) = local {
                LAST_LENT.with(|l| l.set(local.0.id));
                return Ok(local);
            }
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .thread_name("s3seal-blocking")
            .build()
            .map_err(|e| Error::Internal(format!("cannot start a runtime: {e}")))?;
        let id = NEXT_LOCAL_ID.fetch_add(1, Ordering::Relaxed);
        LAST_LENT.with(|l| l.set(id));
        Ok(Self(Arc::new(LocalRuntime { rt, id })))
    }

    fn give_back(self) {
        let mut idle = IDLE_LOCALS.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.0 == fork_generation() {
            idle.1.push(self);
        } else {
            std::mem::forget(self);
        }
    }

    /// Drive this runtime until `fut` is done (another thread may be driving it too: tokio
    /// lets one of them hold the driver and wakes the other).
    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        let previous = DRIVING.with(|d| d.replace(self.0.id));
        let out = self.0.rt.block_on(PollAgain::new(fut));
        DRIVING.with(|d| d.set(previous));
        out
    }
}

/// A future polled again at once when it wakes itself while being polled, instead of
/// going back to the runtime for it.
///
/// A request driven by the waiting thread wakes itself at every hand-over inside hyper
/// (request into the connection's channel, response head out, body out): each such wake
/// sent the current-thread runtime round its loop once more, to a zero-timeout
/// `epoll_wait` and the timer wheel, before the next poll. A small GET made three
/// `epoll_wait` calls where one (for the server's answer) is needed.
///
/// Wakes from anywhere else (the I/O driver, a timer, another thread) reach the runtime as
/// before. When tokio's cooperative budget runs out the wake goes to the runtime too: it
/// is tokio asking for its turn.
struct PollAgain<F> {
    fut: F,
    wake: Arc<SelfWake>,
}

/// [`PollAgain`]'s waker: `state` says whether the future is being polled, and whether it
/// woke itself meanwhile.
struct SelfWake {
    state: AtomicU8,
    outer: Mutex<Option<std::task::Waker>>,
}

const IDLE: u8 = 0;
const POLLING: u8 = 1;
const WOKEN_WHILE_POLLED: u8 = 2;

/// At most this many polls in a row before the runtime gets its turn anyway.
const POLLS_IN_A_ROW: usize = 16;

impl<F: Future> PollAgain<F> {
    fn new(fut: F) -> Self {
        let wake = Arc::new(SelfWake {
            state: AtomicU8::new(IDLE),
            outer: Mutex::new(None),
        });
        Self { fut, wake }
    }
}

impl<F: Future> Future for PollAgain<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<F::Output> {
        let wake = Arc::clone(&self.wake);
        // SAFETY: `fut` is structurally pinned: it is never moved out of `PollAgain`.
        let mut fut = unsafe { self.map_unchecked_mut(|s| &mut s.fut) };
        wake.remember(cx.waker());
        let waker = std::task::Waker::from(Arc::clone(&wake));
        let mut inner = std::task::Context::from_waker(&waker);
        for _ in 0..POLLS_IN_A_ROW {
            wake.state.store(POLLING, Ordering::Release);
            let out = fut.as_mut().poll(&mut inner);
            let woke_itself = wake.state.swap(IDLE, Ordering::AcqRel) == WOKEN_WHILE_POLLED;
            if out.is_ready() || !woke_itself {
                return out;
            }
            if !tokio::task::coop::has_budget_remaining() {
                break;
            }
        }
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

impl SelfWake {
    fn remember(&self, outer: &std::task::Waker) {
        let mut kept = self.outer.lock().unwrap_or_else(PoisonError::into_inner);
        if !kept.as_ref().is_some_and(|k| k.will_wake(outer)) {
            *kept = Some(outer.clone());
        }
    }
}

impl std::task::Wake for SelfWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // While polled, only noted (the poll loop polls again); otherwise passed on. A wake
        // that races the end of a poll either lands before the loop looks (polled again)
        // or finds IDLE and is passed on: never lost.
        let noted = self.state.compare_exchange(
            POLLING,
            WOKEN_WHILE_POLLED,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
        if matches!(noted, Err(IDLE)) {
            let outer = self.outer.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(outer) = outer.as_ref() {
                outer.wake_by_ref();
            }
        }
    }
}

/// The runtime a call ran on, and so where its response body is read: a connection is
/// registered with one runtime's I/O driver, and is best driven there.
#[derive(Clone, Debug)]
pub enum Home {
    Shared,
    Overflow,
    Local(Local),
}

impl Home {
    /// The multi-thread runtime a task reading this body may be spawned on (`None`: a
    /// local runtime, driven by the thread that waits).
    pub fn spawner(&self) -> Option<&'static Runtime> {
        match self {
            Home::Shared => Some(runtime()),
            Home::Overflow => Some(overflow_runtime()),
            Home::Local(_) => None,
        }
    }
}

fn on_main_thread() -> bool {
    thread_local! {
        /// The answer for this thread, and the fork generation it was found in: asked on
        /// every call, it cost two system calls per request. A forked child's thread
        /// (a copy of the forking one) asks again.
        static MAIN: Cell<Option<(u64, bool)>> = const { Cell::new(None) };
    }
    let generation = fork_generation();
    MAIN.with(|known| match known.get() {
        Some((g, main)) if g == generation => main,
        _ => {
            // SAFETY: plain syscalls without arguments.
            let main = unsafe { libc::gettid() == libc::getpid() };
            known.set(Some((generation, main)));
            main
        }
    })
}

/// Run `fut` to completion on the shared runtime with the GIL released. On the main thread
/// a pending Ctrl-C raises `KeyboardInterrupt` within ~0.1 s and drops `fut`, which
/// cancels whatever it had in flight. A panic becomes an error, never a Python crash.
pub fn wait<T, F>(py: Python<'_>, fut: F) -> Result<T>
where
    F: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    wait_in(py, runtime(), fut)
}

/// [`wait`], with `fut` run as a task of `rt`.
pub fn wait_in<T, F>(py: Python<'_>, rt: &'static Runtime, fut: F) -> Result<T>
where
    F: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    block_spawned(py, rt, move || fut, on_main_thread())
}

/// [`wait`] on the future `make` returns, also naming the runtime it ran on ([`Home`]):
/// where a response body it returned must be read (see [`wait_on`]). The future is made
/// with the GIL released (see [`block`]).
///
/// Up to [`local_limit`] calls at a time each drive a local runtime from their own thread.
/// Beyond that, calls run as tasks of the overflow runtime ([`overflow_runtime`]) while
/// their threads sleep (its workers take every ready socket in one wake-up), so that a
/// process with hundreds of threads does not keep a runtime, and its descriptors, for each.
///
/// The limit is one per core. Past that, more threads doing their own socket I/O only
/// compete for the cores, and the thread the GIL is handed to waits its turn behind them:
/// the GIL sits idle while queued threads wait for it. The overflow runtime's workers take
/// every ready socket in one wake-up and leave the cores to the threads running Python.
/// Measured on the sink, 2 cores, 4 KiB, paired runs, one local runtime per core / one
/// per thread (64): 32 threads GET 1.19x ops/s plain and 1.15x SSE-C (client CPU 85 / 100
/// and 100 / 107 us per GET, context switches 2.6 / 3.7 per GET), PUT 0.98x and 1.16x;
/// 64 KiB GET 1.09x, PUT 0.88x (still 1.37x obstore's); 2, 4 and 8 threads within the
/// noise. An earlier machine had measured the other way (1.14x for one per thread at 32
/// threads): the cost of a context switch decides it, and it is highest where it hurts.
/// `S3SEAL_LOCAL_RUNTIMES` sets it for measurements.
pub fn wait_home<T, F>(
    py: Python<'_>,
    make: impl FnOnce() -> F + Send + 'static,
) -> Result<(T, Home)>
where
    F: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let watch = on_main_thread();
    let Some(_slot) = LocalSlot::take() else {
        return block_spawned(py, overflow_runtime(), make, watch).map(|out| (out, Home::Overflow));
    };
    refuse_inside_runtime()?;
    // Lent and given back with the GIL released too: both take a process-wide lock.
    py.detach(move || {
        free_kept();
        let home = Home::Local(Local::lend()?);
        let out = run_blocking(make, watch, &home);
        if let Home::Local(local) = &home {
            local.clone().give_back();
        }
        out.map(|out| (out, home))
    })
}

/// How many synchronous calls may drive local runtimes at once (see [`wait_home`]): one
/// per core the process may use, at least one, at most [`MAX_LOCAL_RUNTIMES`].
fn local_limit() -> usize {
    static LIMIT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        // A knob for measurements (benches/), not a setting.
        std::env::var("S3SEAL_LOCAL_RUNTIMES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| limit_for_cores(std::thread::available_parallelism().ok()))
    })
}

fn limit_for_cores(cores: Option<std::num::NonZeroUsize>) -> usize {
    cores.map_or(1, usize::from).min(MAX_LOCAL_RUNTIMES)
}

/// However many cores: the runtimes' descriptors (four each, counted: two epoll, an
/// eventfd and the signal driver's socket) stay a quarter of the usual limit of 1024.
const MAX_LOCAL_RUNTIMES: usize = 64;

static LOCAL_SLOTS_IN_USE: AtomicU64 = AtomicU64::new(0);

/// One of the [`local_limit`] places for a call that drives its own runtime.
struct LocalSlot;

impl LocalSlot {
    fn take() -> Option<Self> {
        let limit = local_limit() as u64;
        LOCAL_SLOTS_IN_USE
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < limit).then_some(n + 1)
            })
            .ok()
            .map(|_| LocalSlot)
    }
}

impl Drop for LocalSlot {
    fn drop(&mut self) {
        LOCAL_SLOTS_IN_USE.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Run the future `make` returns as a task of `rt` and sleep until it is done,
/// with the GIL released (the future is made after it is released, see [`block`]). Watching
/// signals (the main thread), a pending Ctrl-C aborts the task (dropping what it had in
/// flight) and raises `KeyboardInterrupt` within ~0.1 s. A panic becomes an error, never a
/// Python crash.
fn block_spawned<T, F>(
    py: Python<'_>,
    rt: &'static Runtime,
    make: impl FnOnce() -> F + Send,
    watch_signals: bool,
) -> Result<T>
where
    F: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    refuse_inside_runtime()?;
    py.detach(move || {
        free_kept();
        // Spawned with the GIL released: scheduling may wake a worker thread (a futex
        // wake-up), and the threads queued for the GIL should not wait through it.
        // Boxed: the task then holds a pointer, not the ~6.5 KiB future, and reading its
        // output out of the task no longer copies a slot of the future's size (memmove
        // 5.2 -> 4.3 % of a 32-thread GET loop's CPU).
        let task = rt.spawn(Box::pin(make()));
        // Only the thread that watches signals needs to wake on a timer: a sleep with a
        // timeout arms and cancels a kernel timer each time, and at 32 threads that was
        // ~6 % of a GET's CPU (82 -> 77 us, paired runs on the sink).
        let joined = if watch_signals {
            sleep_until_done(task, Some(SIGNAL_TICK), || {
                Python::attach(|py| py.check_signals()).map_err(Error::Python)
            })
        } else {
            sleep_until_done(task, None, || Ok(()))
        };
        match joined {
            Ok(Ok(out)) => out,
            Ok(Err(join)) if join.is_panic() => Err(Error::Internal(format!(
                "panic: {}",
                panic_message(&*join.into_panic())
            ))),
            Ok(Err(_cancelled)) => Err(Error::Internal("the task was cancelled".into())),
            Err(interrupted) => Err(interrupted),
        }
    })
}

/// Sleep until `task` finishes, calling `between` every `tick` (if given); an error from it
/// aborts the task and is returned.
fn sleep_until_done<T>(
    mut task: tokio::task::JoinHandle<T>,
    tick: Option<Duration>,
    mut between: impl FnMut() -> Result<()>,
) -> Result<std::result::Result<T, tokio::task::JoinError>> {
    let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    loop {
        if let std::task::Poll::Ready(out) = Pin::new(&mut task).poll(&mut cx) {
            return Ok(out);
        }
        match tick {
            Some(tick) => std::thread::park_timeout(tick),
            None => std::thread::park(),
        }
        if let Err(e) = between() {
            task.abort();
            return Err(e);
        }
    }
}

/// Wakes the thread sleeping in [`sleep_until_done`].
struct Unpark(std::thread::Thread);

impl std::task::Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// What a panic said (its `&str` or `String` payload).
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// [`wait`] on the runtime a body came from, the future polled by this thread.
pub fn wait_on<T, F>(py: Python<'_>, home: &Home, fut: F) -> Result<T>
where
    F: Future<Output = Result<T>> + Send,
    T: Send,
{
    block(py, move || fut, on_main_thread(), home)
}

/// Block on the future `make` returns, on `home`'s runtime, with the GIL released, checking for
/// signals if `watch_signals`. The future is made after the GIL is released: an
/// operation's future is ~6 KiB, and making it under the GIL was a memcpy of that size
/// per call, on the path every other thread waits for.
fn block<T, F>(
    py: Python<'_>,
    make: impl FnOnce() -> F + Send,
    watch_signals: bool,
    home: &Home,
) -> Result<T>
where
    F: Future<Output = Result<T>> + Send,
    T: Send,
{
    refuse_inside_runtime()?;
    py.detach(move || {
        free_kept();
        run_blocking(make, watch_signals, home)
    })
}

/// The GIL-free inside of [`block`].
fn run_blocking<T, F>(make: impl FnOnce() -> F, watch_signals: bool, home: &Home) -> Result<T>
where
    F: Future<Output = Result<T>>,
{
    let run = AssertUnwindSafe(|| {
        // Pinned where it is made: never moved (copied) again on the way down.
        let fut = std::pin::pin!(make());
        let guarded = watching_signals(fut, watch_signals);
        match home {
            Home::Shared => runtime().block_on(guarded),
            Home::Overflow => overflow_runtime().block_on(guarded),
            Home::Local(local) => local.block_on(guarded),
        }
    });
    std::panic::catch_unwind(run).unwrap_or_else(|panic| {
        Err(Error::Internal(format!(
            "panic: {}",
            panic_message(&*panic)
        )))
    })
}

/// Blocking inside a runtime's thread (a callback s3seal runs there) would deadlock it.
fn refuse_inside_runtime() -> Result<()> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::Internal(
            "s3seal cannot block inside its own runtime (called from a callback?)".into(),
        ));
    }
    Ok(())
}

/// `fut`, checking for signals every [`SIGNAL_TICK`] if `watch_signals`.
async fn watching_signals<T>(
    mut fut: Pin<&mut impl Future<Output = Result<T>>>,
    watch_signals: bool,
) -> Result<T> {
    if !watch_signals {
        return fut.await;
    }
    loop {
        tokio::select! {
            biased;
            out = &mut fut => return out,
            () = tokio::time::sleep(SIGNAL_TICK) => {
                Python::attach(|py| py.check_signals())?;
            }
        }
    }
}

/// How long a cancelled transfer may take to clean up (abort its multipart upload, remove
/// its temporary file) before Ctrl-C is raised anyway.
const CLEANUP_GRACE: Duration = Duration::from_secs(30);

/// [`wait`] for work that must clean up when interrupted: on Ctrl-C the future is not
/// dropped but told to stop through its [`CancellationToken`], and awaited (up to
/// [`CLEANUP_GRACE`]) so it can abort what it started before `KeyboardInterrupt` is raised.
/// `stop`, when given, can do the same from another thread (the async API's cancelled task);
/// the work then fails with the stop's own exception.
pub fn wait_cancellable<T, F>(
    py: Python<'_>,
    stop: Option<&TransferStop>,
    make: impl FnOnce(CancellationToken) -> F,
) -> Result<T>
where
    F: Future<Output = Result<T>> + Send,
    T: Send,
{
    let cancel = stop.map_or_else(CancellationToken::new, |s| s.token.clone());
    let stopped = stop.map(|s| s.exception.clone_ref(py));
    let fut = make(cancel.clone());
    let was_stopped = cancel.clone();
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
    match block(py, move || guarded, false, &Home::Shared) {
        Err(Error::Cancelled) if was_stopped.is_cancelled() => match stopped {
            Some(exception) => Err(Error::Python(PyErr::from_value(exception.into_bound(py)))),
            None => Err(Error::Cancelled),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use std::time::Duration;

    use super::{free_kept, free_later, PollAgain};

    struct Counted(Arc<AtomicUsize>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn the_overflow_runtime_leaves_a_core_to_the_gil_but_keeps_one_worker() {
        use std::num::NonZeroUsize;
        assert_eq!(super::overflow_workers(None), 1);
        assert_eq!(super::overflow_workers(NonZeroUsize::new(1)), 1);
        assert_eq!(super::overflow_workers(NonZeroUsize::new(2)), 1);
        assert_eq!(super::overflow_workers(NonZeroUsize::new(8)), 7);
    }

    #[test]
    fn one_local_runtime_per_core_at_least_one_at_most_the_cap() {
        use std::num::NonZeroUsize;
        assert_eq!(super::limit_for_cores(None), 1);
        assert_eq!(super::limit_for_cores(NonZeroUsize::new(2)), 2);
        let many = NonZeroUsize::new(256);
        assert_eq!(super::limit_for_cores(many), super::MAX_LOCAL_RUNTIMES);
    }

    #[test]
    fn one_value_waits_per_thread_until_the_next_wait() {
        let freed = Arc::new(AtomicUsize::new(0));
        free_later(Counted(Arc::clone(&freed)));
        assert_eq!(freed.load(Ordering::SeqCst), 0, "kept, not freed");
        free_later(Counted(Arc::clone(&freed)));
        assert_eq!(
            freed.load(Ordering::SeqCst),
            1,
            "keeping another frees the first"
        );
        free_kept();
        assert_eq!(freed.load(Ordering::SeqCst), 2);
        free_kept();
        assert_eq!(freed.load(Ordering::SeqCst), 2);
        let exits = Arc::new(AtomicUsize::new(0));
        let on_thread = Arc::clone(&exits);
        std::thread::spawn(move || free_later(Counted(on_thread)))
            .join()
            .unwrap();
        assert_eq!(
            exits.load(Ordering::SeqCst),
            1,
            "freed when its thread exits"
        );
    }

    /// Counts the polls the runtime makes of the future it wraps.
    struct CountPolls<F> {
        fut: std::pin::Pin<Box<F>>,
        polls: Arc<AtomicUsize>,
    }

    impl<F: std::future::Future> std::future::Future for CountPolls<F> {
        type Output = F::Output;

        fn poll(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<F::Output> {
            self.polls.fetch_add(1, Ordering::SeqCst);
            self.fut.as_mut().poll(cx)
        }
    }

    fn local_runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// Pending `times` times, waking itself each time, then done.
    fn waking_itself(times: usize) -> impl std::future::Future<Output = usize> {
        let mut left = times;
        std::future::poll_fn(move |cx| {
            if left == 0 {
                return std::task::Poll::Ready(times);
            }
            left -= 1;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        })
    }

    #[test]
    fn a_future_that_wakes_itself_is_polled_again_without_the_runtime() {
        let polls = Arc::new(AtomicUsize::new(0));
        let counted = CountPolls {
            fut: Box::pin(PollAgain::new(waking_itself(5))),
            polls: Arc::clone(&polls),
        };
        assert_eq!(local_runtime().block_on(counted), 5);
        assert_eq!(polls.load(Ordering::SeqCst), 1, "one poll from the runtime");
        // Without PollAgain each self-wake is a round of the runtime's loop.
        polls.store(0, Ordering::SeqCst);
        let bare = CountPolls {
            fut: Box::pin(waking_itself(5)),
            polls: Arc::clone(&polls),
        };
        local_runtime().block_on(bare);
        assert_eq!(polls.load(Ordering::SeqCst), 6);
    }

    #[test]
    fn a_wake_from_another_thread_reaches_the_runtime() {
        let (tx, rx) = std::sync::mpsc::channel::<std::task::Waker>();
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let set = Arc::clone(&done);
        let waiter = std::thread::spawn(move || {
            let waker = rx.recv().unwrap();
            std::thread::sleep(Duration::from_millis(20));
            set.store(true, Ordering::SeqCst);
            waker.wake();
        });
        let mut sent = Some(tx);
        let fut = std::future::poll_fn(move |cx| {
            if done.load(Ordering::SeqCst) {
                return std::task::Poll::Ready(());
            }
            if let Some(tx) = sent.take() {
                tx.send(cx.waker().clone()).unwrap();
            }
            std::task::Poll::Pending
        });
        let rt = local_runtime();
        let out = rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(5), PollAgain::new(fut)).await
        });
        assert!(out.is_ok(), "the wake was lost");
        waiter.join().unwrap();
    }

    #[test]
    fn a_future_that_always_wakes_itself_still_lets_the_runtime_run() {
        // On a thread of its own: a future polled again forever would never return.
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let set = Arc::clone(&flag);
            local_runtime().block_on(async move {
                // A task of the same runtime: it runs only if the runtime gets its turn.
                tokio::spawn(async move { set.store(true, Ordering::SeqCst) });
                let spin = std::future::poll_fn(|cx| {
                    if flag.load(Ordering::SeqCst) {
                        return std::task::Poll::Ready(());
                    }
                    cx.waker().wake_by_ref();
                    std::task::Poll::Pending
                });
                PollAgain::new(spin).await
            });
            done.send(()).unwrap();
        });
        let out = finished.recv_timeout(Duration::from_secs(5));
        assert!(out.is_ok(), "the runtime never ran the spawned task");
    }
}
