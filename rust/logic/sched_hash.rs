// SPDX-License-Identifier: GPL-2.0
//! The address hashing of upstream's source- and destination-hashing
//! schedulers: the kernel's multiplicative `hash_32` and the folding of
//! an address to 32 bits.
//!
//! These reproduce the kernel's values exactly, so that a client lands
//! on the same real server behind our director as behind one running C
//! IPVS.
//!
//! The file also holds what the three hashing schedulers do alike once
//! a client has been hashed: read the server out of a table entry, check
//! it is usable ([`usable_at`]) and, for sh and mh, walk on through the
//! table when it is not ([`lookup`]), which upstream's mh copies from
//! its sh.
//!
//! Needs [`crate::sched_input`] beside it.

use crate::sched_input::{DestInfo, FlowKey};

/// The kernel's `GOLDEN_RATIO_32`, the multiplier of `hash_32`.
pub const GOLDEN_RATIO_32: u32 = 0x61C8_8647;

/// The kernel's generic `hash_32`: the top `bits` bits of `val` times
/// [`GOLDEN_RATIO_32`] (the top bits are the well-mixed ones). `bits`
/// above 32 count as 32; 0 bits give 0 where the C shift would be
/// undefined.
pub const fn hash_32(val: u32, bits: u32) -> u32 {
    let bits = if bits > 32 { 32 } else { bits };
    match val.wrapping_mul(GOLDEN_RATIO_32).checked_shr(32 - bits) {
        Some(h) => h,
        None => 0,
    }
}

/// An address folded to 32 bits in host order, as upstream's sh, dh and
/// mh fold it before hashing (`ntohl` of the folded `__be32`): the IPv4
/// address itself, or the exclusive or of the IPv6 address's four
/// 32-bit words. `v6` is the service's family.
pub const fn fold_addr(v6: bool, addr: &[u8; 16]) -> u32 {
    let mut folded = word(addr, 0);
    if v6 {
        folded ^= word(addr, 1) ^ word(addr, 2) ^ word(addr, 3);
    }
    folded
}

/// The `n`th big-endian 32-bit word of `addr` (`n` below 4).
const fn word(addr: &[u8; 16], n: usize) -> u32 {
    let at = (n % 4) * 4;
    u32::from_be_bytes([addr[at], addr[at + 1], addr[at + 2], addr[at + 3]])
}

/// A table entry naming no server (the service has none, or for mh none
/// with a weight).
pub const NO_DEST: u16 = u16::MAX;

/// The options of sh and mh (`ipvsadm -b sh-fallback,sh-port` and
/// `-b mh-fallback,mh-port`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HashFlags {
    /// fallback: when the hashed server is unusable, try others.
    pub fallback: bool,
    /// port: hash the client's port along with its address.
    pub port: bool,
}

impl HashFlags {
    /// The client address and port that sh and mh hash for `flow`: the
    /// client's ([`FlowKey::client`]), the port only with the port
    /// option (0 without it).
    pub const fn hashed_client<'a>(&self, flow: &'a FlowKey) -> (&'a [u8; 16], u16) {
        let (addr, port) = flow.client();
        (addr, if self.port { port } else { 0 })
    }
}

/// The server in entry `entry` of `table`, if the entry names one of
/// `dests` and it is usable: weight above 0 and not overloaded, the
/// rule of upstream's sh, dh and mh.
pub fn usable_at(table: &[u16], dests: &[DestInfo], entry: usize) -> Option<usize> {
    server_at(table, dests, entry).filter(|&i| usable(&dests[i]))
}

/// The server for a client of sh or mh (upstream's `ip_vs_sh_get`,
/// `ip_vs_sh_get_fallback` and their mh copies), where `entry(offset)`
/// is the entry of `table` the client hashes to at `offset`: the server
/// in entry `first = entry(0)` if it is usable. If not, and only with
/// `fallback`, the first usable server in the entries
/// `entry((first + n) % size)` for `n` from 0 to `size - 1`, `size`
/// being the table's length; the walk gives up at an entry naming no
/// server.
pub fn lookup(table: &[u16], dests: &[DestInfo], fallback: bool, entry: impl Fn(u32) -> usize) -> Option<usize> {
    let first = entry(0);
    let chosen = server_at(table, dests, first)?;
    if usable(&dests[chosen]) {
        return Some(chosen);
    }
    if !fallback {
        return None;
    }
    // Table sizes and entries fit in u32 (a table of u16 indices).
    let size = table.len() as u32;
    for offset in 0..size {
        let i = server_at(table, dests, entry((offset + first as u32) % size))?;
        if usable(&dests[i]) {
            return Some(i);
        }
    }
    None
}

/// The server in entry `entry` of `table`, if it names one of `dests`.
fn server_at(table: &[u16], dests: &[DestInfo], entry: usize) -> Option<usize> {
    let i = usize::from(*table.get(entry)?);
    (i < dests.len()).then_some(i)
}

/// Whether sh, dh and mh may send a new connection to `d`.
fn usable(d: &DestInfo) -> bool {
    d.weight > 0 && !d.overloaded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_32_takes_the_top_bits_of_the_product() {
        assert_eq!(hash_32(0, 8), 0);
        assert_eq!(hash_32(1, 8), 0x61);
        assert_eq!(hash_32(1, 32), GOLDEN_RATIO_32);
        // 0x0a000001 * 0x61c88647 = 0x0a * 0x47 << 24 + 0x61c88647 (mod 2^32)
        assert_eq!(hash_32(0x0a00_0001, 32), 0x27c8_8647);
        assert_eq!(hash_32(0x0a00_0001, 8), 0x27);
        assert_eq!(hash_32(u32::MAX, 8), 0x9e);
        assert_eq!(hash_32(123, 0), 0);
        assert_eq!(hash_32(1, 40), GOLDEN_RATIO_32);
    }

    #[test]
    fn ipv4_folds_to_itself_in_host_order() {
        let mut a = [0u8; 16];
        a[..4].copy_from_slice(&[192, 168, 1, 2]);
        assert_eq!(fold_addr(false, &a), 0xc0a8_0102);
        // An IPv4 service reads only the first word, whatever follows.
        a[15] = 9;
        assert_eq!(fold_addr(false, &a), 0xc0a8_0102);
    }

    #[test]
    fn ipv6_folds_its_four_words() {
        let a = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0xff, 0, 0, 0x10];
        assert_eq!(fold_addr(true, &a), 0x2001_0db8 ^ 0x0000_0001 ^ 0xff00_0010);
        // An IPv4 server in an IPv6 service folds to its IPv4 address.
        let mut v4 = [0u8; 16];
        v4[..4].copy_from_slice(&[10, 1, 2, 3]);
        assert_eq!(fold_addr(true, &v4), 0x0a01_0203);
    }
}
