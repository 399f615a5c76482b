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

/// Where cursor `last` is after a server was put first in the list: on
/// the same server, one place further down.
pub fn after_insert_first(last: Option<usize>) -> Option<usize> {
    last.map(|l| l + 1)
}

/// Where cursor `last` is after the server at `removed` was taken out:
/// on the same server; if that was the one taken out, on the one before
/// it (`None`: before the first), so that the one after it comes next,
/// as upstream's rr moves its cursor.
pub fn after_removal(last: Option<usize>, removed: usize) -> Option<usize> {
    match last {
        Some(l) if removed < l => Some(l - 1),
        Some(l) if removed == l => l.checked_sub(1),
        other => other,
    }
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

    #[test]
    fn the_cursor_stays_on_its_server() {
        assert_eq!(after_insert_first(None), None);
        assert_eq!(after_insert_first(Some(2)), Some(3));
        // [a b c d], last b (1): removing a, b, c.
        assert_eq!(after_removal(Some(1), 0), Some(0));
        assert_eq!(after_removal(Some(1), 1), Some(0));
        assert_eq!(after_removal(Some(0), 0), None);
        assert_eq!(after_removal(Some(1), 2), Some(1));
        assert_eq!(after_removal(None, 0), None);
    }
}
