// SPDX-License-Identifier: GPL-2.0
//! A virtual service: its settings, real servers and rules as configured,
//! the snapshot of them its threads schedule by, and, while it runs, its
//! listening socket and threads.

use crate::kbind::kthread::KThread;
use crate::pool_size::{PoolSizes, MAX_THREADS};
use crate::kbind::netns::NetRef;
use crate::kbind::tcp::{Addr, TcpListener};
use crate::regex::Regex;
use crate::sched::SchedKind;
use crate::sched_lblc::{Entry as LocalityEntry, CACHE_SLOTS};
use crate::sched_wrr::WrrState;
use crate::tcpvs_proto::defaults;
use crate::threads::Manager;
use crate::kbind::timer;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use kernel::prelude::*;
use kernel::sync::{Arc, SpinLock};

/// Most connections one thread holds (its event set and session table).
pub(crate) const MAX_SESSIONS_PER_THREAD: u32 = 4096;
/// Most client connections a service may take at once.
pub(crate) const MAX_CLIENTS: u32 = 65536;

/// The thread pool's sizes (`startservers` and the rest).
pub(crate) type Pool = PoolSizes;

impl Default for Pool {
    fn default() -> Self {
        Self {
            startservers: defaults::STARTSERVERS,
            maxclients: defaults::MAXCLIENTS,
            minspare: defaults::MINSPARE,
            maxspare: defaults::MAXSPARE,
        }
    }
}

impl Pool {
    /// Whether the sizes make sense together.
    pub(crate) fn valid(&self) -> bool {
        (1..=MAX_THREADS).contains(&self.startservers)
            && (1..=MAX_CLIENTS).contains(&self.maxclients)
            && self.minspare <= self.maxspare
            && self.maxspare <= MAX_THREADS
    }
}

/// What a real server's connections share across threads and edits.
pub(crate) struct ServerLoad {
    /// Requests it serves now.
    pub(crate) conns: AtomicU32,
    /// Connects that failed in a row.
    failures: AtomicU32,
    /// When (jiffies) a server that failed is tried again.
    retry_at: AtomicU32,
}

/// Longest a failed server waits to be tried again, in seconds.
const MAX_BACKOFF: u32 = 60;

impl ServerLoad {
    fn new() -> Result<Arc<Self>> {
        Ok(Arc::new(Self { conns: AtomicU32::new(0), failures: AtomicU32::new(0), retry_at: AtomicU32::new(0) }, GFP_KERNEL)?)
    }

    /// Whether it takes requests: it has not failed, or its back-off has
    /// passed (then the next request tries it).
    pub(crate) fn up(&self) -> bool {
        self.failures.load(Ordering::Relaxed) == 0
            || timer::jiffies().wrapping_sub(self.retry_at.load(Ordering::Relaxed)) as i32 >= 0
    }

    /// A connect failed: out of the schedule for 1, 2, 4... up to 60 s.
    pub(crate) fn failed(&self) {
        let failures = self.failures.fetch_add(1, Ordering::Relaxed).saturating_add(1);
        let seconds = 1u32.checked_shl(failures - 1).unwrap_or(MAX_BACKOFF).min(MAX_BACKOFF);
        let hz = timer::hz() as u32;
        self.retry_at.store(timer::jiffies().wrapping_add(seconds.saturating_mul(hz)), Ordering::Relaxed);
    }

    /// A connect succeeded (or an operator edited it): back in.
    pub(crate) fn answered(&self) {
        if self.failures.load(Ordering::Relaxed) != 0 {
            self.failures.store(0, Ordering::Relaxed);
        }
    }
}

/// A real server.
pub(crate) struct Server {
    /// Where it listens.
    pub(crate) addr: Addr,
    /// Its weight; 0 takes no new requests.
    pub(crate) weight: u32,
    /// Its load, kept across edits.
    pub(crate) load: Arc<ServerLoad>,
}

impl Server {
    fn snapshot(&self) -> Result<Self> {
        Ok(Self { addr: self.addr, weight: self.weight, load: self.load.clone() })
    }
}

/// A compiled pattern.
pub(crate) struct Pattern {
    /// As given.
    pub(crate) text: KVec<u8>,
    /// Compiled.
    pub(crate) regex: KBox<Regex>,
}

impl Pattern {
    /// Compiles `text`; `EINVAL` if it is not a valid extended regex.
    pub(crate) fn compile(text: &[u8]) -> Result<Arc<Self>> {
        static EMPTY: Regex = Regex::empty();
        let mut regex = crate::kbind::boxed_copy(&EMPTY)?;
        let mut scratch = crate::sched::new_scratch()?;
        regex.compile_into(text, &mut scratch).map_err(|_| EINVAL)?;
        let mut owned = KVec::with_capacity(text.len(), GFP_KERNEL)?;
        owned.extend_from_slice(text, GFP_KERNEL)?;
        Ok(Arc::new(Self { text: owned, regex }, GFP_KERNEL)?)
    }
}

/// A rule as configured: requests whose target `pattern` matches go to
/// `server`.
pub(crate) struct Rule {
    /// The pattern.
    pub(crate) pattern: Arc<Pattern>,
    /// The real server.
    pub(crate) server: Addr,
    /// `hhttp`'s group (`-m`).
    pub(crate) match_num: u32,
}

/// Rules with one pattern, as the schedulers see them: several servers
/// for one pattern are one rule.
pub(crate) struct RuleSet {
    /// The pattern.
    pub(crate) pattern: Arc<Pattern>,
    /// Indices of its servers in [`Config::servers`].
    pub(crate) servers: KVec<usize>,
    /// `hhttp`'s group.
    pub(crate) match_num: u32,
}

/// What threads schedule by: a snapshot, replaced whole on every edit.
pub(crate) struct Config {
    /// The scheduler.
    pub(crate) sched: SchedKind,
    /// The real servers.
    pub(crate) servers: KVec<Server>,
    /// The rules, grouped by pattern in the order first named.
    pub(crate) rules: KVec<RuleSet>,
}

/// What a service's threads share with it.
#[pin_data]
pub(crate) struct Shared {
    /// The configuration now.
    #[pin]
    config: SpinLock<Arc<Config>>,
    /// Client connections open now.
    pub(crate) clients: AtomicU32,
    /// Most client connections at once.
    pub(crate) maxclients: AtomicU32,
    /// Fewest spare threads (holding no client).
    pub(crate) minspare: AtomicU32,
    /// Most spare threads.
    pub(crate) maxspare: AtomicU32,
    /// Round-robin position.
    pub(crate) rr_next: AtomicUsize,
    /// Weighted round-robin position.
    #[pin]
    pub(crate) wrr: SpinLock<WrrState>,
    /// `lblc`/`lblcr`: the server(s) of each target seen, by index in
    /// [`Config::servers`] (emptied when the servers change).
    #[pin]
    pub(crate) locality: SpinLock<KVec<LocalityEntry>>,
    /// Key of `hhttp`'s hash.
    pub(crate) hash_key: [u64; 2],
}

impl Shared {
    /// The configuration now.
    pub(crate) fn config(&self) -> Arc<Config> {
        self.config.lock().clone()
    }
}

/// A virtual service.
pub(crate) struct Service {
    /// Its name.
    pub(crate) ident: KVec<u8>,
    /// Where it listens.
    pub(crate) listen: Addr,
    /// Its scheduler.
    pub(crate) sched: SchedKind,
    /// Its pool sizes.
    pub(crate) pool: Pool,
    /// Its real servers, in the order added.
    pub(crate) servers: KVec<Server>,
    /// Its rules, in the order added.
    pub(crate) rules: KVec<Rule>,
    shared: Arc<Shared>,
    /// While it runs, its manager thread, which owns the other threads;
    /// dropping it stops them all, and the listener goes with them.
    running: Option<KThread<Manager>>,
}

impl Service {
    /// A stopped service with no servers.
    pub(crate) fn new(ident: &[u8], listen: Addr, sched: SchedKind, pool: Pool) -> Result<Self> {
        let mut name = KVec::with_capacity(ident.len(), GFP_KERNEL)?;
        name.extend_from_slice(ident, GFP_KERNEL)?;
        let config = Arc::new(Config { sched, servers: KVec::new(), rules: KVec::new() }, GFP_KERNEL)?;
        let locality = KVec::from_elem(LocalityEntry::EMPTY, CACHE_SLOTS, GFP_KERNEL)?;
        let shared = Arc::pin_init(
            pin_init!(Shared {
                config <- kernel::new_spinlock!(config, "ktcpvs_config"),
                clients: AtomicU32::new(0),
                maxclients: AtomicU32::new(pool.maxclients),
                minspare: AtomicU32::new(pool.minspare),
                maxspare: AtomicU32::new(pool.maxspare),
                rr_next: AtomicUsize::new(0),
                wrr <- kernel::new_spinlock!(WrrState::new(&[]), "ktcpvs_wrr"),
                locality <- kernel::new_spinlock!(locality, "ktcpvs_locality"),
                hash_key: [crate::kbind::random_u64(), crate::kbind::random_u64()],
            }),
            GFP_KERNEL,
        )?;
        Ok(Self { ident: name, listen, sched, pool, servers: KVec::new(), rules: KVec::new(), shared, running: None })
    }

    /// Client connections open now.
    pub(crate) fn clients(&self) -> u32 {
        self.shared.clients.load(Ordering::Relaxed)
    }

    /// Whether it runs.
    pub(crate) fn running(&self) -> bool {
        self.running.is_some()
    }

    /// The index of the real server at `addr`.
    pub(crate) fn server_index(&self, addr: Addr) -> Option<usize> {
        self.servers.iter().position(|s| s.addr == addr)
    }

    /// Adds a real server.
    pub(crate) fn add_server(&mut self, addr: Addr, weight: u32) -> Result {
        self.servers.push(Server { addr, weight, load: ServerLoad::new()? }, GFP_KERNEL)?;
        self.publish()
    }

    /// Removes real server `index` and the rules that name it.
    pub(crate) fn remove_server(&mut self, index: usize) -> Result {
        let addr = self.servers[index].addr;
        retain(&mut self.servers, |s| s.addr != addr)?;
        retain(&mut self.rules, |r| r.server != addr)?;
        self.publish()
    }

    /// Publishes the settings to the threads (after every edit).
    pub(crate) fn publish(&mut self) -> Result {
        let mut servers = KVec::with_capacity(self.servers.len(), GFP_KERNEL)?;
        for s in &self.servers {
            servers.push(s.snapshot()?, GFP_KERNEL)?;
        }
        let mut rules: KVec<RuleSet> = KVec::new();
        for rule in &self.rules {
            let Some(server) = self.server_index(rule.server) else { continue };
            match rules.iter_mut().find(|set| set.pattern.text == rule.pattern.text) {
                Some(set) => set.servers.push(server, GFP_KERNEL)?,
                None => {
                    let mut list = KVec::new();
                    list.push(server, GFP_KERNEL)?;
                    let set = RuleSet { pattern: rule.pattern.clone(), servers: list, match_num: rule.match_num };
                    rules.push(set, GFP_KERNEL)?;
                }
            }
        }
        let config = Arc::new(Config { sched: self.sched, servers, rules }, GFP_KERNEL)?;
        *self.shared.config.lock() = config.clone();
        // Entries name servers by index, which an edit may change.
        self.shared.locality.lock().iter_mut().for_each(|e| *e = LocalityEntry::EMPTY);
        crate::sched::servers_changed(&config, &self.shared)?;
        self.shared.maxclients.store(self.pool.maxclients, Ordering::Relaxed);
        self.shared.minspare.store(self.pool.minspare, Ordering::Relaxed);
        self.shared.maxspare.store(self.pool.maxspare, Ordering::Relaxed);
        Ok(())
    }

    /// Starts listening and the threads; nothing if it runs already.
    pub(crate) fn start(&mut self, net: NetRef) -> Result {
        if self.running.is_some() {
            return Ok(());
        }
        let listener = Arc::new(TcpListener::listen(net.net(), self.listen, self.pool.maxclients)?, GFP_KERNEL)?;
        let manager = Manager::start(net, self.shared.clone(), listener, &self.ident, self.pool.startservers)?;
        let name = manager.thread_name(None)?;
        self.running = Some(KThread::spawn(&name, manager)?);
        Ok(())
    }

    /// Stops the threads (closing their connections) and the listener.
    pub(crate) fn stop(&mut self) {
        self.running = None;
    }
}

/// Keeps the items of `items` that `keep` says to, in order.
pub(crate) fn retain<T>(items: &mut KVec<T>, mut keep: impl FnMut(&T) -> bool) -> Result {
    let mut kept = KVec::with_capacity(items.len(), GFP_KERNEL)?;
    for item in core::mem::replace(items, KVec::new()) {
        if keep(&item) {
            // Within the capacity reserved above: cannot fail.
            kept.push(item, GFP_KERNEL)?;
        }
    }
    *items = kept;
    Ok(())
}
