// SPDX-License-Identifier: GPL-2.0
//! UDP multicast sockets in the kernel, for the connection-sync daemons:
//! a sender that multicasts datagrams out of one interface, a receiver
//! that joins a group on one.

use super::bindings;
use super::netns::Net;
use core::ffi::c_void;
use core::mem::MaybeUninit;
use kernel::prelude::*;

/// A multicast group and UDP port, IPv4 (first four bytes) or IPv6.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Group {
    /// IPv6 group.
    pub v6: bool,
    /// Group address.
    pub addr: [u8; 16],
    /// UDP port.
    pub port: u16,
}

/// A socket address as the kernel's `sockaddr_in` / `sockaddr_in6`
/// lay out: family (host order), port, then the IPv4 address or the
/// flow label, IPv6 address and scope.
#[repr(C, align(4))]
struct SockAddr([u8; 28]);

impl SockAddr {
    fn new(v6: bool, addr: &[u8; 16], port: u16) -> (Self, i32) {
        let mut raw = [0u8; 28];
        let family = if v6 { bindings::AF_INET6 } else { bindings::AF_INET } as u16;
        raw[..2].copy_from_slice(&family.to_ne_bytes());
        raw[2..4].copy_from_slice(&port.to_be_bytes());
        if v6 {
            raw[8..24].copy_from_slice(addr);
            (Self(raw), 28)
        } else {
            raw[4..8].copy_from_slice(&addr[..4]);
            (Self(raw), 16)
        }
    }

    fn as_ptr(&mut self) -> *mut bindings::sockaddr {
        self.0.as_mut_ptr().cast()
    }
}

/// A kernel UDP socket, released when dropped.
struct UdpSocket(*mut bindings::socket);

// SAFETY: a kernel socket may be used from any process context; calls
// on it take its own locks.
unsafe impl Send for UdpSocket {}
// SAFETY: as above.
unsafe impl Sync for UdpSocket {}

impl UdpSocket {
    fn create(net: &Net, v6: bool) -> Result<Self> {
        let family = if v6 { bindings::AF_INET6 } else { bindings::AF_INET } as i32;
        let mut sock = core::ptr::null_mut();
        // SAFETY: `net` is live; `sock` receives the new socket.
        kernel::error::to_result(unsafe {
            bindings::sock_create_kern(net.as_ptr(), family, bindings::sock_type_SOCK_DGRAM as i32, bindings::IPPROTO_UDP as i32, &mut sock)
        })?;
        Ok(Self(sock))
    }

    fn sk(&self) -> *mut bindings::sock {
        // SAFETY: a created socket has its `sk`.
        unsafe { bindings::lvs_socket_sk(self.0) }
    }

    fn bind(&self, v6: bool, addr: &[u8; 16], port: u16) -> Result {
        let (mut sa, len) = SockAddr::new(v6, addr, port);
        // SAFETY: `sa` holds a socket address of `len` bytes.
        kernel::error::to_result(unsafe { bindings::kernel_bind(self.0, sa.as_ptr(), len) })
    }

    fn connect(&self, group: &Group) -> Result {
        let (mut sa, len) = SockAddr::new(group.v6, &group.addr, group.port);
        // SAFETY: as in `bind`.
        kernel::error::to_result(unsafe { bindings::kernel_connect(self.0, sa.as_ptr(), len, 0) })
    }

    fn io(buf: *mut u8, len: usize) -> (bindings::msghdr, bindings::kvec) {
        // SAFETY: an all-zero `msghdr` is an empty message without address.
        let mut msg: bindings::msghdr = unsafe { MaybeUninit::zeroed().assume_init() };
        msg.msg_flags = (bindings::MSG_DONTWAIT | bindings::MSG_NOSIGNAL) as u32;
        (msg, bindings::kvec { iov_base: buf.cast::<c_void>(), iov_len: len })
    }
}

impl Drop for UdpSocket {
    fn drop(&mut self) {
        // SAFETY: created in `create`, released once.
        unsafe { bindings::sock_release(self.0) };
    }
}

/// Sends datagrams to a group, out of one interface.
pub struct Sender(UdpSocket);

impl Sender {
    /// A sender to `group` out of interface `ifindex`, with multicast
    /// `ttl`, looping nothing back, a send buffer of `buffer` bytes
    /// (twice that, as `SO_SNDBUF`; 0: the kernel's); IPv4 ones from the
    /// interface's address. May sleep.
    pub fn open(net: &Net, ifindex: i32, group: &Group, ttl: u8, buffer: i32) -> Result<Self> {
        let sock = UdpSocket::create(net, group.v6)?;
        // SAFETY: `sk` is the new socket's.
        unsafe { bindings::lvs_sk_mcast_out(sock.sk(), ifindex, ttl) };
        if buffer > 0 {
            // SAFETY: as above; the kernel bounds the size.
            unsafe { bindings::lvs_sk_set_buffer(sock.sk(), true, buffer) };
        }
        if !group.v6 {
            // SAFETY: `net` is live.
            let source = unsafe { bindings::lvs_dev_ipv4_addr(net.as_ptr(), ifindex) };
            let mut addr = [0u8; 16];
            addr[..4].copy_from_slice(&source.to_ne_bytes());
            sock.bind(false, &addr, 0)?;
        }
        sock.connect(group)?;
        Ok(Self(sock))
    }

    /// Sends `datagram` without waiting; `EAGAIN` when the socket's
    /// buffer is full.
    pub fn send(&self, datagram: &[u8]) -> Result {
        let (mut msg, mut vec) = UdpSocket::io(datagram.as_ptr().cast_mut(), datagram.len());
        // SAFETY: the kernel only reads `datagram` through `vec`.
        let sent = unsafe { bindings::kernel_sendmsg(self.0 .0, &mut msg, &mut vec, 1, datagram.len()) };
        kernel::error::to_result(sent)
    }
}

/// Receives a group's datagrams on one interface.
pub struct Receiver(UdpSocket);

impl Receiver {
    /// A receiver of `group` on interface `ifindex`, with a receive
    /// buffer of `buffer` bytes (twice that, as `SO_RCVBUF`; 0: the
    /// kernel's). May sleep (takes RTNL to join the group).
    pub fn open(net: &Net, ifindex: i32, group: &Group, buffer: i32) -> Result<Self> {
        let sock = UdpSocket::create(net, group.v6)?;
        // SAFETY: `sk` is the new, unbound socket's.
        unsafe { bindings::lvs_sk_bind_dev_reuse(sock.sk(), ifindex) };
        if buffer > 0 {
            // SAFETY: as above; the kernel bounds the size.
            unsafe { bindings::lvs_sk_set_buffer(sock.sk(), false, buffer) };
        }
        sock.bind(group.v6, &group.addr, group.port)?;
        // SAFETY: `group.addr` holds the 4 or 16 bytes read.
        kernel::error::to_result(unsafe {
            bindings::lvs_sk_join_group(sock.sk(), group.v6, group.addr.as_ptr().cast(), ifindex)
        })?;
        Ok(Self(sock))
    }

    /// Sleeps until a datagram is queued or the calling kernel thread is
    /// asked to stop.
    pub fn wait(&self) {
        // SAFETY: the socket is live; the wait ends on data or a stop.
        let _ = unsafe { bindings::lvs_sock_wait_data(self.0 .0) };
    }

    /// The next queued datagram into `buf`, without waiting: its length
    /// (cut to `buf`), or `EAGAIN` when none is queued.
    pub fn recv(&self, buf: &mut [u8]) -> Result<usize> {
        let (mut msg, mut vec) = UdpSocket::io(buf.as_mut_ptr(), buf.len());
        // SAFETY: the kernel writes at most `buf.len()` bytes through `vec`.
        let got = unsafe {
            bindings::kernel_recvmsg(self.0 .0, &mut msg, &mut vec, 1, buf.len(), bindings::MSG_DONTWAIT as i32)
        };
        kernel::error::to_result(got)?;
        Ok(got as usize)
    }
}
