//! The `Client` class: one thin method per operation. Each converts its arguments to owned
//! values with the GIL held, runs the operation with the GIL released (on the runtime
//! `runtime::wait_home` picks for the call), and builds botocore's response dict with the
//! GIL held again.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::body::Landing;
use crate::config::{
    build_clients, Addressing, ClientOptions, Clients, Endpoint, StaticCredentials, Verify,
};
use crate::convert::{output_to_dict, BodySettings};
use crate::engine::{Ctx, Extras, Output};
use crate::error::{Error, Result, ServiceError};
use crate::events::{CallHook, RequestHook};
use crate::model::{self};
use crate::model_types::Operation;
use crate::params::{parse, parse_template, Params};
use crate::runtime::{fork_generation, wait, wait_cancellable, wait_home, Home};
use crate::sse::Secret;
use crate::transfer::copy::{copy, CopyRequests};
use crate::transfer::download::{download, DownloadRequests, Target};
use crate::transfer::progress::Progress;
use crate::transfer::upload::{upload, Source, UploadRequests};
use crate::transfer::TransferStop;
use crate::transfer::{Plan, Throttle, Transfer};
use crate::transport::LandingZone;
use tokio_util::sync::CancellationToken;

struct Inner {
    opts: ClientOptions,
    endpoint: Endpoint,
    /// The region resolved from the arguments, environment and profile.
    region: String,
    /// The clients (and so the connection pool) of the current fork generation.
    /// Shared, not cloned, by each call: a clone of the engine and endpoint copied five
    /// strings per request.
    clients: Mutex<Option<(u64, Arc<Clients>)>>,
    /// Fires `before-call` / `before-sign` / `before-send` while handlers are registered.
    request_hook: Mutex<Option<RequestHook>>,
    /// Bucket regions learnt from cross-region redirects, as botocore caches them.
    bucket_regions: Mutex<HashMap<String, String>>,
}

impl Inner {
    async fn clients(&self) -> Result<Arc<Clients>> {
        let generation = fork_generation();
        if let Some((g, c)) = self
            .clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            if *g == generation {
                return Ok(Arc::clone(c));
            }
        }
        // Boxed: building the clients awaits aws-config's providers, a future of ~11 KiB
        // that would otherwise be carried (and copied) by every call's future.
        let clients = Arc::new(Box::pin(build_clients(&self.opts)).await?);
        *self.clients.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((generation, Arc::clone(&clients)));
        Ok(clients)
    }

    fn request_hook(&self) -> Option<RequestHook> {
        self.request_hook
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn cached_region(&self, bucket: Option<&str>) -> Option<String> {
        let bucket = bucket?;
        self.bucket_regions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(bucket)
            .cloned()
    }

    async fn ctx(&self, bucket: Option<&str>) -> Result<Ctx> {
        Ok(Ctx {
            region: self.cached_region(bucket),
            request_hook: self.request_hook(),
        })
    }

    /// Run one operation, following an S3 cross-region redirect once, as botocore does;
    /// a small streamed answer lands in `landing` (see `body.rs`, `Landing`).
    async fn run(&self, params: &Params, landing: Option<LandingZone>) -> Result<Output> {
        let bucket = params.str("Bucket");
        let mut ctx = self.ctx(bucket).await?;
        match self.run_in(&ctx, params, landing.clone()).await {
            Err(Error::Service(e)) => match redirect_region(&e, ctx.region.as_deref()) {
                Some(region) => {
                    if let Some(b) = bucket {
                        self.bucket_regions
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .insert(b.to_owned(), region.clone());
                    }
                    ctx.region = Some(region);
                    self.run_in(&ctx, params, landing).await
                }
                None => Err(Error::Service(e)),
            },
            other => other,
        }
    }

    /// Every operation runs through the model-driven engine (the transfer engine's
    /// requests too, see `Transfer::send`).
    async fn run_in(
        &self,
        ctx: &Ctx,
        params: &Params,
        landing: Option<LandingZone>,
    ) -> Result<Output> {
        let clients = self.clients().await?;
        let extras = Extras {
            landing,
            ..Extras::default()
        };
        clients
            .engine
            .call(
                params,
                ctx.region.as_deref(),
                ctx.request_hook.as_ref(),
                &extras,
            )
            .await
    }
}

/// botocore's `S3RegionRedirectorv2.redirect_from_error`: the region to retry in, if the
/// error says the bucket lives elsewhere.
pub fn redirect_region(e: &ServiceError, current: Option<&str>) -> Option<String> {
    let code = e.code();
    let status = e.meta.status;
    let header_region = e.meta.headers.get("x-amz-bucket-region").map(str::to_owned);
    let special_head = matches!(code, "301" | "400")
        && matches!(e.operation, "HeadObject" | "HeadBucket")
        && header_region.is_some();
    let wrong_signing_region =
        code == "AuthorizationHeaderMalformed" && e.field("Region").is_some();
    let redirect = matches!(status, 301 | 302 | 307) || code == "PermanentRedirect";
    if !(special_head || wrong_signing_region || redirect) {
        return None;
    }
    let region = header_region.or_else(|| e.field("Region").map(str::to_owned))?;
    (Some(region.as_str()) != current).then_some(region)
}

/// A `TransferConfig` as the Python layer passes it: (multipart_threshold,
/// multipart_chunksize, max_concurrency, num_download_attempts, io_chunksize, max_bandwidth).
type PlanArgs = (u64, u64, usize, u32, usize, Option<u64>);

/// What every transfer engine call takes from the Python layer besides its requests.
type TransferArgs<'py> = (
    PlanArgs,
    Option<Py<PyAny>>,
    Option<Py<PyAny>>,
    Option<PyRef<'py, TransferStop>>,
);

impl Inner {
    /// Run a transfer: set it up, run `body`, wait for the last progress callback. A
    /// raising callback's exception wins over the cancellation it caused.
    async fn transfer<F, Fut>(
        &self,
        bucket: &str,
        plan: PlanArgs,
        callback: Option<Py<PyAny>>,
        cancel: CancellationToken,
        events: Option<CallHook>,
        body: F,
    ) -> Result<()>
    where
        F: FnOnce(Arc<Transfer>) -> Fut,
        Fut: std::future::Future<Output = Result<()>>,
    {
        let (threshold, chunksize, concurrency, download_attempts, io_chunksize, bandwidth) = plan;
        let (progress, reporter) = Progress::start(callback, cancel.clone())
            .map_err(|e| Error::Internal(format!("cannot start the progress thread: {e}")))?;
        let t = Arc::new(Transfer {
            engine: self.clients().await?.engine.clone(),
            ctx: self.ctx(Some(bucket)).await?,
            redirected: Mutex::new(None),
            events,
            plan: Plan {
                threshold,
                chunksize,
                concurrency,
                download_attempts,
                io_chunksize: io_chunksize.max(1),
            },
            progress,
            throttle: bandwidth.map(Throttle::new),
            cancel,
            read_timeout: self.opts.read_timeout,
        });
        let outcome = body(Arc::clone(&t)).await;
        match reporter.finish(&t.progress).await {
            Some(raised) => Err(Error::Python(raised)),
            None => outcome,
        }
    }
}

/// The members a multipart request gets per call, not from `ExtraArgs`.
const UPLOAD_IDS: &[&str] = &["UploadId", "PartNumber", "CopySource"];

/// Parse one request template of a transfer from the Python layer's `requests` dict.
fn template(
    py: Python<'_>,
    requests: &Bound<'_, PyDict>,
    name: &str,
    op: &'static Operation,
    deferred: &[&str],
) -> PyResult<Params> {
    let kwargs = requests
        .get_item(name)?
        .ok_or_else(|| Error::Internal(format!("missing {name} request")))?;
    let kwargs = kwargs.cast_into::<PyDict>()?;
    Ok(parse_template(py, op, Some(&kwargs), deferred)?)
}

#[pyclass(module = "s3seal._native", frozen, subclass)]
pub struct Client {
    inner: Arc<Inner>,
}

impl Client {
    /// Run a transfer engine (`body`) with the GIL released until it is done, Ctrl-C and
    /// `stop` watched so it can clean up (see [`wait_cancellable`]).
    fn run_transfer<F, Fut>(
        &self,
        py: Python<'_>,
        bucket: String,
        (plan, callback, events, stop): TransferArgs<'_>,
        body: F,
    ) -> PyResult<()>
    where
        F: FnOnce(Arc<Transfer>) -> Fut + Send,
        Fut: std::future::Future<Output = Result<()>> + Send,
    {
        let inner = Arc::clone(&self.inner);
        let events = events.map(CallHook::new);
        Ok(wait_cancellable(
            py,
            stop.as_deref(),
            move |cancel| async move {
                inner
                    .transfer(&bucket, plan, callback, cancel, events, body)
                    .await
            },
        )?)
    }
    pub(crate) fn call<'py>(
        &self,
        py: Python<'py>,
        op: &'static Operation,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let params = parse(py, op, kwargs)?;
        let (landing, zone) = landing(py, op)?;
        let inner = Arc::clone(&self.inner);
        // Made by wait_home once the GIL is released (the future is ~6 KiB).
        let (out, home) = wait_home(py, move || async move { inner.run(&params, zone).await })?;
        let bodies = BodySettings {
            read_timeout: self.inner.opts.read_timeout,
            home,
            landing: Cell::new(landing),
        };
        output_to_dict(py, out, &bodies)
    }
}

/// For an operation answering with a streamed body: the bytes object a small one lands in
/// (see `body.rs`, `Landing`), and the zone the transport receives it into.
fn landing(py: Python<'_>, op: &Operation) -> PyResult<(Option<Landing>, Option<LandingZone>)> {
    if !op.streaming_output {
        return Ok((None, None));
    }
    let landing = Landing::new(py)?;
    let zone = landing.zone();
    Ok((Some(landing), Some(zone)))
}

/// botocore's `verify`: None/True (the default trust), False (no certificate checks), or
/// the path of a CA bundle.
fn verify_option(verify: Option<&Bound<'_, PyAny>>) -> PyResult<Verify> {
    let Some(v) = verify.filter(|v| !v.is_none()) else {
        return Ok(Verify::Default);
    };
    if let Ok(b) = v.cast::<pyo3::types::PyBool>() {
        return Ok(if b.is_true() {
            Verify::Default
        } else {
            Verify::Off
        });
    }
    Ok(Verify::CaBundle(
        v.extract::<std::path::PathBuf>()?
            .to_string_lossy()
            .into_owned(),
    ))
}

fn secret(v: Option<String>) -> Option<Secret> {
    v.map(Secret::new)
}

#[pymethods]
impl Client {
    #[new]
    #[pyo3(signature = (
        *, region_name=None, profile_name=None, endpoint_url=None, aws_access_key_id=None,
        aws_secret_access_key=None, aws_session_token=None, verify=None, max_attempts=5,
        retry_mode="legacy", connect_timeout=60.0, read_timeout=60.0, max_pool_connections=10,
        addressing_style=None, allow_sse_c_over_http=false, request_checksum_calculation=None,
        response_checksum_validation=None, payload_signing_enabled=None, cap_connections=false,
        unsigned=false, env_credentials=true, user_agent=None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        region_name: Option<String>,
        profile_name: Option<String>,
        endpoint_url: Option<String>,
        aws_access_key_id: Option<String>,
        aws_secret_access_key: Option<String>,
        aws_session_token: Option<String>,
        verify: Option<Bound<'_, PyAny>>,
        max_attempts: u32,
        retry_mode: &str,
        connect_timeout: f64,
        read_timeout: f64,
        max_pool_connections: usize,
        addressing_style: Option<&str>,
        allow_sse_c_over_http: bool,
        request_checksum_calculation: Option<&str>,
        response_checksum_validation: Option<&str>,
        payload_signing_enabled: Option<bool>,
        cap_connections: bool,
        unsigned: bool,
        env_credentials: bool,
        user_agent: Option<String>,
    ) -> PyResult<Self> {
        let credentials = match (aws_access_key_id, secret(aws_secret_access_key)) {
            (Some(access_key_id), Some(secret_access_key)) => Some(StaticCredentials {
                access_key_id,
                secret_access_key,
                session_token: secret(aws_session_token),
            }),
            (None, None) => None,
            _ => {
                return Err(Error::InvalidConfig(
                    "aws_access_key_id and aws_secret_access_key go together".into(),
                )
                .into())
            }
        };
        let addressing = match addressing_style {
            None | Some("auto") => Addressing::Auto,
            Some("path") => Addressing::Path,
            Some("virtual") => Addressing::Virtual,
            Some(other) => {
                return Err(
                    Error::InvalidConfig(format!("unknown addressing_style {other:?}")).into(),
                )
            }
        };
        let when_required = |v: Option<&str>| v.map(|v| v == "when_required");
        let opts = ClientOptions {
            region: region_name,
            profile: profile_name,
            endpoint_url,
            credentials,
            verify: verify_option(verify.as_ref())?,
            max_attempts,
            adaptive_retries: retry_mode == "adaptive",
            legacy_retries: retry_mode == "legacy",
            connect_timeout: Duration::from_secs_f64(connect_timeout.max(0.001)),
            read_timeout: Duration::from_secs_f64(read_timeout.max(0.001)),
            max_pool_connections,
            cap_connections,
            addressing,
            allow_sse_c_over_http,
            checksum_when_required: when_required(request_checksum_calculation),
            validate_when_required: when_required(response_checksum_validation),
            payload_signing: payload_signing_enabled,
            anonymous: unsigned,
            env_credentials,
            user_agent,
        };
        let build_opts = opts.clone();
        let clients = wait(py, async move { build_clients(&build_opts).await })?;
        Ok(Self {
            inner: Arc::new(Inner {
                opts,
                endpoint: clients.endpoint.clone(),
                region: clients.engine.target.region.clone(),
                clients: Mutex::new(Some((fork_generation(), Arc::new(clients)))),
                bucket_regions: Mutex::new(HashMap::new()),
                request_hook: Mutex::new(None),
            }),
        })
    }

    /// The endpoint URL requests go to (botocore's `client.meta.endpoint_url`): the one
    /// given or configured, else S3's for the client's region.
    #[getter]
    fn endpoint_url(&self) -> String {
        self.inner
            .endpoint
            .url
            .clone()
            .unwrap_or_else(|| match self.inner.region.as_str() {
                "us-east-1" | "aws-global" => "https://s3.amazonaws.com".to_owned(),
                region => format!("https://s3.{region}.amazonaws.com"),
            })
    }

    /// `'when_required'` or `'when_supported'`: whether transfers add a default CRC32.
    #[getter]
    fn _request_checksum_calculation(&self) -> &'static str {
        if self.inner.opts.checksum_when_required == Some(true) {
            "when_required"
        } else {
            "when_supported"
        }
    }

    #[getter]
    fn region_name(&self) -> Option<String> {
        self.inner.opts.region.clone()
    }

    /// The one dispatch of every operation: `operation` is the model's name
    /// (`"PutBucketEncryption"`), `kwargs` boto3's keyword arguments.
    #[pyo3(signature = (operation, kwargs=None))]
    fn _call<'py>(
        &self,
        py: Python<'py>,
        operation: &str,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let op = Operation::named(operation).ok_or_else(|| {
            pyo3::exceptions::PyAttributeError::new_err(format!(
                "S3 has no operation named {operation:?}"
            ))
        })?;
        self.call(py, op, kwargs)
    }

    /// `_call` as a coroutine (the async API): the awaitable resolves on s3seal's runtime,
    /// and cancelling it drops the in-flight request.
    #[pyo3(signature = (operation, kwargs=None))]
    fn _call_async<'py>(
        &self,
        py: Python<'py>,
        operation: &str,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let op = Operation::named(operation).ok_or_else(|| {
            pyo3::exceptions::PyAttributeError::new_err(format!(
                "S3 has no operation named {operation:?}"
            ))
        })?;
        let params = parse(py, op, kwargs)?;
        let (landing, zone) = landing(py, op)?;
        let inner = Arc::clone(&self.inner);
        let bodies = BodySettings {
            read_timeout: self.inner.opts.read_timeout,
            home: Home::Shared,
            landing: Cell::new(landing),
        };
        crate::aio::awaitable(
            py,
            move || async move { inner.run(&params, zone).await },
            move |py, out| Ok(output_to_dict(py, out?, &bodies)?.into_any().unbind()),
        )
    }

    /// Set (or, with None, clear) the callable that emits the request-level events.
    #[pyo3(signature = (hook=None))]
    fn _set_request_hook(&self, hook: Option<Py<PyAny>>) {
        *self
            .inner
            .request_hook
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = hook.map(RequestHook::new);
    }

    /// botocore's `generate_presigned_url` for `operation` with `kwargs`, valid for
    /// `expires_in` seconds; `http_method` overrides the operation's.
    #[pyo3(signature = (operation, kwargs, expires_in, http_method=None))]
    fn _presign(
        &self,
        py: Python<'_>,
        operation: &str,
        kwargs: Option<&Bound<'_, PyDict>>,
        expires_in: u64,
        http_method: Option<String>,
    ) -> PyResult<String> {
        let op = Operation::named(operation).ok_or_else(|| {
            pyo3::exceptions::PyAttributeError::new_err(format!(
                "S3 has no operation named {operation:?}"
            ))
        })?;
        let params = parse(py, op, kwargs)?;
        let inner = Arc::clone(&self.inner);
        Ok(wait(py, async move {
            let clients = inner.clients().await?;
            clients
                .engine
                .presign(
                    &params,
                    Duration::from_secs(expires_in),
                    http_method.as_deref(),
                )
                .await
        })?)
    }

    /// For `generate_presigned_post`: `(x-amz-credential, session token or None,
    /// x-amz-signature)` of the base64 `policy` at `epoch_seconds`; None for an anonymous
    /// client (`Config(signature_version=UNSIGNED)`), whose POST has no policy.
    #[allow(clippy::type_complexity)]
    fn _sign_post_policy(
        &self,
        py: Python<'_>,
        policy: String,
        epoch_seconds: u64,
    ) -> PyResult<Option<(String, Option<String>, String)>> {
        let inner = Arc::clone(&self.inner);
        let time = std::time::UNIX_EPOCH + Duration::from_secs(epoch_seconds);
        Ok(wait(py, async move {
            let clients = inner.clients().await?;
            clients.engine.sign_post_policy(&policy, time).await
        })?)
    }

    /// The engine of `upload_file` / `upload_fileobj`; `source` is a path (str) or a file
    /// object, `requests` the templates the Python layer built from `ExtraArgs`.
    #[pyo3(signature = (source, requests, callback, plan, size=None, events=None, stop=None))]
    #[allow(clippy::too_many_arguments)]
    fn _upload(
        &self,
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        requests: &Bound<'_, PyDict>,
        callback: Option<Py<PyAny>>,
        plan: PlanArgs,
        size: Option<u64>,
        events: Option<Py<PyAny>>,
        stop: Option<PyRef<'_, TransferStop>>,
    ) -> PyResult<()> {
        let req = UploadRequests {
            put: template(py, requests, "put", &model::PUT_OBJECT, &[])?,
            create: template(py, requests, "create", &model::CREATE_MULTIPART_UPLOAD, &[])?,
            part: template(py, requests, "part", &model::UPLOAD_PART, UPLOAD_IDS)?,
            complete: template(
                py,
                requests,
                "complete",
                &model::COMPLETE_MULTIPART_UPLOAD,
                UPLOAD_IDS,
            )?,
            abort: template(
                py,
                requests,
                "abort",
                &model::ABORT_MULTIPART_UPLOAD,
                UPLOAD_IDS,
            )?,
        };
        let source = match source.extract::<std::path::PathBuf>() {
            Ok(path) if source.is_instance_of::<pyo3::types::PyString>() => Source::Path(path),
            _ => Source::FileObj {
                obj: source.clone().unbind(),
                size,
            },
        };
        let bucket = req.put.string("Bucket").unwrap_or_default();
        self.run_transfer(py, bucket, (plan, callback, events, stop), |t| {
            upload(t, source, req)
        })
    }

    /// The engine of `download_file` / `download_fileobj`; `target` is a path (str) or a
    /// file object.
    #[pyo3(signature = (target, requests, callback, plan, events=None, stop=None))]
    #[allow(clippy::too_many_arguments)]
    fn _download(
        &self,
        py: Python<'_>,
        target: &Bound<'_, PyAny>,
        requests: &Bound<'_, PyDict>,
        callback: Option<Py<PyAny>>,
        plan: PlanArgs,
        events: Option<Py<PyAny>>,
        stop: Option<PyRef<'_, TransferStop>>,
    ) -> PyResult<()> {
        let req = DownloadRequests {
            head: template(py, requests, "head", &model::HEAD_OBJECT, &[])?,
            get: template(py, requests, "get", &model::GET_OBJECT, &[])?,
        };
        let target = if target.is_instance_of::<pyo3::types::PyString>() {
            Target::Path(target.extract()?)
        } else {
            Target::FileObj(target.clone().unbind())
        };
        let bucket = req.get.string("Bucket").unwrap_or_default();
        self.run_transfer(py, bucket, (plan, callback, events, stop), |t| {
            download(t, target, req)
        })
    }

    /// The engine of `copy`, after the Python layer's HeadObject on the source.
    #[pyo3(signature = (size, requests, callback, plan, events=None, stop=None))]
    #[allow(clippy::too_many_arguments)]
    fn _copy(
        &self,
        py: Python<'_>,
        size: u64,
        requests: &Bound<'_, PyDict>,
        callback: Option<Py<PyAny>>,
        plan: PlanArgs,
        events: Option<Py<PyAny>>,
        stop: Option<PyRef<'_, TransferStop>>,
    ) -> PyResult<()> {
        let req = CopyRequests {
            single: template(py, requests, "single", &model::COPY_OBJECT, &[])?,
            create: template(py, requests, "create", &model::CREATE_MULTIPART_UPLOAD, &[])?,
            part: template(py, requests, "part", &model::UPLOAD_PART_COPY, UPLOAD_IDS)?,
            complete: template(
                py,
                requests,
                "complete",
                &model::COMPLETE_MULTIPART_UPLOAD,
                UPLOAD_IDS,
            )?,
            abort: template(
                py,
                requests,
                "abort",
                &model::ABORT_MULTIPART_UPLOAD,
                UPLOAD_IDS,
            )?,
        };
        let bucket = req.single.string("Bucket").unwrap_or_default();
        self.run_transfer(py, bucket, (plan, callback, events, stop), |t| {
            copy(t, size, req)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ResponseMeta;

    fn error(
        operation: &'static str,
        status: u16,
        code: &str,
        headers: &[(&str, &str)],
    ) -> ServiceError {
        ServiceError {
            operation,
            fields: vec![
                ("Code".into(), code.into()),
                ("Message".into(), String::new()),
            ],
            meta: ResponseMeta {
                status,
                headers: headers.iter().copied().collect(),
                ..ResponseMeta::default()
            },
        }
    }

    #[test]
    fn follows_permanent_redirects_to_the_bucket_region() {
        let e = error(
            "GetObject",
            301,
            "PermanentRedirect",
            &[("x-amz-bucket-region", "eu-west-1")],
        );
        assert_eq!(
            redirect_region(&e, Some("us-east-1")).as_deref(),
            Some("eu-west-1")
        );
        // Already there: no second redirect.
        assert_eq!(redirect_region(&e, Some("eu-west-1")), None);
    }

    #[test]
    fn head_400_redirects_only_with_a_region_header() {
        let with = error(
            "HeadObject",
            400,
            "400",
            &[("x-amz-bucket-region", "ap-south-1")],
        );
        assert_eq!(redirect_region(&with, None).as_deref(), Some("ap-south-1"));
        let without = error("HeadObject", 400, "400", &[]);
        assert_eq!(redirect_region(&without, None), None);
    }

    #[test]
    fn ordinary_errors_do_not_redirect() {
        let e = error(
            "GetObject",
            403,
            "AccessDenied",
            &[("x-amz-bucket-region", "eu-west-1")],
        );
        assert_eq!(redirect_region(&e, None), None);
    }
}
