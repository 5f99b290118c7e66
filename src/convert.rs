//! Owned [`Value`]s and [`Output`]s -> the Python objects botocore returns.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDateTime, PyDict, PyList, PyString, PyTzInfo};

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
        dict.set_item(member_key(py, name), to_python(py, value, bodies)?)?;
    }
    dict.set_item(pyo3::intern!(py, "ResponseMetadata"), out.meta.to_dict(py)?)?;
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
        Value::Time(t) => utc_datetime(py, t.secs(), t.subsec_nanos() / 1000)?.into_any(),
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
                d.set_item(member_key(py, k), to_python(py, v, bodies)?)?;
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

/// The dictionary keys every response repeats, made once per process.
///
/// A response dict's keys are the model's member names (`ContentLength`) and, in
/// `HTTPHeaders`, the header names servers send (`content-type`). Made per response, each
/// key was an allocation, a UTF-8 decode and a hash under the GIL: a GET's dicts made ~18
/// of them. Cached, a key is a lookup and an incref, and Python finds its hash computed.
struct Keys {
    /// By the address and length of the model's `&'static str`: no hashing of the text.
    members: HashMap<(usize, usize), Py<PyString>, Fx>,
    headers: HashMap<Box<str>, Py<PyString>, Fx>,
}

/// rustc's FxHash: a multiply and a rotate per word. With std's SipHash a lookup cost as
/// much as making the string it saved. Collisions cannot pile up: the header names, the
/// only keys a server chooses, are capped at [`MAX_CACHED_HEADER_NAMES`].
#[derive(Default)]
struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type Fx = std::hash::BuildHasherDefault<FxHasher>;

/// Header names are cached up to this many: `x-amz-meta-*` names are the user's own and
/// unbounded, and a long-lived client must not grow a cache of every name it has seen.
const MAX_CACHED_HEADER_NAMES: usize = 256;

fn keys<T>(py: Python<'_>, with: impl FnOnce(&mut Keys) -> T) -> T {
    static KEYS: PyOnceLock<Mutex<Keys>> = PyOnceLock::new();
    let keys = KEYS.get_or_init(py, || {
        Mutex::new(Keys {
            members: HashMap::default(),
            headers: HashMap::default(),
        })
    });
    // Held only with the GIL attached and never across Python code: uncontended.
    with(&mut keys.lock().unwrap_or_else(PoisonError::into_inner))
}

/// A model member name as a dictionary key.
pub fn member_key<'py>(py: Python<'py>, name: &'static str) -> Bound<'py, PyString> {
    keys(py, |k| {
        k.members
            .entry((name.as_ptr() as usize, name.len()))
            .or_insert_with(|| PyString::intern(py, name).unbind())
            .clone_ref(py)
    })
    .into_bound(py)
}

/// A (lower-cased) response header name as a dictionary key.
pub fn header_key<'py>(py: Python<'py>, name: &str) -> Bound<'py, PyString> {
    keys(py, |k| {
        if let Some(key) = k.headers.get(name) {
            return key.clone_ref(py);
        }
        let key = PyString::intern(py, name).unbind();
        if k.headers.len() < MAX_CACHED_HEADER_NAMES {
            k.headers.insert(name.into(), key.clone_ref(py));
        }
        key
    })
    .into_bound(py)
}

/// `datetime(..., tzinfo=timezone.utc)` for a Unix time, as botocore parses timestamps.
/// Built from its calendar fields: `datetime.fromtimestamp` goes through the C library's
/// time conversion and cost several microseconds per GET under the GIL.
fn utc_datetime(py: Python<'_>, secs: i64, micros: u32) -> PyResult<Bound<'_, PyDateTime>> {
    static UTC: PyOnceLock<Py<PyTzInfo>> = PyOnceLock::new();
    let utc = UTC
        .get_or_try_init(py, || PyTzInfo::utc(py).map(|u| u.to_owned().unbind()))?
        .bind(py);
    let (days, in_day) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    let year = i32::try_from(year).map_err(|_| {
        pyo3::exceptions::PyOverflowError::new_err("timestamp out of range for datetime")
    })?;
    PyDateTime::new(
        py,
        year,
        month,
        day,
        (in_day / 3600) as u8,
        (in_day % 3600 / 60) as u8,
        (in_day % 60) as u8,
        micros,
        Some(utc),
    )
}

/// The proleptic Gregorian (year, month, day) of a day count from 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
pub(crate) fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
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

#[cfg(test)]
mod tests {
    use super::civil_from_days;

    #[test]
    fn civil_dates_match_the_calendar() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(11_017), (2000, 3, 1));
        assert_eq!(civil_from_days(-719_162), (1, 1, 1));
        assert_eq!(civil_from_days(2_932_896), (9999, 12, 31));
        // Every day of 1900-2100 follows the one before it.
        let mut previous = civil_from_days(-25_567);
        assert_eq!(previous, (1900, 1, 1));
        for days in -25_566..=47_482 {
            let (y, m, d) = civil_from_days(days);
            let next_of_previous = d == previous.2 + 1 && m == previous.1 && y == previous.0;
            let new_month = d == 1
                && ((m == previous.1 + 1 && y == previous.0)
                    || (m == 1 && previous.1 == 12 && y == previous.0 + 1));
            assert!(
                next_of_previous || new_month,
                "{days}: {previous:?} -> {:?}",
                (y, m, d)
            );
            previous = (y, m, d);
        }
        assert_eq!(previous, (2100, 1, 1));
    }
}
