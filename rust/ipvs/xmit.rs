// SPDX-License-Identifier: GPL-2.0
//! Packet transmitters: how a scheduled packet reaches its real server
//! (thesis §3: VS/NAT, VS/TUN, VS/DR; local node), and the VS/NAT
//! rewrite of replies.

use crate::csum::{self, Change};
use crate::icmp::{self, IcmpError};
use crate::kbind::bindings as b;
use crate::kbind::netfilter::{HookSkb, Verdict};
use crate::kbind::netns::Net;
use crate::kbind::route::RouteV4;
use crate::kbind::skb::Skb;
use crate::packet::{self, csum_offset, needed_v4, End, Ipv4Flow, PROTO_UDP};

/// Length of an IPv4 header without options.
const IPV4_HEADER: usize = 20;

/// Where a connection's packets go.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Target {
    /// Forwarding method (`IP_VS_CONN_F_*`).
    pub(crate) fwd: u8,
    /// Real server address.
    pub(crate) daddr: [u8; 4],
    /// Real server port.
    pub(crate) dport: u16,
}

/// Rewrites one end's address and port of an IPv4 TCP/UDP packet and
/// updates both checksums; false if the packet could not be made
/// writable.
fn rewrite_v4(skb: &mut Skb, flow: &Ipv4Flow, end: End, addr: [u8; 4], port: u16) -> bool {
    let partial = skb.csum_partial();
    let Some(bytes) = skb.network_bytes_mut(needed_v4(flow.ihl, flow.proto)) else { return false };
    let (addr_at, port_at) = match end {
        End::Source => (12, 0),
        End::Destination => (16, 2),
    };
    let mut old_addr = [0u8; 4];
    old_addr.copy_from_slice(&bytes[addr_at..addr_at + 4]);
    bytes[addr_at..addr_at + 4].copy_from_slice(&addr);
    let ip_check = csum::ipv4_header(&bytes[..flow.ihl]);
    bytes[10..12].copy_from_slice(&ip_check.to_be_bytes());

    let l4 = &mut bytes[flow.ihl..];
    let new_port = port.to_be_bytes();
    let mut old_port = [0u8; 2];
    old_port.copy_from_slice(&l4[port_at..port_at + 2]);
    l4[port_at..port_at + 2].copy_from_slice(&new_port);
    let at = csum_offset(flow.proto);
    let check = u16::from_be_bytes([l4[at], l4[at + 1]]);
    if flow.proto == PROTO_UDP && check == 0 {
        // A UDP datagram without a checksum stays so.
        return true;
    }
    let addr_change = Change { old: &old_addr, new: &addr };
    let new = if partial {
        csum::update_partial(check, &[addr_change])
    } else {
        let sum = csum::update_full(check, &[addr_change, Change { old: &old_port, new: &new_port }]);
        // Zero means "no checksum" to UDP: send its equivalent.
        if flow.proto == PROTO_UDP && sum == 0 {
            0xffff
        } else {
            sum
        }
    };
    l4[at..at + 2].copy_from_slice(&new.to_be_bytes());
    skb.csum_rewritten();
    true
}

/// How a packet is carried to its real server, as the route sees it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Carry {
    /// Addressed to the real server (VS/NAT after the rewrite).
    Addressed,
    /// Still addressed to the virtual address, framed to the real server
    /// (VS/DR).
    Framed,
    /// Inside an IPv4 header addressed to the real server (VS/TUN).
    Tunneled,
}

/// The route to real server `daddr` for a packet carried as `carry`;
/// `None` if there is none, or if the packet may not be fragmented and
/// will not fit, in which case its sender is told the size that fits
/// (path MTU discovery), as upstream does.
fn route_to(skb: &mut Skb, net: &Net, daddr: [u8; 4], carry: Carry) -> Option<RouteV4> {
    const DF: u8 = 0x40;
    let overhead = if carry == Carry::Tunneled { IPV4_HEADER as u32 } else { 0 };
    let route = RouteV4::output(net, daddr, skb.mark(), carry == Carry::Framed).ok()?;
    let mtu = route.mtu().saturating_sub(overhead);
    let dont_fragment = skb.network_bytes(20).is_some_and(|h| h[6] & DF != 0);
    // GSO packets are cut to size on the way out.
    if dont_fragment && skb.len() > mtu && !skb.is_gso() {
        skb.icmp_frag_needed(mtu);
        return None;
    }
    Some(route)
}

/// Sends a client's packet to its real server.
pub(crate) fn to_real_server_v4(mut skb: HookSkb<'_>, net: &Net, flow: &Ipv4Flow, target: &Target) -> Verdict {
    if u32::from(target.fwd) != b::IP_VS_CONN_F_MASQ {
        return carry_v4(skb, net, target);
    }
    let Some(route) = route_to(&mut skb, net, target.daddr, Carry::Addressed) else { return Verdict::DROP };
    if route.is_local() {
        // A real server at one of our own addresses: delivered here, as
        // it came (VS/NAT to another local port is not supported yet).
        return Verdict::ACCEPT;
    }
    if !rewrite_v4(&mut skb, flow, End::Destination, target.daddr, target.dport) {
        return Verdict::DROP;
    }
    skb.set_route(route);
    skb.local_out_v4(net)
}

/// Sends an ICMP error from the client's side about connection `target`
/// on to its real server: rewritten as the connection's packets are
/// under VS/NAT, else as they are carried.
pub(crate) fn icmp_to_real_server_v4(mut skb: HookSkb<'_>, net: &Net, err: &IcmpError, target: &Target) -> Verdict {
    if u32::from(target.fwd) != b::IP_VS_CONN_F_MASQ {
        return carry_v4(skb, net, target);
    }
    let Some(route) = route_to(&mut skb, net, target.daddr, Carry::Addressed) else { return Verdict::DROP };
    if route.is_local() {
        return Verdict::ACCEPT;
    }
    let len = skb.len() as usize;
    let Some(bytes) = skb.network_bytes_mut(len) else { return Verdict::DROP };
    // The error was about a packet from the virtual service: now about
    // one from the real server, to which it goes.
    icmp::rewrite_nat(bytes, err, End::Destination, target.daddr, End::Source, target.daddr, target.dport);
    skb.csum_rewritten();
    skb.set_route(route);
    skb.local_out_v4(net)
}

/// Rewrites a VS/NAT real server's ICMP error about a client's packet so
/// it comes from the virtual service, about a packet sent to it.
pub(crate) fn icmp_nat_reply_v4(mut skb: HookSkb<'_>, err: &IcmpError, vaddr: [u8; 4], vport: u16) -> Verdict {
    let len = skb.len() as usize;
    let Some(bytes) = skb.network_bytes_mut(len) else { return Verdict::DROP };
    icmp::rewrite_nat(bytes, err, End::Source, vaddr, End::Destination, vaddr, vport);
    skb.csum_rewritten();
    Verdict::ACCEPT
}

/// Sends a packet, unchanged, to the real server of a connection that is
/// not VS/NAT.
fn carry_v4(mut skb: HookSkb<'_>, net: &Net, target: &Target) -> Verdict {
    let carry = match u32::from(target.fwd) {
        // The frame goes to the real server, the packet is unchanged: the
        // server owns the virtual address too.
        b::IP_VS_CONN_F_DROUTE => Carry::Framed,
        // The packet travels inside another to the real server, which
        // unwraps it and answers the client directly.
        b::IP_VS_CONN_F_TUNNEL => Carry::Tunneled,
        b::IP_VS_CONN_F_LOCALNODE => return Verdict::ACCEPT,
        _ => return Verdict::DROP,
    };
    let Some(route) = route_to(&mut skb, net, target.daddr, carry) else { return Verdict::DROP };
    if route.is_local() {
        // The real server is this host: the packet is delivered here.
        return Verdict::ACCEPT;
    }
    match carry {
        Carry::Tunneled => {
            let Some(inner) = skb.network_bytes(IPV4_HEADER).and_then(|h| <&[u8; IPV4_HEADER]>::try_from(h).ok()) else {
                return Verdict::DROP;
            };
            let outer = packet::ipip_header(inner, route.source(), target.daddr);
            skb.set_route(route);
            if skb.push_ipip(net, &outer).is_err() {
                return Verdict::DROP;
            }
            skb.local_out_v4(net)
        }
        _ => {
            skb.set_route(route);
            skb.local_out_v4(net)
        }
    }
}

/// Rewrites a VS/NAT reply so it comes from the virtual service.
pub(crate) fn nat_reply_v4(mut skb: HookSkb<'_>, flow: &Ipv4Flow, vaddr: [u8; 4], vport: u16) -> Verdict {
    if rewrite_v4(&mut skb, flow, End::Source, vaddr, vport) {
        Verdict::ACCEPT
    } else {
        Verdict::DROP
    }
}
