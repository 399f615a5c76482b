// SPDX-License-Identifier: GPL-2.0
//! Packet transmitters: how a scheduled packet reaches its real server
//! (thesis §3: VS/NAT, VS/TUN, VS/DR; local node), IPv4 and IPv6, and
//! the VS/NAT rewrite of replies.

use crate::conn::Conn;
use crate::csum::{self, Change};
use crate::icmp::{self, IcmpError};
use crate::kbind::bindings as b;
use crate::kbind::netfilter::{Conntrack, HookSkb, ReplyEnd, Verdict};
use crate::kbind::netns::Net;
use crate::kbind::route::Route;
use crate::kbind::skb::{Encap, Skb};
use crate::packet::{self, addr_field, csum_offset, needed, v4_of, End, Flow, Inner, IPV6_HEADER, PROTO_SCTP, PROTO_UDP};
use crate::service::AF_INET6;
use crate::tunnel::{self, Tunnel};

/// Length of an IPv4 header without options.
const IPV4_HEADER: usize = 20;

/// Where a connection's packets go.
pub(crate) struct Target {
    /// Forwarding method (`IP_VS_CONN_F_*`).
    pub(crate) fwd: u8,
    /// Whether the real server's address is IPv6.
    pub(crate) v6: bool,
    /// Real server address (IPv4 in the first four bytes).
    pub(crate) daddr: [u8; 16],
    /// Real server port.
    pub(crate) dport: u16,
    /// VS/TUN's tunnel type and its settings.
    pub(crate) tunnel: Tunnel,
    /// Connection tracking sees the packets ([`Conn::tracked`]).
    track: bool,
    /// The route to the real server (none: no route, or to this host
    /// with the local-node method).
    route: Option<Route>,
}

impl Target {
    /// What conntrack makes of the connection's packets as they leave:
    /// their entry goes with them when it is tracked, else they are not
    /// seen.
    fn conntrack(&self) -> Conntrack {
        if self.track {
            Conntrack::Keep
        } else {
            Conntrack::Untrack
        }
    }

    /// A packet of the connection delivered here: untracked unless the
    /// connection is tracked.
    fn local(&self, mut skb: HookSkb<'_>) -> Verdict {
        if !self.track {
            skb.untrack();
        }
        Verdict::ACCEPT
    }

    /// Where connection `conn` of namespace `net` sends its packets: a
    /// `cache_bypass` connection's go where they were going, as a router
    /// would send them (nowhere local, as upstream's).
    pub(crate) fn of(conn: &Conn, net: &Net) -> Self {
        let fwd = u32::from(conn.fwd);
        let route = match &conn.dest {
            _ if fwd == b::IP_VS_CONN_F_LOCALNODE => None,
            Some(dest) => dest.route(net, fwd == b::IP_VS_CONN_F_DROUTE).ok(),
            None => Route::output(net, conn.af == AF_INET6, &conn.vaddr, false).ok().filter(|r| !r.is_local()),
        };
        Self {
            fwd: conn.fwd,
            v6: conn.daf() == AF_INET6,
            daddr: conn.daddr,
            dport: conn.dport,
            tunnel: conn.dest.as_ref().map(|d| d.tunnel()).unwrap_or_default(),
            track: conn.tracked(),
            route,
        }
    }
}

/// The virtual service a VS/NAT reply seems to come from.
pub(crate) struct VirtualEnd {
    addr: [u8; 16],
    port: u16,
    /// Connection tracking sees the connection's packets.
    track: bool,
}

impl VirtualEnd {
    /// Connection `conn`'s.
    pub(crate) fn of(conn: &Conn) -> Self {
        Self { addr: conn.vaddr, port: conn.vport, track: conn.tracked() }
    }
}

/// Rewrites one end's address and port of a TCP, UDP or SCTP packet and
/// updates its checksums; false if the packet could not be made writable.
fn rewrite(skb: &mut Skb, flow: &Flow, end: End, addr: &[u8; 16], port: u16) -> bool {
    let partial = skb.csum_partial();
    let Some(bytes) = skb.network_bytes_mut(needed(flow.l4, flow.proto)) else { return false };
    let (addr_at, addr_len) = addr_field(flow.v6, end);
    let port_at = flow.l4 + if end == End::Source { 0 } else { 2 };
    let mut old_addr = [0u8; 16];
    old_addr[..addr_len].copy_from_slice(&bytes[addr_at..addr_at + addr_len]);
    bytes[addr_at..addr_at + addr_len].copy_from_slice(&addr[..addr_len]);
    if !flow.v6 {
        let ip_check = csum::ipv4_header(&bytes[..flow.l4]);
        bytes[10..12].copy_from_slice(&ip_check.to_be_bytes());
    }
    let new_port = port.to_be_bytes();
    let mut old_port = [0u8; 2];
    old_port.copy_from_slice(&bytes[port_at..port_at + 2]);
    bytes[port_at..port_at + 2].copy_from_slice(&new_port);

    if flow.proto == PROTO_SCTP {
        // SCTP's checksum covers no IP header: a new port, or a sum the
        // device was to compute, makes it anew (upstream's); a GSO
        // packet's segments get theirs when it is split.
        if (old_port != new_port || partial) && !skb.is_gso() {
            return skb.sctp_csum(flow.l4);
        }
        return true;
    }
    let at = flow.l4 + csum_offset(flow.proto);
    let check = u16::from_be_bytes([bytes[at], bytes[at + 1]]);
    if !flow.v6 && flow.proto == PROTO_UDP && check == 0 {
        // An IPv4 UDP datagram without a checksum stays so.
        return true;
    }
    let addr_change = Change { old: &old_addr[..addr_len], new: &addr[..addr_len] };
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
    bytes[at..at + 2].copy_from_slice(&new.to_be_bytes());
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
    /// Inside an outer IP header addressed to the real server (VS/TUN).
    Tunneled,
}

/// Where the route to a real server leads.
enum Routed {
    /// Elsewhere, along this route; the packet has one hop less to go.
    Via(Route),
    /// To this host: the packet is delivered here.
    Local,
    /// Nowhere the packet may go: no route, no hops left, or it does not
    /// fit and may not be fragmented (its sender was told, by ICMP).
    Dropped,
}

/// The route to real server `target` for a packet (IPv6 if `packet_v6`)
/// carried as `carry`, checked as upstream checks it: a packet that
/// leaves counts a hop down, and one too big for the path whose sender
/// must fragment (IPv4 with DF, all IPv6) is refused with the size that
/// fits (path MTU discovery) unless, with `pmtu_disc` off, VS/TUN may
/// fragment the outer IPv4 packet.
fn route_to(skb: &mut Skb, target: &mut Target, carry: Carry, packet_v6: bool, pmtu_disc: bool) -> Routed {
    const DF: u8 = 0x40;
    let Some(route) = target.route.take() else { return Routed::Dropped };
    if route.is_local() {
        return Routed::Local;
    }
    let header_len = if packet_v6 { IPV6_HEADER } else { IPV4_HEADER };
    let Some(header) = skb.network_bytes_mut(header_len) else { return Routed::Dropped };
    let tunnel_fragments = carry == Carry::Tunneled && !pmtu_disc && !target.v6;
    let dont_fragment = packet_v6 || (header[6] & DF != 0 && !tunnel_fragments);
    if !packet::decrement_hops(header, packet_v6) {
        skb.icmp_time_exceeded(packet_v6);
        return Routed::Dropped;
    }
    let overhead = match (carry, target.v6) {
        (Carry::Tunneled, true) => IPV6_HEADER + target.tunnel.overhead(skb.csum_partial()),
        (Carry::Tunneled, false) => IPV4_HEADER + target.tunnel.overhead(skb.csum_partial()),
        _ => 0,
    } as u32;
    let mtu = route.mtu().saturating_sub(overhead);
    // GSO packets are cut to size on the way out.
    if dont_fragment && skb.len() > mtu && !skb.is_gso() {
        skb.icmp_too_big(mtu, packet_v6);
        return Routed::Dropped;
    }
    Routed::Via(route)
}

/// Sends a client's packet to its real server.
/// `pmtu_disc` is the namespace's sysctl.
pub(crate) fn to_real_server(mut skb: HookSkb<'_>, net: &Net, flow: &Flow, mut target: Target, pmtu_disc: bool) -> Verdict {
    if u32::from(target.fwd) != b::IP_VS_CONN_F_MASQ {
        return carry(skb, net, target, flow.v6, pmtu_disc);
    }
    let route = match route_to(&mut skb, &mut target, Carry::Addressed, flow.v6, pmtu_disc) {
        Routed::Via(route) => route,
        // A real server at one of our own addresses: delivered here, as
        // it came (VS/NAT to another local port is not supported yet).
        Routed::Local => return target.local(skb),
        Routed::Dropped => return Verdict::DROP,
    };
    if !rewrite(&mut skb, flow, End::Destination, &target.daddr, target.dport) {
        return Verdict::DROP;
    }
    if target.track {
        skb.ct_nat_reply(ReplyEnd::Source, &target.daddr, target.dport);
    }
    skb.set_route(route);
    skb.local_out(net, flow.v6, target.conntrack())
}

/// Sends an ICMP error from the client's side about connection `target`
/// on to its real server: rewritten as the connection's packets are
/// under VS/NAT, else as they are carried.
pub(crate) fn icmp_to_real_server(
    mut skb: HookSkb<'_>,
    net: &Net,
    err: &IcmpError,
    mut target: Target,
    pmtu_disc: bool,
) -> Verdict {
    if u32::from(target.fwd) != b::IP_VS_CONN_F_MASQ {
        return carry(skb, net, target, err.v6, pmtu_disc);
    }
    let route = match route_to(&mut skb, &mut target, Carry::Addressed, err.v6, pmtu_disc) {
        Routed::Via(route) => route,
        Routed::Local => return target.local(skb),
        Routed::Dropped => return Verdict::DROP,
    };
    let len = skb.len() as usize;
    let Some(bytes) = skb.network_bytes_mut(len) else { return Verdict::DROP };
    // The error was about a packet from the virtual service: now about
    // one from the real server, to which it goes.
    icmp::rewrite_nat(bytes, err, End::Destination, &target.daddr, End::Source, &target.daddr, target.dport);
    skb.csum_rewritten();
    skb.set_route(route);
    skb.local_out(net, err.v6, target.conntrack())
}

/// Rewrites a VS/NAT real server's ICMP error about a client's packet so
/// it comes from the virtual service, about a packet sent to it (routed
/// again from there with `reroute`).
pub(crate) fn icmp_nat_reply(mut skb: HookSkb<'_>, net: &Net, err: &IcmpError, end: &VirtualEnd, reroute: bool) -> Verdict {
    let len = skb.len() as usize;
    let Some(bytes) = skb.network_bytes_mut(len) else { return Verdict::DROP };
    icmp::rewrite_nat(bytes, err, End::Source, &end.addr, End::Destination, &end.addr, end.port);
    skb.csum_rewritten();
    rerouted(skb, net, err.v6, end, reroute)
}

/// Sends a packet (IPv6 if `packet_v6`), unchanged, to the real server of
/// a connection that is not VS/NAT.
fn carry(mut skb: HookSkb<'_>, net: &Net, mut target: Target, packet_v6: bool, pmtu_disc: bool) -> Verdict {
    let carry = match u32::from(target.fwd) {
        // The frame goes to the real server, the packet is unchanged: the
        // server owns the virtual address too. A bypass goes the same
        // way, along the route to where the packet was going.
        b::IP_VS_CONN_F_DROUTE | b::IP_VS_CONN_F_BYPASS => Carry::Framed,
        // The packet travels inside another to the real server, which
        // unwraps it and answers the client directly.
        b::IP_VS_CONN_F_TUNNEL => Carry::Tunneled,
        b::IP_VS_CONN_F_LOCALNODE => return target.local(skb),
        _ => return Verdict::DROP,
    };
    let route = match route_to(&mut skb, &mut target, carry, packet_v6, pmtu_disc) {
        Routed::Via(route) => route,
        // The real server is this host: the packet is delivered here.
        Routed::Local => return target.local(skb),
        Routed::Dropped => return Verdict::DROP,
    };
    if carry == Carry::Tunneled {
        return tunnel(skb, net, &target, route, pmtu_disc);
    }
    skb.set_route(route);
    skb.local_out(net, target.v6, target.conntrack())
}

/// Sends a packet to its real server inside an outer header of the real
/// server's family (VS/TUN: IPv4 or IPv6 in IPv4 or IPv6), directly or in
/// GUE or GRE as the server's tunnel type says; an IPv4 outer header
/// keeps an IPv4 packet's DF bit if `pmtu_disc`.
/// The inner packet's conntrack entry, if tracked, is confirmed first;
/// conntrack sees the outer packet afresh.
fn tunnel(mut skb: HookSkb<'_>, net: &Net, target: &Target, route: Route, pmtu_disc: bool) -> Verdict {
    if target.track && !skb.ct_confirm() {
        return Verdict::DROP;
    }
    let len = skb.len() as usize;
    let Some(inner) = skb.network_bytes(IPV4_HEADER).and_then(Inner::read) else { return Verdict::DROP };
    let tunnel = target.tunnel;
    let partial = skb.partial_csum();
    let remote_csum = partial.filter(|_| tunnel.remote_csum(true));
    let encap_len = tunnel.overhead(partial.is_some());
    let outer_proto = tunnel.outer_proto(inner.proto());
    let mut outer = [0u8; IPV6_HEADER];
    let outer_len = if target.v6 {
        outer = packet::ipv6_tunnel_header(&inner, outer_proto, len + encap_len, route.source(), &target.daddr);
        IPV6_HEADER
    } else {
        let header =
            packet::ipv4_tunnel_header(&inner, outer_proto, v4_of(route.source()), v4_of(&target.daddr), pmtu_disc);
        outer[..IPV4_HEADER].copy_from_slice(&header);
        IPV4_HEADER
    };
    let gue;
    let encap = match tunnel.kind {
        tunnel::TYPE_GUE => {
            let sport = skb.flow_src_port(net);
            gue = tunnel.gue_header(sport, inner.proto(), len, remote_csum);
            Encap::Udp {
                ip_in_ip: inner.proto(),
                header: &gue.0[..gue.1],
                checksum: tunnel.checksummed(),
                remote_csum: remote_csum.is_some(),
            }
        }
        tunnel::TYPE_GRE => Encap::Gre { ip_in_ip: inner.proto(), header_len: encap_len, checksum: tunnel.checksummed() },
        _ => Encap::Bare { ip_in_ip: inner.proto() },
    };
    skb.set_route(route);
    if skb.push_tunnel(net, &outer[..outer_len], encap).is_err() {
        return Verdict::DROP;
    }
    skb.local_out(net, target.v6, Conntrack::Fresh)
}

/// Rewrites a VS/NAT reply so it comes from the virtual service `end`;
/// with `reroute` (`snat_reroute`), routes it again from there.
pub(crate) fn nat_reply(mut skb: HookSkb<'_>, net: &Net, flow: &Flow, end: &VirtualEnd, reroute: bool) -> Verdict {
    if !rewrite(&mut skb, flow, End::Source, &end.addr, end.port) {
        return Verdict::DROP;
    }
    rerouted(skb, net, flow.v6, end, reroute)
}

/// A rewritten reply on its way (routed again by its new source if
/// `reroute`), or dropped if no route takes it. A tracked connection's
/// new entry (a reply seen first) expects its replies to the virtual
/// service; an untracked connection's packet is not seen.
fn rerouted(mut skb: HookSkb<'_>, net: &Net, v6: bool, end: &VirtualEnd, reroute: bool) -> Verdict {
    if reroute && !skb.reroute_by_source(net, v6) {
        return Verdict::DROP;
    }
    if end.track {
        skb.ct_nat_reply(ReplyEnd::Destination, &end.addr, end.port);
    } else {
        skb.untrack();
    }
    Verdict::ACCEPT
}
