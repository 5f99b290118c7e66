//! Client configuration: what `Session.client('s3', ...)` resolved, kept as owned values so
//! the SDK client (and its connection pool) can be rebuilt from it in a forked child.

use std::net::IpAddr;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_sdk_s3::config::{
    Region, RequestChecksumCalculation, ResponseChecksumValidation, StalledStreamProtectionConfig,
};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use aws_smithy_http_client::Builder as HttpClientBuilder;

use crate::error::{Error, Result};
use crate::sse::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addressing {
    Auto,
    Path,
    Virtual,
}

#[derive(Debug, Clone)]
pub enum Verify {
    /// `AWS_CA_BUNDLE` if set, else the system's roots.
    Default,
    /// Only the certificates of this PEM bundle.
    CaBundle(String),
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
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub max_pool_connections: usize,
    pub addressing: Addressing,
    pub allow_sse_c_over_http: bool,
    pub checksum_when_required: Option<bool>,
    pub validate_when_required: Option<bool>,
    /// botocore's `s3={'payload_signing_enabled': ...}`: `None` signs transfer bodies only
    /// over plain http to another machine.
    pub payload_signing: Option<bool>,
}

/// Idle connections are closed before S3's own ~20 s idle timeout would reset them.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(15);

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
        let host = self.host.to_ascii_lowercase();
        host == "localhost"
            || host.ends_with(".localhost")
            || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }

    pub fn is_ip(&self) -> bool {
        self.host.parse::<IpAddr>().is_ok()
    }
}

fn http_client(
    opts: &ClientOptions,
) -> Result<aws_smithy_runtime_api::client::http::SharedHttpClient> {
    let bundle = match &opts.verify {
        Verify::CaBundle(path) => Some(path.clone()),
        Verify::Default => std::env::var("AWS_CA_BUNDLE")
            .ok()
            .filter(|p| !p.is_empty()),
    };
    let trust = match bundle {
        Some(path) => {
            let pem = std::fs::read(&path).map_err(|e| {
                Error::InvalidConfig(format!("cannot read the CA bundle {path}: {e}"))
            })?;
            TrustStore::empty().with_pem_certificate(pem)
        }
        None => TrustStore::default(),
    };
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .map_err(|e| Error::InvalidConfig(format!("TLS setup failed: {e}")))?;
    Ok(HttpClientBuilder::new()
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .pool_max_idle_per_host(opts.max_pool_connections)
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .tls_context(context)
        .build_https())
}

/// Build the SDK client: the standard credential and region chain of aws-config (env,
/// profiles, SSO, web identity, container and instance metadata), then our overrides.
pub async fn build_sdk_client(opts: &ClientOptions) -> Result<(aws_sdk_s3::Client, Endpoint)> {
    let http = http_client(opts)?;
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
        .http_client(http)
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
    let endpoint = Endpoint::parse(shared.endpoint_url())?;
    let mut conf = aws_sdk_s3::config::Builder::from(&shared);
    if shared.region().is_none() {
        // botocore talks to S3 in us-east-1 when no region is configured.
        conf = conf.region(Region::from_static("us-east-1"));
    }
    let path_style = match opts.addressing {
        Addressing::Path => true,
        Addressing::Virtual => false,
        Addressing::Auto => endpoint.is_ip() || endpoint.is_loopback(),
    };
    conf = conf.force_path_style(path_style);
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
    Ok((aws_sdk_s3::Client::from_conf(conf.build()), endpoint))
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
    fn bad_endpoints_are_refused() {
        assert!(Endpoint::parse(Some("ftp://x")).is_err());
        assert!(Endpoint::parse(Some("not a url")).is_err());
    }
}
