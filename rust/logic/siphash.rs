// SPDX-License-Identifier: GPL-2.0
//! SipHash as the kernel computes it (`lib/siphash.c`), for the Maglev
//! scheduler, whose table and lookups must match upstream's bit for bit.
//!
//! [`siphash`] is SipHash-2-4 with a 64-bit result. [`hsiphash`] is what
//! the kernel calls `hsiphash` on 64-bit machines: SipHash-1-3 with the
//! result cut to its low 32 bits (32-bit kernels use HalfSipHash
//! instead, which is not reproduced here). Both read the message as
//! little-endian 64-bit words and finish with its length in the top
//! byte of the last word, as the SipHash paper specifies.

/// A 128-bit key as two 64-bit halves (the kernel's `siphash_key_t`;
/// on 64-bit also its `hsiphash_key_t`).
pub type SipKey = [u64; 2];

/// SipHash-2-4 of `data` under `key` (the kernel's `siphash`).
pub fn siphash(data: &[u8], key: &SipKey) -> u64 {
    sip::<2, 4>(data, key)
}

/// The kernel's 64-bit `hsiphash` of `data` under `key`: SipHash-1-3,
/// low 32 bits.
pub fn hsiphash(data: &[u8], key: &SipKey) -> u32 {
    sip::<1, 3>(data, key) as u32
}

/// SipHash with `C` rounds per message word and `D` finishing rounds.
fn sip<const C: usize, const D: usize>(data: &[u8], key: &SipKey) -> u64 {
    let mut s = State::new(key);
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        s.absorb::<C>(u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]));
    }
    // Last word: the 0..7 remaining bytes, little-endian, under the
    // message length's low byte.
    let mut last = (data.len() as u64) << 56;
    for (i, &b) in words.remainder().iter().enumerate() {
        last |= u64::from(b) << (8 * i);
    }
    s.absorb::<C>(last);
    s.v[2] ^= 0xff;
    for _ in 0..D {
        s.round();
    }
    s.v[0] ^ s.v[1] ^ s.v[2] ^ s.v[3]
}

/// The four state words.
struct State {
    v: [u64; 4],
}

impl State {
    /// The initial state: "somepseudorandomlygeneratedbytes" under the key.
    fn new(key: &SipKey) -> Self {
        Self {
            v: [
                0x736f_6d65_7073_6575 ^ key[0],
                0x646f_7261_6e64_6f6d ^ key[1],
                0x6c79_6765_6e65_7261 ^ key[0],
                0x7465_6462_7974_6573 ^ key[1],
            ],
        }
    }

    /// Mixes in one message word with `C` rounds.
    fn absorb<const C: usize>(&mut self, m: u64) {
        self.v[3] ^= m;
        for _ in 0..C {
            self.round();
        }
        self.v[0] ^= m;
    }

    /// One SipRound.
    fn round(&mut self) {
        let [mut v0, mut v1, mut v2, mut v3] = self.v;
        v0 = v0.wrapping_add(v1);
        v1 = v1.rotate_left(13) ^ v0;
        v0 = v0.rotate_left(32);
        v2 = v2.wrapping_add(v3);
        v3 = v3.rotate_left(16) ^ v2;
        v0 = v0.wrapping_add(v3);
        v3 = v3.rotate_left(21) ^ v0;
        v2 = v2.wrapping_add(v1);
        v1 = v1.rotate_left(17) ^ v2;
        v2 = v2.rotate_left(32);
        self.v = [v0, v1, v2, v3];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference key 00 01 .. 0f, as the SipHash reference vectors
    /// (github.com/veorq/SipHash) and the kernel's self-test use it.
    const KEY: SipKey = [0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908];

    /// The bytes 00 01 .. 3f; the vector for length n hashes the first n.
    fn message() -> [u8; 64] {
        let mut m = [0u8; 64];
        for (i, b) in m.iter_mut().enumerate() {
            *b = i as u8;
        }
        m
    }

    #[test]
    fn siphash_2_4_reference_vectors() {
        // (length, expected) from the reference vectors, as the kernel's
        // siphash_kunit.c lists them.
        let vectors: [(usize, u64); 10] = [
            (0, 0x726f_db47_dd0e_0e31),
            (1, 0x74f8_39c5_93dc_67fd),
            (2, 0x0d6c_8009_d9a9_4f5a),
            (3, 0x8567_6696_d7fb_7e2d),
            (4, 0xcf27_94e0_2771_87b7),
            (7, 0xab02_00f5_8b01_d137),
            (8, 0x93f5_f579_9a93_2462),
            (15, 0xa129_ca61_49be_45e5),
            (16, 0x3f2a_cc7f_57c2_9bdb),
            (63, 0x958a_324c_eb06_4572),
        ];
        for (len, want) in vectors {
            assert_eq!(siphash(&message()[..len], &KEY), want, "length {len}");
        }
    }

    #[test]
    fn hsiphash_64_bit_reference_vectors() {
        // The kernel's 64-bit hsiphash self-test vectors.
        let vectors: [(usize, u32); 10] = [
            (0, 0x050f_c4dc),
            (1, 0x7d57_ca93),
            (2, 0x4dc7_d44d),
            (3, 0xe7dd_f7fb),
            (4, 0x88d3_8328),
            (7, 0x9bb1_1140),
            (8, 0x8d29_9a8e),
            (15, 0x2a51_9956),
            (16, 0x7d90_8b66),
            (63, 0xb7bb_b3a8),
        ];
        for (len, want) in vectors {
            assert_eq!(hsiphash(&message()[..len], &KEY), want, "length {len}");
        }
    }
}
