//! A per-request interceptor: sets the header-bound parameters (serialised from the model
//! tables, like botocore) and records what botocore reports in `ResponseMetadata`: the
//! status, the raw response headers and the number of attempts.

use std::sync::{Arc, Mutex, PoisonError};

use aws_sdk_s3::config::interceptors::{
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextMut,
    BeforeTransmitInterceptorContextRef,
};
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use http::{HeaderName, HeaderValue};

use crate::events::{apply_headers, RequestHook, Stage};

/// What the last attempt of a request saw on the wire.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    pub attempts: u32,
    pub status: u16,
    /// Response headers in arrival order, names lower-cased (as in botocore's `HTTPHeaders`).
    pub headers: Vec<(String, String)>,
    pub url: String,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Hooks {
    headers: Arc<Vec<(HeaderName, HeaderValue)>>,
    /// Query-string parameters, already percent-encoded.
    query: Arc<String>,
    seen: Arc<Mutex<Seen>>,
    /// `client.meta.events`' request-level events, with the operation's name.
    events: Option<(RequestHook, &'static str)>,
}

impl Hooks {
    pub fn new(headers: Arc<Vec<(HeaderName, HeaderValue)>>, query: Arc<String>) -> Self {
        Self {
            headers,
            query,
            seen: Arc::default(),
            events: None,
        }
    }

    pub fn with_request_hook(mut self, hook: Option<RequestHook>, operation: &'static str) -> Self {
        self.events = hook.map(|h| (h, operation));
        self
    }

    /// Fire a request-level event on the SDK's request; handlers may change its headers.
    fn fire(&self, stage: Stage, request: &mut HttpRequest) -> Result<(), BoxError> {
        let Some((hook, operation)) = &self.events else {
            return Ok(());
        };
        let headers: Vec<(String, String)> = request
            .headers()
            .iter()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        let body = request.body().bytes().map(<[u8]>::to_vec);
        let method = request.method().to_owned();
        let uri = request.uri().to_owned();
        let changed = hook.emit(stage, operation, &method, &uri, headers, body.as_deref())?;
        let changed = apply_headers(changed)?;
        let headers = request.headers_mut();
        let names: Vec<String> = headers.iter().map(|(n, _)| n.to_owned()).collect();
        for name in names {
            headers.remove(name);
        }
        for (name, value) in changed {
            headers.append(name, value);
        }
        Ok(())
    }

    pub fn seen(&self) -> Seen {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn update(&self, f: impl FnOnce(&mut Seen)) {
        f(&mut self.seen.lock().unwrap_or_else(PoisonError::into_inner));
    }
}

impl Intercept for Hooks {
    fn name(&self) -> &'static str {
        "s3seal::Hooks"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let headers = request.headers_mut();
        for (name, value) in self.headers.iter() {
            headers.insert(name.clone(), value.clone());
        }
        if !self.query.is_empty() {
            let uri = request.uri();
            let joined = if uri.contains('?') {
                format!("{uri}&{}", self.query)
            } else {
                format!("{uri}?{}", self.query)
            };
            request.set_uri(joined)?;
        }
        self.fire(Stage::Call, request)?;
        self.fire(Stage::Sign, request)
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.fire(Stage::Send, context.request_mut())
    }

    fn read_before_attempt(
        &self,
        _: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.update(|seen| seen.attempts += 1);
        Ok(())
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // The full URL once the endpoint is resolved, without the query (botocore's form).
        let uri = context.request().uri();
        let url = uri.split('?').next().unwrap_or(uri).to_owned();
        self.update(|seen| seen.url = url);
        Ok(())
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        let status = response.status().as_u16();
        let mut headers: Vec<(String, String)> = Vec::with_capacity(response.headers().len());
        for (name, value) in response.headers() {
            let name = name.to_ascii_lowercase();
            // urllib3 joins repeated headers with ", "; botocore's dict shows that.
            if let Some(existing) = headers.iter_mut().find(|(n, _)| *n == name) {
                existing.1.push_str(", ");
                existing.1.push_str(value);
            } else {
                headers.push((name, value.to_owned()));
            }
        }
        self.update(|seen| {
            seen.status = status;
            seen.headers = headers;
        });
        Ok(())
    }
}
