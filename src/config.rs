//! Client configuration: what `Session.client('s3', ...)` resolved, kept as owned values so
//! the SDK client (and its connection pool) can be rebuilt from it in a forked child.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_sdk_s3::config::{
    Region, RequestChecksumCalculation, ResponseChecksumValidation, StalledStreamProtectionConfig,
};

use crate::engine::{ChecksumPolicy, Engine, RetryMode, Target};
use crate::error::{Error, Result};
use crate::sse::Secret;
pub use crate::transport::Verify;
use crate::transport::{is_loopback_host, Transport, TransportOptions};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addressing {
    Auto,
    Path,
    Virtual,
}

#[derive(Debug, Clone)]
pub struct StaticCredentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
}

#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    pub credentials: Option<StaticCredentials>,
    pub verify: Verify,
    pub max_attempts: u32,
    pub adaptive_retries: bool,
    /// botocore's default `legacy` mode (else `standard`, or `adaptive`).
    pub legacy_retries: bool,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub max_pool_connections: usize,
    /// At most `max_pool_connections` connections in use at once (the async client, as
    /// aiobotocore's connector limit); botocore's urllib3 pool only caps the idle ones.
    pub cap_connections: bool,
    pub addressing: Addressing,
    pub allow_sse_c_over_http: bool,
    pub checksum_when_required: Option<bool>,
    pub validate_when_required: Option<bool>,
    /// botocore's `s3={'payload_signing_enabled': ...}`: `None` signs transfer bodies only
    /// over plain http to another machine.
    pub payload_signing: Option<bool>,
}

/// The endpoint a client talks to, and what follows from it.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub url: Option<String>,
    pub host: String,
    pub https: bool,
}

impl Endpoint {
    pub fn parse(url: Option<&str>) -> Result<Self> {
        let Some(url) = url else {
            return Ok(Self {
                url: None,
                host: "s3.amazonaws.com".into(),
                https: true,
            });
        };
        let uri: http::Uri = url
            .parse()
            .map_err(|_| Error::InvalidConfig(format!("Invalid endpoint: {url}")))?;
        let scheme = uri.scheme_str().unwrap_or_default();
        if scheme != "http" && scheme != "https" {
            return Err(Error::InvalidConfig(format!("Invalid endpoint: {url}")));
        }
        let host = uri
            .host()
            .ok_or_else(|| Error::InvalidConfig(format!("Invalid endpoint: {url}")))?;
        Ok(Self {
            url: Some(url.trim_end_matches('/').to_owned()),
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            https: scheme == "https",
        })
    }

    pub fn is_loopback(&self) -> bool {
        is_loopback_host(&self.host)
    }

    /// Whether object bodies go as `UNSIGNED-PAYLOAD`: over TLS (as botocore does) or to
    /// this machine, unless `payload_signing_enabled` says otherwise. SHA-256 over every
    /// body costs more CPU than the rest of a large PUT together; botocore signs every
    /// payload over plain http, whatever the configuration says.
    pub fn unsigned_payload(&self, payload_signing: Option<bool>) -> bool {
        (self.https || self.is_loopback()) && payload_signing != Some(true)
    }

    /// botocore's `is_s3_accelerate_url`: an Amazon `s3-accelerate` endpoint.
    fn is_s3_accelerate(&self) -> bool {
        let host = self.host.to_ascii_lowercase();
        host.ends_with("amazonaws.com") && host.split('.').next() == Some("s3-accelerate")
    }

    /// botocore's rule (`args.py`, `_compute_endpoint_resolver_builtin_defaults`): a custom
    /// endpoint (given or configured) uses path-style addressing unless
    /// `addressing_style='virtual'`; AWS's own endpoints only when asked for `'path'`.
    pub fn path_style(&self, addressing: Addressing) -> bool {
        match addressing {
            Addressing::Path => true,
            Addressing::Virtual => false,
            Addressing::Auto => self.url.is_some() && !self.is_s3_accelerate(),
        }
    }
}

fn transport(opts: &ClientOptions) -> Result<Transport> {
    Transport::new(&TransportOptions {
        verify: opts.verify.clone(),
        connect_timeout: opts.connect_timeout,
        read_timeout: opts.read_timeout,
        max_pool_connections: opts.max_pool_connections,
        cap_in_use: opts.cap_connections,
        allow_sse_c_over_http: opts.allow_sse_c_over_http,
    })
}

/// What a client runs with in one fork generation: the SDK client (the operations with
/// streaming bodies and the transfer engine) and the model-driven engine, sharing one
/// transport and so one connection pool.
#[derive(Clone)]
pub struct Clients {
    pub sdk: aws_sdk_s3::Client,
    pub engine: Engine,
    pub endpoint: Endpoint,
}

/// Build the clients: the standard credential and region chain of aws-config (env,
/// profiles, SSO, web identity, container and instance metadata), then our overrides.
pub async fn build_clients(opts: &ClientOptions) -> Result<Clients> {
    let http = transport(opts)?;
    let retry = if opts.adaptive_retries {
        RetryConfig::adaptive()
    } else {
        RetryConfig::standard()
    }
    .with_max_attempts(opts.max_attempts.max(1));
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(opts.connect_timeout)
        .read_timeout(opts.read_timeout)
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http.clone())
        .retry_config(retry)
        .timeout_config(timeouts);
    if let Some(profile) = &opts.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &opts.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(c) = &opts.credentials {
        loader = loader.credentials_provider(Credentials::new(
            c.access_key_id.clone(),
            c.secret_access_key.expose().to_owned(),
            c.session_token.as_ref().map(|t| t.expose().to_owned()),
            None,
            "s3seal",
        ));
    }
    if let Some(url) = &opts.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let shared = loader.load().await;
    // The Python layer resolved the endpoint with botocore's full precedence: that URL, or
    // none, is final. aws-config would otherwise add its own (AWS_ENDPOINT_URL_S3 through
    // the service config, AWS_ENDPOINT_URL, the profile) even where botocore ignores them;
    // and whatever the SDK ends up with, the transport checks the final request anyway.
    let endpoint = Endpoint::parse(opts.endpoint_url.as_deref())?;
    let mut conf = aws_sdk_s3::config::Builder::from(&shared);
    conf.set_endpoint_url(opts.endpoint_url.clone());
    if shared.region().is_none() {
        // botocore talks to S3 in us-east-1 when no region is configured.
        conf = conf.region(Region::from_static("us-east-1"));
    }
    conf = conf.force_path_style(endpoint.path_style(opts.addressing));
    // botocore has no stalled-stream protection: its read timeout is the only watchdog, and
    // ours covers response bodies too (body.rs, transfer/download.rs). The SDK's version
    // samples the clock and arms timers on every body poll, which measured as a few percent
    // of a small request's CPU.
    conf = conf.stalled_stream_protection(StalledStreamProtectionConfig::disabled());
    // botocore's default (legacy) retries have no retry quota. The SDK's token bucket is
    // shared by every client of the process: after enough failures anywhere it refused to
    // retry at all, and a short outage failed a transfer that boto3 rides out. (botocore's
    // standard mode keeps a 500-token quota per client; we keep none, never fewer retries.)
    conf = conf.retry_partition(
        aws_sdk_s3::config::retry::RetryPartition::custom("s3seal-no-retry-quota")
            .token_bucket(aws_sdk_s3::config::retry::TokenBucket::unlimited())
            .build(),
    );
    conf = conf.retry_classifier(crate::ops::retry::BotocoreRetries);
    if let Some(required) = opts.checksum_when_required {
        conf = conf.request_checksum_calculation(if required {
            RequestChecksumCalculation::WhenRequired
        } else {
            RequestChecksumCalculation::WhenSupported
        });
    }
    if let Some(required) = opts.validate_when_required {
        conf = conf.response_checksum_validation(if required {
            ResponseChecksumValidation::WhenRequired
        } else {
            ResponseChecksumValidation::WhenSupported
        });
    }
    let engine = Engine {
        transport: http,
        credentials: shared.credentials_provider(),
        target: Target {
            path_style: endpoint.path_style(opts.addressing),
            endpoint: endpoint.clone(),
            region: shared
                .region()
                .map_or_else(|| "us-east-1".to_owned(), ToString::to_string),
        },
        retry_mode: if opts.legacy_retries {
            RetryMode::Legacy
        } else {
            RetryMode::Standard
        },
        max_attempts: opts.max_attempts,
        unsigned_payload: endpoint.unsigned_payload(opts.payload_signing),
        signing_keys: std::sync::Arc::default(),
        checksums: ChecksumPolicy {
            request_when_required: opts.checksum_when_required == Some(true),
            response_when_required: opts.validate_when_required == Some(true),
        },
    };
    Ok(Clients {
        sdk: aws_sdk_s3::Client::from_conf(conf.build()),
        engine,
        endpoint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_endpoints_are_recognised() {
        for url in [
            "http://127.0.0.1:9000",
            "http://localhost:1",
            "http://[::1]:80",
            "http://s3.localhost",
        ] {
            assert!(Endpoint::parse(Some(url)).unwrap().is_loopback(), "{url}");
        }
        for url in ["http://10.0.0.1", "https://s3.example.com"] {
            assert!(!Endpoint::parse(Some(url)).unwrap().is_loopback(), "{url}");
        }
    }

    #[test]
    fn custom_endpoints_use_path_style_like_botocore() {
        let path = |url: Option<&str>, a| Endpoint::parse(url).unwrap().path_style(a);
        assert!(path(
            Some("https://minio.example.com:9000"),
            Addressing::Auto
        ));
        assert!(path(Some("http://127.0.0.1:9000"), Addressing::Auto));
        assert!(!path(
            Some("https://minio.example.com"),
            Addressing::Virtual
        ));
        assert!(!path(None, Addressing::Auto));
        assert!(path(None, Addressing::Path));
        assert!(!path(
            Some("https://s3-accelerate.amazonaws.com"),
            Addressing::Auto
        ));
    }

    #[test]
    fn bad_endpoints_are_refused() {
        assert!(Endpoint::parse(Some("ftp://x")).is_err());
        assert!(Endpoint::parse(Some("not a url")).is_err());
    }
}
