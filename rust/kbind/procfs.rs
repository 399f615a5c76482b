// SPDX-License-Identifier: GPL-2.0
//! Read-only files under a namespace's `/proc/net`, shown through a
//! `seq_file`.

use super::bindings;
use super::netns::Net;
use core::ffi::{c_int, c_void};
use core::fmt;
use core::marker::PhantomData;
use kernel::prelude::*;
use kernel::str::CStr;

/// The text a read of the file produces.
pub trait NetProcShow: 'static {
    /// Writes the whole file for namespace `net`.
    fn show(net: &Net, out: &mut SeqFile) -> fmt::Result;
}

/// The file being produced; `write!` into it.
pub struct SeqFile(*mut bindings::seq_file);

impl fmt::Write for SeqFile {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // SAFETY: `self.0` is the live seq_file of the current read; a
        // full buffer is not an error here: seq_file retries with more.
        unsafe { bindings::seq_write(self.0, s.as_ptr().cast(), s.len()) };
        Ok(())
    }
}

unsafe extern "C" fn show_trampoline<S: NetProcShow>(
    seq: *mut bindings::seq_file,
    _v: *mut c_void,
) -> c_int {
    // SAFETY: a `proc_create_net_single` file's seq_file is live and holds
    // a reference to its namespace during `show`.
    let net = unsafe { Net::from_ptr(bindings::lvs_seq_file_net(seq)) };
    // Overflow is handled by seq_file itself: it notices, grows and retries.
    let _ = S::show(net, &mut SeqFile(seq));
    0
}

/// A file `/proc/net/NAME` in one namespace, removed on drop.
pub struct NetProcFile<S: NetProcShow> {
    net: *mut bindings::net,
    name: &'static CStr,
    _show: PhantomData<S>,
}

// SAFETY: `net` is only used to remove the file, and the namespace
// outlives this object (dropped from the namespace's exit callback).
unsafe impl<S: NetProcShow> Send for NetProcFile<S> {}
// SAFETY: `&NetProcFile` exposes nothing.
unsafe impl<S: NetProcShow> Sync for NetProcFile<S> {}

impl<S: NetProcShow> NetProcFile<S> {
    /// Creates `/proc/net/<name>` in `net`, mode 0444; it must belong to a
    /// [`super::netns::PernetState`].
    pub fn create(net: &Net, name: &'static CStr) -> Result<Self> {
        // SAFETY: `net` is live; `name` is static; the entry is removed in
        // `drop` while `net` is still alive.
        let entry = unsafe {
            bindings::proc_create_net_single(
                name.as_char_ptr(),
                0o444,
                bindings::lvs_net_proc_dir(net.as_ptr()),
                Some(show_trampoline::<S>),
                core::ptr::null_mut(),
            )
        };
        if entry.is_null() {
            return Err(ENOMEM);
        }
        Ok(Self { net: net.as_ptr(), name, _show: PhantomData })
    }
}

impl<S: NetProcShow> Drop for NetProcFile<S> {
    fn drop(&mut self) {
        // SAFETY: created in `create` in this live namespace; removal waits
        // for readers.
        unsafe { bindings::remove_proc_entry(self.name.as_char_ptr(), bindings::lvs_net_proc_dir(self.net)) };
    }
}
