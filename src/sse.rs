//! SSE-C key handling: botocore's `sse_md5` rule, with the key kept in zeroized memory.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use md5::{Digest, Md5};
use zeroize::Zeroizing;

/// A secret header value (an SSE-C key, a KMS key id or context). Its memory is wiped on
/// drop and its `Debug` never shows it.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(Zeroizing::new(value))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<redacted {} chars>", self.0.len())
    }
}

/// The two headers botocore derives from a raw key: base64(key) and base64(md5(key)).
pub struct EncodedKey {
    pub key_b64: Secret,
    pub md5_b64: String,
}

/// botocore's `_sse_md5`: base64-encode the raw key bytes and compute their MD5.
pub fn encode_customer_key(raw: &[u8]) -> EncodedKey {
    let digest = Md5::digest(raw);
    EncodedKey {
        key_b64: Secret::new(B64.encode(raw)),
        md5_b64: B64.encode(digest),
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
        let enc = encode_customer_key(&[b'0'; 32]);
        assert_eq!(
            enc.key_b64.expose(),
            "MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA="
        );
        assert_eq!(enc.md5_b64, "zZ5FnqcIqUjVwvWmyog4zw==");
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let s = Secret::new("topsecretvalue".into());
        let shown = format!("{s:?}");
        assert!(!shown.contains("topsecret"));
        assert_eq!(shown, "<redacted 14 chars>");
    }
}
