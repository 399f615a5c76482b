// SPDX-License-Identifier: GPL-2.0
//! The few header fields the director reads: addresses, protocol, ports
//! and TCP flags of an IPv4 packet, and where to rewrite them.

/// IP protocol numbers the director balances.
pub const PROTO_TCP: u8 = 6;
/// UDP.
pub const PROTO_UDP: u8 = 17;

/// One end of a packet: its source or its destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Source address and port.
    Source,
    /// Destination address and port.
    Destination,
}

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

/// Whether an IPv4 header's first 20 bytes are those of a fragment of a
/// TCP or UDP packet.
pub fn ipv4_is_l4_fragment(header: &[u8]) -> bool {
    header.len() >= 20
        && u16::from_be_bytes([header[6], header[7]]) & 0x3fff != 0
        && (header[9] == PROTO_TCP || header[9] == PROTO_UDP)
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

/// IP protocol number of IPv4-in-IPv4 (VS/TUN's outer header).
pub const PROTO_IPIP: u8 = 4;

/// The outer header VS/TUN puts in front of the IPv4 packet whose header
/// is `inner` (RFC 2003): from `saddr` to `daddr`, carrying the inner
/// packet's TTL, its DS field (ECN as RFC 6040 copies it: a CE mark is
/// not copied out) and its DF bit, as upstream does with `pmtu_disc` on.
/// Total length, identification and checksum are left zero for the
/// stack to fill on the way out.
pub fn ipip_header(inner: &[u8; 20], saddr: [u8; 4], daddr: [u8; 4]) -> [u8; 20] {
    const ECN_MASK: u8 = 3;
    const ECN_CE: u8 = 3;
    const ECN_ECT_0: u8 = 2;
    const DF: u8 = 0x40;
    let tos = inner[1];
    let ecn = if tos & ECN_MASK == ECN_CE { ECN_ECT_0 } else { tos & ECN_MASK };
    let mut outer = [0u8; 20];
    outer[0] = 0x45;
    outer[1] = (tos & !ECN_MASK) | ecn;
    outer[6] = inner[6] & DF;
    outer[8] = inner[8];
    outer[9] = PROTO_IPIP;
    outer[12..16].copy_from_slice(&saddr);
    outer[16..20].copy_from_slice(&daddr);
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
        let f = ipv4_flow(&packet(PROTO_TCP, 0x4000)).unwrap();
        assert_eq!((f.saddr, f.daddr, f.sport, f.dport, f.tcp_flags, f.ihl), ([10, 0, 0, 2], [10, 0, 0, 100], 40000, 80, 2, 20));
        let u = ipv4_flow(&packet(PROTO_UDP, 0)).unwrap();
        assert_eq!((u.proto, u.tcp_flags), (PROTO_UDP, 0));
    }

    #[test]
    fn refuses_fragments_other_protocols_and_short_headers() {
        assert!(ipv4_flow(&packet(PROTO_TCP, 0x2000)).is_none());
        assert!(ipv4_is_l4_fragment(&packet(PROTO_TCP, 0x2000)));
        assert!(ipv4_is_l4_fragment(&packet(PROTO_UDP, 5)));
        assert!(!ipv4_is_l4_fragment(&packet(PROTO_UDP, 0x4000)));
        assert!(!ipv4_is_l4_fragment(&packet(1, 5)));
        assert!(ipv4_flow(&packet(PROTO_TCP, 5)).is_none());
        assert!(ipv4_flow(&packet(1, 0)).is_none());
        assert!(ipv4_flow(&packet(PROTO_TCP, 0)[..30]).is_none());
        let mut bad = packet(PROTO_TCP, 0);
        bad[0] = 0x44;
        assert!(ipv4_flow(&bad).is_none());
    }

    #[test]
    fn ipip_header_carries_ttl_ds_and_df_only() {
        let mut inner = [0u8; 20];
        inner.copy_from_slice(&packet(PROTO_TCP, 0x4000)[..20]);
        inner[1] = 0xb8 | 1; // EF, ECT(1)
        inner[8] = 63;
        let outer = ipip_header(&inner, [10, 0, 1, 1], [10, 0, 1, 2]);
        assert_eq!(outer[0], 0x45);
        assert_eq!(outer[1], 0xb9);
        assert_eq!((outer[6], outer[7]), (0x40, 0));
        assert_eq!((outer[8], outer[9]), (63, PROTO_IPIP));
        assert_eq!(&outer[12..], &[10, 0, 1, 1, 10, 0, 1, 2]);
        // Length, id and checksum are the stack's to fill.
        assert_eq!(&outer[2..6], &[0; 4]);
        assert_eq!(&outer[10..12], &[0; 2]);

        // No DF inside, none outside; CE is not copied out.
        inner[6] = 0;
        inner[1] = 0x03;
        let outer = ipip_header(&inner, [10, 0, 1, 1], [10, 0, 1, 2]);
        assert_eq!((outer[1], outer[6]), (0x02, 0));
    }
}
