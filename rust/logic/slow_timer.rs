// SPDX-License-Identifier: GPL-2.0
//! The slow timer (thesis §5.2.2): one tick a second drives three timing
//! wheels, so millions of connections need no kernel timer of their own.
//!
//! Wheel 0 has 1024 one-second slots and holds entries due within 2^10 s;
//! wheel 1 has 256 slots of 2^10 s (due within 2^18 s); wheel 2 has 256
//! slots of 2^18 s (due within 2^26 s, about two years; longer timeouts
//! are clamped). Each tick expires wheel 0's current slot; when wheel 0
//! turns over, the current slot of wheel 1 is cascaded down by its
//! entries' expiry time, and likewise wheel 2 into wheel 1. Arming,
//! re-arming and disarming are O(1).
//!
//! The wheels link entries intrusively: each entry embeds a [`TimerLink`]
//! and the owner of the entries gives access to it through
//! [`TimerEntries`], so the timer allocates nothing.

const W0_BITS: u32 = 10;
const W1_BITS: u32 = 8;
const W2_BITS: u32 = 8;
const W0_SLOTS: usize = 1 << W0_BITS;
const W1_SLOTS: usize = 1 << W1_BITS;
const W2_SLOTS: usize = 1 << W2_BITS;
/// First slot index of wheel 1 and wheel 2 in the flat slot array.
const W1_BASE: usize = W0_SLOTS;
const W2_BASE: usize = W0_SLOTS + W1_SLOTS;
/// Slots of the three wheels together: the length of the storage a
/// [`SlowTimer`] is given.
pub const WHEEL_SLOTS: usize = W0_SLOTS + W1_SLOTS + W2_SLOTS;
/// `slot` of an entry that is on no wheel.
const UNARMED: u16 = u16::MAX;

/// Longest timeout the wheels hold, in ticks; longer ones are clamped.
pub const MAX_TIMEOUT: u32 = (1 << (W0_BITS + W1_BITS + W2_BITS)) - 1;

/// The timer state each entry embeds.
#[derive(Clone, Copy, Debug)]
pub struct TimerLink<Id> {
    next: Option<Id>,
    prev: Option<Id>,
    expires: u32,
    slot: u16,
}

impl<Id> TimerLink<Id> {
    /// The state of an entry on no wheel.
    pub const fn new() -> Self {
        Self { next: None, prev: None, expires: 0, slot: UNARMED }
    }

    /// Whether the entry is on a wheel.
    pub const fn is_armed(&self) -> bool {
        self.slot != UNARMED
    }
}

impl<Id> Default for TimerLink<Id> {
    fn default() -> Self {
        Self::new()
    }
}

/// Access to the [`TimerLink`] of the entries a [`SlowTimer`] links.
pub trait TimerEntries {
    /// How an entry is named: an index, a handle, a pointer wrapper.
    type Id: Copy + PartialEq;
    /// The link embedded in entry `id`.
    fn link(&mut self, id: Self::Id) -> &mut TimerLink<Self::Id>;
}

/// Three timing wheels advanced by [`SlowTimer::tick`]. Their slot heads
/// live in `W`, which the owner allocates: 12 KiB for `u32` ids, more
/// than a kernel stack could carry while the timer is built and moved.
pub struct SlowTimer<Id, W> {
    now: u32,
    heads: W,
    _id: core::marker::PhantomData<Id>,
}

impl<Id: Copy + PartialEq, W: AsMut<[Option<Id>]>> SlowTimer<Id, W> {
    /// Empty wheels whose clock reads `now` ticks, their slot heads in
    /// `wheels` ([`WHEEL_SLOTS`] of them; any contents).
    pub fn new(now: u32, mut wheels: W) -> Self {
        wheels.as_mut().fill(None);
        Self { now, heads: wheels, _id: core::marker::PhantomData }
    }

    /// The clock, in ticks since it started (wraps after 2^32).
    pub const fn now(&self) -> u32 {
        self.now
    }

    /// Ticks until `link`'s entry expires, if it is armed.
    pub fn remaining(&self, link: &TimerLink<Id>) -> Option<u32> {
        link.is_armed().then(|| link.expires.wrapping_sub(self.now))
    }

    /// Arms entry `id` to expire `timeout` ticks from now (at least one,
    /// at most [`MAX_TIMEOUT`]); an armed entry is moved.
    pub fn arm<E: TimerEntries<Id = Id>>(&mut self, entries: &mut E, id: Id, timeout: u32) {
        self.disarm(entries, id);
        let expires = self.now.wrapping_add(timeout.clamp(1, MAX_TIMEOUT));
        entries.link(id).expires = expires;
        self.place(entries, id);
    }

    /// Takes entry `id` off its wheel; false if it was not armed.
    pub fn disarm<E: TimerEntries<Id = Id>>(&mut self, entries: &mut E, id: Id) -> bool {
        let link = entries.link(id);
        if !link.is_armed() {
            return false;
        }
        let (prev, next, slot) = (link.prev, link.next, link.slot as usize);
        link.prev = None;
        link.next = None;
        link.slot = UNARMED;
        match prev {
            Some(p) => entries.link(p).next = next,
            None => self.heads.as_mut()[slot] = next,
        }
        if let Some(n) = next {
            entries.link(n).prev = prev;
        }
        true
    }

    /// Advances the clock one tick and hands every entry that falls due to
    /// `expired`, disarmed; it returns `Some(timeout)` to arm the entry
    /// again (an entry still in use), `None` to let it go.
    pub fn tick<E, F>(&mut self, entries: &mut E, mut expired: F)
    where
        E: TimerEntries<Id = Id>,
        F: FnMut(&mut E, Id) -> Option<u32>,
    {
        self.now = self.now.wrapping_add(1);
        if self.now & (W0_SLOTS as u32 - 1) == 0 {
            let w1 = (self.now >> W0_BITS) as usize & (W1_SLOTS - 1);
            if w1 == 0 {
                let w2 = (self.now >> (W0_BITS + W1_BITS)) as usize & (W2_SLOTS - 1);
                self.cascade(entries, W2_BASE + w2);
            }
            self.cascade(entries, W1_BASE + w1);
        }
        let mut next = self.heads.as_mut()[self.now as usize & (W0_SLOTS - 1)].take();
        while let Some(id) = next {
            let link = entries.link(id);
            next = link.next;
            *link = TimerLink::new();
            if let Some(timeout) = expired(entries, id) {
                self.arm(entries, id, timeout);
            }
        }
    }

    /// Re-places every entry of `slot` by its expiry time.
    fn cascade<E: TimerEntries<Id = Id>>(&mut self, entries: &mut E, slot: usize) {
        let mut next = self.heads.as_mut()[slot].take();
        while let Some(id) = next {
            next = entries.link(id).next;
            self.place(entries, id);
        }
    }

    /// Pushes entry `id` on the slot its expiry time selects.
    fn place<E: TimerEntries<Id = Id>>(&mut self, entries: &mut E, id: Id) {
        let expires = entries.link(id).expires;
        let delta = expires.wrapping_sub(self.now);
        let slot = if delta < 1 << W0_BITS {
            expires as usize & (W0_SLOTS - 1)
        } else if delta < 1 << (W0_BITS + W1_BITS) {
            W1_BASE + ((expires >> W0_BITS) as usize & (W1_SLOTS - 1))
        } else {
            W2_BASE + ((expires >> (W0_BITS + W1_BITS)) as usize & (W2_SLOTS - 1))
        };
        let head = self.heads.as_mut()[slot].replace(id);
        if let Some(h) = head {
            entries.link(h).prev = Some(id);
        }
        let link = entries.link(id);
        link.next = head;
        link.prev = None;
        link.slot = slot as u16;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;
    use std::vec::Vec;

    /// Entries in a vector, named by index.
    struct Arena(Vec<TimerLink<usize>>);

    impl Arena {
        fn new(n: usize) -> Self {
            Self(vec![TimerLink::new(); n])
        }
    }

    impl TimerEntries for Arena {
        type Id = usize;
        fn link(&mut self, id: usize) -> &mut TimerLink<usize> {
            &mut self.0[id]
        }
    }

    fn timer(now: u32) -> SlowTimer<usize, Vec<Option<usize>>> {
        SlowTimer::new(now, vec![Some(7); WHEEL_SLOTS])
    }

    /// Ticks until `until`, returning (tick, id) for each expiry.
    fn run(t: &mut SlowTimer<usize, Vec<Option<usize>>>, a: &mut Arena, until: u32) -> Vec<(u32, usize)> {
        let mut out = Vec::new();
        while t.now() != until {
            let now = t.now().wrapping_add(1);
            t.tick(a, |_, id| {
                out.push((now, id));
                None
            });
        }
        out
    }

    #[test]
    fn each_wheel_expires_on_time() {
        let timeouts = [1, 2, 60, 1023, 1024, 1025, 2048, 900 + 1024 * 7, (1 << 18) - 1, 1 << 18, (1 << 18) + 1, 3_000_000];
        for start in [0u32, 5, 1023, 1024, (1 << 18) - 3, u32::MAX - 1_000_000] {
            let mut a = Arena::new(timeouts.len());
            let mut t = timer(start);
            for (id, &to) in timeouts.iter().enumerate() {
                t.arm(&mut a, id, to);
                assert_eq!(t.remaining(&a.0[id]), Some(to));
            }
            let fired = run(&mut t, &mut a, start.wrapping_add(3_000_001));
            let mut want: Vec<(u32, usize)> =
                timeouts.iter().enumerate().map(|(id, &to)| (start.wrapping_add(to), id)).collect();
            want.sort_by_key(|&(at, id)| (at.wrapping_sub(start), id));
            let mut got = fired.clone();
            got.sort_by_key(|&(at, id)| (at.wrapping_sub(start), id));
            assert_eq!(got, want, "start {start}");
            assert!(a.0.iter().all(|l| !l.is_armed()));
        }
    }

    #[test]
    fn longest_timeout_is_clamped_and_zero_means_one() {
        let mut a = Arena::new(2);
        let mut t = timer(77);
        t.arm(&mut a, 0, u32::MAX);
        t.arm(&mut a, 1, 0);
        assert_eq!(t.remaining(&a.0[0]), Some(MAX_TIMEOUT));
        assert_eq!(t.remaining(&a.0[1]), Some(1));
        assert_eq!(run(&mut t, &mut a, 78), vec![(78, 1)]);
        let fired = run(&mut t, &mut a, 77 + MAX_TIMEOUT);
        assert_eq!(fired, vec![(77 + MAX_TIMEOUT, 0)]);
    }

    #[test]
    fn disarm_and_rearm() {
        let mut a = Arena::new(4);
        let mut t = timer(0);
        for id in 0..4 {
            t.arm(&mut a, id, 10);
        }
        // Middle, head and tail of one slot's list.
        assert!(t.disarm(&mut a, 1));
        assert!(t.disarm(&mut a, 3));
        assert!(!t.disarm(&mut a, 3));
        assert!(!a.0[3].is_armed());
        t.arm(&mut a, 0, 5000); // re-arm moves it to wheel 1
        let fired = run(&mut t, &mut a, 5000);
        assert_eq!(fired, vec![(10, 2), (5000, 0)]);
    }

    #[test]
    fn expired_entries_can_be_armed_again() {
        let mut a = Arena::new(1);
        let mut t = timer(0);
        t.arm(&mut a, 0, 3);
        let mut at = Vec::new();
        for _ in 0..12 {
            let now = t.now() + 1;
            t.tick(&mut a, |_, _| {
                at.push(now);
                (at.len() < 3).then_some(3)
            });
        }
        assert_eq!(at, vec![3, 6, 9]);
        assert!(!a.0[0].is_armed());
    }

    /// Random arms, re-arms and disarms against a model of due times.
    #[test]
    fn matches_a_model_under_churn() {
        let n = 3000;
        let mut a = Arena::new(n);
        let mut t = timer(1_000_000);
        let mut due: Vec<Option<u32>> = vec![None; n];
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for _ in 0..300_000 {
            let r = next();
            let id = (r % n as u64) as usize;
            match r >> 60 {
                0..=5 => {
                    let to = match (r >> 32) % 4 {
                        0 => (r >> 40) as u32 % 1024 + 1,
                        1 => (r >> 40) as u32 % (1 << 18) + 1,
                        2 => (r >> 40) as u32 % 3_000_000 + 1,
                        _ => 60,
                    };
                    t.arm(&mut a, id, to);
                    due[id] = Some(t.now() + to);
                }
                6..=7 => {
                    assert_eq!(t.disarm(&mut a, id), due[id].is_some());
                    due[id] = None;
                }
                _ => {
                    let now = t.now() + 1;
                    t.tick(&mut a, |_, id| {
                        assert_eq!(due[id], Some(now), "entry {id}");
                        due[id] = None;
                        None
                    });
                }
            }
        }
        // Drain: everything still armed fires exactly when due.
        let horizon = due.iter().flatten().max().copied().unwrap_or(t.now());
        for (at, id) in run(&mut t, &mut a, horizon) {
            assert_eq!(due[id], Some(at));
            due[id] = None;
        }
        assert!(due.iter().all(Option::is_none));
    }
}
