// SPDX-License-Identifier: GPL-2.0
//! A running service's threads: `startservers` start with it; its manager
//! thread then adds and retires threads once a second by the pool sizes
//! (`logic/pool_size.rs`), and stops them all when it is stopped itself.

use crate::kbind::kthread::{should_stop, KThread, ThreadBody};
use crate::kbind::netns::NetRef;
use crate::kbind::tcp::TcpListener;
use crate::kbind::timer;
use crate::pool_size::{PoolSizes, PoolStep};
use crate::service::{Shared, MAX_SESSIONS_PER_THREAD};
use crate::worker::Worker;
use core::sync::atomic::Ordering;
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::{Arc, Mutex};

/// The threads and how many were ever named.
struct Workers {
    threads: KVec<KThread<Worker>>,
    named: u32,
}

/// What the manager thread runs; dropping it stops the workers.
#[pin_data]
pub(crate) struct Manager {
    net: NetRef,
    shared: Arc<Shared>,
    listener: Arc<TcpListener>,
    ident: KVec<u8>,
    startservers: u32,
    #[pin]
    workers: Mutex<Workers>,
}

impl Manager {
    /// A manager for service `ident`, its first `startservers` threads
    /// running.
    pub(crate) fn start(
        net: NetRef,
        shared: Arc<Shared>,
        listener: Arc<TcpListener>,
        ident: &[u8],
        startservers: u32,
    ) -> Result<Arc<Self>> {
        let mut name = KVec::with_capacity(ident.len(), GFP_KERNEL)?;
        name.extend_from_slice(ident, GFP_KERNEL)?;
        let workers = Workers { threads: KVec::with_capacity(startservers as usize, GFP_KERNEL)?, named: 0 };
        let manager = Arc::pin_init(
            pin_init!(Self {
                net,
                shared,
                listener,
                ident: name,
                startservers,
                workers <- kernel::new_mutex!(workers, "ktcpvs_workers"),
            }),
            GFP_KERNEL,
        )?;
        manager.grow(startservers)?;
        Ok(manager)
    }

    /// The thread name of the manager (no index) or of worker `n`.
    pub(crate) fn thread_name(&self, n: Option<u32>) -> Result<CString> {
        let ident = core::str::from_utf8(&self.ident).map_err(|_| EINVAL)?;
        match n {
            Some(n) => CString::try_from_fmt(kernel::fmt!("ktcpvs/{}:{}", ident, n)),
            None => CString::try_from_fmt(kernel::fmt!("ktcpvs/{}", ident)),
        }
    }

    /// Starts `count` more threads.
    fn grow(&self, count: u32) -> Result {
        let mut workers = self.workers.lock();
        let maxclients = self.shared.maxclients.load(Ordering::Relaxed);
        let capacity = maxclients.min(MAX_SESSIONS_PER_THREAD) as usize;
        for _ in 0..count {
            let worker = Worker::new(self.net, self.shared.clone(), self.listener.clone(), capacity);
            let name = self.thread_name(Some(workers.named))?;
            let thread = KThread::spawn(&name, Arc::new(worker, GFP_KERNEL)?)?;
            workers.threads.push(thread, GFP_KERNEL)?;
            workers.named += 1;
        }
        Ok(())
    }

    /// One step: stops the retired threads, then grows or retires one.
    fn adjust(&self) -> Result {
        let step = {
            let mut workers = self.workers.lock();
            crate::service::retain(&mut workers.threads, |t| !t.body().retired())?;
            let live = workers.threads.iter().filter(|t| !t.body().retiring()).count() as u32;
            let spare = workers.threads.iter().filter(|t| t.body().spare()).count() as u32;
            let step = self.sizes().step(live, spare);
            if step == PoolStep::Shrink {
                // The newest spare thread goes.
                if let Some(t) = workers.threads.iter().rev().find(|t| t.body().spare()) {
                    t.body().retire();
                }
            }
            step
        };
        match step {
            PoolStep::Grow(count) => self.grow(count),
            PoolStep::Hold | PoolStep::Shrink => Ok(()),
        }
    }

    /// The sizes now (edits of a running service apply, but for
    /// `startservers`).
    fn sizes(&self) -> PoolSizes {
        PoolSizes {
            startservers: self.startservers,
            maxclients: self.shared.maxclients.load(Ordering::Relaxed),
            minspare: self.shared.minspare.load(Ordering::Relaxed),
            maxspare: self.shared.maxspare.load(Ordering::Relaxed),
        }
    }
}

impl ThreadBody for Manager {
    fn run(&self) {
        while !should_stop() {
            timer::sleep_interruptible(timer::hz());
            if !should_stop() && self.adjust().is_err() {
                pr_warn!("ktcpvs: could not start a thread (out of memory)\n");
            }
        }
    }
}
