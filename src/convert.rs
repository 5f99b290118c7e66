//! Owned [`Value`]s and [`Output`]s -> the Python objects botocore returns.

use std::time::Duration;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDateTime, PyDict, PyList, PyTzInfo};

use crate::body::RawStream;
use crate::engine::Output;
use crate::runtime::Local;
use crate::value::Value;

/// What a streamed body in an output is read with.
#[derive(Clone)]
pub struct BodySettings {
    pub read_timeout: Duration,
    /// The runtime the response arrived on (see [`crate::runtime::wait_home`]).
    pub home: Option<Local>,
}

pub fn output_to_dict<'py>(
    py: Python<'py>,
    out: Output,
    bodies: &BodySettings,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (name, value) in out.fields {
        dict.set_item(name, to_python(py, value, bodies)?)?;
    }
    dict.set_item("ResponseMetadata", out.meta.to_dict(py)?)?;
    Ok(dict)
}

pub fn to_python<'py>(
    py: Python<'py>,
    value: Value,
    bodies: &BodySettings,
) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::None => py.None().into_bound(py),
        Value::Str(s) => s.into_pyobject(py)?.into_any(),
        Value::Secret(s) => s.expose().into_pyobject(py)?.into_any(),
        Value::Int(i) => i.into_pyobject(py)?.into_any(),
        Value::BigInt(text) => py.get_type::<pyo3::types::PyInt>().call1((text,))?,
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Time(t) => {
            let utc = PyTzInfo::utc(py)?;
            let secs = t.secs() as f64 + f64::from(t.subsec_nanos() / 1000) / 1e6;
            PyDateTime::from_timestamp(py, secs, Some(&utc))?.into_any()
        }
        Value::Map(pairs) => {
            let d = PyDict::new(py);
            for (k, v) in pairs {
                d.set_item(k, v)?;
            }
            d.into_any()
        }
        Value::List(items) => {
            let l = PyList::empty(py);
            for item in items {
                l.append(to_python(py, item, bodies)?)?;
            }
            l.into_any()
        }
        Value::Struct(fields) => {
            let d = PyDict::new(py);
            for (k, v) in fields {
                d.set_item(k, to_python(py, v, bodies)?)?;
            }
            d.into_any()
        }
        Value::Blob(b) => PyBytes::new(py, &b).into_any(),
        Value::Stream(stream, length) => {
            let raw = Bound::new(
                py,
                RawStream::new(stream, length, bodies.read_timeout, bodies.home.clone()),
            )?;
            streaming_body_class(py)?.call1((raw, length))?
        }
    })
}

/// `s3seal.response.StreamingBody`, looked up once: importing it on every GET showed up in
/// profiles (an import goes through `__import__` and the module's globals each time).
fn streaming_body_class(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static CLASS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    Ok(CLASS
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(
                py.import("s3seal.response")?
                    .getattr("StreamingBody")?
                    .unbind(),
            )
        })?
        .bind(py))
}
