// SPDX-License-Identifier: GPL-2.0
//! A view of a socket buffer handed to a hook.

use super::bindings;
use kernel::prelude::*;
use kernel::types::Opaque;

/// A packet, borrowed exclusively for the duration of a hook.
#[repr(transparent)]
pub struct Skb(Opaque<bindings::sk_buff>);

impl Skb {
    /// Borrows the packet behind `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` points to a live `sk_buff` that nothing else touches for `'a`
    /// (true inside a netfilter hook).
    pub(crate) unsafe fn from_ptr<'a>(ptr: *mut bindings::sk_buff) -> &'a mut Skb {
        // SAFETY: transparent wrapper; exclusivity is the caller's promise.
        unsafe { &mut *ptr.cast::<Skb>() }
    }

    pub(crate) fn raw(&self) -> *mut bindings::sk_buff {
        self.0.get()
    }

    /// Length of the packet from its current data pointer, in bytes.
    pub fn len(&self) -> u32 {
        // SAFETY: `self` is a live skb (see `from_ptr`).
        unsafe { (*self.raw()).len }
    }

    /// Whether the packet has no bytes past its data pointer.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first `len` bytes of the network header, made linear if they
    /// were not; `None` if the packet is shorter.
    pub fn network_bytes(&mut self, len: usize) -> Option<&[u8]> {
        let skb = self.raw();
        // SAFETY: `skb` is live; these read its header offsets.
        let (head, data) = unsafe { (bindings::lvs_skb_network_header(skb), (*skb).data) };
        let offset = (head as usize).checked_sub(data as usize)?;
        let need = u32::try_from(offset.checked_add(len)?).ok()?;
        // SAFETY: `skb` is live and exclusively ours; may_pull may
        // reallocate the head, so the header is read again below.
        if !unsafe { bindings::lvs_pskb_may_pull(skb, need) } {
            return None;
        }
        // SAFETY: `pskb_may_pull` made `need` bytes from `data`, thus `len`
        // bytes from the network header, linear; they stay so while we
        // hold `&mut self`.
        Some(unsafe { core::slice::from_raw_parts(bindings::lvs_skb_network_header(skb), len) })
    }

    /// The first `len` bytes of the network header, linear and private to
    /// this packet (unshared, uncloned) so they can be rewritten; `None`
    /// if the packet is shorter or memory is short.
    pub fn network_bytes_mut(&mut self, len: usize) -> Option<&mut [u8]> {
        let skb = self.raw();
        // SAFETY: `skb` is live; these read its header offsets.
        let (head, data) = unsafe { (bindings::lvs_skb_network_header(skb), (*skb).data) };
        let offset = (head as usize).checked_sub(data as usize)?;
        let need = u32::try_from(offset.checked_add(len)?).ok()?;
        // SAFETY: `skb` is live and exclusively ours; this may reallocate
        // the head, so the header is read again below.
        if unsafe { bindings::skb_ensure_writable(skb, need) } != 0 {
            return None;
        }
        // SAFETY: `need` bytes from `data`, thus `len` from the network
        // header, are now linear and writable by us alone while we hold
        // `&mut self`.
        Some(unsafe { core::slice::from_raw_parts_mut(bindings::lvs_skb_network_header(skb), len) })
    }

    /// Whether the transport checksum is left for the device or the
    /// stack to finish (`CHECKSUM_PARTIAL`): the field then holds the
    /// pseudo-header sum only.
    pub fn csum_partial(&self) -> bool {
        // SAFETY: `self` is a live skb; this reads a bit field.
        unsafe { bindings::lvs_skb_csum_partial(self.raw()) }
    }

    /// Replaces the packet's route with the route to `daddr` in `net`.
    pub fn route_v4(&mut self, net: &super::netns::Net, daddr: [u8; 4]) -> Result {
        let daddr = u32::from_ne_bytes(daddr);
        // SAFETY: `self` is live and exclusively ours; `net` is live.
        kernel::error::to_result(unsafe { bindings::lvs_skb_route_v4(net.as_ptr(), self.raw(), daddr) })
    }
}
