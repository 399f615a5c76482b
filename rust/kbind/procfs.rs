// SPDX-License-Identifier: GPL-2.0
//! Files under a namespace's `/proc/net`, shown through a `seq_file`;
//! read-only, or also writable by the network admin.

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

impl SeqFile {
    /// Writes `bytes` as they are (text that need not be UTF-8).
    pub fn write_bytes(&mut self, bytes: &[u8]) {
        // SAFETY: as in `write_str`.
        unsafe { bindings::seq_write(self.0, bytes.as_ptr().cast(), bytes.len()) };
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

/// What a write to the file does.
pub trait NetProcWrite: NetProcShow {
    /// Takes `text`, the bytes of one write (at most a page less one),
    /// for namespace `net`, from a process with `CAP_NET_ADMIN` in the
    /// initial user namespace (as the genetlink families demand).
    fn write(net: &Net, text: &[u8]) -> Result;
}

unsafe extern "C" fn write_trampoline<W: NetProcWrite>(
    file: *mut bindings::file,
    buf: *mut u8,
    size: usize,
) -> c_int {
    // SAFETY: a `proc_create_net_single_write` file being written is open,
    // its seq_file holding a reference to its namespace.
    let net = unsafe { Net::from_ptr(bindings::lvs_proc_file_net(file)) };
    // SAFETY: `file` is open and `net` live, as above.
    if !unsafe { bindings::lvs_file_net_admin(file, net.as_ptr()) } {
        return EPERM.to_errno();
    }
    // SAFETY: `proc_simple_write` copied the `size` bytes written into
    // `buf`, which lives until this returns.
    let text = unsafe { core::slice::from_raw_parts(buf, size) };
    match W::write(net, text) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
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
        Self::created(net, name, entry)
    }

    fn created(net: &Net, name: &'static CStr, entry: *mut bindings::proc_dir_entry) -> Result<Self> {
        if entry.is_null() {
            return Err(ENOMEM);
        }
        Ok(Self { net: net.as_ptr(), name, _show: PhantomData })
    }
}

impl<W: NetProcWrite> NetProcFile<W> {
    /// Creates `/proc/net/<name>` in `net`, mode 0644, written through
    /// [`NetProcWrite`]; it must belong to a [`super::netns::PernetState`].
    pub fn create_writable(net: &Net, name: &'static CStr) -> Result<Self> {
        // SAFETY: as in `create`.
        let entry = unsafe {
            bindings::proc_create_net_single_write(
                name.as_char_ptr(),
                0o644,
                bindings::lvs_net_proc_dir(net.as_ptr()),
                Some(show_trampoline::<W>),
                Some(write_trampoline::<W>),
                core::ptr::null_mut(),
            )
        };
        Self::created(net, name, entry)
    }
}

impl<S: NetProcShow> Drop for NetProcFile<S> {
    fn drop(&mut self) {
        // SAFETY: created in `create` in this live namespace; removal waits
        // for readers.
        unsafe { bindings::remove_proc_entry(self.name.as_char_ptr(), bindings::lvs_net_proc_dir(self.net)) };
    }
}
