// SPDX-License-Identifier: GPL-2.0
//! A real server's overload flag (`ipvsadm -x` upper and `-y` lower
//! connection thresholds), with upstream's hysteresis: the flag goes up
//! when the server's connections reach the upper threshold, and down
//! only when they fall below the lower one (by default three quarters of
//! the upper). Overloaded servers get no new connections.

/// What moved the connection count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// A connection was added and the count reached the upper threshold.
    Reached,
    /// A connection went and the count fell below the lower threshold.
    FellBelow,
    /// The thresholds were set anew.
    Thresholds,
}

/// The lower threshold in force: the one given, or 75% of the upper.
pub fn lower_in_force(upper: u32, lower: u32) -> u32 {
    if lower != 0 {
        lower
    } else {
        upper - (upper >> 2)
    }
}

/// The flag after `change`, with `conns` connections now (upstream's
/// `__ip_vs_dest_update_overload`).
pub fn update(overloaded: bool, conns: u32, upper: u32, lower_in_force: u32, change: Change) -> bool {
    if upper == 0 {
        return false;
    }
    let (set_at, keep_at) = match change {
        Change::Reached => (lower_in_force, lower_in_force),
        Change::FellBelow => (upper, upper),
        Change::Thresholds => (upper, lower_in_force),
    };
    if conns >= set_at {
        true
    } else if conns >= keep_at {
        overloaded
    } else {
        false
    }
}

/// Whether adding a connection that made the count `conns` calls for an
/// update.
pub fn reached(conns: u32, upper: u32) -> bool {
    conns == upper
}

/// Whether removing a connection from a count of `before` calls for one.
pub fn fell_below(before: u32, lower_in_force: u32) -> bool {
    before == lower_in_force
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drives the flag through `conns` counts as upstream's hooks would.
    fn walk(upper: u32, lower: u32, counts: &[u32]) -> std::vec::Vec<bool> {
        let l = lower_in_force(upper, lower);
        let mut flag = false;
        let mut prev = 0;
        let mut out = std::vec::Vec::new();
        for &c in counts {
            if c > prev && reached(c, upper) {
                flag = update(flag, c, upper, l, Change::Reached);
            } else if c < prev && fell_below(prev, l) {
                flag = update(flag, c, upper, l, Change::FellBelow);
            }
            prev = c;
            out.push(flag);
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
    fn new_thresholds_judge_the_count_now() {
        let l = lower_in_force(10, 0);
        assert!(update(false, 10, 10, l, Change::Thresholds));
        assert!(update(true, 9, 10, l, Change::Thresholds));
        assert!(!update(false, 9, 10, l, Change::Thresholds));
        assert!(!update(true, 7, 10, l, Change::Thresholds));
        assert!(!update(true, 50, 0, 0, Change::Thresholds));
    }
}
