//! Connections and their pool, driven by the task that uses them.
//!
//! hyper's HTTP/1 connection is two halves: `SendRequest` (hand over a request, get the
//! response) and `Connection` (the future that does the socket I/O). hyper-util's pool
//! spawns every `Connection` as a task of its own, so each request crossed threads three
//! times (caller -> connection task -> I/O driver -> caller). Here the task that sends the
//! request polls the `Connection` itself, while waiting for the response and while reading
//! its body ([`DrivenBody`]); the connection goes back to the pool when the body has been
//! read to its end. On a synchronous call's local runtime (see `runtime.rs`) that makes the
//! calling thread the only thread involved.
//!
//! Connections are pooled per runtime (a socket is registered with one runtime's I/O
//! driver), scheme, host and port. Before reuse a connection is checked the way urllib3
//! checks its own: a socket that is readable while idle has been closed by the server (or
//! sent something unasked), and is dropped rather than used.

use std::collections::HashMap;
use std::future::{poll_fn, Future};
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use aws_smithy_types::body::SdkBody;
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::landing::LandingZone;
use super::TlsFailure;

/// Idle connections are closed before S3's own ~20 s idle timeout would reset them.
const IDLE_TIMEOUT: Duration = Duration::from_secs(15);

/// Which connections a request may use.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PoolKey {
    runtime: u64,
    https: bool,
    host: String,
    port: u16,
}

impl PoolKey {
    pub fn of(uri: &http::Uri, runtime: u64) -> Result<Self, ConnectError> {
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            other => {
                return Err(ConnectError::BadUri(format!(
                    "unsupported scheme {other:?}"
                )))
            }
        };
        let host = uri
            .host()
            .ok_or_else(|| ConnectError::BadUri("no host".into()))?
            .to_owned();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        Ok(Self {
            runtime,
            https,
            host,
            port,
        })
    }

    /// The host as a socket address or TLS server name wants it (no IPv6 brackets).
    fn bare_host(&self) -> &str {
        self.host.trim_start_matches('[').trim_end_matches(']')
    }
}

/// Why no connection could be made.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("invalid URL: {0}")]
    BadUri(String),
    #[error("client error (connect): {0}")]
    Connect(#[source] std::io::Error),
    #[error("connect timed out")]
    Timeout,
    #[error("client error (handshake): {0}")]
    Handshake(#[source] hyper::Error),
}

/// A plain or TLS socket.
enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

macro_rules! delegate {
    ($self:ident, $s:ident => $e:expr) => {
        match $self.get_mut() {
            Stream::Plain($s) => {
                let $s = Pin::new($s);
                $e
            }
            Stream::Tls($s) => {
                let $s = Pin::new($s.as_mut());
                $e
            }
        }
    };
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        delegate!(self, s => s.poll_read(cx, buf))
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        delegate!(self, s => s.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        delegate!(self, s => s.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        delegate!(self, s => s.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        delegate!(self, s => s.poll_shutdown(cx))
    }
}

/// One HTTP/1.1 connection: both of hyper's halves, kept together.
pub struct Conn {
    sender: http1::SendRequest<SdkBody>,
    driver: http1::Connection<TokioIo<Stream>, SdkBody>,
    /// The driver finished: the connection is closed (or failed).
    closed: bool,
    fd: RawFd,
}

impl Conn {
    /// Poll the connection's I/O. Returns whether it is still open.
    fn drive(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.closed && Pin::new(&mut self.driver).poll(cx).is_ready() {
            self.closed = true;
        }
        !self.closed
    }

    /// Whether a pooled connection can carry another request: open, and its socket not
    /// readable (a socket readable while idle has been closed by the server).
    fn reusable(&mut self) -> bool {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        self.drive(&mut cx) && !self.sender.is_closed() && !readable_now(self.fd)
    }

    /// Send `request` and wait for the response head, driving the connection meanwhile.
    /// `Err(Some(request))`: the connection was not usable and nothing was sent.
    async fn send(
        &mut self,
        request: http::Request<SdkBody>,
    ) -> Result<http::Response<Incoming>, SendError> {
        let ready = poll_fn(|cx| {
            let open = self.drive(cx);
            match self.sender.poll_ready(cx) {
                Poll::Pending if open => Poll::Pending,
                Poll::Pending => Poll::Ready(false),
                Poll::Ready(r) => Poll::Ready(r.is_ok()),
            }
        })
        .await;
        if !ready {
            return Err(SendError::NotSent(Box::new(request)));
        }
        let mut response = std::pin::pin!(self.sender.try_send_request(request));
        poll_fn(|cx| {
            if let Poll::Ready(r) = response.as_mut().poll(cx) {
                return Poll::Ready(r);
            }
            if self.drive(cx) {
                return Poll::Pending;
            }
            // Closed: the response future has its answer (or error) now.
            response.as_mut().poll(cx)
        })
        .await
        .map_err(|mut e| match e.take_message() {
            Some(request) => SendError::NotSent(Box::new(request)),
            None => SendError::Failed(e.into_error()),
        })
    }
}

pub enum SendError {
    /// The request never left: safe to send again on another connection.
    NotSent(Box<http::Request<SdkBody>>),
    Failed(hyper::Error),
}

/// `poll(2)` with a zero timeout: urllib3's `is_connection_dropped`.
fn readable_now(fd: RawFd) -> bool {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, no waiting.
    let n = unsafe { libc::poll(&mut pfd, 1, 0) };
    n != 0
}

struct Idle {
    conn: Conn,
    since: Instant,
}

/// One client's connections (all runtimes, all hosts).
pub struct Pool {
    /// FxHash: the keys are the client's own endpoints, and SipHash cost ~360
    /// instructions at each checkout and checkin.
    idle: Mutex<HashMap<PoolKey, Vec<Idle>, crate::fxhash::Fx>>,
    max_idle: usize,
    /// aiobotocore's connector limit: at most this many connections in use at once.
    in_use: Option<Arc<Semaphore>>,
}

impl Pool {
    pub fn new(max_idle: usize, max_in_use: Option<usize>) -> Self {
        Self {
            idle: Mutex::new(HashMap::default()),
            max_idle: max_idle.max(1),
            in_use: max_in_use.map(|n| Arc::new(Semaphore::new(n.max(1)))),
        }
    }

    pub async fn permit(&self) -> Option<OwnedSemaphorePermit> {
        let sem = self.in_use.as_ref()?;
        Arc::clone(sem).acquire_owned().await.ok()
    }

    /// The most recently used healthy idle connection for `key`.
    pub fn checkout(&self, key: &PoolKey) -> Option<Conn> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let list = idle.get_mut(key)?;
        while let Some(mut entry) = list.pop() {
            if entry.since.elapsed() < IDLE_TIMEOUT && entry.conn.reusable() {
                return Some(entry.conn);
            }
        }
        None
    }

    fn checkin(&self, key: PoolKey, conn: Conn) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let list = idle.entry(key).or_default();
        list.retain(|e| e.since.elapsed() < IDLE_TIMEOUT);
        if list.len() < self.max_idle {
            list.push(Idle {
                conn,
                since: Instant::now(),
            });
        }
    }
}

/// What a new connection is made with.
pub struct Connector {
    pub tls: Arc<rustls::ClientConfig>,
    pub connect_timeout: Duration,
}

impl Connector {
    pub async fn connect(&self, key: &PoolKey) -> Result<Conn, ConnectError> {
        match tokio::time::timeout(self.connect_timeout, self.open(key)).await {
            Ok(r) => r,
            Err(_) => Err(ConnectError::Timeout),
        }
    }

    async fn open(&self, key: &PoolKey) -> Result<Conn, ConnectError> {
        let tcp = tcp_connect(key.bare_host(), key.port)
            .await
            .map_err(ConnectError::Connect)?;
        // Small requests are written whole; Nagle would only hold them back.
        let _ = tcp.set_nodelay(true);
        let fd = tcp.as_raw_fd();
        let stream = if key.https {
            let name = rustls_pki_types::ServerName::try_from(key.bare_host().to_owned())
                .map_err(|e| ConnectError::BadUri(e.to_string()))?;
            let tls = tokio_rustls::TlsConnector::from(Arc::clone(&self.tls))
                .connect(name, tcp)
                .await
                .map_err(|e| {
                    let tls = super::find_source::<rustls::Error>(&e).map(ToString::to_string);
                    match tls {
                        Some(reason) => {
                            ConnectError::Connect(std::io::Error::other(TlsFailure(reason)))
                        }
                        None => ConnectError::Connect(e),
                    }
                })?;
            Stream::Tls(Box::new(tls))
        } else {
            Stream::Plain(tcp)
        };
        let (sender, driver) = http1::Builder::new()
            .handshake(TokioIo::new(stream))
            .await
            .map_err(ConnectError::Handshake)?;
        Ok(Conn {
            sender,
            driver,
            closed: false,
            fd,
        })
    }
}

/// Connect to the first address of `host` that answers (an IP literal is not looked up).
async fn tcp_connect(host: &str, port: u16) -> std::io::Result<TcpStream> {
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return TcpStream::connect((ip, port)).await;
    }
    let mut last = None;
    for addr in tokio::net::lookup_host((host, port)).await? {
        match TcpStream::connect(addr).await {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("no address for {host}"),
        )
    }))
}

/// Send `request` over a pooled or new connection; the response's body drives the
/// connection and returns it to the pool at its end.
pub async fn roundtrip(
    pool: &Arc<Pool>,
    connector: &Connector,
    key: PoolKey,
    request: http::Request<SdkBody>,
    zone: Option<LandingZone>,
) -> Result<http::Response<DrivenBody>, RoundtripError> {
    let permit = pool.permit().await;
    let mut request = request;
    // A pooled connection the server closed in the meantime does not take the request: it
    // goes on a fresh connection then (one that fails too is a real failure).
    let mut fresh_tried = false;
    loop {
        let mut conn = match pool.checkout(&key) {
            Some(c) => c,
            None => {
                fresh_tried = true;
                connector
                    .connect(&key)
                    .await
                    .map_err(RoundtripError::Connect)?
            }
        };
        match conn.send(request).await {
            Ok(response) => {
                let (parts, incoming) = response.into_parts();
                let body = Streaming {
                    incoming,
                    conn: Some(conn),
                    finished: false,
                    pool: Arc::clone(pool),
                    key,
                    _permit: permit,
                };
                // A small body is read now, with its head: the connection (and its place
                // under a connection cap) is free at once, not when the caller gets round
                // to the body, as aiohttp and urllib3 free theirs once the bytes are in.
                let body = if is_small(&parts.headers) || body.is_end_stream() {
                    // Only an answer's body lands in the caller's memory, not an error's.
                    let zone = zone.filter(|_| parts.status.is_success());
                    DrivenBody::Buffered(Some(
                        read_whole(body, zone).await.map_err(RoundtripError::Http)?,
                    ))
                } else {
                    DrivenBody::Streaming(Box::new(body))
                };
                return Ok(http::Response::from_parts(parts, body));
            }
            Err(SendError::NotSent(back)) if !fresh_tried => request = *back,
            Err(SendError::NotSent(_)) => {
                return Err(RoundtripError::Closed);
            }
            Err(SendError::Failed(e)) => return Err(RoundtripError::Http(e)),
        }
    }
}

/// Bodies up to this size are read with their head (see `roundtrip`).
pub const READ_WHOLE_UP_TO: usize = 64 * 1024;

fn is_small(headers: &http::HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|n| n <= READ_WHOLE_UP_TO as u64)
}

#[derive(Debug, thiserror::Error)]
pub enum RoundtripError {
    #[error(transparent)]
    Connect(ConnectError),
    #[error("connection closed before the request could be sent")]
    Closed,
    #[error(transparent)]
    Http(hyper::Error),
}

/// A response body: one small enough to have been read whole with its head (the
/// connection is back in the pool already), or one streamed as it is read.
pub enum DrivenBody {
    Buffered(Option<Bytes>),
    Streaming(Box<Streaming>),
}

impl Body for DrivenBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        match self.get_mut() {
            DrivenBody::Buffered(data) => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
            DrivenBody::Streaming(s) => Pin::new(s.as_mut()).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            DrivenBody::Buffered(data) => data.is_none(),
            DrivenBody::Streaming(s) => s.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            DrivenBody::Buffered(data) => {
                SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64))
            }
            DrivenBody::Streaming(s) => s.size_hint(),
        }
    }
}

/// Read all of `body` (a small one): into `zone` if one is given and the announced size
/// fits; otherwise a body that came in one frame is kept as it is, and more frames are
/// joined into one buffer of the announced size (no regrowing as they arrive).
async fn read_whole(mut body: Streaming, zone: Option<LandingZone>) -> Result<Bytes, hyper::Error> {
    let announced = usize::try_from(body.size_hint().exact().unwrap_or(0)).unwrap_or(usize::MAX);
    let mut landed = zone
        .filter(|z| announced <= z.capacity() && z.claim())
        .map(|z| (z, 0));
    let mut first: Option<Bytes> = None;
    let mut joined: Option<bytes::BytesMut> = None;
    while let Some(frame) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let Ok(chunk) = frame?.into_data() else {
            continue;
        };
        if let Some((zone, filled)) = landed.as_mut() {
            if zone.write_at(*filled, &chunk) {
                *filled += chunk.len();
                continue;
            }
            // More than announced (hyper holds servers to their Content-Length, so this
            // is a belt): what landed is joined with the rest below.
            first = landed.take().map(|(zone, filled)| zone.filled(filled));
        }
        if let Some(buf) = joined.as_mut() {
            buf.extend_from_slice(&chunk);
        } else if let Some(earlier) = first.take() {
            let mut buf =
                bytes::BytesMut::with_capacity(announced.max(earlier.len() + chunk.len()));
            buf.extend_from_slice(&earlier);
            buf.extend_from_slice(&chunk);
            joined = Some(buf);
        } else {
            first = Some(chunk);
        }
    }
    if let Some((zone, filled)) = landed {
        return Ok(zone.filled(filled));
    }
    Ok(joined.map_or_else(|| first.unwrap_or_default(), bytes::BytesMut::freeze))
}

/// A response body that drives its connection while it is read, and gives the connection
/// back to the pool once the message is complete (a body dropped half-read closes it).
pub struct Streaming {
    incoming: Incoming,
    conn: Option<Conn>,
    finished: bool,
    pool: Arc<Pool>,
    key: PoolKey,
    _permit: Option<OwnedSemaphorePermit>,
}

impl Body for Streaming {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        if let Some(conn) = this.conn.as_mut() {
            conn.drive(cx);
        }
        let out = Pin::new(&mut this.incoming).poll_frame(cx);
        match &out {
            Poll::Ready(None) => this.finished = true,
            Poll::Ready(Some(Ok(_))) if this.incoming.is_end_stream() => this.finished = true,
            _ => {}
        }
        out
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.incoming.size_hint()
    }
}

impl Drop for Streaming {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        if self.finished || self.incoming.is_end_stream() {
            // Let the connection see the end of the message before it waits in the pool.
            let mut cx = Context::from_waker(std::task::Waker::noop());
            if conn.drive(&mut cx) {
                self.pool.checkin(self.key.clone(), conn);
            }
        }
    }
}
