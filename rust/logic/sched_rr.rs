// SPDX-License-Identifier: GPL-2.0
//! Round-robin scheduling (thesis §4.1.1): each new connection goes to
//! the next usable server after the one chosen last, in list order.

/// The server after `last` (or the first, if none was chosen yet) that
/// is `usable` (weight above zero, not overloaded), going round the list
/// of `n` once; `None` if no server is usable.
pub fn next(last: Option<usize>, n: usize, usable: impl Fn(usize) -> bool) -> Option<usize> {
    let start = match last {
        Some(l) if l < n => l + 1,
        _ => 0,
    };
    (0..n).map(|k| (start + k) % n).find(|&i| usable(i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn cycles_and_skips_unusable_servers() {
        let weights = [1, 0, 3, 1];
        let mut last = None;
        let mut seq = Vec::new();
        for _ in 0..6 {
            last = next(last, weights.len(), |i| weights[i] > 0);
            seq.push(last.unwrap());
        }
        assert_eq!(seq, [0, 2, 3, 0, 2, 3]);
        assert_eq!(next(Some(7), 2, |_| true), Some(0), "stale cursor restarts");
        assert_eq!(next(None, 3, |_| false), None);
        assert_eq!(next(None, 0, |_| true), None);
    }
}
