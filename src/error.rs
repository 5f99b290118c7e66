//! The one error type of s3seal, how transport failures become it, and how it becomes the
//! botocore-shaped Python exceptions of `s3seal.exceptions` (the only place that maps).

use aws_smithy_runtime_api::client::result::ConnectorError;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::engine::Seen;
use crate::transport::{find_source, PolicyViolation, TlsFailure};

/// `ResponseMetadata` as botocore reports it.
#[derive(Debug, Default, Clone)]
pub struct ResponseMeta {
    /// `RequestId` and `HostId`, each present only where botocore sets it (see
    /// [`ResponseMeta::from_seen`]).
    pub request_id: Option<String>,
    pub host_id: Option<String>,
    pub status: u16,
    pub headers: crate::engine::ResponseHeaders,
    pub retry_attempts: u32,
    pub max_attempts_reached: bool,
    /// A retryable error returned because the client's retry quota was spent.
    pub retry_quota_reached: bool,
    /// The response checksum that was validated (botocore's `ChecksumAlgorithm`).
    pub checksum_algorithm: Option<&'static str>,
    /// The request's URL without its query (not part of botocore's dict; for errors
    /// raised later, while the body is read).
    pub url: String,
}

impl ResponseMeta {
    /// botocore's `_populate_response_metadata`: `x-amzn-requestid` gives `RequestId`
    /// alone; else `x-amz-request-id` gives `RequestId` and `HostId` (`x-amz-id-2`, or
    /// empty); else neither key is there.
    pub fn from_seen(seen: Seen, max_attempts: u32) -> Self {
        let retry_attempts = seen.attempts.saturating_sub(1);
        let (request_id, host_id) = match (
            seen.header("x-amzn-requestid"),
            seen.header("x-amz-request-id"),
        ) {
            (Some(id), _) => (Some(id.to_owned()), None),
            (None, Some(id)) => (
                Some(id.to_owned()),
                Some(seen.header("x-amz-id-2").unwrap_or_default().to_owned()),
            ),
            (None, None) => (None, None),
        };
        Self {
            request_id,
            host_id,
            status: seen.status,
            max_attempts_reached: seen.attempts > 1 && seen.attempts >= max_attempts,
            retry_quota_reached: false,
            headers: seen.headers,
            retry_attempts,
            checksum_algorithm: None,
            url: seen.url,
        }
    }

    pub fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        self.to_dict_sharing(py).map(|(meta, _)| meta)
    }

    /// [`to_dict`](Self::to_dict), also giving the strings made for the header values, in
    /// the order of `headers`: a response member bound to a header is the same text, and
    /// one string serves both.
    pub fn to_dict_sharing<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyDict>, Vec<Bound<'py, PyString>>)> {
        use pyo3::intern;
        // The keys every response has are interned once, not made (and hashed) per call.
        let meta = PyDict::new(py);
        let (headers, values) = crate::convert::http_headers(py, &self.headers)?;
        // The ids came from headers (`x-amz-request-id`, `x-amz-id-2`): their strings serve.
        let id_string = |id: &str| match self.headers.position_of_value(id) {
            Some(i) => values[i].clone(),
            None => PyString::new(py, id),
        };
        if let Some(id) = &self.request_id {
            meta.set_item(intern!(py, "RequestId"), id_string(id))?;
        }
        if let Some(id) = &self.host_id {
            meta.set_item(intern!(py, "HostId"), id_string(id))?;
        }
        meta.set_item(intern!(py, "HTTPStatusCode"), self.status)?;
        meta.set_item(intern!(py, "HTTPHeaders"), headers)?;
        meta.set_item(intern!(py, "RetryAttempts"), self.retry_attempts)?;
        if self.max_attempts_reached {
            meta.set_item("MaxAttemptsReached", true)?;
        }
        if self.retry_quota_reached {
            meta.set_item("RetryQuotaReached", true)?;
        }
        if let Some(algorithm) = self.checksum_algorithm {
            meta.set_item("ChecksumAlgorithm", algorithm)?;
        }
        Ok((meta, values))
    }
}

/// An error response from the server, parsed as botocore parses it.
#[derive(Debug)]
pub struct ServiceError {
    pub operation: &'static str,
    /// `Code`, `Message` and any other child of `<Error>`, in document order.
    pub fields: Vec<(String, String)>,
    pub meta: ResponseMeta,
}

impl ServiceError {
    pub fn code(&self) -> &str {
        self.field("Code").unwrap_or_default()
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Parameter validation failed:\n{0}")]
    ParamValidation(String),
    #[error("An error occurred ({}) when calling the {} operation", .0.code(), .0.operation)]
    Service(Box<ServiceError>),
    #[error("Unable to locate credentials")]
    NoCredentials,
    #[error("The config profile ({0}) could not be found")]
    ProfileNotFound(String),
    #[error("Could not connect to the endpoint URL: \"{0}\"")]
    EndpointConnection(String),
    #[error("Connect timeout on endpoint URL: \"{0}\"")]
    ConnectTimeout(String),
    #[error("Read timeout on endpoint URL: \"{0}\"")]
    ReadTimeout(String),
    #[error(
        "Connection was closed before we received a valid response from endpoint URL: \"{0}\"."
    )]
    ConnectionClosed(String),
    #[error("An error occurred while reading from response stream: {0}")]
    ResponseStreaming(String),
    #[error("{actual} read, but total bytes expected is {expected}.")]
    IncompleteRead { actual: u64, expected: u64 },
    #[error(
        "Refusing to send an SSE-C key over plain http to {0}: use an https endpoint_url, or opt out \
         with Config(s3={{'allow_sse_c_over_http': True}}) or S3SEAL_ALLOW_SSE_C_OVER_HTTP=1"
    )]
    InsecureSseC(String),
    #[error(
        "Refusing to send an unsigned payload over plain http to {0}: use an https endpoint_url, \
         or leave Config(s3={{'payload_signing_enabled': ...}}) unset"
    )]
    InsecureUnsignedPayload(String),
    /// botocore's `SSLError`: the certificate or the handshake failed (never retried).
    #[error("SSL validation failed for {url} {reason}")]
    Ssl { url: String, reason: String },
    #[error("Invalid configuration: {0}")]
    InvalidConfig(String),
    /// A local file problem, raised as the builtin `OSError` subclass for its errno.
    #[error("{source}: {path:?}")]
    Io {
        source: std::io::Error,
        path: std::path::PathBuf,
    },
    /// A transfer told to stop (Ctrl-C or a failing callback); the cause is raised instead.
    #[error("the transfer was cancelled")]
    Cancelled,
    /// A download's stream kept failing after `num_download_attempts` tries.
    #[error("Max Retries Exceeded")]
    RetriesExceeded(Box<Error>),
    /// A Python exception raised by user code (a file object, a callback) or by Ctrl-C.
    #[error("{0}")]
    Python(#[from] PyErr),
    /// botocore's `FlexibleChecksumError` (an unknown checksum algorithm, a mismatch).
    #[error("{0}")]
    FlexibleChecksum(String),
    /// botocore's `ResponseParserError`: a 2xx answer that is not what the model says.
    #[error("{0}")]
    ResponseParse(String),
    /// An operation of the model s3seal does not offer yet, and why.
    #[error("s3seal does not support {0} yet: {1}")]
    Unsupported(&'static str, &'static str),
    #[error("internal error in s3seal: {0}")]
    Internal(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// Map a transport failure to botocore's exception for it.
pub fn from_connector(conn: &ConnectorError, url: String) -> Error {
    if let Some(refused) = find_source::<PolicyViolation>(conn) {
        return match refused {
            PolicyViolation::CustomerKeyOverHttp(host) => Error::InsecureSseC(host.clone()),
            PolicyViolation::UnsignedPayloadOverHttp(host) => {
                Error::InsecureUnsignedPayload(host.clone())
            }
        };
    }
    if let Some(tls) = find_source::<TlsFailure>(conn) {
        return Error::Ssl {
            url,
            reason: tls.0.clone(),
        };
    }
    if conn.is_timeout() {
        return if chain_text(conn).contains("connect") {
            Error::ConnectTimeout(url)
        } else {
            Error::ReadTimeout(url)
        };
    }
    // Could not connect (refused, unreachable, DNS): botocore's EndpointConnectionError.
    // Anything after the connection was made (a reset, an early close, an answer that is
    // not HTTP) is its ConnectionClosedError.
    if conn.is_io() && chain_text(conn).contains("client error (connect)") {
        return Error::EndpointConnection(url);
    }
    Error::ConnectionClosed(url)
}

/// botocore's rest-xml error parsing: every child of `<Error>`; with no body, the code is
/// the status and the message its reason phrase (what HEAD requests always get).
pub fn service_error(operation: &'static str, body: &[u8], seen: Seen, max: u32) -> Error {
    let mut seen = seen;
    if (200..300).contains(&seen.status) {
        // A success whose body could not be parsed: botocore's `_handle_200_error` makes it
        // a 500 (retried, then reported as such).
        seen.status = 500;
    }
    let status = seen.status;
    let mut fields = crate::xml::error_fields(body);
    let mut meta = ResponseMeta::from_seen(seen, max);
    // An `<Error>` document's RequestId and HostId duplicate the headers': botocore drops
    // them from the error and takes the metadata from the headers alone.
    fields.retain(|(n, _)| n != "RequestId" && n != "HostId");
    if !fields.iter().any(|(n, _)| n == "Code") {
        // No error document (a HEAD, an unparseable body): botocore's
        // `_parse_error_from_http_status`, which always names both ids.
        let header = |name: &str| {
            meta.headers
                .get(name)
                .map(str::to_owned)
                .unwrap_or_default()
        };
        meta.request_id = Some(header("x-amz-request-id"));
        meta.host_id = Some(header("x-amz-id-2"));
        let reason = http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        fields = vec![
            ("Code".to_owned(), status.to_string()),
            ("Message".to_owned(), reason.to_owned()),
        ];
    } else if !fields.iter().any(|(n, _)| n == "Message") {
        fields.push(("Message".to_owned(), String::new()));
    }
    Error::Service(Box::new(ServiceError {
        operation,
        fields,
        meta,
    }))
}

/// The error and its sources, lower-cased, for classifying connector failures. SDK and
/// hyper error texts carry no header values, so no key can reach it.
fn chain_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut current = err.source();
    while let Some(e) = current {
        text.push_str(": ");
        text.push_str(&e.to_string());
        current = e.source();
    }
    text.to_ascii_lowercase()
}

impl Error {
    /// A copy of a failure that is not a service error, to report it (`after-call-error`)
    /// while the original goes on to the retry and cleanup logic. `None` for a service
    /// error, a cancellation or an exhausted download.
    pub fn try_clone(&self) -> Option<Error> {
        Some(match self {
            Error::ParamValidation(s) => Error::ParamValidation(s.clone()),
            Error::NoCredentials => Error::NoCredentials,
            Error::ProfileNotFound(s) => Error::ProfileNotFound(s.clone()),
            Error::EndpointConnection(s) => Error::EndpointConnection(s.clone()),
            Error::ConnectTimeout(s) => Error::ConnectTimeout(s.clone()),
            Error::ReadTimeout(s) => Error::ReadTimeout(s.clone()),
            Error::ConnectionClosed(s) => Error::ConnectionClosed(s.clone()),
            Error::ResponseStreaming(s) => Error::ResponseStreaming(s.clone()),
            Error::IncompleteRead { actual, expected } => Error::IncompleteRead {
                actual: *actual,
                expected: *expected,
            },
            Error::InsecureSseC(s) => Error::InsecureSseC(s.clone()),
            Error::InsecureUnsignedPayload(s) => Error::InsecureUnsignedPayload(s.clone()),
            Error::Ssl { url, reason } => Error::Ssl {
                url: url.clone(),
                reason: reason.clone(),
            },
            Error::InvalidConfig(s) => Error::InvalidConfig(s.clone()),
            Error::Io { source, path } => Error::Io {
                source: match source.raw_os_error() {
                    Some(code) => std::io::Error::from_raw_os_error(code),
                    None => std::io::Error::new(source.kind(), source.to_string()),
                },
                path: path.clone(),
            },
            Error::Python(e) => Error::Python(Python::attach(|py| e.clone_ref(py))),
            Error::FlexibleChecksum(s) => Error::FlexibleChecksum(s.clone()),
            Error::ResponseParse(s) => Error::ResponseParse(s.clone()),
            Error::Unsupported(a, b) => Error::Unsupported(a, b),
            Error::Internal(s) => Error::Internal(s.clone()),
            Error::Service(_) | Error::Cancelled | Error::RetriesExceeded(_) => return None,
        })
    }
}

impl From<Error> for PyErr {
    fn from(err: Error) -> PyErr {
        Python::attach(|py| to_python(py, err).unwrap_or_else(|e| e))
    }
}

/// The C library's text for an errno, as Python's `OSError` shows it.
fn strerror(e: &std::io::Error) -> String {
    let text = e.to_string();
    // std renders "No such file or directory (os error 2)"; Python shows the first part.
    match text.rfind(" (os error ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

fn exceptions(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    py.import("s3seal.exceptions")
}

/// Instantiate `s3seal.exceptions.<name>(**kwargs)`.
fn raise_kw(py: Python<'_>, name: &str, kwargs: &[(&str, Py<PyAny>)]) -> PyResult<PyErr> {
    let kw = PyDict::new(py);
    for (k, v) in kwargs {
        kw.set_item(k, v)?;
    }
    let value = exceptions(py)?.getattr(name)?.call((), Some(&kw))?;
    Ok(PyErr::from_value(value))
}

fn to_python(py: Python<'_>, err: Error) -> PyResult<PyErr> {
    let s = |v: String| -> Py<PyAny> { v.into_pyobject(py).unwrap().into_any().unbind() };
    match err {
        Error::ParamValidation(report) => {
            raise_kw(py, "ParamValidationError", &[("report", s(report))])
        }
        Error::Service(e) => {
            let response = PyDict::new(py);
            let error = PyDict::new(py);
            for (k, v) in &e.fields {
                // ElementTree, which botocore parses with, gives None for an empty element.
                if v.is_empty() && k != "Message" {
                    error.set_item(k, py.None())?;
                } else {
                    error.set_item(k, v)?;
                }
            }
            response.set_item("Error", error)?;
            response.set_item("ResponseMetadata", e.meta.to_dict(py)?)?;
            let cls = exceptions(py)?.call_method1("_class_for_code", (e.code(),))?;
            let value = cls.call1((response, e.operation))?;
            Ok(PyErr::from_value(value))
        }
        Error::NoCredentials => raise_kw(py, "NoCredentialsError", &[]),
        Error::ProfileNotFound(p) => raise_kw(py, "ProfileNotFound", &[("profile", s(p))]),
        Error::EndpointConnection(u) => {
            raise_kw(py, "EndpointConnectionError", &[("endpoint_url", s(u))])
        }
        Error::ConnectTimeout(u) => raise_kw(py, "ConnectTimeoutError", &[("endpoint_url", s(u))]),
        Error::ReadTimeout(u) => raise_kw(py, "ReadTimeoutError", &[("endpoint_url", s(u))]),
        Error::ConnectionClosed(u) => {
            raise_kw(py, "ConnectionClosedError", &[("endpoint_url", s(u))])
        }
        Error::ResponseStreaming(e) => raise_kw(py, "ResponseStreamingError", &[("error", s(e))]),
        Error::IncompleteRead { actual, expected } => raise_kw(
            py,
            "IncompleteReadError",
            &[
                (
                    "actual_bytes",
                    actual.into_pyobject(py)?.into_any().unbind(),
                ),
                (
                    "expected_bytes",
                    expected.into_pyobject(py)?.into_any().unbind(),
                ),
            ],
        ),
        e @ (Error::InsecureSseC(_) | Error::InsecureUnsignedPayload(_)) => raise_kw(
            py,
            "InsecureTransportError",
            &[("message", s(e.to_string()))],
        ),
        Error::Ssl { url, reason } => raise_kw(
            py,
            "SSLError",
            &[("endpoint_url", s(url)), ("error", s(reason))],
        ),
        e @ Error::InvalidConfig(_) => Ok(pyo3::exceptions::PyValueError::new_err(e.to_string())),
        Error::Io { source, path } => {
            let args = (
                source.raw_os_error().unwrap_or(0),
                strerror(&source),
                path.to_string_lossy().into_owned(),
            );
            Ok(pyo3::exceptions::PyOSError::new_err(args))
        }
        Error::Cancelled => Ok(pyo3::exceptions::PyKeyboardInterrupt::new_err(())),
        Error::RetriesExceeded(last) => {
            let last = to_python(py, *last)?;
            let cls = exceptions(py)?.getattr("RetriesExceededError")?;
            Ok(PyErr::from_value(cls.call1((last.into_value(py),))?))
        }
        Error::Python(e) => Ok(e),
        Error::FlexibleChecksum(m) => raise_kw(py, "FlexibleChecksumError", &[("error_msg", s(m))]),
        Error::ResponseParse(m) => raise_kw(py, "ResponseParserError", &[("message", s(m))]),
        e @ Error::Unsupported(..) => Ok(pyo3::exceptions::PyNotImplementedError::new_err(
            e.to_string(),
        )),
        e @ Error::Internal(_) => Ok(PyRuntimeError::new_err(e.to_string())),
    }
}
