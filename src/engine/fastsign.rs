//! SigV4 header signing for the engine's requests, with the day's signing key cached:
//! deriving it is four HMACs, as much as the rest of the signature together, and it only
//! changes with the date, the region and the credentials. The result is byte-for-byte what
//! the `aws-sigv4` crate produces (the tests below compare the two), which stays in use for
//! presigned URLs and POST policies.

use std::sync::Mutex;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const UNSIGNED: &str = "UNSIGNED-PAYLOAD";
/// Headers proxies may change, which aws-sigv4 leaves out of the signature too.
const NOT_SIGNED: [&str; 4] = [
    "authorization",
    "user-agent",
    "x-amzn-trace-id",
    "transfer-encoding",
];

/// The derived key of one (credentials, day, region), kept between requests. Only a digest
/// of the secret is kept to recognise it, never the secret itself.
#[derive(Default)]
pub struct KeyCache(Mutex<Option<CachedKey>>);

struct CachedKey {
    secret_digest: [u8; 32],
    day: String,
    region: String,
    key: [u8; 32],
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyCache")
    }
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

impl KeyCache {
    fn key(&self, secret: &str, day: &str, region: &str) -> [u8; 32] {
        let digest: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        let mut cached = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(c) = cached.as_ref() {
            if c.secret_digest == digest && c.day == day && c.region == region {
                return c.key;
            }
        }
        let k_date = hmac(format!("AWS4{secret}").as_bytes(), day.as_bytes());
        let k_region = hmac(&k_date, region.as_bytes());
        let k_service = hmac(&k_region, b"s3");
        let key = hmac(&k_service, b"aws4_request");
        *cached = Some(CachedKey {
            secret_digest: digest,
            day: day.to_owned(),
            region: region.to_owned(),
            key,
        });
        key
    }
}

/// Sign `request` in its headers (`x-amz-date`, `x-amz-content-sha256`, the session token,
/// `authorization`), the body hashed unless `unsigned_payload`.
pub fn sign<B>(
    request: &mut http::Request<B>,
    body: Option<&[u8]>,
    credentials: &Credentials,
    region: &str,
    unsigned_payload: bool,
    now: SystemTime,
    cache: &KeyCache,
) -> Result<()> {
    let stamp = aws_smithy_types::DateTime::from(now)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .map_err(|e| Error::Internal(format!("cannot format the signing time: {e}")))?;
    // 2026-12-01T22:15:00Z -> 20261201T221500Z
    let amz_date: String = stamp
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(15)
        .chain(std::iter::once('Z'))
        .collect();
    let day = &amz_date[..8];
    let payload_hash = match (unsigned_payload, body) {
        (true, _) => UNSIGNED.to_owned(),
        (false, b) => hex::encode(Sha256::digest(b.unwrap_or_default())),
    };
    let headers = request.headers_mut();
    headers.insert("x-amz-date", header(&amz_date)?);
    headers.insert("x-amz-content-sha256", header(&payload_hash)?);
    if let Some(token) = credentials.session_token() {
        let mut value = header(token)?;
        value.set_sensitive(true);
        headers.insert("x-amz-security-token", value);
    }
    let (canonical, signed_headers) = canonical_request(request, &payload_hash)?;
    let scope = format!("{day}/{region}/s3/aws4_request");
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(&canonical))
    );
    let key = cache.key(credentials.secret_access_key(), day, region);
    let signature = hex::encode(hmac(&key, string_to_sign.as_bytes()));
    let authorization = format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        credentials.access_key_id()
    );
    let mut value = header(&authorization)?;
    value.set_sensitive(true);
    request
        .headers_mut()
        .insert(http::header::AUTHORIZATION, value);
    Ok(())
}

fn header(text: &str) -> Result<http::HeaderValue> {
    http::HeaderValue::from_str(text)
        .map_err(|_| Error::Internal("a signing value is not a header value".into()))
}

/// The canonical request and its signed-header list. The path and query are already
/// percent-encoded by the serializer, exactly once, as S3 canonicalises them. Header values
/// are taken as bytes: HTTP allows non-ASCII ones (botocore sends them latin-1 encoded).
fn canonical_request<B>(
    request: &http::Request<B>,
    payload_hash: &str,
) -> Result<(Vec<u8>, String)> {
    let uri = request.uri();
    let mut out: Vec<u8> = Vec::with_capacity(512);
    out.extend_from_slice(request.method().as_str().as_bytes());
    out.push(b'\n');
    out.extend_from_slice(
        if uri.path().is_empty() {
            "/"
        } else {
            uri.path()
        }
        .as_bytes(),
    );
    out.push(b'\n');
    let mut query: Vec<(&str, &str)> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect();
    query.sort_unstable();
    for (i, (k, v)) in query.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        out.extend_from_slice(k.as_bytes());
        out.push(b'=');
        out.extend_from_slice(v.as_bytes());
    }
    out.push(b'\n');
    let mut headers: Vec<(String, Vec<u8>)> =
        vec![("host".to_owned(), host_header(uri)?.into_bytes())];
    for (name, value) in request.headers() {
        let name = name.as_str();
        if NOT_SIGNED.contains(&name) {
            continue;
        }
        let value = normalize(value.as_bytes());
        match headers.iter_mut().find(|(n, _)| n == name) {
            Some((_, existing)) => {
                existing.push(b',');
                existing.extend_from_slice(&value);
            }
            None => headers.push((name.to_owned(), value)),
        }
    }
    headers.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (name, value) in &headers {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        out.extend_from_slice(value);
        out.push(b'\n');
    }
    out.push(b'\n');
    let signed: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
    let signed = signed.join(";");
    out.extend_from_slice(signed.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(payload_hash.as_bytes());
    Ok((out, signed))
}

/// Trimmed, with runs of spaces folded to one (SigV4's header value canonicalisation).
fn normalize(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    for word in value.split(|b| *b == b' ').filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(b' ');
        }
        out.extend_from_slice(word);
    }
    out
}

fn host_header(uri: &http::Uri) -> Result<String> {
    let host = uri
        .host()
        .ok_or_else(|| Error::Internal("a request without a host".into()))?;
    let default_port = match uri.scheme_str() {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    };
    Ok(match uri.port_u16() {
        Some(port) if Some(port) != default_port => format!("{host}:{port}"),
        _ => host.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn request(method: &str, uri: &str, headers: &[(&str, &str)]) -> http::Request<bytes::Bytes> {
        let mut b = http::Request::builder().method(method).uri(uri);
        for (n, v) in headers {
            b = b.header(*n, *v);
        }
        b.body(bytes::Bytes::from_static(b"some body")).unwrap()
    }

    /// The same request signed by aws-sigv4 and by this module gives the same headers.
    #[test]
    fn signatures_are_aws_sigv4s() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_479_890);
        let creds = [
            Credentials::new(
                "AKIDEXAMPLE",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                None,
                None,
                "t",
            ),
            Credentials::new(
                "AKID2",
                "secret",
                Some("token/with+chars".into()),
                None,
                "t",
            ),
        ];
        let cases = [
            (
                "GET",
                "http://127.0.0.1:9000/bucket/a%20b/c%2Bd.txt?versionId=v%2F1&acl",
                vec![],
            ),
            (
                "PUT",
                "https://b.s3.amazonaws.com/k~x",
                vec![
                    ("x-amz-meta-a", "  two   spaces "),
                    ("content-type", "text/plain"),
                ],
            ),
            (
                "HEAD",
                "https://s3.eu-west-1.amazonaws.com/b/k",
                vec![("x-amz-server-side-encryption-customer-key", "a2V5")],
            ),
            (
                "POST",
                "http://localhost:8443/b?delete",
                vec![
                    ("content-md5", "abc=="),
                    ("x-amz-checksum-crc32", "AAAAAA=="),
                ],
            ),
            (
                "GET",
                "https://s3.amazonaws.com/",
                vec![("range", "bytes=0-1"), ("user-agent", "skipped")],
            ),
            (
                "GET",
                "http://127.0.0.1:9000/b?list-type=2&prefix=a%2Fb&max-keys=5&encoding-type=url",
                vec![],
            ),
        ];
        for credentials in &creds {
            for unsigned in [false, true] {
                for (method, uri, headers) in &cases {
                    let mut ours = request(method, uri, headers);
                    let body = ours.body().clone();
                    sign(
                        &mut ours,
                        Some(&body),
                        credentials,
                        "us-east-1",
                        unsigned,
                        now,
                        &KeyCache::default(),
                    )
                    .unwrap();
                    let mut theirs = request(method, uri, headers);
                    crate::engine::sign::sign_request(
                        &mut theirs,
                        credentials,
                        "us-east-1",
                        crate::engine::sign::Signing::Headers {
                            unsigned_payload: unsigned,
                        },
                        now,
                    )
                    .unwrap();
                    for name in [
                        "authorization",
                        "x-amz-date",
                        "x-amz-content-sha256",
                        "x-amz-security-token",
                    ] {
                        assert_eq!(
                            ours.headers().get(name),
                            theirs.headers().get(name),
                            "{method} {uri} {name}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn non_ascii_header_values_are_signed_as_their_bytes() {
        let mut req = http::Request::builder()
            .uri("http://127.0.0.1:9000/b/k")
            .header(
                "content-type",
                http::HeaderValue::from_bytes(b"a\x80  b").unwrap(),
            )
            .body(())
            .unwrap();
        let (canonical, signed) = canonical_request(&req, UNSIGNED).unwrap();
        let line = b"content-type:a\x80 b\n";
        assert!(canonical.windows(line.len()).any(|w| w == line));
        assert_eq!(signed, "content-type;host");
        let creds = Credentials::new("AKID", "secret", None, None, "t");
        sign(
            &mut req,
            None,
            &creds,
            "us-east-1",
            true,
            SystemTime::now(),
            &KeyCache::default(),
        )
        .unwrap();
    }

    #[test]
    fn the_signing_key_is_reused_only_for_the_same_day_region_and_secret() {
        let cache = KeyCache::default();
        let a = cache.key("secret", "20261201", "us-east-1");
        assert_eq!(cache.key("secret", "20261201", "us-east-1"), a);
        assert_ne!(cache.key("secret", "20261202", "us-east-1"), a);
        assert_ne!(cache.key("other", "20261201", "us-east-1"), a);
        assert_ne!(cache.key("secret", "20261201", "eu-west-1"), a);
    }
}
