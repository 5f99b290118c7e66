//! Progress callbacks as boto3 makes them: `callback(bytes_delta)`, positional,
//! increments (negative when a retried part rewinds), on a thread that is not the caller's.
//!
//! Tasks never call Python: they send deltas to one reporter thread, which takes the GIL
//! only for the call. A callback that raises stops the transfer and its exception is what
//! the caller sees.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use aws_smithy_types::body::SdkBody;
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use pyo3::prelude::*;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::engine::BodyObserver;

/// Tells the reporter that the transfer is over.
const DONE: i64 = i64::MIN;

/// The sending side: cheap to clone, a no-op without a callback.
#[derive(Clone, Default)]
pub struct Progress {
    tx: Option<mpsc::UnboundedSender<i64>>,
}

/// The reporter thread; [`Reporter::finish`] waits for the last call. A plain thread,
/// outside the runtime, so a callback may itself call s3seal.
pub struct Reporter {
    done: Option<oneshot::Receiver<Option<PyErr>>>,
}

impl Progress {
    /// Start a reporter for `callback`. A raising callback cancels `cancel`.
    pub fn start(
        callback: Option<Py<PyAny>>,
        cancel: CancellationToken,
    ) -> std::io::Result<(Self, Reporter)> {
        let Some(callback) = callback else {
            return Ok((Self::default(), Reporter { done: None }));
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let (done_tx, done_rx) = oneshot::channel();
        std::thread::Builder::new()
            .name("s3seal-progress".into())
            .spawn(move || {
                let _ = done_tx.send(report(&callback, rx, &cancel));
            })?;
        Ok((
            Self { tx: Some(tx) },
            Reporter {
                done: Some(done_rx),
            },
        ))
    }

    pub fn add(&self, delta: i64) {
        if delta != 0 {
            if let Some(tx) = &self.tx {
                let _ = tx.send(delta);
            }
        }
    }

    fn done(&self) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(DONE);
        }
    }
}

impl Reporter {
    /// Wait until every delta sent through `progress` has been reported; the callback's
    /// exception, if it raised one.
    pub async fn finish(mut self, progress: &Progress) -> Option<PyErr> {
        progress.done();
        match self.done.take() {
            Some(done) => done.await.ok().flatten(),
            None => None,
        }
    }
}

/// The reporter loop: deltas queued while Python was busy are summed (never across a
/// change of sign, so a rewind stays visible).
fn report(
    callback: &Py<PyAny>,
    mut rx: mpsc::UnboundedReceiver<i64>,
    cancel: &CancellationToken,
) -> Option<PyErr> {
    let mut failure: Option<PyErr> = None;
    let mut call = |delta: i64| {
        if failure.is_some() || delta == 0 {
            return;
        }
        if let Err(e) = Python::attach(|py| callback.call1(py, (delta,)).map(drop)) {
            failure = Some(e);
            cancel.cancel();
        }
    };
    while let Some(first) = rx.blocking_recv() {
        if first == DONE {
            break;
        }
        let mut delta = first;
        let mut done = false;
        while let Ok(more) = rx.try_recv() {
            if more == DONE {
                done = true;
                break;
            }
            if (more < 0) == (delta < 0) {
                delta += more;
            } else {
                call(delta);
                delta = more;
            }
        }
        call(delta);
        if done {
            break;
        }
    }
    failure
}

/// Each attempt's request body, reported as progress as the HTTP stack takes it, in frames
/// of at most `frame` bytes. A retry first reports the previous attempt's bytes as a negative
/// delta, as s3transfer does when it rewinds a part. `None` without a callback (no cost).
pub fn observer(progress: &Progress, frame: usize) -> Option<BodyObserver> {
    progress.tx.as_ref()?;
    let reported = Arc::new(AtomicU64::new(0));
    let progress = progress.clone();
    let frame = frame.max(64 * 1024);
    Some(Arc::new(move |inner: SdkBody| {
        SdkBody::from_body_1_x(CountedBody {
            inner,
            pending: Bytes::new(),
            frame,
            progress: progress.clone(),
            reported: Arc::clone(&reported),
            started: false,
        })
    }))
}

struct CountedBody {
    inner: SdkBody,
    /// The rest of a frame larger than `frame`, handed on in pieces.
    pending: Bytes,
    frame: usize,
    progress: Progress,
    reported: Arc<AtomicU64>,
    started: bool,
}

impl CountedBody {
    fn piece(&mut self) -> Bytes {
        let take = self.frame.min(self.pending.len());
        let piece = self.pending.split_to(take);
        let n = piece.len() as u64;
        self.reported.fetch_add(n, Ordering::AcqRel);
        self.progress.add(i64::try_from(n).unwrap_or(i64::MAX));
        piece
    }
}

impl Body for CountedBody {
    type Data = Bytes;
    type Error = aws_smithy_runtime_api::box_error::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if !this.started {
            this.started = true;
            let rewound = this.reported.swap(0, Ordering::AcqRel);
            this.progress
                .add(-i64::try_from(rewound).unwrap_or(i64::MAX));
        }
        if !this.pending.is_empty() {
            return Poll::Ready(Some(Ok(Frame::data(this.piece()))));
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                Ok(data) => {
                    this.pending = data;
                    Poll::Ready(Some(Ok(Frame::data(this.piece()))))
                }
                Err(frame) => Poll::Ready(Some(Ok(frame))),
            },
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.pending.is_empty() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let inner = Body::size_hint(&self.inner);
        let extra = self.pending.len() as u64;
        let mut hint = SizeHint::new();
        hint.set_lower(inner.lower() + extra);
        if let Some(upper) = inner.upper() {
            hint.set_upper(upper + extra);
        }
        hint
    }
}
