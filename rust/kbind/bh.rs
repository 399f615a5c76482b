// SPDX-License-Identifier: GPL-2.0
//! Softirq exclusion for process-context code that shares locks with
//! packet processing.
//!
//! Hooks and timers run in softirq context; a lock they take must be
//! taken with softirqs disabled elsewhere, or a softirq arriving on the
//! same CPU would spin on it forever (lockdep reports this as an
//! inconsistent lock state).

use super::bindings;
use core::marker::PhantomData;

/// Softirqs stay disabled on this CPU while the guard lives.
pub struct BhGuard(PhantomData<*mut ()>);

impl BhGuard {
    /// Disables softirqs (`local_bh_disable`).
    pub fn new() -> Self {
        // SAFETY: paired with the enable in `drop`; the guard is not Send,
        // so it is dropped on the CPU and in the context it was made.
        unsafe { bindings::lvs_local_bh_disable() };
        Self(PhantomData)
    }
}

impl Default for BhGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for BhGuard {
    fn drop(&mut self) {
        // SAFETY: disabled in `new`.
        unsafe { bindings::lvs_local_bh_enable() };
    }
}
