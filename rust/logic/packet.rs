// SPDX-License-Identifier: GPL-2.0
//! The few header fields the director reads: addresses, protocol, ports
//! and TCP flags of an IPv4 packet, and where to rewrite them.

/// IP protocol numbers the director balances.
pub const PROTO_TCP: u8 = 6;
/// UDP.
pub const PROTO_UDP: u8 = 17;

/// Bytes of the IPv4 and transport headers the director needs to see:
/// the IP header, then ports and, for TCP, flags and checksum.
pub const fn needed_v4(ihl_bytes: usize, proto: u8) -> usize {
    ihl_bytes + if proto == PROTO_TCP { 20 } else { 8 }
}

/// Offset of the checksum field inside the transport header.
pub const fn csum_offset(proto: u8) -> usize {
    if proto == PROTO_TCP {
        16
    } else {
        6
    }
}

/// What the director reads of an IPv4 TCP or UDP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Flow {
    /// Protocol (TCP or UDP).
    pub proto: u8,
    /// Source address.
    pub saddr: [u8; 4],
    /// Destination address.
    pub daddr: [u8; 4],
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// TCP flags (0 for UDP).
    pub tcp_flags: u8,
    /// Length of the IP header, where the transport header starts.
    pub ihl: usize,
}

/// The IP header length and protocol of an IPv4 header's first 20
/// bytes, if it is IPv4, unfragmented (or the first fragment is not
/// ours to handle: any fragment is refused) and TCP or UDP.
pub fn ipv4_l4(header: &[u8]) -> Option<(usize, u8)> {
    if header.len() < 20 || header[0] >> 4 != 4 {
        return None;
    }
    let ihl = usize::from(header[0] & 0x0f) * 4;
    let frag = u16::from_be_bytes([header[6], header[7]]) & 0x3fff;
    let proto = header[9];
    if ihl < 20 || frag != 0 || (proto != PROTO_TCP && proto != PROTO_UDP) {
        return None;
    }
    Some((ihl, proto))
}

/// Reads the flow of `bytes`: the whole IP header and [`needed_v4`]
/// bytes of transport header.
pub fn ipv4_flow(bytes: &[u8]) -> Option<Ipv4Flow> {
    let (ihl, proto) = ipv4_l4(bytes)?;
    if bytes.len() < needed_v4(ihl, proto) {
        return None;
    }
    let l4 = &bytes[ihl..];
    let mut saddr = [0; 4];
    let mut daddr = [0; 4];
    saddr.copy_from_slice(&bytes[12..16]);
    daddr.copy_from_slice(&bytes[16..20]);
    Some(Ipv4Flow {
        proto,
        saddr,
        daddr,
        sport: u16::from_be_bytes([l4[0], l4[1]]),
        dport: u16::from_be_bytes([l4[2], l4[3]]),
        tcp_flags: if proto == PROTO_TCP { l4[13] } else { 0 },
        ihl,
    })
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
        let f = ipv4_flow(&packet(PROTO_TCP, 0x4000)).unwrap();
        assert_eq!((f.saddr, f.daddr, f.sport, f.dport, f.tcp_flags, f.ihl), ([10, 0, 0, 2], [10, 0, 0, 100], 40000, 80, 2, 20));
        let u = ipv4_flow(&packet(PROTO_UDP, 0)).unwrap();
        assert_eq!((u.proto, u.tcp_flags), (PROTO_UDP, 0));
    }

    #[test]
    fn refuses_fragments_other_protocols_and_short_headers() {
        assert!(ipv4_flow(&packet(PROTO_TCP, 0x2000)).is_none());
        assert!(ipv4_flow(&packet(PROTO_TCP, 5)).is_none());
        assert!(ipv4_flow(&packet(1, 0)).is_none());
        assert!(ipv4_flow(&packet(PROTO_TCP, 0)[..30]).is_none());
        let mut bad = packet(PROTO_TCP, 0);
        bad[0] = 0x44;
        assert!(ipv4_flow(&bad).is_none());
    }
}
