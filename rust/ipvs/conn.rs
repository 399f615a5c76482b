// SPDX-License-Identifier: GPL-2.0
//! The connection table (thesis §5.2.1, §5.2.2, §5.2.5).
//!
//! One table serves every namespace, as upstream's does; entries carry
//! their namespace. It hashes ⟨protocol, client address, client port⟩,
//! which both directions of a connection share, and is cut into
//! [`STRIPES`] stripes, each behind its own spinlock with its own slow
//! timer (`conn_shard.rs`), so both CPUs work in parallel. One kernel
//! timer a second advances every stripe's wheels; no entry has a timer
//! of its own.

use crate::conn_hash::{clamp_tab_bits, ConnHasher};
use crate::conn_shard::{ConnShard, Expiry, Slot, SlotStore};
use crate::slow_timer::WHEEL_SLOTS;
use crate::kbind::bh::BhGuard;
use crate::kbind::global::{ModuleGlobal, Published};
use crate::kbind::timer::{self, PeriodicTimer, Tick};
use crate::kbind::{self, bindings};
use crate::service::{Dest, Pe};
use crate::sync_msg::{self, SyncConn};
use crate::conn_state::ConnState;
use crate::tcp_state::Timeouts;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::prelude::*;
use kernel::sync::{Arc, SpinLock};

/// The connection counts as inactive on its real server.
pub(crate) const F_INACTIVE: u8 = 1;
/// Replies bypass the director (DR, TUN): only input is seen.
pub(crate) const F_NOOUTPUT: u8 = 2;

/// [`F_NOOUTPUT`] for an entry forwarded by method `fwd` (upstream's
/// `IP_VS_CONN_F_*`): set unless VS/NAT.
pub(crate) fn no_output(fwd: u8) -> u8 {
    match u32::from(fwd) {
        // A `cache_bypass` connection has no real server to take its
        // flags from: its replies are seen (upstream's).
        bindings::IP_VS_CONN_F_MASQ | bindings::IP_VS_CONN_F_BYPASS => 0,
        _ => F_NOOUTPUT,
    }
}

/// The port an entry is placed in the table by: its client port, but
/// for a persistence engine's template (client port 0) a fold of the
/// engine's key, so that one client's many calls spread over the table
/// (as upstream hashes them by it, `hashkey_raw`) instead of sharing
/// one chain.
fn place_port(cport: u16, pe_data: Option<&[u8]>) -> u16 {
    match pe_data {
        Some(data) => {
            let h = data.iter().fold(0x811c_9dc5u32, |h, &b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
            (h ^ (h >> 16)) as u16
        }
        None => cport,
    }
}
/// A persistence template (client port 0), not a connection: it names
/// the real server of a client's connections to a persistent service.
pub(crate) const F_TEMPLATE: u8 = 4;
/// Connection tracking sees its packets (the `conntrack` sysctl when the
/// connection was made; upstream's `IP_VS_CONN_F_NFCT`): they are
/// tracked as the director sends them on. Without it they are marked
/// untracked, so that no NAT or state rule of the director's touches
/// them and they take no room in the conntrack table.
pub(crate) const F_NFCT: u8 = 8;

/// How long a template outlives its timeout while it still controls
/// connections, seconds (upstream re-arms it so, and keeps that timeout).
const TEMPLATE_GRACE: u32 = 60;

/// What a persistence template shares with the connections it controls
/// (upstream's `control` link and `n_control`). Connections sit in other
/// stripes of the table than their template: they hold this, not it.
pub(crate) struct Control {
    /// Connections it controls: it outlives its timeout while any live.
    controlled: AtomicU32,
    /// A controlled connection was established (TCP) or answered (UDP):
    /// upstream's `ASSURED` template state.
    assured: AtomicBool,
    /// The template's timeout, seconds: the service's, until it outlives
    /// it once.
    timeout: AtomicU32,
    /// The template as a sync master sends it.
    pub(crate) sync: TemplateSync,
    /// The service's persistence engine, if it has one, and what it
    /// keyed the template by (SIP's Call-ID).
    pe: Option<(Pe, KVec<u8>)>,
}

/// A template as sync masters see it: they send it as their controlled
/// connections' packets come (upstream syncs a connection's `control`).
pub(crate) struct TemplateSync {
    /// The template as sync messages carry it (its timeout is the
    /// moment's, [`Control::timeout`]).
    pub(crate) entry: SyncConn,
    /// Invalidated (its server went): no lookup finds it, and backups
    /// are no longer told of it.
    pub(crate) invalid: AtomicBool,
    /// Packets of the connections it controls (wrapping).
    pub(crate) pkts: AtomicU32,
    /// When the last message said it would expire, in ticks
    /// (`sync_msg::sync_needed`).
    pub(crate) endtime: AtomicU32,
}

impl Control {
    /// The control of a new template `entry` with `timeout`, controlling
    /// `controlled` connections (the one being scheduled, or none for a
    /// sync backup's), keyed by `pe_data` too if its service has a
    /// persistence engine `pe`. Softirq context.
    pub(crate) fn new(timeout: u32, entry: SyncConn, controlled: u32, pe: Option<(Pe, KVec<u8>)>) -> Result<Arc<Self>> {
        let control = Self {
            controlled: AtomicU32::new(controlled),
            assured: AtomicBool::new(false),
            timeout: AtomicU32::new(timeout),
            sync: TemplateSync {
                entry,
                invalid: AtomicBool::new(false),
                pkts: AtomicU32::new(0),
                endtime: AtomicU32::new(never_synced()),
            },
            pe,
        };
        Ok(Arc::new(control, GFP_ATOMIC)?)
    }

    /// What the persistence engine keyed the template by.
    pub(crate) fn pe_data(&self) -> Option<&[u8]> {
        self.pe.as_ref().map(|(_, data)| data.as_slice())
    }

    /// The persistence engine and its key.
    pub(crate) fn pe(&self) -> Option<(Pe, &[u8])> {
        self.pe.as_ref().map(|(pe, data)| (*pe, data.as_slice()))
    }

    /// A sync backup was told the template expires in `timeout` seconds.
    pub(crate) fn set_timeout(&self, timeout: u32) {
        self.timeout.store(timeout, Ordering::Relaxed);
    }

    /// One more connection to control (taken while the template is found
    /// under its lock, so that the template cannot expire meanwhile).
    pub(crate) fn attach(&self) {
        self.controlled.fetch_add(1, Ordering::Relaxed);
    }

    /// A controlled connection went.
    pub(crate) fn detach(&self) {
        self.controlled.fetch_sub(1, Ordering::Relaxed);
    }

    /// Whether it controls connections now.
    pub(crate) fn controls_any(&self) -> bool {
        self.controlled.load(Ordering::Relaxed) > 0
    }

    /// The template's timeout now, seconds.
    pub(crate) fn timeout(&self) -> u32 {
        self.timeout.load(Ordering::Relaxed)
    }

    /// Whether a controlled connection was established or answered.
    pub(crate) fn is_assured(&self) -> bool {
        self.assured.load(Ordering::Relaxed)
    }

    /// A controlled connection was established or answered.
    pub(crate) fn assure(&self) {
        if !self.is_assured() {
            self.assured.store(true, Ordering::Relaxed);
        }
    }
}

/// A connection entry.
pub(crate) struct Conn {
    /// Namespace (`Net::id`).
    pub(crate) net: usize,
    /// The real server; none for a `cache_bypass` connection, whose
    /// packets go where they were going (upstream's `IP_VS_CONN_F_BYPASS`).
    pub(crate) dest: Option<Arc<Dest>>,
    /// Client address.
    pub(crate) caddr: [u8; 16],
    /// Virtual address.
    pub(crate) vaddr: [u8; 16],
    /// Real server address.
    pub(crate) daddr: [u8; 16],
    /// Client port.
    pub(crate) cport: u16,
    /// Virtual port.
    pub(crate) vport: u16,
    /// Real server port.
    pub(crate) dport: u16,
    /// Address family.
    pub(crate) af: u16,
    /// IP protocol.
    pub(crate) proto: u8,
    /// Forwarding method, fixed when the connection was scheduled.
    pub(crate) fwd: u8,
    /// Protocol state.
    pub(crate) state: ConnState,
    /// `F_*` flags.
    pub(crate) flags: u8,
    /// Packets from the client (wrapping): random entry dropping spares
    /// busy connections, a sync master syncs at some counts.
    pub(crate) in_pkts: u32,
    /// The state a sync master last sent the connection in.
    pub(crate) synced_state: ConnState,
    /// When a sync master's last message said it would expire, in ticks
    /// (low two bits: retries; `sync_msg::sync_needed`).
    pub(crate) sync_endtime: u32,
    /// A template's control, shared with the connections it controls; a
    /// connection's template's.
    pub(crate) control: Option<Arc<Control>>,
}

/// The `sync_endtime` of a connection made now.
pub(crate) fn never_synced() -> u32 {
    sync_msg::fresh_endtime(timer::jiffies())
}

impl Conn {
    /// Moves the connection to `state`, keeping the real server's
    /// active/inactive counts as upstream does.
    pub(crate) fn set_state(&mut self, state: ConnState) {
        if state == self.state {
            return;
        }
        let inactive = self.flags & F_INACTIVE != 0;
        if !inactive && !state.is_active() {
            if let Some(dest) = &self.dest {
                dest.active.fetch_sub(1, Ordering::Relaxed);
                dest.inactive.fetch_add(1, Ordering::Relaxed);
            }
            self.flags |= F_INACTIVE;
        } else if inactive && state.is_active() {
            if let Some(dest) = &self.dest {
                dest.inactive.fetch_sub(1, Ordering::Relaxed);
                dest.active.fetch_add(1, Ordering::Relaxed);
            }
            self.flags &= !F_INACTIVE;
        }
        self.state = state;
        if state.is_established() {
            self.assure_template();
        }
    }

    /// The timeout of the connection in its current state, seconds,
    /// under timeouts `t`; a template's own.
    pub(crate) fn timeout(&self, t: &Timeouts) -> u32 {
        match &self.control {
            Some(control) if self.is_template() => control.timeout(),
            _ => self.state.timeout(t),
        }
    }

    /// A packet came from the client.
    pub(crate) fn count_in_packet(&mut self) {
        self.in_pkts = self.in_pkts.wrapping_add(1);
    }

    /// Whether it is a persistence template.
    pub(crate) fn is_template(&self) -> bool {
        self.flags & F_TEMPLATE != 0
    }

    /// Whether connection tracking follows its packets ([`F_NFCT`]).
    pub(crate) fn tracked(&self) -> bool {
        self.flags & F_NFCT != 0
    }

    /// Marks the template of a connection that was established (TCP) or
    /// answered (UDP) as such.
    pub(crate) fn assure_template(&self) {
        if let Some(control) = &self.control {
            control.assure();
        }
    }

    /// The address family of its real server's address: the client
    /// side's for a `cache_bypass` connection.
    pub(crate) fn daf(&self) -> u16 {
        self.dest.as_ref().map_or(self.af, |d| d.af)
    }

    /// Whether its real server is in service (none is, for a
    /// `cache_bypass` connection).
    pub(crate) fn dest_available(&self) -> bool {
        self.dest.as_ref().is_some_and(|d| d.is_available())
    }

    /// Whether its real server was taken out of service (a
    /// `cache_bypass` connection has none to lose).
    pub(crate) fn dest_removed(&self) -> bool {
        self.dest.as_ref().is_some_and(|d| !d.is_available())
    }

    /// Whether its real server is quiesced (weight 0).
    pub(crate) fn dest_quiesced(&self) -> bool {
        self.dest.as_ref().is_some_and(|d| d.weight.load(Ordering::Relaxed) == 0)
    }

    /// The counter of its real server it counts in: persistence
    /// templates, active or inactive connections.
    fn count<'d>(&self, dest: &'d Dest) -> &'d AtomicU32 {
        if self.is_template() {
            &dest.persist
        } else if self.flags & F_INACTIVE != 0 {
            &dest.inactive
        } else {
            &dest.active
        }
    }

    /// Counts the entry on its real server.
    fn account(&self) {
        let Some(dest) = &self.dest else { return };
        self.count(dest).fetch_add(1, Ordering::Relaxed);
        if !self.is_template() {
            dest.conn_added();
        }
    }

    /// Takes the entry off its real server's counts, and a connection off
    /// its template's.
    fn unaccount(&self) {
        if let Some(dest) = &self.dest {
            self.count(dest).fetch_sub(1, Ordering::Relaxed);
            if !self.is_template() {
                dest.conn_removed();
            }
        }
        if !self.is_template() {
            if let Some(control) = &self.control {
                control.detach();
            }
        }
    }

    /// What becomes of the entry when its time is up: a template that
    /// still controls connections lives on (upstream's `expire_later`).
    fn expiry(&mut self) -> Expiry {
        match &self.control {
            Some(control) if self.is_template() && control.controlled.load(Ordering::Relaxed) > 0 => {
                control.timeout.store(TEMPLATE_GRACE, Ordering::Relaxed);
                Expiry::Rearm(TEMPLATE_GRACE)
            }
            _ => Expiry::Remove,
        }
    }
}

/// What becomes of a connection after a packet (see
/// [`ConnTab::with_conn`]).
pub(crate) enum Then {
    /// Its timer runs on as it is.
    Keep,
    /// It expires this many seconds from now.
    Expire(u32),
    /// It is removed at once.
    Remove,
}

/// How a packet names its connection.
#[derive(Clone, Copy)]
pub(crate) enum Lookup<'k> {
    /// From the client: source is the client, destination the service.
    In { net: usize, proto: u8, caddr: [u8; 16], cport: u16, vaddr: [u8; 16], vport: u16 },
    /// From the real server (VS/NAT replies): destination is the client.
    Out { net: usize, proto: u8, caddr: [u8; 16], cport: u16, daddr: [u8; 16], dport: u16 },
    /// A persistence template (see `persist.rs`), with what a persistence
    /// engine keyed it by.
    Template { net: usize, proto: u8, caddr: [u8; 16], vaddr: [u8; 16], vport: u16, pe_data: Option<&'k [u8]> },
}

impl Lookup<'_> {
    /// What the entry is placed by: protocol, client address and
    /// [`place_port`].
    fn client(&self) -> (u8, &[u8; 16], u16) {
        match self {
            Lookup::In { proto, caddr, cport, .. } | Lookup::Out { proto, caddr, cport, .. } => (*proto, caddr, *cport),
            Lookup::Template { proto, caddr, pe_data, .. } => (*proto, caddr, place_port(0, *pe_data)),
        }
    }

    fn matches(&self, c: &Conn) -> bool {
        match *self {
            Lookup::In { net, proto, caddr, cport, vaddr, vport } => {
                c.net == net
                    && c.proto == proto
                    && c.cport == cport
                    && c.vport == vport
                    && !c.is_template()
                    && c.caddr == caddr
                    && c.vaddr == vaddr
            }
            Lookup::Out { net, proto, caddr, cport, daddr, dport } => {
                c.net == net
                    && c.proto == proto
                    && c.cport == cport
                    && c.dport == dport
                    && !c.is_template()
                    && c.caddr == caddr
                    && c.daddr == daddr
            }
            Lookup::Template { net, proto, caddr, vaddr, vport, pe_data } => {
                c.net == net
                    && c.proto == proto
                    && c.vport == vport
                    && c.is_template()
                    && c.caddr == caddr
                    && c.vaddr == vaddr
                    && c.control.as_ref().and_then(|control| control.pe_data()) == pe_data
            }
        }
    }
}

/// Number of lock stripes (at most the number of buckets, which is at
/// least 256).
const STRIPES: usize = 256;

/// Slots per chunk of a stripe's slab: 32 entries fit a 4 KiB page.
const CHUNK: usize = 32;

/// Slab storage of a stripe. It grows in softirq context (`GFP_ATOMIC`),
/// so it grows a chunk at a time: a stripe of a busy table never asks
/// for one large contiguous block, which atomic allocation may not find.
struct Slots {
    chunks: KVec<KVec<Slot<Conn>>>,
    len: usize,
}

impl SlotStore<Conn> for Slots {
    fn len(&self) -> usize {
        self.len
    }
    fn at(&mut self, index: usize) -> &mut Slot<Conn> {
        &mut self.chunks[index / CHUNK][index % CHUNK]
    }
    fn get(&self, index: usize) -> &Slot<Conn> {
        &self.chunks[index / CHUNK][index % CHUNK]
    }
    fn push(&mut self, slot: Slot<Conn>) -> bool {
        if self.len % CHUNK == 0 {
            let Ok(chunk) = KVec::with_capacity(CHUNK, GFP_ATOMIC) else { return false };
            if self.chunks.push(chunk, GFP_ATOMIC).is_err() {
                return false;
            }
        }
        let Some(chunk) = self.chunks.last_mut() else { return false };
        // Within the capacity reserved above: no allocation.
        if chunk.push(slot, GFP_ATOMIC).is_err() {
            return false;
        }
        self.len += 1;
        true
    }
}

/// A stripe's fixed-size tables, on the heap: its bucket heads, and its
/// timer's wheels (12 KiB: a stripe built on the stack overflowed a
/// 16 KiB kernel stack).
struct HeapArray<T>(KVec<T>);

impl<T> AsRef<[T]> for HeapArray<T> {
    fn as_ref(&self) -> &[T] {
        self.0.as_slice()
    }
}

impl<T> AsMut<[T]> for HeapArray<T> {
    fn as_mut(&mut self) -> &mut [T] {
        self.0.as_mut_slice()
    }
}

type Stripe = ConnShard<Conn, Slots, HeapArray<u32>, HeapArray<Option<u32>>>;

/// The connection table.
pub(crate) struct ConnTab {
    hasher: ConnHasher,
    stripes: KVec<Pin<KBox<SpinLock<Stripe>>>>,
}

impl ConnTab {
    /// Number of hash buckets.
    pub(crate) fn buckets(&self) -> usize {
        self.hasher.buckets()
    }

    /// The stripe and the stripe-local bucket of entry `c`.
    fn place_of(&self, c: &Conn) -> (usize, usize) {
        let pe_data = c.control.as_ref().filter(|_| c.is_template()).and_then(|control| control.pe_data());
        self.place(c.proto, &c.caddr, place_port(c.cport, pe_data), c.af)
    }

    /// The stripe and the stripe-local bucket of a client.
    fn place(&self, proto: u8, caddr: &[u8; 16], cport: u16, af: u16) -> (usize, usize) {
        let bucket = if af == crate::service::AF_INET6 {
            self.hasher.bucket_v6(proto, *caddr, cport)
        } else {
            let mut v4 = [0; 4];
            v4.copy_from_slice(&caddr[..4]);
            self.hasher.bucket_v4(proto, v4, cport)
        };
        (bucket % STRIPES, bucket / STRIPES)
    }

    /// Runs `f` on the connection `key` names, under its stripe's lock;
    /// `f` returns its result and what becomes of the connection.
    pub(crate) fn with_conn<R>(&self, af: u16, key: Lookup<'_>, f: impl FnOnce(&mut Conn) -> (R, Then)) -> Option<R> {
        let (proto, caddr, cport) = key.client();
        let (stripe, bucket) = self.place(proto, caddr, cport, af);
        let mut shard = self.stripes[stripe].lock();
        let (id, conn) = shard.find(bucket, |c| key.matches(c))?;
        let (result, then) = f(conn);
        match then {
            Then::Keep => {}
            Then::Expire(timeout) => shard.rearm(id, timeout),
            Then::Remove => {
                if let Some(conn) = shard.remove(bucket, id) {
                    conn.unaccount();
                }
            }
        }
        Some(result)
    }

    /// Adds a new connection (or template), counted on its real server
    /// (and on its template, which has counted it already: see
    /// [`Control::attach`]), expiring in `timeout` seconds; `ENOMEM` if
    /// memory is short.
    pub(crate) fn insert(&self, conn: Conn, timeout: u32) -> Result {
        conn.account();
        let (stripe, bucket) = self.place_of(&conn);
        let mut shard = self.stripes[stripe].lock();
        match shard.insert(bucket, conn, timeout) {
            Ok(_) => Ok(()),
            Err(conn) => {
                conn.unaccount();
                Err(ENOMEM)
            }
        }
    }

    /// Drops every connection of namespace `net` (it is going away).
    pub(crate) fn flush_net(&self, net: usize) {
        let _bh = BhGuard::new();
        for stripe in &self.stripes {
            let mut shard = stripe.lock();
            shard.remove_if(|c, _| c.net == net, |c| c.unaccount(), |c| self.place_of(c).1);
        }
    }

    /// Removes the connections of namespace `net` that `drops` picks
    /// (it sees each with the seconds it has left) in a 32nd of the
    /// table: the stripes from `first` on. Upstream's random entry
    /// dropping looks at random buckets; going round the stripes looks at
    /// every entry within 32 calls. Returns where the next call starts.
    /// Process context; softirqs are held off meanwhile.
    pub(crate) fn drop_some(&self, net: usize, first: usize, mut drops: impl FnMut(&Conn, u32) -> bool) -> usize {
        let _bh = BhGuard::new();
        let round = STRIPES / 32;
        for i in 0..round {
            let mut shard = self.stripes[(first + i) % STRIPES].lock();
            shard.remove_if(
                |c, left| c.net == net && drops(c, left),
                |c| c.unaccount(),
                |c| self.place_of(c).1,
            );
        }
        (first + round) % STRIPES
    }

    /// Calls `f` on each connection of namespace `net` with the seconds
    /// it has left; softirqs are held off meanwhile.
    pub(crate) fn for_each(&self, net: usize, mut f: impl FnMut(&Conn, u32)) {
        let _bh = BhGuard::new();
        for stripe in &self.stripes {
            stripe.lock().for_each(|c, left| {
                if c.net == net {
                    f(c, left)
                }
            });
        }
    }

    /// One second passes: expired connections go.
    fn tick(&self) {
        for stripe in &self.stripes {
            let mut shard = stripe.lock();
            shard.tick(|c| c.expiry(), |c| c.unaccount(), |c| self.place_of(c).1);
        }
    }
}

/// The memory budget of one connection entry (thesis: 128 bytes), which
/// bounds the table size on small machines as upstream's entry size does.
const CONN_ENTRY_SIZE: usize = 128;
const _: () = assert!(core::mem::size_of::<Slot<Conn>>() <= CONN_ENTRY_SIZE);

static CONN_TAB: ModuleGlobal<ConnTab> = ModuleGlobal::new();

/// The table, for a namespace coming up.
pub(crate) fn get() -> Option<Arc<ConnTab>> {
    CONN_TAB.get()
}

/// The slow timer's tick: once a second, for the whole table.
pub(crate) struct ConnGc(Arc<ConnTab>);

impl Tick for ConnGc {
    fn tick(&self) {
        self.0.tick();
    }
}

/// The table, reachable until the guard drops, and its timer.
pub(crate) struct ConnTabHandle {
    _gc: PeriodicTimer<ConnGc>,
    _published: Published<ConnTab>,
}

/// Builds the table and starts its timer.
pub(crate) fn publish() -> Result<ConnTabHandle> {
    let requested = kbind::read_param(bindings::lvs_ipvs_conn_tab_bits);
    let bits = clamp_tab_bits(requested, kbind::total_ram_bytes(), CONN_ENTRY_SIZE);
    let hasher = ConnHasher::new(bits, kbind::random_u64());
    let per_stripe = hasher.buckets().div_ceil(STRIPES);
    let mut stripes = KVec::with_capacity(STRIPES, GFP_KERNEL)?;
    for _ in 0..STRIPES {
        let heads = HeapArray(KVec::from_elem(0u32, per_stripe, GFP_KERNEL)?);
        let wheels = HeapArray(KVec::from_elem(None, WHEEL_SLOTS, GFP_KERNEL)?);
        let shard = ConnShard::new(Slots { chunks: KVec::new(), len: 0 }, heads, wheels, 0);
        stripes.push(KBox::pin_init(kernel::new_spinlock!(shard, "lvs_conn_stripe"), GFP_KERNEL)?, GFP_KERNEL)?;
    }
    let tab = Arc::new(ConnTab { hasher, stripes }, GFP_KERNEL)?;
    pr_info!(
        "Connection hash table configured (size={}, memory={}Kbytes)\n",
        tab.buckets(),
        tab.buckets() * core::mem::size_of::<u32>() / 1024
    );
    pr_info!("Each connection entry needs {} bytes at least\n", core::mem::size_of::<Slot<Conn>>());
    let published = CONN_TAB.publish(tab.clone())?;
    let gc = PeriodicTimer::start(ConnGc(tab), timer::hz())?;
    Ok(ConnTabHandle { _gc: gc, _published: published })
}
