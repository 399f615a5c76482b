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
        // SAFETY: `Published::drop` clears the slot and waits for RCU
        // readers before dropping the slot's reference.
        unsafe { rcu_load(&self.0) }
    }
}

/// Takes a reference to the `Arc` whose raw pointer `slot` holds, if any.
///
/// # Safety
///
/// A non-null pointer in `slot` must come from `Arc::into_raw`, and whoever
/// replaces it must wait for RCU readers (`synchronize_rcu`) before
/// dropping that reference.
unsafe fn rcu_load<T: Send + Sync>(slot: &AtomicPtr<T>) -> Option<Arc<T>> {
    // SAFETY: plain RCU read-side section, closed below.
    unsafe { bindings::lvs_rcu_read_lock() };
    let raw = slot.load(Ordering::Acquire);
    // SAFETY: by the contract, the reference behind `raw` is still counted
    // inside this section, so taking another one is sound.
    let value = (!raw.is_null()).then(|| unsafe { kernel::sync::ArcBorrow::from_raw(raw) }.into());
    // SAFETY: closes the section opened above.
    unsafe { bindings::lvs_rcu_read_unlock() };
    value
}

/// An `Arc<T>` that readers in any context load without locks while a
/// writer replaces it (read-copy-update): readers keep the version they
/// loaded, the old version is released once no reader can still be
/// loading it.
pub struct RcuArc<T: Send + Sync>(AtomicPtr<T>);

impl<T: Send + Sync> RcuArc<T> {
    /// Holds `value`.
    pub fn new(value: Arc<T>) -> Self {
        Self(AtomicPtr::new(Arc::into_raw(value).cast_mut()))
    }

    /// The current value.
    pub fn get(&self) -> Arc<T> {
        // SAFETY: plain RCU read-side section, closed below.
        unsafe { bindings::lvs_rcu_read_lock() };
        let raw = self.0.load(Ordering::Acquire);
        // SAFETY: the slot always holds a pointer from `Arc::into_raw`, and
        // `replace` waits for RCU readers before dropping an old one, so
        // the reference is still counted here.
        let value = unsafe { kernel::sync::ArcBorrow::from_raw(raw) }.into();
        // SAFETY: closes the section opened above.
        unsafe { bindings::lvs_rcu_read_unlock() };
        value
    }

    /// Runs `f` on the current value without taking a reference: for
    /// the packet path, where counting one would bounce a shared cache
    /// line between CPUs.
    pub fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        // SAFETY: plain RCU read-side section, closed below.
        unsafe { bindings::lvs_rcu_read_lock() };
        // SAFETY: as in `get`; the value stays alive for the whole section,
        // which `f` runs inside.
        let result = f(unsafe { &*self.0.load(Ordering::Acquire) });
        // SAFETY: closes the section opened above.
        unsafe { bindings::lvs_rcu_read_unlock() };
        result
    }

    /// Installs `value`; waits for readers of the old value (may sleep).
    /// The wait is expedited, as the networking core's
    /// `synchronize_net` does under the RTNL lock: a configuration
    /// change (one per `ipvsadm` command, thousands when keepalived loads
    /// a big table) waits for the CPUs to pass a quiescent state, not for
    /// a full grace period, and the old value still goes before it
    /// returns (a service's scheduler module is free to unload as soon
    /// as the command returns, as upstream's).
    pub fn replace(&self, value: Arc<T>) {
        let old = self.0.swap(Arc::into_raw(value).cast_mut(), Ordering::AcqRel);
        // SAFETY: waits for every reader that may have loaded `old`.
        unsafe { bindings::synchronize_rcu_expedited() };
        // SAFETY: `old` came from `Arc::into_raw` and is unreachable now.
        drop(unsafe { Arc::from_raw(old) });
    }
}

impl<T: Send + Sync> Drop for RcuArc<T> {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: no reader is inside `get`; the pointer came
        // from `Arc::into_raw`.
        drop(unsafe { Arc::from_raw(*self.0.get_mut()) });
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
