//! Lookups over the generated model (`model.rs`), built once on first use: a structure's
//! member by name, the model's member names as Python strings, and its header members'
//! names as HTTP header names.
//!
//! The model's structures are slices of [`Member`]s in the model's order (the order
//! botocore's messages list them in), searched by name. Every call searched them per
//! keyword argument, under the GIL: validation compared each name with PutObject's ~45
//! members, the wire checks did it again, and making the response dict took a lock and a
//! hash per key. Indexed, a 4 KiB PUT with an SSE-C key runs ~1,200 fewer instructions
//! under the GIL (22,600 -> 21,400, callgrind), a GET ~500 (22,700 -> 22,200).
//!
//! These indexes are accelerators only: a name they do not hold (a literal spelled apart
//! from the model's own `&'static str`, a structure not reached from an operation) is
//! looked up the slow way, with the same answer.

use std::collections::HashMap;
use std::sync::OnceLock;

use http::header::{HeaderName, InvalidHeaderName};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString};

use crate::fxhash::Fx;
use crate::model_types::{Loc, Member, Shape};

/// Where a member of a structure is: by the structure's slice (address and length) and the
/// member name's text (address and length). No text is hashed or compared.
type Positions = HashMap<(Slice, usize, usize), u16, Fx>;

/// A structure's slice, by address and length.
type Slice = (usize, usize);

fn slice(members: &[Member]) -> Slice {
    (members.as_ptr() as usize, members.len())
}

/// The position in `members` of the member called `name`.
pub fn position(members: &'static [Member], name: &str) -> Option<usize> {
    static POSITIONS: OnceLock<Positions> = OnceLock::new();
    let positions = POSITIONS.get_or_init(|| {
        let mut positions = Positions::default();
        each_structure(|members| {
            for (i, m) in members.iter().enumerate() {
                if let Ok(i) = u16::try_from(i) {
                    positions.insert(place(members, m.name), i);
                }
            }
        });
        positions
    });
    match positions.get(&place(members, name)) {
        Some(&i) => Some(usize::from(i)),
        None => members.iter().position(|m| m.name == name),
    }
}

fn place(members: &[Member], name: &str) -> (Slice, usize, usize) {
    (slice(members), name.as_ptr() as usize, name.len())
}

/// The HTTP header name of a header member (its model text `wire`: `Content-MD5`,
/// `x-amz-server-side-encryption-customer-key`), lower-cased as the `http` crate keeps names.
///
/// Made once per name, from text leaked once (a few hundred short strings), so a request
/// copies it without allocating and without touching a shared reference count. Made per
/// request, each was a lower-cased copy and an allocation: ~480 instructions a header, four
/// on an SSE-C GET (its three key headers and `x-amz-checksum-mode`), in the request's
/// build on the runtime thread that sends it.
pub fn header_name(wire: &'static str) -> Result<HeaderName, InvalidHeaderName> {
    static NAMES: OnceLock<HashMap<(usize, usize), HeaderName, Fx>> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        let mut by_text = HashMap::<&'static str, Option<HeaderName>>::new();
        let mut names = HashMap::default();
        each_structure(|members| {
            for m in members.iter().filter(|m| m.loc == Loc::Header) {
                let made = by_text.entry(m.wire).or_insert_with(|| static_name(m.wire));
                if let Some(name) = made {
                    names.insert(text_place(m.wire), name.clone());
                }
            }
        });
        names
    });
    match names.get(&text_place(wire)) {
        Some(name) => Ok(name.clone()),
        None => HeaderName::from_bytes(wire.to_ascii_lowercase().as_bytes()),
    }
}

fn text_place(text: &str) -> (usize, usize) {
    (text.as_ptr() as usize, text.len())
}

/// `wire` lower-cased, as a header name over static text; `None` for what is not a header
/// name (`from_static` would panic on it): it stays out of the index and fails when used.
fn static_name(wire: &'static str) -> Option<HeaderName> {
    let lower = wire.to_ascii_lowercase();
    HeaderName::from_bytes(lower.as_bytes()).ok()?;
    Some(HeaderName::from_static(Box::leak(lower.into_boxed_str())))
}

/// The model's names as Python strings, made once (interned: a caller's keyword names
/// are the same objects, so a dict finds them by identity).
struct PythonNames {
    /// Every member name, by the address and length of its `&'static str`.
    keys: HashMap<(usize, usize), Py<PyString>, Fx>,
    /// For each structure, by its slice: a dict from member name to position.
    positions: HashMap<Slice, Py<PyDict>, Fx>,
}

fn python_names(py: Python<'_>) -> &PythonNames {
    static NAMES: PyOnceLock<PythonNames> = PyOnceLock::new();
    NAMES.get_or_init(py, || {
        let mut names = PythonNames {
            keys: HashMap::default(),
            positions: HashMap::default(),
        };
        each_structure(|members| {
            let dict = PyDict::new(py);
            for (i, m) in members.iter().enumerate() {
                let key = names
                    .keys
                    .entry((m.name.as_ptr() as usize, m.name.len()))
                    .or_insert_with(|| PyString::intern(py, m.name).unbind());
                // Cannot fail: a str key and an int value.
                let _ = dict.set_item(key.bind(py), i);
            }
            names.positions.insert(slice(members), dict.unbind());
        });
        names
    })
}

/// A model member name as a dictionary key, `None` when `name` is not the model's own text.
pub fn model_key<'py>(py: Python<'py>, name: &'static str) -> Option<Bound<'py, PyString>> {
    let keys = &python_names(py).keys;
    keys.get(&(name.as_ptr() as usize, name.len()))
        .map(|key| key.bind(py).clone())
}

/// The position in `members` of the member a dictionary key names (`Ok(None)`: not found
/// here, a name to look up by its text).
pub fn position_of_key(
    members: &'static [Member],
    key: &Bound<'_, PyAny>,
) -> PyResult<Option<usize>> {
    // An exact str only: a subclass could define its own equality.
    if !key.is_exact_instance_of::<PyString>() {
        return Ok(None);
    }
    let positions = &python_names(key.py()).positions;
    let Some(dict) = positions.get(&slice(members)) else {
        return Ok(None);
    };
    match dict.bind(key.py()).get_item(key)? {
        Some(i) => Ok(Some(i.extract()?)),
        None => Ok(None),
    }
}

/// Every structure of the model, each once: operations' inputs and outputs and the
/// structures nested in them.
fn each_structure(mut visit: impl FnMut(&'static [Member])) {
    let mut seen = std::collections::HashSet::<Slice, Fx>::default();
    let mut pending: Vec<&'static [Member]> = crate::model::OPERATIONS
        .iter()
        .flat_map(|op| [op.input, op.output])
        .collect();
    while let Some(members) = pending.pop() {
        if members.is_empty() || !seen.insert(slice(members)) {
            continue;
        }
        visit(members);
        for m in members {
            let mut shape = &m.shape;
            while let Shape::List(inner) = shape {
                shape = inner;
            }
            if let Shape::Struct(nested) = shape {
                pending.push(nested);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OPERATIONS;

    #[test]
    fn every_input_member_is_found_at_its_place() {
        for op in OPERATIONS {
            for (i, m) in op.input.iter().enumerate() {
                assert_eq!(
                    position(op.input, m.name),
                    Some(i),
                    "{}.{}",
                    op.name,
                    m.name
                );
                // The same text elsewhere in memory: found by comparing the text.
                let copy = String::from(m.name);
                assert_eq!(position(op.input, &copy), Some(i));
            }
            assert_eq!(position(op.input, "NoSuchMember"), None);
        }
    }

    #[test]
    fn a_name_of_another_structure_is_not_found_by_its_address() {
        let get = crate::model_types::Operation::named("GetObject").unwrap();
        let put = crate::model_types::Operation::named("PutObject").unwrap();
        let body = put.input.iter().find(|m| m.name == "Body").unwrap();
        assert_eq!(position(get.input, body.name), None);
    }

    #[test]
    fn header_members_get_their_lower_cased_names() {
        let mut seen = 0;
        for op in OPERATIONS {
            for m in op.input.iter().filter(|m| m.loc == Loc::Header) {
                let made = HeaderName::from_bytes(m.wire.to_ascii_lowercase().as_bytes()).unwrap();
                assert_eq!(header_name(m.wire).unwrap(), made, "{}.{}", op.name, m.name);
                seen += 1;
            }
        }
        assert!(seen > 300, "only {seen} header members");
        // Made once: two names of the same member, alive together, share their text.
        let get = crate::model_types::Operation::named("GetObject").unwrap();
        let key = get
            .input
            .iter()
            .find(|m| m.name == "SSECustomerKey")
            .unwrap();
        let (a, b) = (
            header_name(key.wire).unwrap(),
            header_name(key.wire).unwrap(),
        );
        assert_eq!(a.as_str(), "x-amz-server-side-encryption-customer-key");
        assert_eq!(a.as_str().as_ptr(), b.as_str().as_ptr());
        // Text the index does not hold (not the model's own `&'static str`) is made as before.
        let elsewhere: &'static str = Box::leak(String::from("X-Amz-Meta-Colour").into_boxed_str());
        assert_eq!(
            header_name(elsewhere).unwrap().as_str(),
            "x-amz-meta-colour"
        );
        let bad: &'static str = Box::leak(String::from("bad name").into_boxed_str());
        assert!(header_name(bad).is_err());
    }
}
