//! The native parts of `s3seal.response.StreamingBody` (`get_object()['Body']`): made
//! without running its `__init__`, and its `read()`, both on every GET under the GIL.

use pyo3::exceptions::{PyAttributeError, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyInt, PyTuple, PyType};

use crate::body::RawStream;
use crate::error::Error;

const RAW_STREAM: usize = 0;
const CONTENT_LENGTH: usize = 1;
const AMOUNT_READ: usize = 2;

/// `s3seal.response.StreamingBody` and where in its objects the three slots `__init__`
/// sets live, looked up once: importing it on every GET showed up in profiles (an import
/// goes through `__import__` and the module's globals each time).
struct BodyClass {
    class: Py<PyType>,
    /// The byte offsets of `_raw_stream`, `_content_length` and `_amount_read`.
    slots: [ffi::Py_ssize_t; 3],
}

fn streaming_body_class(py: Python<'_>) -> PyResult<&BodyClass> {
    static CLASS: PyOnceLock<BodyClass> = PyOnceLock::new();
    CLASS.get_or_try_init(py, || {
        let class = py
            .import("s3seal.response")?
            .getattr("StreamingBody")?
            .cast_into::<PyType>()?;
        let slots = [
            slot_offset(&class, "_raw_stream")?,
            slot_offset(&class, "_content_length")?,
            slot_offset(&class, "_amount_read")?,
        ];
        Ok(BodyClass {
            class: class.unbind(),
            slots,
        })
    })
}

/// Where the `__slots__` member `name` of `class` is stored in its objects: the offset its
/// member descriptor reads and writes.
fn slot_offset(class: &Bound<'_, PyType>, name: &str) -> PyResult<ffi::Py_ssize_t> {
    let descriptor = class.getattr(name)?;
    let not_a_slot =
        || pyo3::exceptions::PyTypeError::new_err(format!("StreamingBody.{name} is not a slot"));
    // SAFETY: the type is checked before the object is read as a member descriptor, whose
    // `d_member` points at the class's member table (alive as long as the class).
    unsafe {
        let ptr = descriptor.as_ptr();
        if ffi::Py_TYPE(ptr) != std::ptr::addr_of_mut!(ffi::PyMemberDescr_Type) {
            return Err(not_a_slot());
        }
        let member = (*ptr.cast::<ffi::PyMemberDescrObject>())
            .d_member
            .cast::<ffi::PyMemberDef>();
        if (*member).type_code != ffi::Py_T_OBJECT_EX {
            return Err(not_a_slot());
        }
        Ok((*member).offset)
    }
}

/// `StreamingBody(raw, length)` without running its `__init__` in Python: the object is
/// made by the class's `tp_new` and its three slots are given what `__init__` sets (keep
/// the two in step; tests/test_roundtrip.py compares them). Calling the class ran
/// `__init__` in an interpreter frame on every GET, under the GIL; three `setattr`s
/// still cost ~750 instructions (an MRO lookup and a descriptor call each), the stores
/// a few.
pub fn new_streaming_body<'py>(
    py: Python<'py>,
    raw: Bound<'py, RawStream>,
    length: Option<u64>,
) -> PyResult<Bound<'py, PyAny>> {
    let BodyClass { class, slots } = streaming_body_class(py)?;
    let tp = class.bind(py).as_type_ptr();
    let values = [
        raw.into_any(),
        length.into_pyobject(py)?.into_any(),
        0u8.into_pyobject(py)?.into_any(),
    ];
    // SAFETY: `tp` is a live type object (held by CLASS); its `tp_new` is called as
    // `type(...)` would call it, with an empty argument tuple and no keywords. The object
    // it returns is new and seen by nobody else; its slots, at the offsets its class's
    // member descriptors use, are NULL (objects are allocated zeroed) and each takes a
    // reference, as a slot's `__set__` would.
    unsafe {
        let new = (*tp)
            .tp_new
            .ok_or_else(|| pyo3::exceptions::PyTypeError::new_err("StreamingBody has no tp_new"))?;
        let args = pyo3::types::PyTuple::empty(py);
        let body = Bound::from_owned_ptr_or_err(py, new(tp, args.as_ptr(), std::ptr::null_mut()))?;
        for (offset, value) in slots.iter().zip(values) {
            let slot = slot_address(&body, *offset);
            debug_assert!((*slot).is_null());
            *slot = value.into_ptr();
        }
        Ok(body)
    }
}

/// Where the slot at `offset` of `body` holds its object (a strong reference or NULL).
///
/// # Safety
/// `body` is an instance of StreamingBody or a subclass (whose slots share the base's
/// offsets), and `offset` one of [`BodyClass`]'s.
unsafe fn slot_address(
    body: &Bound<'_, PyAny>,
    offset: ffi::Py_ssize_t,
) -> *mut *mut ffi::PyObject {
    // SAFETY: the offset lies inside the object (see above).
    unsafe { body.as_ptr().cast::<u8>().offset(offset).cast() }
}

/// The object in slot `which` of `body`, as the slot's `__get__` would give it.
fn slot<'py>(body: &Bound<'py, PyAny>, which: usize) -> PyResult<Bound<'py, PyAny>> {
    let offset = streaming_body_class(body.py())?.slots[which];
    // SAFETY: `body` is an instance of the class the offset was read from (the method
    // descriptor checks it).
    unsafe { Bound::from_borrowed_ptr_or_opt(body.py(), *slot_address(body, offset)) }
        .ok_or_else(|| PyAttributeError::new_err(SLOT_NAMES[which]))
}

/// Stores `value` in slot `which` of `body`, as the slot's `__set__` would.
fn set_slot(body: &Bound<'_, PyAny>, which: usize, value: Bound<'_, PyAny>) -> PyResult<()> {
    let offset = streaming_body_class(body.py())?.slots[which];
    // SAFETY: as in `slot`; the old reference is released after the store.
    unsafe {
        let old = std::mem::replace(&mut *slot_address(body, offset), value.into_ptr());
        ffi::Py_XDECREF(old);
    }
    Ok(())
}

const SLOT_NAMES: [&str; 3] = ["_raw_stream", "_content_length", "_amount_read"];

/// `StreamingBody.read(amt=None)`: botocore's, with its Content-Length check. As a Python
/// method, its frame, slot loads and arithmetic held the GIL ~1,450 instructions a GET
/// longer than this does.
pub(crate) unsafe extern "C" fn read_entry(
    slf: *mut ffi::PyObject,
    args: *mut ffi::PyObject,
    kwargs: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: called by CPython as a METH_VARARGS | METH_KEYWORDS method (see
    // `crate::methods::call_from_c`).
    unsafe { crate::methods::call_from_c(slf, args, kwargs, read) }
}

fn read<'py>(
    body: &Bound<'py, PyAny>,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let amt = amount_argument(args, kwargs)?;
    let raw = slot(body, RAW_STREAM)?;
    let chunk = match raw.cast::<RawStream>() {
        Ok(stream) => stream.get().read(body.py(), amt)?.into_any(),
        // A body made in Python over another stream (botocore's tests wrap a BytesIO).
        Err(_) => raw.call_method1(pyo3::intern!(body.py(), "read"), (amt,))?,
    };
    let size = chunk.len()?;
    let amount_read = slot(body, AMOUNT_READ)?.extract::<u64>()? + size as u64;
    set_slot(
        body,
        AMOUNT_READ,
        amount_read.into_pyobject(body.py())?.into_any(),
    )?;
    if amt.is_none() || (size == 0 && amt.is_some_and(|n| n > 0)) {
        let length = slot(body, CONTENT_LENGTH)?;
        if !length.is_none() {
            // int(): botocore's bodies are given the header's text (calling int on an int,
            // s3seal's, cost a third of this method).
            let expected: u64 = match length.is_exact_instance_of::<PyInt>() {
                true => length.extract()?,
                false => body.py().get_type::<PyInt>().call1((length,))?.extract()?,
            };
            if amount_read != expected {
                return Err(Error::IncompleteRead {
                    actual: amount_read,
                    expected,
                }
                .into());
            }
        }
    }
    Ok(chunk)
}

/// `read`'s one argument, `amt`, positional or by name: None, or a negative amount (which
/// urllib3, under botocore, reads as everything), is `None`.
fn amount_argument(
    args: &Bound<'_, PyTuple>,
    kwargs: Option<Bound<'_, PyDict>>,
) -> PyResult<Option<usize>> {
    let named = match &kwargs {
        Some(kwargs) if !kwargs.is_empty() => {
            let amt = kwargs.get_item("amt")?;
            if kwargs.len() > 1 || amt.is_none() {
                let unexpected = kwargs.keys().iter().find(|k| !k.eq("amt").unwrap_or(false));
                let name = unexpected.map(|k| k.to_string()).unwrap_or_default();
                return Err(PyTypeError::new_err(format!(
                    "read() got an unexpected keyword argument '{name}'"
                )));
            }
            amt
        }
        _ => None,
    };
    let amt = match (args.len(), named) {
        (0, named) => named,
        (1, None) => Some(args.get_item(0)?),
        (1, Some(_)) => {
            return Err(PyTypeError::new_err(
                "read() got multiple values for argument 'amt'",
            ))
        }
        (n, _) => {
            return Err(PyTypeError::new_err(format!(
                "read() takes at most 1 argument ({n} given)"
            )))
        }
    };
    match amt {
        Some(amt) if !amt.is_none() => {
            let amt: i64 = amt.extract()?;
            Ok(usize::try_from(amt).ok())
        }
        _ => Ok(None),
    }
}

/// Sets the native `read` on `StreamingBody` (its module calls this once, at import).
#[pyfunction]
pub fn add_streaming_body_read(class: &Bound<'_, PyType>) -> PyResult<()> {
    let doc = "read($self, /, amt=None)\n--\n\nRead at most ``amt`` bytes, or everything left \
               when ``amt`` is None or negative; a body shorter than its Content-Length \
               raises ``IncompleteReadError``.";
    let read = crate::methods::method_descriptor(class, "read", doc, read_entry)?;
    class.setattr("read", read)
}
