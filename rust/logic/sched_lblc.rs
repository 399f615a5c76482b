// SPDX-License-Identifier: GPL-2.0
//! Locality-based least-connection scheduling (thesis §4.1, §6.3.5):
//! `lblc` sends the requests for one destination address (the address a
//! client asked for, as in a transparent cache cluster) to the server
//! that served it before, unless that server is overloaded and another
//! is half idle; then to the least loaded server, which takes the
//! address over. `lblcr` keeps a *set* of servers per address instead:
//! an overloaded set grows by the least loaded server, and a set that
//! has not changed for the expiration time sheds its most loaded one.
//! Upstream's `ip_vs_lblc.c` / `ip_vs_lblcr.c` are the behaviour.
//!
//! The cache is a fixed table of [`CACHE_SLOTS`] entries per service,
//! open-addressed over a window of [`PROBES`] slots: its memory is
//! bounded and it never allocates in softirq context. When a window is
//! full, the entry used longest ago gives way; an entry unused for the
//! expiration time (sysctl `lblc_expiration` / `lblcr_expiration`, 24 h)
//! counts as absent, as upstream's periodic sweep would have removed it.
//! Servers are named by their index in the service's list; the core
//! tells the scheduler of every edit of the list ([`remap`]). A set
//! holds at most [`SET_MAX`] servers (upstream's is unbounded).

use crate::sched_input::DestInfo;

/// Entries per service.
pub const CACHE_SLOTS: usize = 1024;
/// Slots an address may occupy, from its hash on.
pub const PROBES: usize = 8;
/// Servers an lblcr set holds at most.
pub const SET_MAX: usize = 8;

/// One destination address and its server(s).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Whether the slot holds an entry.
    pub used: bool,
    /// The destination address (IPv4 in the first four bytes).
    pub addr: [u8; 16],
    /// When a request for it last came, seconds.
    pub last_use: u32,
    /// When its set last changed, seconds (lblcr).
    pub set_mod: u32,
    /// How many servers `set` holds.
    pub len: u8,
    /// Its servers, newest first (lblc: only `set[0]`).
    pub set: [u16; SET_MAX],
}

impl Entry {
    /// An unused slot.
    pub const EMPTY: Entry = Entry { used: false, addr: [0; 16], last_use: 0, set_mod: 0, len: 0, set: [0; SET_MAX] };

    fn new(addr: &[u8; 16], dest: usize, now: u32) -> Self {
        let mut set = [0; SET_MAX];
        set[0] = dest as u16;
        Entry { used: true, addr: *addr, last_use: now, set_mod: now, len: 1, set }
    }

    fn servers(&self) -> &[u16] {
        &self.set[..self.len as usize]
    }

    /// Puts `dest` first in the set unless it is there or the set is
    /// full.
    fn insert(&mut self, dest: usize, now: u32) {
        if self.servers().contains(&(dest as u16)) || self.len as usize == SET_MAX {
            return;
        }
        self.set.copy_within(0..self.len as usize, 1);
        self.set[0] = dest as u16;
        self.len += 1;
        self.set_mod = now;
    }

    fn erase(&mut self, dest: usize, now: u32) {
        if let Some(i) = self.servers().iter().position(|&d| d as usize == dest) {
            self.set.copy_within(i + 1..self.len as usize, i);
            self.len -= 1;
            self.set_mod = now;
        }
    }
}

/// How the service's list of servers changed, for [`remap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListEdit {
    /// A server was put first: every index moves up one.
    InsertedFirst,
    /// The server at this index was taken out.
    Removed(usize),
}

/// Renames the servers of every entry after `edit`; an entry left
/// without servers goes.
pub fn remap(cache: &mut [Entry], edit: ListEdit) {
    for e in cache.iter_mut().filter(|e| e.used) {
        match edit {
            ListEdit::InsertedFirst => e.set[..e.len as usize].iter_mut().for_each(|d| *d += 1),
            ListEdit::Removed(i) => {
                let mut kept = 0;
                for k in 0..e.len as usize {
                    let d = e.set[k] as usize;
                    if d != i {
                        e.set[kept] = if d > i { d as u16 - 1 } else { d as u16 };
                        kept += 1;
                    }
                }
                e.len = kept as u8;
                e.used = kept > 0;
            }
        }
    }
}

/// Upstream's hash of a destination address: the address folded to 32
/// bits, times the golden ratio prime.
fn home(addr: &[u8; 16]) -> usize {
    let fold = addr.chunks_exact(4).fold(0u32, |acc, w| acc ^ u32::from_be_bytes([w[0], w[1], w[2], w[3]]));
    (fold.wrapping_mul(2_654_435_761) as usize) % CACHE_SLOTS
}

fn window(addr: &[u8; 16]) -> impl Iterator<Item = usize> {
    let start = home(addr);
    (0..PROBES).map(move |k| (start + k) % CACHE_SLOTS)
}

fn expired(e: &Entry, now: u32, expiration: u32) -> bool {
    now.wrapping_sub(e.last_use) > expiration
}

/// The slot of `addr`'s live entry.
fn find(cache: &mut [Entry], addr: &[u8; 16], now: u32, expiration: u32) -> Option<usize> {
    let slot = window(addr).find(|&s| cache[s].used && &cache[s].addr == addr)?;
    if expired(&cache[slot], now, expiration) {
        cache[slot].used = false;
        return None;
    }
    Some(slot)
}

/// A slot for a new entry of `addr`: a free or expired one in its
/// window, else the one used longest ago.
fn free_slot(cache: &[Entry], addr: &[u8; 16], now: u32, expiration: u32) -> usize {
    window(addr)
        .find(|&s| !cache[s].used || expired(&cache[s], now, expiration))
        .or_else(|| window(addr).max_by_key(|&s| now.wrapping_sub(cache[s].last_use)))
        .unwrap_or_else(|| home(addr))
}

/// Upstream's `is_overloaded`: the server has more active connections
/// than its weight while another has fewer than half its weight.
fn is_overloaded(dest: &DestInfo, dests: &[DestInfo]) -> bool {
    dest.active_conns() > dest.weight && dests.iter().any(|d| d.active_conns().wrapping_mul(2) < d.weight)
}

/// Upstream's `__ip_vs_lblc_schedule` (and lblcr's, the same): the first
/// server with weight above zero not over its threshold, then any with
/// a smaller load per weight.
pub fn least_loaded(dests: &[DestInfo]) -> Option<usize> {
    let first = dests.iter().position(|d| !d.overloaded && d.weight > 0)?;
    let mut least = first;
    for (i, d) in dests.iter().enumerate().skip(first + 1) {
        if d.overloaded {
            continue;
        }
        let (l, loh) = (&dests[least], i64::from(dests[least].conn_overhead()));
        if loh * i64::from(d.weight) > i64::from(d.conn_overhead()) * i64::from(l.weight) {
            least = i;
        }
    }
    Some(least)
}

/// The least loaded server of a set (upstream's `ip_vs_dest_set_min`).
fn set_min(set: &[u16], dests: &[DestInfo]) -> Option<usize> {
    let usable = |&&d: &&u16| dests.get(d as usize).is_some_and(|x| !x.overloaded);
    let mut rest = set.iter().filter(usable).map(|&d| d as usize);
    let mut least = rest.by_ref().find(|&d| dests[d].weight > 0)?;
    for d in rest {
        let loh = i64::from(dests[least].conn_overhead());
        if loh * i64::from(dests[d].weight) > i64::from(dests[d].conn_overhead()) * i64::from(dests[least].weight) {
            least = d;
        }
    }
    Some(least)
}

/// The most loaded server of a set (upstream's `ip_vs_dest_set_max`).
fn set_max(set: &[u16], dests: &[DestInfo]) -> Option<usize> {
    let mut rest = set.iter().map(|&d| d as usize).filter(|&d| d < dests.len());
    let mut most = rest.by_ref().find(|&d| dests[d].weight > 0)?;
    for d in rest {
        let moh = i64::from(dests[most].conn_overhead());
        if dests[d].weight > 0 && moh * i64::from(dests[d].weight) < i64::from(dests[d].conn_overhead()) * i64::from(dests[most].weight) {
            most = d;
        }
    }
    Some(most)
}

/// lblc: the server for a new connection to destination `daddr` at
/// `now` (seconds).
pub fn lblc(cache: &mut [Entry], dests: &[DestInfo], daddr: &[u8; 16], now: u32, expiration: u32) -> Option<usize> {
    if let Some(s) = find(cache, daddr, now, expiration) {
        cache[s].last_use = now;
        let d = cache[s].set[0] as usize;
        if dests.get(d).is_some_and(|x| x.weight > 0 && !is_overloaded(x, dests)) {
            return Some(d);
        }
    }
    let d = least_loaded(dests)?;
    match find(cache, daddr, now, expiration) {
        Some(s) if cache[s].set[0] as usize == d => {}
        Some(s) => cache[s] = Entry::new(daddr, d, now),
        None => {
            let s = free_slot(cache, daddr, now, expiration);
            cache[s] = Entry::new(daddr, d, now);
        }
    }
    Some(d)
}

/// lblcr: the server for a new connection to destination `daddr` at
/// `now` (seconds).
pub fn lblcr(cache: &mut [Entry], dests: &[DestInfo], daddr: &[u8; 16], now: u32, expiration: u32) -> Option<usize> {
    let Some(s) = find(cache, daddr, now, expiration) else {
        let d = least_loaded(dests)?;
        let s = free_slot(cache, daddr, now, expiration);
        cache[s] = Entry::new(daddr, d, now);
        return Some(d);
    };
    let e = &mut cache[s];
    e.last_use = now;
    let min = set_min(e.servers(), dests);
    // A set unchanged for the expiration time sheds its most loaded.
    if e.len > 1 && now.wrapping_sub(e.set_mod) as i32 > expiration as i32 {
        if let Some(m) = set_max(e.servers(), dests) {
            e.erase(m, now);
        }
    }
    if let Some(d) = min.filter(|&d| !is_overloaded(&dests[d], dests)) {
        return Some(d);
    }
    let d = least_loaded(dests)?;
    e.insert(d, now);
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;
    use std::vec::Vec;

    const DAY: u32 = 86_400;

    fn addr(n: u8) -> [u8; 16] {
        let mut a = [0; 16];
        a[..4].copy_from_slice(&[10, 0, 0, n]);
        a
    }

    fn dests(weights: &[i32]) -> Vec<DestInfo> {
        weights.iter().enumerate().map(|(i, &w)| DestInfo::v4([10, 0, i as u8 + 1, 2], 80, w)).collect()
    }

    fn cache() -> Vec<Entry> {
        vec![Entry::EMPTY; CACHE_SLOTS]
    }

    #[test]
    fn lblc_keeps_an_address_until_overloaded() {
        let mut c = cache();
        let mut d = dests(&[1, 1, 1]);
        // The first choice is least loaded: ties go to the first server.
        assert_eq!(lblc(&mut c, &d, &addr(100), 0, DAY), Some(0));
        d[0].active = 1;
        // Loaded, but not over its weight: it keeps the address.
        assert_eq!(lblc(&mut c, &d, &addr(100), 1, DAY), Some(0));
        // Another address goes to the least loaded.
        assert_eq!(lblc(&mut c, &d, &addr(101), 1, DAY), Some(1));
        d[0].active = 2;
        // Over its weight while others idle: the address moves to the
        // least loaded (the first of equals), for good.
        assert_eq!(lblc(&mut c, &d, &addr(100), 2, DAY), Some(1));
        d[0].active = 0;
        assert_eq!(lblc(&mut c, &d, &addr(100), 3, DAY), Some(1));
    }

    #[test]
    fn lblc_not_overloaded_while_no_server_is_half_idle() {
        let mut c = cache();
        let mut d = dests(&[1, 1]);
        assert_eq!(lblc(&mut c, &d, &addr(100), 0, DAY), Some(0));
        d[0].active = 5;
        d[1].active = 1;
        assert_eq!(lblc(&mut c, &d, &addr(100), 1, DAY), Some(0));
    }

    #[test]
    fn lblc_quiesced_and_expired_entries() {
        let mut c = cache();
        let mut d = dests(&[1, 1]);
        assert_eq!(lblc(&mut c, &d, &addr(7), 0, 10), Some(0));
        d[0].weight = 0;
        assert_eq!(lblc(&mut c, &d, &addr(7), 1, 10), Some(1));
        d[0].weight = 1;
        d[1].inactive = 1;
        // Unused for longer than the expiration: scheduled afresh.
        assert_eq!(lblc(&mut c, &d, &addr(7), 12, 10), Some(0));
    }

    #[test]
    fn lblcr_grows_and_sheds() {
        let mut c = cache();
        let mut d = dests(&[1, 1, 1]);
        assert_eq!(lblcr(&mut c, &d, &addr(100), 0, 60), Some(0));
        d[0].active = 2;
        // Overloaded: the set grows by the least loaded server.
        assert_eq!(lblcr(&mut c, &d, &addr(100), 1, 60), Some(1));
        d[1].active = 1;
        // Both in the set; the least loaded of it serves.
        assert_eq!(lblcr(&mut c, &d, &addr(100), 2, 60), Some(1));
        let s = find(&mut c, &addr(100), 2, 60).unwrap();
        assert_eq!(c[s].servers(), &[1, 0]);
        // Used, but unchanged for longer than the expiration: the most
        // loaded goes.
        assert_eq!(lblcr(&mut c, &d, &addr(100), 50, 60), Some(1));
        let s = find(&mut c, &addr(100), 50, 60).unwrap();
        assert_eq!(c[s].servers(), &[1, 0]);
        assert_eq!(lblcr(&mut c, &d, &addr(100), 100, 60), Some(1));
        let s = find(&mut c, &addr(100), 100, 60).unwrap();
        assert_eq!(c[s].servers(), &[1]);
    }

    #[test]
    fn remap_follows_the_list() {
        let mut c = cache();
        let d = dests(&[1, 1, 1]);
        assert_eq!(lblc(&mut c, &d, &addr(1), 0, DAY), Some(0));
        remap(&mut c, ListEdit::InsertedFirst);
        let s = find(&mut c, &addr(1), 0, DAY).unwrap();
        assert_eq!(c[s].servers(), &[1]);
        remap(&mut c, ListEdit::Removed(0));
        assert_eq!(c[s].servers(), &[0]);
        remap(&mut c, ListEdit::Removed(0));
        assert!(find(&mut c, &addr(1), 0, DAY).is_none());
    }

    #[test]
    fn full_window_evicts_the_oldest() {
        let mut c = cache();
        let d = dests(&[1]);
        // Addresses that share a home slot: fill its window.
        let target = home(&addr(1));
        let mut same: Vec<[u8; 16]> = Vec::new();
        let mut n = 0u32;
        while same.len() < PROBES + 1 {
            let mut a = [0; 16];
            a[..4].copy_from_slice(&n.to_be_bytes());
            if home(&a) == target {
                same.push(a);
            }
            n += 1;
        }
        for (t, a) in same.iter().take(PROBES).enumerate() {
            lblc(&mut c, &d, a, t as u32, DAY);
        }
        lblc(&mut c, &d, &same[PROBES], 100, DAY);
        assert!(find(&mut c, &same[0], 100, DAY).is_none());
        assert!(find(&mut c, &same[1], 100, DAY).is_some());
        assert!(find(&mut c, &same[PROBES], 100, DAY).is_some());
    }
}
