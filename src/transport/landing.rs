//! Caller-provided memory that a small response body is received into.
//!
//! A GET's body comes to Python as a `bytes` object, and making one from the connection's
//! buffer is a copy that needs the GIL. So the client (sync or async) makes the `bytes`
//! object before the call, the transport copies the body straight into it with the GIL
//! released, right as it arrives, and the object is cut to the body's size after
//! (`body.rs`, `Landing`). Measured on the sink, 64 KiB GETs from 32 threads: the GIL held 13.4 us per
//! GET instead of 22.5 (uprobes on CPython's take/drop of the GIL). Where glibc hands freed
//! memory back to the OS between calls (a process that never freed a block above its mmap
//! threshold), the old copy also took 1-2 page faults per GET under the GIL: 1.3-1.45x the
//! ops/s there, about even elsewhere. A 4 KiB GET runs 1.5 % more instructions (a 64 KiB
//! malloc and a shrinking realloc in place of a 4 KiB copy).

use std::any::Any;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;

/// A writable region of `cap` bytes, kept alive by its owner for as long as any clone of
/// the zone (or a [`Bytes`] made by [`LandingZone::filled`]) exists. One body is received
/// into it at most ([`LandingZone::claim`]): a view of it never sees its bytes change.
#[derive(Clone)]
pub struct LandingZone {
    ptr: *mut u8,
    cap: usize,
    shared: Arc<Shared<dyn Any + Send + Sync>>,
}

/// What the clones of a zone share, in one allocation: the claim, and the owner (an
/// `Option`, so that it can be taken back).
struct Shared<T: ?Sized> {
    claimed: AtomicBool,
    owner: T,
}

// SAFETY: the region belongs to one call. It is written by the one task that claimed it
// (which holds a clone, so the memory outlives the writes) before any view of it is made,
// and is only read after that.
unsafe impl Send for LandingZone {}
unsafe impl Sync for LandingZone {}

impl LandingZone {
    /// # Safety
    /// `ptr..ptr + cap` must be writable memory that `owner` keeps alive and that nothing
    /// else reads or writes until the owner is taken back ([`LandingZone::take_owner`]).
    pub unsafe fn new<T: Any + Send + Sync>(ptr: *mut u8, cap: usize, owner: T) -> Self {
        let claimed = AtomicBool::new(false);
        let owner = Some(owner);
        let shared: Arc<Shared<dyn Any + Send + Sync>> = Arc::new(Shared { claimed, owner });
        Self { ptr, cap, shared }
    }

    /// True for the first caller only: the one body that may be received here.
    pub fn claim(&self) -> bool {
        !self.shared.claimed.swap(true, Ordering::AcqRel)
    }

    /// The owner, if this is the last clone and no view of the region is left (the zone
    /// is then empty: its region may be gone).
    pub fn take_owner<T: Any>(&mut self) -> Option<T> {
        let shared = Arc::get_mut(&mut self.shared)?;
        let owner: &mut dyn Any = &mut shared.owner;
        owner.downcast_mut::<Option<T>>()?.take()
    }

    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// The start of the region, to tell a view of it from other memory.
    pub fn start(&self) -> *const u8 {
        self.ptr
    }

    /// Copy `chunk` in at `offset`; false (and nothing copied) if it does not fit.
    pub fn write_at(&mut self, offset: usize, chunk: &[u8]) -> bool {
        if offset
            .checked_add(chunk.len())
            .is_none_or(|end| end > self.cap)
        {
            return false;
        }
        // SAFETY: in bounds (checked above); the region is this call's only (see `new`).
        unsafe {
            std::ptr::copy_nonoverlapping(chunk.as_ptr(), self.ptr.add(offset), chunk.len());
        }
        true
    }

    /// The first `len` bytes, written by [`LandingZone::write_at`], as `Bytes` that keep
    /// the region alive.
    pub fn filled(self, len: usize) -> Bytes {
        Bytes::from_owner(Filled {
            len: len.min(self.cap),
            zone: self,
        })
    }
}

struct Filled {
    zone: LandingZone,
    len: usize,
}

impl AsRef<[u8]> for Filled {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: `len <= cap`, written before this view was made and not written since;
        // the zone keeps the memory alive.
        unsafe { std::slice::from_raw_parts(self.zone.ptr, self.len) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(buf: &mut [u8]) -> LandingZone {
        // SAFETY: the test's buffer outlives the zone and its views, and only they use it.
        unsafe { LandingZone::new(buf.as_mut_ptr(), buf.len(), String::from("owner")) }
    }

    #[test]
    fn one_body_lands_within_bounds() {
        let mut buf = [0u8; 8];
        let mut z = zone(&mut buf);
        assert!(z.claim() && !z.clone().claim(), "claimed once only");
        assert!(z.write_at(0, b"abcd") && z.write_at(4, b"efgh"));
        assert!(
            !z.write_at(8, b"i") && !z.write_at(usize::MAX, b"i"),
            "out of bounds"
        );
        assert_eq!(&z.clone().filled(6)[..], b"abcdef");
        assert_eq!(
            z.clone().filled(99).len(),
            8,
            "a view never reaches past the region"
        );
    }

    #[test]
    fn the_owner_comes_back_only_from_the_last_holder() {
        let mut buf = [0u8; 4];
        let mut z = zone(&mut buf);
        let view = z.clone().filled(2);
        assert_eq!(z.take_owner::<String>(), None, "a view is still held");
        drop(view);
        assert_eq!(z.take_owner::<u32>(), None, "another type");
        assert_eq!(z.take_owner::<String>().as_deref(), Some("owner"));
    }
}
