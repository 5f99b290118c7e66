//! s3seal-bench-sink: a minimal S3-compatible HTTP responder for s3seal's benchmark suite.
//!
//! This is a measuring instrument for S3 *client* overhead. It answers fast enough that the
//! client under test, not the server, is the bottleneck. It stores no data: only each object's
//! size and the few headers it must echo back. GET responses are synthetic bytes. Because it
//! cannot tell a correct client from a broken one, never use it as a test server.
//!
//! Usage: `s3seal-bench-sink [--port N] [--threads N]` (port 0 picks a free port; 2 threads
//! by default). Once it accepts connections, it prints `listening on 127.0.0.1:<port>` on stdout.
//! Path-style addressing only (`/bucket/key`). It ignores authentication.
//!
//! For the rotation benchmark it also answers ListObjectsV2 and CopyObject, and applies S3's
//! SSE-C access rule to HEAD, GET and copy sources (an object stored with a customer key opens
//! with that key only), so that a re-keying client's checks behave as on S3.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::io::Write;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode, Uri};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

/// Size of the one shared buffer of pseudo-random bytes that every GET body is sliced from.
const PATTERN_LEN: usize = 1 << 20;
/// Largest body frame handed to hyper. It measured as fast as 256 KiB and needs fewer
/// polls. Frames are `Bytes` slices of the pattern, so their size costs no copying.
const FRAME_MAX: usize = 1 << 20;
/// How much of an aws-chunked request body to keep. Its checksum trailer sits at the very end
/// and is much shorter than this.
const TAIL_LEN: usize = 512;
/// Any fixed date will do: clients only parse it.
const LAST_MODIFIED: &str = "Wed, 01 Jan 2025 00:00:00 GMT";
const S3_NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
const REQUEST_ID: &str = "s3seal-bench-sink";
/// The SSE-C key itself: never stored, never echoed.
const SSE_CUSTOMER_KEY: &str = "x-amz-server-side-encryption-customer-key";
/// The MD5 of the SSE-C key: stored with an object, it tells which key opens it.
const SSE_CUSTOMER_KEY_MD5: &str = "x-amz-server-side-encryption-customer-key-md5";
const COPY_SOURCE_KEY_MD5: &str = "x-amz-copy-source-server-side-encryption-customer-key-md5";
/// ListObjectsV2's default and largest page.
const MAX_KEYS: usize = 1000;
/// LastModified in the XML documents (the same instant as `LAST_MODIFIED`).
const LAST_MODIFIED_ISO: &str = "2025-01-01T00:00:00.000Z";

type Headers = Vec<(HeaderName, HeaderValue)>;

// ---------------------------------------------------------------------------------------------
// Command line and accept loop

struct Args {
    port: u16,
    threads: usize,
}

/// Parsed by hand: two flags do not justify a dependency.
fn parse_args(mut argv: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut args = Args {
        port: 0,
        threads: 2,
    };
    while let Some(flag) = argv.next() {
        let value = argv.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--port" => args.port = value.parse().map_err(|_| format!("bad --port {value:?}"))?,
            "--threads" => {
                args.threads = value
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("bad --threads {value:?}"))?;
            }
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    Ok(args)
}

fn main() {
    let args = parse_args(std::env::args().skip(1)).unwrap_or_else(|msg| {
        eprintln!("s3seal-bench-sink: {msg}\nusage: s3seal-bench-sink [--port N] [--threads N]");
        std::process::exit(2);
    });
    let result = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads)
        .enable_all()
        .build()
        .and_then(|runtime| runtime.block_on(serve(args.port)));
    if let Err(err) = result {
        eprintln!("s3seal-bench-sink: {err}");
        std::process::exit(1);
    }
}

async fn serve(port: u16) -> std::io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    announce(&listener)?;
    let sink = Arc::new(Sink::new());
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(err) => {
                // Typically EMFILE or a connection reset before accept. Back off briefly
                // instead of spinning, and keep serving.
                eprintln!("s3seal-bench-sink: accept: {err}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        // When headers and body go out in separate writes, Nagle's algorithm makes the second
        // write wait for the client's delayed ACK (~40 ms). That would swamp small-object latency.
        if let Err(err) = stream.set_nodelay(true) {
            eprintln!("s3seal-bench-sink: TCP_NODELAY: {err}");
        }
        tokio::spawn(serve_connection(stream, Arc::clone(&sink)));
    }
}

/// The driver waits for this line, which tells it the port and that connections are accepted.
fn announce(listener: &TcpListener) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on {}", listener.local_addr()?)?;
    out.flush()
}

async fn serve_connection(stream: TcpStream, sink: Arc<Sink>) {
    let service = service_fn(move |req| {
        let sink = Arc::clone(&sink);
        async move { Ok::<_, Infallible>(sink.handle(req).await) }
    });
    // hyper sends `100 Continue` itself when a handler first reads the body. An error here is a
    // client that hung up or sent garbage. It ends this connection only, so it is not reported.
    let _ = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

// ---------------------------------------------------------------------------------------------
// State and request handling

struct Sink {
    pattern: Bytes,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Keyed by `bucket/key` (percent-decoded).
    objects: HashMap<String, Object>,
    uploads: HashMap<String, Upload>,
    next_upload: u64,
}

#[derive(Clone)]
struct Object {
    size: u64,
    etag: String,
    sse: Headers,
}

struct Upload {
    sse: Headers,
    /// Part number → size. A part uploaded again replaces the earlier one, as on S3.
    parts: BTreeMap<u32, u64>,
}

/// The operations the sink understands, from method, path and query.
enum Op {
    CreateBucket,
    HeadBucket,
    PutObject,
    CreateUpload,
    UploadPart { upload_id: String, part: u32 },
    CompleteUpload(String),
    AbortUpload(String),
    DeleteObject,
    HeadObject,
    GetObject,
    CopyObject,
    ListObjects,
    Unsupported,
}

/// A path-style request target: `/bucket/key?query`, percent-decoded.
struct Target {
    bucket: String,
    key: String,
    query: Vec<(String, String)>,
}

impl Target {
    fn parse(uri: &Uri) -> Self {
        let path = uri.path().strip_prefix('/').unwrap_or(uri.path());
        let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
        let query = uri
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (percent_decode(name), percent_decode(value))
            })
            .collect();
        Target {
            bucket: percent_decode(bucket),
            key: percent_decode(key),
            query,
        }
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn object_id(&self) -> String {
        format!("{}/{}", self.bucket, self.key)
    }
}

fn classify(method: &Method, target: &Target, headers: &HeaderMap) -> Op {
    let upload_id = target.param("uploadId").map(str::to_owned);
    if target.bucket.is_empty() {
        return Op::Unsupported;
    }
    if target.key.is_empty() {
        return match *method {
            Method::PUT if target.query.is_empty() => Op::CreateBucket,
            Method::HEAD => Op::HeadBucket,
            Method::GET if target.param("list-type") == Some("2") => Op::ListObjects,
            _ => Op::Unsupported,
        };
    }
    match (method.clone(), upload_id) {
        (Method::PUT, Some(upload_id)) => match target.param("partNumber").map(str::parse) {
            Some(Ok(part)) if !headers.contains_key("x-amz-copy-source") => {
                Op::UploadPart { upload_id, part }
            }
            _ => Op::Unsupported,
        },
        // CopyObject and subresources such as `?tagging` are not plain uploads.
        (Method::PUT, None) if target.query.iter().all(|(n, _)| n == "x-id") => {
            if headers.contains_key("x-amz-copy-source") {
                Op::CopyObject
            } else {
                Op::PutObject
            }
        }
        (Method::POST, None) if target.param("uploads").is_some() => Op::CreateUpload,
        (Method::POST, Some(upload_id)) => Op::CompleteUpload(upload_id),
        (Method::DELETE, Some(upload_id)) => Op::AbortUpload(upload_id),
        (Method::DELETE, None) => Op::DeleteObject,
        (Method::HEAD, None) => Op::HeadObject,
        (Method::GET, None) => Op::GetObject,
        _ => Op::Unsupported,
    }
}

impl Sink {
    fn new() -> Self {
        Sink {
            pattern: pseudo_random(PATTERN_LEN),
            state: Mutex::default(),
        }
    }

    /// A panic while holding the lock cannot leave the maps inconsistent (every update is one
    /// insert or remove), so a poisoned lock is still usable.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn handle(&self, req: Request<Incoming>) -> Response<Payload> {
        let target = Target::parse(req.uri());
        let (parts, body) = req.into_parts();
        match classify(&parts.method, &target, &parts.headers) {
            Op::PutObject => self.put_object(&target, &parts.headers, body).await,
            Op::UploadPart { upload_id, part } => {
                self.upload_part(&upload_id, part, &parts.headers, body)
                    .await
            }
            // The body is left unread: it may be large and nothing here needs it. hyper then
            // closes the connection instead of reusing it.
            Op::Unsupported => not_implemented(&parts.method, &parts.uri),
            // The remaining operations carry at most a small XML body that the sink does not
            // need. Reading it to the end keeps the connection reusable.
            op => match drain(body, false).await {
                Ok(_) => self.control(op, &target, &parts),
                Err(_) => incomplete_body(),
            },
        }
    }

    fn control(&self, op: Op, target: &Target, parts: &http::request::Parts) -> Response<Payload> {
        match op {
            Op::CreateBucket | Op::HeadBucket => response(StatusCode::OK, Payload::empty()),
            Op::CreateUpload => self.create_upload(target, &parts.headers),
            Op::CompleteUpload(upload_id) => self.complete_upload(target, &upload_id, parts),
            Op::AbortUpload(upload_id) => {
                self.state().uploads.remove(&upload_id);
                response(StatusCode::NO_CONTENT, Payload::empty())
            }
            Op::DeleteObject => {
                self.state().objects.remove(&target.object_id());
                response(StatusCode::NO_CONTENT, Payload::empty())
            }
            Op::HeadObject => self.head_object(target, &parts.headers),
            Op::GetObject => self.get_object(target, &parts.headers),
            Op::CopyObject => self.copy_object(target, &parts.headers),
            Op::ListObjects => self.list_objects(target),
            // Routed by `handle` before the body is drained.
            Op::PutObject | Op::UploadPart { .. } | Op::Unsupported => {
                not_implemented(&parts.method, &parts.uri)
            }
        }
    }

    async fn put_object(
        &self,
        target: &Target,
        headers: &HeaderMap,
        body: Incoming,
    ) -> Response<Payload> {
        let Ok(drained) = drain(body, is_aws_chunked(headers)).await else {
            return incomplete_body();
        };
        let size = decoded_length(headers).unwrap_or(drained.len);
        let id = target.object_id();
        let etag = quoted_digest(&id, size);
        let object = Object {
            size,
            etag: etag.clone(),
            sse: sse_headers(headers),
        };
        self.state().objects.insert(id, object);
        let mut resp = response(StatusCode::OK, Payload::empty());
        set_header(&mut resp, header::ETAG, &etag);
        add_headers(
            &mut resp,
            echoed_headers(headers).into_iter().chain(drained.checksums),
        );
        resp
    }

    fn create_upload(&self, target: &Target, headers: &HeaderMap) -> Response<Payload> {
        let sse = sse_headers(headers);
        let upload_id = {
            let mut state = self.state();
            state.next_upload += 1;
            let upload_id = format!("sink-upload-{:016x}", state.next_upload);
            let upload = Upload {
                sse: sse.clone(),
                parts: BTreeMap::new(),
            };
            state.uploads.insert(upload_id.clone(), upload);
            upload_id
        };
        let xml = format!(
            "<InitiateMultipartUploadResult xmlns=\"{S3_NS}\"><Bucket>{}</Bucket><Key>{}</Key>\
             <UploadId>{}</UploadId></InitiateMultipartUploadResult>",
            xml_escape(&target.bucket),
            xml_escape(&target.key),
            xml_escape(&upload_id),
        );
        let mut resp = xml_response(StatusCode::OK, &xml);
        add_headers(&mut resp, sse);
        resp
    }

    async fn upload_part(
        &self,
        upload_id: &str,
        part: u32,
        headers: &HeaderMap,
        body: Incoming,
    ) -> Response<Payload> {
        // Checked before reading, so that a stale upload id does not cost a whole part's transfer.
        if !self.state().uploads.contains_key(upload_id) {
            return no_such_upload(upload_id);
        }
        let Ok(drained) = drain(body, is_aws_chunked(headers)).await else {
            return incomplete_body();
        };
        let size = decoded_length(headers).unwrap_or(drained.len);
        match self.state().uploads.get_mut(upload_id) {
            Some(upload) => upload.parts.insert(part, size),
            // Aborted while the part was in flight.
            None => return no_such_upload(upload_id),
        };
        let mut resp = response(StatusCode::OK, Payload::empty());
        set_header(
            &mut resp,
            header::ETAG,
            &quoted_digest(&format!("{upload_id}#{part}"), size),
        );
        add_headers(
            &mut resp,
            echoed_headers(headers).into_iter().chain(drained.checksums),
        );
        resp
    }

    fn complete_upload(
        &self,
        target: &Target,
        upload_id: &str,
        parts: &http::request::Parts,
    ) -> Response<Payload> {
        let Some(upload) = self.state().uploads.remove(upload_id) else {
            return no_such_upload(upload_id);
        };
        let size = upload.parts.values().sum();
        let etag = format!("\"{}-{}\"", digest(upload_id, size), upload.parts.len());
        let object = Object {
            size,
            etag: etag.clone(),
            sse: upload.sse.clone(),
        };
        self.state().objects.insert(target.object_id(), object);
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1");
        let xml = format!(
            "<CompleteMultipartUploadResult xmlns=\"{S3_NS}\"><Location>{}</Location>\
             <Bucket>{}</Bucket><Key>{}</Key><ETag>{}</ETag></CompleteMultipartUploadResult>",
            xml_escape(&format!("http://{host}{}", parts.uri.path())),
            xml_escape(&target.bucket),
            xml_escape(&target.key),
            xml_escape(&etag),
        );
        let mut resp = xml_response(StatusCode::OK, &xml);
        add_headers(&mut resp, upload.sse);
        resp
    }

    fn lookup(&self, target: &Target) -> Option<Object> {
        self.state().objects.get(&target.object_id()).cloned()
    }

    fn head_object(&self, target: &Target, headers: &HeaderMap) -> Response<Payload> {
        let Some(object) = self.lookup(target) else {
            return response(StatusCode::NOT_FOUND, Payload::empty());
        };
        if let Some((status, _, _)) = sse_c_refusal(&object, headers.get(SSE_CUSTOMER_KEY_MD5)) {
            return response(status, Payload::empty()); // a HEAD error has no body
        }
        // hyper keeps an explicit Content-Length on a HEAD response even though it sends no body.
        let mut resp = object_response(StatusCode::OK, &object, Payload::empty());
        set_header(&mut resp, header::CONTENT_LENGTH, &object.size.to_string());
        resp
    }

    fn get_object(&self, target: &Target, headers: &HeaderMap) -> Response<Payload> {
        let Some(object) = self.lookup(target) else {
            return s3_error(
                StatusCode::NOT_FOUND,
                "NoSuchKey",
                "The specified key does not exist.",
                ("Key", &target.key),
            );
        };
        if let Some((status, code, message)) =
            sse_c_refusal(&object, headers.get(SSE_CUSTOMER_KEY_MD5))
        {
            return s3_error(status, code, message, ("Key", &target.key));
        }
        let size = object.size;
        match parse_range(headers.get(header::RANGE), size) {
            ByteRange::Whole => object_response(
                StatusCode::OK,
                &object,
                Payload::synthetic(&self.pattern, 0, size),
            ),
            ByteRange::Slice(first, last) => {
                let body = Payload::synthetic(&self.pattern, first, last - first + 1);
                let mut resp = object_response(StatusCode::PARTIAL_CONTENT, &object, body);
                set_header(
                    &mut resp,
                    header::CONTENT_RANGE,
                    &format!("bytes {first}-{last}/{size}"),
                );
                resp
            }
            ByteRange::Unsatisfiable => {
                let mut resp = s3_error(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    "InvalidRange",
                    "The requested range is not satisfiable",
                    ("Key", &target.key),
                );
                set_header(&mut resp, header::CONTENT_RANGE, &format!("bytes */{size}"));
                resp
            }
        }
    }
}

impl Sink {
    /// CopyObject within the sink: the source must exist, open with the copy-source key and
    /// match `x-amz-copy-source-if-match`; the copy takes the request's SSE settings.
    fn copy_object(&self, target: &Target, headers: &HeaderMap) -> Response<Payload> {
        let source = headers
            .get("x-amz-copy-source")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let source = percent_decode(source.split('?').next().unwrap_or(""));
        let source = source.strip_prefix('/').unwrap_or(&source);
        let Some(object) = self.state().objects.get(source).cloned() else {
            let message = "The specified key does not exist.";
            return s3_error(StatusCode::NOT_FOUND, "NoSuchKey", message, ("Key", source));
        };
        if let Some((status, code, message)) =
            sse_c_refusal(&object, headers.get(COPY_SOURCE_KEY_MD5))
        {
            return s3_error(status, code, message, ("Key", source));
        }
        let if_match = headers.get("x-amz-copy-source-if-match");
        if if_match.is_some_and(|etag| etag.as_bytes() != object.etag.as_bytes()) {
            let message = "At least one of the pre-conditions you specified did not hold";
            let status = StatusCode::PRECONDITION_FAILED;
            return s3_error(
                status,
                "PreconditionFailed",
                message,
                ("Condition", "If-Match"),
            );
        }
        let id = target.object_id();
        let etag = quoted_digest(&format!("{id}#copy"), object.size);
        let copy = Object {
            size: object.size,
            etag: etag.clone(),
            sse: sse_headers(headers),
        };
        self.state().objects.insert(id, copy);
        let xml = format!(
            "<CopyObjectResult xmlns=\"{S3_NS}\"><LastModified>{LAST_MODIFIED_ISO}</LastModified>\
             <ETag>{}</ETag></CopyObjectResult>",
            xml_escape(&etag),
        );
        let mut resp = xml_response(StatusCode::OK, &xml);
        add_headers(&mut resp, sse_headers(headers));
        resp
    }

    /// ListObjectsV2 without delimiters: keys under `prefix` in order, pages of up to
    /// `max-keys` (at most 1000), the last key of a page as its continuation token.
    fn list_objects(&self, target: &Target) -> Response<Payload> {
        let prefix = target.param("prefix").unwrap_or("");
        let after = target
            .param("continuation-token")
            .or_else(|| target.param("start-after"))
            .unwrap_or("");
        let max_keys = target
            .param("max-keys")
            .and_then(|n| n.parse().ok())
            .map_or(MAX_KEYS, |n: usize| n.min(MAX_KEYS));
        let bucket = format!("{}/", target.bucket);
        let mut page: Vec<(String, Object)> = self
            .state()
            .objects
            .iter()
            .filter_map(|(id, object)| {
                let key = id.strip_prefix(&bucket)?;
                (key.starts_with(prefix) && key > after).then(|| (key.to_owned(), object.clone()))
            })
            .collect();
        page.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let truncated = page.len() > max_keys;
        page.truncate(max_keys);
        let mut xml = format!(
            "<ListBucketResult xmlns=\"{S3_NS}\"><Name>{}</Name><Prefix>{}</Prefix>\
             <KeyCount>{}</KeyCount><MaxKeys>{max_keys}</MaxKeys><IsTruncated>{truncated}</IsTruncated>",
            xml_escape(&target.bucket),
            xml_escape(prefix),
            page.len(),
        );
        if let (true, Some((last, _))) = (truncated, page.last()) {
            let token = xml_escape(last);
            xml.push_str(&format!(
                "<NextContinuationToken>{token}</NextContinuationToken>"
            ));
        }
        for (key, object) in &page {
            xml.push_str(&format!(
                "<Contents><Key>{}</Key><LastModified>{LAST_MODIFIED_ISO}</LastModified>\
                 <ETag>{}</ETag><Size>{}</Size><StorageClass>STANDARD</StorageClass></Contents>",
                xml_escape(key),
                xml_escape(&object.etag),
                object.size,
            ));
        }
        xml.push_str("</ListBucketResult>");
        xml_response(StatusCode::OK, &xml)
    }
}

/// S3's SSE-C access rule for reads and copy sources, given the key MD5 the request offers:
/// an object stored with a customer key opens with that key only (403 for another key, 400
/// for none), and customer-key parameters for an object stored without one are a 400.
fn sse_c_refusal(
    object: &Object,
    given: Option<&HeaderValue>,
) -> Option<(StatusCode, &'static str, &'static str)> {
    let stored = object
        .sse
        .iter()
        .find(|(name, _)| name.as_str() == SSE_CUSTOMER_KEY_MD5)
        .map(|(_, value)| value);
    match (stored, given) {
        (Some(stored), Some(given)) if stored != given => Some((
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "Requests specifying Server Side Encryption with Customer provided keys must provide the correct secret key.",
        )),
        (Some(_), None) => Some((
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.",
        )),
        (None, Some(_)) => Some((
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "The encryption parameters are not applicable to this object.",
        )),
        _ => None,
    }
}

/// A response carrying an object's metadata: what HEAD and GET both return.
fn object_response(status: StatusCode, object: &Object, body: Payload) -> Response<Payload> {
    let mut resp = response(status, body);
    set_header(&mut resp, header::ETAG, &object.etag);
    set_header(&mut resp, header::LAST_MODIFIED, LAST_MODIFIED);
    set_header(&mut resp, header::CONTENT_TYPE, "application/octet-stream");
    set_header(&mut resp, header::ACCEPT_RANGES, "bytes");
    add_headers(&mut resp, object.sse.iter().cloned());
    resp
}

// ---------------------------------------------------------------------------------------------
// Request bodies

/// What reading a request body to its end produced: its length on the wire and any checksum
/// trailers.
struct Drained {
    len: u64,
    checksums: Headers,
}

/// Reads a body to its end without buffering it. With `keep_tail`, only the last `TAIL_LEN`
/// bytes are kept, because an aws-chunked body ends with its checksum trailer.
async fn drain(mut body: Incoming, keep_tail: bool) -> Result<Drained, hyper::Error> {
    let mut len = 0u64;
    let mut tail = Vec::new();
    let mut checksums = Headers::new();
    while let Some(frame) = body.frame().await {
        match frame?.into_data() {
            Ok(data) => {
                len += data.len() as u64;
                if keep_tail {
                    keep_last(&mut tail, &data);
                }
            }
            // Real HTTP/1.1 chunked trailers may carry the checksum too.
            Err(frame) => {
                if let Ok(trailers) = frame.into_trailers() {
                    checksums.extend(echoed_headers(&trailers));
                }
            }
        }
    }
    if keep_tail {
        checksums.extend(trailer_checksums(&tail));
    }
    Ok(Drained { len, checksums })
}

fn keep_last(tail: &mut Vec<u8>, data: &[u8]) {
    if data.len() >= TAIL_LEN {
        tail.clear();
        tail.extend_from_slice(&data[data.len() - TAIL_LEN..]);
    } else {
        tail.extend_from_slice(data);
        let excess = tail.len().saturating_sub(TAIL_LEN);
        tail.drain(..excess);
    }
}

/// The body is in AWS's chunked framing. That framing carries the checksum as a trailer line
/// instead of a header, and the object's real length is in `x-amz-decoded-content-length`.
fn is_aws_chunked(headers: &HeaderMap) -> bool {
    let any = |name: &str, pred: &dyn Fn(&str) -> bool| {
        headers
            .get_all(name)
            .iter()
            .any(|v| v.to_str().is_ok_and(pred))
    };
    any("content-encoding", &|v| v.contains("aws-chunked"))
        || any("x-amz-content-sha256", &|v| v.starts_with("STREAMING-"))
}

fn decoded_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get("x-amz-decoded-content-length")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Finds `x-amz-checksum-<alg>:<base64>` lines in the tail of an aws-chunked body. s3transfer
/// reads the part's checksum back from UploadPart's response to complete the upload.
fn trailer_checksums(tail: &[u8]) -> Headers {
    tail.split(|&b| b == b'\n')
        .filter_map(|line| {
            let (name, value) = line.split_at(line.iter().position(|&b| b == b':')?);
            let name = HeaderName::from_bytes(name.trim_ascii()).ok()?;
            let value = HeaderValue::from_bytes(value[1..].trim_ascii()).ok()?;
            is_checksum(name.as_str()).then_some((name, value))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Echoed headers

fn is_sse(name: &str) -> bool {
    name.starts_with("x-amz-server-side-encryption") && name != SSE_CUSTOMER_KEY
}

fn is_checksum(name: &str) -> bool {
    name.starts_with("x-amz-checksum-") && name != "x-amz-checksum-mode"
}

/// SSE headers stored with an object and returned by HEAD and GET. The key is left out.
fn sse_headers(headers: &HeaderMap) -> Headers {
    select(headers, is_sse)
}

/// What an upload's response repeats from its request: SSE settings (not the key) and checksums.
fn echoed_headers(headers: &HeaderMap) -> Headers {
    select(headers, |name| is_sse(name) || is_checksum(name))
}

fn select(headers: &HeaderMap, keep: impl Fn(&str) -> bool) -> Headers {
    headers
        .iter()
        .filter(|(name, _)| keep(name.as_str()))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Responses

fn response(status: StatusCode, body: Payload) -> Response<Payload> {
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        HeaderName::from_static("x-amz-request-id"),
        HeaderValue::from_static(REQUEST_ID),
    );
    resp
}

/// For values built here (digests, numbers, dates), which are always valid header values.
/// The check still runs, so that a mistake can drop a header but cannot panic.
fn set_header(resp: &mut Response<Payload>, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(name, value);
    }
}

/// `insert`, not `append`: for a name given twice (a header and a trailer), the last one wins.
fn add_headers(
    resp: &mut Response<Payload>,
    headers: impl IntoIterator<Item = (HeaderName, HeaderValue)>,
) {
    for (name, value) in headers {
        resp.headers_mut().insert(name, value);
    }
}

fn xml_response(status: StatusCode, xml: &str) -> Response<Payload> {
    let body = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{xml}");
    let mut resp = response(status, Payload::full(Bytes::from(body)));
    set_header(&mut resp, header::CONTENT_TYPE, "application/xml");
    resp
}

/// An S3 error document. `detail` is one extra element such as `("Key", key)`.
fn s3_error(
    status: StatusCode,
    code: &str,
    message: &str,
    detail: (&str, &str),
) -> Response<Payload> {
    let (tag, value) = detail;
    let xml = format!(
        "<Error><Code>{code}</Code><Message>{}</Message><{tag}>{}</{tag}>\
         <RequestId>{REQUEST_ID}</RequestId></Error>",
        xml_escape(message),
        xml_escape(value),
    );
    xml_response(status, &xml)
}

fn not_implemented(method: &Method, uri: &Uri) -> Response<Payload> {
    let message = format!("The s3seal benchmark sink does not implement {method} {uri}");
    s3_error(
        StatusCode::NOT_IMPLEMENTED,
        "NotImplemented",
        &message,
        ("Resource", uri.path()),
    )
}

fn no_such_upload(upload_id: &str) -> Response<Payload> {
    let message = "The specified upload does not exist.";
    s3_error(
        StatusCode::NOT_FOUND,
        "NoSuchUpload",
        message,
        ("UploadId", upload_id),
    )
}

/// The client stopped sending mid-body. The connection is gone, so this reply is a formality.
fn incomplete_body() -> Response<Payload> {
    let message = "The request body ended early.";
    s3_error(
        StatusCode::BAD_REQUEST,
        "IncompleteBody",
        message,
        ("Resource", ""),
    )
}

// ---------------------------------------------------------------------------------------------
// Response bodies

/// A response body of `remaining` bytes, read cyclically from `source` starting at `pos`.
/// Synthetic object data and small fixed bodies (XML) share this one type, so every handler
/// returns the same `Response<Payload>`. Frames are cheap `Bytes` slices, never copies, and the
/// size hint is exact, so hyper sends a Content-Length instead of chunked encoding.
struct Payload {
    source: Bytes,
    pos: usize,
    remaining: u64,
}

impl Payload {
    fn empty() -> Self {
        Payload {
            source: Bytes::new(),
            pos: 0,
            remaining: 0,
        }
    }

    fn full(bytes: Bytes) -> Self {
        Payload {
            remaining: bytes.len() as u64,
            source: bytes,
            pos: 0,
        }
    }

    /// `len` bytes of the object that repeats `pattern`, from offset `start`. Ranges therefore
    /// agree with the whole object.
    fn synthetic(pattern: &Bytes, start: u64, len: u64) -> Self {
        let pos = (start % pattern.len() as u64) as usize;
        Payload {
            source: pattern.clone(),
            pos,
            remaining: len,
        }
    }
}

impl Body for Payload {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if this.remaining == 0 || this.source.is_empty() {
            return Poll::Ready(None);
        }
        let want = usize::try_from(this.remaining).unwrap_or(usize::MAX);
        let n = want.min(FRAME_MAX).min(this.source.len() - this.pos);
        let frame = this.source.slice(this.pos..this.pos + n);
        this.pos = (this.pos + n) % this.source.len();
        this.remaining -= n as u64;
        Poll::Ready(Some(Ok(Frame::data(frame))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

enum ByteRange {
    Whole,
    /// First and last byte, inclusive, both within the object.
    Slice(u64, u64),
    Unsatisfiable,
}

/// `bytes=a-b`, `bytes=a-` and `bytes=-n`. Anything malformed gets the whole object, which is
/// what S3 does.
fn parse_range(value: Option<&HeaderValue>, size: u64) -> ByteRange {
    let Some(spec) = value
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("bytes="))
    else {
        return ByteRange::Whole;
    };
    let Some((first, last)) = spec.split_once('-') else {
        return ByteRange::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let within = |a: u64, b: u64| {
        if a >= size {
            ByteRange::Unsatisfiable
        } else {
            ByteRange::Slice(a, b.min(size - 1))
        }
    };
    match (first.parse::<u64>(), last.parse::<u64>()) {
        (Ok(a), _) if last.is_empty() => within(a, u64::MAX),
        (Ok(a), Ok(b)) if a <= b => within(a, b),
        (Err(_), Ok(n)) if first.is_empty() && n > 0 && size > 0 => {
            within(size - n.min(size), u64::MAX)
        }
        (Err(_), Ok(_)) if first.is_empty() => ByteRange::Unsatisfiable,
        _ => ByteRange::Whole,
    }
}

/// splitmix64's output function: cheap, and its output looks random.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn pseudo_random(len: usize) -> Bytes {
    let mut buf = Vec::with_capacity(len + 8);
    for i in 0..len.div_ceil(8) {
        buf.extend_from_slice(&mix(i as u64).to_le_bytes());
    }
    buf.truncate(len);
    Bytes::from(buf)
}

/// 32 hex characters, like an MD5. The value is deterministic in name and size, but nobody
/// should check it against the content.
fn digest(name: &str, size: u64) -> String {
    // FNV-1a over the name, then mixed with the size.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{hash:016x}{:016x}", mix(hash ^ size))
}

fn quoted_digest(name: &str, size: u64) -> String {
    format!("\"{}\"", digest(name, size))
}

/// Keys arrive percent-encoded, and clients differ in what they encode. Decoding them makes
/// `a%2Fb` and `a/b` one object. Bytes that are not valid UTF-8 are replaced, not rejected.
fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes[i] {
            b'%' => bytes
                .get(i + 1..i + 3)
                .and_then(|h| Some(hex_value(h[0])? << 4 | hex_value(h[1])?)),
            _ => None,
        };
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(c: u8) -> Option<u8> {
    char::from(c)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}
