// SPDX-License-Identifier: GPL-2.0
//! Least-connection scheduling (thesis §4.1.3), as upstream's `ip_vs_lc`:
//! the server with the least connection overhead, counting an active
//! connection as 257 inactive ones ([`DestInfo::conn_overhead`]).
//!
//! Weights do not scale the load; a weight of exactly 0 (quiesced) only
//! keeps the server out, as does its overload flag. Upstream compares
//! the overheads as unsigned numbers and keeps the first of equals, so
//! ties go to the server earliest in the list (the newest).
//!
//! Needs [`crate::sched_input`] beside it.

use crate::sched_input::DestInfo;

/// The server for a new connection among `dests` (list order); `None`
/// if every server is overloaded or has weight 0.
pub fn schedule(dests: &[DestInfo]) -> Option<usize> {
    let mut least: Option<(usize, u32)> = None;
    for (i, d) in dests.iter().enumerate() {
        if d.overloaded || d.weight == 0 {
            continue;
        }
        // Upstream keeps the int overhead in an unsigned variable.
        let load = d.conn_overhead() as u32;
        if least.is_none_or(|(_, least_load)| load < least_load) {
            least = Some((i, load));
        }
    }
    least.map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched_input::test_dests::servers;

    #[test]
    fn fewest_connections_win_with_active_ones_counting_257() {
        let d = servers(&[(1, 1, 0), (1, 0, 256), (1, 0, 258)]);
        assert_eq!(schedule(&d), Some(1)); // 257 vs 256 vs 258
        let d = servers(&[(1, 1, 0), (1, 0, 257)]);
        assert_eq!(schedule(&d), Some(0), "equal overhead: first in list");
    }

    #[test]
    fn ties_go_to_the_first_server_and_weight_does_not_scale() {
        let d = servers(&[(1, 2, 2), (100, 2, 2), (5, 2, 2)]);
        assert_eq!(schedule(&d), Some(0));
        let d = servers(&[(1, 0, 3), (100, 0, 4)]);
        assert_eq!(schedule(&d), Some(0));
    }

    #[test]
    fn weight_zero_and_overloaded_are_skipped() {
        let mut d = servers(&[(0, 0, 0), (1, 0, 9), (1, 5, 0)]);
        d[1].overloaded = true;
        assert_eq!(schedule(&d), Some(2));
        d[2].overloaded = true;
        assert_eq!(schedule(&d), None);
        assert_eq!(schedule(&[]), None);
    }

    #[test]
    fn negative_weight_is_not_zero_and_counts() {
        // The kernel refuses negative weights; upstream lc only skips 0.
        let d = servers(&[(1, 1, 0), (-1, 0, 0)]);
        assert_eq!(schedule(&d), Some(1));
    }

    #[test]
    fn wrapped_overhead_compares_unsigned() {
        // 2^23 active connections: the int overhead wraps negative, and
        // as unsigned it is huge, so the other server wins.
        let d = servers(&[(1, 1 << 23, 0), (1, 1000, 0)]);
        assert_eq!(schedule(&d), Some(1));
    }
}
