//! Python keyword arguments -> validated, owned [`Params`], exactly as botocore checks
//! them: its `before-parameter-build` handlers (bucket name, ASCII metadata, CopySource
//! quoting, the SSE-C key rule), then its `ParamValidator`, with botocore's wording.
//! Deliberate divergence: sensitive values are never echoed in a message.

use aws_smithy_types::DateTime;
use bytes::Bytes;
use pyo3::buffer::PyBuffer;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyInt, PyList, PyString, PyTuple};

use crate::error::{Error, Result};
use crate::model_types::{Loc, Member, Operation, Shape, TsFormat};
use crate::sse::{encode_customer_key, Secret, COPY_SOURCE_PREFIX, CUSTOMER_PREFIX};
use crate::value::{field, Fields, Value};

/// An operation's parameters, validated and owned, in the caller's order.
#[derive(Debug)]
pub struct Params {
    pub op: &'static Operation,
    pub fields: Fields,
    /// ListObjectsV2: s3seal asked for `EncodingType=url` itself and decodes the keys.
    pub encoding_type_auto_set: bool,
    /// A `Body` given as an open regular file: streamed from it, never read into memory.
    pub body_file: Option<FileBody>,
}

/// A request body streamed from an open regular file. botocore sends a file object from
/// its current position to its end, and rewinds to that position to retry; this reads the
/// same range through a duplicate of its descriptor, reopened for every attempt.
#[derive(Debug)]
pub struct FileBody {
    /// Kept open while the request runs, so its `/proc/self/fd` path stays valid.
    file: std::fs::File,
    pub offset: u64,
    pub len: u64,
}

impl FileBody {
    /// `len` bytes of `file` from `offset`.
    pub fn new(file: std::fs::File, offset: u64, len: u64) -> Self {
        Self { file, offset, len }
    }

    /// A Python file object over a regular file (binary mode), or `None` for anything else
    /// (pipes, sockets, in-memory and text files), which is read as before.
    #[cfg(target_os = "linux")]
    pub fn from_file_object(obj: &Bound<'_, PyAny>) -> PyResult<Option<Self>> {
        use std::os::fd::FromRawFd;
        // The common bodies are not files: answered without the attribute probes below,
        // which raise and clear an AttributeError each (a few microseconds per PUT, under
        // the GIL).
        if obj.is_instance_of::<pyo3::types::PyBytes>()
            || obj.is_instance_of::<pyo3::types::PyByteArray>()
            || obj.is_instance_of::<pyo3::types::PyString>()
            || obj.is_instance_of::<pyo3::types::PyMemoryView>()
        {
            return Ok(None);
        }
        let text_io = obj.py().import("io")?.getattr("TextIOBase")?;
        if obj.is_instance(&text_io)? || !obj.hasattr("fileno")? {
            return Ok(None);
        }
        let fd = match obj.call_method0("fileno").and_then(|f| f.extract::<i32>()) {
            Ok(fd) => fd,
            Err(_) => return Ok(None), // BytesIO and friends: io.UnsupportedOperation
        };
        let Ok(offset) = obj.call_method0("tell").and_then(|t| t.extract::<u64>()) else {
            return Ok(None);
        };
        // SAFETY: `dup` of a descriptor the file object owns; the copy is ours to close.
        let copy = unsafe { libc::dup(fd) };
        if copy < 0 {
            return Ok(None);
        }
        // SAFETY: `copy` is a fresh descriptor nothing else owns.
        let file = unsafe { std::fs::File::from_raw_fd(copy) };
        match file.metadata() {
            Ok(meta) if meta.is_file() => Ok(Some(Self {
                len: meta.len().saturating_sub(offset),
                file,
                offset,
            })),
            _ => Ok(None),
        }
    }

    #[cfg(not(target_os = "linux"))]
    pub fn from_file_object(_obj: &Bound<'_, PyAny>) -> PyResult<Option<Self>> {
        Ok(None)
    }

    /// Another handle on the same range (for a blocking thread).
    pub fn duplicate(&self) -> std::io::Result<Self> {
        Ok(Self {
            file: self.file.try_clone()?,
            offset: self.offset,
            len: self.len,
        })
    }

    /// The whole range, read into memory (for a request whose payload is signed, or whose
    /// checksum is not CRC32).
    #[cfg(target_os = "linux")]
    pub fn read_all(&self) -> std::io::Result<Bytes> {
        use std::os::unix::fs::FileExt;
        let mut data = vec![0u8; usize::try_from(self.len).unwrap_or(usize::MAX)];
        self.file.read_exact_at(&mut data, self.offset)?;
        Ok(Bytes::from(data))
    }

    #[cfg(not(target_os = "linux"))]
    pub fn read_all(&self) -> std::io::Result<Bytes> {
        Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
    }

    /// The CRC32 of the range, base64 as S3 expects it (read without moving any offset).
    #[cfg(target_os = "linux")]
    pub fn crc32(&self) -> std::io::Result<String> {
        use base64::Engine;
        use std::os::unix::fs::FileExt;
        let mut hasher = crc32fast::Hasher::new();
        let mut buf = vec![0u8; 1 << 20];
        let (mut at, end) = (self.offset, self.offset + self.len);
        while at < end {
            let want = usize::try_from(end - at)
                .unwrap_or(usize::MAX)
                .min(buf.len());
            match self.file.read_at(&mut buf[..want], at) {
                Ok(0) => break,
                Ok(n) => {
                    hasher.update(&buf[..n]);
                    at += n as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(base64::engine::general_purpose::STANDARD.encode(hasher.finalize().to_be_bytes()))
    }

    #[cfg(not(target_os = "linux"))]
    pub fn crc32(&self) -> std::io::Result<String> {
        Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
    }

    /// The body for one request; retryable (each attempt reopens the range).
    pub async fn stream(&self) -> Result<aws_smithy_types::byte_stream::ByteStream> {
        use std::os::fd::AsRawFd;
        let path = format!("/proc/self/fd/{}", self.file.as_raw_fd());
        aws_smithy_types::byte_stream::ByteStream::read_from()
            .path(&path)
            .offset(self.offset)
            .length(aws_smithy_types::byte_stream::Length::Exact(self.len))
            .build()
            .await
            .map_err(|e| Error::Internal(format!("cannot stream the body from its file: {e}")))
    }
}

impl Params {
    pub fn get(&self, name: &str) -> Option<&Value> {
        field(&self.fields, name)
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    pub fn string(&self, name: &str) -> Option<String> {
        self.str(name).map(str::to_owned)
    }

    /// This request template with the members of `set` added (replacing any of the same
    /// name): one request of a transfer, from its template and its own members (UploadId,
    /// PartNumber, Range, ...). The template was validated; `set` is the engine's own.
    pub fn with(&self, set: Fields) -> Params {
        let mut fields: Fields = self
            .fields
            .iter()
            .filter(|(name, _)| !set.iter().any(|(s, _)| s == name))
            .map(|(name, value)| (*name, value.duplicate()))
            .collect();
        fields.extend(set);
        Params {
            op: self.op,
            fields,
            encoding_type_auto_set: false,
            body_file: None,
        }
    }
}

/// botocore's `VALID_BUCKET` regex `^[a-zA-Z0-9.\-_]{1,255}$`, or an ARN.
fn valid_bucket(bucket: &str) -> bool {
    let plain = !bucket.is_empty()
        && bucket.len() <= 255
        && bucket
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    plain || (bucket.starts_with("arn:") && bucket.split(':').count() >= 6)
}

const VALID_BUCKET_REPORT: &str = r#"Bucket name must match the regex "^[a-zA-Z0-9.\-_]{1,255}$" or be an ARN matching the regex "^arn:(aws).*:(s3|s3-object-lambda):[a-z\-0-9]*:[0-9]{12}:accesspoint[/:][a-zA-Z0-9\-.]{1,63}$|^arn:(aws).*:s3-outposts:[a-z\-0-9]+:[0-9]{12}:outpost[/:][a-zA-Z0-9\-]{1,63}[/:]accesspoint[/:][a-zA-Z0-9\-]{1,63}$""#;

/// botocore's `percent_encode(value, safe=SAFE_CHARS + '/')`.
pub fn quote_key(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Parse and validate the keyword arguments of one call of `op`.
pub fn parse(
    py: Python<'_>,
    op: &'static Operation,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> Result<Params> {
    parse_template(py, op, kwargs, &[])
}

/// [`parse`] for a request a transfer sends many times: the required members in `deferred`
/// (`UploadId`, `PartNumber`, ...) are set per request by the transfer engine
/// ([`Params::with`]).
pub fn parse_template(
    py: Python<'_>,
    op: &'static Operation,
    kwargs: Option<&Bound<'_, PyDict>>,
    deferred: &[&str],
) -> Result<Params> {
    let empty;
    let kwargs = match kwargs {
        Some(kwargs) => kwargs,
        None => {
            empty = PyDict::new(py);
            &empty
        }
    };
    check_bucket_name(kwargs)?;
    if matches!(
        op.name,
        "PutObject" | "CopyObject" | "CreateMultipartUpload"
    ) {
        check_ascii_metadata(kwargs)?;
    }
    let mut overrides: Vec<(&'static str, Value)> = Vec::new();
    // The dict first: a lookup by a name the model does not spell is a scan of the members.
    if let Some(source) = kwargs.get_item(pyo3::intern!(py, "CopySource"))? {
        if let Some(member) = op.input_member("CopySource") {
            if let Some(quoted) = quote_copy_source(&source)? {
                overrides.push((member.name, Value::Str(quoted)));
            }
        }
    }
    if op.sse_md5 {
        apply_sse_md5(kwargs, CUSTOMER_PREFIX, &mut overrides)?;
    }
    if op.copy_source_sse_md5 {
        apply_sse_md5(kwargs, COPY_SOURCE_PREFIX, &mut overrides)?;
    }
    let mut body_file = None;
    if op.name == "PutObject" {
        if let Some(body) = kwargs.get_item(pyo3::intern!(py, "Body"))? {
            body_file = FileBody::from_file_object(&body)?;
            if body_file.is_some() {
                overrides.push(("Body", Value::Blob(Bytes::new())));
            }
        }
    }
    let mut errors = Vec::new();
    let mut fields = convert_struct(kwargs, op.input, "", &mut errors, overrides, deferred)?;
    // botocore's set_list_objects_encoding_type_url (decode_list_object* undo it).
    let encoding_type_auto_set = matches!(
        op.name,
        "ListObjectsV2" | "ListObjects" | "ListObjectVersions"
    ) && !kwargs.contains(pyo3::intern!(py, "EncodingType"))?;
    if encoding_type_auto_set {
        if let Some(member) = op.input_member("EncodingType") {
            fields.push((member.name, Value::Str("url".to_owned())));
        }
    }
    if errors.is_empty() {
        check_wire(py, op, &mut fields)?;
        Ok(Params {
            op,
            fields,
            encoding_type_auto_set,
            body_file,
        })
    } else {
        Err(Error::ParamValidation(errors.join("\n")))
    }
}

/// The checks botocore (or the HTTP client under it) makes while building the request,
/// after validation, with the exception classes it raises there.
fn check_wire(py: Python<'_>, op: &Operation, fields: &mut Fields) -> Result<()> {
    let mut uri_len = 0;
    for (name, value) in fields.iter_mut() {
        let Some(member) = op.input_member(name) else {
            continue;
        };
        if member.wire == "x-amz-sdk-checksum-algorithm" {
            if let Value::Str(algorithm) = value {
                *algorithm = checksum_algorithm(py, algorithm)?;
            }
        }
        match (member.loc, &*value) {
            (Loc::Header, Value::Str(text)) => check_header_value(py, name, text, false)?,
            (Loc::Header, Value::Secret(text)) if text.is_given() => {
                check_header_value(py, name, text.expose(), true)?;
            }
            (Loc::Headers, Value::Map(pairs)) => {
                for (_, text) in pairs {
                    check_header_value(py, name, text, false)?;
                }
            }
            (Loc::Uri | Loc::Query, Value::Str(text)) => uri_len += quoted_len(text) + 16,
            _ => {}
        }
    }
    if uri_len > MAX_URI_PARAMS {
        return Err(too_large(py, op.name));
    }
    Ok(())
}

/// The length of `quote_key(text)`, without building it.
fn quoted_len(text: &str) -> usize {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
                1
            } else {
                3
            }
        })
        .sum()
}

/// Beyond this the HTTP stack cannot even build the request line (its URI limit is 64 KiB).
const MAX_URI_PARAMS: usize = 63 * 1024;

/// botocore's `resolve_request_checksum_algorithm`: a flexible checksum it cannot compute
/// is a `FlexibleChecksumError`. CRC32C and CRC64NVME, which botocore computes only with
/// awscrt installed, are always available here. Returns the name upper-cased.
fn checksum_algorithm(py: Python<'_>, algorithm: &str) -> Result<String> {
    let lower = algorithm.to_ascii_lowercase();
    if ["crc32", "crc32c", "crc64nvme", "sha1", "sha256"].contains(&lower.as_str()) {
        return Ok(lower.to_ascii_uppercase());
    }
    Err(python_error(
        py,
        "FlexibleChecksumError",
        &[(
            "error_msg",
            format!("Unsupported checksum algorithm: {lower}"),
        )],
    ))
}

/// `http.client`'s rule for header values (a bare CR or LF that does not start a folded
/// line), which botocore reports as `HTTPClientError`.
///
/// Other control characters (NUL, ...) pass `http.client` and reach the server, but no
/// header of the HTTP stack here can carry them: a ParamValidationError, before anything
/// is sent, rather than a request the HTTP stack fails to build.
fn check_header_value(py: Python<'_>, member: &str, text: &str, sensitive: bool) -> Result<()> {
    let bytes = text.as_bytes();
    // What `http::HeaderValue` accepts, checked in place: every request's header members
    // pass here under the GIL (an SSE-C GET's three), and building a value to throw away
    // was an allocation each.
    if bytes
        .iter()
        .all(|&b| (b >= 0x20 && b != 0x7f) || b == b'\t')
    {
        return Ok(());
    }
    let illegal = bytes.iter().enumerate().any(|(i, &b)| {
        let next = bytes.get(i + 1).copied();
        match b {
            b'\n' => !matches!(next, Some(b' ' | b'\t')),
            b'\r' => !matches!(next, Some(b' ' | b'\t' | b'\n')),
            _ => false,
        }
    });
    if !illegal {
        return match http::HeaderValue::from_str(text) {
            Ok(_) => Ok(()),
            Err(_) => Err(Error::ParamValidation(format!(
                "Invalid value for parameter {member}: it cannot be sent in an HTTP header"
            ))),
        };
    }
    let shown = if sensitive {
        format!("<redacted {} chars>", text.chars().count())
    } else {
        PyBytes::new(py, bytes).repr()?.to_string()
    };
    Err(python_error(
        py,
        "HTTPClientError",
        &[("error", format!("Invalid header value {shown}"))],
    ))
}

/// What every server answers to a request line beyond its limits (boto3 gets it from the
/// server): the HTTP stack here cannot build such a request, so the answer is given
/// without sending it.
fn too_large(py: Python<'_>, operation: &str) -> Error {
    let build = || -> PyResult<PyErr> {
        let response = PyDict::new(py);
        let error = PyDict::new(py);
        error.set_item("Code", "431")?;
        error.set_item("Message", "Request Header Fields Too Large")?;
        response.set_item("Error", error)?;
        let meta = PyDict::new(py);
        meta.set_item("HTTPStatusCode", 431)?;
        meta.set_item("HTTPHeaders", PyDict::new(py))?;
        meta.set_item("RetryAttempts", 0)?;
        response.set_item("ResponseMetadata", meta)?;
        let exceptions = py.import("s3seal.exceptions")?;
        let class = exceptions.call_method1("_class_for_code", ("431",))?;
        Ok(PyErr::from_value(class.call1((response, operation))?))
    };
    Error::Python(build().unwrap_or_else(|e| e))
}

/// `s3seal.exceptions.<class>(**kwargs)`, as an error to raise.
fn python_error(py: Python<'_>, class: &str, kwargs: &[(&str, String)]) -> Error {
    let build = || -> PyResult<PyErr> {
        let kw = PyDict::new(py);
        for (k, v) in kwargs {
            kw.set_item(k, v)?;
        }
        let class = py.import("s3seal.exceptions")?.getattr(class)?;
        Ok(PyErr::from_value(class.call((), Some(&kw))?))
    };
    Error::Python(build().unwrap_or_else(|e| e))
}

fn check_bucket_name(kwargs: &Bound<'_, PyDict>) -> Result<()> {
    if let Some(bucket) = kwargs.get_item(pyo3::intern!(kwargs.py(), "Bucket"))? {
        // Lossy: a lone surrogate fails botocore's regex like any other invalid character.
        // (Borrowed when it is valid UTF-8, as every real bucket name is.)
        if let Ok(bucket) = bucket.cast::<PyString>() {
            let name = bucket.to_string_lossy();
            if !valid_bucket(&name) {
                return Err(Error::ParamValidation(format!(
                    "Invalid bucket name \"{name}\": {VALID_BUCKET_REPORT}"
                )));
            }
        }
    }
    Ok(())
}

fn check_ascii_metadata(kwargs: &Bound<'_, PyDict>) -> Result<()> {
    let Some(meta) = kwargs.get_item(pyo3::intern!(kwargs.py(), "Metadata"))? else {
        return Ok(());
    };
    let Ok(meta) = meta.cast_into::<PyDict>() else {
        return Ok(());
    };
    for (k, v) in meta.iter() {
        let (Ok(k), Ok(v)) = (k.extract::<String>(), v.extract::<String>()) else {
            continue;
        };
        if !k.is_ascii() || !v.is_ascii() {
            return Err(Error::ParamValidation(format!(
                "Non ascii characters found in S3 metadata for key \"{k}\", value: \"{v}\".  \n\
                 S3 metadata can only contain ASCII characters. "
            )));
        }
    }
    Ok(())
}

/// botocore's `handle_copy_source_param`: quote a str, or build the header from a dict.
fn quote_copy_source(source: &Bound<'_, PyAny>) -> Result<Option<String>> {
    if let Ok(s) = source.cast::<PyString>() {
        let s = s.to_str()?;
        return Ok(Some(match s.rfind("?versionId=") {
            Some(at) if !s[at..].contains(char::is_whitespace) => {
                format!("{}{}", quote_key(&s[..at]), &s[at..])
            }
            _ => quote_key(s),
        }));
    }
    let Ok(dict) = source.cast::<PyDict>() else {
        return Ok(None); // the validator reports the type
    };
    let mut parts = Vec::with_capacity(2);
    for name in ["Bucket", "Key"] {
        match dict.get_item(name)? {
            // botocore matches the bucket against its ARN regex first: a bucket that is
            // not a string is its TypeError.
            Some(v) if name == "Bucket" && !v.is_instance_of::<PyString>() => {
                return Err(Error::Python(pyo3::exceptions::PyTypeError::new_err(
                    format!(
                        "expected string or bytes-like object, got '{}'",
                        v.get_type().name()?
                    ),
                )))
            }
            Some(v) => parts.push(v.str()?.to_string()),
            None => {
                return Err(Error::ParamValidation(format!(
                    "Missing required parameter: '{name}'"
                )))
            }
        }
    }
    let mut out = quote_key(&format!("{}/{}", parts[0], parts[1]));
    if let Some(version) = dict.get_item("VersionId")? {
        if !version.is_none() {
            out.push_str(&format!("?versionId={}", version.str()?));
        }
    }
    Ok(Some(out))
}

/// botocore's `_sse_md5`: when a key is given and `<prefix>KeyMD5` is absent from the
/// call (even a `None` value counts as present), send base64(key) and base64(md5(key)).
fn apply_sse_md5(
    kwargs: &Bound<'_, PyDict>,
    prefix: &'static str,
    overrides: &mut Vec<(&'static str, Value)>,
) -> Result<()> {
    let py = kwargs.py();
    let (key_name, md5_name, key_arg, md5_arg) = if prefix == CUSTOMER_PREFIX {
        let key_arg = pyo3::intern!(py, "SSECustomerKey");
        let md5_arg = pyo3::intern!(py, "SSECustomerKeyMD5");
        ("SSECustomerKey", "SSECustomerKeyMD5", key_arg, md5_arg)
    } else {
        let key_arg = pyo3::intern!(py, "CopySourceSSECustomerKey");
        let md5_arg = pyo3::intern!(py, "CopySourceSSECustomerKeyMD5");
        (
            "CopySourceSSECustomerKey",
            "CopySourceSSECustomerKeyMD5",
            key_arg,
            md5_arg,
        )
    };
    let Some(key) = kwargs.get_item(key_arg)? else {
        return Ok(());
    };
    if key.is_none() || kwargs.contains(md5_arg)? {
        return Ok(());
    }
    let raw: zeroize::Zeroizing<Vec<u8>> = if let Ok(s) = key.cast::<PyString>() {
        zeroize::Zeroizing::new(utf8(s, key_name, true)?.as_bytes().to_vec())
    } else if let Ok(b) = key.cast::<PyBytes>() {
        zeroize::Zeroizing::new(b.as_bytes().to_vec())
    } else if let Ok(buf) = PyBuffer::<u8>::get(&key) {
        zeroize::Zeroizing::new(buf.to_vec(key.py())?)
    } else {
        return Err(Error::ParamValidation(format!(
            "Invalid type for parameter {key_name}, value: <redacted>, type: {}, valid types: <class 'str'>, <class 'bytes'>",
            key.get_type().str()?
        )));
    };
    let encoded = encode_customer_key(raw);
    overrides.push((key_name, Value::Secret(encoded.key_b64)));
    overrides.push((md5_name, Value::Secret(encoded.md5_b64)));
    Ok(())
}

/// The UTF-8 text of `s`. A lone surrogate cannot be encoded: Python's UnicodeEncodeError
/// (botocore's answer) carries the whole string in its args, so for a sensitive member it
/// becomes a ParamValidationError that shows only the length.
fn utf8<'a>(s: &'a Bound<'_, PyString>, name: &str, sensitive: bool) -> Result<&'a str> {
    match s.to_str() {
        Ok(text) => Ok(text),
        Err(e) if !sensitive => Err(Error::Python(e)),
        Err(_) => Err(Error::ParamValidation(format!(
            "Invalid value for parameter {}, value: <redacted {} chars>: it is not valid \
             Unicode (a lone surrogate cannot be encoded as UTF-8)",
            shown(name),
            s.len().unwrap_or_default()
        ))),
    }
}

/// `name` as botocore shows it: `input` at the top, without the leading dot below.
fn shown(name: &str) -> &str {
    if name.is_empty() {
        "input"
    } else {
        name.strip_prefix('.').unwrap_or(name)
    }
}

fn describe(obj: &Bound<'_, PyAny>, sensitive: bool) -> PyResult<String> {
    if sensitive {
        return Ok(match obj.len() {
            Ok(n) => format!("<redacted {n} chars>"),
            Err(_) => "<redacted>".to_owned(),
        });
    }
    Ok(obj.str()?.to_string())
}

fn invalid_type(
    obj: &Bound<'_, PyAny>,
    name: &str,
    sensitive: bool,
    valid: &str,
    errors: &mut Vec<String>,
) -> PyResult<()> {
    errors.push(format!(
        "Invalid type for parameter {}, value: {}, type: {}, valid types: {valid}",
        shown(name),
        describe(obj, sensitive)?,
        obj.get_type().str()?
    ));
    Ok(())
}

/// botocore's `_validate_structure`: missing required members, then unknown ones, then
/// each known member's value, all reported together.
fn convert_struct(
    dict: &Bound<'_, PyDict>,
    members: &'static [Member],
    name: &str,
    errors: &mut Vec<String>,
    mut overrides: Vec<(&'static str, Value)>,
    deferred: &[&str],
) -> Result<Fields> {
    let mut known: Vec<(&'static Member, Bound<'_, PyAny>)> = Vec::with_capacity(dict.len());
    let mut unknown = Vec::new();
    for (key, value) in dict.iter() {
        let indexed = crate::model_index::position_of_key(members, &key)?;
        if let Some(m) = indexed.and_then(|i| members.get(i)) {
            known.push((m, value));
            continue;
        }
        // Borrowed from the key when it is a str (keyword arguments always are).
        let key_text = match key.cast::<PyString>() {
            Ok(text) => text.to_cow()?,
            Err(_) => std::borrow::Cow::Owned(key.str()?.to_string()),
        };
        match members.iter().find(|m| m.name == key_text) {
            Some(m) => known.push((m, value)),
            None => {
                let names: Vec<&str> = members.iter().map(|m| m.name).collect();
                unknown.push(format!(
                    "Unknown parameter in {}: \"{key_text}\", must be one of: {}",
                    shown(name),
                    names.join(", ")
                ));
            }
        }
    }
    // botocore reports the missing members first, then the unknown ones.
    for m in members
        .iter()
        .filter(|m| m.required && !deferred.contains(&m.name))
    {
        if !known.iter().any(|(k, _)| std::ptr::eq(*k, m))
            && !overrides.iter().any(|(n, _)| *n == m.name)
        {
            errors.push(format!(
                "Missing required parameter in {}: \"{}\"",
                shown(name),
                m.name
            ));
        }
    }
    errors.append(&mut unknown);
    let mut fields = Fields::with_capacity(known.len() + 1);
    for (m, value) in known {
        if let Some(pos) = overrides.iter().position(|(n, _)| *n == m.name) {
            // Named by the model's own text, as every field is: found by address later.
            fields.push((m.name, overrides.remove(pos).1));
            continue;
        }
        // A top-level member's path is its name: nothing to format for the usual call
        // (`shown` drops the leading dot a nested path starts with, so both read the same).
        let path = if name.is_empty() {
            std::borrow::Cow::Borrowed(m.name)
        } else {
            std::borrow::Cow::Owned(format!("{name}.{}", m.name))
        };
        if let Some(v) = convert(&value, &shape_of(m), m, &path, errors)? {
            fields.push((m.name, v));
        }
    }
    // What a handler added (the SSE-C key MD5) comes last, as in botocore's dict.
    for (name, value) in overrides {
        let model_name = members
            .iter()
            .find(|m| m.name == name)
            .map_or(name, |m| m.name);
        fields.push((model_name, value));
    }
    Ok(fields)
}

fn convert(
    obj: &Bound<'_, PyAny>,
    shape: &Shape,
    member: &Member,
    name: &str,
    errors: &mut Vec<String>,
) -> Result<Option<Value>> {
    let sensitive = member.sensitive;
    let value = match shape {
        Shape::Str => {
            let Ok(s) = obj.cast::<PyString>() else {
                invalid_type(obj, name, sensitive, "<class 'str'>", errors)?;
                return Ok(None);
            };
            let s = utf8(s, name, sensitive)?.to_owned();
            if (s.chars().count() as u32) < member.min_len {
                errors.push(format!(
                    "Invalid length for parameter {}, value: {}, valid min length: {}",
                    shown(name),
                    s.chars().count(),
                    member.min_len
                ));
                return Ok(None);
            }
            if sensitive {
                Value::Secret(Secret::new(s))
            } else {
                Value::Str(s)
            }
        }
        Shape::Int => {
            if !obj.is_instance_of::<PyInt>() {
                invalid_type(obj, name, sensitive, "<class 'int'>", errors)?;
                return Ok(None);
            }
            // botocore sends any int as `str(value)` (a bool as "True" / "False"); beyond
            // i64, or a bool, the server judges the text.
            match obj.extract::<i64>() {
                Ok(i) if !obj.is_instance_of::<PyBool>() => Value::Int(i),
                _ => Value::Str(obj.str()?.to_string()),
            }
        }
        Shape::Bool => {
            let Ok(b) = obj.cast::<PyBool>() else {
                invalid_type(obj, name, sensitive, "<class 'bool'>", errors)?;
                return Ok(None);
            };
            Value::Bool(b.is_true())
        }
        Shape::Timestamp(_) => match to_datetime(obj)? {
            Some(t) => Value::Time(t),
            None => {
                invalid_type(
                    obj,
                    name,
                    sensitive,
                    "<class 'datetime.datetime'>, timestamp-string",
                    errors,
                )?;
                return Ok(None);
            }
        },
        Shape::Blob => match to_bytes(obj)? {
            Some(b) => Value::Blob(b),
            None => {
                invalid_type(
                    obj,
                    name,
                    sensitive,
                    "<class 'bytes'>, <class 'bytearray'>, file-like object",
                    errors,
                )?;
                return Ok(None);
            }
        },
        Shape::Map => {
            let Ok(dict) = obj.cast::<PyDict>() else {
                invalid_type(obj, name, sensitive, "<class 'dict'>", errors)?;
                return Ok(None);
            };
            let mut pairs = Vec::with_capacity(dict.len());
            for (k, v) in dict.iter() {
                let key_ok = k.is_instance_of::<PyString>();
                let value_ok = v.is_instance_of::<PyString>();
                if !key_ok {
                    invalid_type(
                        &k,
                        &format!("{name} (key: {})", k.str()?),
                        false,
                        "<class 'str'>",
                        errors,
                    )?;
                }
                if !value_ok {
                    invalid_type(
                        &v,
                        &format!("{name}.{}", k.str()?),
                        false,
                        "<class 'str'>",
                        errors,
                    )?;
                }
                if key_ok && value_ok {
                    pairs.push((k.extract()?, v.extract()?));
                }
            }
            Value::Map(pairs)
        }
        Shape::List(inner) => {
            if !(obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>()) {
                invalid_type(
                    obj,
                    name,
                    sensitive,
                    "<class 'list'>, <class 'tuple'>",
                    errors,
                )?;
                return Ok(None);
            }
            let mut items = Vec::new();
            for (i, item) in obj.try_iter()?.enumerate() {
                let item = item?;
                if let Some(v) = convert(&item, inner, member, &format!("{name}[{i}]"), errors)? {
                    items.push(v);
                }
            }
            Value::List(items)
        }
        Shape::Struct(members) => {
            let Ok(dict) = obj.cast::<PyDict>() else {
                invalid_type(obj, name, sensitive, "<class 'dict'>", errors)?;
                return Ok(None);
            };
            Value::Struct(convert_struct(
                dict,
                members,
                name,
                errors,
                Vec::new(),
                &[],
            )?)
        }
    };
    Ok(Some(value))
}

/// botocore's `parse_to_aware_datetime`, which its validator and serializer both apply:
/// `Ok(None)` where botocore reports an invalid type (TypeError / ValueError, e.g. `nan`,
/// an unparseable string), an error of botocore's own class where it raises one (the
/// builtin `RuntimeError` for epoch values out of any platform's range, e.g. `2**64`).
/// When botocore is importable it decides itself (exact parity, dateutil's formats);
/// otherwise [`to_datetime_fallback`] covers datetimes, epoch numbers and ISO / RFC 822.
fn to_datetime(obj: &Bound<'_, PyAny>) -> Result<Option<DateTime>> {
    let py = obj.py();
    let Ok(utils) = py.import("botocore.utils") else {
        return to_datetime_fallback(obj);
    };
    match utils.call_method1("parse_to_aware_datetime", (obj,)) {
        Ok(dt) => Ok(Some(epoch_of(&dt)?)),
        Err(e) if is_invalid_type(py, &e) => Ok(None),
        Err(e) => Err(Error::Python(e)),
    }
}

/// The exceptions botocore's `_type_check_datetime` turns into "invalid type".
fn is_invalid_type(py: Python<'_>, e: &PyErr) -> bool {
    e.is_instance_of::<pyo3::exceptions::PyTypeError>(py)
        || e.is_instance_of::<pyo3::exceptions::PyValueError>(py)
        || e.is_instance_of::<pyo3::exceptions::PyAttributeError>(py)
}

/// Whole and fractional epoch seconds of an aware datetime (every datetime fits).
fn epoch_of(dt: &Bound<'_, PyAny>) -> Result<DateTime> {
    let secs: f64 = dt.call_method0("timestamp")?.extract()?;
    Ok(DateTime::from_secs_f64(secs))
}

/// [`to_datetime`] without botocore: a datetime (naive means UTC), epoch seconds (a
/// number or a numeric string), an ISO 8601 or RFC 822 string.
fn to_datetime_fallback(obj: &Bound<'_, PyAny>) -> Result<Option<DateTime>> {
    let py = obj.py();
    let datetime = py.import("datetime")?;
    let dt_type = datetime.getattr("datetime")?;
    let aware = |dt: Bound<'_, PyAny>| -> Result<DateTime> {
        let dt = if dt.getattr("tzinfo")?.is_none() {
            let kw = PyDict::new(py);
            kw.set_item("tzinfo", datetime.getattr("timezone")?.getattr("utc")?)?;
            dt.call_method("replace", (), Some(&kw))?
        } else {
            dt
        };
        epoch_of(&dt)
    };
    if obj.is_instance(&dt_type)? {
        return aware(obj.clone()).map(Some);
    }
    let text = obj.cast::<PyString>().ok().map(|s| s.to_string());
    let number = match &text {
        Some(t) => t.trim().parse::<f64>().ok(),
        None => obj.extract::<f64>().ok(),
    };
    if let Some(secs) = number {
        return epoch_in_range(secs, obj);
    }
    let Some(text) = text else {
        return Ok(None);
    };
    for (module, function) in [
        ("datetime", "fromisoformat"),
        ("email.utils", "parsedate_to_datetime"),
    ] {
        let parser = if module == "datetime" {
            dt_type.getattr(function)?
        } else {
            py.import(module)?.getattr(function)?
        };
        if let Ok(dt) = parser.call1((text.trim(),)) {
            return aware(dt).map(Some);
        }
    }
    Ok(None)
}

/// Epoch seconds as botocore takes them: `nan` is an invalid type (ValueError), values no
/// datetime can hold raise the builtin `RuntimeError` with botocore's text.
fn epoch_in_range(secs: f64, obj: &Bound<'_, PyAny>) -> Result<Option<DateTime>> {
    // datetime's range: years 1..=9999.
    const MIN: f64 = -62_135_596_800.0;
    const MAX: f64 = 253_402_300_800.0;
    if secs.is_nan() {
        return Ok(None);
    }
    if !(MIN..MAX).contains(&secs) {
        return Err(Error::Python(pyo3::exceptions::PyRuntimeError::new_err(
            format!(
                "Unable to calculate correct timezone offset for \"{}\"",
                obj.str()?
            ),
        )));
    }
    Ok(Some(DateTime::from_secs_f64(secs)))
}

/// A zero-copy view of a Python buffer (bytearray, memoryview), kept alive with the body.
struct BufferOwner(PyBuffer<u8>);

impl AsRef<[u8]> for BufferOwner {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: the buffer is C-contiguous (checked on creation) and stays exported,
        // so valid and unmoved, for as long as this owner lives.
        unsafe { std::slice::from_raw_parts(self.0.buf_ptr().cast::<u8>(), self.0.len_bytes()) }
    }
}

/// A request body: bytes (shared, no copy), a buffer (shared), str (UTF-8) or a file
/// object (read once, here, with the GIL held). `None` when it is none of these.
pub fn to_bytes(obj: &Bound<'_, PyAny>) -> PyResult<Option<Bytes>> {
    if obj.is_instance_of::<PyBytes>() {
        let backed: PyBackedBytes = obj.extract()?;
        return Ok(Some(Bytes::from_owner(backed)));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Some(Bytes::copy_from_slice(s.to_str()?.as_bytes())));
    }
    if obj.is_instance_of::<PyByteArray>() || obj.hasattr("__buffer__")? || is_memoryview(obj)? {
        if let Ok(buf) = PyBuffer::<u8>::get(obj) {
            if buf.is_c_contiguous() {
                return Ok(Some(Bytes::from_owner(BufferOwner(buf))));
            }
        }
        let copied = obj
            .py()
            .import("builtins")?
            .getattr("bytes")?
            .call1((obj,))?;
        return to_bytes(&copied);
    }
    if obj.hasattr("read")? {
        let data = obj.call_method0("read")?;
        if data.is_instance_of::<PyBytes>() || data.is_instance_of::<PyByteArray>() {
            return to_bytes(&data);
        }
        return Err(not_bytes(&data));
    }
    Ok(None)
}

/// What boto3 raises when a file object's `read()` returns something else than bytes
/// (None from a non-blocking stream with nothing ready, str from a text-mode file, ...).
pub fn not_bytes(data: &Bound<'_, PyAny>) -> PyErr {
    let name = data
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default();
    pyo3::exceptions::PyTypeError::new_err(format!("a bytes-like object is required, not '{name}'"))
}

fn is_memoryview(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(obj.get_type().name()?.to_str()? == "memoryview")
}

/// Serialise header-bound members (`Loc::Header` / `Loc::Headers`) as botocore's rest-xml
/// serializer does, leaving out the members in `typed`.
pub fn header_pairs(
    params: &Params,
    typed: &[&str],
) -> Result<Vec<(http::HeaderName, http::HeaderValue)>> {
    let mut out = Vec::new();
    for (name, value) in &params.fields {
        if typed.contains(name) {
            continue;
        }
        let Some(member) = params.op.input_member(name) else {
            continue;
        };
        match (member.loc, value) {
            (Loc::Header, v) => {
                let text = match v {
                    Value::Str(s) => s.clone(),
                    Value::Secret(s) => s.expose().to_owned(),
                    Value::Int(i) => i.to_string(),
                    Value::Bool(b) => b.to_string(),
                    Value::Time(t) => format_time(t, &member.shape)?,
                    _ => continue,
                };
                out.push((
                    crate::model_index::header_name(member.wire).map_err(|_| {
                        Error::ParamValidation(format!("Invalid header name: \"{}\"", member.wire))
                    })?,
                    header_value(name, text, member.sensitive)?,
                ));
            }
            (Loc::Headers, Value::Map(pairs)) => {
                for (k, v) in pairs {
                    let hn = header_name(&format!("{}{}", member.wire, k))?;
                    out.push((hn, header_value(name, v.clone(), false)?));
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// RFC 3986 unreserved characters stay; everything else is percent-encoded (query keys and
/// values, URI labels that are not greedy).
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A timestamp as botocore serialises it; one the format cannot express is refused rather
/// than sent as an empty value (which would silently drop a condition).
fn format_time(t: &DateTime, shape: &Shape) -> Result<String> {
    use aws_smithy_types::date_time::Format;
    let format = match shape {
        Shape::Timestamp(TsFormat::Iso8601) => Format::DateTime,
        _ => Format::HttpDate,
    };
    t.fmt(format).map_err(|_| {
        Error::Python(pyo3::exceptions::PyRuntimeError::new_err(format!(
            "Unable to calculate correct timezone offset for \"{}\"",
            t.secs()
        )))
    })
}

/// A member's shape as botocore sees it: botocore merges `service-2.sdk-extras.json`
/// into the S3 model, which turns the `Expires` header (a string in the raw model, which
/// the generated tables follow) into a timestamp, in requests and responses alike.
pub fn shape_of(member: &Member) -> Shape {
    if member.name == "Expires" && member.wire == "Expires" && matches!(member.shape, Shape::Str) {
        Shape::Timestamp(TsFormat::Rfc822)
    } else {
        member.shape
    }
}

/// `name` as a header name, lower-cased (`from_bytes` normalises the case itself).
fn header_name(name: &str) -> Result<http::HeaderName> {
    http::HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| Error::ParamValidation(format!("Invalid header name: \"{name}\"")))
}

fn header_value(member: &str, text: String, sensitive: bool) -> Result<http::HeaderValue> {
    let mut value = http::HeaderValue::try_from(text).map_err(|_| {
        Error::ParamValidation(format!(
            "Invalid value for parameter {member}: it cannot be sent in an HTTP header"
        ))
    })?;
    value.set_sensitive(sensitive);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_are_lower_cased() {
        for (given, sent) in [
            ("X-Amz-Meta-Owner", "x-amz-meta-owner"),
            ("Content-Type", "content-type"),
            (
                "x-amz-server-side-encryption",
                "x-amz-server-side-encryption",
            ),
        ] {
            assert_eq!(header_name(given).unwrap().as_str(), sent);
        }
        assert!(header_name("bad name").is_err());
    }

    #[test]
    fn bucket_names_follow_botocore() {
        assert!(valid_bucket("my.bucket-1_x"));
        assert!(!valid_bucket("bad/name"));
        assert!(!valid_bucket(""));
        assert!(valid_bucket(
            "arn:aws:s3:us-west-2:123456789012:accesspoint/test"
        ));
    }

    #[test]
    fn keys_are_quoted_like_botocore() {
        assert_eq!(quote_key("b/a key+é"), "b/a%20key%2B%C3%A9");
        assert_eq!(quote_key("b/k~-._"), "b/k~-._");
    }
}
