//! The one HTTP transport every request of a client goes through (operations, transfer
//! parts, retries, redirects): hyper over rustls with botocore's TLS choices (a CA bundle,
//! the system roots, or `verify=False`), and the transport policy checked on the final
//! request, just before it is sent, so that no configuration source can route around it:
//!
//! - an SSE-C key never goes over plain http to another machine (AWS refuses SSE-C over
//!   http; we refuse before the key leaves the process), unless the user opted out;
//! - a body is sent `UNSIGNED-PAYLOAD` only over TLS or to this machine.
//!
//! Connections and their pool live in `pool.rs`; the memory a caller may give a small
//! body to be received into, in `landing.rs`.

mod landing;
mod pool;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::ErrorKind;

use crate::error::{Error, Result};
pub use landing::LandingZone;
pub use pool::READ_WHOLE_UP_TO;
use pool::{ConnectError, Connector, Pool, PoolKey, RoundtripError};

/// Headers that carry an SSE-C key (of the object, or of a copy source).
const CUSTOMER_KEY_HEADERS: [&str; 2] = [
    "x-amz-server-side-encryption-customer-key",
    "x-amz-copy-source-server-side-encryption-customer-key",
];

/// How server certificates are checked (botocore's `verify`).
#[derive(Debug, Clone)]
pub enum Verify {
    /// `AWS_CA_BUNDLE` if set, else the system's roots.
    Default,
    /// Only the certificates of this PEM bundle.
    CaBundle(String),
    /// `verify=False`: encrypted, but the server's identity is not checked.
    Off,
}

/// What the transport needs to know, from the client's configuration.
#[derive(Debug, Clone)]
pub struct TransportOptions {
    pub verify: Verify,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub max_pool_connections: usize,
    /// Cap the connections in use at `max_pool_connections` (aiobotocore's connector
    /// limit); botocore's urllib3 pool only caps the idle ones.
    pub cap_in_use: bool,
    pub allow_sse_c_over_http: bool,
}

/// A request the transport policy refuses; raised as `InsecureTransportError`.
#[derive(Debug, thiserror::Error)]
pub enum PolicyViolation {
    #[error("an SSE-C key over plain http to {0}")]
    CustomerKeyOverHttp(String),
    #[error("an unsigned payload over plain http to {0}")]
    UnsignedPayloadOverHttp(String),
}

/// A TLS failure (certificate, handshake); raised as botocore's `SSLError`, not retried.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TlsFailure(pub String);

/// Whether `host` (a URI host, IPv6 brackets allowed) is this machine, judged by name.
pub fn is_loopback_host(host: &str) -> bool {
    // Compared without case, not lower-cased: it runs on every request.
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let suffix = ".localhost";
    host.eq_ignore_ascii_case("localhost")
        || (host.len() >= suffix.len()
            && host
                .get(host.len() - suffix.len()..)
                .is_some_and(|end| end.eq_ignore_ascii_case(suffix)))
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The transport of one client (and fork generation): one connection pool.
#[derive(Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Transport")
    }
}

struct Inner {
    pool: Arc<Pool>,
    connector: Connector,
    read_timeout: Duration,
    allow_sse_c_over_http: bool,
}

impl Transport {
    pub fn new(opts: &TransportOptions) -> Result<Self> {
        let cap = opts.cap_in_use.then_some(opts.max_pool_connections);
        Ok(Self {
            inner: Arc::new(Inner {
                pool: Arc::new(Pool::new(opts.max_pool_connections, cap)),
                connector: Connector {
                    tls: Arc::new(tls_config(&opts.verify)?),
                    connect_timeout: opts.connect_timeout,
                },
                read_timeout: opts.read_timeout,
                allow_sse_c_over_http: opts.allow_sse_c_over_http,
            }),
        })
    }

    /// The policy, on the request exactly as it is about to leave.
    fn check(&self, request: &http::Request<SdkBody>) -> std::result::Result<(), PolicyViolation> {
        let uri = request.uri();
        if uri.scheme_str() == Some("https") {
            return Ok(());
        }
        let host = uri.host().unwrap_or_default();
        if is_loopback_host(host) {
            return Ok(());
        }
        let headers = request.headers();
        if !self.inner.allow_sse_c_over_http
            && CUSTOMER_KEY_HEADERS
                .iter()
                .any(|h| headers.contains_key(*h))
        {
            return Err(PolicyViolation::CustomerKeyOverHttp(host.to_owned()));
        }
        if headers
            .get("x-amz-content-sha256")
            .is_some_and(|v| v == "UNSIGNED-PAYLOAD")
        {
            return Err(PolicyViolation::UnsignedPayloadOverHttp(host.to_owned()));
        }
        Ok(())
    }

    /// Send one request and wait for the response head (the read timeout covers the wait
    /// for the first byte, as botocore's does; bodies have their own watchdog). A small
    /// answer's body is received into `landing` if one is given.
    pub async fn send(
        &self,
        request: http::Request<SdkBody>,
        landing: Option<LandingZone>,
    ) -> std::result::Result<http::Response<SdkBody>, ConnectorError> {
        self.check(&request)
            .map_err(|v| ConnectorError::user(Box::new(v)))?;
        let key = PoolKey::of(request.uri(), crate::runtime::driving_runtime_id())
            .map_err(|e| ConnectorError::user(Box::new(e)))?;
        let request = origin_form(request);
        let inner = &self.inner;
        match tokio::time::timeout(
            inner.read_timeout,
            pool::roundtrip(&inner.pool, &inner.connector, key, request, landing),
        )
        .await
        {
            Ok(Ok(response)) => Ok(response.map(|body| match body {
                // In memory as such, so that readers can tell (`SdkBody::bytes`).
                pool::DrivenBody::Buffered(data) => data.map_or_else(SdkBody::empty, SdkBody::from),
                streaming => SdkBody::from_body_1_x(streaming),
            })),
            Ok(Err(e)) => Err(classify(e)),
            Err(elapsed) => Err(ConnectorError::timeout(Box::new(elapsed))),
        }
    }
}

/// An HTTP/1.1 request line names the path only (what hyper-util did for us): the host
/// goes in the `Host` header, added here unless the caller set one.
fn origin_form(request: http::Request<SdkBody>) -> http::Request<SdkBody> {
    let (mut parts, body) = request.into_parts();
    if !parts.headers.contains_key(http::header::HOST) {
        if let Some(authority) = parts.uri.authority() {
            let default_port = match parts.uri.scheme_str() {
                Some("https") => 443,
                _ => 80,
            };
            let host = match authority.port_u16() {
                Some(p) if p != default_port => authority.as_str(),
                _ => authority.host(),
            };
            if let Ok(value) = http::HeaderValue::from_str(host) {
                parts.headers.insert(http::header::HOST, value);
            }
        }
    }
    // The path and query as they are (no second parse of the text): scheme and authority
    // dropped.
    let mut uri = std::mem::take(&mut parts.uri).into_parts();
    uri.scheme = None;
    uri.authority = None;
    if uri.path_and_query.is_none() {
        uri.path_and_query = Some(http::uri::PathAndQuery::from_static("/"));
    }
    parts.uri = http::Uri::from_parts(uri).unwrap_or_else(|_| http::Uri::from_static("/"));
    http::Request::from_parts(parts, body)
}

/// Sort a failure the way the retry rules read it: certificate and handshake failures are
/// final (botocore does not retry `SSLError`), connection failures transient.
fn classify(e: RoundtripError) -> ConnectorError {
    if let Some(tls) = find_source::<TlsFailure>(&e) {
        return ConnectorError::user(Box::new(TlsFailure(tls.0.clone())));
    }
    if let Some(tls) = find_source::<rustls::Error>(&e) {
        return ConnectorError::user(Box::new(TlsFailure(tls.to_string())));
    }
    match e {
        RoundtripError::Connect(ConnectError::Timeout) => {
            ConnectorError::timeout(Box::new(ConnectError::Timeout))
        }
        RoundtripError::Connect(ConnectError::BadUri(_)) => ConnectorError::user(Box::new(e)),
        RoundtripError::Connect(_) | RoundtripError::Closed => ConnectorError::io(Box::new(e)),
        RoundtripError::Http(h) if h.is_incomplete_message() => {
            ConnectorError::other(Box::new(h), Some(ErrorKind::TransientError))
        }
        RoundtripError::Http(h) => {
            let io =
                h.is_closed() || h.is_canceled() || find_source::<std::io::Error>(&h).is_some();
            if io {
                ConnectorError::io(Box::new(h))
            } else {
                ConnectorError::other(Box::new(h), None)
            }
        }
    }
}

pub fn find_source<'a, E: std::error::Error + 'static>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a E> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<E>() {
            return Some(found);
        }
        // io::Error::source() skips the error it wraps (it returns that error's source):
        // step into it instead, or a rustls error inside hyper's io errors is never seen.
        next = match e.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

/// The SDK's view of the transport: every request the orchestrator sends comes here.
impl HttpConnector for Transport {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let request = match request.try_into_http1x() {
            Ok(r) => r,
            Err(e) => return HttpConnectorFuture::ready(Err(ConnectorError::user(e.into()))),
        };
        let this = self.clone();
        HttpConnectorFuture::new(async move {
            let response = this.send(request, None).await?;
            HttpResponse::try_from(response).map_err(|e| ConnectorError::other(e.into(), None))
        })
    }
}

impl HttpClient for Transport {
    fn http_connector(
        &self,
        _: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

fn tls_config(verify: &Verify) -> Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::InvalidConfig(format!("TLS setup failed: {e}")))?;
    let config = match verify {
        Verify::Off => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
            .with_no_client_auth(),
        Verify::CaBundle(path) => builder
            .with_root_certificates(roots_from_pem(path)?)
            .with_no_client_auth(),
        Verify::Default => {
            let bundle = std::env::var("AWS_CA_BUNDLE")
                .ok()
                .filter(|p| !p.is_empty());
            let roots = match bundle {
                Some(path) => roots_from_pem(&path)?,
                None => system_roots(),
            };
            builder.with_root_certificates(roots).with_no_client_auth()
        }
    };
    Ok(config)
}

fn roots_from_pem(path: &str) -> Result<rustls::RootCertStore> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;
    let unreadable = |e: &dyn std::fmt::Display| {
        Error::InvalidConfig(format!("cannot read the CA bundle {path}: {e}"))
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| unreadable(&e))? {
        let cert = cert.map_err(|e| unreadable(&e))?;
        // One odd certificate in a system bundle must not make the whole bundle unusable.
        let _ = roots.add(cert);
    }
    if roots.is_empty() {
        return Err(unreadable(&"no certificates in it"));
    }
    Ok(roots)
}

fn system_roots() -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    roots
}

/// `verify=False`: any certificate is accepted, but handshake signatures are still checked
/// (what urllib3 does with `cert_reqs=CERT_NONE`).
#[derive(Debug)]
struct NoVerification(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _: &rustls_pki_types::CertificateDer<'_>,
        _: &[rustls_pki_types::CertificateDer<'_>],
        _: &rustls_pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls_pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport(allow: bool) -> Transport {
        Transport::new(&TransportOptions {
            verify: Verify::Off,
            connect_timeout: Duration::from_secs(1),
            read_timeout: Duration::from_secs(1),
            max_pool_connections: 1,
            cap_in_use: false,
            allow_sse_c_over_http: allow,
        })
        .unwrap()
    }

    fn request(uri: &str, header: Option<(&str, &str)>) -> http::Request<SdkBody> {
        let mut b = http::Request::builder().uri(uri);
        if let Some((n, v)) = header {
            b = b.header(n, v);
        }
        b.body(SdkBody::empty()).unwrap()
    }

    #[test]
    fn customer_keys_never_go_over_plain_http_to_another_machine() {
        let t = transport(false);
        for h in CUSTOMER_KEY_HEADERS {
            let r = request("http://s3.example.com/b/k", Some((h, "x")));
            assert!(
                matches!(t.check(&r), Err(PolicyViolation::CustomerKeyOverHttp(host)) if host == "s3.example.com")
            );
            assert!(t
                .check(&request("https://s3.example.com/b/k", Some((h, "x"))))
                .is_ok());
            assert!(t
                .check(&request("http://127.0.0.1:9000/b/k", Some((h, "x"))))
                .is_ok());
            assert!(t
                .check(&request("http://[::1]:9000/b/k", Some((h, "x"))))
                .is_ok());
        }
        assert!(t.check(&request("http://s3.example.com/b/k", None)).is_ok());
        let opted_out = transport(true);
        let r = request(
            "http://s3.example.com/b/k",
            Some((CUSTOMER_KEY_HEADERS[0], "x")),
        );
        assert!(opted_out.check(&r).is_ok());
    }

    #[test]
    fn unsigned_payloads_need_tls_or_loopback() {
        let t = transport(true);
        let unsigned = Some(("x-amz-content-sha256", "UNSIGNED-PAYLOAD"));
        assert!(t
            .check(&request("http://s3.example.com/b/k", unsigned))
            .is_err());
        assert!(t
            .check(&request("https://s3.example.com/b/k", unsigned))
            .is_ok());
        assert!(t
            .check(&request("http://localhost:1/b/k", unsigned))
            .is_ok());
    }

    #[test]
    fn loopback_is_judged_by_name() {
        for host in [
            "127.0.0.1",
            "localhost",
            "s3.localhost",
            "LocalHost",
            "S3.LOCALHOST",
            "[::1]",
            "[0:0:0:0:0:0:0:1]",
            "127.1.2.3",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "10.0.0.1",
            "vm",
            "s3.example.com",
            "localhost.example.com",
            "notlocalhost",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}
