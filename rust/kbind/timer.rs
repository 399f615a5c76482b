// SPDX-License-Identifier: GPL-2.0
//! Periodic work owning its handler: on a kernel timer (`timer_list`, in
//! softirq context) or on a workqueue (`delayed_work`, in process
//! context, for work that takes locks softirqs must not).

use super::bindings;
use kernel::prelude::*;
use kernel::types::Opaque;

/// Work a [`PeriodicTimer`] (softirq context) or a [`PeriodicWork`]
/// (process context) runs.
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

#[repr(C)]
struct WorkInner<T> {
    /// First, so the callback finds `WorkInner` from the work's address
    /// (a `delayed_work` starts with its `work_struct`).
    dwork: Opaque<bindings::delayed_work>,
    period: kernel::ffi::c_ulong,
    handler: T,
}

/// Calls its handler every `period` jiffies, in process context (it may
/// sleep), until dropped.
pub struct PeriodicWork<T: Tick> {
    inner: Pin<KBox<WorkInner<T>>>,
}

// SAFETY: the handler is Send + Sync; the work itself is only touched by
// the kernel and by `drop`.
unsafe impl<T: Tick> Send for PeriodicWork<T> {}
// SAFETY: as above.
unsafe impl<T: Tick> Sync for PeriodicWork<T> {}

unsafe extern "C" fn run<T: Tick>(work: *mut bindings::work_struct) {
    // SAFETY: `work` is the first field of the `delayed_work` that is the
    // first field of a live, pinned `WorkInner<T>` (repr(C)); it stays
    // allocated until `drop` has cancelled the work.
    let inner = unsafe { &*work.cast::<WorkInner<T>>() };
    inner.handler.tick();
    // SAFETY: requeueing an initialized work; while `drop` cancels it,
    // this does nothing.
    unsafe { bindings::lvs_delayed_work_queue(inner.dwork.get(), inner.period) };
}

impl<T: Tick> PeriodicWork<T> {
    /// Starts calling `handler` every `period` jiffies.
    pub fn start(handler: T, period: kernel::ffi::c_ulong) -> Result<Self> {
        let inner = KBox::pin(WorkInner { dwork: Opaque::uninit(), period, handler }, GFP_KERNEL)?;
        let dwork = inner.dwork.get();
        // SAFETY: `dwork` is pinned storage that outlives the work.
        unsafe {
            bindings::lvs_delayed_work_init(dwork, Some(run::<T>));
            bindings::lvs_delayed_work_queue(dwork, period);
        }
        Ok(Self { inner })
    }
}

impl<T: Tick> Drop for PeriodicWork<T> {
    fn drop(&mut self) {
        // SAFETY: initialized in `start`; this waits for a running
        // callback and keeps the work from requeueing itself.
        unsafe { bindings::cancel_delayed_work_sync(self.inner.dwork.get()) };
    }
}

/// Sleeps `ticks` jiffies, or until woken (a kernel thread being
/// stopped is). Process context.
pub fn sleep_interruptible(ticks: kernel::ffi::c_ulong) {
    // SAFETY: sleeping is allowed in process context, which callers are in.
    unsafe { bindings::schedule_timeout_interruptible(ticks as _) };
}

/// Ticks since boot (`jiffies`, its low 32 bits: callers compare them
/// with wrapping arithmetic).
pub fn jiffies() -> u32 {
    // SAFETY: reads the jiffies counter.
    (unsafe { bindings::lvs_jiffies() }) as u32
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
