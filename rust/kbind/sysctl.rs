// SPDX-License-Identifier: GPL-2.0
//! Integer sysctls of a network namespace (`/proc/sys/<path>/<name>`):
//! one integer or a vector of them per file, read and written by the
//! kernel's own `proc_dointvec` handlers, and checked by a rule of ours
//! where upstream has its own handler.

use super::bindings;
use super::netns::Net;
use core::ffi::{c_int, c_void};
use core::sync::atomic::{AtomicI32, Ordering};
use kernel::prelude::*;
use kernel::str::CStr;

/// The most integers one file holds.
pub const MAX_INTS: usize = 2;

/// What a write may set.
pub enum Values {
    /// Any integers.
    Any,
    /// One integer from the lowest to the highest (`EINVAL` outside, as
    /// `proc_dointvec_minmax`).
    Range(i32, i32),
    /// A time: seconds in the file, ticks in the value
    /// (`proc_dointvec_jiffies`).
    Jiffies,
    /// Integers that `ok(old, new)` accepts (`EINVAL` otherwise); `old`
    /// and `new` have as many integers as the file.
    Checked(fn(old: &[i32], new: &[i32]) -> bool),
}

/// One sysctl file: its name, the integers it starts with (one, or up to
/// [`MAX_INTS`] shown on one line) and the values it takes.
pub struct IntSysctl {
    /// File name under the directory.
    pub name: &'static CStr,
    /// Values in a new namespace.
    pub defaults: &'static [i32],
    /// What a write may set.
    pub values: Values,
}

/// A namespace's directory of integer sysctls, removed on drop. The
/// values live here; the packet path reads them with [`Self::get`].
pub struct NetSysctls {
    header: *mut bindings::ctl_table_header,
    /// What the files point to, each file's integers one after the other:
    /// never resized, so never moved.
    values: KVec<AtomicI32>,
    /// Where each file's integers start in `values`.
    starts: KVec<usize>,
    /// The kernel keeps pointers into it while registered.
    _table: KVec<bindings::ctl_table>,
}

// SAFETY: `header` is only used to unregister; the values are atomics.
unsafe impl Send for NetSysctls {}
// SAFETY: as above.
unsafe impl Sync for NetSysctls {}

/// Held while a [`Values::Checked`] file is read and written, so that two
/// writers do not interleave their integers (upstream's `sync_mutex`).
/// Readers on the packet path take each integer as it comes, as
/// upstream's do.
struct CheckedLock;

impl CheckedLock {
    fn take() -> Self {
        // SAFETY: a plain mutex; `proc_handler`s may sleep.
        unsafe { bindings::lvs_sysctl_lock() };
        CheckedLock
    }
}

impl Drop for CheckedLock {
    fn drop(&mut self) {
        // SAFETY: taken in `take`.
        unsafe { bindings::lvs_sysctl_unlock() };
    }
}

/// `proc_handler` of a [`Values::Checked`] file: `proc_dointvec` into a
/// copy, which replaces the values only if the rule accepts it.
///
/// # Safety
///
/// Called by the kernel for a table entry [`NetSysctls::register`] made:
/// `data` points to the file's atomics, `maxlen` covers at most
/// [`MAX_INTS`] of them and `extra1` to its static [`IntSysctl`].
unsafe extern "C" fn checked_handler(
    table: *const bindings::ctl_table,
    write: c_int,
    buffer: *mut c_void,
    lenp: *mut usize,
    ppos: *mut bindings::loff_t,
) -> c_int {
    // SAFETY: the kernel passes its live entry.
    let table = unsafe { &*table };
    // SAFETY: `register` pointed `extra1` to the file's static sysctl.
    let sysctl = unsafe { &*(table.extra1 as *const IntSysctl) };
    let n = sysctl.defaults.len();
    let _lock = CheckedLock::take();
    // SAFETY: `data` points to `n` atomics that live while the file does.
    let current = unsafe { core::slice::from_raw_parts(table.data as *const AtomicI32, n) };
    let mut old = [0i32; MAX_INTS];
    for (o, c) in old.iter_mut().zip(current) {
        *o = c.load(Ordering::Relaxed);
    }
    let mut new = old;
    let copy = bindings::ctl_table {
        procname: table.procname,
        data: new.as_mut_ptr().cast(),
        maxlen: table.maxlen,
        mode: table.mode,
        ..Default::default()
    };
    // SAFETY: `copy` describes `new`, which holds `maxlen` bytes; the
    // buffer and positions are the kernel's, passed on.
    let rc = unsafe { bindings::proc_dointvec(&copy, write, buffer, lenp, ppos) };
    if write == 0 || rc != 0 {
        return rc;
    }
    let ok = match sysctl.values {
        Values::Checked(ok) => ok(&old[..n], &new[..n]),
        _ => true,
    };
    if !ok {
        return EINVAL.to_errno();
    }
    for (c, v) in current.iter().zip(new) {
        c.store(v, Ordering::Relaxed);
    }
    0
}

impl NetSysctls {
    /// Creates `/proc/sys/<path>/` in `net` with a mode 0644 file for each
    /// of `sysctls`, which start at their defaults.
    pub fn register(net: &Net, path: &'static CStr, sysctls: &'static [IntSysctl]) -> Result<Self> {
        let mut values = KVec::new();
        let mut starts = KVec::with_capacity(sysctls.len(), GFP_KERNEL)?;
        for s in sysctls {
            if s.defaults.is_empty() || s.defaults.len() > MAX_INTS {
                return Err(EINVAL);
            }
            starts.push(values.len(), GFP_KERNEL)?;
            for &d in s.defaults {
                values.push(AtomicI32::new(d), GFP_KERNEL)?;
            }
        }
        let mut table = KVec::with_capacity(sysctls.len(), GFP_KERNEL)?;
        for (s, &start) in sysctls.iter().zip(starts.iter()) {
            let mut entry = bindings::ctl_table {
                procname: s.name.as_char_ptr(),
                data: values[start].as_ptr().cast(),
                maxlen: (core::mem::size_of::<i32>() * s.defaults.len()) as i32,
                mode: 0o644,
                proc_handler: Some(bindings::proc_dointvec),
                ..Default::default()
            };
            match &s.values {
                Values::Any => {}
                Values::Range(min, max) => {
                    // The bounds live in the static `sysctls`; the handler
                    // only reads them.
                    entry.extra1 = (min as *const i32).cast_mut().cast();
                    entry.extra2 = (max as *const i32).cast_mut().cast();
                    entry.proc_handler = Some(bindings::proc_dointvec_minmax);
                }
                Values::Jiffies => entry.proc_handler = Some(bindings::proc_dointvec_jiffies),
                Values::Checked(_) => {
                    entry.extra1 = (s as *const IntSysctl).cast_mut().cast();
                    entry.proc_handler = Some(checked_handler);
                }
            }
            table.push(entry, GFP_KERNEL)?;
        }
        // SAFETY: `net` is live; `path` is static; the table and the
        // values it points to stay where they are until `drop`
        // unregisters it.
        let header = unsafe {
            bindings::register_net_sysctl_sz(net.as_ptr(), path.as_char_ptr(), table.as_mut_ptr(), table.len())
        };
        if header.is_null() {
            return Err(ENOMEM);
        }
        Ok(Self { header, values, starts, _table: table })
    }

    /// The atomic holding integer `at` of sysctl `index` (its place in the
    /// list registered).
    fn value(&self, index: usize, at: usize) -> Option<&AtomicI32> {
        self.values.get(*self.starts.get(index)? + at)
    }

    /// The (first) value of sysctl `index`.
    pub fn get(&self, index: usize) -> i32 {
        self.get_at(index, 0)
    }

    /// Integer `at` of sysctl `index`.
    pub fn get_at(&self, index: usize, at: usize) -> i32 {
        self.value(index, at).map_or(0, |v| v.load(Ordering::Relaxed))
    }

    /// Changes sysctl `index` from `current` to `value` on the kernel's
    /// side, unless a write changed it meanwhile (which wins).
    pub fn update(&self, index: usize, current: i32, value: i32) {
        if let Some(v) = self.value(index, 0) {
            let _ = v.compare_exchange(current, value, Ordering::Relaxed, Ordering::Relaxed);
        }
    }
}

impl Drop for NetSysctls {
    fn drop(&mut self) {
        // SAFETY: registered in `register`; this waits for users of the
        // files, after which the table and values are ours again.
        unsafe { bindings::unregister_net_sysctl_table(self.header) };
    }
}
