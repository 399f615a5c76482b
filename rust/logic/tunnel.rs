// SPDX-License-Identifier: GPL-2.0
//! VS/TUN's tunnel types (upstream's `--tun-type`): what goes between the
//! outer IP header and the packet a director tunnels to a real server.
//! IP-in-IP puts nothing there; GUE (Generic UDP Encapsulation) a UDP
//! header to the server's tunnel port and a GUE header; GRE a GRE header
//! (RFC 2784), with a checksum if asked.

/// IP in IP (`IP_VS_CONN_F_TUNNEL_TYPE_IPIP`), the default.
pub const TYPE_IPIP: u8 = 0;
/// IP in GUE in UDP (`IP_VS_CONN_F_TUNNEL_TYPE_GUE`).
pub const TYPE_GUE: u8 = 1;
/// IP in GRE (`IP_VS_CONN_F_TUNNEL_TYPE_GRE`).
pub const TYPE_GRE: u8 = 2;

/// Checksum the encapsulation (`IP_VS_TUNNEL_ENCAP_FLAG_CSUM`).
pub const FLAG_CSUM: u16 = 1 << 0;
/// GUE: leave the packet's own checksum to the receiver (remote checksum
/// offload, `IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM`).
pub const FLAG_REMCSUM: u16 = 1 << 1;

/// UDP header length.
const UDP_HEADER: usize = 8;
/// GUE base header length.
const GUE_HEADER: usize = 4;
/// GUE private flags word and remote-checksum option.
const GUE_REMCSUM_OPTION: usize = 4 + 4;
/// GRE base header length, and the checksum word it may carry.
const GRE_HEADER: usize = 4;
const GRE_CSUM: usize = 4;

/// The longest encapsulation header [`Tunnel::gue_header`] builds.
pub const GUE_MAX: usize = UDP_HEADER + GUE_HEADER + GUE_REMCSUM_OPTION;

/// IP protocol numbers of the encapsulations.
const PROTO_UDP: u8 = 17;
const PROTO_GRE: u8 = 47;

/// How a real server's tunnel is set (upstream's `tun_type`, `tun_port`,
/// `tun_flags`), as the netlink request gave it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Tunnel {
    /// `TYPE_*`; any other value tunnels IP in IP, as upstream.
    pub kind: u8,
    /// GUE: the server's UDP port (host order).
    pub port: u16,
    /// `FLAG_*`.
    pub flags: u16,
}

impl Tunnel {
    /// Why upstream refuses these settings, if it does: GUE needs a port.
    pub fn invalid(&self) -> Option<&'static str> {
        (self.kind == TYPE_GUE && self.port == 0).then_some("tunnel port is zero")
    }

    /// The settings in one word, for an atomic.
    pub fn to_bits(self) -> u64 {
        u64::from(self.kind) << 32 | u64::from(self.flags) << 16 | u64::from(self.port)
    }

    /// The settings [`Self::to_bits`] made `bits` of.
    pub fn from_bits(bits: u64) -> Self {
        Self { kind: (bits >> 32) as u8, flags: (bits >> 16) as u16, port: bits as u16 }
    }

    /// Whether the encapsulation carries a checksum of its own (GUE: the
    /// UDP checksum, which remote checksum offload needs too).
    pub fn checksummed(&self) -> bool {
        match self.kind {
            TYPE_GUE => self.flags & (FLAG_CSUM | FLAG_REMCSUM) != 0,
            TYPE_GRE => self.flags & FLAG_CSUM != 0,
            _ => false,
        }
    }

    /// Whether a packet whose checksum is still to be finished
    /// (`partial`) has it finished by the receiver instead (GUE remote
    /// checksum offload).
    pub fn remote_csum(&self, partial: bool) -> bool {
        self.kind == TYPE_GUE && self.flags & FLAG_REMCSUM != 0 && partial
    }

    /// Bytes the encapsulation puts between the outer IP header and the
    /// packet (`partial` as for [`Self::remote_csum`]).
    pub fn overhead(&self, partial: bool) -> usize {
        match self.kind {
            TYPE_GUE if self.remote_csum(partial) => UDP_HEADER + GUE_HEADER + GUE_REMCSUM_OPTION,
            TYPE_GUE => UDP_HEADER + GUE_HEADER,
            TYPE_GRE if self.checksummed() => GRE_HEADER + GRE_CSUM,
            TYPE_GRE => GRE_HEADER,
            _ => 0,
        }
    }

    /// The outer IP header's protocol for a packet whose IP-in-IP
    /// protocol is `ip_in_ip` (IPIP or IPV6).
    pub fn outer_proto(&self, ip_in_ip: u8) -> u8 {
        match self.kind {
            TYPE_GUE => PROTO_UDP,
            TYPE_GRE => PROTO_GRE,
            _ => ip_in_ip,
        }
    }

    /// The UDP and GUE headers in front of a packet of `len` bytes whose
    /// IP-in-IP protocol is `ip_in_ip`, from UDP port `sport`; with
    /// `remote_csum` (the packet's checksum starts at byte `start` of it
    /// and goes at `start + offset`) the GUE option telling the receiver
    /// to finish it. The UDP checksum is left zero, and so is the length
    /// of a datagram too long for it: only a GSO packet can be, and
    /// segmenting it writes each segment's.
    pub fn gue_header(&self, sport: u16, ip_in_ip: u8, len: usize, remote_csum: Option<(u16, u16)>) -> ([u8; GUE_MAX], usize) {
        const GUE_FLAG_PRIV: u16 = 1 << 0;
        const GUE_PFLAG_REMCSUM: u32 = 1 << 31;
        let option_len = if remote_csum.is_some() { GUE_REMCSUM_OPTION } else { 0 };
        let header_len = UDP_HEADER + GUE_HEADER + option_len;
        let udp_len = u16::try_from(header_len + len).unwrap_or(0);
        let mut h = [0u8; GUE_MAX];
        h[0..2].copy_from_slice(&sport.to_be_bytes());
        h[2..4].copy_from_slice(&self.port.to_be_bytes());
        h[4..6].copy_from_slice(&udp_len.to_be_bytes());
        // Version 0, no control message, options in 32-bit words.
        h[8] = (option_len / 4) as u8;
        h[9] = ip_in_ip;
        if let Some((start, offset)) = remote_csum {
            h[10..12].copy_from_slice(&GUE_FLAG_PRIV.to_be_bytes());
            h[12..16].copy_from_slice(&GUE_PFLAG_REMCSUM.to_be_bytes());
            h[16..18].copy_from_slice(&start.to_be_bytes());
            h[18..20].copy_from_slice(&start.wrapping_add(offset).to_be_bytes());
        }
        (h, header_len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUE: Tunnel = Tunnel { kind: TYPE_GUE, port: 6080, flags: 0 };

    #[test]
    fn settings_round_trip_through_one_word() {
        for t in [Tunnel::default(), GUE, Tunnel { kind: TYPE_GRE, port: 0, flags: FLAG_CSUM }, Tunnel { kind: 255, port: 65535, flags: 0xffff }] {
            assert_eq!(Tunnel::from_bits(t.to_bits()), t);
        }
    }

    #[test]
    fn gue_needs_a_port() {
        assert_eq!(Tunnel { port: 0, ..GUE }.invalid(), Some("tunnel port is zero"));
        assert_eq!(GUE.invalid(), None);
        assert_eq!(Tunnel { kind: TYPE_GRE, port: 0, flags: 0 }.invalid(), None);
    }

    #[test]
    fn overhead_and_protocol_per_type() {
        let gre = Tunnel { kind: TYPE_GRE, port: 0, flags: 0 };
        let gre_csum = Tunnel { flags: FLAG_CSUM, ..gre };
        let remcsum = Tunnel { flags: FLAG_REMCSUM, ..GUE };
        assert_eq!((Tunnel::default().overhead(true), Tunnel::default().outer_proto(4)), (0, 4));
        assert_eq!((GUE.overhead(true), GUE.outer_proto(4), GUE.checksummed()), (12, 17, false));
        assert_eq!((remcsum.overhead(false), remcsum.overhead(true), remcsum.checksummed()), (12, 20, true));
        assert_eq!((gre.overhead(false), gre_csum.overhead(false), gre.outer_proto(41)), (4, 8, 47));
        assert!(gre_csum.checksummed() && !gre.checksummed());
        // An unknown type is IP in IP, as upstream sends it.
        assert_eq!(Tunnel { kind: 7, port: 1, flags: 3 }.overhead(true), 0);
    }

    #[test]
    fn gue_header_bytes() {
        let (h, n) = GUE.gue_header(40000, 4, 100, None);
        assert_eq!(&h[..n], &[0x9c, 0x40, 0x17, 0xc0, 0, 112, 0, 0, 0, 4, 0, 0]);
        let remcsum = Tunnel { flags: FLAG_REMCSUM, ..GUE };
        let (h, n) = remcsum.gue_header(1, 41, 100, Some((40, 16)));
        assert_eq!(n, 20);
        assert_eq!(&h[4..6], &120u16.to_be_bytes());
        assert_eq!(&h[8..n], &[2, 41, 0, 1, 0x80, 0, 0, 0, 0, 40, 0, 56]);
        // Too long for a UDP length: a GSO packet, whose segments get theirs.
        assert_eq!(&GUE.gue_header(1, 4, 65536 - 12, None).0[4..6], &[0, 0]);
    }
}
