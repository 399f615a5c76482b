// SPDX-License-Identifier: GPL-2.0
//! Connection-table hashing (thesis §5.2.1).
//!
//! The thesis hashes the part of a connection that differs between
//! connections: the client's ⟨protocol, address, port⟩. Its shift-xor
//! function is cheap but predictable, so a client that picks its source
//! ports can fill one bucket (ports that differ only above the table bits
//! collide). Here the same key goes through a seeded 64-bit mixer
//! (xor-shift-multiply, two multiplications), picked at table creation
//! from the kernel's random pool; the bucket is the top bits of the mix.

/// Smallest table size, in bits.
pub const MIN_TAB_BITS: u32 = 8;
/// Largest table size, in bits, on a 64-bit machine (as upstream).
pub const MAX_TAB_BITS: u32 = 27;

/// The table size, in bits, for a `conn_tab_bits` request, clamped as
/// upstream clamps it: to [`MIN_TAB_BITS`], [`MAX_TAB_BITS`] and to what
/// half of `ram_bytes` holds with about four entries of `entry_size`
/// bytes per bucket.
pub fn clamp_tab_bits(requested: i32, ram_bytes: u64, entry_size: usize) -> u32 {
    let fits = ceil_log2(ram_bytes)
        .saturating_sub(2 + 1)
        .saturating_sub(ceil_log2(entry_size as u64));
    let max = fits.clamp(MIN_TAB_BITS, MAX_TAB_BITS);
    requested.clamp(MIN_TAB_BITS as i32, max as i32) as u32
}

/// Bits of the smallest power of two at least `n` (`order_base_2`).
fn ceil_log2(n: u64) -> u32 {
    match n {
        0 | 1 => 0,
        _ => 64 - (n - 1).leading_zeros(),
    }
}

/// Maps a client's ⟨protocol, address, port⟩ to a bucket of a table of
/// `1 << bits` buckets.
#[derive(Clone, Copy, Debug)]
pub struct ConnHasher {
    seed: u64,
    bits: u32,
}

impl ConnHasher {
    /// A hasher for a table of `1 << bits` buckets (bits clamped to
    /// [`MIN_TAB_BITS`]..=[`MAX_TAB_BITS`]), keyed with `seed`.
    pub const fn new(bits: u32, seed: u64) -> Self {
        let bits = if bits < MIN_TAB_BITS {
            MIN_TAB_BITS
        } else if bits > MAX_TAB_BITS {
            MAX_TAB_BITS
        } else {
            bits
        };
        Self { seed, bits }
    }

    /// Number of buckets.
    pub const fn buckets(&self) -> usize {
        1 << self.bits
    }

    /// Bucket of an IPv4 client; `addr` as it sits in the packet.
    #[inline]
    pub fn bucket_v4(&self, proto: u8, addr: [u8; 4], port: u16) -> usize {
        self.bucket(u32::from_ne_bytes(addr) as u64, proto, port)
    }

    /// Bucket of an IPv6 client; the address is folded to 64 bits first.
    #[inline]
    pub fn bucket_v6(&self, proto: u8, addr: [u8; 16], port: u16) -> usize {
        let hi = u64::from_ne_bytes([
            addr[0], addr[1], addr[2], addr[3], addr[4], addr[5], addr[6], addr[7],
        ]);
        let lo = u64::from_ne_bytes([
            addr[8], addr[9], addr[10], addr[11], addr[12], addr[13], addr[14], addr[15],
        ]);
        self.bucket(hi ^ lo.rotate_left(29), proto, port)
    }

    #[inline]
    fn bucket(&self, addr: u64, proto: u8, port: u16) -> usize {
        let key = addr ^ ((port as u64) << 40) ^ ((proto as u64) << 56);
        (mix64(key ^ self.seed) >> (64 - self.bits)) as usize
    }
}

/// A 64-bit finaliser: every input bit affects every output bit.
#[inline]
const fn mix64(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;

    /// The thesis's measure: the cost of looking every entry up once,
    /// ½·Σ L·(L+1) over the chains, divided by the number of entries.
    fn mean_lookup_cost(lengths: &[u32]) -> f64 {
        let entries: u64 = lengths.iter().map(|&l| l as u64).sum();
        let cost: u64 = lengths.iter().map(|&l| (l as u64) * (l as u64 + 1) / 2).sum();
        cost as f64 / entries as f64
    }

    #[test]
    fn table_bits_are_clamped_like_upstream() {
        const GIB: u64 = 1 << 30;
        // C IPVS's 288-byte entry in a 3 GiB guest: 32 - 3 - 9 = 20 bits.
        assert_eq!(clamp_tab_bits(30, 3 * GIB, 288), 20);
        assert_eq!(clamp_tab_bits(12, 3 * GIB, 288), 12);
        assert_eq!(clamp_tab_bits(5, 3 * GIB, 288), 8);
        assert_eq!(clamp_tab_bits(-1, 3 * GIB, 288), 8);
        // A 128-byte entry affords four times the buckets.
        assert_eq!(clamp_tab_bits(30, 3 * GIB, 128), 22);
        // Big machines stop at 27 bits, tiny ones never go below 8.
        assert_eq!(clamp_tab_bits(i32::MAX, 1 << 40, 128), MAX_TAB_BITS);
        assert_eq!(clamp_tab_bits(20, 1 << 20, 128), 10);
        assert_eq!(clamp_tab_bits(20, 1 << 16, 128), MIN_TAB_BITS);
        assert_eq!(ConnHasher::new(3, 0).buckets(), 256);
        assert_eq!(ConnHasher::new(40, 0).buckets(), 1 << 27);
    }

    #[test]
    fn buckets_stay_in_range() {
        for bits in MIN_TAB_BITS..=20 {
            let h = ConnHasher::new(bits, 0x1234_5678_9abc_def0);
            for i in 0..2000u32 {
                let a = i.wrapping_mul(2_654_435_761).to_be_bytes();
                assert!(h.bucket_v4(6, a, i as u16) < h.buckets());
                let mut a6 = [0u8; 16];
                a6[12..].copy_from_slice(&a);
                assert!(h.bucket_v6(17, a6, i as u16) < h.buckets());
            }
        }
    }

    /// The thesis's sample: 35,652 connections in 64K buckets cost 1.266
    /// lookups each with its hash. Clients here are realistic: 900
    /// addresses in a few /24s, each with a run of consecutive ports.
    #[test]
    fn realistic_clients_spread_like_the_thesis_sample() {
        let h = ConnHasher::new(16, 0x0bad_cafe_f00d_d00d);
        let mut lengths = vec![0u32; h.buckets()];
        let mut n = 0;
        'fill: for net in 0..9u8 {
            for host in 1..=100u8 {
                for port in 0..40u16 {
                    if n == 35_652 {
                        break 'fill;
                    }
                    lengths[h.bucket_v4(6, [10, 1, net, host], 32768 + port)] += 1;
                    n += 1;
                }
            }
        }
        assert_eq!(n, 35_652);
        let cost = mean_lookup_cost(&lengths);
        // A uniform hash at load 0.544 gives 1 + 0.544/2 = 1.272.
        assert!(cost < 1.30, "mean lookup cost {cost}");
    }

    /// One client choosing ports 4096 apart collided every time under the
    /// thesis's shift-xor with 12 bits; the seeded mix spreads them.
    #[test]
    fn chosen_ports_do_not_pile_up() {
        let h = ConnHasher::new(12, 42);
        let mut lengths = vec![0u32; h.buckets()];
        for k in 0..16u16 {
            for base in 0..256u16 {
                lengths[h.bucket_v4(6, [192, 0, 2, 1], base + k * 4096)] += 1;
            }
        }
        assert!(*lengths.iter().max().unwrap() <= 8);
    }

    #[test]
    fn every_key_part_and_the_seed_matter() {
        let h = ConnHasher::new(20, 7);
        let b = h.bucket_v4(6, [10, 0, 0, 1], 1000);
        assert_eq!(b, h.bucket_v4(6, [10, 0, 0, 1], 1000));
        assert_ne!(b, h.bucket_v4(17, [10, 0, 0, 1], 1000));
        assert_ne!(b, h.bucket_v4(6, [10, 0, 0, 2], 1000));
        assert_ne!(b, h.bucket_v4(6, [10, 0, 0, 1], 1001));
        assert_ne!(b, ConnHasher::new(20, 8).bucket_v4(6, [10, 0, 0, 1], 1000));
        let mut a6 = [0u8; 16];
        a6[0] = 0x20;
        let b6 = h.bucket_v6(6, a6, 80);
        a6[15] = 1;
        assert_ne!(b6, h.bucket_v6(6, a6, 80));
    }
}
