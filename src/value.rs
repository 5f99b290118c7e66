//! Owned, Python-free values: what crosses the GIL boundary in both directions. Parameters
//! are converted into these before the GIL is released, and responses come back as these
//! before Python objects are built.

use aws_smithy_types::byte_stream::ByteStream;
use aws_smithy_types::DateTime;
use bytes::Bytes;

use crate::sse::Secret;

#[derive(Debug)]
pub enum Value {
    /// botocore's `None` for a member that is present but empty (`LocationConstraint`).
    None,
    Str(String),
    /// A `sensitive` member: an SSE-C key, a KMS key id or encryption context.
    Secret(Secret),
    Int(i64),
    /// An integer beyond i64 from a response (Python's int has no limit).
    BigInt(String),
    Bool(bool),
    Time(DateTime),
    /// A string-to-string map (`Metadata`), in the caller's order.
    Map(Vec<(String, String)>),
    List(Vec<Value>),
    Struct(Vec<(&'static str, Value)>),
    /// A request body, shared with Python without a copy where possible.
    Blob(Bytes),
    /// A response body still on the wire, with its declared length.
    Stream(ByteStream, Option<u64>),
}

impl Value {
    /// A copy of a request value. A `Stream` (a response body, never a parameter) is not
    /// copied: it becomes `None`.
    pub fn duplicate(&self) -> Value {
        match self {
            Value::None | Value::Stream(..) => Value::None,
            Value::Str(s) => Value::Str(s.clone()),
            Value::Secret(s) => Value::Secret(s.clone()),
            Value::Int(i) => Value::Int(*i),
            Value::BigInt(s) => Value::BigInt(s.clone()),
            Value::Bool(b) => Value::Bool(*b),
            Value::Time(t) => Value::Time(*t),
            Value::Map(m) => Value::Map(m.clone()),
            Value::List(items) => Value::List(items.iter().map(Value::duplicate).collect()),
            Value::Struct(fields) => {
                Value::Struct(fields.iter().map(|(n, v)| (*n, v.duplicate())).collect())
            }
            Value::Blob(b) => Value::Blob(b.clone()),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            Value::Secret(s) => Some(s.expose()),
            _ => None,
        }
    }
}

/// A list of named members, in model order: a parsed request or a response body.
pub type Fields = Vec<(&'static str, Value)>;

/// Look a member up by name in a list of fields.
pub fn field<'a>(fields: &'a [(&'static str, Value)], name: &str) -> Option<&'a Value> {
    fields.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
}
