//! Python keyword arguments -> validated, owned [`Params`], exactly as botocore checks
//! them: its `before-parameter-build` handlers (bucket name, ASCII metadata, CopySource
//! quoting, the SSE-C key rule), then its `ParamValidator`, with botocore's wording.
//! Deliberate divergence: sensitive values are never echoed in a message.

use aws_sdk_s3::primitives::DateTime;
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
/// (`UploadId`, `PartNumber`, ...) are set per request through the SDK's typed builder.
pub fn parse_template(
    py: Python<'_>,
    op: &'static Operation,
    kwargs: Option<&Bound<'_, PyDict>>,
    deferred: &[&str],
) -> Result<Params> {
    let empty = PyDict::new(py);
    let kwargs = kwargs.unwrap_or(&empty);
    check_bucket_name(kwargs)?;
    if matches!(
        op.name,
        "PutObject" | "CopyObject" | "CreateMultipartUpload"
    ) {
        check_ascii_metadata(kwargs)?;
    }
    let mut overrides: Vec<(&'static str, Value)> = Vec::new();
    if op.input_member("CopySource").is_some() {
        if let Some(source) = kwargs.get_item("CopySource")? {
            if let Some(quoted) = quote_copy_source(&source)? {
                overrides.push(("CopySource", Value::Str(quoted)));
            }
        }
    }
    if op.sse_md5 {
        apply_sse_md5(kwargs, CUSTOMER_PREFIX, &mut overrides)?;
    }
    if op.copy_source_sse_md5 {
        apply_sse_md5(kwargs, COPY_SOURCE_PREFIX, &mut overrides)?;
    }
    let mut errors = Vec::new();
    let mut fields = convert_struct(kwargs, op.input, "", &mut errors, overrides, deferred)?;
    // botocore's set_list_objects_encoding_type_url (decode_list_object* undo it).
    let encoding_type_auto_set = matches!(
        op.name,
        "ListObjectsV2" | "ListObjects" | "ListObjectVersions"
    ) && !kwargs.contains("EncodingType")?;
    if encoding_type_auto_set {
        fields.push(("EncodingType", Value::Str("url".to_owned())));
    }
    if errors.is_empty() {
        Ok(Params {
            op,
            fields,
            encoding_type_auto_set,
        })
    } else {
        Err(Error::ParamValidation(errors.join("\n")))
    }
}

fn check_bucket_name(kwargs: &Bound<'_, PyDict>) -> Result<()> {
    if let Some(bucket) = kwargs.get_item("Bucket")? {
        if let Ok(name) = bucket.extract::<String>() {
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
    let Some(meta) = kwargs.get_item("Metadata")? else {
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
    let (key_name, md5_name) = if prefix == CUSTOMER_PREFIX {
        ("SSECustomerKey", "SSECustomerKeyMD5")
    } else {
        ("CopySourceSSECustomerKey", "CopySourceSSECustomerKeyMD5")
    };
    let Some(key) = kwargs.get_item(key_name)? else {
        return Ok(());
    };
    if key.is_none() || kwargs.contains(md5_name)? {
        return Ok(());
    }
    let raw: zeroize::Zeroizing<Vec<u8>> = if let Ok(s) = key.cast::<PyString>() {
        zeroize::Zeroizing::new(s.to_str()?.as_bytes().to_vec())
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
    let encoded = encode_customer_key(&raw);
    overrides.push((key_name, Value::Secret(encoded.key_b64)));
    overrides.push((md5_name, Value::Str(encoded.md5_b64)));
    Ok(())
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
    for m in members
        .iter()
        .filter(|m| m.required && !deferred.contains(&m.name))
    {
        if !dict.contains(m.name)? && !overrides.iter().any(|(n, _)| *n == m.name) {
            errors.push(format!(
                "Missing required parameter in {}: \"{}\"",
                shown(name),
                m.name
            ));
        }
    }
    let mut known: Vec<(&'static Member, Bound<'_, PyAny>)> = Vec::with_capacity(dict.len());
    for (key, value) in dict.iter() {
        let key_text = key.str()?.to_string();
        match members.iter().find(|m| m.name == key_text) {
            Some(m) => known.push((m, value)),
            None => {
                let names: Vec<&str> = members.iter().map(|m| m.name).collect();
                errors.push(format!(
                    "Unknown parameter in {}: \"{key_text}\", must be one of: {}",
                    shown(name),
                    names.join(", ")
                ));
            }
        }
    }
    let mut fields = Fields::with_capacity(known.len() + 1);
    for (m, value) in known {
        if let Some(pos) = overrides.iter().position(|(n, _)| *n == m.name) {
            fields.push(overrides.remove(pos));
            continue;
        }
        let path = format!("{name}.{}", m.name);
        if let Some(v) = convert(&value, &m.shape, m, &path, errors)? {
            fields.push((m.name, v));
        }
    }
    // What a handler added (the SSE-C key MD5) comes last, as in botocore's dict.
    fields.extend(overrides);
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
            let s = s.to_str()?.to_owned();
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
            Value::Int(obj.extract()?)
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

/// botocore's `parse_to_aware_datetime`: a datetime (naive means UTC), an ISO 8601 or
/// RFC 822 string, or epoch seconds.
fn to_datetime(obj: &Bound<'_, PyAny>) -> PyResult<Option<DateTime>> {
    let py = obj.py();
    let datetime = py.import("datetime")?;
    let utc = datetime.getattr("timezone")?.getattr("utc")?;
    let dt_type = datetime.getattr("datetime")?;
    let aware = |dt: Bound<'_, PyAny>| -> PyResult<f64> {
        let dt = if dt.getattr("tzinfo")?.is_none() {
            let kw = PyDict::new(py);
            kw.set_item("tzinfo", &utc)?;
            dt.call_method("replace", (), Some(&kw))?
        } else {
            dt
        };
        dt.call_method0("timestamp")?.extract()
    };
    let secs = if obj.is_instance(&dt_type)? {
        aware(obj.clone())?
    } else if obj.is_instance_of::<PyBool>() {
        return Ok(None);
    } else if let Ok(f) = obj.extract::<f64>() {
        f
    } else if let Ok(s) = obj.extract::<String>() {
        if let Ok(dt) = dt_type.call_method1("fromisoformat", (s.trim(),)) {
            aware(dt)?
        } else if let Ok(dt) = py
            .import("email.utils")?
            .call_method1("parsedate_to_datetime", (s.trim(),))
        {
            aware(dt)?
        } else {
            return Ok(None);
        }
    } else {
        return Ok(None);
    };
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
        if data.is_instance_of::<PyBytes>()
            || data.is_instance_of::<PyString>()
            || data.is_instance_of::<PyByteArray>()
        {
            return to_bytes(&data);
        }
        return Err(pyo3::exceptions::PyTypeError::new_err(
            "the file object's read() must return bytes or str",
        ));
    }
    Ok(None)
}

fn is_memoryview(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(obj.get_type().name()?.to_str()? == "memoryview")
}

/// Serialise header-bound members (`Loc::Header` / `Loc::Headers`) as botocore's rest-xml
/// serializer does, leaving out those set through the SDK's typed builder.
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
                    Value::Time(t) => format_time(t, &member.shape),
                    _ => continue,
                };
                out.push((
                    header_name(member.wire)?,
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

/// Serialise query-bound members (`Loc::Query`) as `k=v&...`, percent-encoded, leaving
/// out those set through the SDK's typed builder.
pub fn query_string(params: &Params, typed: &[&str]) -> String {
    let mut out = String::new();
    for (name, value) in &params.fields {
        if typed.contains(name) {
            continue;
        }
        let Some(member) = params.op.input_member(name) else {
            continue;
        };
        if member.loc != Loc::Query {
            continue;
        }
        let text = match value {
            Value::Str(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Time(t) => format_time(t, &member.shape),
            _ => continue,
        };
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&encode_query(member.wire));
        out.push('=');
        out.push_str(&encode_query(&text));
    }
    out
}

fn encode_query(value: &str) -> String {
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

fn format_time(t: &DateTime, shape: &Shape) -> String {
    use aws_smithy_types::date_time::Format;
    let format = match shape {
        Shape::Timestamp(TsFormat::Iso8601) => Format::DateTime,
        _ => Format::HttpDate,
    };
    t.fmt(format).unwrap_or_default()
}

fn header_name(name: &str) -> Result<http::HeaderName> {
    http::HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes())
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
