// SPDX-License-Identifier: GPL-2.0
//! Packet transmitters: how a scheduled packet reaches its real server
//! (thesis §3: VS/NAT, VS/DR; local node), and the VS/NAT rewrite of
//! replies.

use crate::csum::{self, Change};
use crate::kbind::bindings as b;
use crate::kbind::netfilter::{HookSkb, Verdict};
use crate::kbind::netns::Net;
use crate::kbind::skb::Skb;
use crate::packet::{csum_offset, needed_v4, Ipv4Flow, PROTO_UDP};

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

/// Which end of the packet a rewrite changes.
#[derive(Clone, Copy)]
enum End {
    Source,
    Destination,
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
    true
}

/// Sends a client's packet to its real server.
pub(crate) fn to_real_server_v4(mut skb: HookSkb<'_>, net: &Net, flow: &Ipv4Flow, target: &Target) -> Verdict {
    match u32::from(target.fwd) {
        b::IP_VS_CONN_F_LOCALNODE => Verdict::ACCEPT,
        b::IP_VS_CONN_F_MASQ => {
            if !rewrite_v4(&mut skb, flow, End::Destination, target.daddr, target.dport) {
                return Verdict::DROP;
            }
            if skb.route_v4(net, target.daddr).is_err() {
                return Verdict::DROP;
            }
            skb.local_out_v4(net)
        }
        b::IP_VS_CONN_F_DROUTE => {
            // The frame goes to the real server, the packet is unchanged:
            // the server owns the virtual address too.
            if skb.route_v4(net, target.daddr).is_err() {
                return Verdict::DROP;
            }
            skb.local_out_v4(net)
        }
        _ => Verdict::DROP,
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
