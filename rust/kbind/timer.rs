// SPDX-License-Identifier: GPL-2.0
//! A periodic kernel timer (`timer_list`) owning its handler.

use super::bindings;
use kernel::prelude::*;
use kernel::types::Opaque;

/// Work a [`PeriodicTimer`] runs, in softirq context.
pub trait Tick: Send + Sync + 'static {
    /// Runs once per period.
    fn tick(&self);
}

#[repr(C)]
struct Inner<T> {
    /// First, so the callback finds `Inner` from the timer's address.
    timer: Opaque<bindings::timer_list>,
    period: kernel::ffi::c_ulong,
    handler: T,
}

/// Calls its handler every `period` jiffies until dropped.
pub struct PeriodicTimer<T: Tick> {
    inner: Pin<KBox<Inner<T>>>,
}

// SAFETY: the handler is Send + Sync; the timer itself is only touched by
// the kernel and by `drop`.
unsafe impl<T: Tick> Send for PeriodicTimer<T> {}
// SAFETY: as above.
unsafe impl<T: Tick> Sync for PeriodicTimer<T> {}

unsafe extern "C" fn fire<T: Tick>(timer: *mut bindings::timer_list) {
    // SAFETY: `timer` is the first field of a live, pinned `Inner<T>`
    // (repr(C)); it stays allocated until `drop` has shut the timer down.
    let inner = unsafe { &*timer.cast::<Inner<T>>() };
    inner.handler.tick();
    // SAFETY: re-arming a set-up timer; after `timer_shutdown_sync` in
    // `drop` this does nothing.
    unsafe { bindings::mod_timer(timer, bindings::lvs_jiffies() + inner.period) };
}

impl<T: Tick> PeriodicTimer<T> {
    /// Starts calling `handler` every `period` jiffies.
    pub fn start(handler: T, period: kernel::ffi::c_ulong) -> Result<Self> {
        let inner = KBox::pin(Inner { timer: Opaque::uninit(), period, handler }, GFP_KERNEL)?;
        let timer = inner.timer.get();
        // SAFETY: `timer` is pinned storage that outlives the timer.
        unsafe {
            bindings::lvs_timer_setup(timer, Some(fire::<T>));
            bindings::mod_timer(timer, bindings::lvs_jiffies() + period);
        }
        Ok(Self { inner })
    }

    /// The handler.
    pub fn handler(&self) -> &T {
        &self.inner.handler
    }
}

impl<T: Tick> Drop for PeriodicTimer<T> {
    fn drop(&mut self) {
        // SAFETY: set up in `start`; this waits for a running callback and
        // keeps it from re-arming.
        unsafe { bindings::timer_shutdown_sync(self.inner.timer.get()) };
    }
}

/// Seconds since boot, by `jiffies` (callers compare them with wrapping
/// arithmetic).
pub fn seconds() -> u32 {
    // SAFETY: reads the jiffies counter.
    let jiffies = unsafe { bindings::lvs_jiffies() };
    // (Checked: no panic path, though HZ is never 0.)
    jiffies.checked_div(hz()).unwrap_or(0) as u32
}

/// Timer ticks per second (`HZ`).
pub fn hz() -> kernel::ffi::c_ulong {
    // SAFETY: reads a constant.
    unsafe { bindings::lvs_hz() }
}
