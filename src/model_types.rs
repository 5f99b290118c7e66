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
    /// The response's HTTP status code.
    Status,
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
    /// A list written as repeated elements, without a wrapping element.
    pub flattened: bool,
    /// A list's item element name when the model names one (else `member`, or `wire`
    /// when flattened).
    pub item_name: &'static str,
    /// Written as an XML attribute of the parent element (`xsi:type`).
    pub xml_attribute: bool,
    /// The XML namespace (prefix, uri) the element declares.
    pub xml_ns: Option<(&'static str, &'static str)>,
}

#[derive(Debug)]
pub struct Operation {
    pub name: &'static str,
    pub input: &'static [Member],
    pub output: &'static [Member],
    pub method: &'static str,
    /// The request URI template: `/{Bucket}/{Key+}?tagging`.
    pub uri: &'static str,
    /// The body must carry a checksum (`httpChecksum.requestChecksumRequired`).
    pub checksum_required: bool,
    /// The member naming the request checksum algorithm (`""` when none).
    pub checksum_member: &'static str,
    /// The member asking for response checksum validation (`""` when none).
    pub validation_mode_member: &'static str,
    /// The response body is a stream handed to the caller (GetObject), not a document.
    pub streaming_output: bool,
    /// botocore's `sse_md5` handler runs for this operation.
    pub sse_md5: bool,
    /// botocore's `copy_source_sse_md5` handler runs for this operation.
    pub copy_source_sse_md5: bool,
    /// Why s3seal does not offer this operation yet (`""` when it does).
    pub unsupported: &'static str,
}

impl Operation {
    /// The operation of this name, from the generated table (sorted by name: looked up on
    /// every call, under the GIL, a scan compared ~55 names to find GetObject).
    pub fn named(name: &str) -> Option<&'static Operation> {
        let ops = crate::model::OPERATIONS;
        ops.binary_search_by(|op| op.name.cmp(name))
            .ok()
            .map(|i| ops[i])
    }

    /// The body member (`payload` in the model), if any.
    pub fn payload(&self) -> Option<&'static Member> {
        self.input.iter().find(|m| m.loc == Loc::Payload)
    }

    pub fn input_member(&self, name: &str) -> Option<&'static Member> {
        crate::model_index::position(self.input, name).and_then(|i| self.input.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::Operation;
    use crate::model::OPERATIONS;

    #[test]
    fn the_table_is_sorted_for_lookup_by_name() {
        assert!(OPERATIONS.windows(2).all(|w| w[0].name < w[1].name));
        for op in OPERATIONS {
            assert!(std::ptr::eq(Operation::named(op.name).unwrap(), *op));
        }
        assert!(Operation::named("GetObjectx").is_none());
        assert!(Operation::named("").is_none());
    }
}
