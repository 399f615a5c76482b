// SPDX-License-Identifier: GPL-2.0
//! Per-CPU memory (`alloc_percpu`): one copy of a value per possible CPU,
//! so that the packet path updates counters without sharing cache lines.

use super::bindings;
use kernel::prelude::*;

/// A type whose all-zero bytes are a valid value, that may be used
/// through shared references from any CPU, and that needs no drop.
///
/// # Safety
/// Implementors guarantee all three: `PerCpu` hands out zeroed memory as
/// `&T` to every CPU at once and frees it without dropping the copies.
pub unsafe trait ZeroedSync: Sync {}

/// One zero-initialised `T` per possible CPU, freed on drop.
pub struct PerCpu<T: ZeroedSync> {
    /// A per-CPU address (`void __percpu *`), not directly dereferenced.
    ptr: *mut core::ffi::c_void,
    _t: core::marker::PhantomData<T>,
}

// SAFETY: the copies are `T: Sync` (ZeroedSync); the handle only frees them.
unsafe impl<T: ZeroedSync> Send for PerCpu<T> {}
// SAFETY: as above: shared use hands out `&T` only.
unsafe impl<T: ZeroedSync> Sync for PerCpu<T> {}

impl<T: ZeroedSync> PerCpu<T> {
    /// Zeroed copies for every possible CPU.
    pub fn new() -> Result<Self> {
        // SAFETY: allocates `size` bytes per CPU at `align`, zeroed; may sleep.
        let ptr = unsafe { bindings::lvs_alloc_percpu(core::mem::size_of::<T>(), core::mem::align_of::<T>()) };
        if ptr.is_null() {
            return Err(ENOMEM);
        }
        Ok(Self { ptr, _t: core::marker::PhantomData })
    }

    /// The copy of the CPU this runs on. Without preemption disabled the
    /// caller may move to another CPU meanwhile: that is fine for `T`s
    /// updated atomically, which all shared `T`s are.
    pub fn this_cpu(&self) -> &T {
        // SAFETY: `ptr` is a live per-CPU allocation of a `T` (zeroed, hence
        // valid by ZeroedSync); the copy lives as long as `self`.
        unsafe { &*bindings::lvs_raw_cpu_ptr(self.ptr).cast::<T>() }
    }

    /// Every possible CPU's number and copy.
    pub fn each_cpu(&self) -> impl Iterator<Item = (u32, &T)> + '_ {
        let mut cpu = -1;
        core::iter::from_fn(move || {
            // SAFETY: walks the possible-CPU mask; no preconditions.
            cpu = unsafe { bindings::lvs_next_possible_cpu(cpu) };
            if cpu < 0 {
                return None;
            }
            // SAFETY: as in `this_cpu`, for possible CPU `cpu`.
            let copy = unsafe { &*bindings::lvs_per_cpu_ptr(self.ptr, cpu).cast::<T>() };
            Some((cpu as u32, copy))
        })
    }
}

impl<T: ZeroedSync> Drop for PerCpu<T> {
    fn drop(&mut self) {
        // SAFETY: allocated in `new`, no reference outlives `self`;
        // free_percpu may be called from atomic context.
        unsafe { bindings::free_percpu(self.ptr) };
    }
}
