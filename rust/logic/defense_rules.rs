// SPDX-License-Identifier: GPL-2.0
//! Defences against denial of service (thesis §5.2.9), as upstream's
//! `update_defense_level`, `ip_vs_todrop` and `ip_vs_random_dropentry`.
//!
//! A flood of new connections can fill the director's memory with
//! connection entries. Three defences, each switched by a sysctl, trade
//! some connections for the rest: `drop_entry` drops random entries
//! that have not proved themselves, `drop_packet` drops one in so many
//! packets that would open a connection, `secure_tcp` moves TCP
//! connections by a stricter state table so spoofed packets hold entries
//! only briefly. Each sysctl has upstream's four modes:
//!
//! - 0: off;
//! - 1: automatic, off now: on (and the sysctl becomes 2) once the free
//!   memory falls below `amemthresh` pages;
//! - 2: automatic, on now: off again (the sysctl back to 1) once memory
//!   is above the threshold;
//! - 3: always on (`drop_packet` then drops one in `am_droprate`).

use core::sync::atomic::{AtomicI32, Ordering};

/// The defence sysctls' modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Modes {
    /// `drop_entry`.
    pub drop_entry: i32,
    /// `drop_packet`.
    pub drop_packet: i32,
    /// `secure_tcp`.
    pub secure_tcp: i32,
}

/// What the defences do until the next assessment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Level {
    /// Random entries are dropped.
    pub drop_entries: bool,
    /// One in this many new connections is dropped; 0: none.
    pub drop_rate: i32,
    /// Where the count of new connections to the next drop restarts
    /// (`None`: it goes on).
    pub drop_counter: Option<i32>,
    /// TCP follows the secure state table.
    pub secure_tcp: bool,
}

/// Upstream's default `amemthresh`, in pages.
pub const AMEMTHRESH_DEFAULT: i32 = 1024;
/// Upstream's default `am_droprate`.
pub const AM_DROPRATE_DEFAULT: i32 = 10;

/// The defences for `modes` with `avail` pages of free memory: the level
/// and the modes the sysctls change to (an automatic mode follows the
/// memory between 1 and 2).
pub fn assess(modes: Modes, avail: i64, amemthresh: i32, am_droprate: i32) -> (Modes, Level) {
    let threshold = i64::from(amemthresh.max(0));
    let low = avail < threshold;
    let follow = |mode: i32| match mode {
        1 | 2 if low => 2,
        1 | 2 => 1,
        other => other,
    };
    let new = Modes {
        drop_entry: follow(modes.drop_entry),
        drop_packet: follow(modes.drop_packet),
        secure_tcp: follow(modes.secure_tcp),
    };
    // The scarcer the memory, the more packets dropped: one in
    // threshold / (threshold - avail).
    let scarcity = if low { (threshold / (threshold - avail)).min(i64::from(i32::MAX)) as i32 } else { 0 };
    let (drop_rate, drop_counter) = match new.drop_packet {
        2 => (scarcity, Some(scarcity)),
        3 => (am_droprate, None),
        _ => (0, None),
    };
    let level = Level {
        drop_entries: new.drop_entry >= 2,
        drop_rate,
        drop_counter,
        secure_tcp: new.secure_tcp >= 2,
    };
    (new, level)
}

/// `drop_packet`'s rate and count, shared by every CPU's packets.
pub struct PacketDrop {
    rate: AtomicI32,
    counter: AtomicI32,
}

impl PacketDrop {
    /// Drops nothing.
    pub const fn new() -> Self {
        Self { rate: AtomicI32::new(0), counter: AtomicI32::new(0) }
    }

    /// Takes in a new assessment.
    pub fn set(&self, level: &Level) {
        if let Some(counter) = level.drop_counter {
            self.counter.store(counter, Ordering::Relaxed);
        }
        self.rate.store(level.drop_rate, Ordering::Relaxed);
    }

    /// Whether the packet opening a new connection is dropped: every
    /// `rate`-th one is.
    pub fn drops(&self) -> bool {
        let rate = self.rate.load(Ordering::Relaxed);
        if rate == 0 || self.counter.fetch_sub(1, Ordering::Relaxed) - 1 > 0 {
            return false;
        }
        self.counter.store(rate, Ordering::Relaxed);
        true
    }
}

impl Default for PacketDrop {
    fn default() -> Self {
        Self::new()
    }
}

/// A connection entry as random dropping judges it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Controls other entries (a template with connections): kept.
    Controlling,
    /// A persistence template of a one-packet-scheduling service.
    OpsTemplate,
    /// A persistence template; `assured` once traffic proved it.
    Template {
        /// Whether traffic proved the template.
        assured: bool,
    },
    /// A TCP or SCTP connection still in its handshake.
    Handshake,
    /// A TCP or SCTP connection established.
    Established,
    /// A TCP or SCTP connection in another state: kept.
    Closing,
    /// A connection of another protocol (UDP...).
    Other,
}

/// Seconds an entry must have gone without traffic before it may be
/// dropped for its packet count.
pub const DROP_MIN_IDLE: u32 = 60;

/// Random dropping's count per packet count, as upstream's
/// `todrop_entry`: an idle entry that saw `n` (1 to 8) packets is dropped
/// every `n`-th time it is found.
#[derive(Default)]
pub struct EntryDrop {
    counters: [i8; 9],
}

impl EntryDrop {
    /// Whether `entry`, found in a random bucket, goes: `idle` is the
    /// seconds since its timer was last renewed, `in_pkts` the packets
    /// it saw from the client.
    pub fn drops(&mut self, entry: Entry, idle: u32, in_pkts: u32) -> bool {
        match entry {
            Entry::Controlling | Entry::Closing | Entry::Template { assured: true } => false,
            Entry::Template { assured: false } | Entry::Handshake => true,
            Entry::OpsTemplate | Entry::Established | Entry::Other => self.by_packets(idle, in_pkts),
        }
    }

    fn by_packets(&mut self, idle: u32, in_pkts: u32) -> bool {
        // Entries that saw traffic within the minute, or more than 8
        // packets (or none), stay.
        if idle < DROP_MIN_IDLE || !(1..=8).contains(&in_pkts) {
            return false;
        }
        let n = in_pkts as usize;
        self.counters[n] -= 1;
        if self.counters[n] > 0 {
            return false;
        }
        self.counters[n] = n as i8;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFF: Modes = Modes { drop_entry: 0, drop_packet: 0, secure_tcp: 0 };

    #[test]
    fn automatic_modes_follow_the_memory() {
        let auto = Modes { drop_entry: 1, drop_packet: 1, secure_tcp: 1 };
        let (modes, level) = assess(auto, 5000, 1024, 10);
        assert_eq!(modes, auto);
        assert_eq!(level, Level { drop_entries: false, drop_rate: 0, drop_counter: None, secure_tcp: false });
        // Below the threshold: on, and the sysctls say 2.
        let (modes, level) = assess(auto, 768, 1024, 10);
        assert_eq!(modes, Modes { drop_entry: 2, drop_packet: 2, secure_tcp: 2 });
        assert_eq!(level, Level { drop_entries: true, drop_rate: 4, drop_counter: Some(4), secure_tcp: true });
        // Memory back: off, the sysctls back at 1.
        let (back, level) = assess(modes, 2048, 1024, 10);
        assert_eq!(back, auto);
        assert!(!level.drop_entries && level.drop_rate == 0 && !level.secure_tcp);
    }

    #[test]
    fn fixed_modes_stay() {
        assert_eq!(assess(OFF, 0, 1024, 10), (OFF, Level { drop_entries: false, drop_rate: 0, drop_counter: None, secure_tcp: false }));
        let on = Modes { drop_entry: 3, drop_packet: 3, secure_tcp: 3 };
        let (modes, level) = assess(on, 1 << 30, 1024, 10);
        assert_eq!(modes, on);
        assert_eq!(level, Level { drop_entries: true, drop_rate: 10, drop_counter: None, secure_tcp: true });
        // A negative threshold counts as 0: memory is never low.
        assert_eq!(assess(Modes { drop_packet: 1, ..OFF }, 0, -5, 10).0.drop_packet, 1);
    }

    #[test]
    fn drops_one_packet_in_rate() {
        let drop = PacketDrop::new();
        assert!(!(0..100).any(|_| drop.drops()));
        let (_, level) = assess(Modes { drop_packet: 2, ..OFF }, 512, 1024, 10);
        drop.set(&level);
        let pattern: std::vec::Vec<bool> = (0..6).map(|_| drop.drops()).collect();
        assert_eq!(pattern, [false, true, false, true, false, true]);
        let (_, level) = assess(Modes { drop_packet: 3, ..OFF }, 1 << 20, 1024, 3);
        drop.set(&level);
        // The count goes on from where it was, then every third.
        let drops = (0..30).filter(|_| drop.drops()).count();
        assert_eq!(drops, 10);
    }

    #[test]
    fn drops_entries_as_upstream() {
        let mut drop = EntryDrop::default();
        assert!(drop.drops(Entry::Handshake, 0, 0));
        assert!(drop.drops(Entry::Template { assured: false }, 0, 0));
        assert!(!drop.drops(Entry::Template { assured: true }, 1000, 1));
        assert!(!drop.drops(Entry::Controlling, 1000, 1));
        assert!(!drop.drops(Entry::Closing, 1000, 1));
        // Recent or busy entries stay.
        assert!(!drop.drops(Entry::Established, 59, 1));
        assert!(!drop.drops(Entry::Established, 600, 9));
        assert!(!drop.drops(Entry::Other, 600, 0));
        // An idle one with n packets goes every n-th time it is found.
        assert!(drop.drops(Entry::Established, 60, 1));
        assert!(drop.drops(Entry::Other, 60, 1));
        let found: std::vec::Vec<bool> = (0..6).map(|_| drop.drops(Entry::OpsTemplate, 100, 3)).collect();
        assert_eq!(found, [true, false, false, true, false, false]);
    }
}
