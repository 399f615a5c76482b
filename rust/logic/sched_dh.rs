// SPDX-License-Identifier: GPL-2.0
//! Destination-hashing scheduling, as upstream's `ip_vs_dh`: the
//! packet's destination address hashes to one of 256 buckets, each
//! naming a server, so that all traffic for one destination (a cache
//! cluster's origin, say) goes through the same server.
//!
//! The table deals the servers one bucket each, round the list in list
//! order, until all buckets are dealt; weights do not replicate here. It
//! is rebuilt whenever a server is added, removed or edited. A bucket
//! whose server has weight 0 or is overloaded gives no server: dh has no
//! fallback and hashes neither ports nor, unlike sh, the client side of
//! an inverse header (it always takes the packet's destination).
//!
//! Needs [`crate::sched_input`] and [`crate::sched_hash`] beside it.

use crate::sched_hash::{fold_addr, hash_32, usable_at};
use crate::sched_input::{DestInfo, FlowKey};

pub use crate::sched_hash::NO_DEST;

/// Table size in bits (upstream's `IP_VS_DH_TAB_BITS`, fixed at 8).
pub const TABLE_BITS: u32 = 8;
/// Number of buckets.
pub const TABLE_SIZE: usize = 1 << TABLE_BITS;

/// The buckets: each holds an index into the server list, or
/// [`NO_DEST`].
pub type DhTable = [u16; TABLE_SIZE];

/// Deals `dests` (list order) round `table`, one bucket each
/// (`ip_vs_dh_reassign`). Build into a table no lookup is reading, then
/// switch to it.
pub fn build_table(dests: &[DestInfo], table: &mut DhTable) {
    for (i, bucket) in table.iter_mut().enumerate() {
        *bucket = match i.checked_rem(dests.len()) {
            // i < TABLE_SIZE, so the index fits.
            Some(d) => u16::try_from(d).unwrap_or(NO_DEST),
            None => NO_DEST,
        };
    }
}

/// The bucket of destination address `addr` (`ip_vs_dh_hashkey`); `v6`
/// is the service's family.
pub fn bucket(v6: bool, addr: &[u8; 16]) -> usize {
    hash_32(fold_addr(v6, addr), TABLE_BITS) as usize
}

/// The server for a new connection of `flow` (`ip_vs_dh_schedule`), by
/// `table` as [`build_table`] built it from `dests`; `None` if the
/// hashed server has weight 0 or less or is overloaded.
pub fn schedule(table: &DhTable, dests: &[DestInfo], flow: &FlowKey) -> Option<usize> {
    usable_at(table, dests, bucket(flow.v6, &flow.daddr))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched_input::test_dests::servers;

    fn to(daddr: [u8; 4]) -> FlowKey {
        let mut k = FlowKey { v6: false, saddr: [0; 16], daddr: [0; 16], sport: 1000, dport: 80, inverse: false };
        k.saddr[..4].copy_from_slice(&[172, 16, 0, 9]);
        k.daddr[..4].copy_from_slice(&daddr);
        k
    }

    fn table_of(dests: &[DestInfo]) -> DhTable {
        let mut t = [0; TABLE_SIZE];
        build_table(dests, &mut t);
        t
    }

    #[test]
    fn one_bucket_each_whatever_the_weight() {
        let mut d = servers(&[1; 3]);
        d[0].weight = 5;
        d[1].weight = 0;
        let t = table_of(&d);
        assert_eq!(t[..7], [0, 1, 2, 0, 1, 2, 0]);
        assert_eq!(t[255], 0); // 255 % 3
        assert!(table_of(&[]).iter().all(|&b| b == NO_DEST));
        let t = table_of(&servers(&[1; 300]));
        assert_eq!(t[255], 255);
    }

    #[test]
    fn known_buckets() {
        // hash_32(0xc0a80a05, 8) = 0x1c; 0x20010db8 ^ 1 = 0x20010db9
        // hashes to 0x3f.
        assert_eq!(bucket(false, &to([192, 168, 10, 5]).daddr), 0x1c);
        let mut v6 = [0u8; 16];
        v6[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        v6[15] = 1;
        assert_eq!(bucket(true, &v6), 0x3f);
    }

    #[test]
    fn destination_picks_the_server_source_and_ports_do_not() {
        let d = servers(&[1; 5]);
        let t = table_of(&d);
        // Bucket 28 holds server 28 % 5 = 3.
        let mut k = to([192, 168, 10, 5]);
        assert_eq!(schedule(&t, &d, &k), Some(3));
        k.saddr[0] = 1;
        k.sport = 9;
        k.dport = 443;
        assert_eq!(schedule(&t, &d, &k), Some(3));
        // An inverse header still hashes the packet's destination.
        k.inverse = true;
        assert_eq!(schedule(&t, &d, &k), Some(3));
    }

    #[test]
    fn unusable_hashed_server_gives_none() {
        let mut d = servers(&[1; 5]);
        let t = table_of(&d);
        let k = to([192, 168, 10, 5]);
        d[3].weight = 0;
        assert_eq!(schedule(&t, &d, &k), None);
        d[3].weight = 2;
        d[3].overloaded = true;
        assert_eq!(schedule(&t, &d, &k), None);
        assert_eq!(schedule(&table_of(&[]), &[], &k), None);
    }
}
