// SPDX-License-Identifier: GPL-2.0
//! Integer sysctls of a network namespace (`/proc/sys/<path>/<name>`),
//! read and written by the kernel's own `proc_dointvec` handlers.

use super::bindings;
use super::netns::Net;
use core::sync::atomic::{AtomicI32, Ordering};
use kernel::prelude::*;
use kernel::str::CStr;

/// One integer sysctl: its file name, the value it starts with and the
/// values it takes.
pub struct IntSysctl {
    /// File name under the directory.
    pub name: &'static CStr,
    /// Value in a new namespace.
    pub default: i32,
    /// The lowest and highest value a write may set (`EINVAL` outside,
    /// `proc_dointvec_minmax`); `None`: any.
    pub range: Option<(i32, i32)>,
}

/// A namespace's directory of integer sysctls, removed on drop. The
/// values live here; the packet path reads them with [`Self::get`].
pub struct NetSysctls {
    header: *mut bindings::ctl_table_header,
    /// What the files point to: never resized, so never moved.
    values: KVec<AtomicI32>,
    /// The kernel keeps pointers into it while registered.
    _table: KVec<bindings::ctl_table>,
}

// SAFETY: `header` is only used to unregister; the values are atomics.
unsafe impl Send for NetSysctls {}
// SAFETY: as above.
unsafe impl Sync for NetSysctls {}

impl NetSysctls {
    /// Creates `/proc/sys/<path>/` in `net` with a mode 0644 file for each
    /// of `sysctls`, which start at their defaults.
    pub fn register(net: &Net, path: &'static CStr, sysctls: &'static [IntSysctl]) -> Result<Self> {
        let mut values = KVec::with_capacity(sysctls.len(), GFP_KERNEL)?;
        for s in sysctls {
            values.push(AtomicI32::new(s.default), GFP_KERNEL)?;
        }
        let mut table = KVec::with_capacity(sysctls.len(), GFP_KERNEL)?;
        for (s, value) in sysctls.iter().zip(values.iter()) {
            let mut entry = bindings::ctl_table {
                procname: s.name.as_char_ptr(),
                data: value.as_ptr().cast(),
                maxlen: core::mem::size_of::<i32>() as i32,
                mode: 0o644,
                proc_handler: Some(bindings::proc_dointvec),
                ..Default::default()
            };
            if let Some((min, max)) = &s.range {
                // The bounds live in the static `sysctls`; the handler only
                // reads them.
                entry.extra1 = (min as *const i32).cast_mut().cast();
                entry.extra2 = (max as *const i32).cast_mut().cast();
                entry.proc_handler = Some(bindings::proc_dointvec_minmax);
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
        Ok(Self { header, values, _table: table })
    }

    /// The value of sysctl `index` (its place in the list registered).
    pub fn get(&self, index: usize) -> i32 {
        self.values.get(index).map_or(0, |v| v.load(Ordering::Relaxed))
    }

    /// Changes sysctl `index` from `current` to `value` on the kernel's
    /// side, unless a write changed it meanwhile (which wins).
    pub fn update(&self, index: usize, current: i32, value: i32) {
        if let Some(v) = self.values.get(index) {
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
