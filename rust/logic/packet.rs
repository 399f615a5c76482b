// SPDX-License-Identifier: GPL-2.0
//! The few header fields the director reads: addresses, protocol, ports,
//! TCP flags and SCTP's first chunk of an IPv4 or IPv6 packet, and where
//! to rewrite them; the outer headers VS/TUN puts on.

use crate::sctp_state::SctpEvent;

/// IP protocol numbers the director balances.
pub const PROTO_TCP: u8 = 6;
/// UDP.
pub const PROTO_UDP: u8 = 17;
/// SCTP.
pub const PROTO_SCTP: u8 = 132;

/// Whether IPVS has a protocol handler for IP protocol `proto` (TCP,
/// UDP, SCTP, AH, ESP: upstream's): packets of others are not IPVS's,
/// tunnels among them.
pub fn ipvs_knows(proto: u8) -> bool {
    const PROTO_ESP: u8 = 50;
    const PROTO_AH: u8 = 51;
    matches!(proto, PROTO_TCP | PROTO_UDP | PROTO_ESP | PROTO_AH | PROTO_SCTP)
}

/// One end of a packet: its source or its destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Source address and port.
    Source,
    /// Destination address and port.
    Destination,
}

/// Bytes of a packet the director needs to see: its IP headers (the
/// transport header is at `l4`), then ports and, for TCP, flags and
/// checksum, for SCTP the first chunk's header.
pub const fn needed(l4: usize, proto: u8) -> usize {
    l4 + match proto {
        PROTO_TCP => 20,
        PROTO_SCTP => 16,
        _ => 8,
    }
}

/// Offset of the checksum field inside the transport header (SCTP's is
/// a CRC32c of the whole packet, not updated but computed anew).
pub const fn csum_offset(proto: u8) -> usize {
    match proto {
        PROTO_TCP => 16,
        PROTO_SCTP => 8,
        _ => 6,
    }
}

/// Whether the director balances connections of IP protocol `proto`.
pub fn balanced(proto: u8) -> bool {
    matches!(proto, PROTO_TCP | PROTO_UDP | PROTO_SCTP)
}

/// What the director reads of a TCP, UDP or SCTP packet, IPv4 or IPv6.
/// Addresses sit in 16-byte slots; an IPv4 address fills the first four.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flow {
    /// Whether the packet is IPv6.
    pub v6: bool,
    /// Protocol (TCP, UDP or SCTP).
    pub proto: u8,
    /// Source address.
    pub saddr: [u8; 16],
    /// Destination address.
    pub daddr: [u8; 16],
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// TCP flags (0 for the others).
    pub tcp_flags: u8,
    /// An SCTP packet's first chunk, as an event; none for other
    /// protocols.
    pub sctp_event: Option<SctpEvent>,
    /// An ABORT follows an SCTP packet's first chunk, a COOKIE ECHO or
    /// COOKIE ACK: the state moves as for an ABORT (the hooks look, see
    /// [`SctpEvent::second_chunk_at`]).
    pub sctp_bundled_abort: bool,
    /// Where the transport header starts (after all IP headers).
    pub l4: usize,
}

/// An IPv4 address in the 16-byte slot that holds either family.
pub fn v4_slot(addr: [u8; 4]) -> [u8; 16] {
    let mut out = [0; 16];
    out[..4].copy_from_slice(&addr);
    out
}

/// The IPv4 address in a 16-byte slot.
pub fn v4_of(slot: &[u8; 16]) -> [u8; 4] {
    [slot[0], slot[1], slot[2], slot[3]]
}

/// Whether an IPv4 header's first 20 bytes are those of a fragment of a
/// packet of a protocol the director balances.
pub fn ipv4_is_l4_fragment(header: &[u8]) -> bool {
    header.len() >= 20 && u16::from_be_bytes([header[6], header[7]]) & 0x3fff != 0 && balanced(header[9])
}

/// Where the transport header of an IP packet starts and its protocol,
/// read from the packet's first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum L4 {
    /// An upper-layer header at this offset, with this protocol.
    At(usize, u8),
    /// More bytes are needed to tell (at least this many).
    Need(usize),
    /// Not an unfragmented packet of the family asked for (of a
    /// protocol the director balances, where that is asked).
    Not,
}

/// Where the upper-layer header of an IPv4 packet starts and what it is,
/// if the packet is IPv4 and unfragmented.
pub fn ipv4_upper(header: &[u8]) -> L4 {
    if header.len() < 20 {
        return L4::Need(20);
    }
    let ihl = usize::from(header[0] & 0x0f) * 4;
    let frag = u16::from_be_bytes([header[6], header[7]]) & 0x3fff;
    if header[0] >> 4 != 4 || ihl < 20 || frag != 0 {
        return L4::Not;
    }
    L4::At(ihl, header[9])
}

/// [`L4`] of an IPv4 packet: [`ipv4_upper`], if the director balances
/// its protocol.
pub fn ipv4_l4(header: &[u8]) -> L4 {
    of_balanced(ipv4_upper(header))
}

fn of_balanced(upper: L4) -> L4 {
    match upper {
        L4::At(_, proto) if !balanced(proto) => L4::Not,
        other => other,
    }
}

/// Length of the fixed IPv6 header.
pub const IPV6_HEADER: usize = 40;

/// At most this many IPv6 extension headers are walked.
const MAX_EXT_HEADERS: usize = 8;

/// Where the upper-layer header of an IPv6 packet starts and what it is,
/// past its extension headers (hop-by-hop, routing, destination options,
/// authentication); a fragment is refused.
pub fn ipv6_upper(packet: &[u8]) -> L4 {
    const HOP_BY_HOP: u8 = 0;
    const ROUTING: u8 = 43;
    const DEST_OPTS: u8 = 60;
    const AUTH: u8 = 51;
    const FRAGMENT: u8 = 44;
    const NO_NEXT: u8 = 59;
    if packet.len() < IPV6_HEADER {
        return L4::Need(IPV6_HEADER);
    }
    if packet[0] >> 4 != 6 {
        return L4::Not;
    }
    let mut next = packet[6];
    let mut at = IPV6_HEADER;
    for _ in 0..MAX_EXT_HEADERS {
        match next {
            HOP_BY_HOP | ROUTING | DEST_OPTS | AUTH => {
                let Some(ext) = packet.get(at..at + 2) else { return L4::Need(at + 2) };
                let len = if next == AUTH { (usize::from(ext[1]) + 2) * 4 } else { (usize::from(ext[1]) + 1) * 8 };
                next = ext[0];
                at += len;
            }
            FRAGMENT | NO_NEXT => return L4::Not,
            _ => return L4::At(at, next),
        }
    }
    L4::Not
}

/// [`L4`] of an IPv6 packet: [`ipv6_upper`], if the director balances
/// its protocol.
pub fn ipv6_l4(packet: &[u8]) -> L4 {
    of_balanced(ipv6_upper(packet))
}

/// Reads the flow of `bytes`: all IP headers (see [`ipv4_l4`],
/// [`ipv6_l4`]) and [`needed`] bytes of transport header.
pub fn flow(v6: bool, bytes: &[u8]) -> Option<Flow> {
    let L4::At(l4, proto) = (if v6 { ipv6_l4(bytes) } else { ipv4_l4(bytes) }) else { return None };
    let ports = bytes.get(l4..needed(l4, proto))?;
    let (mut saddr, mut daddr) = ([0; 16], [0; 16]);
    if v6 {
        saddr.copy_from_slice(&bytes[8..24]);
        daddr.copy_from_slice(&bytes[24..40]);
    } else {
        saddr[..4].copy_from_slice(&bytes[12..16]);
        daddr[..4].copy_from_slice(&bytes[16..20]);
    }
    Some(Flow {
        v6,
        proto,
        saddr,
        daddr,
        sport: u16::from_be_bytes([ports[0], ports[1]]),
        dport: u16::from_be_bytes([ports[2], ports[3]]),
        tcp_flags: if proto == PROTO_TCP { ports[13] } else { 0 },
        sctp_event: (proto == PROTO_SCTP).then(|| SctpEvent::of_chunk(ports[12])),
        sctp_bundled_abort: false,
        l4,
    })
}

/// Where an end's address sits in an IP header, and its length.
pub const fn addr_field(v6: bool, end: End) -> (usize, usize) {
    match (v6, end) {
        (false, End::Source) => (12, 4),
        (false, End::Destination) => (16, 4),
        (true, End::Source) => (8, 16),
        (true, End::Destination) => (24, 16),
    }
}

/// Counts a hop down in an IP header (IPv4 TTL, with the header checksum
/// updated as RFC 1624 does it, or IPv6 hop limit); false, changing
/// nothing, if the packet may not go one hop further.
pub fn decrement_hops(header: &mut [u8], v6: bool) -> bool {
    let at = if v6 { 7 } else { 8 };
    if header.len() < at + 1 || header[at] <= 1 {
        return false;
    }
    header[at] -= 1;
    if !v6 {
        // The TTL is the high byte of its 16-bit word: the sum drops by
        // 0x0100, so the complement rises by it.
        let check = u32::from(u16::from_be_bytes([header[10], header[11]])) + 0x0100;
        let check = (check + (check >> 16)) as u16;
        header[10..12].copy_from_slice(&check.to_be_bytes());
    }
    true
}

/// IP protocol number of IPv4-in-IPv4 (VS/TUN's outer header).
pub const PROTO_IPIP: u8 = 4;
/// IP protocol number of IPv6-in-IPv6.
pub const PROTO_IPV6: u8 = 41;

/// The ECN bits of a tunnel's outer header for an inner packet with DS
/// field `ds`, as RFC 6040 copies them: all but a CE mark.
fn ecn_encapsulate(ds: u8) -> u8 {
    const ECN_MASK: u8 = 3;
    const ECN_CE: u8 = 3;
    const ECN_ECT_0: u8 = 2;
    let ecn = if ds & ECN_MASK == ECN_CE { ECN_ECT_0 } else { ds & ECN_MASK };
    (ds & !ECN_MASK) | ecn
}

/// What VS/TUN's outer header takes from the packet it carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inner {
    /// The outer header's protocol: IPv4-in-IP or IPv6-in-IP.
    proto: u8,
    /// DS field (IPv4 TOS, IPv6 traffic class), ECN as RFC 6040 copies it.
    ds: u8,
    /// TTL or hop limit.
    hops: u8,
    /// Whether an IPv4 packet may not be fragmented (never for IPv6,
    /// whose fragmenting is its sender's, as upstream).
    df: bool,
}

impl Inner {
    /// Its IP-in-IP protocol: IPIP or IPV6.
    pub fn proto(&self) -> u8 {
        self.proto
    }

    /// Reads the first bytes of the IP header of the packet to carry, of
    /// either family.
    pub fn read(header: &[u8]) -> Option<Self> {
        const DF: u8 = 0x40;
        match header.first()? >> 4 {
            4 if header.len() >= 20 => {
                Some(Self { proto: PROTO_IPIP, ds: ecn_encapsulate(header[1]), hops: header[8], df: header[6] & DF != 0 })
            }
            6 if header.len() >= 8 => Some(Self {
                proto: PROTO_IPV6,
                ds: ecn_encapsulate((header[0] << 4) | (header[1] >> 4)),
                hops: header[7],
                df: false,
            }),
            _ => None,
        }
    }
}

/// The IPv4 outer header VS/TUN puts in front of the packet `inner`
/// describes (RFC 2003, 4213), or of its encapsulation, which protocol
/// `next` says (`inner.proto()` for none): from `saddr` to `daddr`, with the inner
/// packet's TTL, DS field and, if `keep_df` (upstream's `pmtu_disc`), DF
/// bit. Total length, identification and checksum are left zero for
/// the stack to fill on the way out.
pub fn ipv4_tunnel_header(inner: &Inner, next: u8, saddr: [u8; 4], daddr: [u8; 4], keep_df: bool) -> [u8; 20] {
    const DF: u8 = 0x40;
    let mut outer = [0u8; 20];
    outer[0] = 0x45;
    outer[1] = inner.ds;
    outer[6] = if keep_df && inner.df { DF } else { 0 };
    outer[8] = inner.hops;
    outer[9] = next;
    outer[12..16].copy_from_slice(&saddr);
    outer[16..20].copy_from_slice(&daddr);
    outer
}

/// The IPv6 outer header VS/TUN puts in front of the packet `inner`
/// describes, or of its encapsulation (protocol `next`), `payload_len`
/// bytes with it (RFC 2473): from `saddr` to
/// `daddr`, with the inner hop limit and traffic class, no flow label,
/// as upstream. A payload too long for its length field (only a GSO
/// packet's can be) gets 0 there, as the stack writes on the way out.
pub fn ipv6_tunnel_header(inner: &Inner, next: u8, payload_len: usize, saddr: &[u8; 16], daddr: &[u8; 16]) -> [u8; IPV6_HEADER] {
    let payload_len = u16::try_from(payload_len).unwrap_or(0);
    let mut outer = [0u8; IPV6_HEADER];
    outer[0] = 0x60 | (inner.ds >> 4);
    outer[1] = inner.ds << 4;
    outer[4..6].copy_from_slice(&payload_len.to_be_bytes());
    outer[6] = next;
    outer[7] = inner.hops;
    outer[8..24].copy_from_slice(saddr);
    outer[24..40].copy_from_slice(daddr);
    outer
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(proto: u8, frag: u16) -> [u8; 40] {
        let mut p = [0u8; 40];
        p[0] = 0x45;
        p[6..8].copy_from_slice(&frag.to_be_bytes());
        p[9] = proto;
        p[12..16].copy_from_slice(&[10, 0, 0, 2]);
        p[16..20].copy_from_slice(&[10, 0, 0, 100]);
        p[20..22].copy_from_slice(&40000u16.to_be_bytes());
        p[22..24].copy_from_slice(&80u16.to_be_bytes());
        p[33] = 0x02;
        p
    }

    #[test]
    fn reads_tcp_and_udp_flows() {
        let f = flow(false, &packet(PROTO_TCP, 0x4000)).unwrap();
        assert_eq!(
            (v4_of(&f.saddr), v4_of(&f.daddr), f.sport, f.dport, f.tcp_flags, f.l4),
            ([10, 0, 0, 2], [10, 0, 0, 100], 40000, 80, 2, 20)
        );
        assert_eq!(f.saddr, v4_slot([10, 0, 0, 2]));
        let u = flow(false, &packet(PROTO_UDP, 0)).unwrap();
        assert_eq!((u.proto, u.tcp_flags, u.v6, u.sctp_event), (PROTO_UDP, 0, false, None));
    }

    #[test]
    fn reads_an_sctp_packets_first_chunk() {
        let mut p = packet(PROTO_SCTP, 0);
        p[32] = 1; // INIT
        let f = flow(false, &p).unwrap();
        assert_eq!((f.proto, f.sport, f.dport, f.tcp_flags, f.sctp_event), (PROTO_SCTP, 40000, 80, 0, Some(SctpEvent::Init)));
        assert_eq!(flow(false, &p[..35]), None, "no whole chunk header");
        assert!(ipv4_is_l4_fragment(&packet(PROTO_SCTP, 0x2000)));
        assert!(!ipv4_is_l4_fragment(&packet(PROTO_IPIP, 0x2000)));
    }

    /// An IPv6 packet: fixed header, then `ext` (extension headers
    /// whose first is `first`), then a TCP header.
    fn packet6(first: u8, ext: &[u8]) -> std::vec::Vec<u8> {
        let mut p = std::vec![0u8; 40];
        p[0] = 0x60;
        p[6] = first;
        p[7] = 64;
        p[8..24].copy_from_slice(&[0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        p[24..40].copy_from_slice(&[0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x64]);
        p.extend_from_slice(ext);
        let mut tcp = [0u8; 20];
        tcp[..4].copy_from_slice(&[0x9c, 0x40, 0, 80]);
        tcp[13] = 0x12;
        p.extend_from_slice(&tcp);
        p
    }

    #[test]
    fn reads_ipv6_flows_past_extension_headers() {
        let p = packet6(PROTO_TCP, &[]);
        let f = flow(true, &p).unwrap();
        assert_eq!((f.v6, f.proto, f.sport, f.dport, f.tcp_flags, f.l4), (true, PROTO_TCP, 40000, 80, 0x12, 40));
        assert_eq!((f.saddr[15], f.daddr[15]), (2, 0x64));
        // Hop-by-hop (8 bytes), then destination options (16), then TCP.
        let mut ext = std::vec![60, 0, 1, 4, 0, 0, 0, 0];
        ext.extend_from_slice(&[PROTO_TCP, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let p = packet6(0, &ext);
        assert_eq!(ipv6_l4(&p), L4::At(64, PROTO_TCP));
        assert_eq!(flow(true, &p).unwrap().dport, 80);
        // Too short to tell: how much more to read.
        assert_eq!(ipv6_l4(&p[..30]), L4::Need(40));
        assert_eq!(ipv6_l4(&p[..41]), L4::Need(42));
        assert_eq!(ipv6_l4(&p[..49]), L4::Need(50));
        // A fragment header, ICMPv6, or IPv4 are not for us.
        assert_eq!(ipv6_l4(&packet6(44, &[PROTO_TCP, 0, 0, 1, 0, 0, 0, 1])), L4::Not);
        assert_eq!(ipv6_l4(&packet6(58, &[])), L4::Not);
        assert_eq!(ipv6_l4(&packet(PROTO_TCP, 0)), L4::Not);
        assert!(flow(false, &p).is_none());
    }

    #[test]
    fn hops_count_down_with_the_checksum_kept() {
        let mut h = [0u8; 20];
        h.copy_from_slice(&packet(PROTO_TCP, 0x4000)[..20]);
        h[8] = 64;
        let check = crate::csum::ipv4_header(&h);
        h[10..12].copy_from_slice(&check.to_be_bytes());
        assert!(decrement_hops(&mut h, false));
        assert_eq!(h[8], 63);
        let stored = u16::from_be_bytes([h[10], h[11]]);
        h[10..12].copy_from_slice(&[0, 0]);
        assert_eq!(crate::csum::ipv4_header(&h), stored);
        h[8] = 1;
        assert!(!decrement_hops(&mut h, false));
        assert_eq!(h[8], 1);

        let mut p = packet6(PROTO_TCP, &[]);
        assert!(decrement_hops(&mut p, true));
        assert_eq!(p[7], 63);
        p[7] = 1;
        assert!(!decrement_hops(&mut p, true));
    }

    #[test]
    fn refuses_fragments_other_protocols_and_short_headers() {
        assert!(flow(false, &packet(PROTO_TCP, 0x2000)).is_none());
        assert!(ipv4_is_l4_fragment(&packet(PROTO_TCP, 0x2000)));
        assert!(ipv4_is_l4_fragment(&packet(PROTO_UDP, 5)));
        assert!(!ipv4_is_l4_fragment(&packet(PROTO_UDP, 0x4000)));
        assert!(!ipv4_is_l4_fragment(&packet(1, 5)));
        assert!(flow(false, &packet(PROTO_TCP, 5)).is_none());
        assert!(flow(false, &packet(1, 0)).is_none());
        assert!(flow(false, &packet(PROTO_TCP, 0)[..30]).is_none());
        let mut bad = packet(PROTO_TCP, 0);
        bad[0] = 0x44;
        assert!(flow(false, &bad).is_none());
    }

    #[test]
    fn ipv4_tunnel_header_carries_ttl_ds_and_df_only() {
        let mut inner = [0u8; 20];
        inner.copy_from_slice(&packet(PROTO_TCP, 0x4000)[..20]);
        inner[1] = 0xb8 | 1; // EF, ECT(1)
        inner[8] = 63;
        let fields = Inner::read(&inner).unwrap();
        let outer = ipv4_tunnel_header(&fields, PROTO_IPIP, [10, 0, 1, 1], [10, 0, 1, 2], true);
        assert_eq!(outer[0], 0x45);
        assert_eq!(outer[1], 0xb9);
        assert_eq!((outer[6], outer[7]), (0x40, 0));
        assert_eq!((outer[8], outer[9]), (63, PROTO_IPIP));
        assert_eq!(&outer[12..], &[10, 0, 1, 1, 10, 0, 1, 2]);
        // Length, id and checksum are the stack's to fill.
        assert_eq!(&outer[2..6], &[0; 4]);
        assert_eq!(&outer[10..12], &[0; 2]);
        // Without path MTU discovery, no DF outside.
        assert_eq!(ipv4_tunnel_header(&fields, PROTO_IPIP, [10, 0, 1, 1], [10, 0, 1, 2], false)[6], 0);
        // No DF inside, none outside; CE is not copied out.
        inner[6] = 0;
        inner[1] = 0x03;
        let outer = ipv4_tunnel_header(&Inner::read(&inner).unwrap(), PROTO_IPIP, [10, 0, 1, 1], [10, 0, 1, 2], true);
        assert_eq!((outer[1], outer[6]), (0x02, 0));
        // IPv6 inside IPv4: protocol 41, hop limit as TTL, never DF.
        let six = Inner::read(&packet6(PROTO_TCP, &[])).unwrap();
        assert_eq!(six.proto(), PROTO_IPV6);
        let outer = ipv4_tunnel_header(&six, six.proto(), [10, 0, 1, 1], [10, 0, 1, 2], true);
        assert_eq!((outer[6], outer[8], outer[9]), (0, 64, PROTO_IPV6));
        // In GRE: the outer header says so.
        assert_eq!(ipv4_tunnel_header(&six, 47, [10, 0, 1, 1], [10, 0, 1, 2], true)[9], 47);
    }

    #[test]
    fn ipv6_tunnel_header_carries_hop_limit_and_class() {
        let mut inner = [0u8; 40];
        inner.copy_from_slice(&packet6(PROTO_TCP, &[])[..40]);
        // Traffic class 0xb9 (EF, ECT(1)), flow label 0x12345.
        inner[0] = 0x6b;
        inner[1] = 0x91;
        inner[2..4].copy_from_slice(&[0x23, 0x45]);
        let (s, d) = ([1u8; 16], [2u8; 16]);
        let fields = Inner::read(&inner).unwrap();
        let outer = ipv6_tunnel_header(&fields, PROTO_IPV6, 60, &s, &d);
        assert_eq!(&outer[..8], &[0x6b, 0x90, 0, 0, 0, 60, PROTO_IPV6, 64]);
        assert_eq!((&outer[8..24], &outer[24..]), (&s[..], &d[..]));
        // CE inside is ECT(0) outside.
        inner[0] = 0x60;
        inner[1] = 0x30;
        assert_eq!(&ipv6_tunnel_header(&Inner::read(&inner).unwrap(), PROTO_IPV6, 60, &s, &d)[..2], &[0x60, 0x20]);
        assert_eq!(&ipv6_tunnel_header(&fields, PROTO_IPV6, 70000, &s, &d)[4..6], &[0, 0]);
        // IPv4 inside IPv6: protocol 4, TTL as hop limit.
        let four = Inner::read(&packet(PROTO_UDP, 0)).unwrap();
        let outer = ipv6_tunnel_header(&four, four.proto(), 40, &s, &d);
        assert_eq!((outer[6], outer[7]), (PROTO_IPIP, 0));
        // In GUE: UDP next, the payload length counting its headers.
        let outer = ipv6_tunnel_header(&four, 17, 52, &s, &d);
        assert_eq!((outer[5], outer[6]), (52, 17));
        assert!(Inner::read(&[0x50; 40]).is_none());
    }
}
