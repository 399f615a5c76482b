// SPDX-License-Identifier: GPL-2.0
//! Safe wrappers over the kernel APIs the `kernel` crate of 6.12 lacks.
//!
//! This is the one place where our modules touch raw kernel interfaces:
//! everything outside `kbind` is safe Rust. The raw declarations come from
//! the module's own bindgen run (`gen-bindings.sh`, which writes
//! `kbind_generated.rs` next to the module's crate root); the crate root
//! declares them as `mod kbind_generated` and this module as `mod kbind`.
//! The C side of the static inlines is `helpers.c`.

pub(crate) use crate::kbind_generated as bindings;

pub mod bh;
pub mod genl;
pub mod global;
pub mod kthread;
pub mod mcast;
pub mod module;
pub mod netdev;
pub mod netfilter;
pub mod netns;
pub mod percpu;
pub mod procfs;
pub mod route;
pub mod skb;
pub mod sysctl;
pub mod tcp;
pub mod timer;

/// Reads a module parameter through its C getter (a glue function that
/// returns the variable `module_param` declared).
pub fn read_param(getter: unsafe extern "C" fn() -> core::ffi::c_int) -> i32 {
    // SAFETY: parameter getters take nothing and only read a variable.
    unsafe { getter() }
}

/// Bytes of RAM the kernel manages (`totalram_pages()` in bytes).
pub fn total_ram_bytes() -> u64 {
    // SAFETY: reads a counter; callable from any context.
    let pages = unsafe { bindings::lvs_totalram_pages() };
    (pages as u64) << bindings::PAGE_SHIFT
}

/// Pages of memory free or in buffers (`si_meminfo`), what upstream's
/// DoS defences weigh against `amemthresh`.
pub fn available_pages() -> i64 {
    // SAFETY: reads counters; callable from any context.
    (unsafe { bindings::lvs_available_pages() }) as i64
}

/// Pages the kernel could give to buffers (`nr_free_buffer_pages`), by
/// which upstream sizes the sync queue.
pub fn free_buffer_pages() -> u64 {
    // SAFETY: sums counters; callable from process context, where
    // namespaces are set up.
    (unsafe { bindings::nr_free_buffer_pages() }) as u64
}

/// 64 random bits from the kernel's pool, for hash keys.
pub fn random_u64() -> u64 {
    // SAFETY: no preconditions; callable from any context.
    unsafe { bindings::get_random_u64() }
}

/// Whether a message that packets trigger may be logged now: the
/// networking stack's shared rate limit (upstream's `IP_VS_ERR_RL`).
pub fn net_ratelimit() -> bool {
    // SAFETY: no preconditions; callable from any context.
    unsafe { bindings::net_ratelimit() != 0 }
}

/// A uniformly random number below `ceil` (0 if `ceil` is 0).
pub fn random_below(ceil: u32) -> u32 {
    // SAFETY: no preconditions; callable from any context.
    unsafe { bindings::lvs_random_u32_below(ceil) }
}

/// The error for errno `errno`, for codes `kernel::error::code` lacks.
pub fn error(errno: u32) -> kernel::error::Error {
    kernel::error::Error::from_errno(-(errno as core::ffi::c_int))
}

/// A heap copy of `value`, copied straight from where it is: for values
/// too large for the kernel stack (a `KBox::new` may build its argument
/// there first), typically from a `static`.
pub fn boxed_copy<T: Copy>(value: &T) -> kernel::prelude::Result<kernel::prelude::KBox<T>> {
    let mut boxed = kernel::prelude::KBox::<T>::new_uninit(kernel::prelude::GFP_KERNEL)?;
    // SAFETY: `boxed` has room for one `T`, `value` is one valid `T`, and
    // a bitwise copy of a `Copy` type is a valid value of it.
    unsafe {
        core::ptr::copy_nonoverlapping(value, boxed.as_mut_ptr(), 1);
        Ok(boxed.assume_init())
    }
}
