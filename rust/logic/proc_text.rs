// SPDX-License-Identifier: GPL-2.0
//! The pieces of upstream's `/proc/net/ip_vs*` text that tools parse:
//! addresses in hex, protocol and forwarding-method names.

use core::fmt;

/// An address as upstream's /proc files print it: IPv4 as eight
/// upper-case hex digits (`%08X` of the host-order value), IPv6 as
/// `%pI6`, eight groups of four lower-case hex digits.
pub struct HexAddr<'a> {
    /// Whether the address is IPv6; else IPv4, in the first four bytes.
    pub v6: bool,
    /// The address.
    pub addr: &'a [u8; 16],
}

impl fmt::Display for HexAddr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.addr;
        if !self.v6 {
            return write!(f, "{:08X}", u32::from_be_bytes([a[0], a[1], a[2], a[3]]));
        }
        for (i, group) in a.chunks_exact(2).enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{:04x}", u16::from_be_bytes([group[0], group[1]]))?;
        }
        Ok(())
    }
}

/// Upstream's `ip_vs_proto_name`.
pub fn proto_name(proto: u16) -> &'static str {
    match proto {
        0 => "IP",
        6 => "TCP",
        17 => "UDP",
        132 => "SCTP",
        1 => "ICMP",
        58 => "ICMPv6",
        _ => "IP_?",
    }
}

/// Upstream's `ip_vs_fwd_name` for `IP_VS_CONN_F_*` forwarding flags.
pub fn fwd_name(fwd: u32) -> &'static str {
    const FWD_MASK: u32 = 7;
    match fwd & FWD_MASK {
        1 => "Local",
        2 => "Tunnel",
        3 => "Route",
        _ => "Masq",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn addresses_print_as_upstream() {
        let mut v4 = [0u8; 16];
        v4[..4].copy_from_slice(&[10, 0, 0, 100]);
        assert_eq!(format!("{}", HexAddr { v6: false, addr: &v4 }), "0A000064");
        let v6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x0a];
        assert_eq!(format!("{}", HexAddr { v6: true, addr: &v6 }), "2001:0db8:0000:0000:0000:0000:0000:010a");
    }

    #[test]
    fn names_as_upstream() {
        assert_eq!((proto_name(6), proto_name(17), proto_name(132), proto_name(99)), ("TCP", "UDP", "SCTP", "IP_?"));
        assert_eq!((fwd_name(0), fwd_name(1), fwd_name(2), fwd_name(3)), ("Masq", "Local", "Tunnel", "Route"));
        assert_eq!(fwd_name(0x103), "Route");
    }
}
