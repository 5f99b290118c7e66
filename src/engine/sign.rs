//! SigV4 for S3 (the `aws-sigv4` crate): single percent-encoding, no path normalisation,
//! `x-amz-content-sha256` always sent, the payload hash or `UNSIGNED-PAYLOAD`.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest,
    SignatureLocation, SigningSettings, UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

use crate::error::{Error, Result};

/// How a request is signed: in its headers (sent now) or its query (a presigned URL).
pub enum Signing {
    /// The engine signs its requests with `fastsign`; this stays as its reference in tests.
    #[cfg_attr(not(test), allow(dead_code))]
    Headers {
        unsigned_payload: bool,
    },
    Query {
        expires_in: Duration,
    },
}

/// Sign `request` in place.
pub fn sign_request(
    request: &mut http::Request<bytes::Bytes>,
    credentials: &Credentials,
    region: &str,
    signing: Signing,
    now: SystemTime,
) -> Result<()> {
    let identity: Identity = credentials.clone().into();
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    let unsigned_payload = match signing {
        Signing::Headers { unsigned_payload } => {
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
            unsigned_payload
        }
        // A presigned URL's body is whatever its user sends (botocore's S3SigV4QueryAuth).
        Signing::Query { expires_in } => {
            settings.signature_location = SignatureLocation::QueryParams;
            settings.expires_in = Some(expires_in);
            true
        }
    };
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("s3")
        .time(now)
        .settings(settings)
        .build()
        .map_err(|e| Error::Internal(format!("signing setup: {e}")))?
        .into();
    let body = if unsigned_payload {
        SignableBody::UnsignedPayload
    } else {
        SignableBody::Bytes(request.body())
    };
    let headers = request
        .headers()
        .iter()
        .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)));
    let uri = request.uri().to_string();
    let signable = SignableRequest::new(request.method().as_str(), uri, headers, body)
        .map_err(|e| Error::Internal(format!("cannot sign the request: {e}")))?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| Error::Internal(format!("cannot sign the request: {e}")))?
        .into_parts();
    instructions.apply_to_request_http1x(request);
    Ok(())
}
