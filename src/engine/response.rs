//! botocore's `RestXMLParser` over the model tables: a response's headers, status and XML
//! body become the operation's output members, botocore's dict by construction.

use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use aws_smithy_xml::decode::{try_data, Document, ScopedDecoder};
use bytes::Bytes;

use super::Seen;
use crate::error::{Error, Result};
use crate::model_types::{Loc, Member, Operation, Shape, TsFormat};
use crate::value::{Fields, Value};

/// The output members of `op` from a successful response: the body's members, then the
/// headers' and the status code's, each in model order (botocore's dict order).
pub fn parse(op: &'static Operation, seen: &Seen, body: &Bytes) -> Result<Fields> {
    let mut fields = if op.name == "GetBucketLocation" {
        bucket_location(body)?
    } else {
        body_fields(op, body)?
    };
    fields.extend(header_fields(op, seen));
    if let Some(m) = op.output.iter().find(|m| m.loc == Loc::Status) {
        fields.push((m.name, Value::Int(i64::from(seen.status))));
    }
    Ok(fields)
}

/// botocore's `decode_list_object` / `_v2` / `_versions`: undo the `EncodingType=url`
/// that s3seal asked for on the caller's behalf.
pub fn decode_listing(op: &Operation, fields: &mut Fields) {
    let (top, nested): (&[&str], &[(&str, &str)]) = match op.name {
        "ListObjects" => (
            &["Delimiter", "Marker", "NextMarker", "Prefix"],
            &[("Contents", "Key"), ("CommonPrefixes", "Prefix")],
        ),
        "ListObjectsV2" => (
            &["Delimiter", "Prefix", "StartAfter"],
            &[("Contents", "Key"), ("CommonPrefixes", "Prefix")],
        ),
        "ListObjectVersions" => (
            &["KeyMarker", "NextKeyMarker", "Prefix", "Delimiter"],
            &[
                ("Versions", "Key"),
                ("DeleteMarkers", "Key"),
                ("CommonPrefixes", "Prefix"),
            ],
        ),
        _ => return,
    };
    let encoded = fields
        .iter()
        .any(|(n, v)| *n == "EncodingType" && v.as_str() == Some("url"));
    if !encoded {
        return;
    }
    for (name, value) in fields.iter_mut() {
        if top.contains(name) {
            unquote_value(value);
        }
        for (list, key) in nested {
            if name != list {
                continue;
            }
            let Value::List(items) = value else { continue };
            for item in items {
                let Value::Struct(members) = item else {
                    continue;
                };
                for (n, v) in members.iter_mut() {
                    if n == key {
                        unquote_value(v);
                    }
                }
            }
        }
    }
}

fn unquote_value(value: &mut Value) {
    if let Value::Str(s) = value {
        *s = unquote(s);
    }
}

/// botocore's `unquote_str` for keys it asked S3 to url-encode.
fn unquote(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let hex = |b: u8| (b as char).to_digit(16);
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn body_fields(op: &'static Operation, body: &Bytes) -> Result<Fields> {
    let mut fields = Fields::new();
    match op.output.iter().find(|m| m.loc == Loc::Payload) {
        Some(payload) => {
            if let Some(v) = payload_value(payload, body)? {
                fields.push((payload.name, v));
            }
        }
        None if op.output.iter().any(|m| m.loc == Loc::Body) && !body.is_empty() => {
            fields.extend(parse_document(body, op.output)?);
        }
        None => {}
    }
    Ok(fields)
}

fn payload_value(member: &'static Member, body: &Bytes) -> Result<Option<Value>> {
    Ok(match member.shape {
        Shape::Blob => Some(Value::Blob(body.clone())),
        Shape::Str => Some(Value::Str(utf8(body)?.to_owned())),
        Shape::Struct(members) if !body.is_empty() => {
            Some(Value::Struct(parse_document(body, members)?))
        }
        // botocore gives an empty structure for a structure payload with no body.
        Shape::Struct(_) => Some(Value::Struct(Vec::new())),
        _ => None,
    })
}

fn utf8(body: &[u8]) -> Result<&str> {
    std::str::from_utf8(body).map_err(|_| unparseable("the body is not UTF-8"))
}

fn unparseable(why: impl std::fmt::Display) -> Error {
    Error::ResponseParse(format!("Unable to parse response ({why})"))
}

/// botocore's `parse_get_bucket_location`: the root element's text, `None` when empty.
fn bucket_location(body: &Bytes) -> Result<Fields> {
    let text = utf8(body)?;
    let mut doc = Document::new(text);
    let mut root = doc.root_element().map_err(unparseable)?;
    let location = try_data(&mut root).map_err(unparseable)?;
    let value = if location.is_empty() {
        Value::None
    } else {
        Value::Str(location.into_owned())
    };
    Ok(vec![("LocationConstraint", value)])
}

/// Whether `body` is a well-formed XML document (what botocore's parser would accept):
/// every token parses, and there is a root element.
pub fn is_xml(body: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(body) else {
        return false;
    };
    Document::new(text).all(|token| token.is_ok()) && Document::new(text).root_element().is_ok()
}

fn parse_document(body: &Bytes, members: &'static [Member]) -> Result<Fields> {
    let text = utf8(body)?;
    let mut doc = Document::new(text);
    let mut root = doc.root_element().map_err(unparseable)?;
    parse_struct(&mut root, members)
}

/// The element name a member is found under (botocore's `_member_key_name`).
fn element_name(member: &Member) -> &'static str {
    if member.flattened && !member.item_name.is_empty() {
        member.item_name
    } else {
        member.wire
    }
}

fn parse_struct(node: &mut ScopedDecoder<'_, '_>, members: &'static [Member]) -> Result<Fields> {
    let mut fields: Fields = Vec::new();
    for m in members.iter().filter(|m| m.xml_attribute) {
        if let Some(v) = node.start_el().attr(m.wire) {
            fields.push((m.name, Value::Str(v.to_owned())));
        }
    }
    while let Some(mut child) = node.next_tag() {
        let tag = child.start_el().local().to_owned();
        let Some(member) = members
            .iter()
            .find(|m| m.loc == Loc::Body && !m.xml_attribute && element_name(m) == tag)
        else {
            continue;
        };
        match member.shape {
            Shape::List(item) if member.flattened => {
                let value = parse_value(&mut child, item, member)?;
                match fields.iter_mut().find(|(n, _)| *n == member.name) {
                    Some((_, Value::List(items))) => items.push(value),
                    _ => fields.push((member.name, Value::List(vec![value]))),
                }
            }
            Shape::List(item) => {
                let mut items = Vec::new();
                while let Some(mut entry) = child.next_tag() {
                    items.push(parse_value(&mut entry, item, member)?);
                }
                fields.push((member.name, Value::List(items)));
            }
            ref shape => {
                let value = parse_value(&mut child, shape, member)?;
                fields.push((member.name, value));
            }
        }
    }
    // botocore walks the model's members, so its dict follows the model's order.
    fields.sort_by_key(|(name, _)| members.iter().position(|m| m.name == *name));
    Ok(fields)
}

fn parse_value(node: &mut ScopedDecoder<'_, '_>, shape: &Shape, member: &Member) -> Result<Value> {
    if let Shape::Struct(members) = shape {
        return Ok(Value::Struct(parse_struct(node, members)?));
    }
    let text = try_data(node).map_err(unparseable)?;
    let text = text.as_ref();
    Ok(match shape {
        Shape::Int => int_value(text.trim())
            .ok_or_else(|| unparseable(format!("{} is not an integer", member.name)))?,
        Shape::Bool => Value::Bool(text.trim() == "true"),
        Shape::Timestamp(_) => Value::Time(
            parse_time(text)
                .ok_or_else(|| unparseable(format!("{} is not a timestamp", member.name)))?,
        ),
        Shape::Blob => {
            use base64::Engine as _;
            let raw = base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .map_err(|_| unparseable(format!("{} is not base64", member.name)))?;
            Value::Blob(Bytes::from(raw))
        }
        _ => Value::Str(text.to_owned()),
    })
}

/// An integer as botocore's `int()` reads it: any size (beyond i64 it stays text, made a
/// Python int when the dict is built).
fn int_value(text: &str) -> Option<Value> {
    if let Ok(i) = text.parse::<i64>() {
        return Some(Value::Int(i));
    }
    let digits = text.strip_prefix('-').unwrap_or(text);
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| Value::BigInt(text.to_owned()))
}

/// botocore's `parse_timestamp`: ISO 8601 in bodies, with RFC 822 and epoch seconds too.
fn parse_time(text: &str) -> Option<DateTime> {
    let text = text.trim();
    DateTime::from_str(text, Format::DateTime)
        .or_else(|_| DateTime::from_str(text, Format::HttpDate))
        .or_else(|_| DateTime::from_str(text, Format::EpochSeconds))
        .ok()
}

/// botocore's `_parse_non_payload_attrs`: each output member bound to a header that is
/// present, typed by the model; `Metadata` always present (empty when no `x-amz-meta-`).
pub fn header_fields(op: &Operation, seen: &Seen) -> Fields {
    // GetObject's output has some 40 header members and a response a handful of headers:
    // a member whose name is as long as none of them is passed without a scan (which cost
    // 3.6k instructions per GET).
    let lengths = seen
        .headers
        .iter()
        .fold(0u64, |mask, (name, _)| mask | length_bit(name));
    // At most a member per header, and the two a header can add (user metadata, the
    // `Expires` text): grown once, not as members are found.
    let mut fields = Fields::with_capacity(seen.headers.len() + 2);
    for member in op.output {
        match member.loc {
            Loc::Header => {
                if lengths & length_bit(member.wire) == 0 {
                    continue;
                }
                let Some(raw) = seen.header(member.wire) else {
                    continue;
                };
                if let Some(v) = parse_header(raw, &crate::params::shape_of(member)) {
                    fields.push((member.name, v));
                }
                if member.name == "Expires" {
                    // botocore's handle_expires_header keeps the raw text too.
                    fields.push(("ExpiresString", Value::Str(raw.to_owned())));
                }
            }
            Loc::Headers => {
                let prefix = member.wire;
                let map = seen
                    .headers
                    .iter()
                    .filter(|(n, _)| {
                        n.get(..prefix.len())
                            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
                    })
                    .map(|(n, v)| (n[prefix.len()..].to_owned(), v.to_owned()))
                    .collect();
                fields.push((member.name, Value::Map(map)));
            }
            _ => {}
        }
    }
    fields
}

/// A header name's length as one bit of 64 (lengths from 63 on share the last).
fn length_bit(name: &str) -> u64 {
    1 << name.len().min(63)
}

fn parse_header(raw: &str, shape: &Shape) -> Option<Value> {
    Some(match shape {
        Shape::Int => Value::Int(raw.trim().parse().ok()?),
        Shape::Bool => Value::Bool(raw.trim().eq_ignore_ascii_case("true")),
        Shape::Timestamp(format) => Value::Time(header_time(raw, *format)?),
        _ => Value::Str(raw.to_owned()),
    })
}

/// A header's timestamp: its format first, then the other (botocore accepts both).
pub fn header_time(raw: &str, format: TsFormat) -> Option<DateTime> {
    let raw = raw.trim();
    let first = match format {
        TsFormat::Iso8601 => Format::DateTime,
        _ => Format::HttpDate,
    };
    DateTime::from_str(raw, first)
        .or_else(|_| DateTime::from_str(raw, Format::DateTime))
        .or_else(|_| DateTime::from_str(raw, Format::HttpDate))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen() -> Seen {
        Seen {
            attempts: 1,
            status: 200,
            headers: crate::engine::ResponseHeaders::default(),
            url: String::new(),
        }
    }

    #[test]
    fn flattened_and_wrapped_lists_and_nested_structures() {
        let body = Bytes::from_static(
            br#"<?xml version="1.0" encoding="UTF-8"?>
<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Owner><ID>abc</ID></Owner>
  <Buckets>
    <Bucket><Name>a</Name><CreationDate>2026-11-24T00:24:50.000Z</CreationDate></Bucket>
    <Bucket><Name>b &amp; c</Name><CreationDate>2026-11-24T00:24:51Z</CreationDate></Bucket>
  </Buckets>
</ListAllMyBucketsResult>"#,
        );
        let fields = parse(&crate::model::LIST_BUCKETS, &seen(), &body).unwrap();
        let Some((_, Value::List(buckets))) = fields.iter().find(|(n, _)| *n == "Buckets") else {
            panic!("no Buckets: {fields:?}");
        };
        assert_eq!(buckets.len(), 2);
        let Value::Struct(second) = &buckets[1] else {
            panic!()
        };
        assert!(matches!(&second[0], ("Name", Value::Str(s)) if s == "b & c"));
        assert!(
            matches!(&second[1], ("CreationDate", Value::Time(t)) if t.secs() == 1_795_479_891)
        );
        assert!(fields
            .iter()
            .any(|(n, v)| *n == "Owner" && matches!(v, Value::Struct(_))));
    }

    /// Every header member present is found, in model order, whatever its name's length
    /// (the longest share a length bit), and none that is absent.
    #[test]
    fn header_members_are_found_in_model_order() {
        let long_meta = format!("x-amz-meta-{}", "n".repeat(70));
        let mut seen = seen();
        seen.headers = [
            ("x-amz-server-side-encryption-customer-key-md5", "bWQ1"),
            ("etag", "\"e\""),
            ("x-amz-server-side-encryption-customer-algorithm", "AES256"),
            ("content-length", "10"),
            (
                "x-amz-website-redirect-location-that-no-model-has-with-a-long-name",
                "x",
            ),
            (long_meta.as_str(), "m"),
            ("x-amz-meta-a", "b"),
        ]
        .into_iter()
        .collect();
        let fields = header_fields(&crate::model::HEAD_OBJECT, &seen);
        let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "ContentLength",
                "ETag",
                "Metadata",
                "SSECustomerAlgorithm",
                "SSECustomerKeyMD5"
            ]
        );
        let Some((_, Value::Map(meta))) = fields.iter().find(|(n, _)| *n == "Metadata") else {
            panic!("no Metadata: {fields:?}")
        };
        assert_eq!(meta.len(), 2);
        assert!(matches!(&fields[0], ("ContentLength", Value::Int(10))));
    }

    #[test]
    fn bucket_location_is_the_root_text() {
        let located =
            Bytes::from_static(br#"<LocationConstraint xmlns="x">eu-west-1</LocationConstraint>"#);
        let fields = parse(&crate::model::GET_BUCKET_LOCATION, &seen(), &located).unwrap();
        assert!(matches!(&fields[..], [("LocationConstraint", Value::Str(s))] if s == "eu-west-1"));
        let empty = Bytes::from_static(br#"<LocationConstraint xmlns="x"/>"#);
        let fields = parse(&crate::model::GET_BUCKET_LOCATION, &seen(), &empty).unwrap();
        assert!(matches!(&fields[..], [("LocationConstraint", Value::None)]));
    }

    #[test]
    fn headers_parse_by_model_type() {
        let seen = Seen {
            attempts: 1,
            status: 200,
            headers: [
                ("content-length", "42"),
                ("etag", "\"abc\""),
                ("last-modified", "Tue, 24 Nov 2026 00:24:50 GMT"),
                ("x-amz-server-side-encryption-bucket-key-enabled", "true"),
                ("x-amz-meta-color", "blue"),
            ]
            .into_iter()
            .collect(),
            url: String::new(),
        };
        let fields = header_fields(&crate::model::HEAD_OBJECT, &seen);
        let get = |n: &str| fields.iter().find(|(k, _)| *k == n).map(|(_, v)| v);
        assert!(matches!(get("ContentLength"), Some(Value::Int(42))));
        assert!(matches!(get("ETag"), Some(Value::Str(s)) if s == "\"abc\""));
        assert!(matches!(get("BucketKeyEnabled"), Some(Value::Bool(true))));
        assert!(matches!(get("LastModified"), Some(Value::Time(t)) if t.secs() == 1_795_479_890));
        assert!(
            matches!(get("Metadata"), Some(Value::Map(m)) if m == &vec![("color".to_owned(), "blue".to_owned())])
        );
        assert!(get("VersionId").is_none());
    }

    #[test]
    fn unquotes_like_botocore() {
        assert_eq!(unquote("a%20b%2Fc+d"), "a b/c d");
        assert_eq!(unquote("%E2%9C%93"), "✓");
        assert_eq!(unquote("100%"), "100%");
    }

    #[test]
    fn garbage_is_a_parse_error_not_a_panic() {
        let body = Bytes::from_static(b"<ListAllMyBucketsResult><Buckets><Bucket>");
        let _ = parse(&crate::model::LIST_BUCKETS, &seen(), &body);
        let body = Bytes::from_static(b"\xff\xfe");
        assert!(parse(&crate::model::LIST_BUCKETS, &seen(), &body).is_err());
    }
}
