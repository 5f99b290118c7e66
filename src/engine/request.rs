//! botocore's rest-xml serializer over the model tables: a validated [`Params`] becomes
//! the HTTP request (method, URI with the bucket in the path or the host, query, headers,
//! XML or blob body, request checksum).

use std::borrow::Cow;

use aws_smithy_types::date_time::Format;
use bytes::Bytes;
use http::{HeaderName, HeaderValue};

use crate::config::Endpoint;
use crate::error::{Error, Result};
use crate::model_types::{Loc, Member, Shape, TsFormat};
use crate::params::{header_pairs, percent_encode, quote_key, Params};
use crate::value::Value;

/// Where requests go: the endpoint, its addressing style and the signing region.
#[derive(Debug, Clone)]
pub struct Target {
    pub endpoint: Endpoint,
    pub path_style: bool,
    pub region: String,
}

/// A request ready to sign: the body is in memory (what the model-driven operations send
/// is small: XML documents, policies; object bodies go through the streaming paths).
pub struct Built {
    pub method: http::Method,
    pub uri: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
    /// The body's length (a streamed file's, when `body` is empty for it).
    pub length: u64,
}

/// Where a request's body comes from.
pub enum BodySource<'a> {
    /// The `Body` (or XML payload) member of the parameters.
    Params,
    /// A file body read into memory (it must be signed, or given another checksum).
    Bytes(Bytes),
    /// A file streamed per attempt.
    File(&'a StreamedFile),
}

/// A body that is a file streamed per attempt: its length and its CRC32 (base64), computed
/// by a first pass, so that it is neither buffered nor sent as an `aws-chunked` trailer
/// (`None` when the request carries no checksum).
pub struct StreamedFile {
    pub length: u64,
    pub crc32: Option<String>,
}

/// botocore's `request_checksum_calculation` / `response_checksum_validation`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChecksumPolicy {
    pub request_when_required: bool,
    pub response_when_required: bool,
}

pub fn build(
    params: &Params,
    target: &Target,
    checksums: ChecksumPolicy,
    source: BodySource<'_>,
) -> Result<Built> {
    let op = params.op;
    let (path_template, static_query) = op.uri.split_once('?').unwrap_or((op.uri, ""));
    let bucket = params.str("Bucket");
    let (base, path_template) = base_url(target, bucket, path_template)?;
    let path = expand_path(path_template, params)?;
    let query = query(params, static_query);
    let mut uri = String::with_capacity(base.len() + path.len() + 1 + query.len());
    uri.push_str(&base);
    uri.push_str(&path);
    if !query.is_empty() {
        uri.push('?');
        uri.push_str(&query);
    }
    let mut headers = header_pairs(params, &[])?;
    headers.extend(list_headers(params)?);
    let (body, streamed) = match source {
        BodySource::Params => (body(params)?, None),
        BodySource::Bytes(bytes) => (bytes, None),
        BodySource::File(file) => (Bytes::new(), Some(file)),
    };
    let length = streamed.map_or(body.len() as u64, |f| f.length);
    if needs_checksum(params, checksums.request_when_required) && !has_checksum(&headers) {
        headers.push(match streamed {
            Some(file) => (
                HeaderName::from_static("x-amz-checksum-crc32"),
                HeaderValue::try_from(file.crc32.as_deref().unwrap_or_default())
                    .map_err(|_| Error::Internal("bad CRC32".into()))?,
            ),
            None => checksum_header(params, &body)?,
        });
    }
    if let Some(mode) = validation_mode(params, checksums.response_when_required)? {
        headers.push(mode);
    }
    let method = http::Method::from_bytes(op.method.as_bytes())
        .map_err(|_| Error::Internal(format!("bad method in the model: {}", op.method)))?;
    Ok(Built {
        method,
        uri,
        headers,
        body,
        length,
    })
}

/// The scheme and authority, and the path template left once the bucket is in the host
/// (botocore's `remove_bucket_from_url_paths_from_model` plus the endpoint rules).
fn base_url<'t>(
    target: &Target,
    bucket: Option<&str>,
    template: &'t str,
) -> Result<(String, &'t str)> {
    let endpoint = &target.endpoint;
    let base = match &endpoint.url {
        Some(url) => url.clone(),
        None if target.region == "us-east-1" => "https://s3.amazonaws.com".to_owned(),
        None => format!("https://s3.{}.amazonaws.com", target.region),
    };
    let Some(bucket) = bucket else {
        return Ok((base, template));
    };
    let virtual_host = !target.path_style && virtual_hostable(bucket, endpoint.https);
    let Some(rest) = template.strip_prefix("/{Bucket}").filter(|_| virtual_host) else {
        return Ok((base, template));
    };
    let (scheme, authority) = base
        .split_once("://")
        .ok_or_else(|| Error::InvalidConfig(format!("Invalid endpoint: {base}")))?;
    let (authority, base_path) = authority.split_once('/').unwrap_or((authority, ""));
    let base_path = if base_path.is_empty() {
        String::new()
    } else {
        format!("/{base_path}")
    };
    Ok((format!("{scheme}://{bucket}.{authority}{base_path}"), rest))
}

/// The S3 rules' `isVirtualHostableS3Bucket`: a DNS label (no dots over TLS, where the
/// wildcard certificate would not match).
fn virtual_hostable(bucket: &str, https: bool) -> bool {
    let ok_chars = bucket.bytes().all(|b| {
        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || (b == b'.' && !https)
    });
    let edges = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    (3..=63).contains(&bucket.len())
        && ok_chars
        && edges(bucket.bytes().next())
        && edges(bucket.bytes().last())
        && bucket.parse::<std::net::IpAddr>().is_err()
}

/// Fill `{Label}` (percent-encoded whole) and `{Label+}` (greedy: `/` kept) from the URI
/// members.
fn expand_path(template: &str, params: &Params) -> Result<String> {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..]
            .find('}')
            .map(|c| open + c)
            .ok_or_else(|| Error::Internal(format!("bad URI template {template}")))?;
        let label = &rest[open + 1..close];
        let (name, greedy) = match label.strip_suffix('+') {
            Some(name) => (name, true),
            None => (label, false),
        };
        let member = params
            .op
            .input
            .iter()
            .find(|m| m.loc == Loc::Uri && m.wire == name)
            .ok_or_else(|| Error::Internal(format!("no member for URI label {name}")))?;
        let value = params.get(member.name).map(scalar_text).unwrap_or_default();
        if greedy {
            out.push_str(&quote_key(&value));
        } else {
            out.push_str(&percent_encode(&value));
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

fn query(params: &Params, static_query: &str) -> String {
    let mut pairs: Vec<String> = static_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    for (name, value) in &params.fields {
        let Some(member) = params.op.input_member(name).filter(|m| m.loc == Loc::Query) else {
            continue;
        };
        let items: Vec<&Value> = match value {
            Value::List(items) => items.iter().collect(),
            one => vec![one],
        };
        for item in items {
            let text = match item {
                Value::Time(t) => Cow::Owned(format_time(t, member, TsFormat::Iso8601)),
                other => scalar_text(other),
            };
            pairs.push(format!(
                "{}={}",
                percent_encode(member.wire),
                percent_encode(&text)
            ));
        }
    }
    pairs.join("&")
}

/// List-valued header members, comma-joined as botocore does (`x-amz-object-attributes`).
fn list_headers(params: &Params) -> Result<Vec<(HeaderName, HeaderValue)>> {
    let mut out = Vec::new();
    for (name, value) in &params.fields {
        let (Some(member), Value::List(items)) = (params.op.input_member(name), value) else {
            continue;
        };
        if member.loc != Loc::Header {
            continue;
        }
        let joined: Vec<Cow<'_, str>> = items.iter().map(scalar_text).collect();
        let header = crate::model_index::header_name(member.wire)
            .map_err(|_| Error::Internal(format!("bad header name {}", member.wire)))?;
        let value = HeaderValue::try_from(joined.join(",")).map_err(|_| {
            Error::ParamValidation(format!(
                "Invalid value for parameter {name}: it cannot be sent in an HTTP header"
            ))
        })?;
        out.push((header, value));
    }
    Ok(out)
}

fn body(params: &Params) -> Result<Bytes> {
    let Some(member) = params.op.payload() else {
        return Ok(Bytes::new());
    };
    Ok(match params.get(member.name) {
        None => Bytes::new(),
        Some(Value::Blob(b)) => b.clone(),
        Some(Value::Str(s)) => Bytes::from(s.clone().into_bytes()),
        Some(Value::Struct(fields)) => {
            let Shape::Struct(members) = member.shape else {
                return Err(Error::Internal(format!(
                    "{} is not a structure",
                    member.name
                )));
            };
            let mut doc = String::new();
            let mut writer = aws_smithy_xml::encode::XmlWriter::new(&mut doc);
            write_struct(writer.start_el(member.wire), member, members, fields);
            Bytes::from(doc.into_bytes())
        }
        Some(other) => Bytes::from(scalar_text(other).into_owned().into_bytes()),
    })
}

fn write_struct(
    mut el: aws_smithy_xml::encode::ElWriter<'_, '_>,
    owner: &Member,
    members: &'static [Member],
    fields: &[(&'static str, Value)],
) {
    if let Some((prefix, uri)) = owner.xml_ns {
        el = el.write_ns(uri, (!prefix.is_empty()).then_some(prefix));
    }
    for (name, value) in fields {
        if let Some(m) = members.iter().find(|m| m.name == *name && m.xml_attribute) {
            el.write_attribute(m.wire, &scalar_text(value));
        }
    }
    let mut scope = el.finish();
    for (name, value) in fields {
        let Some(member) = members.iter().find(|m| m.name == *name && !m.xml_attribute) else {
            continue;
        };
        write_member(&mut scope, member, &member.shape, value);
    }
    scope.finish();
}

fn write_member(
    scope: &mut aws_smithy_xml::encode::ScopeWriter<'_, '_>,
    member: &Member,
    shape: &Shape,
    value: &Value,
) {
    match (shape, value) {
        (Shape::List(item_shape), Value::List(items)) => {
            if member.flattened {
                for item in items {
                    write_value(scope.start_el(member.wire), member, item_shape, item);
                }
            } else {
                let item_name = if member.item_name.is_empty() {
                    "member"
                } else {
                    member.item_name
                };
                let mut list = scope.start_el(member.wire).finish();
                for item in items {
                    write_value(list.start_el(item_name), member, item_shape, item);
                }
                list.finish();
            }
        }
        _ => write_value(scope.start_el(member.wire), member, shape, value),
    }
}

fn write_value(
    el: aws_smithy_xml::encode::ElWriter<'_, '_>,
    member: &Member,
    shape: &Shape,
    value: &Value,
) {
    match (shape, value) {
        (Shape::Struct(members), Value::Struct(fields)) => {
            write_struct(el, member, members, fields)
        }
        (Shape::Timestamp(_), Value::Time(t)) => {
            el.finish().data(&format_time(t, member, TsFormat::Iso8601));
        }
        (Shape::Blob, Value::Blob(b)) => {
            use base64::Engine as _;
            el.finish()
                .data(&base64::engine::general_purpose::STANDARD.encode(b));
        }
        _ => el.finish().data(&scalar_text(value)),
    }
}

/// botocore's `_timestamp_iso8601` (whole seconds unless there is a fraction), or the
/// member's own `timestampFormat`.
fn format_time(t: &aws_smithy_types::DateTime, member: &Member, default: TsFormat) -> String {
    let format = match member.shape {
        Shape::Timestamp(TsFormat::Default) => default,
        Shape::Timestamp(f) => f,
        _ => default,
    };
    match format {
        TsFormat::Rfc822 => t.fmt(Format::HttpDate).unwrap_or_default(),
        _ => t.fmt(Format::DateTime).unwrap_or_default(),
    }
}

/// A scalar's text: borrowed when it is one already (a URI's bucket and key, each request).
fn scalar_text(value: &Value) -> Cow<'_, str> {
    match value {
        Value::Str(s) => Cow::Borrowed(s),
        // Borrowed: no copy of a secret that is not zeroized on drop.
        Value::Secret(s) => Cow::Borrowed(s.expose()),
        Value::Int(i) => Cow::Owned(i.to_string()),
        Value::Bool(b) => Cow::Owned(b.to_string()),
        Value::Time(t) => Cow::Owned(t.fmt(Format::DateTime).unwrap_or_default()),
        _ => Cow::Borrowed(""),
    }
}

/// botocore 1.36+: operations with a checksum trait get one, CRC32 unless the caller chose
/// (only those that require one with `request_checksum_calculation='when_required'`).
pub fn needs_checksum(params: &Params, when_required: bool) -> bool {
    let op = params.op;
    op.checksum_required || (!op.checksum_member.is_empty() && !when_required)
}

/// botocore 1.36+ (`handle_request_validation_mode_member`): with `when_supported`, ask
/// for the response's checksum (`x-amz-checksum-mode: ENABLED`) unless the caller chose.
fn validation_mode(
    params: &Params,
    when_required: bool,
) -> Result<Option<(HeaderName, HeaderValue)>> {
    let op = params.op;
    if when_required
        || op.validation_mode_member.is_empty()
        || params.get(op.validation_mode_member).is_some()
    {
        return Ok(None);
    }
    let member = op
        .input_member(op.validation_mode_member)
        .ok_or_else(|| Error::Internal(format!("no member {}", op.validation_mode_member)))?;
    let name = crate::model_index::header_name(member.wire)
        .map_err(|_| Error::Internal(format!("bad header name {}", member.wire)))?;
    Ok(Some((name, HeaderValue::from_static("ENABLED"))))
}

fn has_checksum(headers: &[(HeaderName, HeaderValue)]) -> bool {
    headers
        .iter()
        .any(|(n, _)| n.as_str().starts_with("x-amz-checksum-") || n == "content-md5")
}

fn checksum_header(params: &Params, body: &[u8]) -> Result<(HeaderName, HeaderValue)> {
    let algorithm = params
        .str(params.op.checksum_member)
        .filter(|_| !params.op.checksum_member.is_empty())
        .unwrap_or("CRC32")
        .to_ascii_lowercase();
    let algorithm: aws_smithy_checksums::ChecksumAlgorithm = algorithm.parse().map_err(|_| {
        Error::FlexibleChecksum(format!("Unsupported checksum algorithm: {algorithm}"))
    })?;
    let mut checksum = algorithm.into_impl();
    checksum.update(body);
    let name = HeaderName::from_static(checksum.header_name());
    Ok((name, checksum.header_value()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_go_in_the_host_only_when_they_are_dns_labels() {
        assert!(virtual_hostable("my-bucket", true));
        assert!(!virtual_hostable("my.bucket", true));
        assert!(virtual_hostable("my.bucket", false));
        assert!(!virtual_hostable("My_Bucket", false));
        assert!(!virtual_hostable("ab", false));
        assert!(!virtual_hostable("192.168.1.1", false));
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(percent_encode("a b/c~"), "a%20b%2Fc~");
    }
}
