// SPDX-License-Identifier: GPL-2.0
//! Routes looked up for packets the director sends on.

use super::bindings;
use super::netns::Net;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::prelude::*;
use kernel::types::Opaque;

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
    /// first four bytes), whatever the packet's firewall mark, as
    /// upstream routes to real servers. With
    /// `via_daddr`, the route sends packets for any address to `daddr` as
    /// the next hop (VS/DR: the real server's MAC address on a packet for
    /// the virtual address).
    pub fn output(net: &Net, v6: bool, daddr: &[u8; 16], via_daddr: bool) -> Result<Self> {
        let mut dst = core::ptr::null_mut();
        let mut source = [0u8; 16];
        let mut local = false;
        if v6 {
            let addr = bindings::in6_addr { in6_u: bindings::in6_addr__bindgen_ty_1 { u6_addr8: *daddr } };
            let mut saddr = bindings::in6_addr { in6_u: bindings::in6_addr__bindgen_ty_1 { u6_addr8: [0; 16] } };
            // SAFETY: `net` is live; the helper fills every output on
            // success.
            kernel::error::to_result(unsafe {
                bindings::lvs_route_output_v6(net.as_ptr(), &addr, via_daddr, &mut dst, &mut saddr, &mut local)
            })?;
            // SAFETY: every bit pattern is a valid byte array.
            source = unsafe { saddr.in6_u.u6_addr8 };
        } else {
            let addr = u32::from_ne_bytes([daddr[0], daddr[1], daddr[2], daddr[3]]);
            let mut saddr = 0;
            // SAFETY: as above.
            kernel::error::to_result(unsafe {
                bindings::lvs_route_output_v4(net.as_ptr(), addr, via_daddr, &mut dst, &mut saddr, &mut local)
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

/// A route kept for reuse, freed an RCU grace period after it is
/// replaced (packets may still be reading it).
#[repr(C)]
struct Cached {
    /// First: the RCU callback finds the whole from it.
    rcu: Opaque<bindings::callback_head>,
    /// One reference held.
    dst: *mut bindings::dst_entry,
    cookie: u32,
    via_daddr: bool,
    source: [u8; 16],
    local: bool,
}

/// One real server's route, looked up once and reused by every packet
/// while the kernel deems it valid, as upstream keeps `dest_dst`: a
/// routing lookup per packet costs more than the rest of the forwarding.
/// Replaced without locks; readers hold RCU.
pub struct RouteCache(AtomicPtr<Cached>);

impl RouteCache {
    /// Nothing cached.
    pub const fn new() -> Self {
        Self(AtomicPtr::new(core::ptr::null_mut()))
    }

    /// The cached route, with a reference of its own, if there is one
    /// for `via_daddr` (see [`Route::output`]) and the kernel still
    /// deems it valid.
    pub fn get(&self, via_daddr: bool) -> Option<Route> {
        // SAFETY: RCU read-side section, closed below.
        unsafe { bindings::lvs_rcu_read_lock() };
        let cached = self.0.load(Ordering::Acquire);
        // SAFETY: a non-null pointer is a live `Cached`: one replaced is
        // freed only after a grace period, and we are inside a section.
        let route = unsafe { cached.as_ref() }.filter(|c| c.via_daddr == via_daddr).and_then(|c| {
            // SAFETY: `c.dst` is a route we hold a reference to until the
            // grace period ends; the helper takes another if it is valid.
            unsafe { bindings::lvs_dst_check_hold(c.dst, c.cookie) }.then(|| Route {
                dst: c.dst,
                source: c.source,
                local: c.local,
            })
        });
        // SAFETY: closes the section opened above.
        unsafe { bindings::lvs_rcu_read_unlock() };
        route
    }

    /// Keeps `route`, looked up with `via_daddr`, of family IPv6 if `v6`
    /// (any context; without memory nothing is kept).
    pub fn set(&self, route: &Route, v6: bool, via_daddr: bool) {
        // SAFETY: we hold a reference to `route.dst`; reading its cookie
        // needs nothing else.
        let cookie = unsafe { bindings::lvs_dst_cookie(route.dst, v6) };
        let Ok(cached) = KBox::new(
            Cached { rcu: Opaque::uninit(), dst: route.dst, cookie, via_daddr, source: route.source, local: route.local },
            GFP_ATOMIC,
        ) else {
            return;
        };
        // SAFETY: the cache's own reference to a route we hold one to.
        unsafe { bindings::lvs_dst_hold(route.dst) };
        retire(self.0.swap(KBox::into_raw(cached), Ordering::AcqRel));
    }

    /// Forgets the cached route (any context).
    pub fn forget(&self) {
        retire(self.0.swap(core::ptr::null_mut(), Ordering::AcqRel));
    }
}

impl Default for RouteCache {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for RouteCache {
    fn drop(&mut self) {
        retire(*self.0.get_mut());
    }
}

/// Frees `cached` (if not null) once no reader can hold it.
fn retire(cached: *mut Cached) {
    if cached.is_null() {
        return;
    }
    // SAFETY: `cached` came from `KBox::into_raw` and is unreachable for
    // new readers; `free_cached` runs after current ones are done. The
    // module waits for pending callbacks before it goes (`rcu_barrier`).
    unsafe { bindings::call_rcu((*cached).rcu.get(), Some(free_cached)) };
}

unsafe extern "C" fn free_cached(head: *mut bindings::callback_head) {
    // SAFETY: `head` is the first field of a `Cached` from `KBox::into_raw`
    // (repr(C)), handed to `call_rcu` once.
    let cached = unsafe { KBox::from_raw(head.cast::<Cached>()) };
    // SAFETY: releases the reference the cache held.
    unsafe { bindings::lvs_dst_release(cached.dst) };
}

/// Kept by a module that caches routes, dropped last as it unloads: waits
/// until every cache freed so far is gone, as the frees run its code.
pub struct RouteCacheFrees;

impl Drop for RouteCacheFrees {
    fn drop(&mut self) {
        // SAFETY: waits for pending RCU callbacks; may sleep (module exit).
        unsafe { bindings::rcu_barrier() };
    }
}
