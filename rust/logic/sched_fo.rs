// SPDX-License-Identifier: GPL-2.0
//! Weighted failover scheduling, as upstream's `ip_vs_fo`: every new
//! connection goes to the server with the highest weight that is not
//! overloaded, so lower-weighted servers only serve when it is not.
//!
//! Only a weight above 0 counts; on equal weights the earliest (newest)
//! server wins. Connection counts play no part.
//!
//! Needs [`crate::sched_input`] beside it.

use crate::sched_input::DestInfo;

/// The server for a new connection among `dests` (list order); `None`
/// if no server has a positive weight without being overloaded.
pub fn schedule(dests: &[DestInfo]) -> Option<usize> {
    let mut best = None;
    let mut best_weight = 0;
    for (i, d) in dests.iter().enumerate() {
        if !d.overloaded && d.weight > best_weight {
            best = Some(i);
            best_weight = d.weight;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched_input::test_dests::servers;

    #[test]
    fn highest_weight_wins_whatever_its_load() {
        let mut d = servers(&[2, 5, 3]);
        d[1].active = 1_000_000;
        assert_eq!(schedule(&d), Some(1));
    }

    #[test]
    fn equal_weights_go_to_the_first() {
        assert_eq!(schedule(&servers(&[1, 4, 4, 2])), Some(1));
    }

    #[test]
    fn overloaded_fails_over_to_the_next_highest() {
        let mut d = servers(&[2, 5, 3]);
        d[1].overloaded = true;
        assert_eq!(schedule(&d), Some(2));
        d[2].overloaded = true;
        assert_eq!(schedule(&d), Some(0));
    }

    #[test]
    fn no_positive_weight_means_none() {
        assert_eq!(schedule(&servers(&[0, 0, -1])), None);
        assert_eq!(schedule(&[]), None);
    }
}
