// SPDX-License-Identifier: GPL-2.0
//! A view of a socket buffer handed to a hook.

use super::bindings;
use super::netns::Net;
use super::route::Route;
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

    /// Tells the stack that bytes covered by the transport checksum were
    /// rewritten (with the checksum field updated): a sum the device took
    /// over the old bytes (`CHECKSUM_COMPLETE`) is dropped.
    pub fn csum_rewritten(&mut self) {
        // SAFETY: `self` is a live skb, exclusively ours.
        unsafe { bindings::lvs_skb_csum_rewritten(self.raw()) };
    }

    /// Computes anew the checksum (CRC32c) of the SCTP packet whose
    /// header is `l4` bytes past the network header, and marks it
    /// checked; false if the header could not be made writable.
    pub fn sctp_csum(&mut self, l4: usize) -> bool {
        const SCTP_HEADER: usize = 12;
        let Ok(at) = u32::try_from(l4) else { return false };
        if self.network_bytes_mut(l4 + SCTP_HEADER).is_none() {
            return false;
        }
        // SAFETY: `self` is live and exclusively ours; its SCTP header
        // was just made linear and writable.
        unsafe { bindings::lvs_skb_sctp_csum(self.raw(), at) };
        true
    }

    /// The packet's firewall mark.
    pub fn mark(&self) -> u32 {
        // SAFETY: `self` is a live skb; this reads a field.
        unsafe { bindings::lvs_skb_mark(self.raw()) }
    }

    /// Whether IPVS sent the packet or was told to leave it alone (the
    /// kernel's `ipvs_property`; always `false` on a kernel without IPVS
    /// support, which has no such mark).
    pub fn ipvs_property(&self) -> bool {
        // SAFETY: `self` is a live skb; this reads a field.
        unsafe { bindings::lvs_skb_ipvs_property(self.raw()) }
    }

    /// Marks the packet as IPVS's to leave alone (see
    /// [`Self::ipvs_property`]; nothing on a kernel without IPVS support).
    pub fn set_ipvs_property(&mut self) {
        // SAFETY: `self` is a live skb, exclusively ours.
        unsafe { bindings::lvs_skb_set_ipvs_property(self.raw()) };
    }

    /// Whether the packet stands for several segments, cut on the way out
    /// (GSO).
    pub fn is_gso(&self) -> bool {
        // SAFETY: `self` is a live skb; this reads its shared info.
        unsafe { bindings::lvs_skb_is_gso(self.raw()) }
    }

    /// Replaces the packet's route with `route`.
    pub fn set_route(&mut self, route: Route) {
        // SAFETY: `self` is live and exclusively ours; the route's
        // reference passes to the packet.
        unsafe { bindings::lvs_skb_set_dst(self.raw(), route.into_raw()) };
    }

    /// Tells the packet's source to send packets of at most `mtu` bytes
    /// (ICMP "fragmentation needed", ICMPv6 "packet too big" if `v6`).
    /// The packet must still have the route it arrived with: the reply
    /// then comes from the address it was sent to.
    pub fn icmp_too_big(&mut self, mtu: u32, v6: bool) {
        // SAFETY: `self` is a live skb, exclusively ours.
        unsafe { bindings::lvs_icmp_too_big(self.raw(), mtu, v6) };
    }

    /// Routes a forwarded packet again, by its source too, as if this host
    /// sent it (`ip_route_me_harder`); `false` if no route takes it.
    pub fn reroute_by_source(&mut self, net: &Net, v6: bool) -> bool {
        // SAFETY: `self` is a live skb, exclusively ours, with a route (it
        // is being forwarded); `net` is its namespace.
        unsafe { bindings::lvs_reroute_by_source(net.as_ptr(), self.raw(), v6) == 0 }
    }

    /// Tells the packet's source that nothing serves the port it sent to
    /// (ICMP or ICMPv6 "port unreachable"), from the address it was sent
    /// to.
    pub fn icmp_port_unreachable(&mut self, v6: bool) {
        // SAFETY: `self` is a live skb, exclusively ours.
        unsafe { bindings::lvs_icmp_port_unreachable(self.raw(), v6) };
    }

    /// Tells the packet's source that it ran out of hops (ICMP or ICMPv6
    /// "time exceeded"), from the address it was sent to.
    pub fn icmp_time_exceeded(&mut self, v6: bool) {
        // SAFETY: `self` is a live skb, exclusively ours.
        unsafe { bindings::lvs_icmp_time_exceeded(self.raw(), v6) };
    }

    /// Where the transport checksum still to be finished
    /// (`CHECKSUM_PARTIAL`) starts, from the data, and goes from there.
    pub fn partial_csum(&self) -> Option<(u16, u16)> {
        let (mut start, mut offset) = (0u16, 0u16);
        // SAFETY: `self` is a live skb; the helper writes the two locals.
        unsafe { bindings::lvs_skb_partial_csum(self.raw(), &mut start, &mut offset) }.then_some((start, offset))
    }

    /// The UDP source port a tunnel carrying this packet uses: one per
    /// flow (from its hash), flows spread over the range.
    pub fn flow_src_port(&mut self, net: &Net) -> u16 {
        // SAFETY: `net` and `self` are live; the hash is computed and
        // kept in the skb, which is ours.
        unsafe { bindings::lvs_udp_flow_src_port(net.as_ptr(), self.raw()) }
    }

    /// Encapsulates the packet, already routed with [`Self::set_route`],
    /// in a tunnel: `encap` between it and `outer` (an IPv4 or IPv6
    /// header, by its length), which becomes its new network header and
    /// whose protocol says what follows; an IPv4 one gets its
    /// identification here, its length and checksum on the way out.
    pub fn push_tunnel(&mut self, net: &Net, outer: &[u8], encap: Encap<'_>) -> Result {
        const UDP: u8 = bindings::IPPROTO_UDP as u8;
        const GRE: u8 = bindings::IPPROTO_GRE as u8;
        let (v6, saddr, daddr) = match outer.len() {
            20 => (false, &outer[12..16], &outer[16..20]),
            40 => (true, &outer[8..24], &outer[24..40]),
            _ => return Err(EINVAL),
        };
        let (proto, encap_proto, bytes, len, csum, remcsum): (u8, u8, &[u8], usize, bool, bool) = match encap {
            Encap::Bare { ip_in_ip } => (ip_in_ip, 0, &[], 0, false, false),
            Encap::Udp { ip_in_ip, header, checksum, remote_csum } => {
                (ip_in_ip, UDP, header, header.len(), checksum, remote_csum)
            }
            Encap::Gre { ip_in_ip, header_len, checksum } => (ip_in_ip, GRE, &[], header_len, checksum, false),
        };
        let skb = self.raw();
        // SAFETY: `skb` is live, exclusively ours and routed (`set_route`);
        // `bytes` holds `len` bytes for a UDP encapsulation (none is read
        // otherwise); the addresses are the outer header's, 4 or 16
        // bytes as `v6` says.
        kernel::error::to_result(unsafe {
            bindings::lvs_skb_push_tunnel(
                skb,
                v6,
                proto,
                encap_proto,
                bytes.as_ptr(),
                len as u32,
                csum,
                remcsum,
                saddr.as_ptr().cast(),
                daddr.as_ptr().cast(),
            )
        })?;
        // SAFETY: the helper made the network header `outer.len()` linear,
        // writable bytes of this packet.
        let header = unsafe { core::slice::from_raw_parts_mut(bindings::lvs_skb_network_header(skb), outer.len()) };
        header.copy_from_slice(outer);
        if !v6 {
            // SAFETY: `net` is live; the network header is a whole IPv4
            // header.
            unsafe { bindings::lvs_ip_select_ident(net.as_ptr(), skb) };
        }
        Ok(())
    }
}

/// What a tunnel puts between its outer IP header and the packet, whose
/// IP-in-IP protocol (IPIP or IPV6) is `ip_in_ip`.
pub enum Encap<'a> {
    /// Nothing: IP in IP.
    Bare {
        /// IPIP or IPV6.
        ip_in_ip: u8,
    },
    /// A UDP datagram: `header` is its header (checksum zero) and what
    /// follows it before the packet.
    Udp {
        /// IPIP or IPV6.
        ip_in_ip: u8,
        /// The UDP header and, after it, the GUE header.
        header: &'a [u8],
        /// Whether the UDP header gets a checksum.
        checksum: bool,
        /// Whether the packet's own checksum is left to the receiver
        /// (the GUE header says where it goes).
        remote_csum: bool,
    },
    /// A GRE header of `header_len` bytes, built here.
    Gre {
        /// IPIP or IPV6.
        ip_in_ip: u8,
        /// 4, or 8 with a checksum.
        header_len: usize,
        /// Whether the GRE header carries a checksum.
        checksum: bool,
    },
}
