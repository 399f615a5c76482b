// SPDX-License-Identifier: GPL-2.0
//! A thread's idle connections to real servers, kept after a response so
//! the next request for the same server skips the connect (thesis §6.5.3:
//! persistent connections from the switch to the servers).

use crate::kbind::tcp::{Addr, TcpStream};
use crate::kbind::timer;
use kernel::prelude::*;

/// Idle connections a thread keeps.
const IDLE_MAX: usize = 32;
/// Seconds an idle connection is kept (servers close theirs after a
/// while: 5 s for python's, 75 s for nginx's default).
const IDLE_SECONDS: u32 = 4;

struct Idle {
    server: Addr,
    stream: TcpStream,
    since: u32,
}

/// The idle connections, oldest replaced first when full.
pub(crate) struct IdlePool {
    slots: KVec<Option<Idle>>,
    next_victim: usize,
}

impl IdlePool {
    /// An empty pool.
    pub(crate) fn new() -> Result<Self> {
        let mut slots = KVec::with_capacity(IDLE_MAX, GFP_KERNEL)?;
        for _ in 0..IDLE_MAX {
            slots.push(None, GFP_KERNEL)?;
        }
        Ok(Self { slots, next_victim: 0 })
    }

    /// An idle connection to `server` that is still open, if any.
    pub(crate) fn take(&mut self, server: Addr) -> Option<TcpStream> {
        for slot in self.slots.iter_mut() {
            if slot.as_ref().is_some_and(|idle| idle.server == server) {
                let idle = slot.take()?;
                if idle.stream.is_quiet() {
                    return Some(idle.stream);
                }
            }
        }
        None
    }

    /// Keeps `stream`, a connection to `server` between requests.
    pub(crate) fn put(&mut self, server: Addr, stream: TcpStream) {
        let idle = Idle { server, stream, since: timer::jiffies() };
        let free = self.slots.iter().position(Option::is_none).unwrap_or_else(|| {
            self.next_victim = (self.next_victim + 1) % IDLE_MAX;
            self.next_victim
        });
        self.slots[free] = Some(idle);
    }

    /// Closes connections idle too long or closed by their server.
    pub(crate) fn sweep(&mut self) {
        let now = timer::jiffies();
        let max_age = IDLE_SECONDS.saturating_mul(timer::hz() as u32);
        for slot in self.slots.iter_mut() {
            let stale = slot.as_ref().is_some_and(|idle| now.wrapping_sub(idle.since) > max_age || !idle.stream.is_quiet());
            if stale {
                *slot = None;
            }
        }
    }
}
