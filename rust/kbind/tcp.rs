// SPDX-License-Identifier: GPL-2.0
//! Kernel TCP sockets for an event loop (KTCPVS's threads, thesis
//! §6.4.4): listeners, accepted and outgoing streams, all non-blocking,
//! and an event set that a thread sleeps on until one of its sockets has
//! something for it.
//!
//! A socket is watched as epoll watches one: an entry on the socket's wait
//! queue, whose wake-up marks the socket's slot in the thread's bitmap and
//! wakes the thread. The socket's own callbacks stay the kernel's.

use super::bindings;
use super::netns::Net;
use core::ffi::c_void;
use core::marker::PhantomData;
use kernel::prelude::*;
use kernel::sync::Arc;

/// An IPv4 socket address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Addr {
    /// Address, network order bytes.
    pub ip: [u8; 4],
    /// Port.
    pub port: u16,
}

impl Addr {
    fn raw(&self) -> (u32, u16) {
        (u32::from_ne_bytes(self.ip), self.port.to_be())
    }
}

/// Anything with a kernel socket behind it.
pub trait Socket {
    /// The socket.
    fn raw_socket(&self) -> *mut bindings::socket;
}

/// A TCP connection, released (closed) when dropped.
pub struct TcpStream(*mut bindings::socket);

// SAFETY: a kernel socket may be used from any process context; calls on
// it take its own locks.
unsafe impl Send for TcpStream {}
// SAFETY: as above.
unsafe impl Sync for TcpStream {}

impl Socket for TcpStream {
    fn raw_socket(&self) -> *mut bindings::socket {
        self.0
    }
}

impl TcpStream {
    /// Starts connecting to `to` from namespace `net`, without waiting:
    /// [`Self::status`] says when it is done.
    pub fn connect(net: &Net, to: Addr) -> Result<Self> {
        let (ip, port) = to.raw();
        let mut sock = core::ptr::null_mut();
        // SAFETY: `net` is live; `sock` receives the new socket on success.
        kernel::error::to_result(unsafe { bindings::lvs_tcp_connect(net.as_ptr(), ip, port, &mut sock) })?;
        Ok(Self(sock))
    }

    /// `Ok(false)` while connecting, `Ok(true)` once connected (also
    /// after the peer closed its side), or the error that ended it.
    pub fn status(&self) -> Result<bool> {
        // SAFETY: the socket is live; this reads its state and error.
        let status = unsafe { bindings::lvs_tcp_status(self.0) };
        kernel::error::to_result(status)?;
        Ok(status > 0)
    }

    /// Established, and the peer has neither closed nor sent anything:
    /// an idle connection that can carry a request (a look without the
    /// socket's lock, as poll's).
    pub fn is_quiet(&self) -> bool {
        // SAFETY: the socket is live; this reads its state and queue.
        unsafe { bindings::lvs_tcp_quiet(self.0) }
    }

    /// Whether [`Self::recv`] has something to return now (bytes, the
    /// end of the stream or an error): poll's look, cheaper than a
    /// receive that finds nothing.
    pub fn is_readable(&self) -> bool {
        // SAFETY: the socket is live; poll reads its state.
        unsafe { bindings::lvs_tcp_readable(self.0) }
    }

    /// Sends from `buf` without waiting: the bytes taken, or `None` when
    /// the send buffer is full. `more`: more follows at once (`MSG_MORE`).
    pub fn send(&self, buf: &[u8], more: bool) -> Result<Option<usize>> {
        // SAFETY: the kernel only reads `buf.len()` bytes of `buf`.
        let sent = unsafe { bindings::lvs_tcp_send(self.0, buf.as_ptr().cast::<c_void>(), buf.len(), more) };
        would_block(sent)
    }

    /// Receives into `buf` without waiting: the bytes read (0 at the end
    /// of the stream), or `None` when nothing is queued.
    pub fn recv(&self, buf: &mut [u8]) -> Result<Option<usize>> {
        // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
        let got = unsafe { bindings::lvs_tcp_recv(self.0, buf.as_mut_ptr().cast::<c_void>(), buf.len()) };
        would_block(got)
    }

    /// Sends a FIN after what is queued; receiving goes on.
    pub fn shutdown_write(&self) {
        // SAFETY: the socket is live.
        unsafe { bindings::lvs_tcp_shutdown_write(self.0) };
    }

    /// Makes closing reset the connection rather than end it cleanly.
    pub fn set_abort_on_close(&self) {
        // SAFETY: the socket is live.
        unsafe { bindings::lvs_tcp_abort(self.0) };
    }

    /// The address of the other end.
    pub fn peer(&self) -> Addr {
        let (mut ip, mut port) = (0u32, 0u16);
        // SAFETY: the socket is live; the helper writes both outputs.
        unsafe { bindings::lvs_tcp_peer(self.0, &mut ip, &mut port) };
        Addr { ip: ip.to_ne_bytes(), port: u16::from_be(port) }
    }
}

/// A byte count, or `None` for `EAGAIN`.
fn would_block(ret: i32) -> Result<Option<usize>> {
    if ret == -(bindings::EAGAIN as i32) {
        return Ok(None);
    }
    kernel::error::to_result(ret)?;
    Ok(Some(ret as usize))
}

impl Drop for TcpStream {
    fn drop(&mut self) {
        // SAFETY: created by us, released once; no watch outlives it
        // (`Watched` drops its watch first).
        unsafe { bindings::sock_release(self.0) };
    }
}

/// A listening TCP socket, closed when dropped.
pub struct TcpListener(*mut bindings::socket);

// SAFETY: as for `TcpStream`.
unsafe impl Send for TcpListener {}
// SAFETY: as above.
unsafe impl Sync for TcpListener {}

impl Socket for TcpListener {
    fn raw_socket(&self) -> *mut bindings::socket {
        self.0
    }
}

impl<T: Socket> Socket for Arc<T> {
    fn raw_socket(&self) -> *mut bindings::socket {
        (**self).raw_socket()
    }
}

impl TcpListener {
    /// Listens on `at` in namespace `net` (`SO_REUSEADDR`), with an
    /// accept queue of `backlog`.
    pub fn listen(net: &Net, at: Addr, backlog: u32) -> Result<Self> {
        let (ip, port) = at.raw();
        let backlog = i32::try_from(backlog).unwrap_or(i32::MAX);
        let mut sock = core::ptr::null_mut();
        // SAFETY: `net` is live; `sock` receives the new socket on success.
        kernel::error::to_result(unsafe { bindings::lvs_tcp_listen(net.as_ptr(), ip, port, backlog, &mut sock) })?;
        Ok(Self(sock))
    }

    /// The next queued connection, without waiting (`None` if none).
    pub fn accept(&self) -> Result<Option<TcpStream>> {
        let mut sock = core::ptr::null_mut();
        // SAFETY: the listener is live; `sock` receives the new socket.
        let ret = unsafe { bindings::lvs_tcp_accept(self.0, &mut sock) };
        Ok(would_block(ret)?.map(|_| TcpStream(sock)))
    }
}

impl Drop for TcpListener {
    fn drop(&mut self) {
        // SAFETY: created by us, released once, after every watch on it.
        unsafe { bindings::sock_release(self.0) };
    }
}

/// The event set of the kernel thread that made it: one bit per slot,
/// set when a socket watched in that slot has news. Not `Send`: the
/// wake-ups go to the thread that made it.
pub struct Events {
    raw: *mut bindings::lvs_events,
    slots: usize,
    _thread_bound: PhantomData<*mut ()>,
}

impl Events {
    /// An event set of `slots` slots for the calling thread.
    pub fn new(slots: usize) -> Result<Self> {
        let n = u32::try_from(slots)?;
        // SAFETY: allocates; records `current` as the thread to wake.
        let raw = unsafe { bindings::lvs_events_new(n) };
        if raw.is_null() {
            return Err(ENOMEM);
        }
        Ok(Self { raw, slots, _thread_bound: PhantomData })
    }

    /// How many slots there are.
    pub fn slots(&self) -> usize {
        self.slots
    }

    /// Sleeps until a slot is marked, the thread is asked to stop, or
    /// `timeout` jiffies pass.
    pub fn wait(&self, timeout: kernel::ffi::c_ulong) {
        let timeout = kernel::ffi::c_long::try_from(timeout).unwrap_or(kernel::ffi::c_long::MAX);
        // SAFETY: called by the thread the set belongs to.
        unsafe { bindings::lvs_events_wait(self.raw, timeout) };
    }

    /// The first marked slot at or after `from`, unmarking it.
    pub fn next(&self, from: usize) -> Option<usize> {
        let from = u32::try_from(from).ok()?;
        // SAFETY: the set is live; bits are changed atomically.
        let slot = unsafe { bindings::lvs_events_next(self.raw, from) };
        usize::try_from(slot).ok()
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        // SAFETY: every `Watched` on this set borrows it, so all are gone.
        unsafe { bindings::lvs_events_free(self.raw) };
    }
}

/// A socket watched in one slot of an event set: every wake-up of the
/// socket (data, room to send, state change) marks the slot. The watch
/// ends before the socket is dropped.
pub struct Watched<'e, S: Socket> {
    watch: *mut bindings::lvs_watch,
    socket: S,
    _events: PhantomData<&'e Events>,
}

impl<'e, S: Socket> Watched<'e, S> {
    /// Watches `socket` in slot `slot` of `events`; the slot is marked
    /// at once, so whatever happened before is looked at.
    pub fn new(socket: S, events: &'e Events, slot: usize) -> Result<Self> {
        Self::add(socket, events, slot, false)
    }

    /// Watches `socket`, which other threads watch too (a listener they
    /// share), in slot `slot` of `events`: each wake-up of the socket
    /// marks one of the watching threads, in turn, instead of them all.
    pub fn in_turn(socket: S, events: &'e Events, slot: usize) -> Result<Self> {
        Self::add(socket, events, slot, true)
    }

    fn add(socket: S, events: &'e Events, slot: usize, in_turn: bool) -> Result<Self> {
        let slot = u32::try_from(slot)?;
        // SAFETY: the socket is live and outlives the watch (dropped
        // after it, see `Drop`); `events` outlives it by the borrow.
        let watch = unsafe { bindings::lvs_watch_add(socket.raw_socket(), events.raw, slot, in_turn) };
        if watch.is_null() {
            return Err(if slot as usize >= events.slots { EINVAL } else { ENOMEM });
        }
        Ok(Self { watch, socket, _events: PhantomData })
    }
}

impl<S: Socket> Watched<'_, S> {
    /// Ends the watch and gives the socket back.
    pub fn into_inner(self) -> S {
        let this = core::mem::ManuallyDrop::new(self);
        // SAFETY: added in `new`, removed once here (`Drop` will not run).
        unsafe { bindings::lvs_watch_del(this.watch) };
        // SAFETY: `this` is never used or dropped again, so the socket
        // is moved out exactly once.
        unsafe { core::ptr::read(&this.socket) }
    }
}

impl<S: Socket> core::ops::Deref for Watched<'_, S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.socket
    }
}

impl<S: Socket> Drop for Watched<'_, S> {
    fn drop(&mut self) {
        // SAFETY: added in `new`; the socket (dropped after this) is live.
        unsafe { bindings::lvs_watch_del(self.watch) };
    }
}
