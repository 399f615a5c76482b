// SPDX-License-Identifier: GPL-2.0
//! What a scheduler sees: its service's real servers and the packet that
//! opens a new connection.
//!
//! Every scheduler file takes the servers as a slice of [`DestInfo`] in
//! the service's list order, newest server first as upstream keeps it;
//! the schedulers answer with an index into that slice. Upstream's
//! schedulers differ in which servers they consider usable (weight above
//! zero or just not zero, overload flag checked or not), so each file
//! applies its own rule to these raw fields.
//!
//! The counters keep upstream's meaning but our core's shape: upstream
//! keeps `activeconns` and `totalconns` (active plus inactive), ours
//! keeps active and inactive apart; [`DestInfo::total_conns`] joins them.
//! Upstream reads all of them as C `int`, so arithmetic on them here
//! wraps as the kernel's does.

/// One real server of a service, as the schedulers see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DestInfo {
    /// Whether `addr` is an IPv6 address.
    pub v6: bool,
    /// The address in network byte order; IPv4 fills the first four
    /// bytes and leaves the rest zero (as upstream's `nf_inet_addr`).
    pub addr: [u8; 16],
    /// The port, in host byte order.
    pub port: u16,
    /// The weight now; 0 quiesces the server (no new connections).
    pub weight: i32,
    /// The weight given when the server was added, then the latest
    /// non-zero weight set (upstream's `last_weight`). The Maglev
    /// scheduler builds its table from this one, so that quiescing a
    /// server does not move the other servers' clients.
    pub last_weight: i32,
    /// Active connections (TCP established or opening).
    pub active: u32,
    /// Inactive connections (TCP closing, UDP and the like).
    pub inactive: u32,
    /// Whether the server is over its upper connection threshold
    /// (upstream's `IP_VS_DEST_F_OVERLOAD`).
    pub overloaded: bool,
}

impl DestInfo {
    /// An idle IPv4 server at `addr:port` (address in network order, as
    /// written `a.b.c.d`) with `weight` now and as its last weight.
    pub const fn v4(addr: [u8; 4], port: u16, weight: i32) -> Self {
        let mut full = [0u8; 16];
        full[0] = addr[0];
        full[1] = addr[1];
        full[2] = addr[2];
        full[3] = addr[3];
        Self::idle(false, full, port, weight)
    }

    /// An idle IPv6 server at `[addr]:port` with `weight` now and as
    /// its last weight.
    pub const fn v6(addr: [u8; 16], port: u16, weight: i32) -> Self {
        Self::idle(true, addr, port, weight)
    }

    const fn idle(v6: bool, addr: [u8; 16], port: u16, weight: i32) -> Self {
        Self { v6, addr, port, weight, last_weight: weight, active: 0, inactive: 0, overloaded: false }
    }

    /// The active connections as upstream's `int` counter reads them.
    pub const fn active_conns(&self) -> i32 {
        self.active as i32
    }

    /// Active plus inactive connections: upstream's `totalconns`.
    pub const fn total_conns(&self) -> i32 {
        self.active.wrapping_add(self.inactive) as i32
    }

    /// Upstream's `ip_vs_dest_conn_overhead`, the load lc and wlc
    /// compare: `active * 256 + total`, i.e. an active connection costs
    /// 257 inactive ones. (Older kernels added the inactive count rather
    /// than the total; 6.12 adds the total.)
    pub const fn conn_overhead(&self) -> i32 {
        self.active_conns().wrapping_shl(8).wrapping_add(self.total_conns())
    }
}

/// Whether `load` on `weight` is more per unit of weight than
/// `other_load` on `other_weight`: upstream's division-free comparison
/// `load * other_weight > other_load * weight` of wlc, sed and nq. The
/// products are 64-bit, as upstream's casts make them, so no pair of
/// 32-bit values overflows. Strictly greater: on equal load per weight
/// the server found first keeps its place.
pub const fn heavier_per_weight(load: i32, weight: i32, other_load: i32, other_weight: i32) -> bool {
    (load as i64) * (other_weight as i64) > (other_load as i64) * (weight as i64)
}

/// The addresses and ports of a packet that opens a connection, as the
/// hashing schedulers (sh, dh, mh) read them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowKey {
    /// Whether the addresses are IPv6: the service's address family,
    /// which upstream uses to fold the addresses for hashing.
    pub v6: bool,
    /// Source address in network byte order (IPv4 in the first 4 bytes).
    pub saddr: [u8; 16],
    /// Destination address in network byte order (IPv4 in the first 4
    /// bytes).
    pub daddr: [u8; 16],
    /// Source port in host byte order; 0 unless the protocol is TCP, UDP
    /// or SCTP (the only ones upstream reads ports of).
    pub sport: u16,
    /// Destination port in host byte order; 0 as for `sport`.
    pub dport: u16,
    /// Whether the header is seen in reply direction (upstream's
    /// "inverse" headers, from the packet inside an ICMP error): the
    /// client is then the destination.
    pub inverse: bool,
}

impl FlowKey {
    /// The client's address and port, which sh and mh hash: the source,
    /// or the destination of an inverse header.
    pub const fn client(&self) -> (&[u8; 16], u16) {
        if self.inverse {
            (&self.daddr, self.dport)
        } else {
            (&self.saddr, self.sport)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overhead_weighs_active_connections_257_times() {
        let mut d = DestInfo::v4([10, 0, 0, 1], 80, 1);
        d.active = 2;
        d.inactive = 5;
        assert_eq!(d.total_conns(), 7);
        assert_eq!(d.conn_overhead(), 2 * 256 + 7);
    }

    #[test]
    fn overhead_wraps_as_a_c_int() {
        let mut d = DestInfo::v4([10, 0, 0, 1], 80, 1);
        d.active = 1 << 23;
        assert_eq!(d.conn_overhead(), i32::MIN.wrapping_add(1 << 23));
        d.active = u32::MAX;
        assert_eq!(d.active_conns(), -1);
    }

    #[test]
    fn per_weight_comparison_is_strict_and_64_bit() {
        assert!(heavier_per_weight(3, 1, 5, 2)); // 3/1 > 5/2
        assert!(!heavier_per_weight(4, 2, 2, 1)); // equal: no
        assert!(!heavier_per_weight(1, 2, 1, 1));
        assert!(heavier_per_weight(i32::MAX, 1, i32::MAX, i32::MAX));
        assert!(!heavier_per_weight(i32::MIN, i32::MAX, i32::MAX, 1));
    }

    #[test]
    fn constructors_fill_addresses_and_last_weight() {
        let d = DestInfo::v4([192, 168, 1, 2], 8080, 3);
        assert_eq!(&d.addr[..4], &[192, 168, 1, 2]);
        assert!(d.addr[4..].iter().all(|&b| b == 0));
        assert_eq!((d.v6, d.port, d.weight, d.last_weight), (false, 8080, 3, 3));
        let a = [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        assert_eq!(DestInfo::v6(a, 443, 0).addr, a);
    }

    #[test]
    fn client_is_the_source_unless_inverse() {
        let mut k = FlowKey { v6: false, saddr: [1; 16], daddr: [2; 16], sport: 3, dport: 4, inverse: false };
        assert_eq!(k.client(), (&[1; 16], 3));
        k.inverse = true;
        assert_eq!(k.client(), (&[2; 16], 4));
    }
}
