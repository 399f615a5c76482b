// SPDX-License-Identifier: GPL-2.0
//! Global server scheduling (thesis §4.1.5): real servers spread over
//! the world, and a table that maps client address prefixes to the
//! servers near them, in order of preference. A new connection goes to
//! the least loaded available server of the longest prefix that holds
//! its client; the reply leaves that server straight to the client
//! (VS/TUN or VS/DR), so only the small request crosses the director.
//!
//! "Least loaded" is wlc's measure ([`DestInfo::conn_overhead`] per unit
//! of weight); among equals the server named first wins. A server is
//! available with a positive weight and without its overload flag. When
//! no server of the longest prefix is, the next shorter prefix that holds
//! the client is tried, and so on; when none is left, every server of
//! the service is (wlc), so a client is never refused while a server can
//! take it.
//!
//! Operators write the table through `/proc/net/ip_vs_gs`
//! (`gs_table.rs`); a route may name servers the service does not have
//! (yet): only the ones it has count.
//!
//! Needs [`crate::sched_input`] beside it.

use crate::sched_input::{least_load_per_weight, DestInfo};

/// Most servers one route names.
pub const ROUTE_SERVERS_MAX: usize = 8;

/// A real server's address as a route names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerAddr {
    /// Whether `addr` is IPv6.
    pub v6: bool,
    /// The address, network order; IPv4 in the first four bytes.
    pub addr: [u8; 16],
    /// The port, host order.
    pub port: u16,
}

impl ServerAddr {
    /// An all-zero address, for unused slots.
    pub const NONE: ServerAddr = ServerAddr { v6: false, addr: [0; 16], port: 0 };

    fn is(&self, d: &DestInfo) -> bool {
        self.v6 == d.v6 && self.addr == d.addr && self.port == d.port
    }
}

/// A client address prefix: the first `len` bits of `addr`, the rest
/// zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prefix {
    /// Whether it is an IPv6 prefix.
    pub v6: bool,
    addr: [u8; 16],
    len: u8,
}

impl Prefix {
    /// The prefix of `len` bits of `addr`; `None` if `len` is longer than
    /// the family's addresses.
    pub fn new(v6: bool, addr: [u8; 16], len: u8) -> Option<Self> {
        let bits = if v6 { 128 } else { 32 };
        if len > bits {
            return None;
        }
        let mut masked = [0u8; 16];
        for (i, byte) in masked.iter_mut().enumerate().take(usize::from(bits) / 8) {
            *byte = addr[i] & byte_mask(len, i);
        }
        Some(Self { v6, addr: masked, len })
    }

    /// Its address bits (the rest zero).
    pub fn addr(&self) -> &[u8; 16] {
        &self.addr
    }

    /// How many leading bits count.
    pub fn bits(&self) -> u8 {
        self.len
    }

    /// Whether client `addr` of family `v6` is in it.
    pub fn contains(&self, v6: bool, addr: &[u8; 16]) -> bool {
        v6 == self.v6 && (0..16).all(|i| addr[i] & byte_mask(self.len, i) == self.addr[i])
    }
}

/// The mask of byte `i` of an address under a prefix of `len` bits.
fn byte_mask(len: u8, i: usize) -> u8 {
    let bits = usize::from(len).saturating_sub(i * 8).min(8);
    (0xff00u16 >> bits) as u8
}

/// One row of a service's table: clients in `prefix` go to the least
/// loaded available one of its servers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    /// The clients it is for.
    pub prefix: Prefix,
    count: u8,
    servers: [ServerAddr; ROUTE_SERVERS_MAX],
}

impl Route {
    /// Clients in `prefix` to `servers` (in order of preference); `None`
    /// without servers or with more than [`ROUTE_SERVERS_MAX`].
    pub fn new(prefix: Prefix, servers: &[ServerAddr]) -> Option<Self> {
        if servers.is_empty() || servers.len() > ROUTE_SERVERS_MAX {
            return None;
        }
        let mut route = Self { prefix, count: servers.len() as u8, servers: [ServerAddr::NONE; ROUTE_SERVERS_MAX] };
        route.servers[..servers.len()].copy_from_slice(servers);
        Some(route)
    }

    /// Its servers, in order of preference.
    pub fn servers(&self) -> &[ServerAddr] {
        &self.servers[..usize::from(self.count)]
    }
}

/// A route with its servers found among the service's: what the
/// scheduler keeps per route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resolved {
    prefix: Prefix,
    count: u8,
    dests: [u16; ROUTE_SERVERS_MAX],
}

impl Resolved {
    /// An empty slot.
    pub const EMPTY: Resolved = Resolved { prefix: Prefix { v6: false, addr: [0; 16], len: 0 }, count: 0, dests: [0; ROUTE_SERVERS_MAX] };

    /// `route` over the service's servers `dests` (list order): the
    /// indices of the ones it names, in its order.
    pub fn new(route: &Route, dests: &[DestInfo]) -> Self {
        let mut resolved = Self { prefix: route.prefix, ..Self::EMPTY };
        for server in route.servers() {
            let index = dests.iter().position(|d| server.is(d)).and_then(|i| u16::try_from(i).ok());
            if let Some(i) = index {
                resolved.dests[usize::from(resolved.count)] = i;
                resolved.count += 1;
            }
        }
        resolved
    }

    /// The least loaded available one of its servers.
    fn choose(&self, dests: &[DestInfo]) -> Option<usize> {
        // Only servers with weight: wlc's search would let a weight-0 one
        // whose load wrapped win.
        let mut listed = [DestInfo::v4([0; 4], 0, 0); ROUTE_SERVERS_MAX];
        let mut at = [0usize; ROUTE_SERVERS_MAX];
        let mut count = 0;
        for &i in &self.dests[..usize::from(self.count)] {
            let i = usize::from(i);
            match dests.get(i) {
                Some(d) if d.weight > 0 => {
                    listed[count] = *d;
                    at[count] = i;
                    count += 1;
                }
                _ => {}
            }
        }
        least_load_per_weight(&listed[..count], DestInfo::conn_overhead).map(|pick| at[pick])
    }
}

/// Puts `table` in the order [`schedule`] searches it: longest prefix
/// first; routes of equal length keep their order.
pub fn sort_longest_first(table: &mut [Resolved]) {
    // Insertion sort: stable, no allocation, tables are short.
    for i in 1..table.len() {
        let mut j = i;
        while j > 0 && table[j - 1].prefix.len < table[j].prefix.len {
            table.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// The server for a new connection from client `addr` (family `v6`)
/// among `dests` (list order), with `table` sorted longest prefix first;
/// `None` if no server is available at all.
pub fn schedule(table: &[Resolved], dests: &[DestInfo], v6: bool, addr: &[u8; 16]) -> Option<usize> {
    table
        .iter()
        .filter(|r| r.prefix.contains(v6, addr))
        .find_map(|r| r.choose(dests))
        .or_else(|| least_load_per_weight(dests, DestInfo::conn_overhead))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched_input::test_dests::servers;

    fn v4(a: [u8; 4]) -> [u8; 16] {
        let mut full = [0; 16];
        full[..4].copy_from_slice(&a);
        full
    }

    fn prefix(a: [u8; 4], len: u8) -> Prefix {
        Prefix::new(false, v4(a), len).unwrap()
    }

    /// The address of test server `i` (`servers` numbers them 10.0.0.i+1).
    fn server(dests: &[DestInfo], i: usize) -> ServerAddr {
        ServerAddr { v6: false, addr: dests[i].addr, port: dests[i].port }
    }

    fn table(dests: &[DestInfo], routes: &[(Prefix, &[usize])]) -> std::vec::Vec<Resolved> {
        let mut t: std::vec::Vec<Resolved> = routes
            .iter()
            .map(|(p, s)| {
                let names: std::vec::Vec<ServerAddr> = s.iter().map(|&i| server(dests, i)).collect();
                Resolved::new(&Route::new(*p, &names).unwrap(), dests)
            })
            .collect();
        sort_longest_first(&mut t);
        t
    }

    #[test]
    fn prefixes_mask_and_match() {
        let p = prefix([10, 1, 2, 3], 16);
        assert_eq!(p.addr(), &v4([10, 1, 0, 0]));
        assert!(p.contains(false, &v4([10, 1, 200, 7])));
        assert!(!p.contains(false, &v4([10, 2, 0, 1])));
        assert!(!p.contains(true, &v4([10, 1, 0, 1])), "family counts");
        assert!(prefix([0; 4], 0).contains(false, &v4([192, 168, 1, 1])));
        let odd = prefix([10, 0, 0xff, 0], 20);
        assert_eq!(odd.addr(), &v4([10, 0, 0xf0, 0]));
        assert!(odd.contains(false, &v4([10, 0, 0xf7, 9])));
        assert!(!odd.contains(false, &v4([10, 0, 0xe7, 9])));
        assert!(Prefix::new(false, v4([1, 2, 3, 4]), 33).is_none());
        let mut six = [0u8; 16];
        six[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        six[15] = 1;
        let p6 = Prefix::new(true, six, 32).unwrap();
        assert!(p6.contains(true, &six));
        assert_eq!(p6.addr()[15], 0);
    }

    #[test]
    fn longest_prefix_wins_and_the_least_loaded_of_its_servers() {
        // Servers 0..4; 10.1/16 -> [2, 3], 10.1.5/24 -> [1], 0/0 -> [0].
        let mut d = servers(&[(1, 0, 0), (1, 0, 0), (1, 5, 0), (1, 2, 0)]);
        let t = table(&d, &[(prefix([10, 1, 0, 0], 16), &[2, 3]), (prefix([10, 1, 5, 0], 24), &[1]), (prefix([0; 4], 0), &[0])]);
        assert_eq!(schedule(&t, &d, false, &v4([10, 1, 5, 9])), Some(1));
        assert_eq!(schedule(&t, &d, false, &v4([10, 1, 6, 9])), Some(3), "3 has fewer connections than 2");
        assert_eq!(schedule(&t, &d, false, &v4([192, 0, 2, 1])), Some(0));
        d[3].active = 5;
        assert_eq!(schedule(&t, &d, false, &v4([10, 1, 6, 9])), Some(2), "equal load: the one named first");
    }

    #[test]
    fn unavailable_servers_fall_back_to_shorter_prefixes_then_to_all() {
        let mut d = servers(&[(1, 9, 0), (1, 0, 0), (1, 3, 0)]);
        let t = table(&d, &[(prefix([10, 1, 0, 0], 16), &[1]), (prefix([10, 0, 0, 0], 8), &[2])]);
        d[1].weight = 0;
        assert_eq!(schedule(&t, &d, false, &v4([10, 1, 0, 1])), Some(2));
        d[2].overloaded = true;
        assert_eq!(schedule(&t, &d, false, &v4([10, 1, 0, 1])), Some(0), "nothing listed is available: wlc over all");
        d[0].weight = 0;
        assert_eq!(schedule(&t, &d, false, &v4([10, 1, 0, 1])), None);
    }

    #[test]
    fn a_quiesced_server_never_wins_even_with_a_wrapped_load() {
        // Weight 0 with 2^23 active connections: wlc's search would take it.
        let d = servers(&[(0, 1 << 23, 0), (1, 5, 0)]);
        let t = table(&d, &[(prefix([10, 0, 0, 0], 8), &[0, 1])]);
        assert_eq!(schedule(&t, &d, false, &v4([10, 0, 0, 1])), Some(1));
    }

    #[test]
    fn servers_the_service_lacks_do_not_count() {
        let d = servers(&[(1, 0, 0), (1, 0, 0)]);
        let stranger = ServerAddr { v6: false, addr: v4([192, 0, 2, 9]), port: 80 };
        let route = Route::new(prefix([10, 0, 0, 0], 8), &[stranger, server(&d, 1)]).unwrap();
        let t = [Resolved::new(&route, &d)];
        assert_eq!(schedule(&t, &d, false, &v4([10, 9, 9, 9])), Some(1));
        let only_stranger = [Resolved::new(&Route::new(prefix([10, 0, 0, 0], 8), &[stranger]).unwrap(), &d)];
        assert_eq!(schedule(&only_stranger, &d, false, &v4([10, 9, 9, 9])), Some(0), "wlc over all");
    }

    #[test]
    fn routes_hold_one_to_eight_servers() {
        let p = prefix([10, 0, 0, 0], 8);
        assert!(Route::new(p, &[]).is_none());
        assert!(Route::new(p, &[ServerAddr::NONE; ROUTE_SERVERS_MAX + 1]).is_none());
        assert_eq!(Route::new(p, &[ServerAddr::NONE; ROUTE_SERVERS_MAX]).unwrap().servers().len(), ROUTE_SERVERS_MAX);
    }

    #[test]
    fn sorting_is_stable_longest_first() {
        let d = servers(&[(1, 0, 0), (1, 0, 0)]);
        let t = table(&d, &[(prefix([0; 4], 0), &[0]), (prefix([10, 0, 0, 0], 8), &[0]), (prefix([11, 0, 0, 0], 8), &[1]), (prefix([10, 1, 0, 0], 16), &[1])]);
        let lens: std::vec::Vec<u8> = t.iter().map(|r| r.prefix.bits()).collect();
        assert_eq!(lens, [16, 8, 8, 0]);
        assert_eq!(t[1].prefix, prefix([10, 0, 0, 0], 8));
    }
}
