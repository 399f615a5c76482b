// SPDX-License-Identifier: GPL-2.0
//! A module-wide value reachable from exported entry points.
//!
//! Functions other modules call (`EXPORT_SYMBOL_GPL`) get no context
//! pointer, so the state they work on has to be found through a static.
//! [`ModuleGlobal`] holds an [`Arc`] published in module init and
//! withdrawn in module exit; readers take a reference under RCU, so a
//! reader racing with the withdrawal either gets a live reference or
//! nothing.

use super::bindings;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;

/// A static slot for an `Arc<T>`.
pub struct ModuleGlobal<T: Send + Sync>(AtomicPtr<T>);

impl<T: Send + Sync> ModuleGlobal<T> {
    /// An empty slot.
    pub const fn new() -> Self {
        Self(AtomicPtr::new(core::ptr::null_mut()))
    }

    /// Puts `value` in the slot until the returned guard is dropped;
    /// `EBUSY` if the slot is taken.
    pub fn publish(&'static self, value: Arc<T>) -> Result<Published<T>> {
        let raw = Arc::into_raw(value).cast_mut();
        let swapped = self.0.compare_exchange(core::ptr::null_mut(), raw, Ordering::AcqRel, Ordering::Acquire);
        if swapped.is_err() {
            // SAFETY: `raw` came from `Arc::into_raw` just above and was
            // not published.
            drop(unsafe { Arc::from_raw(raw) });
            return Err(EBUSY);
        }
        Ok(Published(self))
    }

    /// A reference to the published value, if there is one.
    pub fn get(&'static self) -> Option<Arc<T>> {
        // SAFETY: plain RCU read-side section, closed below.
        unsafe { bindings::lvs_rcu_read_lock() };
        let raw = self.0.load(Ordering::Acquire);
        // SAFETY: a non-null slot holds a reference from `Arc::into_raw`;
        // `Published::drop` clears the slot and waits for RCU readers
        // before dropping that reference, so it is still counted here and
        // taking another one is sound.
        let value = (!raw.is_null()).then(|| unsafe { kernel::sync::ArcBorrow::from_raw(raw) }.into());
        // SAFETY: closes the section opened above.
        unsafe { bindings::lvs_rcu_read_unlock() };
        value
    }
}

/// Keeps a value published; dropping it withdraws the value.
pub struct Published<T: Send + Sync + 'static>(&'static ModuleGlobal<T>);

impl<T: Send + Sync> Drop for Published<T> {
    fn drop(&mut self) {
        let raw = self.0 .0.swap(core::ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: waits for every reader that may have loaded `raw`.
        unsafe { bindings::synchronize_rcu() };
        // SAFETY: `raw` is the reference `publish` stored, now unreachable.
        drop(unsafe { Arc::from_raw(raw) });
    }
}
