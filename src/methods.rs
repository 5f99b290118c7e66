//! The client's operation methods (`client.get_object(...)`): one C method descriptor per
//! operation of the model, set on `s3seal._ops.Operations` when that module is imported.
//!
//! Why not Python functions: the generated `def get_object(self, *args, **kwargs)` called
//! `self._make_api_call(name, kwargs)`, which called the native dispatch. Those two Python
//! frames were ~3,800 of the ~27,000 instructions a 4 KiB GET held the GIL for, and the GIL
//! is what limits 32 threads. A method descriptor is called by the interpreter with no
//! frame and no bound method: the same GET now holds it ~2,850 instructions less.
//!
//! What runs is still `self._make_api_call(name, kwargs)`: events, a subclass, `SyncView`, a
//! test's patch and DEBUG logging all go through it. Only when it is `S3Client`'s own
//! method and DEBUG is off (the two cases `dispatch_directly` is told of) does the
//! descriptor run the native dispatch itself, as that method would.

use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyTuple, PyType};

use crate::client::Client;
use crate::model::OPERATIONS;
use crate::model_types::Operation;

type EntryPoint = ffi::PyCFunctionWithKeywords;

/// A C function cannot be told which descriptor called it, so each operation gets its own
/// entry point: an instance of `entry::<HI, LO>` for operation `HI * 16 + LO`.
const ROWS: usize = 16;

macro_rules! row {
    ($hi:literal) => {
        [
            entry::<$hi, 0>,
            entry::<$hi, 1>,
            entry::<$hi, 2>,
            entry::<$hi, 3>,
            entry::<$hi, 4>,
            entry::<$hi, 5>,
            entry::<$hi, 6>,
            entry::<$hi, 7>,
            entry::<$hi, 8>,
            entry::<$hi, 9>,
            entry::<$hi, 10>,
            entry::<$hi, 11>,
            entry::<$hi, 12>,
            entry::<$hi, 13>,
            entry::<$hi, 14>,
            entry::<$hi, 15>,
        ]
    };
}

#[rustfmt::skip]
static ENTRY_POINTS: [[EntryPoint; ROWS]; ROWS] = [
    row!(0), row!(1), row!(2), row!(3), row!(4), row!(5), row!(6), row!(7),
    row!(8), row!(9), row!(10), row!(11), row!(12), row!(13), row!(14), row!(15),
];

fn entry_point(index: usize) -> Option<EntryPoint> {
    ENTRY_POINTS.get(index / ROWS).map(|row| row[index % ROWS])
}

/// boto3's method name of each operation (by its index in `OPERATIONS`), for the
/// positional-argument error; set once, by `add_operation_methods`.
static METHOD_NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();

/// What lets a call skip `_make_api_call`: `S3Client._make_api_call` itself, and logging's
/// per-level caches of the two loggers it checks (both `False` for DEBUG: DEBUG is off).
struct Direct {
    make_api_call: Py<PyAny>,
    endpoint_levels: Py<PyDict>,
    parsers_levels: Py<PyDict>,
    debug: Py<PyAny>,
}

static DIRECT: PyOnceLock<Direct> = PyOnceLock::new();

/// METH_VARARGS | METH_KEYWORDS: the interpreter builds the keyword dict (the one
/// `f(**kw)` already built, or from a call's names), where a vectorcall entry would have to
/// build it again.
unsafe extern "C" fn entry<const HI: usize, const LO: usize>(
    slf: *mut ffi::PyObject,
    args: *mut ffi::PyObject,
    kwargs: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython calls a METH_VARARGS | METH_KEYWORDS method attached, with `slf` the
    // instance, `args` a tuple and `kwargs` a dict or NULL, all borrowed.
    unsafe {
        call_from_c(slf, args, kwargs, |slf, args, kwargs| {
            call(HI * ROWS + LO, slf, args, kwargs)
        })
    }
}

/// The body of a METH_VARARGS | METH_KEYWORDS method: `method(self, args, kwargs)`, its
/// result or its raised exception, never an unwind across the C boundary.
///
/// # Safety
/// CPython's arguments to such a method: attached, `slf` an object, `args` a tuple,
/// `kwargs` a dict or NULL, all borrowed.
pub(crate) unsafe fn call_from_c<F>(
    slf: *mut ffi::PyObject,
    args: *mut ffi::PyObject,
    kwargs: *mut ffi::PyObject,
    method: F,
) -> *mut ffi::PyObject
where
    F: for<'py> FnOnce(
        &Bound<'py, PyAny>,
        &Bound<'py, PyTuple>,
        Option<Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>>,
{
    // SAFETY: see above.
    let py = unsafe { Python::assume_attached() };
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: see above.
        let (slf, args, kwargs) = unsafe {
            (
                Bound::from_borrowed_ptr(py, slf),
                Bound::from_borrowed_ptr(py, args).cast_into_unchecked::<PyTuple>(),
                Bound::from_borrowed_ptr_or_opt(py, kwargs)
                    .map(|k| k.cast_into_unchecked::<PyDict>()),
            )
        };
        method(&slf, &args, kwargs)
    }));
    let error = match outcome {
        Ok(Ok(result)) => return result.into_ptr(),
        Ok(Err(error)) => error,
        Err(_) => PyRuntimeError::new_err("s3seal: a panic in a native method"),
    };
    error.restore(py);
    std::ptr::null_mut()
}

/// `self._make_api_call(name, kwargs)`, or the native dispatch it would run.
fn call<'py>(
    index: usize,
    slf: &Bound<'py, PyAny>,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = slf.py();
    let op: &'static Operation = OPERATIONS[index];
    if !args.is_empty() {
        let method = METHOD_NAMES.get().map_or(op.name, |names| names[index]);
        return Err(PyTypeError::new_err(format!(
            "{method}() only accepts keyword arguments."
        )));
    }
    if let Some(client) = direct_client(py, slf)? {
        return Ok(client.get().call(py, op, kwargs.as_ref())?.into_any());
    }
    // The dict may be the caller's (a C caller's PyObject_Call); the Python method got a
    // fresh one, and botocore's parameter handlers edit theirs in place.
    let kwargs = match kwargs {
        Some(kwargs) => kwargs.copy()?,
        None => PyDict::new(py),
    };
    let make_api_call = slf.getattr(pyo3::intern!(py, "_make_api_call"))?;
    make_api_call.call1((op.name, kwargs))
}

/// The native client to dispatch on when `self._make_api_call` would be
/// `S3Client._make_api_call` (found on the type, not shadowed in the instance's dict, nor
/// by a `__getattribute__`) and DEBUG is off, as that method checks. Looked up without
/// binding a method object: a first version that bound one per call (and took vectorcall's
/// arguments, to build the keyword dict itself) held the GIL ~1,350 instructions longer.
fn direct_client<'py>(
    py: Python<'py>,
    slf: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, Client>>> {
    let Some(direct) = DIRECT.get(py) else {
        return Ok(None);
    };
    let Ok(client) = slf.cast::<Client>() else {
        return Ok(None);
    };
    let name = pyo3::intern!(py, "_make_api_call");
    let class = slf.get_type();
    // SAFETY: reading the type's getattro slot.
    let getattro = unsafe { (*class.as_type_ptr()).tp_getattro };
    let generic = getattro.is_some_and(|f| {
        std::ptr::fn_addr_eq(f, ffi::PyObject_GenericGetAttr as ffi::getattrofunc)
    });
    if !generic || !class.getattr(name)?.is(&direct.make_api_call) {
        return Ok(None);
    }
    if instance_dict(slf)?.is_some_and(|d| d.contains(name).unwrap_or(true)) {
        return Ok(None);
    }
    Ok(direct.debug_is_off(py)?.then(|| client.clone()))
}

/// The instance's `__dict__`, if its type gives it one.
fn instance_dict<'py>(slf: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyDict>>> {
    // SAFETY: reading the type's dict offset; PyObject_GenericGetDict returns a new reference.
    unsafe {
        if (*ffi::Py_TYPE(slf.as_ptr())).tp_dictoffset == 0 {
            return Ok(None);
        }
        let dict = Bound::from_owned_ptr_or_err(
            slf.py(),
            ffi::PyObject_GenericGetDict(slf.as_ptr(), std::ptr::null_mut()),
        )?;
        Ok(Some(dict.cast_into::<PyDict>()?))
    }
}

impl Direct {
    /// `S3Client._make_api_call`'s own test: both loggers' caches hold `False` for DEBUG.
    fn debug_is_off(&self, py: Python<'_>) -> PyResult<bool> {
        let off = |levels: &Py<PyDict>| -> PyResult<bool> {
            let answer = levels.bind(py).get_item(self.debug.bind(py))?;
            Ok(answer.is_some_and(|a| a.is(PyBool::new(py, false))))
        };
        Ok(off(&self.endpoint_levels)? && off(&self.parsers_levels)?)
    }
}

/// Sets a method descriptor on `operations` for each `method: operation` of `names`
/// (`s3seal._ops.OPERATION_NAMES`).
#[pyfunction]
pub fn add_operation_methods(
    operations: &Bound<'_, PyType>,
    names: &Bound<'_, PyDict>,
) -> PyResult<()> {
    let mut method_names = vec![""; OPERATIONS.len()];
    for (method, operation) in names.iter() {
        let method: String = method.extract()?;
        let operation: String = operation.extract()?;
        let index = OPERATIONS
            .binary_search_by(|op| op.name.cmp(&operation))
            .map_err(|_| {
                PyTypeError::new_err(format!("S3 has no operation named {operation:?}"))
            })?;
        let entry = entry_point(index).ok_or_else(|| {
            PyRuntimeError::new_err(format!("more operations than {} entry points", ROWS * ROWS))
        })?;
        // `__text_signature__` from the first line: inspect.signature gives (**kwargs).
        let doc = format!(
            "{method}($self, /, **kwargs)\n--\n\nboto3's ``{method}``: the S3 ``{operation}`` operation."
        );
        let descriptor = method_descriptor(operations, &method, &doc, entry)?;
        operations.setattr(method.as_str(), descriptor)?;
        method_names[index] = leak(&method)?.to_str().unwrap_or("");
    }
    let _ = METHOD_NAMES.set(method_names);
    Ok(())
}

/// A method descriptor of `owner` named `name`: `obj.name(...)` calls `entry`
/// (METH_VARARGS | METH_KEYWORDS) with `obj`. `doc`'s first line gives its signature.
pub(crate) fn method_descriptor<'py>(
    owner: &Bound<'py, PyType>,
    name: &str,
    doc: &str,
    entry: ffi::PyCFunctionWithKeywords,
) -> PyResult<Bound<'py, PyAny>> {
    // Descriptors live as long as the class, and CPython keeps pointing at their definition.
    let definition = Box::leak(Box::new(ffi::PyMethodDef {
        ml_name: leak(name)?.as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionWithKeywords: entry,
        },
        ml_flags: ffi::METH_VARARGS | ffi::METH_KEYWORDS,
        ml_doc: leak(doc)?.as_ptr() as *const c_char,
    }));
    // SAFETY: a valid type and a definition that outlives it; a new reference or NULL.
    unsafe {
        Bound::from_owned_ptr_or_err(
            owner.py(),
            ffi::PyDescr_NewMethod(owner.as_type_ptr(), definition),
        )
    }
}

fn leak(text: &str) -> PyResult<&'static std::ffi::CStr> {
    let text = CString::new(text).map_err(|e| PyTypeError::new_err(e.to_string()))?;
    Ok(Box::leak(text.into_boxed_c_str()))
}

/// Tells the operation methods when they may skip `_make_api_call` (see the module's doc).
#[pyfunction]
pub fn dispatch_directly(
    py: Python<'_>,
    make_api_call: Py<PyAny>,
    endpoint_levels: Py<PyDict>,
    parsers_levels: Py<PyDict>,
    debug: Py<PyAny>,
) -> PyResult<()> {
    let direct = Direct {
        make_api_call,
        endpoint_levels,
        parsers_levels,
        debug,
    };
    // Once per process: a reloaded `s3seal.session` has a new `_make_api_call`, whose
    // clients then take the (equivalent) Python path.
    let _ = DIRECT.set(py, direct);
    Ok(())
}
