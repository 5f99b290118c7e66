//! Client configuration: what `Session.client('s3', ...)` resolved, kept as owned values so
//! the engine (and its connection pool) can be rebuilt from it in a forked child.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::Credentials;
use aws_types::region::Region;

use crate::engine::{Auth, ChecksumPolicy, Engine, RetryMode, Target};
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
    /// botocore's `Config(signature_version=UNSIGNED)`: no credentials, no signatures.
    pub anonymous: bool,
    /// Whether the environment's keys (`AWS_ACCESS_KEY_ID`...) are in the chain. botocore
    /// leaves them out when the Session was given `profile_name`: the profile's credentials
    /// (or the container's or instance's) are used even with keys in the environment.
    pub env_credentials: bool,
    /// The `User-Agent` of every request (built in Python as botocore builds its own).
    pub user_agent: Option<String>,
}

impl ClientOptions {
    /// A client's defaults (botocore's) for `profile` and `region`: what
    /// `Session.get_credentials()` resolves with.
    pub fn for_session(
        profile: Option<String>,
        region: Option<String>,
        env_credentials: bool,
    ) -> Self {
        Self {
            region,
            profile,
            endpoint_url: None,
            credentials: None,
            verify: Verify::Default,
            max_attempts: 5,
            adaptive_retries: false,
            legacy_retries: true,
            connect_timeout: Duration::from_secs(60),
            read_timeout: Duration::from_secs(60),
            max_pool_connections: 10,
            cap_connections: false,
            addressing: Addressing::Auto,
            allow_sse_c_over_http: false,
            checksum_when_required: None,
            validate_when_required: None,
            payload_signing: None,
            anonymous: false,
            env_credentials,
            user_agent: None,
        }
    }
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

/// What a client runs with in one fork generation: the model-driven engine (every
/// operation and the transfer engine's requests) and its one transport, so one pool.
pub struct Clients {
    pub engine: Engine,
    pub endpoint: Endpoint,
}

/// The standard chain of aws-config (env, profiles, SSO, web identity, container and
/// instance metadata) for `opts`, with our overrides: what a client and
/// `Session.get_credentials()` resolve credentials and the region from.
async fn load(opts: &ClientOptions, http: &Transport) -> aws_config::SdkConfig {
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
    // An anonymous client looks for no credentials, explicit ones included (botocore).
    if let Some(c) = opts.credentials.as_ref().filter(|_| !opts.anonymous) {
        loader = loader.credentials_provider(Credentials::new(
            c.access_key_id.clone(),
            c.secret_access_key.expose().to_owned(),
            c.session_token.as_ref().map(|t| t.expose().to_owned()),
            None,
            "s3seal",
        ));
    } else if !opts.env_credentials && !opts.anonymous {
        loader = loader.credentials_provider(chain_without_env(opts, http).await);
    }
    if let Some(url) = &opts.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// aws-config's default credentials chain without its first link, the environment's keys
/// (botocore's chain for a Session given `profile_name`): the profile (static keys, SSO,
/// roles, processes), web identity, the container, instance metadata.
async fn chain_without_env(
    opts: &ClientOptions,
    http: &Transport,
) -> aws_config::meta::credentials::CredentialsProviderChain {
    use aws_config::default_provider::region::DefaultRegionChain;
    let mut region_chain = DefaultRegionChain::builder();
    if let Some(profile) = &opts.profile {
        region_chain = region_chain.profile_name(profile);
    }
    let region = match &opts.region {
        Some(region) => Some(Region::new(region.clone())),
        None => region_chain.build().region().await,
    };
    let conf = aws_config::provider_config::ProviderConfig::default()
        .with_http_client(http.clone())
        .with_region(region);
    let mut profile =
        aws_config::profile::ProfileFileCredentialsProvider::builder().configure(&conf);
    if let Some(name) = &opts.profile {
        profile = profile.profile_name(name);
    }
    aws_config::meta::credentials::CredentialsProviderChain::first_try("Profile", profile.build())
        .or_else(
            "WebIdentityToken",
            aws_config::web_identity_token::WebIdentityTokenCredentialsProvider::builder()
                .configure(&conf)
                .build(),
        )
        .or_else(
            "EcsContainer",
            aws_config::ecs::EcsCredentialsProvider::builder()
                .configure(&conf)
                .build(),
        )
        .or_else(
            "Ec2InstanceMetadata",
            aws_config::imds::credentials::ImdsCredentialsProvider::builder()
                .configure(&conf)
                .build(),
        )
}

/// Build the clients: the standard credential and region chain, then our overrides.
pub async fn build_clients(opts: &ClientOptions) -> Result<Clients> {
    let http = transport(opts)?;
    let shared = load(opts, &http).await;
    // The Python layer resolved the endpoint with botocore's full precedence: that URL, or
    // none, is final (aws-config's own sources, AWS_ENDPOINT_URL_S3 and the like, are not
    // consulted); the transport checks the final request anyway.
    let endpoint = Endpoint::parse(opts.endpoint_url.as_deref())?;
    let engine = Engine {
        transport: http,
        auth: if opts.anonymous {
            Auth::Anonymous
        } else {
            Auth::SigV4(shared.credentials_provider())
        },
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
        rate_limiter: opts
            .adaptive_retries
            .then(|| std::sync::Arc::new(crate::engine::RateLimiter::new())),
        retry_quota: (!opts.legacy_retries)
            .then(|| std::sync::Arc::new(crate::engine::RetryQuota::new())),
        unsigned_payload: endpoint.unsigned_payload(opts.payload_signing),
        signing_keys: std::sync::Arc::default(),
        temporary_credentials: std::sync::Arc::default(),
        user_agent: opts
            .user_agent
            .as_deref()
            .map(|ua| {
                http::HeaderValue::from_str(ua).map_err(|_| {
                    Error::InvalidConfig(format!("Invalid user_agent for a header: {ua:?}"))
                })
            })
            .transpose()?,
        checksums: ChecksumPolicy {
            request_when_required: opts.checksum_when_required == Some(true),
            response_when_required: opts.validate_when_required == Some(true),
        },
    };
    Ok(Clients { engine, endpoint })
}

/// Resolved credentials, as `Session.get_credentials()` returns them.
pub struct Resolved {
    pub credentials: Credentials,
    /// botocore's name of the provider that found them (`Credentials.method`).
    pub method: &'static str,
}

/// The credentials the client's chain resolves for `opts` (no client is built); `None`
/// when no provider has any, as botocore's `get_credentials()`.
pub async fn resolve_credentials(opts: &ClientOptions) -> Result<Option<Resolved>> {
    let http = transport(opts)?;
    let shared = load(opts, &http).await;
    let Some(provider) = shared.credentials_provider() else {
        return Ok(None);
    };
    match provider.provide_credentials().await {
        Ok(credentials) => {
            let method = method_name(&credentials);
            Ok(Some(Resolved {
                credentials,
                method,
            }))
        }
        Err(CredentialsError::CredentialsNotLoaded(_)) => Ok(None),
        // A provider that failed (an unreadable profile, a refused role): only the kind of
        // failure, not its source's text, which might quote a credentials file.
        Err(e) => Err(Error::InvalidConfig(format!(
            "credentials could not be resolved: {e}"
        ))),
    }
}

/// botocore's `Credentials.method` for what aws-config's provider recorded: the most
/// specific source first (an SSO or assumed role is also tagged as a profile's).
fn method_name(credentials: &Credentials) -> &'static str {
    use aws_credential_types::credential_feature::AwsCredentialFeature as F;
    let features = credentials
        .get_property::<Vec<F>>()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let has = |wanted: &[F]| features.iter().any(|f| wanted.contains(f));
    if has(&[F::CredentialsSso, F::CredentialsProfileSso]) {
        "sso"
    } else if has(&[F::CredentialsProcess, F::CredentialsProfileProcess]) {
        "custom-process"
    } else if has(&[
        F::CredentialsProfileStsWebIdToken,
        F::CredentialsEnvVarsStsWebIdToken,
        F::CredentialsStsAssumeRoleWebId,
    ]) {
        "assume-role-with-web-identity"
    } else if has(&[
        F::CredentialsStsAssumeRole,
        F::CredentialsProfileSourceProfile,
    ]) {
        "assume-role"
    } else if has(&[F::CredentialsLogin, F::CredentialsProfileLogin]) {
        "login"
    } else if has(&[F::CredentialsHttp]) {
        "container-role"
    } else if has(&[F::CredentialsImds]) {
        "iam-role"
    } else if has(&[F::CredentialsEnvVars]) {
        "env"
    } else if has(&[F::CredentialsProfile]) {
        // The Python layer tells the credentials file from the config file.
        "shared-credentials-file"
    } else {
        "explicit"
    }
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

    /// What aws-config's providers record, named as botocore names its providers.
    #[test]
    fn credential_sources_have_botocores_method_names() {
        use aws_credential_types::credential_feature::AwsCredentialFeature as F;
        let tagged = |features: &[F]| {
            let mut c = Credentials::new("AKID", "secret", None, None, "t");
            c.get_property_mut_or_default::<Vec<F>>()
                .extend(features.iter().cloned());
            method_name(&c)
        };
        assert_eq!(tagged(&[F::CredentialsEnvVars]), "env");
        assert_eq!(tagged(&[F::CredentialsProfile]), "shared-credentials-file");
        assert_eq!(tagged(&[F::CredentialsSso, F::CredentialsProfile]), "sso");
        assert_eq!(
            tagged(&[F::CredentialsStsAssumeRole, F::CredentialsProfile]),
            "assume-role"
        );
        assert_eq!(
            tagged(&[F::CredentialsProfileStsWebIdToken]),
            "assume-role-with-web-identity"
        );
        assert_eq!(
            tagged(&[F::CredentialsProcess, F::CredentialsProfile]),
            "custom-process"
        );
        assert_eq!(tagged(&[F::CredentialsHttp]), "container-role");
        assert_eq!(tagged(&[F::CredentialsImds]), "iam-role");
        assert_eq!(tagged(&[]), "explicit");
    }

    #[test]
    fn bad_endpoints_are_refused() {
        assert!(Endpoint::parse(Some("ftp://x")).is_err());
        assert!(Endpoint::parse(Some("not a url")).is_err());
    }
}
