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
use crate::packet::{End, PROTO_TCP, PROTO_UDP};

/// IP protocol number of ICMP.
pub const PROTO_ICMP: u8 = 1;

/// The ICMP types that quote a packet and that the director relays, as
/// upstream: destination unreachable, source quench, time exceeded.
const RELAYED_TYPES: [u8; 3] = [3, 4, 11];

/// An ICMP error about a TCP or UDP packet, read from the IPv4 packet
/// that carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpError {
    /// Offset of the ICMP header (the outer IP header's length).
    pub icmp_at: usize,
    /// Offset of the quoted IP header.
    pub quoted_at: usize,
    /// Length of the quoted IP header.
    pub quoted_ihl: usize,
    /// The quoted packet's protocol.
    pub proto: u8,
    /// The quoted packet's source address.
    pub saddr: [u8; 4],
    /// The quoted packet's destination address.
    pub daddr: [u8; 4],
    /// The quoted packet's source port.
    pub sport: u16,
    /// The quoted packet's destination port.
    pub dport: u16,
}

/// Bytes of an ICMP error the director must see to read it: the outer
/// header, the ICMP header, a quoted header of up to 60 bytes and the
/// quoted ports.
pub const fn needed(outer_ihl: usize) -> usize {
    outer_ihl + 8 + 60 + 4
}

/// Reads the ICMP error that `packet` (the whole IPv4 packet, or at least
/// its first [`needed`] bytes) carries, if it is one the director
/// relays: a whole (unfragmented) IPv4 ICMP error of a relayed type
/// quoting the first fragment of a TCP or UDP packet, ports included.
pub fn parse(packet: &[u8]) -> Option<IcmpError> {
    if packet.len() < 20 || packet[0] >> 4 != 4 || packet[9] != PROTO_ICMP {
        return None;
    }
    let icmp_at = usize::from(packet[0] & 0x0f) * 4;
    let frag = u16::from_be_bytes([packet[6], packet[7]]) & 0x3fff;
    if icmp_at < 20 || frag != 0 || !RELAYED_TYPES.contains(packet.get(icmp_at)?) {
        return None;
    }
    let quoted_at = icmp_at + 8;
    let quoted = packet.get(quoted_at..)?;
    if quoted.len() < 20 || quoted[0] >> 4 != 4 {
        return None;
    }
    let quoted_ihl = usize::from(quoted[0] & 0x0f) * 4;
    let offset = u16::from_be_bytes([quoted[6], quoted[7]]) & 0x1fff;
    let proto = quoted[9];
    if quoted_ihl < 20 || offset != 0 || (proto != PROTO_TCP && proto != PROTO_UDP) {
        return None;
    }
    let ports = quoted.get(quoted_ihl..quoted_ihl + 4)?;
    let mut saddr = [0; 4];
    let mut daddr = [0; 4];
    saddr.copy_from_slice(&quoted[12..16]);
    daddr.copy_from_slice(&quoted[16..20]);
    Some(IcmpError {
        icmp_at,
        quoted_at,
        quoted_ihl,
        proto,
        saddr,
        daddr,
        sport: u16::from_be_bytes([ports[0], ports[1]]),
        dport: u16::from_be_bytes([ports[2], ports[3]]),
    })
}

/// The offset of an IPv4 header's `end` address.
const fn addr_at(end: End) -> usize {
    match end {
        End::Source => 12,
        End::Destination => 16,
    }
}

/// Rewrites the VS/NAT way the ICMP error `err` read from `packet` (the
/// whole IPv4 packet): the outer header's `outer` address becomes
/// `outer_addr`; the quoted packet's `quoted` address and port become
/// `addr` and `port`. The quoted IP header's checksum, the ICMP checksum
/// (over the whole message) and the outer header's checksum are computed
/// again; the quoted transport checksum is left alone, as upstream.
pub fn rewrite_nat(packet: &mut [u8], err: &IcmpError, outer: End, outer_addr: [u8; 4], quoted: End, addr: [u8; 4], port: u16) {
    let q = err.quoted_at;
    let at = q + addr_at(quoted);
    packet[at..at + 4].copy_from_slice(&addr);
    let port_at = q + err.quoted_ihl + if matches!(quoted, End::Source) { 0 } else { 2 };
    packet[port_at..port_at + 2].copy_from_slice(&port.to_be_bytes());
    let quoted_check = csum::ipv4_header(&packet[q..q + err.quoted_ihl]);
    packet[q + 10..q + 12].copy_from_slice(&quoted_check.to_be_bytes());

    let icmp = &mut packet[err.icmp_at..];
    icmp[2..4].copy_from_slice(&[0, 0]);
    let icmp_check = csum::finish(csum::sum(0, icmp));
    icmp[2..4].copy_from_slice(&icmp_check.to_be_bytes());

    let at = addr_at(outer);
    packet[at..at + 4].copy_from_slice(&outer_addr);
    let outer_check = csum::ipv4_header(&packet[..err.icmp_at]);
    packet[10..12].copy_from_slice(&outer_check.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let err = parse(&port_unreachable()).unwrap();
        assert_eq!((err.icmp_at, err.quoted_at, err.quoted_ihl, err.proto), (20, 28, 20, PROTO_UDP));
        assert_eq!((err.saddr, err.sport, err.daddr, err.dport), ([10, 0, 0, 2], 40000, [10, 0, 1, 2], 5353));
    }

    #[test]
    fn ignores_what_is_not_a_relayed_error() {
        let good = port_unreachable();
        let mut echo = good.clone();
        echo[20] = 8;
        assert!(parse(&echo).is_none());
        let mut fragment = good.clone();
        fragment[7] = 1;
        assert!(parse(&fragment).is_none());
        let mut quoted_later_fragment = good.clone();
        quoted_later_fragment[28 + 7] = 1;
        assert!(parse(&quoted_later_fragment).is_none());
        let mut quoted_icmp = good.clone();
        quoted_icmp[28 + 9] = PROTO_ICMP;
        assert!(parse(&quoted_icmp).is_none());
        assert!(parse(&good[..28 + 20 + 3]).is_none());
        assert!(parse(&good[..28 + 20 + 4]).is_some());
    }

    #[test]
    fn nat_rewrite_keeps_every_checksum_right() {
        let mut p = port_unreachable();
        let err = parse(&p).unwrap();
        // The real server's error about a client's packet, as the client
        // must see it: from the VIP, about a packet to VIP:53.
        rewrite_nat(&mut p, &err, End::Source, [10, 0, 0, 100], End::Destination, [10, 0, 0, 100], 53);
        let err = parse(&p).unwrap();
        assert_eq!((err.daddr, err.dport, err.saddr, err.sport), ([10, 0, 0, 100], 53, [10, 0, 0, 2], 40000));
        assert_eq!(&p[12..16], &[10, 0, 0, 100]);
        assert!(sums_to_zero(&p[..20]));
        assert!(sums_to_zero(&p[20..]));
        assert!(sums_to_zero(&p[28..48]));
    }
}
