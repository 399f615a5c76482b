// SPDX-License-Identifier: GPL-2.0
//! A service's kernel thread: one event loop over its own connections
//! (thesis §6.4.4). Threads share only the listening socket: each new
//! connection wakes one of them, in turn, which accepts and keeps it.
//! The service's manager (`threads.rs`) reads how many clients a thread
//! holds and may ask a thread that holds none to retire.

use crate::kbind::kthread::{should_stop, ThreadBody};
use crate::kbind::netns::NetRef;
use crate::kbind::tcp::{Events, TcpListener, Watched};
use crate::kbind::timer;
use crate::pool::IdlePool;
use crate::sched::SchedScratch;
use crate::service::Shared;
use crate::session::{ClientSlot, Context, Session, Step};
use kernel::prelude::*;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::sync::Arc;

/// The event slot of the listening socket; sessions use the rest.
const LISTENER: usize = 0;

/// What a thread runs.
pub(crate) struct Worker {
    net: NetRef,
    shared: Arc<Shared>,
    listener: Arc<TcpListener>,
    /// Most sessions this thread holds at once.
    capacity: usize,
    /// Client connections it holds now.
    held: AtomicU32,
    /// Asked to retire: it leaves the listener's rotation and retires
    /// once it holds no client.
    retiring: AtomicBool,
    /// Retired: holds nothing, waits to be stopped.
    retired: AtomicBool,
}

impl Worker {
    /// A thread body for a service's pool.
    pub(crate) fn new(net: NetRef, shared: Arc<Shared>, listener: Arc<TcpListener>, capacity: usize) -> Self {
        let held = AtomicU32::new(0);
        Self { net, shared, listener, capacity, held, retiring: AtomicBool::new(false), retired: AtomicBool::new(false) }
    }

    /// Whether it holds no client connection and is not retiring.
    pub(crate) fn spare(&self) -> bool {
        self.held.load(Ordering::Relaxed) == 0 && !self.retiring.load(Ordering::Relaxed)
    }

    /// Whether it was asked to retire.
    pub(crate) fn retiring(&self) -> bool {
        self.retiring.load(Ordering::Relaxed)
    }

    /// Asks it to retire.
    pub(crate) fn retire(&self) {
        self.retiring.store(true, Ordering::Relaxed);
    }

    /// Whether it has retired and may be stopped.
    pub(crate) fn retired(&self) -> bool {
        self.retired.load(Ordering::Acquire)
    }

    /// Accepts while the service and this thread have room.
    fn accept<'e>(&self, events: &'e Events, sessions: &mut KVec<Option<Session<'e>>>) {
        while let Some(free) = sessions.iter().position(Option::is_none) {
            let Some(client_slot) = ClientSlot::take(&self.shared) else { return };
            let Ok(Some(client)) = self.listener.accept() else { return };
            if let Ok(session) = Session::new(client, client_slot, events, free + 1) {
                sessions[free] = Some(session);
                self.held.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Ends session `slot`.
    fn close(&self, slot: &mut Option<Session<'_>>) {
        *slot = None;
        self.held.fetch_sub(1, Ordering::Relaxed);
    }

    /// Keeps it in the listener's rotation while it has room: not once
    /// retiring, nor while its session table is full (a wake-up in its
    /// turn would go unanswered, and no other thread is woken for it).
    /// It comes back when a session ends; coming back marks its slot, so
    /// it looks at a connection that waited meanwhile. A retiring thread
    /// retires when it holds no client, one round of events after it
    /// left (a connection it was woken for before is its to take).
    fn rotation<'e>(&self, events: &'e Events, listening: &mut Option<Watched<'e, Arc<TcpListener>>>) {
        let held = self.held.load(Ordering::Relaxed);
        if self.retiring() {
            if listening.take().is_none() && held == 0 {
                self.retired.store(true, Ordering::Release);
            }
        } else if held as usize >= self.capacity {
            *listening = None;
        } else if listening.is_none() {
            // Out of memory: it tries again after the next events.
            *listening = Watched::in_turn(self.listener.clone(), events, LISTENER).ok();
        }
    }

    fn serve(&self) -> Result {
        let events = Events::new(self.capacity + 1)?;
        let mut listening = Some(Watched::in_turn(self.listener.clone(), &events, LISTENER)?);
        let mut scratch = SchedScratch::new()?;
        let mut idle = IdlePool::new()?;
        let mut last_sweep = timer::jiffies();
        let mut sessions: KVec<Option<Session<'_>>> = KVec::with_capacity(self.capacity, GFP_KERNEL)?;
        for _ in 0..self.capacity {
            sessions.push(None, GFP_KERNEL)?;
        }
        while !should_stop() {
            events.wait(timer::hz());
            let mut from = 0;
            while let Some(slot) = events.next(from) {
                from = slot + 1;
                if slot == LISTENER {
                    self.accept(&events, &mut sessions);
                    continue;
                }
                let Some(session) = sessions.get_mut(slot - 1).and_then(Option::as_mut) else { continue };
                let mut cx =
                    Context { net: self.net, shared: &self.shared, events: &events, scratch: &mut scratch, idle: &mut idle };
                if session.step(&mut cx) == Step::Done {
                    self.close(&mut sessions[slot - 1]);
                    // A closed session makes room for one waiting.
                    self.accept(&events, &mut sessions);
                }
            }
            let now = timer::jiffies();
            if now.wrapping_sub(last_sweep) >= timer::hz() as u32 {
                last_sweep = now;
                idle.sweep();
                let mut closed = false;
                let mut cx =
                    Context { net: self.net, shared: &self.shared, events: &events, scratch: &mut scratch, idle: &mut idle };
                for slot in sessions.iter_mut() {
                    if slot.as_mut().is_some_and(|s| s.check_timeout(&mut cx) == Step::Done) {
                        self.close(slot);
                        closed = true;
                    }
                }
                if closed {
                    self.accept(&events, &mut sessions);
                }
            }
            self.rotation(&events, &mut listening);
        }
        Ok(())
    }
}

impl ThreadBody for Worker {
    fn run(&self) {
        if self.serve().is_err() {
            pr_warn!("ktcpvs: a thread could not start (out of memory)\n");
            // Nothing to serve: let the manager stop it.
            self.retired.store(true, Ordering::Release);
            while !should_stop() {
                timer::sleep_interruptible(timer::hz());
            }
        }
    }
}
