//! SSE-C key handling: botocore's `sse_md5` rule, with the key kept in zeroized memory.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use md5::{Digest, Md5};
use std::sync::{Arc, OnceLock};

use zeroize::Zeroizing;

/// A secret header value (an SSE-C key, a KMS key id or context). Its memory is wiped on
/// drop and its `Debug` never shows it.
#[derive(Clone)]
pub struct Secret(Text);

#[derive(Clone)]
enum Text {
    Given(Zeroizing<String>),
    /// A header derived from a raw customer key, encoded when first exposed: building the
    /// request does that with the GIL released, where parsing the call's parameters would
    /// have done it under the GIL (an MD5 and two base64 encodings, on every SSE-C call).
    Derived {
        key: Arc<Zeroizing<Vec<u8>>>,
        part: KeyPart,
        text: OnceLock<Zeroizing<String>>,
    },
}

#[derive(Clone, Copy)]
enum KeyPart {
    Base64,
    Md5Base64,
}

impl Secret {
    pub fn new(value: String) -> Self {
        Self(Text::Given(Zeroizing::new(value)))
    }

    pub fn expose(&self) -> &str {
        match &self.0 {
            Text::Given(text) => text,
            Text::Derived { key, part, text } => text.get_or_init(|| {
                Zeroizing::new(match part {
                    KeyPart::Base64 => B64.encode(key.as_slice()),
                    KeyPart::Md5Base64 => B64.encode(Md5::digest(key.as_slice())),
                })
            }),
        }
    }

    /// Whether the text came from the caller, and must be checked as a header value (a
    /// derived one is base64: always a valid one).
    pub fn is_given(&self) -> bool {
        matches!(self.0, Text::Given(_))
    }

    fn len(&self) -> usize {
        match &self.0 {
            Text::Given(text) => text.len(),
            Text::Derived { key, part, .. } => match part {
                KeyPart::Base64 => key.len().div_ceil(3) * 4,
                KeyPart::Md5Base64 => 24,
            },
        }
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<redacted {} chars>", self.len())
    }
}

/// The two headers botocore derives from a raw key: base64(key) and base64(md5(key)),
/// both secret (the MD5 identifies the key), both encoded when first exposed.
pub struct EncodedKey {
    pub key_b64: Secret,
    pub md5_b64: Secret,
}

/// botocore's `_sse_md5`: base64-encode the raw key bytes and compute their MD5.
pub fn encode_customer_key(raw: Zeroizing<Vec<u8>>) -> EncodedKey {
    let key = Arc::new(raw);
    let derived = |part| {
        Secret(Text::Derived {
            key: Arc::clone(&key),
            part,
            text: OnceLock::new(),
        })
    };
    EncodedKey {
        key_b64: derived(KeyPart::Base64),
        md5_b64: derived(KeyPart::Md5Base64),
    }
}

/// The parameter-name prefixes botocore's rule applies to.
pub const CUSTOMER_PREFIX: &str = "SSECustomer";
pub const COPY_SOURCE_PREFIX: &str = "CopySourceSSECustomer";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_botocore() {
        // Values computed with botocore.handlers._sse_md5 for b"0" * 32.
        let enc = encode_customer_key(Zeroizing::new(vec![b'0'; 32]));
        assert_eq!(format!("{:?}", enc.key_b64), "<redacted 44 chars>");
        assert_eq!(format!("{:?}", enc.md5_b64), "<redacted 24 chars>");
        assert_eq!(
            enc.key_b64.expose(),
            "MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA="
        );
        assert_eq!(enc.md5_b64.expose(), "zZ5FnqcIqUjVwvWmyog4zw==");
        assert!(!enc.key_b64.is_given() && !enc.md5_b64.is_given());
        // A copy made before the text is encoded encodes the same text.
        let copy = enc.md5_b64.clone();
        assert_eq!(copy.expose(), "zZ5FnqcIqUjVwvWmyog4zw==");
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let s = Secret::new("topsecretvalue".into());
        let shown = format!("{s:?}");
        assert!(!shown.contains("topsecret"));
        assert_eq!(shown, "<redacted 14 chars>");
    }
}
