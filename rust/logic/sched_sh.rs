// SPDX-License-Identifier: GPL-2.0
//! Source-hashing scheduling, as upstream's `ip_vs_sh`: a client's
//! address (and, with sh-port, its port) hashes to one of 256 buckets,
//! each naming a server, so a client keeps landing on the same server.
//!
//! The table deals the servers round the buckets in list order, each
//! server taking as many consecutive buckets as its weight (at least
//! one, even with weight 0), and starts over at the list head until all
//! buckets are dealt; it is rebuilt from scratch whenever a server is
//! added, removed or edited. A bucket whose server has weight 0 or is
//! overloaded gives no server, unless sh-fallback is on: then buckets
//! are tried in turn, at an offset from the first hash, as upstream
//! (the walk is [`lookup`], which mh shares).
//!
//! Needs [`crate::sched_input`] and [`crate::sched_hash`] beside it.

use crate::sched_hash::{fold_addr, hash_32, lookup, HashFlags};
use crate::sched_input::{DestInfo, FlowKey};

pub use crate::sched_hash::NO_DEST;

/// Table size in bits (upstream's `CONFIG_IP_VS_SH_TAB_BITS`, default 8).
pub const TABLE_BITS: u32 = 8;
/// Number of buckets.
pub const TABLE_SIZE: usize = 1 << TABLE_BITS;

/// The buckets: each holds an index into the server list, or
/// [`NO_DEST`].
pub type ShTable = [u16; TABLE_SIZE];

/// The service's sh options (`ipvsadm -b sh-fallback,sh-port`).
pub type ShFlags = HashFlags;

/// Deals `dests` (list order) round `table` (`ip_vs_sh_reassign`).
/// Build into a table no lookup is reading, then switch to it.
pub fn build_table(dests: &[DestInfo], table: &mut ShTable) {
    let mut next = 0;
    let mut dealt = 0i32;
    for bucket in table.iter_mut() {
        let Some(d) = dests.get(next) else {
            *bucket = NO_DEST;
            continue;
        };
        // At most TABLE_SIZE servers are ever reached, so this fits.
        *bucket = u16::try_from(next).unwrap_or(NO_DEST);
        dealt += 1;
        if dealt >= d.weight {
            dealt = 0;
            next += 1;
            if next == dests.len() {
                next = 0;
            }
        }
    }
}

/// The bucket of a client's `addr` and `port` at `offset`
/// (`ip_vs_sh_hashkey`); `v6` is the service's family.
pub fn bucket(v6: bool, addr: &[u8; 16], port: u16, offset: u32) -> usize {
    let hash = hash_32(u32::from(port).wrapping_add(fold_addr(v6, addr)), TABLE_BITS);
    (offset.wrapping_add(hash) as usize) & (TABLE_SIZE - 1)
}

/// The server for a new connection of `flow` (`ip_vs_sh_schedule`), by
/// `table` as [`build_table`] built it from `dests`; `None` if none is
/// available.
pub fn schedule(table: &ShTable, dests: &[DestInfo], flow: &FlowKey, flags: ShFlags) -> Option<usize> {
    let (addr, port) = flags.hashed_client(flow);
    // The fallback walk passes the offset from the first hash, and
    // bucket() adds it once more, so the walk starts at twice the first
    // hash, as upstream's; it still visits every bucket once.
    lookup(table, dests, flags.fallback, |offset| bucket(flow.v6, addr, port, offset))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched_input::test_dests::servers;

    fn v4_flow(saddr: [u8; 4], sport: u16) -> FlowKey {
        let mut k = FlowKey { v6: false, saddr: [0; 16], daddr: [0; 16], sport, dport: 80, inverse: false };
        k.saddr[..4].copy_from_slice(&saddr);
        k.daddr[..4].copy_from_slice(&[192, 0, 2, 1]);
        k
    }

    fn table_of(dests: &[DestInfo]) -> ShTable {
        let mut t = [0; TABLE_SIZE];
        build_table(dests, &mut t);
        t
    }

    #[test]
    fn weights_deal_consecutive_buckets_round_the_list() {
        let t = table_of(&servers(&[2, 1, 3]));
        assert_eq!(t[..12], [0, 0, 1, 2, 2, 2, 0, 0, 1, 2, 2, 2]);
        // 256 = 42 rounds of 6, then 4 more buckets.
        assert_eq!(t[252..], [0, 0, 1, 2]);
    }

    #[test]
    fn weight_zero_still_takes_one_bucket() {
        let t = table_of(&servers(&[0, 2, -5]));
        assert_eq!(t[..8], [0, 1, 1, 2, 0, 1, 1, 2]);
    }

    #[test]
    fn no_servers_leave_every_bucket_empty() {
        let t = table_of(&[]);
        assert!(t.iter().all(|&b| b == NO_DEST));
        assert_eq!(schedule(&t, &[], &v4_flow([1, 2, 3, 4], 5), ShFlags { fallback: true, port: true }), None);
    }

    #[test]
    fn more_servers_than_buckets_use_the_first_256() {
        let d = servers(&[1; 300]);
        let t = table_of(&d);
        assert!(t.iter().enumerate().all(|(i, &b)| usize::from(b) == i));
    }

    #[test]
    fn known_buckets() {
        // hash_32(0xc0a80a05, 8): 0xc0a80a05 * 0x61c88647 = 0x1cc1_6563
        // (mod 2^32), top byte 0x1c.
        let addr = v4_flow([192, 168, 10, 5], 0).saddr;
        assert_eq!(bucket(false, &addr, 0, 0), 0x1c);
        assert_eq!(bucket(false, &addr, 0, 0x1f6), (0x1c + 0xf6) & 0xff);
        // With the port: hash_32(0xc0a80a05 + 1234) = 0x75.
        assert_eq!(bucket(false, &addr, 1234, 0), 0x75);
        let mut v6 = [0u8; 16];
        v6[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        v6[15] = 1;
        // fold 0x20010db9: hash 0x3f.
        assert_eq!(bucket(true, &v6, 0, 0), 0x3f);
    }

    #[test]
    fn same_client_same_server_and_port_only_with_sh_port() {
        let d = servers(&[1, 1, 1, 1, 1]);
        let t = table_of(&d);
        let f = ShFlags::default();
        // Bucket 0x1c = 28 holds server 28 % 5 = 3.
        assert_eq!(schedule(&t, &d, &v4_flow([192, 168, 10, 5], 1), f), Some(3));
        assert_eq!(schedule(&t, &d, &v4_flow([192, 168, 10, 5], 2), f), Some(3));
        let p = ShFlags { port: true, ..f };
        // Bucket 0x75 = 117 holds server 2.
        assert_eq!(schedule(&t, &d, &v4_flow([192, 168, 10, 5], 1234), p), Some(2));
    }

    #[test]
    fn inverse_header_hashes_the_destination() {
        let d = servers(&[1, 1, 1, 1, 1]);
        let t = table_of(&d);
        let mut k = v4_flow([1, 1, 1, 1], 7);
        k.daddr[..4].copy_from_slice(&[192, 168, 10, 5]);
        k.dport = 1234;
        k.inverse = true;
        assert_eq!(schedule(&t, &d, &k, ShFlags { port: true, fallback: false }), Some(2));
    }

    #[test]
    fn unusable_server_without_fallback_gives_none() {
        let mut d = servers(&[1, 1, 1, 1, 1]);
        let t = table_of(&d);
        let k = v4_flow([192, 168, 10, 5], 0);
        d[3].weight = 0;
        assert_eq!(schedule(&t, &d, &k, ShFlags::default()), None);
        d[3].weight = 1;
        d[3].overloaded = true;
        assert_eq!(schedule(&t, &d, &k, ShFlags::default()), None);
    }

    #[test]
    fn fallback_walks_from_twice_the_hash() {
        let mut d = servers(&[1, 1, 1, 1, 1]);
        let t = table_of(&d);
        let k = v4_flow([192, 168, 10, 5], 0);
        let fb = ShFlags { fallback: true, port: false };
        // First bucket 28 holds server 3, now quiesced. The walk tries
        // buckets (28 + 28 + n) & 255 = 56, 57, ...: servers 1, 2, ...
        d[3].weight = 0;
        assert_eq!(schedule(&t, &d, &k, fb), Some(1));
        // Server 1 overloaded too: bucket 57 holds server 2.
        d[1].overloaded = true;
        assert_eq!(schedule(&t, &d, &k, fb), Some(2));
        // Server 3 back: its own bucket 28 wins again.
        d[3].weight = 1;
        assert_eq!(schedule(&t, &d, &k, fb), Some(3));
        for x in d.iter_mut() {
            x.overloaded = true;
        }
        assert_eq!(schedule(&t, &d, &k, fb), None);
    }
}
