// SPDX-License-Identifier: GPL-2.0
//! One stripe of the connection table (thesis §5.2.1, §5.2.5): hash
//! chains over a slab of entries, and the slow timer that expires them.
//!
//! The table is cut into stripes, each behind its own lock, so the two
//! directions of many connections are handled on several CPUs at once.
//! A stripe owns the buckets whose number is congruent to its index; its
//! entries live in a slab (named by `u32` index, vacant slots on a free
//! list) and are linked into their bucket's chain and onto the stripe's
//! timing wheels intrusively, so a lookup, a state change and re-arming
//! the timeout are all done under one lock with no allocation but the
//! slab's growth.
//!
//! The stripe is generic over what an entry carries and over the slab's
//! storage, so the kernel keeps its own allocation rules and the host
//! tests use a `Vec`.

use crate::slow_timer::{SlowTimer, TimerEntries, TimerLink};

/// End of a chain or of the free list.
const NIL: u32 = u32::MAX;

/// A slab slot: an entry, or a vacant place on the free list.
pub struct Slot<T> {
    link: TimerLink<u32>,
    /// Next entry of the bucket chain, or next vacant slot.
    next: u32,
    entry: Option<T>,
}

impl<T> Slot<T> {
    const fn vacant(next: u32) -> Self {
        Self { link: TimerLink::new(), next, entry: None }
    }
}

/// Growable storage of slots.
pub trait SlotStore<T> {
    /// Number of slots.
    fn len(&self) -> usize;
    /// Whether there are no slots.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Slot `index`, which is below [`Self::len`].
    fn at(&mut self, index: usize) -> &mut Slot<T>;
    /// Slot `index`, for reading.
    fn get(&self, index: usize) -> &Slot<T>;
    /// Appends a slot; false if memory is short.
    fn push(&mut self, slot: Slot<T>) -> bool;
}

/// The slab and the chains: what the timer's callbacks may touch.
struct Entries<T, S, H> {
    slots: S,
    heads: H,
    free: u32,
    len: usize,
    _entry: core::marker::PhantomData<T>,
}

impl<T, S: SlotStore<T>, H> TimerEntries for Entries<T, S, H> {
    type Id = u32;
    fn link(&mut self, id: u32) -> &mut TimerLink<u32> {
        &mut self.slots.at(id as usize).link
    }
}

impl<T, S: SlotStore<T>, H: AsMut<[u32]>> Entries<T, S, H> {
    /// Unlinks entry `id` from chain `bucket` and frees its slot.
    fn remove(&mut self, bucket: usize, id: u32) -> Option<T> {
        let next = self.slots.at(id as usize).next;
        let head = &mut self.heads.as_mut()[bucket];
        if *head == id {
            *head = next;
        } else {
            let mut cur = *head;
            while cur != NIL {
                let slot = self.slots.at(cur as usize);
                if slot.next == id {
                    slot.next = next;
                    break;
                }
                cur = slot.next;
            }
        }
        let slot = self.slots.at(id as usize);
        slot.next = self.free;
        self.free = id;
        self.len -= 1;
        slot.entry.take()
    }
}

/// What the expiry callback decides for an entry that fell due.
pub enum Expiry {
    /// Keep it, due again in this many ticks.
    Rearm(u32),
    /// Remove it from the table.
    Remove,
}

/// One stripe: buckets `index + k * stripes` of the table.
pub struct ConnShard<T, S, H, W> {
    entries: Entries<T, S, H>,
    timer: SlowTimer<u32, W>,
}

impl<T, S: SlotStore<T>, H: AsMut<[u32]> + AsRef<[u32]>, W: AsMut<[Option<u32>]>> ConnShard<T, S, H, W> {
    /// A stripe over empty `slots`, with `heads` (any contents) as its
    /// bucket heads and `wheels` as its timer's slots
    /// ([`crate::slow_timer::WHEEL_SLOTS`] of them, any contents), whose
    /// clock reads `now`.
    pub fn new(slots: S, mut heads: H, wheels: W, now: u32) -> Self {
        heads.as_mut().fill(NIL);
        Self {
            entries: Entries { slots, heads, free: NIL, len: 0, _entry: core::marker::PhantomData },
            timer: SlowTimer::new(now, wheels),
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len
    }

    /// Whether the stripe holds no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.len == 0
    }

    /// Adds `entry` to chain `bucket` (an index into the heads), expiring
    /// `timeout` ticks from now; gives it back if memory is short.
    pub fn insert(&mut self, bucket: usize, entry: T, timeout: u32) -> Result<u32, T> {
        let e = &mut self.entries;
        let id = if e.free != NIL {
            let id = e.free;
            e.free = e.slots.at(id as usize).next;
            e.slots.at(id as usize).entry = Some(entry);
            id
        } else {
            let Ok(id) = u32::try_from(e.slots.len()) else { return Err(entry) };
            if id == NIL {
                return Err(entry);
            }
            if !e.slots.push(Slot::vacant(NIL)) {
                return Err(entry);
            }
            e.slots.at(id as usize).entry = Some(entry);
            id
        };
        let head = &mut e.heads.as_mut()[bucket];
        let next = *head;
        *head = id;
        e.slots.at(id as usize).next = next;
        e.len += 1;
        self.timer.arm(e, id, timeout);
        Ok(id)
    }

    /// The first entry of chain `bucket` that `matches`, with its id.
    pub fn find(&mut self, bucket: usize, mut matches: impl FnMut(&T) -> bool) -> Option<(u32, &mut T)> {
        let mut cur = self.entries.heads.as_ref()[bucket];
        while cur != NIL {
            let slot = self.entries.slots.get(cur as usize);
            if slot.entry.as_ref().is_some_and(&mut matches) {
                break;
            }
            cur = slot.next;
        }
        if cur == NIL {
            return None;
        }
        let entry = self.entries.slots.at(cur as usize).entry.as_mut()?;
        Some((cur, entry))
    }

    /// Makes entry `id` expire `timeout` ticks from now.
    pub fn rearm(&mut self, id: u32, timeout: u32) {
        self.timer.arm(&mut self.entries, id, timeout);
    }

    /// Ticks until entry `id` expires.
    pub fn remaining(&self, id: u32) -> Option<u32> {
        self.timer.remaining(&self.entries.slots.get(id as usize).link)
    }

    /// Advances the clock one tick. `expired` sees each entry that fell
    /// due; those it does not re-arm are removed and handed to `removed`.
    pub fn tick(
        &mut self,
        mut expired: impl FnMut(&mut T) -> Expiry,
        mut removed: impl FnMut(T),
        bucket_of: impl Fn(&T) -> usize,
    ) {
        self.timer.tick(&mut self.entries, |e, id| {
            let entry = e.slots.at(id as usize).entry.as_mut()?;
            match expired(entry) {
                Expiry::Rearm(timeout) => Some(timeout),
                Expiry::Remove => {
                    let bucket = bucket_of(entry);
                    if let Some(entry) = e.remove(bucket, id) {
                        removed(entry);
                    }
                    None
                }
            }
        });
    }

    /// Removes entry `id` of chain `bucket` (found with [`Self::find`])
    /// at once, off its chain and its timer.
    pub fn remove(&mut self, bucket: usize, id: u32) -> Option<T> {
        self.timer.disarm(&mut self.entries, id);
        self.entries.remove(bucket, id)
    }

    /// Removes every entry `remove` picks (it sees each with its
    /// remaining ticks), handing each to `removed`.
    pub fn remove_if(&mut self, mut remove: impl FnMut(&T, u32) -> bool, mut removed: impl FnMut(T), bucket_of: impl Fn(&T) -> usize) {
        for id in 0..self.entries.slots.len() as u32 {
            let slot = self.entries.slots.get(id as usize);
            let Some(entry) = slot.entry.as_ref() else { continue };
            if !remove(entry, self.timer.remaining(&slot.link).unwrap_or(0)) {
                continue;
            }
            let bucket = bucket_of(entry);
            self.timer.disarm(&mut self.entries, id);
            if let Some(entry) = self.entries.remove(bucket, id) {
                removed(entry);
            }
        }
    }

    /// Calls `f` on every entry with its remaining ticks.
    pub fn for_each(&self, mut f: impl FnMut(&T, u32)) {
        for id in 0..self.entries.slots.len() {
            let slot = self.entries.slots.get(id);
            if let Some(entry) = slot.entry.as_ref() {
                f(entry, self.timer.remaining(&slot.link).unwrap_or(0));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slow_timer::WHEEL_SLOTS;
    use std::vec;
    use std::vec::Vec;

    impl<T> SlotStore<T> for Vec<Slot<T>> {
        fn len(&self) -> usize {
            Vec::len(self)
        }
        fn at(&mut self, index: usize) -> &mut Slot<T> {
            &mut self[index]
        }
        fn get(&self, index: usize) -> &Slot<T> {
            &self[index]
        }
        fn push(&mut self, slot: Slot<T>) -> bool {
            Vec::push(self, slot);
            true
        }
    }

    /// Entries are (bucket, key).
    type Shard = ConnShard<(usize, u32), Vec<Slot<(usize, u32)>>, Vec<u32>, Vec<Option<u32>>>;

    fn shard(buckets: usize) -> Shard {
        ConnShard::new(Vec::new(), vec![0; buckets], vec![Some(3); WHEEL_SLOTS], 0)
    }

    fn tick_all(s: &mut Shard, out: &mut Vec<u32>) {
        s.tick(|_| Expiry::Remove, |(_, k)| out.push(k), |&(b, _)| b);
    }

    #[test]
    fn insert_find_and_expire() {
        let mut s = shard(4);
        for k in 0..10u32 {
            s.insert(k as usize % 4, (k as usize % 4, k), 1 + k % 3).unwrap();
        }
        assert_eq!(s.len(), 10);
        assert!(s.find(1, |&(_, k)| k == 5).is_some());
        assert!(s.find(2, |&(_, k)| k == 5).is_none());
        let mut gone = Vec::new();
        tick_all(&mut s, &mut gone);
        gone.sort();
        assert_eq!(gone, vec![0, 3, 6, 9]);
        assert!(s.find(0, |&(_, k)| k == 0).is_none());
        assert!(s.find(1, |&(_, k)| k == 1).is_some());
        tick_all(&mut s, &mut gone);
        tick_all(&mut s, &mut gone);
        assert_eq!(gone.len(), 10);
        assert!(s.is_empty());
    }

    #[test]
    fn rearm_keeps_entries_and_slots_are_reused() {
        let mut s = shard(2);
        let a = s.insert(0, (0, 1), 2).unwrap();
        let b = s.insert(0, (0, 2), 2).unwrap();
        let mut gone = Vec::new();
        tick_all(&mut s, &mut gone);
        s.rearm(a, 5);
        assert_eq!(s.remaining(a), Some(5));
        tick_all(&mut s, &mut gone);
        assert_eq!(gone, vec![2]);
        let c = s.insert(1, (1, 3), 1).unwrap();
        assert_eq!(c, b, "the freed slot is reused");
        s.tick(|e| if e.1 == 3 { Expiry::Rearm(4) } else { Expiry::Remove }, |(_, k)| gone.push(k), |&(b, _)| b);
        assert_eq!(s.remaining(c), Some(4));
        assert!(s.find(1, |&(_, k)| k == 3).is_some());
    }

    #[test]
    fn remove_takes_one_entry_off_chain_and_timer() {
        let mut s = shard(1);
        for k in 0..3 {
            s.insert(0, (0, k), 5).unwrap();
        }
        let (id, _) = s.find(0, |&(_, k)| k == 1).unwrap();
        assert_eq!(s.remove(0, id), Some((0, 1)));
        assert!(s.find(0, |&(_, k)| k == 1).is_none());
        assert_eq!(s.len(), 2);
        let mut gone = Vec::new();
        for _ in 0..5 {
            tick_all(&mut s, &mut gone);
        }
        gone.sort();
        assert_eq!(gone, vec![0, 2], "the removed entry is off the timer");
    }

    #[test]
    fn remove_if_unlinks_from_chains_and_timer() {
        let mut s = shard(1);
        for k in 0..6 {
            s.insert(0, (0, k), 10).unwrap();
        }
        let mut gone = Vec::new();
        s.remove_if(
            |&(_, k), left| {
                assert_eq!(left, 10, "each entry with its remaining ticks");
                k % 2 == 1
            },
            |(_, k)| gone.push(k),
            |&(b, _)| b,
        );
        gone.sort();
        assert_eq!(gone, vec![1, 3, 5]);
        let mut left = Vec::new();
        s.for_each(|&(_, k), rem| left.push((k, rem)));
        left.sort();
        assert_eq!(left, vec![(0, 10), (2, 10), (4, 10)]);
        for _ in 0..10 {
            tick_all(&mut s, &mut gone);
        }
        assert_eq!(gone.len(), 6);
        assert!(s.is_empty());
    }
}
