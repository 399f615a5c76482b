// SPDX-License-Identifier: GPL-2.0
//! Maglev-hashing scheduling, as upstream's `ip_vs_mh` (Eisenbud et al.,
//! "Maglev", NSDI 2016, §3.4): a client's address (and, with mh-port,
//! its port) hashes into a lookup table of prime size whose entries name
//! servers; removing or adding a server moves few other clients.
//!
//! Building the table: each server gets a preference order of all
//! entries, starting at `offset` and stepping by `skip`, both from
//! SipHash-1-3 of its address and port under upstream's fixed keys.
//! Servers take turns, in list order, claiming their next free
//! preferred entry, each as many times per round as its weight allows,
//! until every entry is claimed. The weights are the servers' last
//! non-zero weights ([`DestInfo::last_weight`]), divided by their
//! greatest common divisor (found as wrr finds its own,
//! [`positive_gcd`]) and shifted right so the largest fits in
//! [`TABLE_BITS`] bits; a server with weight 0 now still holds its
//! entries, so quiescing it moves nobody else. Lookups skip servers whose
//! current weight is 0 or that are overloaded: with mh-fallback the
//! client's address is rehashed with growing offsets until a usable
//! server comes up; without it there is no server. That walk is sh's
//! ([`lookup`]), as upstream's mh copies it from sh.
//!
//! Needs [`crate::sched_input`], [`crate::sched_hash`] and
//! [`crate::siphash`] beside it. The hashes match upstream on
//! little-endian 64-bit machines (the kernel hashes its `u32` key as it
//! lies in memory, and uses HalfSipHash on 32-bit machines).

use crate::sched_hash::{fold_addr, lookup, HashFlags};
use crate::sched_input::{positive_gcd, DestInfo, FlowKey};
use crate::siphash::{hsiphash, SipKey};

pub use crate::sched_hash::NO_DEST;

/// Upstream's `CONFIG_IP_VS_MH_TAB_INDEX` (default 12, as Debian builds
/// it): selects the table size and the weight bits.
pub const TAB_INDEX: u32 = 12;
/// The table sizes upstream offers, for indices 8 to 17.
const PRIMES: [usize; 10] = [251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071];
/// Entries in the lookup table: 4093 by default.
pub const TABLE_SIZE: usize = PRIMES[(TAB_INDEX - 8) as usize];
/// Bits a server's reduced weight may have before it is shifted down.
pub const TABLE_BITS: u32 = TAB_INDEX / 2;

// Server indices and NO_DEST must fit in an entry.
const _: () = assert!(TABLE_SIZE < NO_DEST as usize);

/// Upstream's key for a server's first preferred entry and for client
/// lookups (`hash1`, Knuth's 2654435761 in both halves).
pub const KEY_OFFSET: SipKey = [2_654_435_761, 2_654_435_761];
/// Upstream's key for a server's preference step (`hash2`).
pub const KEY_SKIP: SipKey = [2_654_446_892, 2_654_446_892];

/// The lookup table: each entry holds an index into the server list, or
/// [`NO_DEST`].
pub type MhTable = [u16; TABLE_SIZE];

/// The service's mh options (`ipvsadm -b mh-fallback,mh-port`).
pub type MhFlags = HashFlags;

/// Why [`build_table`] refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuildError {
    /// More servers than table entries (upstream: `EINVAL`); the table
    /// is left as it was.
    TooManyDests,
    /// `scratch` is shorter than the server list.
    ScratchTooSmall,
}

/// One server's walk through its preferred entries while the table is
/// built (upstream's `ip_vs_mh_dest_setup`); the caller provides one
/// per server so that building allocates nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DestSetup {
    /// The entry it prefers next.
    perm: u32,
    /// How far its preferences step, 1 to `TABLE_SIZE - 1`.
    skip: u32,
    /// Entries it claims per round; below 1, none.
    turns: i32,
}

impl DestSetup {
    /// A blank setup, to fill scratch arrays with.
    pub const fn new() -> Self {
        Self { perm: 0, skip: 1, turns: 0 }
    }
}

/// Builds `table` for `dests` (list order) in a service of family `v6`
/// (`ip_vs_mh_reassign`), using `scratch[..dests.len()]` as working
/// space. Build into a table no lookup is reading, then switch to it.
/// With no positive last weight, every entry becomes [`NO_DEST`].
pub fn build_table(
    dests: &[DestInfo],
    v6: bool,
    scratch: &mut [DestSetup],
    table: &mut MhTable,
) -> Result<(), BuildError> {
    if dests.len() > TABLE_SIZE {
        return Err(BuildError::TooManyDests);
    }
    let setups = scratch.get_mut(..dests.len()).ok_or(BuildError::ScratchTooSmall)?;
    table.fill(NO_DEST);
    let gcd = positive_gcd(dests.iter().map(|d| d.last_weight));
    if gcd < 1 {
        return Ok(());
    }
    let shift = weight_shift(dests, gcd);
    for (d, s) in dests.iter().zip(setups.iter_mut()) {
        *s = permutation(d, v6, gcd, shift);
    }
    populate(setups, table);
    Ok(())
}

/// A server's preference walk and turns (`ip_vs_mh_permutate`).
fn permutation(d: &DestInfo, v6: bool, gcd: i32, shift: u32) -> DestSetup {
    let size = TABLE_SIZE as u32;
    let offset = hash_key(v6, &d.addr, d.port, &KEY_OFFSET, 0) % size;
    let skip = hash_key(v6, &d.addr, d.port, &KEY_SKIP, 0) % (size - 1) + 1;
    let lw = d.last_weight;
    // gcd >= 1: no division by zero; i32::MIN / gcd cannot overflow as
    // gcd is positive. `>>` on a negative weight keeps it negative, as
    // upstream's arithmetic shift does.
    let reduced = lw.wrapping_div(gcd) >> shift;
    let turns = if reduced != 0 { reduced } else { i32::from(lw != 0) };
    DestSetup { perm: offset, skip, turns }
}

/// Lets the servers claim entries round after round until the table is
/// full (`ip_vs_mh_populate`). `table` starts all [`NO_DEST`].
fn populate(setups: &mut [DestSetup], table: &mut MhTable) {
    let mut filled = 0;
    let mut claimed_in_turn = 0;
    loop {
        let mut i = 0;
        let mut claimed_in_round = false;
        while let Some(s) = setups.get_mut(i) {
            if s.turns < 1 {
                i += 1;
                continue;
            }
            // Its next preferred entry still free. There is one: the
            // table is not full, and a step coprime with the prime size
            // visits every entry.
            let mut c = s.perm as usize;
            while table[c] != NO_DEST {
                s.perm += s.skip;
                if s.perm >= TABLE_SIZE as u32 {
                    s.perm -= TABLE_SIZE as u32;
                }
                c = s.perm as usize;
            }
            // i < dests.len() <= TABLE_SIZE, which fits (see above).
            table[c] = i as u16;
            claimed_in_round = true;
            filled += 1;
            if filled == TABLE_SIZE {
                return;
            }
            claimed_in_turn += 1;
            if claimed_in_turn >= s.turns {
                claimed_in_turn = 0;
                i += 1;
            }
        }
        if !claimed_in_round {
            // No server has turns; cannot happen with gcd >= 1.
            return;
        }
    }
}

/// How far to shift reduced weights so the largest keeps at most
/// [`TABLE_BITS`] bits (`ip_vs_mh_shift_weight`); `gcd` is positive.
fn weight_shift(dests: &[DestInfo], gcd: i32) -> u32 {
    let top = dests.iter().map(|d| d.last_weight).fold(0, i32::max);
    let reduced = (top / gcd) as u32;
    let bits = u32::BITS - reduced.leading_zeros();
    bits.saturating_sub(TABLE_BITS)
}

/// Upstream's `ip_vs_mh_hashkey`: SipHash-1-3 (low 32 bits) under `key`
/// of `offset + port + folded address`, a `u32` hashed as its bytes lie
/// in memory. `v6` is the service's family; `port` is in host order.
pub fn hash_key(v6: bool, addr: &[u8; 16], port: u16, key: &SipKey, offset: u32) -> u32 {
    let v = offset.wrapping_add(u32::from(port)).wrapping_add(fold_addr(v6, addr));
    hsiphash(&v.to_ne_bytes(), key)
}

/// The server for a new connection of `flow` (`ip_vs_mh_schedule`), by
/// `table` as [`build_table`] built it from `dests`; `None` if none is
/// available.
pub fn schedule(table: &MhTable, dests: &[DestInfo], flow: &FlowKey, flags: MhFlags) -> Option<usize> {
    let (addr, port) = flags.hashed_client(flow);
    // The fallback walk rehashes the client with the offset as salt.
    let entry = |salt| (hash_key(flow.v6, addr, port, &KEY_OFFSET, salt) % TABLE_SIZE as u32) as usize;
    lookup(table, dests, flags.fallback, entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched_input::test_dests::servers;
    use std::boxed::Box;
    use std::vec;
    use std::vec::Vec;

    fn table_of(dests: &[DestInfo]) -> Box<MhTable> {
        let mut t = Box::new([0; TABLE_SIZE]);
        let mut scratch = vec![DestSetup::new(); dests.len()];
        build_table(dests, false, &mut scratch, &mut t).unwrap();
        t
    }

    fn counts(t: &MhTable, n: usize) -> Vec<usize> {
        (0..n).map(|i| t.iter().filter(|&&e| usize::from(e) == i).count()).collect()
    }

    fn client(addr: [u8; 4], sport: u16) -> FlowKey {
        let mut k = FlowKey { v6: false, saddr: [0; 16], daddr: [0; 16], sport, dport: 80, inverse: false };
        k.saddr[..4].copy_from_slice(&addr);
        k
    }

    #[test]
    fn default_table_is_upstreams() {
        assert_eq!((TABLE_SIZE, TABLE_BITS), (4093, 6));
    }

    #[test]
    fn no_weight_no_entries() {
        let mut d = servers(&[0, 0]);
        d[0].last_weight = 0;
        let t = table_of(&d);
        assert!(t.iter().all(|&e| e == NO_DEST));
        assert_eq!(schedule(&t, &d, &client([1, 2, 3, 4], 5), MhFlags { fallback: true, port: false }), None);
        assert!(table_of(&[]).iter().all(|&e| e == NO_DEST));
    }

    #[test]
    fn refuses_too_many_servers_or_short_scratch() {
        let mut t = Box::new([7; TABLE_SIZE]);
        let many = vec![DestInfo::v4([10, 0, 0, 1], 80, 1); TABLE_SIZE + 1];
        let mut scratch = vec![DestSetup::new(); TABLE_SIZE + 1];
        assert_eq!(build_table(&many, false, &mut scratch, &mut t), Err(BuildError::TooManyDests));
        assert!(t.iter().all(|&e| e == 7), "table untouched");
        let d = servers(&[1, 1]);
        assert_eq!(build_table(&d, false, &mut scratch[..1], &mut t), Err(BuildError::ScratchTooSmall));
    }

    #[test]
    fn every_entry_is_claimed_in_proportion_to_weight() {
        let t = table_of(&servers(&[1, 1, 1]));
        assert!(t.iter().all(|&e| e < 3));
        let c = counts(&t, 3);
        assert_eq!(c.iter().sum::<usize>(), TABLE_SIZE);
        assert!(c.iter().all(|&n| n == 1364 || n == 1365), "{c:?}");
        let c = counts(&table_of(&servers(&[2, 1])), 2);
        assert_eq!(c, [2729, 1364]);
    }

    #[test]
    fn weights_reduce_by_gcd_and_shift() {
        // 4 and 2 claim as 2 and 1.
        assert_eq!(*table_of(&servers(&[4, 2])), *table_of(&servers(&[2, 1])));
        // 1000 and 1: 1000 has 10 bits, shifted by 4 to 62 turns; 1 >> 4
        // is 0, which still counts as one turn.
        let c = counts(&table_of(&servers(&[1000, 1])), 2);
        assert_eq!(c, [4093 - 4093 / 63, 4093 / 63]);
    }

    #[test]
    fn quiesced_server_keeps_its_entries_by_last_weight() {
        let mut d = servers(&[1, 1, 1]);
        let before = table_of(&d);
        d[1].weight = 0;
        assert_eq!(*table_of(&d), *before);
        d[1].last_weight = 0;
        assert!(table_of(&d).iter().all(|&e| e != 1));
    }

    #[test]
    fn known_hashes() {
        // Values from upstream's own code (hsiphash under hash1/hash2).
        let mut a = [0u8; 16];
        a[..4].copy_from_slice(&[10, 0, 0, 1]);
        assert_eq!(hash_key(false, &a, 80, &KEY_OFFSET, 0), 0x439c_0cbe);
        assert_eq!(hash_key(false, &a, 80, &KEY_SKIP, 0), 0x97b3_dc47);
        a[..4].copy_from_slice(&[192, 168, 10, 5]);
        assert_eq!(hash_key(false, &a, 0, &KEY_OFFSET, 0), 0xa17d_6e1a);
        assert_eq!(hash_key(false, &a, 1234, &KEY_OFFSET, 0), 0x4826_3df1);
        assert_eq!(hash_key(false, &a, 1000, &KEY_OFFSET, 234), 0x4826_3df1, "offset adds like the port");
        let mut v6 = [0u8; 16];
        v6[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        v6[15] = 1;
        assert_eq!(hash_key(true, &v6, 0, &KEY_OFFSET, 0), 0xcdc3_f189);
    }

    #[test]
    fn known_table() {
        // Servers 10.0.0.1-3:80, weight 1: offsets 3167, 1231 and 1631
        // (0x439c0cbe % 4093 ...), each server's first claim.
        let t = table_of(&servers(&[1, 1, 1]));
        assert_eq!((t[3167], t[1231], t[1631]), (0, 1, 2));
        assert_eq!(t[..20], [0, 1, 1, 2, 2, 0, 1, 2, 2, 0, 0, 1, 1, 0, 0, 2, 1, 1, 0, 0]);
    }

    #[test]
    fn known_lookups_with_and_without_port() {
        let d = servers(&[1, 1, 1]);
        let t = table_of(&d);
        let none = MhFlags::default();
        // 192.168.10.5 hashes to entry 2891, held by server 2; the port
        // only counts with mh-port.
        assert_eq!(schedule(&t, &d, &client([192, 168, 10, 5], 1000), none), Some(2));
        let port = MhFlags { port: true, ..none };
        assert_eq!(schedule(&t, &d, &client([192, 168, 10, 5], 1000), port), Some(0));
        assert_eq!(schedule(&t, &d, &client([192, 168, 10, 5], 1002), port), Some(1));
        assert_eq!(schedule(&t, &d, &client([192, 168, 10, 5], 1004), port), Some(2));
        // An inverse header hashes its destination side.
        let mut k = client([1, 1, 1, 1], 7);
        k.daddr[..4].copy_from_slice(&[192, 168, 10, 5]);
        k.dport = 1002;
        k.inverse = true;
        assert_eq!(schedule(&t, &d, &k, port), Some(1));
    }

    #[test]
    fn fallback_rehashes_past_unusable_servers() {
        let mut d = servers(&[1, 1, 1]);
        let t = table_of(&d);
        let k = client([192, 168, 10, 5], 0);
        let fb = MhFlags { fallback: true, port: false };
        d[2].weight = 0;
        assert_eq!(schedule(&t, &d, &k, MhFlags::default()), None);
        assert_eq!(schedule(&t, &d, &k, fb), Some(1));
        d[2].weight = 1;
        d[2].overloaded = true;
        assert_eq!(schedule(&t, &d, &k, fb), Some(1));
        d[1].overloaded = true;
        assert_eq!(schedule(&t, &d, &k, fb), Some(0));
        d[0].weight = 0;
        assert_eq!(schedule(&t, &d, &k, fb), None);
    }

    #[test]
    fn removing_a_server_moves_few_others() {
        let d = servers(&[1; 10]);
        let before = table_of(&d);
        // Remove server 4: the others are renumbered after it.
        let mut fewer = d.clone();
        fewer.remove(4);
        let after = table_of(&fewer);
        let moved =
            before.iter().zip(after.iter()).filter(|&(&b, &a)| b != 4 && a != if b > 4 { b - 1 } else { b }).count();
        assert!(moved < TABLE_SIZE / 10, "{moved} entries of other servers moved");
    }
}
