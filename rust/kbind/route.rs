// SPDX-License-Identifier: GPL-2.0
//! Routes looked up for packets the director sends on.

use super::bindings;
use super::netns::Net;
use kernel::prelude::*;

/// A route (a reference to it), IPv4 or IPv6, released on drop unless
/// handed to a packet with [`super::skb::Skb::set_route`].
pub struct Route {
    dst: *mut bindings::dst_entry,
    source: [u8; 16],
    local: bool,
}

// SAFETY: a route reference may be released from any CPU.
unsafe impl Send for Route {}

impl Route {
    /// The route `net` takes to `daddr` (IPv6 if `v6`, else IPv4 in the
    /// first four bytes) for packets with firewall mark `mark`. With
    /// `via_daddr`, the route sends packets for any address to `daddr` as
    /// the next hop (VS/DR: the real server's MAC address on a packet for
    /// the virtual address).
    pub fn output(net: &Net, v6: bool, daddr: &[u8; 16], mark: u32, via_daddr: bool) -> Result<Self> {
        let mut dst = core::ptr::null_mut();
        let mut source = [0u8; 16];
        let mut local = false;
        if v6 {
            let addr = bindings::in6_addr { in6_u: bindings::in6_addr__bindgen_ty_1 { u6_addr8: *daddr } };
            let mut saddr = bindings::in6_addr { in6_u: bindings::in6_addr__bindgen_ty_1 { u6_addr8: [0; 16] } };
            // SAFETY: `net` is live; the helper fills every output on
            // success.
            kernel::error::to_result(unsafe {
                bindings::lvs_route_output_v6(net.as_ptr(), &addr, mark, via_daddr, &mut dst, &mut saddr, &mut local)
            })?;
            // SAFETY: every bit pattern is a valid byte array.
            source = unsafe { saddr.in6_u.u6_addr8 };
        } else {
            let addr = u32::from_ne_bytes([daddr[0], daddr[1], daddr[2], daddr[3]]);
            let mut saddr = 0;
            // SAFETY: as above.
            kernel::error::to_result(unsafe {
                bindings::lvs_route_output_v4(net.as_ptr(), addr, mark, via_daddr, &mut dst, &mut saddr, &mut local)
            })?;
            source[..4].copy_from_slice(&saddr.to_ne_bytes());
        }
        Ok(Self { dst, source, local })
    }

    /// The source address the route picks (IPv4 in the first four bytes).
    pub fn source(&self) -> &[u8; 16] {
        &self.source
    }

    /// Whether it leads to this host (one of its own addresses).
    pub fn is_local(&self) -> bool {
        self.local
    }

    /// The MTU of its path.
    pub fn mtu(&self) -> u32 {
        // SAFETY: `dst` is a live route we hold a reference to.
        unsafe { bindings::lvs_dst_mtu(self.dst) }
    }

    /// Gives the reference away (to a packet).
    pub(crate) fn into_raw(self) -> *mut bindings::dst_entry {
        let dst = self.dst;
        core::mem::forget(self);
        dst
    }
}

impl Drop for Route {
    fn drop(&mut self) {
        // SAFETY: we hold one reference to `dst`; this releases it.
        unsafe { bindings::lvs_dst_release(self.dst) };
    }
}
