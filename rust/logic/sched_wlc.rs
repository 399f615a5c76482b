// SPDX-License-Identifier: GPL-2.0
//! Weighted least-connection scheduling (thesis §4.1.4), as upstream's
//! `ip_vs_wlc`: the server with the least connection overhead
//! ([`DestInfo::conn_overhead`]) per unit of weight, compared by cross
//! multiplication rather than division.
//!
//! The search is [`least_load_per_weight`], which sed shares: it
//! starts at the first server that has a positive weight and is not
//! overloaded; later servers replace it only when strictly less loaded
//! per weight, so ties go to the earliest (newest) server. As upstream,
//! later servers are skipped only when overloaded: one with weight 0
//! loses every comparison (0 is never greater) unless its overhead has
//! wrapped negative, which takes 2^23 active connections.
//!
//! Needs [`crate::sched_input`] beside it.

use crate::sched_input::{least_load_per_weight, DestInfo};

/// The server for a new connection among `dests` (list order); `None`
/// if no server has a positive weight without being overloaded.
pub fn schedule(dests: &[DestInfo]) -> Option<usize> {
    least_load_per_weight(dests, DestInfo::conn_overhead)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched_input::test_dests::servers;

    #[test]
    fn least_overhead_per_weight_wins() {
        // Overheads 257*2, 257*3, 257*1 on weights 2, 4, 1:
        // 257, 192.75, 257 per weight.
        let d = servers(&[(2, 2, 0), (4, 3, 0), (1, 1, 0)]);
        assert_eq!(schedule(&d), Some(1));
    }

    #[test]
    fn equal_load_per_weight_keeps_the_first() {
        let d = servers(&[(1, 1, 0), (2, 2, 0), (3, 3, 0)]);
        assert_eq!(schedule(&d), Some(0));
        let d = servers(&[(1, 0, 0), (5, 0, 0)]);
        assert_eq!(schedule(&d), Some(0), "all idle: the first");
    }

    #[test]
    fn inactive_connections_count_once() {
        // 1 active = 257 vs 258 inactive, same weight.
        let d = servers(&[(1, 0, 258), (1, 1, 0)]);
        assert_eq!(schedule(&d), Some(1));
    }

    #[test]
    fn weight_zero_and_overloaded_are_never_chosen() {
        let mut d = servers(&[(0, 0, 0), (1, 9, 0), (3, 0, 0), (0, 0, 0)]);
        d[2].overloaded = true;
        assert_eq!(schedule(&d), Some(1));
        let d = servers(&[(0, 0, 0), (0, 0, 0)]);
        assert_eq!(schedule(&d), None);
        assert_eq!(schedule(&[]), None);
    }

    #[test]
    fn weight_zero_wins_only_with_a_wrapped_overhead() {
        // Upstream's second stage does not skip weight 0; a negative
        // (wrapped) overhead makes 0 > negative * w true.
        let d = servers(&[(1, 5, 0), (0, 1 << 23, 0)]);
        assert_eq!(schedule(&d), Some(1));
    }
}
