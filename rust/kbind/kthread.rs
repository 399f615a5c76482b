// SPDX-License-Identifier: GPL-2.0
//! Kernel threads owning what they run (`kthread_run`, `kthread_stop`).

use super::bindings;
use core::ffi::{c_int, c_void};
use kernel::prelude::*;
use kernel::sync::Arc;

/// What a [`KThread`] runs: `run` returns once [`should_stop`] says so
/// (or earlier, if it has nothing more to do).
pub trait ThreadBody: Send + Sync + 'static {
    /// The thread's life.
    fn run(&self);
}

/// A running kernel thread, stopped (and waited for) when dropped.
pub struct KThread<T: ThreadBody> {
    task: *mut bindings::task_struct,
    body: Arc<T>,
}

// SAFETY: the task pointer is only used to stop the thread, from any
// context that may sleep; the body is Send + Sync.
unsafe impl<T: ThreadBody> Send for KThread<T> {}
// SAFETY: as above.
unsafe impl<T: ThreadBody> Sync for KThread<T> {}

unsafe extern "C" fn thread_fn<T: ThreadBody>(data: *mut c_void) -> c_int {
    // SAFETY: `data` is the `Arc<T>` that `KThread` holds a count of until
    // the thread has been stopped, which waits for this function.
    let body = unsafe { &*data.cast::<T>() };
    body.run();
    0
}

impl<T: ThreadBody> KThread<T> {
    /// Starts a thread named `name` (at most 15 bytes show) running
    /// `body`. May sleep.
    pub fn spawn(name: &CStr, body: Arc<T>) -> Result<Self> {
        let data = (&*body as *const T).cast_mut().cast::<c_void>();
        // SAFETY: `thread_fn::<T>` matches the kthread signature; `data`
        // lives as long as `body`, which outlives the thread (see `drop`).
        let task = unsafe { bindings::lvs_kthread_run(Some(thread_fn::<T>), data, name.as_char_ptr()) };
        let err = task as isize;
        if (-4095..0).contains(&err) {
            return Err(Error::from_errno(err as i32));
        }
        Ok(Self { task, body })
    }

    /// What the thread runs.
    pub fn body(&self) -> &T {
        &self.body
    }
}

impl<T: ThreadBody> Drop for KThread<T> {
    fn drop(&mut self) {
        // SAFETY: `task` is a kthread we hold a reference to (taken by
        // `lvs_kthread_run`); stopping waits until it has exited, after
        // which the reference is ours to drop.
        unsafe {
            bindings::kthread_stop(self.task);
            bindings::lvs_put_task(self.task);
        }
    }
}

/// Whether the current kernel thread has been asked to stop.
pub fn should_stop() -> bool {
    // SAFETY: callable from any kernel thread.
    unsafe { bindings::kthread_should_stop() }
}
