// SPDX-License-Identifier: GPL-2.0
//! Internet checksum arithmetic for rewriting packets in place.
//!
//! VS/NAT changes addresses and ports; instead of summing the whole
//! packet again, the checksum is updated from the old and new bytes
//! (RFC 1624). A TCP/UDP checksum field holds one of two things: the
//! final checksum, or — when the device or the stack will finish it
//! (`CHECKSUM_PARTIAL`, also every GSO packet) — the folded sum of the
//! pseudo-header only, which ports are not part of.

/// Adds 16-bit big-endian words of `bytes` (even length) to `sum`.
fn add_words(mut sum: u32, bytes: &[u8]) -> u32 {
    for w in bytes.chunks(2) {
        let word = u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)]);
        sum = sum.wrapping_add(u32::from(word));
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum
}

/// Adds the one's complement of the words of `bytes` to `sum`.
fn sub_words(mut sum: u32, bytes: &[u8]) -> u32 {
    for w in bytes.chunks(2) {
        let word = !u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)]);
        sum = sum.wrapping_add(u32::from(word));
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum
}

fn fold(mut sum: u32) -> u16 {
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// One replaced field: old and new bytes, of equal even length.
pub struct Change<'a> {
    /// The bytes before.
    pub old: &'a [u8],
    /// The bytes after.
    pub new: &'a [u8],
}

/// A complete checksum field (`check`, big-endian) after `changes`.
pub fn update_full(check: u16, changes: &[Change<'_>]) -> u16 {
    let mut sum = u32::from(!check);
    for c in changes {
        sum = add_words(sub_words(sum, c.old), c.new);
    }
    !fold(sum)
}

/// A pseudo-header-only checksum field (`CHECKSUM_PARTIAL`) after the
/// address changes in `changes` (ports must not be passed: they are not
/// in the pseudo-header).
pub fn update_partial(check: u16, changes: &[Change<'_>]) -> u16 {
    let mut sum = u32::from(check);
    for c in changes {
        sum = add_words(sub_words(sum, c.old), c.new);
    }
    fold(sum)
}

/// The checksum of an IPv4 header whose checksum field (bytes 10–11) is
/// taken as zero.
pub fn ipv4_header(header: &[u8]) -> u16 {
    let mut sum = add_words(0, &header[..10.min(header.len())]);
    if header.len() > 12 {
        sum = add_words(sum, &header[12..]);
    }
    !fold(sum)
}

/// The complete checksum over `data` with `initial` as a running sum.
pub fn sum(initial: u32, data: &[u8]) -> u32 {
    add_words(initial, data)
}

/// Folds and complements a running sum into a checksum field.
pub fn finish(sum: u32) -> u16 {
    !fold(sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Full TCP checksum of a segment over an IPv4 pseudo-header.
    fn tcp_check(src: [u8; 4], dst: [u8; 4], seg: &[u8]) -> u16 {
        let mut s = sum(0, &src);
        s = sum(s, &dst);
        s = sum(s, &[0, 6]);
        s = sum(s, &(seg.len() as u16).to_be_bytes());
        let mut padded = seg.to_vec();
        if padded.len() % 2 == 1 {
            padded.push(0);
        }
        finish(sum(s, &padded))
    }

    fn pseudo_partial(src: [u8; 4], dst: [u8; 4], len: u16) -> u16 {
        let mut s = sum(0, &src);
        s = sum(s, &dst);
        s = sum(s, &[0, 6]);
        s = sum(s, &len.to_be_bytes());
        fold(s)
    }

    #[test]
    fn full_update_equals_recomputation() {
        let (c, v, r) = ([10, 0, 0, 2], [10, 0, 0, 100], [10, 0, 3, 2]);
        let mut seg: std::vec::Vec<u8> = (0..41u8).map(|i| i.wrapping_mul(37)).collect();
        seg[0..2].copy_from_slice(&40000u16.to_be_bytes());
        seg[2..4].copy_from_slice(&80u16.to_be_bytes());
        seg[16] = 0;
        seg[17] = 0;
        let before = tcp_check(c, v, &seg);
        // NAT in: destination address and port change.
        let mut after_seg = seg.clone();
        after_seg[2..4].copy_from_slice(&8080u16.to_be_bytes());
        let want = tcp_check(c, r, &after_seg);
        let got = update_full(before, &[Change { old: &v, new: &r }, Change { old: &80u16.to_be_bytes(), new: &8080u16.to_be_bytes() }]);
        assert_eq!(got, want);
    }

    #[test]
    fn partial_update_touches_the_pseudo_header_only() {
        let (c, v, r) = ([192, 168, 1, 9], [10, 0, 0, 100], [172, 16, 255, 254]);
        let got = update_partial(pseudo_partial(c, v, 1460), &[Change { old: &v, new: &r }]);
        assert_eq!(got, pseudo_partial(c, r, 1460));
    }

    #[test]
    fn ipv4_header_checksum() {
        // A header from RFC 1071 examples' style: verified by summing to 0xffff.
        let mut h = [0x45, 0, 0, 0x54, 0x12, 0x34, 0x40, 0, 64, 1, 0xaa, 0xbb, 10, 0, 0, 2, 10, 0, 0, 1];
        let c = ipv4_header(&h);
        h[10..12].copy_from_slice(&c.to_be_bytes());
        assert_eq!(fold(add_words(0, &h)), 0xffff);
    }
}
