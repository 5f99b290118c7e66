//! The native half of `client.meta.events`: the request-level events (`before-call`,
//! `before-sign`, `before-send`) fired by the engine where requests are built, for every
//! request (transfer parts included); and the parameter-level ones for transfer requests. The client holds a hook only while
//! handlers are registered for these events: with none, nothing here runs.

use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::convert::{to_python, BodySettings};
use crate::engine::Output;
use crate::error::{Error, Result};
use crate::model_types::Operation;
use crate::params::Params;
use crate::value::{Fields, Value};

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

/// For values that hold no streamed body (request members, responses without theirs).
fn no_bodies() -> BodySettings {
    BodySettings {
        read_timeout: Duration::ZERO,
        home: crate::runtime::Home::Shared,
        landing: std::cell::Cell::new(None),
    }
}

/// The transfer engine's side of `provide-client-params`, `before-parameter-build` and
/// `after-call`: a Python object (`s3seal.transfer._TransferEvents`) that fires them for
/// each request of a transfer, as boto3 fires them for each of s3transfer's client calls.
/// A transfer holds one only while handlers are registered for these events.
#[derive(Clone)]
pub struct CallHook(Arc<Py<PyAny>>);

impl std::fmt::Debug for CallHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallHook")
    }
}

impl CallHook {
    pub fn new(object: Py<PyAny>) -> Self {
        Self(Arc::new(object))
    }

    /// The parameters of one request, as the handlers left them: the template `name` of
    /// the transfer with this request's members `set`, through `before(name, operation,
    /// members) -> (params, state)`, then validated as any call's are. `state` goes back to
    /// [`CallHook::after`].
    pub fn before(
        &self,
        name: &str,
        op: &'static Operation,
        set: Fields,
    ) -> Result<(Params, Py<PyAny>)> {
        Python::attach(|py| {
            let members = PyDict::new(py);
            for (member, value) in set {
                members.set_item(member, to_python(py, value, &no_bodies())?)?;
            }
            let returned = self
                .0
                .call_method1(py, "before", (name, op.name, members))?;
            let (params, state): (Bound<'_, PyDict>, Py<PyAny>) = returned.extract(py)?;
            let params = crate::params::parse(py, op, Some(&params))?;
            Ok((params, state))
        })
    }

    /// `after-call` with the parsed response (its streamed body left out), or with the
    /// error response of a service error, as botocore fires it for a `ClientError`; any
    /// other failure fires `after-call-error` with its exception.
    pub fn after(
        &self,
        state: Py<PyAny>,
        outcome: std::result::Result<&Output, &Error>,
    ) -> Result<()> {
        Python::attach(|py| {
            let parsed = PyDict::new(py);
            match outcome {
                Ok(out) => {
                    for (name, value) in &out.fields {
                        if !matches!(value, Value::Stream(..)) {
                            parsed
                                .set_item(name, to_python(py, value.duplicate(), &no_bodies())?)?;
                        }
                    }
                    parsed.set_item("ResponseMetadata", out.meta.to_dict(py)?)?;
                }
                Err(Error::Service(e)) => {
                    let error = PyDict::new(py);
                    for (k, v) in &e.fields {
                        if v.is_empty() && k != "Message" {
                            error.set_item(k, py.None())?;
                        } else {
                            error.set_item(k, v)?;
                        }
                    }
                    parsed.set_item("Error", error)?;
                    parsed.set_item("ResponseMetadata", e.meta.to_dict(py)?)?;
                }
                // Not a response: botocore's after-call-error, with the exception.
                Err(other) => {
                    let Some(copy) = other.try_clone() else {
                        return Ok(());
                    };
                    let exception = PyErr::from(copy).into_value(py);
                    self.0.call_method1(py, "after_error", (state, exception))?;
                    return Ok(());
                }
            }
            self.0.call_method1(py, "after", (state, parsed))?;
            Ok(())
        })
    }
}
