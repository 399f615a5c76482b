// SPDX-License-Identifier: GPL-2.0
//! Never-queue scheduling, as upstream's `ip_vs_nq`: the first idle
//! server (no active connections) if there is one, otherwise the server
//! with the shortest expected delay ([`DestInfo::expected_delay`], active
//! connections plus one, as sed) per unit of weight, compared by cross
//! multiplication.
//!
//! Servers with weight 0 (quiesced) or overloaded are skipped
//! throughout. Ties go to the earliest (newest) server. The search is
//! not sed's ([`crate::sched_input::least_load_per_weight`]): as
//! upstream's, it stops at the first idle server, skips weight 0 rather
//! than only starting past it, and takes a negative weight as usable.
//!
//! Needs [`crate::sched_input`] beside it.

use crate::sched_input::{heavier_per_weight, DestInfo};

/// The server for a new connection among `dests` (list order); `None`
/// if every server is overloaded or has weight 0.
pub fn schedule(dests: &[DestInfo]) -> Option<usize> {
    let mut least: Option<(usize, i32, i32)> = None;
    for (i, d) in dests.iter().enumerate() {
        if d.overloaded || d.weight == 0 {
            continue;
        }
        if d.active_conns() == 0 {
            return Some(i);
        }
        let load = d.expected_delay();
        let lighter = match least {
            None => true,
            Some((_, least_load, least_weight)) => heavier_per_weight(least_load, least_weight, load, d.weight),
        };
        if lighter {
            least = Some((i, load, d.weight));
        }
    }
    least.map(|(i, _, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched_input::test_dests::servers;

    #[test]
    fn first_idle_server_wins_whatever_its_weight() {
        let d = servers(&[(100, 1), (1, 0), (50, 0)]);
        assert_eq!(schedule(&d), Some(1));
    }

    #[test]
    fn inactive_connections_leave_a_server_idle() {
        let mut d = servers(&[(5, 1), (1, 0)]);
        d[1].inactive = 1000;
        assert_eq!(schedule(&d), Some(1));
    }

    #[test]
    fn busy_servers_compare_active_plus_one_per_weight() {
        // 3/1, 4/2 = 2, 7/4 = 1.75
        let d = servers(&[(1, 2), (2, 3), (4, 6)]);
        assert_eq!(schedule(&d), Some(2));
        // 4/2 and 2/1: equal, the first stays.
        let d = servers(&[(2, 3), (1, 1)]);
        assert_eq!(schedule(&d), Some(0));
    }

    #[test]
    fn weight_zero_and_overloaded_are_skipped_even_when_idle() {
        let mut d = servers(&[(0, 0), (1, 0), (1, 4)]);
        d[1].overloaded = true;
        assert_eq!(schedule(&d), Some(2));
        d[2].weight = 0;
        assert_eq!(schedule(&d), None);
    }
}
