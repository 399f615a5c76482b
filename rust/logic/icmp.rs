// SPDX-License-Identifier: GPL-2.0
//! ICMP errors about balanced connections (thesis §5.2.3).
//!
//! An ICMP error quotes the head of the packet that caused it. When that
//! packet belongs to a connection the director balances, the error must
//! reach the other end of the connection as if the director were not
//! there: an error from the client's side goes on to the real server
//! (so that "fragmentation needed" reaches a VS/DR or VS/TUN server,
//! which sends from the virtual address), and under VS/NAT both the outer
//! and the quoted addresses are rewritten, as for the packets themselves.

use crate::csum;
use crate::packet::{self, addr_field, End, L4, IPV6_HEADER};

/// IP protocol number of ICMP.
pub const PROTO_ICMP: u8 = 1;
/// IP protocol number of ICMPv6.
pub const PROTO_ICMPV6: u8 = 58;

/// The ICMP types that quote a packet and that the director relays, as
/// upstream: destination unreachable, source quench, time exceeded.
const RELAYED_TYPES: [u8; 3] = [3, 4, 11];

/// ICMPv6 types below this are errors (RFC 4443), all relayed.
const ICMPV6_INFO: u8 = 128;

/// An ICMP or ICMPv6 error about a TCP, UDP or SCTP packet, read from the IP
/// packet that carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpError {
    /// Whether it is ICMPv6 in IPv6.
    pub v6: bool,
    /// Offset of the ICMP header (after the outer IP headers).
    pub icmp_at: usize,
    /// Offset of the quoted IP header.
    pub quoted_at: usize,
    /// Offset of the quoted transport header.
    pub quoted_l4: usize,
    /// The quoted packet's protocol.
    pub proto: u8,
    /// The quoted packet's source address (IPv4 in the first 4 bytes).
    pub saddr: [u8; 16],
    /// The quoted packet's destination address.
    pub daddr: [u8; 16],
    /// The quoted packet's source port.
    pub sport: u16,
    /// The quoted packet's destination port.
    pub dport: u16,
}

/// Bytes of an ICMP error the director reads at most to find the
/// quoted ports: outer headers, the ICMP header, quoted headers of up
/// to 60 bytes (IPv4) or 40 and 64 of extension headers (IPv6), ports.
pub const fn needed(v6: bool, icmp_at: usize) -> usize {
    icmp_at + 8 + if v6 { IPV6_HEADER + 64 } else { 60 } + 4
}

/// Where the ICMP header of an IP packet starts, if it is an
/// unfragmented ICMP (ICMPv6 if `v6`) packet.
pub fn icmp_at(v6: bool, packet: &[u8]) -> Option<usize> {
    let (upper, proto) = if v6 { (packet::ipv6_upper(packet), PROTO_ICMPV6) } else { (packet::ipv4_upper(packet), PROTO_ICMP) };
    match upper {
        L4::At(at, p) if p == proto => Some(at),
        _ => None,
    }
}

/// Reads the ICMP error that `packet` (the whole IP packet, or at least
/// its first [`needed`] bytes) carries, if it is one the director
/// relays: a whole ICMP error of a relayed type (any ICMPv6 error)
/// quoting the first fragment of a TCP, UDP or SCTP packet of the same
/// family, ports included.
pub fn parse(v6: bool, packet: &[u8]) -> Option<IcmpError> {
    let icmp_at = icmp_at(v6, packet)?;
    let kind = *packet.get(icmp_at)?;
    let relayed = if v6 { kind < ICMPV6_INFO } else { RELAYED_TYPES.contains(&kind) };
    if !relayed {
        return None;
    }
    let quoted_at = icmp_at + 8;
    let quoted = packet.get(quoted_at..)?;
    let (quoted_l4, proto) = if v6 {
        match packet::ipv6_l4(quoted) {
            L4::At(l4, proto) => (l4, proto),
            _ => return None,
        }
    } else {
        // Only the quoted packet's first fragment has the ports; a
        // quoted header that says "more fragments" is fine.
        if quoted.len() < 20 || quoted[0] >> 4 != 4 {
            return None;
        }
        let ihl = usize::from(quoted[0] & 0x0f) * 4;
        let offset = u16::from_be_bytes([quoted[6], quoted[7]]) & 0x1fff;
        let proto = quoted[9];
        if ihl < 20 || offset != 0 || !packet::balanced(proto) {
            return None;
        }
        (ihl, proto)
    };
    let ports = quoted.get(quoted_l4..quoted_l4 + 4)?;
    let (s_at, len) = addr_field(v6, End::Source);
    let (d_at, _) = addr_field(v6, End::Destination);
    let mut saddr = [0; 16];
    let mut daddr = [0; 16];
    saddr[..len].copy_from_slice(&quoted[s_at..s_at + len]);
    daddr[..len].copy_from_slice(&quoted[d_at..d_at + len]);
    Some(IcmpError {
        v6,
        icmp_at,
        quoted_at,
        quoted_l4: quoted_at + quoted_l4,
        proto,
        saddr,
        daddr,
        sport: u16::from_be_bytes([ports[0], ports[1]]),
        dport: u16::from_be_bytes([ports[2], ports[3]]),
    })
}

/// Rewrites the VS/NAT way the ICMP error `err` read from `packet` (the
/// whole IP packet): the outer header's `outer` address becomes
/// `outer_addr`; the quoted packet's `quoted` address and port become
/// `addr` and `port`. The quoted IPv4 header's checksum, the ICMP
/// checksum (over the whole message; for ICMPv6 with its pseudo-header)
/// and the outer IPv4 header's checksum are computed again; the quoted
/// transport checksum is left alone, as upstream.
pub fn rewrite_nat(packet: &mut [u8], err: &IcmpError, outer: End, outer_addr: &[u8; 16], quoted: End, addr: &[u8; 16], port: u16) {
    let v6 = err.v6;
    let q = err.quoted_at;
    let (at, len) = addr_field(v6, quoted);
    packet[q + at..q + at + len].copy_from_slice(&addr[..len]);
    let port_at = err.quoted_l4 + if quoted == End::Source { 0 } else { 2 };
    packet[port_at..port_at + 2].copy_from_slice(&port.to_be_bytes());
    if !v6 {
        let quoted_check = csum::ipv4_header(&packet[q..err.quoted_l4]);
        packet[q + 10..q + 12].copy_from_slice(&quoted_check.to_be_bytes());
    }

    let (at, len) = addr_field(v6, outer);
    packet[at..at + len].copy_from_slice(&outer_addr[..len]);
    if !v6 {
        let outer_check = csum::ipv4_header(&packet[..err.icmp_at]);
        packet[10..12].copy_from_slice(&outer_check.to_be_bytes());
    }

    let (head, icmp) = packet.split_at_mut(err.icmp_at);
    icmp[2..4].copy_from_slice(&[0, 0]);
    let mut sum = 0;
    if v6 {
        // RFC 4443: the pseudo-header of RFC 8200 §8.1.
        let icmp_len = icmp.len() as u32;
        sum = csum::sum(sum, &head[8..40]);
        sum = csum::sum(sum, &icmp_len.to_be_bytes());
        sum = csum::sum(sum, &[0, 0, 0, PROTO_ICMPV6]);
    }
    let icmp_check = csum::finish(csum::sum(sum, icmp));
    icmp[2..4].copy_from_slice(&icmp_check.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{v4_slot, PROTO_TCP, PROTO_UDP};
    use std::vec::Vec;

    /// A port unreachable from 10.0.1.2 to 10.0.0.2 quoting a UDP
    /// datagram 10.0.0.2:40000 -> 10.0.1.2:5353 with 4 payload bytes.
    fn port_unreachable() -> Vec<u8> {
        let mut quoted = Vec::from([0x45, 0, 0, 32, 0, 1, 0x40, 0, 64, PROTO_UDP, 0, 0, 10, 0, 0, 2, 10, 0, 1, 2]);
        let check = csum::ipv4_header(&quoted);
        quoted[10..12].copy_from_slice(&check.to_be_bytes());
        quoted.extend_from_slice(&[0x9c, 0x40, 0x14, 0xe9, 0, 12, 0xab, 0xcd, 1, 2, 3, 4]);
        let mut icmp = Vec::from([3, 3, 0, 0, 0, 0, 0, 0]);
        icmp.extend_from_slice(&quoted);
        let check = csum::finish(csum::sum(0, &icmp));
        icmp[2..4].copy_from_slice(&check.to_be_bytes());
        let len = (20 + icmp.len()) as u16;
        let mut outer = Vec::from([0x45, 0xc0, 0, 0, 0, 2, 0, 0, 64, PROTO_ICMP, 0, 0, 10, 0, 1, 2, 10, 0, 0, 2]);
        outer[2..4].copy_from_slice(&len.to_be_bytes());
        let check = csum::ipv4_header(&outer);
        outer[10..12].copy_from_slice(&check.to_be_bytes());
        outer.extend_from_slice(&icmp);
        outer
    }

    /// Whether a header or message sums to zero, as a correct one does.
    fn sums_to_zero(bytes: &[u8]) -> bool {
        csum::finish(csum::sum(0, bytes)) == 0
    }

    #[test]
    fn reads_the_quoted_connection() {
        let err = parse(false, &port_unreachable()).unwrap();
        assert_eq!((err.icmp_at, err.quoted_at, err.quoted_l4, err.proto), (20, 28, 48, PROTO_UDP));
        assert_eq!((err.saddr, err.sport, err.daddr, err.dport), (v4_slot([10, 0, 0, 2]), 40000, v4_slot([10, 0, 1, 2]), 5353));
    }

    #[test]
    fn ignores_what_is_not_a_relayed_error() {
        let good = port_unreachable();
        let mut echo = good.clone();
        echo[20] = 8;
        assert!(parse(false, &echo).is_none());
        let mut fragment = good.clone();
        fragment[7] = 1;
        assert!(parse(false, &fragment).is_none());
        let mut quoted_later_fragment = good.clone();
        quoted_later_fragment[28 + 7] = 1;
        assert!(parse(false, &quoted_later_fragment).is_none());
        let mut quoted_icmp = good.clone();
        quoted_icmp[28 + 9] = PROTO_ICMP;
        assert!(parse(false, &quoted_icmp).is_none());
        assert!(parse(false, &good[..28 + 20 + 3]).is_none());
        assert!(parse(false, &good[..28 + 20 + 4]).is_some());
    }

    #[test]
    fn nat_rewrite_keeps_every_checksum_right() {
        let mut p = port_unreachable();
        let err = parse(false, &p).unwrap();
        // The real server's error about a client's packet, as the client
        // must see it: from the VIP, about a packet to VIP:53.
        let vip = v4_slot([10, 0, 0, 100]);
        rewrite_nat(&mut p, &err, End::Source, &vip, End::Destination, &vip, 53);
        let err = parse(false, &p).unwrap();
        assert_eq!((err.daddr, err.dport, err.saddr, err.sport), (vip, 53, v4_slot([10, 0, 0, 2]), 40000));
        assert_eq!(&p[12..16], &[10, 0, 0, 100]);
        assert!(sums_to_zero(&p[..20]));
        assert!(sums_to_zero(&p[20..]));
        assert!(sums_to_zero(&p[28..48]));
    }

    /// fd00::N, as a 16-byte address.
    fn fd00(n: u8) -> [u8; 16] {
        let mut a = [0u8; 16];
        a[..2].copy_from_slice(&[0xfd, 0]);
        a[15] = n;
        a
    }

    /// The ICMPv6 checksum of `packet` (fixed IPv6 header, then ICMPv6)
    /// is right.
    fn icmpv6_sums_to_zero(packet: &[u8]) -> bool {
        let mut sum = csum::sum(0, &packet[8..40]);
        sum = csum::sum(sum, &((packet.len() - 40) as u32).to_be_bytes());
        sum = csum::sum(sum, &[0, 0, 0, PROTO_ICMPV6]);
        csum::finish(csum::sum(sum, &packet[40..])) == 0
    }

    /// A packet too big (MTU 1400) from router fd00::9 to fd00::100
    /// quoting a TCP segment fd00::100:80 -> fd00::2:40000.
    fn packet_too_big() -> Vec<u8> {
        let mut quoted = Vec::from([0x60, 0, 0, 0, 0, 20, PROTO_TCP, 64]);
        quoted.extend_from_slice(&fd00(0x64));
        quoted.extend_from_slice(&fd00(2));
        quoted.extend_from_slice(&[0, 80, 0x9c, 0x40, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0]);
        let mut p = Vec::from([0x60, 0, 0, 0, 0, 0, PROTO_ICMPV6, 64]);
        p.extend_from_slice(&fd00(9));
        p.extend_from_slice(&fd00(0x64));
        p.extend_from_slice(&[2, 0, 0, 0, 0, 0, 0x05, 0x78]);
        p.extend_from_slice(&quoted);
        let len = (p.len() - 40) as u16;
        p[4..6].copy_from_slice(&len.to_be_bytes());
        let err = parse(true, &p).unwrap();
        // Checksum it by rewriting nothing.
        let (router, client) = (fd00(9), fd00(2));
        rewrite_nat(&mut p, &err, End::Source, &router, End::Destination, &client, 40000);
        assert!(icmpv6_sums_to_zero(&p));
        p
    }

    #[test]
    fn reads_icmpv6_errors() {
        let p = packet_too_big();
        let err = parse(true, &p).unwrap();
        assert_eq!((err.v6, err.icmp_at, err.quoted_at, err.quoted_l4, err.proto), (true, 40, 48, 88, PROTO_TCP));
        assert_eq!((err.saddr, err.sport, err.daddr, err.dport), (fd00(0x64), 80, fd00(2), 40000));
        // An echo request is no error; IPv4 is not IPv6.
        let mut echo = p.clone();
        echo[40] = 128;
        assert!(parse(true, &echo).is_none());
        assert!(parse(false, &p).is_none());
        assert!(parse(true, &p[..88 + 3]).is_none());
    }

    #[test]
    fn icmpv6_nat_rewrite_keeps_the_checksum_right() {
        let mut p = packet_too_big();
        let err = parse(true, &p).unwrap();
        // Relayed to a VS/NAT real server fd00:1::2:8080.
        let mut rs = fd00(2);
        rs[1] = 1;
        rewrite_nat(&mut p, &err, End::Destination, &rs, End::Source, &rs, 8080);
        let err = parse(true, &p).unwrap();
        assert_eq!((err.saddr, err.sport, err.daddr, err.dport), (rs, 8080, fd00(2), 40000));
        assert_eq!(&p[24..40], &rs);
        assert!(icmpv6_sums_to_zero(&p));
    }
}
