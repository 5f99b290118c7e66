//! Owned [`Value`]s and [`Output`]s -> the Python objects botocore returns.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDateTime, PyDict, PyList, PyString, PyTzInfo};

use crate::body::{Landing, RawStream};
use crate::engine::{Output, ResponseHeaders};
use crate::fxhash::{Fx, FxHasher};
use crate::runtime::Home;
use crate::value::Value;

/// What a streamed body in an output is read with.
pub struct BodySettings {
    pub read_timeout: Duration,
    /// The runtime the response arrived on (see [`crate::runtime::wait_home`]).
    pub home: Home,
    /// The bytes object the call's streamed body may have landed in (taken by that body).
    pub landing: Cell<Option<Landing>>,
}

pub fn output_to_dict<'py>(
    py: Python<'py>,
    out: Output,
    bodies: &BodySettings,
) -> PyResult<Bound<'py, PyDict>> {
    let Output { mut fields, meta } = out;
    let dict = dict_with_room(py, fields.len() + 1)?;
    let (meta_dict, header_values) = meta.to_dict_sharing(py)?;
    for (name, value) in fields.iter_mut() {
        let value = match value {
            // A member bound to a header (ETag, ContentType, ...) holds that header's text:
            // the string HTTPHeaders has serves both, one allocation fewer each. (Any
            // member that happens to have the same text shares it too: strings are
            // immutable, and equal is all a caller can see.)
            Value::Str(text) => match meta.headers.position_of_value(text) {
                Some(i) => header_values[i].clone().into_any(),
                None => PyString::new(py, text).into_any(),
            },
            other => to_python(py, std::mem::replace(other, Value::None), bodies)?,
        };
        dict.set_item(member_key(py, name), value)?;
    }
    dict.set_item(pyo3::intern!(py, "ResponseMetadata"), meta_dict)?;
    // The texts the dict was made from (the members' strings too) are freed later, with
    // the GIL released: here each was a free() on the path every other thread waits for.
    crate::runtime::free_later((meta, fields));
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
            let d = dict_with_room(py, pairs.len())?;
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
            let d = dict_with_room(py, fields.len())?;
            for (k, v) in fields {
                d.set_item(member_key(py, k), to_python(py, v, bodies)?)?;
            }
            d.into_any()
        }
        Value::Blob(b) => PyBytes::new(py, &b).into_any(),
        Value::Stream(stream, length) => {
            let raw = RawStream::new(
                py,
                stream,
                length,
                bodies.read_timeout,
                bodies.home.clone(),
                bodies.landing.take(),
            )?;
            let raw = Bound::new(py, raw)?;
            crate::streaming_body::new_streaming_body(py, raw, length)?
        }
    })
}

extern "C" {
    /// CPython's dict made with room for `minused` entries (not in pyo3-ffi; exported by
    /// every CPython s3seal supports).
    fn _PyDict_NewPresized(minused: pyo3::ffi::Py_ssize_t) -> *mut pyo3::ffi::PyObject;
}

/// An empty dict with room for `entries`. `PyDict_New` grows by resizing (a rehash of
/// everything in it) at the 6th and 11th entry, and a GET's dict and its `HTTPHeaders`
/// pass both, under the GIL.
pub fn dict_with_room(py: Python<'_>, entries: usize) -> PyResult<Bound<'_, PyDict>> {
    if entries <= 5 {
        return Ok(PyDict::new(py)); // what PyDict_New holds without resizing
    }
    let entries = pyo3::ffi::Py_ssize_t::try_from(entries).unwrap_or(pyo3::ffi::Py_ssize_t::MAX);
    // SAFETY: returns a new reference to a dict, or NULL with an exception set.
    unsafe {
        Ok(Bound::from_owned_ptr_or_err(py, _PyDict_NewPresized(entries))?.cast_into_unchecked())
    }
}

/// The dictionary keys every response repeats, made once per process.
///
/// A response dict's keys are the model's member names (`ContentLength`) and, in
/// `HTTPHeaders`, the header names servers send (`content-type`). Made per response, each
/// key was an allocation, a UTF-8 decode and a hash under the GIL: a GET's dicts made ~18
/// of them. Cached, a key is a lookup and an incref, and Python finds its hash computed.
///
/// The maps hash with FxHash (`crate::fxhash`): with std's SipHash a lookup cost as much as
/// making the string it saved. Collisions cannot pile up: the header names, the only keys a
/// server chooses, are capped at [`MAX_CACHED_HEADER_NAMES`], and a value's set holds two.
struct Keys {
    /// Member names spelled by s3seal's own literals (the model's own texts are made once,
    /// in `model_index`), by the address and length of the `&'static str`.
    members: HashMap<(usize, usize), Py<PyString>, Fx>,
    headers: HashMap<Box<str>, HeaderName, Fx>,
    /// The values last seen of the [`REPEATING_HEADERS`], two per set (the one used last
    /// first), the set chosen by the text's hash. A value that changes (the date, each
    /// second) takes over the older of its set's two: a value it lands beside stays.
    values: Vec<ValueSet>,
    /// [`Layout`]s by the hash of their names (see [`http_headers`]).
    layouts: Vec<Option<Layout>>,
    /// For each layout place, the hash of the names seen there last without a layout: a
    /// layout is made the second time in a row its names come, not for a one-off.
    candidates: Vec<u64>,
}

/// A sequence of response header names as a server sends it response after response,
/// with an `HTTPHeaders` dict of them to copy.
struct Layout {
    names_hash: u64,
    names: Vec<Box<str>>,
    /// By position, the texts of the repeating values (see [`REPEATING_HEADERS`])
    /// `template` holds; `None` where it holds None (a value made for each response alone).
    values: Vec<Option<Box<str>>>,
    template: Py<PyDict>,
}

/// How many layouts are kept (2^bits), the place chosen by the hash of the names.
const LAYOUT_BITS: u32 = 3;
const LAYOUTS: usize = 1 << LAYOUT_BITS;

struct HeaderName {
    key: Py<PyString>,
    values_repeat: bool,
}

/// Response headers whose values repeat from one response to the next (a type, a length,
/// the ETag of an object read again, the date within its second) and are never secret:
/// their value strings are kept (in [`Keys::values`]) and shared, as the names are. Made
/// per response, a GET's header values were half the strings of its dict. Request ids,
/// user metadata and the `x-amz-server-side-encryption-*` headers that name a key (KMS key
/// ids and contexts, SSE-C key MD5s) are not here: their values are made for each response
/// alone. The SSE-C algorithm (`AES256`, on every SSE-C response) names none.
const REPEATING_HEADERS: [&str; 21] = [
    "accept-ranges",
    "cache-control",
    "connection",
    "content-disposition",
    "content-encoding",
    "content-language",
    "content-length",
    "content-type",
    "date",
    "etag",
    "expires",
    "last-modified",
    "server",
    "vary",
    "x-amz-bucket-region",
    "x-amz-checksum-type",
    "x-amz-delete-marker",
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-storage-class",
    "x-amz-version-id",
];

/// How many sets of two repeating values are kept (2^bits), and the longest kept (a long
/// value rarely repeats).
const VALUE_SET_BITS: u32 = 5;
const VALUE_SETS: usize = 1 << VALUE_SET_BITS;
const MAX_KEPT_VALUE: usize = 64;

/// Two kept values (text and string), the one used last first.
type ValueSet = [Option<(Box<str>, Py<PyString>)>; 2];

/// Header names are cached up to this many: `x-amz-meta-*` names are the user's own and
/// unbounded, and a long-lived client must not grow a cache of every name it has seen.
const MAX_CACHED_HEADER_NAMES: usize = 256;

fn keys<T>(py: Python<'_>, with: impl FnOnce(&mut Keys) -> T) -> T {
    static KEYS: PyOnceLock<Mutex<Keys>> = PyOnceLock::new();
    let keys = KEYS.get_or_init(py, || {
        Mutex::new(Keys {
            members: HashMap::default(),
            headers: HashMap::default(),
            values: (0..VALUE_SETS).map(|_| [None, None]).collect(),
            layouts: (0..LAYOUTS).map(|_| None).collect(),
            candidates: vec![0; LAYOUTS],
        })
    });
    // Held only with the GIL attached and never across Python code: uncontended.
    with(&mut keys.lock().unwrap_or_else(PoisonError::into_inner))
}

/// A model member name as a dictionary key.
pub fn member_key<'py>(py: Python<'py>, name: &'static str) -> Bound<'py, PyString> {
    if let Some(key) = crate::model_index::model_key(py, name) {
        return key;
    }
    // A literal of s3seal's own, not the model's text: kept here once made.
    keys(py, |k| {
        k.members
            .entry((name.as_ptr() as usize, name.len()))
            .or_insert_with(|| PyString::intern(py, name).unbind())
            .clone_ref(py)
    })
    .into_bound(py)
}

/// A response's `HTTPHeaders` dict, and the strings made for the header values, in the
/// order of `headers` (a response member bound to a header shares its string).
///
/// Made item by item, a GET's seven headers cost ~4,000 instructions under the GIL: a
/// cached lookup of each name and value, then an insertion each. But a server sends the
/// same names in the same order response after response. The second time in a row a
/// sequence of names comes, the dict made for it is kept as a template (the values that
/// are not [`REPEATING_HEADERS`] replaced by None), and a response with those names then
/// copies it (`PyDict_Copy` copies the table whole) and sets only the values that differ.
pub fn http_headers<'py>(
    py: Python<'py>,
    headers: &ResponseHeaders,
) -> PyResult<(Bound<'py, PyDict>, Vec<Bound<'py, PyString>>)> {
    let names_hash = names_hash(headers);
    if let Some(copyable) = keys(py, |k| k.layout_for(py, names_hash, headers)) {
        return from_template(py, headers, copyable);
    }
    let dict = dict_with_room(py, headers.len())?;
    let mut values = Vec::with_capacity(headers.len());
    let mut items = Vec::with_capacity(headers.len());
    for (name, value) in headers.iter() {
        let (key, string, kept) = header_item(py, name, value);
        dict.set_item(&key, &string)?;
        values.push(string);
        items.push((key, kept));
    }
    // A layout is by position: not for a response that repeats a name (its dict has
    // fewer items than it has headers), nor for more headers than a mask has bits.
    let by_position = dict.len() == headers.len() && headers.len() <= MASK_BITS;
    if by_position && keys(py, |k| k.second_sighting(names_hash)) {
        let template = dict.copy()?;
        for (key, kept) in &items {
            if !kept {
                template.set_item(key, py.None())?;
            }
        }
        let kept = items.iter().map(|(_, kept)| *kept);
        keys(py, |k| k.keep_layout(names_hash, headers, kept, template));
    }
    Ok((dict, values))
}

/// Positions in a layout, as bits of a mask.
type Mask = u64;
const MASK_BITS: usize = Mask::BITS as usize;

/// A layout's template, and of the positions, which hold a repeating value and which a
/// value other than the response's.
struct Copyable {
    template: Py<PyDict>,
    repeating: Mask,
    differing: Mask,
}

/// [`http_headers`] from a copy of a layout's template.
fn from_template<'py>(
    py: Python<'py>,
    headers: &ResponseHeaders,
    copyable: Copyable,
) -> PyResult<(Bound<'py, PyDict>, Vec<Bound<'py, PyString>>)> {
    // Copied with the lock released: a dict allocation may run the garbage collector, and
    // with it any finalizer, which may make a response too.
    let dict = copyable.template.bind(py).copy()?;
    let mut values = Vec::with_capacity(headers.len());
    // The copy's items are in the template's order, the names' (values replaced in
    // place keep their place).
    for (i, ((key, held), (_, value))) in dict.iter().zip(headers.iter()).enumerate() {
        let bit = 1 << i;
        if copyable.differing & bit == 0 {
            values.push(held.cast_into::<PyString>()?);
            continue;
        }
        let string = if copyable.repeating & bit != 0 {
            keys(py, |k| k.repeating_value(py, value)).into_bound(py)
        } else {
            PyString::new(py, value)
        };
        dict.set_item(key, &string)?;
        values.push(string);
    }
    Ok((dict, values))
}

fn names_hash(headers: &ResponseHeaders) -> u64 {
    let mut hash = FxHasher::default();
    for (name, _) in headers.iter() {
        std::hash::Hasher::write(&mut hash, name.as_bytes());
        std::hash::Hasher::write_u8(&mut hash, 0xff);
    }
    std::hash::Hasher::finish(&hash)
}

/// The place of a layout (the top bits: FxHash's low bits mix only the text's low bits).
fn layout_place(names_hash: u64) -> usize {
    (names_hash >> (64 - LAYOUT_BITS)) as usize
}

/// A response header (its name lower-cased) as an item of `HTTPHeaders`: the name's
/// string, the value's, and whether that string is a kept one (a repeating value's).
fn header_item<'py>(
    py: Python<'py>,
    name: &str,
    value: &str,
) -> (Bound<'py, PyString>, Bound<'py, PyString>, bool) {
    let (key, value, kept) = keys(py, |k| {
        let (key, values_repeat) = k.header_name(py, name);
        if values_repeat && value.len() <= MAX_KEPT_VALUE {
            (key, k.repeating_value(py, value), true)
        } else {
            (key, PyString::new(py, value).unbind(), false)
        }
    });
    (key.into_bound(py), value.into_bound(py), kept)
}

impl Keys {
    /// The layout of `headers`' names, if there is one, compared with their values.
    fn layout_for(
        &self,
        py: Python<'_>,
        names_hash: u64,
        headers: &ResponseHeaders,
    ) -> Option<Copyable> {
        let layout = self.layouts[layout_place(names_hash)].as_ref()?;
        let same_names = layout.names_hash == names_hash
            && layout.names.len() == headers.len()
            && (layout.names.iter().zip(headers.iter())).all(|(kept, (name, _))| **kept == *name);
        if !same_names {
            return None;
        }
        let (mut repeating, mut differing) = (0, 0);
        for (i, (kept, (_, value))) in layout.values.iter().zip(headers.iter()).enumerate() {
            let bit: Mask = 1 << i;
            match kept {
                Some(text) if **text == *value => repeating |= bit,
                Some(_) => (repeating, differing) = (repeating | bit, differing | bit),
                None => differing |= bit,
            }
        }
        Some(Copyable {
            template: layout.template.clone_ref(py),
            repeating,
            differing,
        })
    }

    /// Whether `names_hash` came last too, where it has no layout yet.
    fn second_sighting(&mut self, names_hash: u64) -> bool {
        let place = layout_place(names_hash);
        let candidate = std::mem::replace(&mut self.candidates[place], names_hash);
        candidate == names_hash
    }

    /// Keep `template` for `headers`' names; `kept` tells, by position, which values it
    /// holds (the others it holds as None).
    fn keep_layout(
        &mut self,
        names_hash: u64,
        headers: &ResponseHeaders,
        kept: impl Iterator<Item = bool>,
        template: Bound<'_, PyDict>,
    ) {
        let values = (headers.iter().zip(kept))
            .map(|((_, value), kept)| kept.then(|| value.into()))
            .collect();
        // A layout replaced here is released with the GIL held (a dict of strings: no
        // finalizer runs).
        self.layouts[layout_place(names_hash)] = Some(Layout {
            names_hash,
            names: headers.iter().map(|(name, _)| name.into()).collect(),
            values,
            template: template.unbind(),
        });
    }

    fn header_name(&mut self, py: Python<'_>, name: &str) -> (Py<PyString>, bool) {
        if let Some(known) = self.headers.get(name) {
            return (known.key.clone_ref(py), known.values_repeat);
        }
        let key = PyString::intern(py, name).unbind();
        let values_repeat = REPEATING_HEADERS.contains(&name);
        if self.headers.len() < MAX_CACHED_HEADER_NAMES {
            let known = HeaderName {
                key: key.clone_ref(py),
                values_repeat,
            };
            self.headers.insert(name.into(), known);
        }
        (key, values_repeat)
    }

    fn repeating_value(&mut self, py: Python<'_>, value: &str) -> Py<PyString> {
        let mut hash = FxHasher::default();
        std::hash::Hasher::write(&mut hash, value.as_bytes());
        // The top bits: FxHash's low bits mix only the text's low bits.
        let top = std::hash::Hasher::finish(&hash) >> (64 - VALUE_SET_BITS);
        let set = &mut self.values[top as usize];
        if set[1].as_ref().is_some_and(|(text, _)| **text == *value) {
            set.swap(0, 1);
        }
        if let Some((text, string)) = &set[0] {
            if **text == *value {
                return string.clone_ref(py);
            }
        }
        let string = PyString::new(py, value).unbind();
        // The older of the two goes (released here, with the GIL held).
        set[1] = set[0].take();
        set[0] = Some((value.into(), string.clone_ref(py)));
        string
    }
}

/// `datetime(..., tzinfo=timezone.utc)` for a Unix time, as botocore parses timestamps,
/// shared with the last response that had the same time: datetimes are immutable, and an
/// object read again and again (a GET's `LastModified`) repeats its time. Made for each
/// response it was ~300 instructions under the GIL (made, then freed).
fn utc_datetime(py: Python<'_>, secs: i64, micros: u32) -> PyResult<Bound<'_, PyDateTime>> {
    static LAST: Mutex<Option<(i64, u32, Py<PyDateTime>)>> = Mutex::new(None);
    let lock = || LAST.lock().unwrap_or_else(PoisonError::into_inner);
    // Never held across Python code: making a datetime can release the GIL (the first
    // one imports `datetime`), and a thread that took the GIL then would wait for this
    // lock while holding it, for ever.
    let kept = match &*lock() {
        Some((s, m, made)) if (*s, *m) == (secs, micros) => Some(made.clone_ref(py)),
        _ => None,
    };
    if let Some(made) = kept {
        return Ok(made.into_bound(py));
    }
    let made = new_utc_datetime(py, secs, micros)?;
    let before = lock().replace((secs, micros, made.clone().unbind()));
    drop(before); // freed with the lock released
    Ok(made)
}

/// Built from its calendar fields: `datetime.fromtimestamp` goes through the C library's
/// time conversion and cost several microseconds per GET under the GIL.
fn new_utc_datetime(py: Python<'_>, secs: i64, micros: u32) -> PyResult<Bound<'_, PyDateTime>> {
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
