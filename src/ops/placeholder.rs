//! Values botocore sends and the SDK refuses before sending: a whitespace-only `Key` (its
//! endpoint parameters treat it as missing) and an empty `UploadId`. Such a value goes to
//! the SDK as a placeholder (the key's bytes, hex-encoded, so no state is needed), and
//! [`Placeholders`] puts the real value back into the URI just before signing: the server
//! answers, as it does to boto3.

use aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;

use crate::params::quote_key;

const KEY_MARK: &str = "s3seal-blank-key-";
const UPLOAD_ID_MARK: &str = "uploadId=s3seal-empty-upload-id";

/// The key to give the SDK.
pub fn sdk_key(key: &str) -> String {
    if key.trim().is_empty() && !key.is_empty() {
        let hex: String = key.bytes().map(|b| format!("{b:02x}")).collect();
        format!("{KEY_MARK}{hex}")
    } else {
        key.to_owned()
    }
}

/// The upload id to give the SDK.
pub fn sdk_upload_id(id: &str) -> String {
    if id.is_empty() {
        UPLOAD_ID_MARK["uploadId=".len()..].to_owned()
    } else {
        id.to_owned()
    }
}

/// The URI with the placeholders of [`sdk_key`] and [`sdk_upload_id`] replaced.
fn restore(uri: &str) -> Option<String> {
    if !uri.contains(KEY_MARK) && !uri.contains(UPLOAD_ID_MARK) {
        return None; // every ordinary request
    }
    let mut out = uri.to_owned();
    if let Some(at) = out.find(KEY_MARK) {
        let hex_start = at + KEY_MARK.len();
        let hex_len = out[hex_start..]
            .bytes()
            .take_while(u8::is_ascii_hexdigit)
            .count();
        let bytes: Vec<u8> = (0..hex_len / 2)
            .filter_map(|i| {
                u8::from_str_radix(&out[hex_start + 2 * i..hex_start + 2 * i + 2], 16).ok()
            })
            .collect();
        let key = String::from_utf8(bytes).ok()?;
        out.replace_range(at..hex_start + hex_len, &quote_key(&key));
    }
    if out.contains(UPLOAD_ID_MARK) {
        out = out.replace(UPLOAD_ID_MARK, "uploadId=");
    }
    (out != uri).then_some(out)
}

/// Puts the real values back (a no-op for every ordinary request).
#[derive(Debug)]
pub struct Placeholders;

impl Intercept for Placeholders {
    fn name(&self) -> &'static str {
        "s3seal::Placeholders"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        if let Some(uri) = restore(request.uri()) {
            request.set_uri(uri)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_round_trip() {
        let uri = format!(
            "http://h/b/{}?uploadId={}&partNumber=1",
            sdk_key(" \t"),
            sdk_upload_id("")
        );
        assert_eq!(
            restore(&uri).unwrap(),
            "http://h/b/%20%09?uploadId=&partNumber=1"
        );
        assert_eq!(sdk_key("k"), "k");
        assert!(restore("http://h/b/k?uploadId=x").is_none());
    }
}
