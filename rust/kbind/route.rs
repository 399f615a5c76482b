// SPDX-License-Identifier: GPL-2.0
//! Routes looked up for packets the director sends on.

use super::bindings;
use super::netns::Net;
use kernel::prelude::*;

/// An IPv4 route (a reference to it), released on drop unless handed to
/// a packet with [`super::skb::Skb::set_route`].
pub struct RouteV4 {
    rt: *mut bindings::rtable,
    source: [u8; 4],
}

// SAFETY: a route reference may be released from any CPU.
unsafe impl Send for RouteV4 {}

impl RouteV4 {
    /// The route `net` takes to `daddr` for packets with firewall mark
    /// `mark`. With `via_daddr`, the route sends packets for any address
    /// to `daddr` as the next hop (VS/DR: the real server's MAC address
    /// on a packet for the virtual address).
    pub fn output(net: &Net, daddr: [u8; 4], mark: u32, via_daddr: bool) -> Result<Self> {
        let mut rt = core::ptr::null_mut();
        let mut saddr = 0;
        let daddr = u32::from_ne_bytes(daddr);
        // SAFETY: `net` is live; the helper fills both outputs on success.
        kernel::error::to_result(unsafe {
            bindings::lvs_route_output_v4(net.as_ptr(), daddr, mark, via_daddr, &mut rt, &mut saddr)
        })?;
        Ok(Self { rt, source: saddr.to_ne_bytes() })
    }

    /// The source address the route picks.
    pub fn source(&self) -> [u8; 4] {
        self.source
    }

    /// Whether it leads to this host (one of its own addresses).
    pub fn is_local(&self) -> bool {
        // SAFETY: `rt` is a live route we hold a reference to.
        unsafe { bindings::lvs_rt_is_local(self.rt) }
    }

    /// The MTU of its path.
    pub fn mtu(&self) -> u32 {
        // SAFETY: `rt` is a live route we hold a reference to.
        unsafe { bindings::lvs_rt_mtu(self.rt) }
    }

    /// Gives the reference away (to a packet).
    pub(crate) fn into_raw(self) -> *mut bindings::rtable {
        let rt = self.rt;
        core::mem::forget(self);
        rt
    }
}

impl Drop for RouteV4 {
    fn drop(&mut self) {
        // SAFETY: we hold one reference to `rt`; this releases it.
        unsafe { bindings::lvs_rt_put(self.rt) };
    }
}
