//! The model-driven engine (botocore's `_make_api_call`, serializer, `RestXMLParser` and
//! retry handler in one): any operation of the model, from validated [`Params`] to the
//! [`Output`] botocore would return, over the client's one [`Transport`].

mod fastsign;
mod headers;
mod rate_limit;
mod request;
mod response;
mod retry_quota;
mod sign;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;

use crate::error::{from_connector, service_error, Error, ResponseMeta, Result};
use crate::events::{apply_headers, header_strings, RequestHook, Stage};
use crate::model_types::Shape;
use crate::params::{FileBody, Params};
use crate::transport::{LandingZone, Transport};
use crate::value::Fields;
pub use headers::ResponseHeaders;
pub use rate_limit::RateLimiter;
use request::BodySource;
pub use request::{ChecksumPolicy, Target};
pub use response::{header_fields, header_time};
pub use retry_quota::RetryQuota;

/// A parsed response: the members, in model order, and `ResponseMetadata`.
#[derive(Debug)]
pub struct Output {
    pub fields: Fields,
    pub meta: ResponseMeta,
}

/// What the last attempt of a request saw on the wire.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    pub attempts: u32,
    pub status: u16,
    /// Response headers as botocore's `HTTPHeaders` has them.
    pub headers: ResponseHeaders,
    pub url: String,
}

impl Seen {
    /// A header by name, in any case (the model spells them `ETag`, `Content-Length`): the
    /// names kept are lower-cased, and a GET looks up some 40 of the model's per response,
    /// so none of them is lower-cased into a new string.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }
}

/// What one call runs with besides its parameters.
pub struct Ctx {
    /// A region learnt from a cross-region redirect, overriding the client's.
    pub region: Option<String>,
    /// `client.meta.events`' request-level events, while handlers are registered.
    pub request_hook: Option<RequestHook>,
}

/// Wraps each attempt's request body (e.g. to report progress); the bytes are unchanged.
pub type BodyObserver = Arc<dyn Fn(SdkBody) -> SdkBody + Send + Sync>;

/// A request body the caller supplies instead of the parameters' `Body`.
pub enum Payload {
    /// In memory: checksummed (any algorithm) and, where payloads are signed, hashed.
    Bytes(bytes::Bytes),
    /// A range of an open file: streamed per attempt where the payload goes unsigned and
    /// the checksum is CRC32 (computed by a first pass), else read into memory.
    File(FileBody),
}

/// What a caller adds to one call: a body or a body observer (the transfer engine's
/// requests), memory for a small streamed answer to land in (the synchronous client's).
#[derive(Default)]
pub struct Extras {
    pub body: Option<Payload>,
    pub observe: Option<BodyObserver>,
    pub landing: Option<LandingZone>,
}

/// botocore's retry modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryMode {
    Legacy,
    Standard,
}

/// Who the engine's requests are signed as (botocore's `signature_version`).
#[derive(Debug, Clone)]
pub enum Auth {
    /// SigV4 with the credentials this chain resolves (`NoCredentialsError` without any).
    SigV4(Option<SharedCredentialsProvider>),
    /// botocore's `UNSIGNED`: no credentials are looked for, and requests, presigned URLs
    /// and POST policies carry no signature (no `Authorization`, `x-amz-date` or
    /// `x-amz-content-sha256`), as botocore's signer skips `add_auth`.
    Anonymous,
}

/// What one client's engine runs with.
#[derive(Debug, Clone)]
pub struct Engine {
    pub transport: Transport,
    pub auth: Auth,
    pub target: Target,
    pub retry_mode: RetryMode,
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// botocore's `adaptive` mode: standard retries plus this client-side rate limiter
    /// (shared by clones of this engine, as botocore's is by a client's threads).
    pub rate_limiter: Option<Arc<RateLimiter>>,
    /// The retry quota of `standard` and `adaptive` modes (shared by clones of this engine).
    pub retry_quota: Option<Arc<RetryQuota>>,
    /// Object bodies (a blob payload) go `UNSIGNED-PAYLOAD` (TLS or this machine).
    pub unsigned_payload: bool,
    pub checksums: ChecksumPolicy,
    /// The day's signing key, derived once (shared by clones of this engine).
    pub signing_keys: std::sync::Arc<fastsign::KeyCache>,
    /// Temporary credentials between requests (shared by clones of this engine).
    pub temporary_credentials: std::sync::Arc<TemporaryCredentials>,
    /// Sent on every request (not on presigned URLs, as botocore's), before any
    /// request-level event handler sees the headers.
    pub user_agent: Option<http::HeaderValue>,
}

/// Credentials that expire (instance metadata, a container, an assumed role, SSO, a
/// process), kept until 10 minutes before they do, as botocore's `RefreshableCredentials`
/// keep theirs (its mandatory refresh): without them each request would ask the instance
/// metadata service, or STS, again. Credentials that never expire are asked for each time
/// (static, environment, profile keys: no I/O beyond what aws-config caches itself).
#[derive(Debug, Default)]
pub struct TemporaryCredentials(std::sync::Mutex<Option<aws_credential_types::Credentials>>);

impl TemporaryCredentials {
    const REFRESH_BEFORE: Duration = Duration::from_secs(600);

    fn fresh(&self, now: SystemTime) -> Option<aws_credential_types::Credentials> {
        let kept = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.as_ref()
            .filter(|c| c.expiry().is_some_and(|e| e > now + Self::REFRESH_BEFORE))
            .cloned()
    }

    fn keep(&self, credentials: &aws_credential_types::Credentials) {
        if credentials.expiry().is_some() {
            *self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(credentials.clone());
        }
    }
}

/// One attempt's outcome, before retry classification.
enum Attempt {
    Done(Output),
    Failed(Error),
}

impl Engine {
    /// Run one operation: build, sign and send it, retrying as botocore's retry handler
    /// does, and parse the answer. `region` overrides the signing region after a redirect;
    /// `extras` has what the caller adds (a body, a body observer, memory to land in).
    pub async fn call(
        &self,
        params: &Params,
        region: Option<&str>,
        hook: Option<&RequestHook>,
        extras: &Extras,
    ) -> Result<Output> {
        let op = params.op;
        if !op.unsupported.is_empty() {
            return Err(Error::Unsupported(op.name, op.unsupported));
        }
        // Borrowed unless the call signs for another region (a redirect): a clone copied
        // three strings per request.
        let target = match region {
            Some(region) if region != self.target.region => std::borrow::Cow::Owned(Target {
                region: region.to_owned(),
                ..self.target.clone()
            }),
            _ => std::borrow::Cow::Borrowed(&self.target),
        };
        let (file, memory) = match &extras.body {
            Some(Payload::File(file)) => (Some(file), None),
            Some(Payload::Bytes(bytes)) => (None, Some(bytes.clone())),
            None => (None, None),
        };
        let (streamed, file_bytes) = self
            .file_body(params, file.or(params.body_file.as_ref()))
            .await?;
        let source = match (&streamed, file_bytes.or(memory)) {
            (Some((_, plan)), _) => BodySource::File(plan),
            (None, Some(bytes)) => BodySource::Bytes(bytes),
            (None, None) => BodySource::Params,
        };
        let mut built = request::build(params, &target, self.checksums, source)?;
        if let Some(agent) = &self.user_agent {
            built
                .headers
                .push((http::header::USER_AGENT, agent.clone()));
        }
        let file = streamed.as_ref().map(|(file, _)| file);
        if let Some(hook) = hook {
            let changed = hook.emit(
                Stage::Call,
                op.name,
                built.method.as_str(),
                &built.uri,
                header_strings(&built.headers),
                Some(&built.body),
            )?;
            built.headers = apply_headers(changed)?;
        }
        let max = self.max_attempts.max(1);
        let mut attempt = 1;
        // What this call's last retry took from the retry quota.
        let mut quota_taken = None;
        loop {
            let credentials = self.credentials().await?;
            self.pace().await;
            let outcome = self
                .attempt(
                    params,
                    &built,
                    (file, extras.observe.as_ref(), extras.landing.as_ref()),
                    &target,
                    credentials.as_ref(),
                    attempt,
                    hook,
                )
                .await;
            if let Some(limiter) = &self.rate_limiter {
                limiter.on_response(matches!(&outcome, Ok(Attempt::Failed(e)) if is_throttling(e)));
            }
            let mut error = match outcome? {
                Attempt::Done(output) => {
                    if let Some(quota) = &self.retry_quota {
                        quota.release(quota_taken);
                    }
                    return Ok(output);
                }
                Attempt::Failed(e) => e,
            };
            if attempt >= max || !self.retryable(&error) {
                return Err(error);
            }
            match self.take_retry_quota(&error) {
                Ok(cost) => quota_taken = cost,
                Err(()) => {
                    if let Error::Service(e) = &mut error {
                        e.meta.retry_quota_reached = true;
                    }
                    return Err(error);
                }
            }
            tokio::time::sleep(self.backoff(attempt)).await;
            attempt += 1;
        }
    }

    /// botocore's `generate_presigned_url`: the request `params` describe, signed in its
    /// query for `expires_in`. Its headers (the SSE-C ones among them) stay headers, signed:
    /// whoever uses the URL must send them, and no key is ever written into the URL.
    pub async fn presign(
        &self,
        params: &Params,
        expires_in: Duration,
        method: Option<&str>,
    ) -> Result<String> {
        // No checksum or validation headers: the URL's user sends the body and reads the answer.
        let checksums = ChecksumPolicy {
            request_when_required: true,
            response_when_required: true,
        };
        let mut built = request::build(params, &self.target, checksums, BodySource::Params)?;
        built
            .headers
            .retain(|(name, _)| !name.as_str().starts_with("x-amz-checksum-"));
        let method = match method {
            Some(m) => http::Method::from_bytes(m.to_ascii_uppercase().as_bytes())
                .map_err(|_| Error::ParamValidation(format!("Invalid HttpMethod: {m}")))?,
            None => built.method.clone(),
        };
        let mut req = http::Request::builder().method(method).uri(&built.uri);
        for (name, value) in &built.headers {
            req = req.header(name, value);
        }
        let mut req = req
            .body(bytes::Bytes::new())
            .map_err(|e| Error::ParamValidation(format!("Invalid request: {e}")))?;
        // Anonymous: the request's plain URL, as botocore's (no `=` added to bare keys).
        let Some(credentials) = self.credentials().await? else {
            return Ok(req.uri().to_string());
        };
        let signing = sign::Signing::Query { expires_in };
        sign::sign_request(
            &mut req,
            &credentials,
            &self.target.region,
            signing,
            SystemTime::now(),
        )?;
        Ok(explicit_empty_values(&req.uri().to_string()))
    }

    /// For botocore's `generate_presigned_post`, at `time`: the `x-amz-credential` field,
    /// the session token if any, and the signature of the base64 policy document; `None`
    /// when the client is anonymous (botocore's POST then has no policy and no signature).
    pub async fn sign_post_policy(
        &self,
        policy_b64: &str,
        time: SystemTime,
    ) -> Result<Option<(String, Option<String>, String)>> {
        let Some(credentials) = self.credentials().await? else {
            return Ok(None);
        };
        let region = &self.target.region;
        let date = aws_smithy_types::DateTime::from(time)
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            .unwrap_or_default();
        let day: String = date.chars().filter(char::is_ascii_digit).take(8).collect();
        let credential = format!(
            "{}/{day}/{region}/s3/aws4_request",
            credentials.access_key_id()
        );
        let key = aws_sigv4::sign::v4::generate_signing_key(
            credentials.secret_access_key(),
            time,
            region,
            "s3",
        );
        let signature = aws_sigv4::sign::v4::calculate_signature(key, policy_b64.as_bytes());
        Ok(Some((
            credential,
            credentials.session_token().map(str::to_owned),
            signature,
        )))
    }

    /// The credentials to sign with; `None` for an anonymous client, which never looks.
    async fn credentials(&self) -> Result<Option<aws_credential_types::Credentials>> {
        let provider = match &self.auth {
            Auth::Anonymous => return Ok(None),
            Auth::SigV4(provider) => provider.as_ref().ok_or(Error::NoCredentials)?,
        };
        if let Some(kept) = self.temporary_credentials.fresh(SystemTime::now()) {
            return Ok(Some(kept));
        }
        let credentials = provider
            .provide_credentials()
            .await
            .map_err(|_| Error::NoCredentials)?;
        self.temporary_credentials.keep(&credentials);
        Ok(Some(credentials))
    }

    /// Whether object bodies go unhashed: `UNSIGNED-PAYLOAD` where the transport keeps them
    /// private, or no signature at all.
    fn payload_unhashed(&self) -> bool {
        self.unsigned_payload || matches!(self.auth, Auth::Anonymous)
    }

    /// A PutObject body that is an open regular file: streamed (unsigned, CRC32 by a first
    /// pass) where the transport keeps it private and the checksum is CRC32, else read
    /// into memory (a signed payload or another algorithm needs the bytes).
    async fn file_body(
        &self,
        params: &Params,
        file: Option<&FileBody>,
    ) -> Result<(
        Option<(FileBody, request::StreamedFile)>,
        Option<bytes::Bytes>,
    )> {
        let Some(file) = file else {
            return Ok((None, None));
        };
        let crc_only = params
            .str("ChecksumAlgorithm")
            .is_none_or(|a| a.eq_ignore_ascii_case("CRC32"));
        if !(self.payload_unhashed() && crc_only) {
            return Ok((None, Some(on_file(file, FileBody::read_all).await?)));
        }
        // The first pass only where a checksum is sent (not with `when_required`).
        let crc32 = match params.string("ChecksumCRC32") {
            Some(crc) => Some(crc),
            None if request::needs_checksum(params, self.checksums.request_when_required) => {
                Some(on_file(file, FileBody::crc32).await?)
            }
            None => None,
        };
        let plan = request::StreamedFile {
            length: file.len,
            crc32,
        };
        Ok((Some((file.duplicate().map_err(file_error)?, plan)), None))
    }

    #[allow(clippy::too_many_arguments)]
    async fn attempt(
        &self,
        params: &Params,
        built: &request::Built,
        (file, observe, landing): (
            Option<&FileBody>,
            Option<&BodyObserver>,
            Option<&LandingZone>,
        ),
        target: &Target,
        credentials: Option<&aws_credential_types::Credentials>,
        attempt: u32,
        hook: Option<&RequestHook>,
    ) -> Result<Attempt> {
        let op = params.op;
        let mut req = http::Request::builder()
            .method(built.method.clone())
            .uri(&built.uri);
        for (name, value) in &built.headers {
            req = req.header(name, value);
        }
        if built.length > 0 || matches!(op.method, "PUT" | "POST") {
            req = req.header(http::header::CONTENT_LENGTH, built.length);
        }
        let mut req = req
            .body(built.body.clone())
            .map_err(|e| Error::ParamValidation(format!("Invalid request: {e}")))?;
        // XML documents are small: signed, as botocore does. Object bodies are not hashed
        // where the transport keeps them private (TLS, this machine).
        let object_body = op.payload().is_some_and(|m| matches!(m.shape, Shape::Blob));
        fire(hook, Stage::Sign, op.name, &mut req)?;
        // The signing step: SigV4 in the headers, or nothing for an anonymous client.
        if let Some(credentials) = credentials {
            let body = (!built.body.is_empty()).then_some(&built.body[..]);
            fastsign::sign(
                &mut req,
                body,
                credentials,
                &target.region,
                object_body && self.unsigned_payload,
                SystemTime::now(),
                &self.signing_keys,
            )?;
        }
        fire(hook, Stage::Send, op.name, &mut req)?;
        let url = built.uri.split('?').next().unwrap_or_default().to_owned();
        // Each attempt reads the file afresh (a retry resends the whole body).
        let body = match file {
            Some(file) => file.stream().await?.into_inner(),
            None => SdkBody::from(built.body.clone()),
        };
        let body = match observe {
            Some(observe) => observe(body),
            None => body,
        };
        let landing = landing.filter(|_| op.streaming_output).cloned();
        let response = match self.transport.send(req.map(|_| body), landing).await {
            Ok(r) => r,
            Err(e) => return Ok(Attempt::Failed(from_connector(&e, url))),
        };
        let status = response.status().as_u16();
        let headers = ResponseHeaders::from_map(response.headers());
        if status < 300 && op.streaming_output {
            let seen = Seen {
                attempts: attempt,
                status,
                headers,
                url,
            };
            let validating = built
                .headers
                .iter()
                .any(|(n, v)| n == "x-amz-checksum-mode" && v == "ENABLED");
            let body = response.into_body();
            return Ok(Attempt::Done(Self::streaming_output(
                op,
                seen,
                body,
                validating,
                self.max_attempts,
            )));
        }
        let body = match ByteStream::new(response.into_body()).collect().await {
            Ok(b) => b.into_bytes(),
            Err(_) => return Ok(Attempt::Failed(Error::ConnectionClosed(url))),
        };
        let seen = Seen {
            attempts: attempt,
            status,
            headers,
            url,
        };
        if status >= 300 {
            return Ok(Attempt::Failed(service_error(
                op.name,
                &body,
                seen,
                self.max_attempts,
            )));
        }
        // S3 can answer 200 with an error document (botocore's `_handle_200_error`), and a
        // 200 whose document does not parse counts as the same 500 (and is retried).
        if special_200_error(op, &body) {
            let mut seen = seen;
            seen.status = 500;
            return Ok(Attempt::Failed(service_error(
                op.name,
                &body,
                seen,
                self.max_attempts,
            )));
        }
        let mut fields = response::parse(op, &seen, &body)?;
        if params.encoding_type_auto_set {
            response::decode_listing(op, &mut fields);
        }
        let mut seen = seen;
        drop_unparseable_expires(&mut seen);
        Ok(Attempt::Done(Output {
            fields,
            meta: ResponseMeta::from_seen(seen, self.max_attempts),
        }))
    }
    /// A streamed answer (GetObject): the body goes to the caller as it arrives, checked at
    /// its end against the response checksum when one was asked for and sent (botocore
    /// validates CRC32, SHA1 and SHA256 without awscrt, in that order; a composite `-N`
    /// checksum of a multipart object cannot be checked on a whole-object read).
    fn streaming_output(
        op: &'static crate::model_types::Operation,
        seen: Seen,
        body: SdkBody,
        validating: bool,
        max: u32,
    ) -> Output {
        // botocore reports the algorithm lower-case in ResponseMetadata; each with its header.
        const VALIDATED: [(&str, &str); 3] = [
            ("crc32", "x-amz-checksum-crc32"),
            ("sha1", "x-amz-checksum-sha1"),
            ("sha256", "x-amz-checksum-sha256"),
        ];
        let length = seen
            .header("content-length")
            .and_then(|v| v.trim().parse::<u64>().ok());
        let check = VALIDATED
            .into_iter()
            .filter(|_| validating)
            .find_map(|(name, header)| {
                let value = seen.header(header)?;
                let expected = decode_checksum(value)?;
                Some((name, expected))
            });
        let (body, validated) = match check {
            // A body already in memory is checked now; one that passes stays in memory
            // (read without a runtime), one that fails is wrapped to fail when read, as
            // botocore's does.
            Some((name, expected)) if body.bytes().is_some_and(|b| matches(b, name, &expected)) => {
                (body, Some(name))
            }
            Some((name, expected)) => (checked_body(body, name, expected), Some(name)),
            None => (body, None),
        };
        let mut fields = vec![(
            "Body",
            crate::value::Value::Stream(ByteStream::new(body), length),
        )];
        fields.extend(header_fields(op, &seen));
        let mut seen = seen;
        drop_unparseable_expires(&mut seen);
        let mut meta = ResponseMeta::from_seen(seen, max);
        meta.checksum_algorithm = validated;
        Output { fields, meta }
    }

    /// botocore's retry rules (`_retry.json` for legacy, `retries/standard.py`):
    /// connection failures, 5xx and throttling answers.
    fn retryable(&self, error: &Error) -> bool {
        match error {
            Error::EndpointConnection(_)
            | Error::ConnectionClosed(_)
            | Error::ReadTimeout(_)
            | Error::ConnectTimeout(_) => true,
            Error::Service(e) => {
                matches!(e.meta.status, 500 | 502 | 503 | 504)
                    || is_throttling(error)
                    || TRANSIENT.contains(&e.code())
            }
            _ => false,
        }
    }

    /// Adaptive mode: wait for the rate limiter's token (at once until a throttling answer).
    async fn pace(&self) {
        if let Some(limiter) = &self.rate_limiter {
            let wait = limiter.before_send();
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
    }

    /// Standard and adaptive modes: take a retry's cost from the client's retry quota (what
    /// was taken, to give back on success; `None` in legacy mode), or `Err` with it spent.
    fn take_retry_quota(&self, error: &Error) -> std::result::Result<Option<u32>, ()> {
        let Some(quota) = &self.retry_quota else {
            return Ok(None);
        };
        let cost = RetryQuota::cost(error);
        if quota.acquire(cost) {
            Ok(Some(cost))
        } else {
            Err(())
        }
    }

    /// Legacy: `rand * 2^(attempt-1)` seconds; standard: the same, capped at 20 s.
    fn backoff(&self, attempt: u32) -> Duration {
        let base = 2f64.powi(attempt.saturating_sub(1).min(16) as i32);
        let delay = jitter() * base;
        let delay = match self.retry_mode {
            RetryMode::Legacy => delay,
            RetryMode::Standard => delay.min(20.0),
        };
        Duration::from_secs_f64(delay)
    }
}

/// botocore's `ThrottlingErrorDetector`: an answer with one of these codes (S3's model
/// marks no error as throttling).
fn is_throttling(error: &Error) -> bool {
    matches!(error, Error::Service(e) if THROTTLING.contains(&e.code()))
}

const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];
const TRANSIENT: &[&str] = &["RequestTimeout", "RequestTimeoutException", "InternalError"];

/// Whether a 200 body is an `<Error>` document rather than the operation's result.
/// botocore's `_handle_200_error`, for answers that are documents (not a blob or string
/// payload): an `<Error>` root, or a body that is not XML at all.
/// A presigned URL's valueless query keys written `key=` (`?location=&X-Amz-...`), as
/// botocore writes them; the signature is the same either way (SigV4 canonicalises both).
fn explicit_empty_values(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|p| {
            if p.contains('=') || p.is_empty() {
                p.to_owned()
            } else {
                format!("{p}=")
            }
        })
        .collect();
    format!("{base}?{}", pairs.join("&"))
}

fn special_200_error(op: &crate::model_types::Operation, body: &[u8]) -> bool {
    let document = !op.output.iter().any(|m| {
        m.loc == crate::model_types::Loc::Payload && matches!(m.shape, Shape::Blob | Shape::Str)
    });
    if !document || body.is_empty() {
        return false;
    }
    body_is_error(body) || !response::is_xml(body)
}

/// botocore's `handle_expires_header`: an `Expires` header that is no date leaves
/// `HTTPHeaders` (its text stays in `ExpiresString`).
fn drop_unparseable_expires(seen: &mut Seen) {
    let unparseable = seen
        .header("expires")
        .is_some_and(|v| header_time(v, crate::model_types::TsFormat::Rfc822).is_none());
    if unparseable {
        seen.headers.remove("expires");
    }
}

fn body_is_error(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&body[..body.len().min(512)]);
    let text = text.trim_start();
    let text = match text.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or("", |(_, r)| r).trim_start(),
        None => text,
    };
    text.starts_with("<Error>")
}

/// `work` over a duplicate of `file`, on a blocking thread.
async fn on_file<T: Send + 'static>(
    file: &FileBody,
    work: fn(&FileBody) -> std::io::Result<T>,
) -> Result<T> {
    let copy = file.duplicate();
    tokio::task::spawn_blocking(move || copy.and_then(|f| work(&f)))
        .await
        .map_err(|e| Error::Internal(format!("file reader failed: {e}")))?
        .map_err(file_error)
}

fn file_error(e: std::io::Error) -> Error {
    Error::Internal(format!("cannot read the body's file: {e}"))
}

/// Fire a request-level event on a built request, taking back the handlers' headers.
fn fire(
    hook: Option<&RequestHook>,
    stage: Stage,
    operation: &str,
    req: &mut http::Request<bytes::Bytes>,
) -> Result<()> {
    let Some(hook) = hook else {
        return Ok(());
    };
    let headers: Vec<(http::HeaderName, http::HeaderValue)> = req
        .headers()
        .iter()
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    let changed = hook.emit(
        stage,
        operation,
        req.method().as_str(),
        &req.uri().to_string(),
        header_strings(&headers),
        Some(req.body()),
    )?;
    let map = req.headers_mut();
    map.clear();
    for (name, value) in apply_headers(changed)? {
        map.append(name, value);
    }
    Ok(())
}

/// A whole-object checksum header's value (base64), `None` for a composite `-N` one.
fn decode_checksum(value: &str) -> Option<bytes::Bytes> {
    use base64::Engine as _;
    if value.contains('-') {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()?;
    Some(bytes::Bytes::from(raw))
}

/// `body`, checked at its end against `expected` (a mismatch is a stream error).
/// Whether `data`'s `algorithm` checksum is `expected`.
fn matches(data: &[u8], algorithm: &str, expected: &[u8]) -> bool {
    match algorithm.parse::<aws_smithy_checksums::ChecksumAlgorithm>() {
        Ok(algorithm) => {
            let mut checksum = algorithm.into_impl();
            checksum.update(data);
            checksum.finalize()[..] == *expected
        }
        Err(_) => false,
    }
}

fn checked_body(body: SdkBody, algorithm: &str, expected: bytes::Bytes) -> SdkBody {
    match algorithm.parse::<aws_smithy_checksums::ChecksumAlgorithm>() {
        Ok(algorithm) => {
            SdkBody::from_body_1_x(aws_smithy_checksums::body::validate::ChecksumBody::new(
                body,
                algorithm.into_impl(),
                expected,
            ))
        }
        Err(_) => body,
    }
}

/// A random factor in [0, 1) for backoff jitter, without a dependency: the low bits of
/// the clock are as good as any for spreading retries.
fn jitter() -> f64 {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    f64::from(nanos % 1_000_000) / 1_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_credentials_that_expire_are_kept_and_not_to_their_end() {
        use aws_credential_types::Credentials;
        let now = SystemTime::now();
        let cache = TemporaryCredentials::default();
        cache.keep(&Credentials::new("AKID", "s", None, None, "t"));
        assert!(
            cache.fresh(now).is_none(),
            "static credentials are not kept"
        );
        let hour = Credentials::new(
            "AKID",
            "s",
            None,
            Some(now + Duration::from_secs(3600)),
            "t",
        );
        cache.keep(&hour);
        assert_eq!(cache.fresh(now).unwrap().access_key_id(), "AKID");
        assert!(
            cache.fresh(now + Duration::from_secs(3000)).is_none(),
            "10 minutes before expiry"
        );
        cache.keep(&Credentials::new(
            "AKID2",
            "s",
            None,
            Some(now + Duration::from_secs(300)),
            "t",
        ));
        assert!(
            cache.fresh(now).is_none(),
            "credentials expiring soon are asked for again"
        );
    }

    #[test]
    fn presigned_urls_write_empty_values_as_botocore() {
        assert_eq!(
            explicit_empty_values("http://h/b?location&X-Amz-Date=1&uploads"),
            "http://h/b?location=&X-Amz-Date=1&uploads="
        );
        assert_eq!(explicit_empty_values("http://h/b/k"), "http://h/b/k");
    }
}
