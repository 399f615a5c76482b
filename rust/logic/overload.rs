// SPDX-License-Identifier: GPL-2.0
//! A real server's overload flag (`ipvsadm -x` upper and `-y` lower
//! connection thresholds), with upstream's hysteresis: the flag goes up
//! when the server's connections reach the upper threshold, and down
//! only when they fall below the lower one (by default three quarters of
//! the upper). Overloaded servers get no new connections.
//!
//! The connection count and the flag share one word ([`Load`]), so that
//! each change of the count decides the flag from the count it made, and
//! two changes at once cannot leave the flag where neither would.

/// A real server's connections (active plus inactive, upstream's
/// `totalconns`) in the low 32 bits, the overload flag above them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Load(u64);

const OVERLOADED: u64 = 1 << 32;

impl Load {
    /// No connections, not overloaded.
    pub const IDLE: Load = Load(0);

    /// From the word it is stored as.
    pub const fn from_bits(bits: u64) -> Self {
        Load(bits)
    }

    /// The word to store.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// The connections counted.
    pub const fn conns(self) -> u32 {
        self.0 as u32
    }

    /// Whether the server is overloaded.
    pub const fn overloaded(self) -> bool {
        self.0 & OVERLOADED != 0
    }

    const fn with(conns: u32, overloaded: bool) -> Self {
        Load(conns as u64 | if overloaded { OVERLOADED } else { 0 })
    }

    /// After one more connection: up once the count reaches `upper`.
    pub const fn added(self, upper: u32) -> Self {
        let conns = self.conns().wrapping_add(1);
        Self::with(conns, self.overloaded() || (upper != 0 && conns >= upper))
    }

    /// After one connection fewer: down once the count is below
    /// `lower_in_force`.
    pub const fn removed(self, lower_in_force: u32) -> Self {
        let conns = self.conns().wrapping_sub(1);
        Self::with(conns, self.overloaded() && conns >= lower_in_force)
    }

    /// Under new thresholds: the count now judged against both (no upper
    /// threshold, never overloaded).
    pub const fn rethresholded(self, upper: u32, lower_in_force: u32) -> Self {
        let conns = self.conns();
        let overloaded = if upper == 0 || conns < lower_in_force {
            false
        } else {
            conns >= upper || self.overloaded()
        };
        Self::with(conns, overloaded)
    }
}

/// The lower threshold in force: the one given, or 75% of the upper.
pub const fn lower_in_force(upper: u32, lower: u32) -> u32 {
    if lower != 0 {
        lower
    } else {
        upper - (upper >> 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drives the count through `counts` one connection at a time.
    fn walk(upper: u32, lower: u32, counts: &[u32]) -> std::vec::Vec<bool> {
        let l = lower_in_force(upper, lower);
        let mut load = Load::IDLE;
        let mut out = std::vec::Vec::new();
        for &c in counts {
            while load.conns() < c {
                load = load.added(upper);
            }
            while load.conns() > c {
                load = load.removed(l);
            }
            out.push(load.overloaded());
        }
        out
    }

    #[test]
    fn hysteresis_with_default_lower() {
        // Upper 8: up at 8, down below 6.
        let got = walk(8, 0, &[6, 7, 8, 9, 8, 7, 6, 5, 6, 7, 8]);
        assert_eq!(got, [false, false, true, true, true, true, true, false, false, false, true]);
    }

    #[test]
    fn explicit_lower_and_none() {
        let got = walk(4, 2, &[3, 4, 3, 2, 1, 2, 3]);
        assert_eq!(got, [false, true, true, true, false, false, false]);
        assert_eq!(walk(0, 0, &[1, 100]), [false, false]);
    }

    #[test]
    fn a_jump_past_the_thresholds_still_counts() {
        // Counts seen by racing CPUs may skip the exact threshold value.
        let over = Load::with(9, false).added(8);
        assert!(over.overloaded());
        let under = Load::with(4, true).removed(6);
        assert!(!under.overloaded());
    }

    #[test]
    fn new_thresholds_judge_the_count_now() {
        let l = lower_in_force(10, 0);
        assert!(Load::with(10, false).rethresholded(10, l).overloaded());
        assert!(Load::with(9, true).rethresholded(10, l).overloaded());
        assert!(!Load::with(9, false).rethresholded(10, l).overloaded());
        assert!(!Load::with(7, true).rethresholded(10, l).overloaded());
        assert!(!Load::with(50, true).rethresholded(0, 0).overloaded());
        assert_eq!(Load::with(50, true).rethresholded(0, 0).conns(), 50);
    }
}
