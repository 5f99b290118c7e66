//! The native half of `client.meta.events`: the request-level events (`before-call`,
//! `before-sign`, `before-send`) fired from where requests are built, for the engine's and
//! the SDK's requests alike (transfer parts included). The client holds a hook only while
//! handlers are registered for these events: with none, nothing here runs.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::error::{Error, Result};

/// Where a request is when its event fires.
#[derive(Debug, Clone, Copy)]
pub enum Stage {
    /// Serialised, not signed (botocore's `before-call`).
    Call,
    /// About to be signed (`before-sign`).
    Sign,
    /// Signed, about to leave (`before-send`).
    Send,
}

impl Stage {
    fn event(self) -> &'static str {
        match self {
            Stage::Call => "before-call",
            Stage::Sign => "before-sign",
            Stage::Send => "before-send",
        }
    }
}

/// The Python callable that emits the request-level events:
/// `hook(event, operation, method, url, headers: dict, body: bytes | None) -> dict`, the
/// returned dict being the request's headers from then on.
#[derive(Clone)]
pub struct RequestHook(Arc<Py<PyAny>>);

impl std::fmt::Debug for RequestHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RequestHook")
    }
}

impl RequestHook {
    pub fn new(callable: Py<PyAny>) -> Self {
        Self(Arc::new(callable))
    }

    /// Fire `stage`'s event for `operation`; returns the headers as the handlers left them.
    pub fn emit(
        &self,
        stage: Stage,
        operation: &str,
        method: &str,
        url: &str,
        headers: Vec<(String, String)>,
        body: Option<&[u8]>,
    ) -> Result<Vec<(String, String)>> {
        Python::attach(|py| {
            let dict = PyDict::new(py);
            for (name, value) in &headers {
                dict.set_item(name, value)?;
            }
            let body = body.map(|b| PyBytes::new(py, b));
            let returned = self
                .0
                .call1(py, (stage.event(), operation, method, url, dict, body))?;
            let returned = returned.bind(py).cast::<PyDict>().map_err(|_| {
                Error::Internal("the request hook must return the headers as a dict".into())
            })?;
            let mut out = Vec::with_capacity(returned.len());
            for (name, value) in returned.iter() {
                out.push((name.str()?.to_string(), value.str()?.to_string()));
            }
            Ok(out)
        })
    }
}

/// Replace `headers` with `changed`, checking every name and value (a handler may write
/// anything into the dict).
pub fn apply_headers(
    changed: Vec<(String, String)>,
) -> Result<Vec<(http::HeaderName, http::HeaderValue)>> {
    changed
        .into_iter()
        .map(|(name, value)| {
            let header = http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                Error::ParamValidation(format!(
                    "Invalid header name from an event handler: {name:?}"
                ))
            })?;
            let mut value = http::HeaderValue::try_from(value).map_err(|_| {
                Error::ParamValidation(format!(
                    "Invalid value for header {name} from an event handler"
                ))
            })?;
            value.set_sensitive(name.to_ascii_lowercase().contains("customer-key"));
            Ok((header, value))
        })
        .collect()
}

/// Headers as the hook sees them.
pub fn header_strings(headers: &[(http::HeaderName, http::HeaderValue)]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}
