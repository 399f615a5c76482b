// SPDX-License-Identifier: GPL-2.0
//! The packet path's entry points: netfilter hooks at LOCAL_IN (packets
//! for a virtual service: schedule new connections, forward known ones)
//! and FORWARD (VS/NAT replies), per namespace.

use crate::conn::{v6_slot, Conn, Lookup, Then, F_INACTIVE, F_NOOUTPUT};
use crate::kbind::bindings as b;
use crate::kbind::netfilter::{DefragUser, Family, HookPoint, HookSkb, HookSpec, HookState, NetfilterHook, Verdict};
use crate::kbind::netns::{Net, PernetState};
use crate::net::IpvsNet;
use crate::icmp::{self, IcmpError};
use crate::packet::{self, Ipv4Flow, PROTO_TCP};
use crate::service::AF_INET;
use crate::tcp_state::{Direction, TcpState};
use crate::xmit::{self, Target};
use core::sync::atomic::{AtomicU64, Ordering};

/// Upstream's places: after filtering, before source NAT at LOCAL_IN,
/// and at FORWARD before source NAT.
const LOCAL_IN_PRIORITY: i32 = b::nf_ip_hook_priorities_NF_IP_PRI_NAT_SRC - 1;
const FORWARD_PRIORITY: i32 = b::nf_ip_hook_priorities_NF_IP_PRI_NAT_SRC - 1;

/// TCP flags.
const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const ACK: u8 = 0x10;

/// Every hook the core registers in each namespace.
pub(crate) const HOOKS: [HookSpec; 4] = [
    HookSpec { family: Family::Ipv4, point: HookPoint::LocalIn, priority: LOCAL_IN_PRIORITY },
    HookSpec { family: Family::Ipv4, point: HookPoint::Forward, priority: FORWARD_PRIORITY },
    HookSpec { family: Family::Ipv6, point: HookPoint::LocalIn, priority: LOCAL_IN_PRIORITY },
    HookSpec { family: Family::Ipv6, point: HookPoint::Forward, priority: FORWARD_PRIORITY },
];

/// The handler behind [`HOOKS`].
pub(crate) struct IpvsHooks;

impl NetfilterHook for IpvsHooks {
    fn hook(mut skb: HookSkb<'_>, state: &HookState<'_>) -> Verdict {
        let Some(ipvs) = IpvsNet::get(state.net) else { return Verdict::ACCEPT };
        let Some(first) = skb.network_bytes(1).map(|b| b[0] >> 4) else { return Verdict::ACCEPT };
        let family_ok = match state.family {
            Family::Ipv4 => first == 4,
            Family::Ipv6 => first == 6,
        };
        if !family_ok {
            return Verdict::ACCEPT;
        }
        ipvs.hook_counts.count(state.family, state.point);
        if state.family != Family::Ipv4 {
            return Verdict::ACCEPT;
        }
        if state.point == HookPoint::Forward && skb.network_bytes(20).is_some_and(packet::ipv4_is_l4_fragment) {
            // A VS/NAT reply may come in pieces: rewrite it whole, as
            // upstream (it is fragmented again on the way out).
            skb = match skb.defrag_v4(state.net, DefragUser::IpvsForward) {
                Ok(whole) => whole,
                Err(stolen) => return stolen,
            };
        }
        if let Some(err) = read_icmp_error_v4(&mut skb) {
            return match state.point {
                HookPoint::LocalIn => icmp_local_in_v4(skb, state.net, ipvs, &err),
                HookPoint::Forward => icmp_forward_v4(skb, state.net, ipvs, &err),
            };
        }
        let Some(flow) = read_flow_v4(&mut skb) else { return Verdict::ACCEPT };
        match state.point {
            HookPoint::LocalIn => local_in_v4(skb, state.net, ipvs, &flow),
            HookPoint::Forward => forward_v4(skb, state.net, ipvs, &flow),
        }
    }
}

fn read_flow_v4(skb: &mut HookSkb<'_>) -> Option<Ipv4Flow> {
    let (ihl, proto) = packet::ipv4_l4(skb.network_bytes(20)?)?;
    packet::ipv4_flow(skb.network_bytes(packet::needed_v4(ihl, proto))?)
}

fn read_icmp_error_v4(skb: &mut HookSkb<'_>) -> Option<IcmpError> {
    let header = skb.network_bytes(20)?;
    if header[9] != icmp::PROTO_ICMP {
        return None;
    }
    let ihl = usize::from(header[0] & 0x0f) * 4;
    let len = icmp::needed(ihl).min(skb.len() as usize);
    icmp::parse(skb.network_bytes(len)?)
}

/// An ICMP error for the director, from the client's side: if it is
/// about a connection's packet to the client, it goes to that
/// connection's real server.
fn icmp_local_in_v4(skb: HookSkb<'_>, net: &Net, ipvs: &IpvsNet, err: &IcmpError) -> Verdict {
    // It quotes a packet from the virtual service to the client.
    let key = Lookup::in_v4(net.id(), err.proto, (err.daddr, err.dport), (err.saddr, err.sport));
    let target = ipvs.conn_tab.with_conn(AF_INET, key, |conn| {
        let target = Target { fwd: conn.fwd, daddr: v4_of(&conn.daddr), dport: conn.dport };
        (conn.dest.is_available().then_some(target), Then::Keep)
    });
    match target {
        Some(Some(target)) => xmit::icmp_to_real_server_v4(skb, net, err, &target),
        Some(None) => Verdict::DROP,
        None => Verdict::ACCEPT,
    }
}

/// An ICMP error being forwarded: if a VS/NAT real server sent it about
/// a client's packet, it must come from the virtual service.
fn icmp_forward_v4(skb: HookSkb<'_>, net: &Net, ipvs: &IpvsNet, err: &IcmpError) -> Verdict {
    // It quotes a packet from the client to the real server.
    let key = Lookup::out_v4(net.id(), err.proto, (err.saddr, err.sport), (err.daddr, err.dport));
    let virtual_end = ipvs.conn_tab.with_conn(AF_INET, key, |conn| {
        let nat = u32::from(conn.fwd) == b::IP_VS_CONN_F_MASQ;
        (nat.then(|| (v4_of(&conn.vaddr), conn.vport)), Then::Keep)
    });
    match virtual_end.flatten() {
        Some((vaddr, vport)) => xmit::icmp_nat_reply_v4(skb, err, vaddr, vport),
        None => Verdict::ACCEPT,
    }
}

fn v4_of(addr: &[u8; 16]) -> [u8; 4] {
    [addr[0], addr[1], addr[2], addr[3]]
}

/// The timeout a connection gets in its current state, seconds.
fn timeout_of(ipvs: &IpvsNet, conn: &Conn) -> u32 {
    let t = ipvs.timeouts();
    if conn.proto == PROTO_TCP {
        t.tcp_state(conn.state)
    } else {
        t.udp
    }
}

fn local_in_v4(skb: HookSkb<'_>, net: &Net, ipvs: &IpvsNet, flow: &Ipv4Flow) -> Verdict {
    let key = Lookup::in_v4(net.id(), flow.proto, (flow.saddr, flow.sport), (flow.daddr, flow.dport));
    let opens = flow.proto == PROTO_TCP && flow.tcp_flags & SYN != 0;
    let known = ipvs.conn_tab.with_conn(AF_INET, key, |conn| {
        if opens && conn.state.is_closed() {
            // The client reuses the port of a closed connection: the SYN
            // opens a new one, scheduled afresh, and is not dropped
            // (upstream's conn_reuse_mode 1, less its one-second stall).
            return (Known::Reopened, Then::Remove);
        }
        if !conn.dest.is_available() {
            // Its real server was removed: drop, and let it expire.
            return (Known::Dropped, Then::Keep);
        }
        if flow.proto == PROTO_TCP {
            let dir = if conn.flags & F_NOOUTPUT != 0 { Direction::InputOnly } else { Direction::Input };
            conn.set_state(conn.state.next(dir, flow.tcp_flags));
        }
        let target = Target { fwd: conn.fwd, daddr: v4_of(&conn.daddr), dport: conn.dport };
        (Known::To(target), Then::Expire(timeout_of(ipvs, conn)))
    });
    let target = match known {
        Some(Known::To(target)) => target,
        Some(Known::Dropped) => return Verdict::DROP,
        Some(Known::Reopened) | None => match schedule_v4(net, ipvs, flow) {
            Scheduled::To(target) => target,
            Scheduled::NotOurs => return Verdict::ACCEPT,
            Scheduled::Drop => return Verdict::DROP,
        },
    };
    xmit::to_real_server_v4(skb, net, flow, &target)
}

/// What a packet of a known connection gets.
enum Known {
    /// Sent to the connection's real server.
    To(Target),
    /// Dropped: the real server was removed.
    Dropped,
    /// Scheduled as a new connection: it reopens a closed one.
    Reopened,
}

enum Scheduled {
    To(Target),
    NotOurs,
    Drop,
}

/// A new connection to a virtual service: pick a real server and enter
/// the connection in the table.
fn schedule_v4(net: &Net, ipvs: &IpvsNet, flow: &Ipv4Flow) -> Scheduled {
    // Only a connection's first packet schedules it, as upstream.
    if flow.proto == PROTO_TCP && (flow.tcp_flags & (SYN | ACK | RST) != SYN) {
        return Scheduled::NotOurs;
    }
    let services = ipvs.services.get();
    let Some(svc) = services.lookup_v4(flow.proto, flow.daddr, flow.dport) else { return Scheduled::NotOurs };
    let Some(dest) = svc.schedule() else {
        // Upstream also answers ICMP port unreachable here.
        return Scheduled::Drop;
    };
    let fwd = dest.fwd.load(Ordering::Relaxed) as u8;
    let dport = if dest.port == 0 { flow.dport } else { dest.port };
    let no_output = if u32::from(fwd) == b::IP_VS_CONN_F_MASQ { 0 } else { F_NOOUTPUT };
    let state = if flow.proto == PROTO_TCP {
        let dir = if no_output != 0 { Direction::InputOnly } else { Direction::Input };
        TcpState::None.next(dir, flow.tcp_flags)
    } else {
        TcpState::None
    };
    let inactive = if flow.proto == PROTO_TCP && state.is_active() { 0 } else { F_INACTIVE };
    let conn = Conn {
        net: net.id(),
        dest: dest.clone(),
        caddr: v6_slot(flow.saddr),
        vaddr: v6_slot(flow.daddr),
        daddr: dest.addr,
        cport: flow.sport,
        vport: flow.dport,
        dport,
        af: AF_INET,
        proto: flow.proto,
        fwd,
        state,
        flags: no_output | inactive,
    };
    let target = Target { fwd, daddr: v4_of(&dest.addr), dport };
    let timeout = timeout_of(ipvs, &conn);
    match ipvs.conn_tab.insert(conn, timeout) {
        Ok(()) => Scheduled::To(target),
        Err(_) => Scheduled::Drop,
    }
}

/// A packet being forwarded: if it is a VS/NAT reply, make it come from
/// the virtual service.
fn forward_v4(skb: HookSkb<'_>, net: &Net, ipvs: &IpvsNet, flow: &Ipv4Flow) -> Verdict {
    let key = Lookup::out_v4(net.id(), flow.proto, (flow.daddr, flow.dport), (flow.saddr, flow.sport));
    let virtual_end = ipvs.conn_tab.with_conn(AF_INET, key, |conn| {
        if u32::from(conn.fwd) != b::IP_VS_CONN_F_MASQ {
            return (None, Then::Expire(timeout_of(ipvs, conn)));
        }
        if flow.proto == PROTO_TCP {
            conn.set_state(conn.state.next(Direction::Output, flow.tcp_flags));
        }
        (Some((v4_of(&conn.vaddr), conn.vport)), Then::Expire(timeout_of(ipvs, conn)))
    });
    match virtual_end.flatten() {
        Some((vaddr, vport)) => xmit::nat_reply_v4(skb, flow, vaddr, vport),
        None => Verdict::ACCEPT,
    }
}

/// Packets seen per hook, shown in `/proc/net/lvs_ipvs_hooks`.
#[derive(Default)]
pub(crate) struct HookCounts([AtomicU64; 4]);

impl HookCounts {
    fn slot(family: Family, point: HookPoint) -> usize {
        HOOKS.iter().position(|h| h.family == family && h.point == point).unwrap_or(0)
    }

    fn count(&self, family: Family, point: HookPoint) {
        self.0[Self::slot(family, point)].fetch_add(1, Ordering::Relaxed);
    }

    /// Packets seen at each of [`HOOKS`], in its order.
    pub(crate) fn read(&self) -> impl Iterator<Item = (&'static HookSpec, u64)> + '_ {
        HOOKS.iter().zip(&self.0).map(|(h, n)| (h, n.load(Ordering::Relaxed)))
    }
}
