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
/// `authorization`), the body hashed unless `unsigned_payload`. Built in a few buffers sized
/// up front: it runs on every request, and its per-header strings were the largest single
/// caller of malloc in a 32-thread profile (a quarter of its samples).
pub fn sign<B>(
    request: &mut http::Request<B>,
    body: Option<&[u8]>,
    credentials: &Credentials,
    region: &str,
    unsigned_payload: bool,
    now: SystemTime,
    cache: &KeyCache,
) -> Result<()> {
    let amz_date = amz_date(now)?;
    let amz_date = std::str::from_utf8(&amz_date).expect("ASCII digits");
    let day = &amz_date[..8];
    let hashed;
    let payload_hash = match (unsigned_payload, body) {
        (true, _) => UNSIGNED,
        (false, b) => {
            hashed = hex_digest(b.unwrap_or_default());
            std::str::from_utf8(&hashed).expect("hex digits")
        }
    };
    let headers = request.headers_mut();
    headers.insert("x-amz-date", header(amz_date)?);
    headers.insert("x-amz-content-sha256", header(payload_hash)?);
    if let Some(token) = credentials.session_token() {
        let mut value = header(token)?;
        value.set_sensitive(true);
        headers.insert("x-amz-security-token", value);
    }
    let (canonical, signed_headers) = canonical_request(request, payload_hash)?;
    // Built by appending, as the strings below: `format!` cost ~1k instructions a call.
    let mut scope = String::with_capacity(day.len() + region.len() + 17);
    for part in [day, "/", region, "/s3/aws4_request"] {
        scope.push_str(part);
    }
    let mut string_to_sign = String::with_capacity(ALGORITHM.len() + scope.len() + 84);
    for part in [ALGORITHM, "\n", amz_date, "\n", &scope, "\n"] {
        string_to_sign.push_str(part);
    }
    string_to_sign.push_str(std::str::from_utf8(&hex_digest(&canonical)).expect("hex digits"));
    let key = cache.key(credentials.secret_access_key(), day, region);
    let mut signature = [0u8; 64];
    hex::encode_to_slice(hmac(&key, string_to_sign.as_bytes()), &mut signature)
        .expect("64 hex digits for 32 bytes");
    let parts = [
        ALGORITHM,
        " Credential=",
        credentials.access_key_id(),
        "/",
        &scope,
        ", SignedHeaders=",
        &signed_headers,
        ", Signature=",
        std::str::from_utf8(&signature).expect("hex digits"),
    ];
    let mut authorization = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        authorization.push_str(part);
    }
    let mut value = header(&authorization)?;
    value.set_sensitive(true);
    request
        .headers_mut()
        .insert(http::header::AUTHORIZATION, value);
    Ok(())
}

/// `YYYYMMDDTHHMMSSZ` in UTC, SigV4's `x-amz-date`.
fn amz_date(now: SystemTime) -> Result<[u8; 16]> {
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|_| Error::Internal("the clock is before 1970".into()))?
        .as_secs();
    let secs =
        i64::try_from(secs).map_err(|_| Error::Internal("the clock is past 2^63 s".into()))?;
    let (year, month, day) = crate::convert::civil_from_days(secs.div_euclid(86_400));
    let in_day = secs.rem_euclid(86_400);
    if !(0..=9999).contains(&year) {
        return Err(Error::Internal("the signing time is past year 9999".into()));
    }
    let mut out = *b"00000000T000000Z";
    let digits = |out: &mut [u8], mut value: i64| {
        for slot in out.iter_mut().rev() {
            *slot = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    digits(&mut out[0..4], year);
    digits(&mut out[4..6], i64::from(month));
    digits(&mut out[6..8], i64::from(day));
    digits(&mut out[9..11], in_day / 3600);
    digits(&mut out[11..13], in_day % 3600 / 60);
    digits(&mut out[13..15], in_day % 60);
    Ok(out)
}

/// The SHA-256 of `data` in lowercase hex.
fn hex_digest(data: &[u8]) -> [u8; 64] {
    let mut out = [0u8; 64];
    hex::encode_to_slice(Sha256::digest(data), &mut out).expect("64 hex digits for 32 bytes");
    out
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
    let mut out: Vec<u8> = Vec::with_capacity(1024);
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
    let host = host_header(uri)?;
    let mut headers: Vec<(&str, &[u8])> = Vec::with_capacity(request.headers().len() + 1);
    headers.push(("host", host.as_bytes()));
    headers.extend(
        request
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes()))
            .filter(|(name, _)| !NOT_SIGNED.contains(name)),
    );
    // Stable: the values of a repeated header keep their order, joined with commas.
    headers.sort_by(|a, b| a.0.cmp(b.0));
    let mut signed = String::with_capacity(headers.iter().map(|(n, _)| n.len() + 1).sum());
    for (i, (name, value)) in headers.iter().enumerate() {
        if i > 0 && headers[i - 1].0 == *name {
            out.push(b',');
        } else {
            if i > 0 {
                out.push(b'\n');
                signed.push(';');
            }
            out.extend_from_slice(name.as_bytes());
            out.push(b':');
            signed.push_str(name);
        }
        normalize_into(&mut out, value);
    }
    out.extend_from_slice(b"\n\n");
    out.extend_from_slice(signed.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(payload_hash.as_bytes());
    Ok((out, signed))
}

/// `value` trimmed, with runs of spaces folded to one (SigV4's header value
/// canonicalisation), appended to `out`.
fn normalize_into(out: &mut Vec<u8>, value: &[u8]) {
    for (i, word) in value
        .split(|b| *b == b' ')
        .filter(|w| !w.is_empty())
        .enumerate()
    {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(word);
    }
}

/// The `host` header as signed: the URI's host, with its port unless it is the scheme's.
fn host_header(uri: &http::Uri) -> Result<std::borrow::Cow<'_, str>> {
    let host = uri
        .host()
        .ok_or_else(|| Error::Internal("a request without a host".into()))?;
    let default_port = match uri.scheme_str() {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    };
    Ok(match uri.port_u16() {
        Some(port) if Some(port) != default_port => format!("{host}:{port}").into(),
        _ => host.into(),
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
                "PUT",
                "http://127.0.0.1:9000/b/k",
                vec![
                    ("x-amz-meta-z", "last"),
                    ("x-amz-meta-a", "first  value"),
                    ("content-type", "text/plain"),
                    ("x-amz-meta-a", " second "),
                ],
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
    fn amz_dates_are_utc_calendar_times() {
        for (secs, text) in [
            (0, "19700101T000000Z"),
            (951_827_696, "20000229T123456Z"),
            (1_795_479_890, "20261124T002450Z"),
            (253_402_300_799, "99991231T235959Z"),
        ] {
            let at = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
            assert_eq!(&amz_date(at).unwrap(), text.as_bytes(), "{secs}");
        }
        let too_late = SystemTime::UNIX_EPOCH + Duration::from_secs(253_402_300_800);
        assert!(amz_date(too_late).is_err());
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
