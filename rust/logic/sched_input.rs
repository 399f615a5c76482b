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
//!
//! The file also holds what several of upstream's schedulers compute the
//! same way, so that each scheduler file needs only this one beside it:
//! the loads ([`DestInfo::conn_overhead`], [`DestInfo::expected_delay`]),
//! the per-weight comparison and search of wlc and sed
//! ([`heavier_per_weight`], [`least_load_per_weight`]) and the weights'
//! common divisor of wrr and mh ([`positive_gcd`]).

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

    /// The delay a new connection would see here, the load sed and nq
    /// compare (upstream's `ip_vs_sed_dest_overhead` and
    /// `ip_vs_nq_dest_overhead`): active connections plus one, inactive
    /// ones not counting, with upstream's `int` wrap.
    pub const fn expected_delay(&self) -> i32 {
        self.active_conns().wrapping_add(1)
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

/// The server with the least `load` per unit of weight among `dests`
/// (list order), as upstream's wlc and sed search for it with their
/// loads ([`DestInfo::conn_overhead`], [`DestInfo::expected_delay`]);
/// `None` if no server has a positive weight without being overloaded.
///
/// The search starts at the first server that has a positive weight and
/// is not overloaded; later servers replace it only when strictly less
/// loaded per weight ([`heavier_per_weight`]), so ties go to the
/// earliest (newest) server. As upstream, later servers are skipped only
/// when overloaded: one with weight 0 loses every comparison (0 is never
/// greater) unless its load has wrapped negative.
pub fn least_load_per_weight(dests: &[DestInfo], load: impl Fn(&DestInfo) -> i32) -> Option<usize> {
    let first = dests.iter().position(|d| !d.overloaded && d.weight > 0)?;
    let mut least = first;
    let mut least_load = 0;
    let mut least_weight = 0;
    for (i, d) in dests.iter().enumerate().skip(first) {
        if d.overloaded {
            continue;
        }
        let l = load(d);
        if i == first || heavier_per_weight(least_load, least_weight, l, d.weight) {
            least = i;
            least_load = l;
            least_weight = d.weight;
        }
    }
    Some(least)
}

/// The greatest common divisor of the positive values among `weights`;
/// 0 if none is positive. Upstream's wrr reduces the current weights by
/// it (`ip_vs_wrr_gcd_weight`, which makes 0 into 1), mh the last
/// weights (`ip_vs_mh_gcd_weight`).
pub fn positive_gcd(weights: impl IntoIterator<Item = i32>) -> i32 {
    let g = weights.into_iter().filter(|&w| w > 0).fold(0u32, |g, w| gcd(g, w.unsigned_abs()));
    // g divides a positive i32, so it fits.
    i32::try_from(g).unwrap_or(0)
}

/// Greatest common divisor, with gcd(0, b) = b.
fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        let r = a % b;
        a = b;
        b = r;
    }
    a
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

/// Server lists for the schedulers' tests.
#[cfg(test)]
pub mod test_dests {
    use super::DestInfo;
    use std::vec::Vec;

    /// How a test writes one server: its weight alone (an idle server),
    /// `(weight, active)` or `(weight, active, inactive)`.
    pub trait Spec: Copy {
        /// The weight, active and inactive connections.
        fn parts(self) -> (i32, u32, u32);
    }

    impl Spec for i32 {
        fn parts(self) -> (i32, u32, u32) {
            (self, 0, 0)
        }
    }

    impl Spec for (i32, u32) {
        fn parts(self) -> (i32, u32, u32) {
            (self.0, self.1, 0)
        }
    }

    impl Spec for (i32, u32, u32) {
        fn parts(self) -> (i32, u32, u32) {
            self
        }
    }

    /// One IPv4 server per spec, at 10.0.0.1:80, 10.0.0.2:80 and so on
    /// (counting on into 10.0.1.0 past 10.0.0.255), each weight also its
    /// last weight.
    pub fn servers<S: Spec>(specs: &[S]) -> Vec<DestInfo> {
        specs
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let (weight, active, inactive) = s.parts();
                let n = i + 1;
                DestInfo { active, inactive, ..DestInfo::v4([10, 0, (n >> 8) as u8, n as u8], 80, weight) }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::test_dests::servers;
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
    fn expected_delay_is_active_plus_one() {
        let mut d = DestInfo::v4([10, 0, 0, 1], 80, 1);
        d.inactive = 1000;
        assert_eq!(d.expected_delay(), 1);
        d.active = u32::MAX >> 1;
        assert_eq!(d.expected_delay(), i32::MIN, "wraps as a C int");
    }

    #[test]
    fn least_load_per_weight_starts_at_the_first_usable_server() {
        let by_active = |d: &DestInfo| d.active_conns();
        // 4/2 = 2 vs 3/1 vs 2/1: the first of the equal least stays.
        let d = servers(&[(2, 4), (1, 3), (1, 2)]);
        assert_eq!(least_load_per_weight(&d, by_active), Some(0));
        let mut d = servers(&[(0, 0), (2, 4), (1, 1)]);
        assert_eq!(least_load_per_weight(&d, by_active), Some(2));
        d[2].overloaded = true;
        assert_eq!(least_load_per_weight(&d, by_active), Some(1));
        d[1].weight = 0;
        assert_eq!(least_load_per_weight(&d, by_active), None);
        assert_eq!(least_load_per_weight(&[], by_active), None);
    }

    #[test]
    fn gcd_of_the_positive_weights() {
        assert_eq!(positive_gcd([4, 0, -6, 6]), 2);
        assert_eq!(positive_gcd([7]), 7);
        assert_eq!(positive_gcd([9, 6, 15]), 3);
        assert_eq!(positive_gcd([i32::MAX, i32::MAX]), i32::MAX);
        assert_eq!(positive_gcd([0, -3]), 0);
        assert_eq!(positive_gcd([]), 0);
    }

    #[test]
    fn test_servers_count_addresses_from_10_0_0_1() {
        let d = servers(&[(1, 2, 3)]);
        assert_eq!((d[0].weight, d[0].active, d[0].inactive, d[0].port), (1, 2, 3, 80));
        assert_eq!(servers(&[(5, 7)])[0].inactive, 0);
        let d = servers(&[1; 300]);
        assert_eq!(&d[0].addr[..4], &[10, 0, 0, 1]);
        assert_eq!(&d[255].addr[..4], &[10, 0, 1, 0]);
        assert_eq!(&d[299].addr[..4], &[10, 0, 1, 44]);
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
