// SPDX-License-Identifier: GPL-2.0
//! Overflow-connection scheduling, as upstream's `ip_vs_ovf`: the server
//! with the highest weight among those whose active connections do not
//! exceed their weight, so the weight acts as a connection limit and the
//! next server takes the overflow.
//!
//! Servers with weight 0 or overloaded are skipped; on equal weights the
//! earliest (newest) server wins.
//!
//! Needs [`crate::sched_input`] beside it.

use crate::sched_input::DestInfo;

/// The server for a new connection among `dests` (list order); `None`
/// if every server is full, overloaded or has weight 0.
pub fn schedule(dests: &[DestInfo]) -> Option<usize> {
    let mut best: Option<(usize, i32)> = None;
    for (i, d) in dests.iter().enumerate() {
        let weight = d.weight;
        if d.overloaded || d.active_conns() > weight || weight == 0 {
            continue;
        }
        if best.is_none_or(|(_, best_weight)| weight > best_weight) {
            best = Some((i, weight));
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched_input::test_dests::servers;

    #[test]
    fn highest_weight_until_its_active_connections_exceed_it() {
        assert_eq!(schedule(&servers(&[(2, 0), (5, 5), (3, 0)])), Some(1));
        assert_eq!(schedule(&servers(&[(2, 0), (5, 6), (3, 0)])), Some(2));
        assert_eq!(schedule(&servers(&[(2, 2), (5, 6), (3, 4)])), Some(0));
        assert_eq!(schedule(&servers(&[(2, 3), (5, 6), (3, 4)])), None);
    }

    #[test]
    fn equal_weights_go_to_the_first() {
        assert_eq!(schedule(&servers(&[(1, 0), (4, 1), (4, 0)])), Some(1));
    }

    #[test]
    fn weight_zero_and_overloaded_are_skipped() {
        let mut d = servers(&[(0, 0), (3, 0), (1, 0)]);
        d[1].overloaded = true;
        assert_eq!(schedule(&d), Some(2));
        d[2].overloaded = true;
        assert_eq!(schedule(&d), None);
    }

    #[test]
    fn negative_weight_counts_with_negative_active() {
        // Impossible in the kernel (no negative weights), kept as in C:
        // 2^32-1 active reads as -1, which does not exceed -1.
        assert_eq!(schedule(&servers(&[(-1, u32::MAX)])), Some(0));
    }
}
