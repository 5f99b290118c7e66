//! Types of the tables in `model.rs`, which `tools/gen_model.py` generates from botocore's
//! S3 service model: what each operation accepts and returns, and where each member lives
//! on the wire.

/// Where a member is carried in the HTTP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loc {
    Uri,
    Query,
    Header,
    /// A map spread over headers sharing the `wire` prefix (`x-amz-meta-`).
    Headers,
    /// An XML body element.
    Body,
    /// The whole body (a blob or an XML document).
    Payload,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TsFormat {
    /// The protocol default: RFC 822 in headers, ISO 8601 in XML.
    Default,
    Rfc822,
    Iso8601,
}

#[derive(Debug, Clone, Copy)]
pub enum Shape {
    Str,
    Int,
    Bool,
    Timestamp(TsFormat),
    Blob,
    Map,
    List(&'static Shape),
    Struct(&'static [Member]),
}

#[derive(Debug, Clone, Copy)]
pub struct Member {
    pub name: &'static str,
    pub shape: Shape,
    pub loc: Loc,
    /// Header name, header prefix, query key or XML element name.
    pub wire: &'static str,
    pub required: bool,
    /// `sensitive: true` in the model (keys, KMS ids, contexts): never shown.
    pub sensitive: bool,
    /// The model's `min` length for strings and lists (0 when none).
    pub min_len: u32,
}

#[derive(Debug)]
pub struct Operation {
    pub name: &'static str,
    pub input: &'static [Member],
    pub output: &'static [Member],
    /// botocore's `sse_md5` handler runs for this operation.
    pub sse_md5: bool,
    /// botocore's `copy_source_sse_md5` handler runs for this operation.
    pub copy_source_sse_md5: bool,
}

impl Operation {
    pub fn input_member(&self, name: &str) -> Option<&'static Member> {
        self.input.iter().find(|m| m.name == name)
    }
}
