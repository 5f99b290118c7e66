//! One async function per S3 operation: owned [`Params`] in, owned [`Output`] out, no
//! Python anywhere. Header- and query-bound members travel generically (the model tables,
//! serialised by [`crate::hooks::Hooks`]); each operation sets only what the SDK must know
//! (bucket, key, bodies, checksum settings) through its typed builder.

pub mod multipart;
pub mod object;
pub mod placeholder;
pub mod retry;

use std::sync::Arc;

use aws_sdk_s3::primitives::DateTime;
use aws_smithy_types::date_time::Format;

use crate::error::ResponseMeta;
use crate::hooks::{Hooks, Seen};
use crate::model_types::{Loc, Operation, Shape, TsFormat};
use crate::params::Params;
use crate::value::{Fields, Value};

/// What an operation runs with.
pub struct Ctx {
    pub s3: aws_sdk_s3::Client,
    /// A region learnt from a cross-region redirect, overriding the client's.
    pub region: Option<String>,
    pub max_attempts: u32,
    /// Validate response checksums where the operation supports it (botocore's default).
    pub validate_checksums: bool,
    /// Send request bodies as `UNSIGNED-PAYLOAD` (TLS or loopback, unless configured):
    /// SHA-256 over every body costs more CPU than the rest of a large PUT together.
    pub unsigned_payload: bool,
    /// `client.meta.events`' request-level events, while handlers are registered.
    pub request_hook: Option<crate::events::RequestHook>,
}

/// A parsed response: the members, in model order, and `ResponseMetadata`.
#[derive(Debug)]
pub struct Output {
    pub fields: Fields,
    pub meta: ResponseMeta,
}

/// A request's header- and query-bound members, serialised once: a transfer sends the same
/// ones (the SSE-C key among them) with every part.
#[derive(Clone, Default)]
pub struct Prepared {
    headers: Arc<Vec<(http::HeaderName, http::HeaderValue)>>,
    query: Arc<String>,
}

impl Prepared {
    /// Serialise `params`, leaving out the members in `typed` (set through the SDK builder).
    pub fn new(params: &Params, typed: &[&str]) -> crate::error::Result<Self> {
        Ok(Self {
            headers: Arc::new(crate::params::header_pairs(params, typed)?),
            query: Arc::new(crate::params::query_string(params, typed)?),
        })
    }

    /// Fresh hooks for one request.
    pub fn hooks(&self) -> Hooks {
        Hooks::new(Arc::clone(&self.headers), Arc::clone(&self.query))
    }
}

/// Send a fluent SDK request with prepared hooks, after the optional `op => expr` adjusted
/// the operation (e.g. unsigned payload), honouring a redirect region. Yields
/// `Result<(typed output, Seen)>`.
macro_rules! send_prepared {
    ($ctx:expr, $op_name:expr, $prepared:expr, $fluent:expr) => {
        $crate::ops::send_prepared!($ctx, $op_name, $prepared, $fluent, op => op)
    };
    ($ctx:expr, $op_name:expr, $prepared:expr, $fluent:expr, $op:ident => $custom:expr) => {{
        let hooks = $prepared
            .hooks()
            .with_request_hook($ctx.request_hook.clone(), $op_name);
        let $op = $fluent
            .customize()
            .interceptor(hooks.clone())
            .interceptor($crate::ops::placeholder::Placeholders);
        let mut op = $custom;
        if let Some(region) = &$ctx.region {
            op = op.config_override(
                aws_sdk_s3::config::Builder::default()
                    .region(aws_sdk_s3::config::Region::new(region.clone())),
            );
        }
        match op.send().await {
            Ok(out) => Ok((out, hooks.seen())),
            Err(e) => Err($crate::error::from_sdk(
                $op_name,
                e,
                hooks.seen(),
                $ctx.max_attempts,
            )),
        }
    }};
}
pub(crate) use send_prepared;

/// Send a fluent SDK request with the generic header/query members of `$params`, leaving
/// out `$typed` (set by the caller through the builder).
macro_rules! send {
    ($ctx:expr, $params:expr, $typed:expr, $fluent:expr) => {
        $crate::ops::send!($ctx, $params, $typed, $fluent, op => op)
    };
    ($ctx:expr, $params:expr, $typed:expr, $fluent:expr, $op:ident => $custom:expr) => {
        $crate::ops::send_prepared!(
            $ctx,
            $params.op.name,
            $crate::ops::Prepared::new($params, $typed)?,
            $fluent,
            $op => $custom
        )
    };
}
pub(crate) use send;

/// Assemble an [`Output`]: header-bound members parsed from the raw headers as botocore
/// does, then the members taken from the body.
pub fn finish(op: &Operation, mut seen: Seen, body: Fields, max_attempts: u32) -> Output {
    // The SDK's S3 `Expires` interceptor runs before our hooks read the headers: it copies
    // `Expires` into a synthetic `ExpiresString` header, and drops `Expires` when it is not
    // an HTTP date, as botocore's `handle_expires_header` drops it from HTTPHeaders. The
    // synthetic header goes (botocore has none); its value still makes `ExpiresString`.
    let synthetic = seen
        .headers
        .iter()
        .position(|(n, _)| n == "expiresstring")
        .map(|at| seen.headers.remove(at).1);
    if let Some(raw) = synthetic
        .as_ref()
        .filter(|_| seen.header("expires").is_none())
    {
        // The SDK takes only an HTTP date; botocore also takes ISO 8601 (and more).
        if parse_time(raw, TsFormat::Rfc822).is_some() {
            seen.headers.push(("expires".to_owned(), raw.clone()));
        }
    }
    let mut fields = header_fields(op, &seen);
    if let Some(raw) = synthetic {
        let has_expires = op.output.iter().any(|m| m.name == "Expires");
        if has_expires && !fields.iter().any(|(n, _)| *n == "ExpiresString") {
            fields.push(("ExpiresString", Value::Str(raw)));
        }
    }
    fields.extend(body);
    Output {
        fields,
        meta: ResponseMeta::from_seen(seen, max_attempts),
    }
}

/// botocore's `_parse_non_payload_attrs`: each output member bound to a header that is
/// present, typed by the model; `Metadata` always present (empty when no `x-amz-meta-`).
pub fn header_fields(op: &Operation, seen: &Seen) -> Fields {
    let mut fields = Fields::new();
    for member in op.output {
        match member.loc {
            Loc::Header => {
                let Some(raw) = seen.header(&member.wire.to_ascii_lowercase()) else {
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
                let prefix = member.wire.to_ascii_lowercase();
                let map = seen
                    .headers
                    .iter()
                    .filter_map(|(n, v)| n.strip_prefix(&prefix).map(|k| (k.to_owned(), v.clone())))
                    .collect();
                fields.push((member.name, Value::Map(map)));
            }
            _ => {}
        }
    }
    fields
}

fn parse_header(raw: &str, shape: &Shape) -> Option<Value> {
    Some(match shape {
        Shape::Int => Value::Int(raw.trim().parse().ok()?),
        Shape::Bool => Value::Bool(raw.trim().eq_ignore_ascii_case("true")),
        Shape::Timestamp(format) => Value::Time(parse_time(raw, *format)?),
        _ => Value::Str(raw.to_owned()),
    })
}

pub fn parse_time(raw: &str, format: TsFormat) -> Option<DateTime> {
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

/// The bucket of a call (required, so validated present before any request is built).
pub fn bucket(p: &Params) -> String {
    p.string("Bucket").unwrap_or_default()
}

/// Small builders for body members taken from typed SDK outputs.
pub fn push_str(fields: &mut Fields, name: &'static str, v: Option<&str>) {
    if let Some(v) = v {
        fields.push((name, Value::Str(v.to_owned())));
    }
}

pub fn push_time(fields: &mut Fields, name: &'static str, v: Option<&DateTime>) {
    if let Some(v) = v {
        fields.push((name, Value::Time(*v)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_parse_by_model_type() {
        let seen = Seen {
            attempts: 1,
            status: 200,
            headers: vec![
                ("content-length".into(), "42".into()),
                ("etag".into(), "\"abc\"".into()),
                (
                    "last-modified".into(),
                    "Tue, 24 Nov 2026 00:24:50 GMT".into(),
                ),
                (
                    "x-amz-server-side-encryption-bucket-key-enabled".into(),
                    "true".into(),
                ),
                ("x-amz-meta-color".into(), "blue".into()),
            ],
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
}
