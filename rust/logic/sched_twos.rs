// SPDX-License-Identifier: GPL-2.0
//! Weighted "power of two choices" scheduling, as upstream's `ip_vs_twos`:
//! two servers drawn at random, each with a chance proportional to its
//! weight, and the one with less connection overhead per weight wins
//! (the second only when strictly better).
//!
//! The draws are upstream's: two numbers below the total weight plus
//! one, each walked down the list of usable servers (positive weight,
//! not overloaded) until it reaches zero, so a draw of 0 or of a first
//! server's weight picks the first server. The randomness comes from the
//! caller, so the host tests can pin the choices.
//!
//! Needs [`crate::sched_input`] beside it.

use crate::sched_input::DestInfo;

/// A server upstream's twos may draw.
fn usable(d: &DestInfo) -> bool {
    !d.overloaded && d.weight > 0
}

/// The server for a new connection among `dests` (list order), with
/// `random_below(n)` giving a uniform random number below `n`; `None` if
/// no server has a positive weight without being overloaded.
pub fn schedule(dests: &[DestInfo], mut random_below: impl FnMut(u32) -> u32) -> Option<usize> {
    let mut total: i32 = 0;
    let mut last = None;
    for (i, d) in dests.iter().enumerate().filter(|(_, d)| usable(d)) {
        total = total.wrapping_add(d.weight);
        last = Some(i);
    }
    let last = last?;
    let bound = total.wrapping_add(1) as u32;
    let mut draws = [random_below(bound) as i32, random_below(bound) as i32];
    let mut picks: [Option<(usize, i32, i32)>; 2] = [None, None];
    for (i, d) in dests.iter().enumerate().filter(|(_, d)| usable(d)) {
        for (draw, pick) in draws.iter_mut().zip(picks.iter_mut()) {
            *draw = draw.wrapping_sub(d.weight);
            if *draw <= 0 && pick.is_none() {
                *pick = Some((i, d.weight, d.conn_overhead()));
            }
        }
        if picks.iter().all(Option::is_some) {
            break;
        }
    }
    match picks {
        [Some((_, w1, o1)), Some((second, w2, o2))] if w2.wrapping_mul(o1) > w1.wrapping_mul(o2) => Some(second),
        [Some((first, ..)), _] => Some(first),
        _ => Some(last),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched_input::test_dests::servers;

    /// Draws that come from `values` in turn.
    fn draws(values: &[u32]) -> impl FnMut(u32) -> u32 + '_ {
        let mut next = values.iter();
        move |bound| {
            let v = *next.next().unwrap();
            assert!(v < bound);
            v
        }
    }

    #[test]
    fn draws_walk_the_weights() {
        // Weights 2, 3, 1: total 6, draws below 7. Idle: the first draw
        // wins unless the second is strictly less loaded per weight.
        let d = servers(&[2, 3, 1]);
        assert_eq!(schedule(&d, draws(&[0, 6])), Some(0));
        assert_eq!(schedule(&d, draws(&[3, 0])), Some(1));
        assert_eq!(schedule(&d, draws(&[6, 2])), Some(2));
    }

    #[test]
    fn the_less_loaded_of_the_two_wins() {
        // Server 0 busy (overhead 257 on weight 2), server 1 idle.
        let d = servers(&[(2, 1, 0), (3, 0, 0)]);
        assert_eq!(schedule(&d, draws(&[1, 4])), Some(1));
        assert_eq!(schedule(&d, draws(&[4, 1])), Some(1));
        // Equal per weight: the first draw keeps it.
        let d = servers(&[(1, 1, 0), (1, 1, 0)]);
        assert_eq!(schedule(&d, draws(&[2, 0])), Some(1));
    }

    #[test]
    fn unusable_servers_are_never_drawn() {
        let mut d = servers(&[5, 0, 1]);
        d[0].overloaded = true;
        assert_eq!(schedule(&d, draws(&[0, 1])), Some(2));
        assert_eq!(schedule(&servers(&[0, 0]), draws(&[])), None);
        assert_eq!(schedule(&[], draws(&[])), None);
    }
}
