// SPDX-License-Identifier: GPL-2.0
//! Weighted round-robin scheduling (thesis §4.1.2), as upstream's
//! `ip_vs_wrr` does it, so that a director running it sends each new
//! connection to the same server as one running C IPVS.
//!
//! The servers are visited in list order in passes; a pass takes every
//! usable server whose weight reaches the current weight `cw`. `cw`
//! starts at the top weight and drops by the weights' greatest common
//! divisor `di` after each pass, so with weights 4, 3, 2 a cycle runs
//! A A B A B C A B C. Upstream lowers the top weight by `di - 1`, so
//! that the last pass of a cycle asks for weight 1 and still finds a
//! server whose weight dropped below `di` while the service ran.
//!
//! A cursor remembers the server chosen last; after the service's
//! servers change (added, removed, edited) the cursor goes back to the
//! list head and `cw` is brought back into the new range. Overloaded
//! servers are passed over; when a whole round of passes finds nothing,
//! scheduling fails and the cursor stays where the search stopped.
//!
//! Needs [`crate::sched_input`] beside it.

use crate::sched_input::{positive_gcd, DestInfo};

/// A service's weighted round-robin position (upstream's
/// `ip_vs_wrr_mark`). The owner serialises [`WrrState::schedule`] and
/// [`WrrState::dests_changed`], as upstream's `sched_lock` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WrrState {
    /// The server chosen last (`cl`); `None` is the list head, from
    /// which the next pass starts at the first server.
    cursor: Option<usize>,
    /// The weight a server needs in the current pass (`cw`).
    current_weight: i32,
    /// The weight the first pass of a cycle asks for (`mw`): the top
    /// weight less `step - 1`; 0 when no server has weight.
    max_weight: i32,
    /// How much `current_weight` drops per pass (`di`): the greatest
    /// common divisor of the positive weights, 1 if there are none.
    step: i32,
}

impl WrrState {
    /// The state of a new service with servers `dests`
    /// (`ip_vs_wrr_init_svc`).
    pub fn new(dests: &[DestInfo]) -> Self {
        let step = weight_gcd(dests);
        let max_weight = cycle_start(dests, step);
        Self { cursor: None, current_weight: max_weight, max_weight, step }
    }

    /// Takes in a change of the servers, now `dests`: one added,
    /// removed or edited (`ip_vs_wrr_dest_changed`). Call it after every
    /// such change and before the next [`WrrState::schedule`], as the
    /// cursor is an index into the old list.
    pub fn dests_changed(&mut self, dests: &[DestInfo]) {
        self.cursor = None;
        self.step = weight_gcd(dests);
        self.max_weight = cycle_start(dests, self.step);
        if self.current_weight > self.max_weight || self.current_weight == 0 {
            self.current_weight = self.max_weight;
        } else if self.step > 1 {
            // Down to just above a multiple of the new step, so the
            // passes stay on the step grid that ends at 1.
            self.current_weight = (self.current_weight / self.step).wrapping_mul(self.step).wrapping_add(1);
        }
    }

    /// The server for a new connection, from `dests` (the list the last
    /// [`WrrState::dests_changed`] or [`WrrState::new`] saw, with
    /// current weights and overload flags); `None` if no server is
    /// available. Advances the cursor and current weight as upstream.
    pub fn schedule(&mut self, dests: &[DestInfo]) -> Option<usize> {
        // A cursor past the end only comes from a list shrunk without
        // dests_changed; start from the head then rather than fail.
        let start = self.cursor.filter(|&i| i < dests.len());
        self.cursor = start;
        if self.max_weight == 0 {
            return None;
        }
        let mut search = Search { last: start, stop: None, last_pass: false, restarted: false };
        let mut from = start.map_or(0, |i| i + 1);
        loop {
            for (i, d) in dests.iter().enumerate().skip(from) {
                if !d.overloaded && d.weight >= self.current_weight {
                    self.cursor = Some(i);
                    return Some(i);
                }
                if search.stop == Some(i) {
                    self.cursor = Some(i);
                    return None;
                }
            }
            // Reached the head: the next pass asks for less weight.
            from = 0;
            if !self.next_pass(&mut search) {
                self.cursor = None;
                return None;
            }
        }
    }

    /// Lowers the current weight for the next pass over the list;
    /// `false` when every server has been checked against weight 1
    /// (upstream's "all destinations are overloaded").
    fn next_pass(&mut self, search: &mut Search) -> bool {
        // step >= 1 and current_weight >= 1 here: no overflow.
        self.current_weight = self.current_weight.wrapping_sub(self.step);
        if self.current_weight <= 0 {
            self.current_weight = self.max_weight;
            // Stop if the pass for the lowest weight just ended, or if
            // the search started at the head: then every pass, down to
            // the lowest weight, covered the whole list.
            if search.last_pass || search.last.is_none() {
                return false;
            }
            search.restarted = true;
        }
        search.last_pass = self.current_weight <= self.step;
        if search.last_pass && search.restarted && search.last.is_some() {
            // The first pass for weight 1 covered only the servers after
            // the cursor; this one ends at the cursor.
            search.stop = search.last;
        }
        true
    }

    /// The server chosen last (`None`: the list head).
    pub fn cursor(&self) -> Option<usize> {
        self.cursor
    }

    /// The weight a server needs in the current pass.
    pub fn current_weight(&self) -> i32 {
        self.current_weight
    }

    /// The weight the first pass of a cycle asks for.
    pub fn max_weight(&self) -> i32 {
        self.max_weight
    }

    /// How much the needed weight drops from pass to pass.
    pub fn step(&self) -> i32 {
        self.step
    }
}

/// Where one [`WrrState::schedule`] call is in its search.
struct Search {
    /// The cursor the call started from.
    last: Option<usize>,
    /// The server at which the final pass gives up.
    stop: Option<usize>,
    /// Whether the current pass asks for the lowest weight of a cycle.
    last_pass: bool,
    /// Whether the needed weight wrapped back to the top in this call.
    restarted: bool,
}

/// Greatest common divisor of the positive weights; 1 if none is.
fn weight_gcd(dests: &[DestInfo]) -> i32 {
    match positive_gcd(dests.iter().map(|d| d.weight)) {
        0 => 1,
        g => g,
    }
}

/// The weight the first pass of a cycle asks for: the top weight (at
/// least 0) less `step - 1`.
fn cycle_start(dests: &[DestInfo], step: i32) -> i32 {
    let top = dests.iter().map(|d| d.weight).fold(0, i32::max);
    top.wrapping_sub(step.wrapping_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched_input::test_dests::servers;

    fn run(state: &mut WrrState, dests: &[DestInfo], picks: usize) -> std::string::String {
        (0..picks)
            .map(|_| match state.schedule(dests) {
                Some(i) => (b'A' + i as u8) as char,
                None => '-',
            })
            .collect()
    }

    #[test]
    fn thesis_cycle_4_3_2() {
        let d = servers(&[4, 3, 2]);
        let mut s = WrrState::new(&d);
        assert_eq!((s.max_weight(), s.step(), s.current_weight()), (4, 1, 4));
        assert_eq!(run(&mut s, &d, 18), "AABABCABCAABABCABC");
    }

    #[test]
    fn common_divisor_sets_the_step_and_lowers_the_top() {
        let d = servers(&[4, 2]);
        let mut s = WrrState::new(&d);
        assert_eq!((s.max_weight(), s.step()), (3, 2));
        assert_eq!(run(&mut s, &d, 6), "AABAAB");
        let d = servers(&[6, 4, 2]);
        let mut s = WrrState::new(&d);
        assert_eq!((s.max_weight(), s.step()), (5, 2));
        assert_eq!(run(&mut s, &d, 12), "AABABCAABABC");
    }

    #[test]
    fn weight_zero_is_never_chosen() {
        let d = servers(&[4, 0, 2]);
        let mut s = WrrState::new(&d);
        assert_eq!(run(&mut s, &d, 6), "AACAAC");
    }

    #[test]
    fn no_weight_or_no_server_means_none() {
        let d = servers(&[0, 0]);
        let mut s = WrrState::new(&d);
        assert_eq!((s.max_weight(), s.step()), (0, 1));
        assert_eq!(run(&mut s, &d, 3), "---");
        let mut s = WrrState::new(&[]);
        assert_eq!(s.schedule(&[]), None);
        assert_eq!(s.cursor(), None);
    }

    #[test]
    fn overloaded_servers_are_skipped() {
        let mut d = servers(&[4, 3, 2]);
        d[0].overloaded = true;
        let mut s = WrrState::new(&d);
        assert_eq!(run(&mut s, &d, 10), "BBCBCBBCBC");
    }

    #[test]
    fn all_overloaded_fails_then_recovers() {
        let mut d = servers(&[4, 3, 2]);
        let mut s = WrrState::new(&d);
        assert_eq!(run(&mut s, &d, 2), "AA");
        for x in d.iter_mut() {
            x.overloaded = true;
        }
        // From cursor A with cw 3: passes for weights 2 and 1 find
        // nothing; the weight wraps to the top and the search ends at
        // the head, where the next cycle starts.
        assert_eq!(s.schedule(&d), None);
        assert_eq!((s.cursor(), s.current_weight()), (None, 4));
        for x in d.iter_mut() {
            x.overloaded = false;
        }
        assert_eq!(run(&mut s, &d, 4), "AABA");
    }

    #[test]
    fn all_overloaded_from_the_head_stops_after_one_round() {
        let mut d = servers(&[2, 1]);
        for x in d.iter_mut() {
            x.overloaded = true;
        }
        let mut s = WrrState::new(&d);
        assert_eq!(s.schedule(&d), None);
        assert_eq!((s.cursor(), s.current_weight()), (None, 2));
    }

    #[test]
    fn final_pass_wraps_round_to_the_cursor_and_stops_there() {
        let mut d = servers(&[1, 1, 1]);
        let mut s = WrrState::new(&d);
        assert_eq!(run(&mut s, &d, 2), "AB");
        // Cursor on B in the weight-1 pass; only A, before it, is free.
        d[1].overloaded = true;
        d[2].overloaded = true;
        assert_eq!(s.schedule(&d), Some(0));
        // Nothing free: the wrapped pass gives up on reaching the cursor.
        d[0].overloaded = true;
        assert_eq!(s.schedule(&d), None);
        assert_eq!((s.cursor(), s.current_weight()), (Some(0), 1));
        assert_eq!(s.schedule(&d), None);
        assert_eq!(s.cursor(), Some(0));
    }

    #[test]
    fn last_pass_catches_a_weight_below_the_step() {
        // Weight 2 lowered to 1 without dests_changed (upstream's race
        // with a weight edit): the weight-1 pass still finds it.
        let mut d = servers(&[4, 2]);
        let mut s = WrrState::new(&d);
        d[1].weight = 1;
        assert_eq!(run(&mut s, &d, 6), "AABAAB");
    }

    #[test]
    fn weight_change_restarts_from_the_head() {
        let mut d = servers(&[4, 3, 2]);
        let mut s = WrrState::new(&d);
        assert_eq!(run(&mut s, &d, 4), "AABA");
        d[2].weight = 4;
        s.dests_changed(&d);
        assert_eq!((s.cursor(), s.current_weight()), (None, 2));
        assert_eq!(run(&mut s, &d, 8), "ABCABCAC");
    }

    #[test]
    fn change_snaps_current_weight_to_the_new_step() {
        let mut d = servers(&[5, 3, 1]);
        let mut s = WrrState::new(&d);
        assert_eq!(run(&mut s, &d, 2), "AA");
        assert_eq!(s.current_weight(), 4);
        // Weights 6 and 4: step 2, top pass 5; cw 4 becomes 4/2*2+1.
        d[0].weight = 6;
        d[1].weight = 4;
        d[2].weight = 0;
        s.dests_changed(&d);
        assert_eq!((s.max_weight(), s.step(), s.current_weight()), (5, 2, 5));
        // A current weight above the new top, or zero, goes to the top.
        let mut s = WrrState::new(&servers(&[9, 1]));
        s.dests_changed(&d);
        assert_eq!(s.current_weight(), 5);
    }

    #[test]
    fn removal_keeps_going_from_the_head() {
        let mut d = servers(&[4, 3, 2]);
        let mut s = WrrState::new(&d);
        assert_eq!(run(&mut s, &d, 3), "AAB");
        d.remove(0);
        s.dests_changed(&d);
        assert_eq!(run(&mut s, &d, 5), "AABAB");
    }

    #[test]
    fn stale_cursor_does_not_panic() {
        let d = servers(&[1, 1, 1]);
        let mut s = WrrState::new(&d);
        assert_eq!(run(&mut s, &d, 3), "ABC");
        assert_eq!(s.schedule(&d[..1]), Some(0));
    }
}
