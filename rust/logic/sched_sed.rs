// SPDX-License-Identifier: GPL-2.0
//! Shortest-expected-delay scheduling, as upstream's `ip_vs_sed`: the
//! weighted least-connection search of wlc (`sched_wlc.rs`) with another
//! load, [`DestInfo::expected_delay`]: a server's active connections
//! plus one (the delay a new connection would see there), inactive
//! connections not counting.
//!
//! The search is the one wlc uses, [`least_load_per_weight`] in
//! [`crate::sched_input`], so this file needs no other scheduler: it
//! starts at the first server that has a positive weight and is not
//! overloaded; later servers replace it only when strictly less loaded
//! per weight (ties go to the earliest, newest, server), and are skipped
//! only when overloaded.
//!
//! Needs [`crate::sched_input`] beside it.

use crate::sched_input::{least_load_per_weight, DestInfo};

/// The server for a new connection among `dests` (list order); `None`
/// if no server has a positive weight without being overloaded.
pub fn schedule(dests: &[DestInfo]) -> Option<usize> {
    least_load_per_weight(dests, DestInfo::expected_delay)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched_input::test_dests::servers;

    #[test]
    fn active_plus_one_per_weight_wins() {
        // (1+1)/1 = 2 vs (3+1)/3 = 1.33: the heavier weight wins.
        let d = servers(&[(1, 1, 0), (3, 3, 0)]);
        assert_eq!(schedule(&d), Some(1));
        // Idle servers: 1/1 vs 1/3, weight decides.
        let d = servers(&[(1, 0, 0), (3, 0, 0)]);
        assert_eq!(schedule(&d), Some(1));
    }

    #[test]
    fn inactive_connections_do_not_count() {
        let d = servers(&[(1, 0, 1000), (1, 1, 0)]);
        assert_eq!(schedule(&d), Some(0));
    }

    #[test]
    fn ties_keep_the_first() {
        // (1+1)/2 = 1 and (0+1)/1 = 1.
        let d = servers(&[(2, 1, 0), (1, 0, 0)]);
        assert_eq!(schedule(&d), Some(0));
    }

    #[test]
    fn weight_zero_and_overloaded_are_never_chosen() {
        let mut d = servers(&[(0, 0, 0), (1, 5, 0), (9, 0, 0)]);
        d[2].overloaded = true;
        assert_eq!(schedule(&d), Some(1));
        d[1].overloaded = true;
        assert_eq!(schedule(&d), None);
    }
}
