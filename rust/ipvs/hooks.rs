// SPDX-License-Identifier: GPL-2.0
//! The packet path's entry points: netfilter hooks at LOCAL_IN (packets
//! for a virtual service: schedule new connections, forward known ones)
//! and FORWARD (VS/NAT replies), per namespace.

use crate::conn::{self, Conn, Control, Lookup, Then, F_INACTIVE, F_NOOUTPUT};
use crate::kbind::bindings as b;
use crate::kbind::netfilter::{DefragUser, Family, HookPoint, HookSkb, HookSpec, HookState, NetfilterHook, Verdict};
use crate::kbind::netns::{Net, PernetState};
use crate::kbind::skb::Skb;
use crate::net::IpvsNet;
use crate::icmp::{self, IcmpError};
use crate::conn_state::{ConnState, Signal};
use crate::packet::{self, Flow, L4, PROTO_TCP};
use crate::persist;
use crate::sched_input::FlowKey;
use crate::service::{Dest, Service, AF_INET, AF_INET6};
use crate::sctp_state::{SctpEvent, CHUNK_ABORT, CHUNK_HEADER, COMMON_HEADER};
use crate::tcp_state::Direction;
use crate::template::{self, Unscheduled};
use crate::xmit::{self, Target, VirtualEnd};
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::sync::Arc;

/// Upstream's places: after filtering, before source NAT at LOCAL_IN,
/// and at FORWARD before source NAT.
const LOCAL_IN_PRIORITY: i32 = b::nf_ip_hook_priorities_NF_IP_PRI_NAT_SRC - 1;
const FORWARD_PRIORITY: i32 = b::nf_ip_hook_priorities_NF_IP_PRI_NAT_SRC - 1;

/// TCP flags.
const SYN: u8 = 0x02;
const RST: u8 = 0x04;

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
        // Sent by IPVS, or to be left alone (ignore_tunneled).
        if skb.ipvs_property() {
            return Verdict::ACCEPT;
        }
        let Some(first) = skb.network_bytes(1).map(|b| b[0] >> 4) else { return Verdict::ACCEPT };
        let family_ok = match state.family {
            Family::Ipv4 => first == 4,
            Family::Ipv6 => first == 6,
        };
        if !family_ok {
            return Verdict::ACCEPT;
        }
        ipvs.hook_counts.count(state.family, state.point);
        let v6 = state.family == Family::Ipv6;
        if !v6 && state.point == HookPoint::Forward && skb.network_bytes(20).is_some_and(packet::ipv4_is_l4_fragment) {
            // A VS/NAT reply may come in pieces: rewrite it whole, as
            // upstream (it is fragmented again on the way out).
            skb = match skb.defrag_v4(state.net, DefragUser::IpvsForward) {
                Ok(whole) => whole,
                Err(stolen) => return stolen,
            };
        }
        // One walk over the IP headers serves both kinds of packet.
        let Some((at, proto)) = walk_headers(&mut skb, if v6 { packet::ipv6_upper } else { packet::ipv4_upper }) else {
            return Verdict::ACCEPT;
        };
        // A backup director with backup_only set balances nothing: it
        // leaves clients' packets and the ICMP errors about them alone
        // (upstream's LOCAL_IN hooks), still rewriting what real servers
        // send (its FORWARD hook).
        if state.point == HookPoint::LocalIn && ipvs.sync.backup_only(&ipvs.sysctls) {
            return Verdict::ACCEPT;
        }
        if proto == if v6 { icmp::PROTO_ICMPV6 } else { icmp::PROTO_ICMP } {
            let Some(err) = read_icmp_error(&mut skb, v6, at) else { return Verdict::ACCEPT };
            return match state.point {
                HookPoint::LocalIn => icmp_local_in(skb, state.net, ipvs, &err),
                HookPoint::Forward => icmp_forward(skb, state.net, ipvs, &err),
            };
        }
        if !packet::ipvs_knows(proto) {
            // A tunnel, most likely, ending here: with ignore_tunneled its
            // packets are marked to be left alone (on kernels that keep the
            // mark through the tunnel, so is what comes out of it).
            if state.point == HookPoint::LocalIn && ipvs.sysctls.ignore_tunneled() {
                skb.set_ipvs_property();
            }
            return Verdict::ACCEPT;
        }
        let Some(mut flow) = skb.network_bytes(packet::needed(at, proto)).and_then(|b| packet::flow(v6, b)) else {
            return Verdict::ACCEPT;
        };
        if flow.sctp_event.is_some() {
            flow.sctp_bundled_abort = sctp_bundled_abort(&mut skb, flow.l4);
        }
        match state.point {
            HookPoint::LocalIn => local_in(skb, state.net, ipvs, &flow),
            HookPoint::Forward => forward(skb, state.net, ipvs, &flow),
        }
    }
}

/// The offset and protocol of the packet's upper-layer header, found by
/// `walk` over as many of its first bytes as it asks for.
fn walk_headers(skb: &mut HookSkb<'_>, walk: fn(&[u8]) -> L4) -> Option<(usize, u8)> {
    let mut len = 20;
    loop {
        match walk(skb.network_bytes(len)?) {
            L4::At(at, proto) => return Some((at, proto)),
            L4::Need(more) if more > len => len = more,
            L4::Need(_) | L4::Not => return None,
        }
    }
}

/// Whether an ABORT follows the first chunk of the SCTP packet whose
/// header is at `l4`, a COOKIE ECHO or COOKIE ACK (upstream's
/// `set_sctp_state` looks that far).
fn sctp_bundled_abort(skb: &mut HookSkb<'_>, l4: usize) -> bool {
    let first_at = l4 + COMMON_HEADER;
    let mut first = [0u8; CHUNK_HEADER];
    match skb.network_bytes(first_at + CHUNK_HEADER).and_then(|b| b.get(first_at..)) {
        Some(header) => first.copy_from_slice(header),
        None => return false,
    }
    let Some(at) = SctpEvent::second_chunk_at(&first) else { return false };
    skb.network_bytes(l4 + at + 1).is_some_and(|b| b[l4 + at] == CHUNK_ABORT)
}

/// Whether the packet of `flow` opens a connection where one may have
/// ended (upstream's `is_new_conn`): a TCP SYN, an SCTP INIT.
fn is_new_conn(flow: &Flow) -> bool {
    match flow.proto {
        PROTO_TCP => flow.tcp_flags & SYN != 0,
        _ => flow.sctp_event == Some(SctpEvent::Init),
    }
}

/// The ICMP error the packet is, its ICMP header at `at`, if it is one
/// about a TCP, UDP or SCTP packet.
fn read_icmp_error(skb: &mut HookSkb<'_>, v6: bool, at: usize) -> Option<IcmpError> {
    let len = icmp::needed(v6, at).min(skb.len() as usize);
    icmp::parse(v6, skb.network_bytes(len)?)
}

/// An ICMP error for the director, from the client's side: if it is
/// about a connection's packet to the client, it goes to that
/// connection's real server.
fn icmp_local_in(skb: HookSkb<'_>, net: &Net, ipvs: &IpvsNet, err: &IcmpError) -> Verdict {
    // It quotes a packet from the virtual service to the client.
    let key = Lookup::In {
        net: net.id(),
        proto: err.proto,
        caddr: err.daddr,
        cport: err.dport,
        vaddr: err.saddr,
        vport: err.sport,
    };
    let bytes = skb.len();
    let target = ipvs.conn_tab.with_conn(af(err.v6), key, |conn| {
        if conn.dest_removed() {
            return (None, Then::Keep);
        }
        count_inbound(ipvs, conn, bytes);
        (Some(Target::of(conn, net)), Then::Keep)
    });
    let target = match target {
        Some(Some(target)) => target,
        Some(None) => return Verdict::DROP,
        None if ipvs.sysctls.schedule_icmp() => {
            // The quoted packet turned round, as if the client had sent
            // it, opens the connection (upstream's schedule_icmp).
            let flow = Flow {
                v6: err.v6,
                proto: err.proto,
                saddr: err.daddr,
                daddr: err.saddr,
                sport: err.dport,
                dport: err.sport,
                tcp_flags: 0,
                sctp_event: None,
                sctp_bundled_abort: false,
                l4: err.quoted_l4,
            };
            match schedule(net, ipvs, &flow, skb.mark(), bytes, Opener::IcmpError) {
                Scheduled::To(target) => target,
                Scheduled::NotOurs => return Verdict::ACCEPT,
                // Never an ICMP error about an ICMP error.
                Scheduled::Drop | Scheduled::Unreachable => return Verdict::DROP,
            }
        }
        None => return Verdict::ACCEPT,
    };
    xmit::icmp_to_real_server(skb, net, err, target, ipvs.sysctls.pmtu_disc())
}

/// An ICMP error being forwarded: if a VS/NAT real server sent it about
/// a client's packet, it must come from the virtual service.
fn icmp_forward(skb: HookSkb<'_>, net: &Net, ipvs: &IpvsNet, err: &IcmpError) -> Verdict {
    // It quotes a packet from the client to the real server.
    let key = Lookup::Out {
        net: net.id(),
        proto: err.proto,
        caddr: err.saddr,
        cport: err.sport,
        daddr: err.daddr,
        dport: err.dport,
    };
    let bytes = skb.len();
    let virtual_end = ipvs.conn_tab.with_conn(af(err.v6), key, |conn| {
        if u32::from(conn.fwd) != b::IP_VS_CONN_F_MASQ {
            return (None, Then::Keep);
        }
        count_outbound(ipvs, conn, bytes);
        (Some(VirtualEnd::of(conn)), Then::Keep)
    });
    match virtual_end.flatten() {
        Some(end) => xmit::icmp_nat_reply(skb, net, err, &end, ipvs.sysctls.snat_reroute()),
        None => Verdict::ACCEPT,
    }
}

/// Counts a packet of `bytes` from a client of `conn`, as upstream only
/// while its real server is in service.
fn count_inbound(ipvs: &IpvsNet, conn: &Conn, bytes: u32) {
    if let Some(dest) = conn.dest.as_ref().filter(|d| d.is_available()) {
        dest.count_inbound(bytes);
        ipvs.stats.inbound(bytes);
    }
}

/// Counts a packet of `bytes` to a client of `conn` (VS/NAT replies).
fn count_outbound(ipvs: &IpvsNet, conn: &Conn, bytes: u32) {
    if let Some(dest) = conn.dest.as_ref().filter(|d| d.is_available()) {
        dest.count_outbound(bytes);
        ipvs.stats.outbound(bytes);
    }
}

/// The address family number of IPv6 (`v6`) or IPv4.
fn af(v6: bool) -> u16 {
    if v6 {
        AF_INET6
    } else {
        AF_INET
    }
}

fn local_in(mut skb: HookSkb<'_>, net: &Net, ipvs: &IpvsNet, flow: &Flow) -> Verdict {
    let key = Lookup::In {
        net: net.id(),
        proto: flow.proto,
        caddr: flow.saddr,
        cport: flow.sport,
        vaddr: flow.daddr,
        vport: flow.dport,
    };
    let opens = is_new_conn(flow);
    let reuse_mode = ipvs.sysctls.conn_reuse_mode();
    let expire_nodest = ipvs.sysctls.expire_nodest_conn();
    let bytes = skb.len();
    let known = ipvs.conn_tab.with_conn(af(flow.v6), key, |conn| {
        let input_only = conn.flags & F_NOOUTPUT != 0;
        let quiesced = conn.dest_quiesced();
        // A connection a template controls is not reopened (upstream's
        // is_new_conn_expected): the SYN goes on to the same server.
        let reusable = reuse_mode != 0 && conn.control.is_none() && conn.state.reopens(reuse_mode, input_only);
        if opens && ((expire_nodest && quiesced) || reusable) {
            // The client reuses the port of a finished connection (or of
            // one to a quiesced server, with expire_nodest_conn): the SYN
            // opens a new one, scheduled afresh.
            let known = if conn.tracked() { Known::ReopenedTracked } else { Known::Reopened };
            return (known, Then::Remove);
        }
        if conn.dest_removed() {
            // Its real server was removed: the connection ends now and the
            // packet may open another (expire_nodest_conn), or the packet
            // is dropped and the connection left to expire.
            return if expire_nodest { (Known::Reopened, Then::Remove) } else { (Known::Dropped, Then::Keep) };
        }
        let dir = if input_only { Direction::InputOnly } else { Direction::Input };
        conn.set_state(conn.state.next(dir, Signal::of(flow), ipvs.defense.secure_tcp()));
        conn.count_in_packet();
        count_inbound(ipvs, conn, bytes);
        let timeout = conn.timeout(&ipvs.timeouts());
        ipvs.sync.conn_moved(conn, timeout, &ipvs.sysctls);
        (Known::To(Target::of(conn, net)), Then::Expire(timeout))
    });
    let target = match known {
        Some(Known::To(target)) => target,
        Some(Known::Dropped) => return Verdict::DROP,
        // The SYN came with the old connection's conntrack entry, whose
        // replies are the old server's: the entry goes, and so does the
        // SYN; the client's next one gets an entry of its own (upstream
        // drops it too, and keeps the entry until the connection expires).
        Some(Known::ReopenedTracked) if skb.ct_kill_confirmed() => return Verdict::DROP,
        Some(Known::Reopened | Known::ReopenedTracked) | None => match schedule(net, ipvs, flow, skb.mark(), bytes, Opener::Packet(&mut skb)) {
            Scheduled::To(target) => target,
            Scheduled::NotOurs => return Verdict::ACCEPT,
            Scheduled::Drop => return Verdict::DROP,
            Scheduled::Unreachable => {
                skb.icmp_port_unreachable(flow.v6);
                return Verdict::DROP;
            }
        },
    };
    xmit::to_real_server(skb, net, flow, target, ipvs.sysctls.pmtu_disc())
}

/// What a packet of a known connection gets.
enum Known {
    /// Sent to the connection's real server.
    To(Target),
    /// Dropped: the real server was removed.
    Dropped,
    /// Scheduled as a new connection: the old one is gone.
    Reopened,
    /// The same, from a connection that conntrack tracked.
    ReopenedTracked,
}

/// What became of a packet that would open a connection.
enum Scheduled {
    To(Target),
    NotOurs,
    Drop,
    /// Dropped, the client told the port is unreachable.
    Unreachable,
}

/// A new connection to `svc` that no server takes (upstream's
/// `ip_vs_leave`): with `cache_bypass`, a firewall-mark service's client
/// packet for a remote unicast address goes on there, in a connection
/// of its own with no real server; what an FTP service's lookup caught
/// on another port (FTP data of a non-persistent service) passes; the
/// rest is refused with ICMP port unreachable.
fn leave(net: &Net, ipvs: &IpvsNet, svc: &Service, flow: &Flow, bytes: u32, by_packet: bool) -> Scheduled {
    let bypass = ipvs.sysctls.cache_bypass() && svc.key.fwmark != 0 && by_packet;
    if bypass && net.is_remote_unicast(flow.v6, &flow.daddr) {
        let fwd = b::IP_VS_CONN_F_BYPASS as u8;
        return enter(net, ipvs, flow, by_packet, Bound { dest: None, daddr: [0; 16], dport: 0, fwd, control: None }, bytes);
    }
    if svc.key.port == persist::FTP_PORT && flow.dport != persist::FTP_PORT {
        Scheduled::NotOurs
    } else {
        Scheduled::Unreachable
    }
}

/// What opens a connection.
enum Opener<'p> {
    /// A client's packet.
    Packet(&'p mut Skb),
    /// An ICMP error about a packet to the client (`schedule_icmp`).
    IcmpError,
}

impl<'p> Opener<'p> {
    /// Whether a client's packet opens it.
    fn is_packet(&self) -> bool {
        matches!(self, Opener::Packet(_))
    }

    /// The client's packet that opens it.
    fn packet(self) -> Option<&'p mut Skb> {
        match self {
            Opener::Packet(skb) => Some(skb),
            Opener::IcmpError => None,
        }
    }
}

/// A new connection to a virtual service (the packet has firewall mark
/// `mark`, `bytes` long): pick a real server, enter the connection in the
/// table and count it and the packet.
fn schedule(net: &Net, ipvs: &IpvsNet, flow: &Flow, mark: u32, bytes: u32, opener: Opener<'_>) -> Scheduled {
    // Only a connection's first packet schedules it, as upstream: a SYN,
    // or with sloppy_tcp anything but a RST; an SCTP INIT, or with
    // sloppy_sctp anything but an ABORT; or an ICMP error.
    let by_packet = opener.is_packet();
    let first = match flow.proto {
        PROTO_TCP => flow.tcp_flags & RST == 0 && (ipvs.sysctls.sloppy_tcp() || flow.tcp_flags & SYN != 0),
        _ => match flow.sctp_event {
            Some(event) => event != SctpEvent::Abort && (ipvs.sysctls.sloppy_sctp() || event == SctpEvent::Init),
            None => true,
        },
    };
    if by_packet && !first {
        return Scheduled::NotOurs;
    }
    let services = ipvs.services.get();
    let may_be_ftp_data = || persist::may_be_ftp_data(flow.dport, net.port_requires_bind_service(flow.dport));
    let Some(svc) = services.lookup(af(flow.v6), mark, flow.proto, &flow.daddr, flow.dport, may_be_ftp_data) else {
        return Scheduled::NotOurs;
    };
    // Under the drop_packet defence, some new connections are not made.
    if ipvs.defense.drops_new_conn() {
        return Scheduled::Drop;
    }
    let key = FlowKey { v6: flow.v6, saddr: flow.saddr, daddr: flow.daddr, sport: flow.sport, dport: flow.dport, inverse: false };
    let (dest, dport, control) = if svc.is_persistent() {
        match template::schedule(net, ipvs, svc, flow, opener.packet(), &key) {
            Ok(p) => (p.dest, p.dport, Some(p.control)),
            Err(Unscheduled::NoServer) => return leave(net, ipvs, svc, flow, bytes, by_packet),
            Err(Unscheduled::NoMemory | Unscheduled::NoPeData) => return Scheduled::Drop,
        }
    } else {
        // Only a persistent service takes other ports than its own (FTP
        // data, port zero); upstream logs that port zero needs it.
        if svc.key.fwmark == 0 && flow.dport != svc.key.port {
            return leave(net, ipvs, svc, flow, bytes, by_packet);
        }
        let Some(dest) = svc.schedule(&key, ipvs.sysctls.locality_times()) else {
            return leave(net, ipvs, svc, flow, bytes, by_packet);
        };
        let dport = if dest.port == 0 { flow.dport } else { dest.port };
        (dest.clone(), dport, None)
    };
    let fwd = dest.fwd.load(Ordering::Relaxed) as u8;
    enter(net, ipvs, flow, by_packet, Bound { daddr: dest.addr, dest: Some(dest), dport, fwd, control }, bytes)
}

/// Where a new connection goes: its real server (none for a
/// `cache_bypass` one), that server's address and port, the forwarding
/// method, and the template that controls it.
struct Bound {
    dest: Option<Arc<Dest>>,
    daddr: [u8; 16],
    dport: u16,
    fwd: u8,
    control: Option<Arc<Control>>,
}

/// Enters the new connection of `flow`, opened by its first packet
/// (`bytes` long; `by_packet`, else by an ICMP error), bound as `to`, in
/// the table and counts it and the packet.
fn enter(net: &Net, ipvs: &IpvsNet, flow: &Flow, by_packet: bool, to: Bound, bytes: u32) -> Scheduled {
    let no_output = conn::no_output(to.fwd);
    let initial = ConnState::initial(flow.proto);
    let state = if by_packet {
        let dir = if no_output != 0 { Direction::InputOnly } else { Direction::Input };
        initial.next(dir, Signal::of(flow), ipvs.defense.secure_tcp())
    } else {
        initial
    };
    let inactive = if state.is_active() { 0 } else { F_INACTIVE };
    let mut conn = Conn {
        net: net.id(),
        dest: to.dest,
        caddr: flow.saddr,
        vaddr: flow.daddr,
        daddr: to.daddr,
        cport: flow.sport,
        vport: flow.dport,
        dport: to.dport,
        af: af(flow.v6),
        proto: flow.proto,
        fwd: to.fwd,
        state,
        flags: no_output | inactive | ipvs.sysctls.conntrack_flag(),
        in_pkts: 1,
        synced_state: initial,
        sync_endtime: conn::never_synced(),
        control: to.control,
    };
    let target = Target::of(&conn, net);
    let timeout = conn.timeout(&ipvs.timeouts());
    if let Some(dest) = &conn.dest {
        dest.count_conn();
        ipvs.stats.conn();
    }
    count_inbound(ipvs, &conn, bytes);
    // A sync master counts the first packet too, for the connection and
    // for its template (upstream syncs after every packet it sends on).
    ipvs.sync.conn_moved(&mut conn, timeout, &ipvs.sysctls);
    match ipvs.conn_tab.insert(conn, timeout) {
        Ok(()) => Scheduled::To(target),
        Err(_) => Scheduled::Drop,
    }
}

/// Whether `flow` comes from a VS/NAT real server's address and port.
fn from_nat_server(ipvs: &IpvsNet, flow: &Flow) -> bool {
    ipvs.services.get().has_nat_server(af(flow.v6), flow.proto, &flow.saddr, flow.sport)
}

/// A packet being forwarded: if it is a VS/NAT reply, make it come from
/// the virtual service.
fn forward(mut skb: HookSkb<'_>, net: &Net, ipvs: &IpvsNet, flow: &Flow) -> Verdict {
    let key = Lookup::Out {
        net: net.id(),
        proto: flow.proto,
        caddr: flow.daddr,
        cport: flow.dport,
        daddr: flow.saddr,
        dport: flow.sport,
    };
    let bytes = skb.len();
    let virtual_end = ipvs.conn_tab.with_conn(af(flow.v6), key, |conn| {
        if u32::from(conn.fwd) != b::IP_VS_CONN_F_MASQ {
            return (None, Then::Expire(conn.timeout(&ipvs.timeouts())));
        }
        count_outbound(ipvs, conn, bytes);
        if conn.state.is_tracked() {
            conn.set_state(conn.state.next(Direction::Output, Signal::of(flow), ipvs.defense.secure_tcp()));
        } else {
            conn.assure_template();
        }
        (Some(VirtualEnd::of(conn)), Then::Expire(conn.timeout(&ipvs.timeouts())))
    });
    match virtual_end {
        Some(Some(end)) => xmit::nat_reply(skb, net, flow, &end, ipvs.sysctls.snat_reroute()),
        Some(None) => Verdict::ACCEPT,
        None if ipvs.sysctls.nat_icmp_send() && from_nat_server(ipvs, flow) => {
            // A VS/NAT real server answering a connection we do not have
            // (upstream's nat_icmp_send): it is told, and nothing leaks
            // out with its own address. A reset or an abort needs no
            // answer.
            if (flow.proto == PROTO_TCP && flow.tcp_flags & RST != 0) || flow.sctp_event == Some(SctpEvent::Abort) {
                return Verdict::ACCEPT;
            }
            skb.icmp_port_unreachable(flow.v6);
            Verdict::DROP
        }
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
