// SPDX-License-Identifier: GPL-2.0
//! Connection synchronization between directors (thesis §5.2.10,
//! upstream's sync daemons, `ipvsadm --start-daemon master|backup`).
//!
//! A master multicasts the connections its packets move along (at the
//! packets the `sync_threshold` sysctl names, as their expiry moves with
//! `sync_refresh_period`, and when a TCP connection starts closing:
//! `sync_msg::sync_needed`) in upstream's version 1 messages (version 0
//! with `sync_version` 0); a backup
//! enters what it receives in its own connection table, so that the
//! clients' connections go on to the same real servers once it takes
//! over the virtual addresses. Each runs as kernel threads (`sync_ports`
//! of them: one by default) over UDP multicast sockets (`kbind::mcast`),
//! thread N on upstream's port plus N, named as upstream's
//! (`ipvs-m:GEN:N`, `ipvs-b:GEN:N`, GEN counting namespaces); a connection always goes
//! through the same master thread. Messages are interoperable with C
//! IPVS directors. Persistence templates and connections of
//! firewall-mark services are not synced (yet): after a takeover a
//! persistent client's next connection is scheduled afresh, and a
//! firewall-mark service's connections are scheduled again.

use crate::conn::{self, Conn, ConnTab, Control, Lookup, Then, F_INACTIVE, F_NOOUTPUT, F_TEMPLATE};
use crate::kbind::bh::BhGuard;
use crate::kbind::bindings as b;
use crate::kbind::kthread::{self, KThread, ThreadBody};
use crate::kbind::mcast::{Group, Receiver, Sender};
use crate::kbind::global::RcuArc;
use crate::kbind::netns::Net;
use crate::net::{ConnTimeouts, IpvsNet};
use crate::kbind::timer;
use crate::service::{Dest, Pe, Service, ServiceTable, AF_INET, AF_INET6};
use crate::sysctl::IpvsSysctls;
use crate::sync_msg::{self, MessageWriter, Moved, PeOption, SyncConn, SyncRules, Version, SYNC_GROUP_V4, SYNC_PORT};
use crate::conn_state::ConnState;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::{Arc, Mutex, SpinLock};

/// A sync daemon's settings, as `--start-daemon` gave them and upstream
/// completes them (`ipvs_sync_daemon_cfg`).
#[derive(Clone, Copy)]
pub(crate) struct SyncConfig {
    /// The interface's name (NUL-padded).
    pub(crate) ifname: [u8; 16],
    /// Sync id: a backup takes only its master's (0: any).
    pub(crate) syncid: u8,
    /// Largest message, bytes.
    pub(crate) maxlen: u16,
    /// Multicast group and port.
    pub(crate) group: Group,
    /// Multicast TTL.
    pub(crate) ttl: u8,
}

/// What `ipvsadm --start-daemon` asks for, before upstream's defaults.
pub(crate) struct DaemonRequest<'a> {
    /// `IP_VS_STATE_MASTER` or `IP_VS_STATE_BACKUP`.
    pub(crate) state: u32,
    /// Interface name.
    pub(crate) ifname: &'a [u8],
    /// Sync id.
    pub(crate) syncid: u32,
    /// Largest message, 0 for the interface's.
    pub(crate) maxlen: u16,
    /// Group, if given.
    pub(crate) group: Option<(bool, [u8; 16])>,
    /// Port, 0 for upstream's.
    pub(crate) port: u16,
    /// TTL, 0 for 1.
    pub(crate) ttl: u8,
}

/// IPv4 + UDP and IPv6 + UDP header bytes, which a message leaves room for.
const V4_HEADERS: u16 = 20 + 8;
const V6_HEADERS: u16 = 40 + 8;

impl SyncConfig {
    /// Upstream's defaults and bounds applied to `req` for a daemon on
    /// interface `ifindex` (`start_sync_thread`).
    fn of(net: &Net, ifindex: i32, req: &DaemonRequest<'_>) -> Self {
        let backup = req.state == b::IP_VS_STATE_BACKUP;
        let (v6, addr) = req.group.unwrap_or_else(|| {
            let mut addr = [0u8; 16];
            addr[..4].copy_from_slice(&SYNC_GROUP_V4);
            (false, addr)
        });
        let headers = if v6 { V6_HEADERS } else { V4_HEADERS };
        // A backup reads messages as large as its interface carries.
        let mtu = if backup { net.device_mtu(ifindex).clamp(1500, 65535) as u16 } else { 1500 };
        let least = if backup { 1024 } else { 1 };
        let maxlen = if req.maxlen != 0 { req.maxlen.clamp(least, 65535 - headers) } else { mtu - headers };
        let mut ifname = [0u8; 16];
        let n = req.ifname.len().min(15);
        ifname[..n].copy_from_slice(&req.ifname[..n]);
        Self {
            ifname,
            syncid: req.syncid as u8,
            maxlen,
            group: Group { v6, addr, port: if req.port != 0 { req.port } else { SYNC_PORT } },
            ttl: if req.ttl != 0 { req.ttl } else { 1 },
        }
    }

    /// The group and port thread `id` of a daemon uses: upstream's port
    /// plus `id`.
    fn group_of(&self, id: usize) -> Group {
        Group { port: self.group.port.wrapping_add(id as u16), ..self.group }
    }

    /// The interface's name, without the padding.
    pub(crate) fn ifname(&self) -> &[u8] {
        let end = self.ifname.iter().position(|&c| c == 0).unwrap_or(self.ifname.len());
        &self.ifname[..end]
    }
}

/// Messages a master has filled or is filling, waiting for its thread.
struct Outgoing {
    syncid: u8,
    /// The message being filled (`maxlen` bytes), its version and how
    /// far.
    filling: KVec<u8>,
    version: Version,
    len: usize,
    count: u8,
    /// Full messages and their lengths, oldest first.
    ready: KVec<(KVec<u8>, usize)>,
}

impl Outgoing {
    fn new(config: &SyncConfig) -> Result<Self> {
        let mut filling = KVec::from_elem(0u8, usize::from(config.maxlen), GFP_KERNEL)?;
        let version = Version::V1;
        let len = MessageWriter::new(&mut filling, version, config.syncid).ok_or(EINVAL)?.progress().0;
        Ok(Self { syncid: config.syncid, filling, version, len, count: 0, ready: KVec::new() })
    }

    /// Seals the message being filled and starts an empty one of
    /// `version`: the sealed message and its length (atomic allocation).
    fn restart(&mut self, version: Version) -> Result<(KVec<u8>, usize)> {
        let mut fresh = KVec::from_elem(0u8, self.filling.len(), GFP_ATOMIC)?;
        let len = MessageWriter::new(&mut fresh, version, self.syncid).ok_or(EINVAL)?.progress().0;
        let mut full = core::mem::replace(&mut self.filling, fresh);
        let sealed = MessageWriter::resume(&mut full, self.version, self.len, self.count).finish().len();
        (self.version, self.len, self.count) = (version, len, 0);
        Ok((full, sealed))
    }

    /// Adds `conn` to a message of `version` (`sync_version`), starting
    /// another when the one being filled is full or of the other version
    /// (softirq context). A message sealed while `qlen_max` wait already
    /// is dropped, as upstream's; without memory for a new one, the
    /// update is.
    fn add(&mut self, conn: &SyncConn, pe: Option<PeOption<'_>>, version: Version, qlen_max: usize) {
        if version == self.version && self.push(conn, pe) {
            return;
        }
        if self.count == 0 {
            // Empty: only its version changes.
            if let Some(w) = MessageWriter::new(&mut self.filling, version, self.syncid) {
                (self.version, self.len) = (version, w.progress().0);
                self.push(conn, pe);
            }
            return;
        }
        let Ok(full) = self.restart(version) else { return };
        // A full queue (or no memory for one more) loses the sealed
        // message; the update goes on in the new one.
        if self.ready.len() < qlen_max {
            let _ = self.ready.push(full, GFP_ATOMIC);
        }
        self.push(conn, pe);
    }

    fn push(&mut self, conn: &SyncConn, pe: Option<PeOption<'_>>) -> bool {
        let mut w = MessageWriter::resume(&mut self.filling, self.version, self.len, self.count);
        let added = w.push_with(conn, pe);
        (self.len, self.count) = w.progress();
        added
    }

    /// Takes the full messages and the one being filled, sealed.
    fn take(&mut self) -> Result<KVec<(KVec<u8>, usize)>> {
        let mut out = core::mem::take(&mut self.ready);
        if self.count > 0 {
            out.push(self.restart(self.version)?, GFP_ATOMIC)?;
        }
        Ok(out)
    }
}

/// The master's queues, one per thread (none while no master runs),
/// shared by the packet path and the threads.
type OutQueues = SpinLock<KVec<Outgoing>>;

/// The master thread (of `threads`) that sends `conn`: always the same for
/// one connection, so its updates stay in order; by client address and
/// port, so that clients of one port spread too.
fn thread_of(conn: &SyncConn, threads: usize) -> usize {
    let mix = conn.caddr.iter().fold(u32::from(conn.cport), |h, &b| h.rotate_left(5) ^ u32::from(b));
    (mix as usize).checked_rem(threads).unwrap_or(0)
}

/// Seconds a template from a version 0 message (which carries no
/// timeout) lives, as upstream's.
const V0_TEMPLATE_TIMEOUT: u32 = 180;

/// A template's state once a connection it controls was established or
/// answered (upstream's `IP_VS_CTPL_S_ASSURED`); 0 before.
const TEMPLATE_ASSURED: u16 = 1;

/// Connection or template `conn` as a sync message carries it, with
/// `timeout` seconds left (one with no real server has no service's
/// firewall mark to carry).
pub(crate) fn entry_of(conn: &Conn, timeout: u32) -> SyncConn {
    SyncConn {
        v6: conn.af == AF_INET6,
        proto: conn.proto,
        flags: upstream_flags(conn),
        state: conn.state.number(),
        cport: conn.cport,
        vport: conn.vport,
        dport: conn.dport,
        fwmark: conn.dest.as_ref().map_or(0, |d| d.svc_fwmark),
        timeout,
        caddr: conn.caddr,
        vaddr: conn.vaddr,
        daddr: conn.daddr,
    }
}

/// Upstream's flag bits for ours (`IP_VS_CONN_F_*`), as sync messages
/// carry them: the forwarding method, no-output, inactive and template.
fn upstream_flags(conn: &Conn) -> u32 {
    let mut flags = u32::from(conn.fwd);
    if conn.flags & F_NOOUTPUT != 0 {
        flags |= b::IP_VS_CONN_F_NOOUTPUT;
    }
    if conn.flags & F_INACTIVE != 0 {
        flags |= b::IP_VS_CONN_F_INACTIVE;
    }
    if conn.is_template() {
        flags |= b::IP_VS_CONN_F_TEMPLATE;
    }
    flags
}

/// The real server of service `svc` a synced entry names (upstream's
/// `ip_vs_find_dest`): a firewall-mark service's servers other than
/// VS/NAT's are found by address (their port may be 0), and a port that
/// matches neither way is tried as 0.
fn synced_dest<'a>(svc: &'a Service, c: &SyncConn) -> Option<&'a Arc<Dest>> {
    let fwd = c.flags & b::IP_VS_CONN_F_FWD_MASK;
    let port = if c.fwmark != 0 && fwd != b::IP_VS_CONN_F_MASQ { 0 } else { c.dport };
    let find = |port: u16| svc.dests.iter().find(|d| d.addr == c.daddr && d.port == port);
    find(port).or_else(|| find(port ^ c.dport))
}

/// A master daemon's thread: sends what its queue holds, once a second.
struct MasterThread {
    sender: Sender,
    out: Arc<OutQueues>,
    /// Its queue in `out`.
    id: usize,
}

impl ThreadBody for MasterThread {
    fn run(&self) {
        while !kthread::should_stop() {
            let batch = {
                let _bh = BhGuard::new();
                // The lock goes before softirqs come back.
                let mut out = self.out.lock();
                let batch = out.get_mut(self.id).map(|o| o.take());
                drop(out);
                batch
            };
            if let Some(Ok(messages)) = batch {
                for (message, len) in messages.iter() {
                    // A message the socket cannot take now is lost, as
                    // upstream's when its send fails.
                    let _ = self.sender.send(&message[..*len]);
                }
            }
            timer::sleep_interruptible(timer::hz());
        }
    }
}

/// A backup daemon's thread: enters every connection it receives.
struct BackupThread {
    receiver: Receiver,
    config: SyncConfig,
    net_id: usize,
    conn_tab: Arc<ConnTab>,
    services: Arc<RcuArc<ServiceTable>>,
    timeouts: Arc<ConnTimeouts>,
    /// The namespace's sysctls (`conntrack` for new connections).
    sysctls: Arc<IpvsSysctls>,
}

impl ThreadBody for BackupThread {
    fn run(&self) {
        let Ok(mut buf) = KVec::from_elem(0u8, usize::from(self.config.maxlen), GFP_KERNEL) else { return };
        while !kthread::should_stop() {
            self.receiver.wait();
            while let Ok(len) = self.receiver.recv(&mut buf) {
                // Messages of other sync ids, or malformed, are ignored.
                let Ok(entries) = sync_msg::parse(&buf[..len], self.config.syncid) else { continue };
                for entry in entries {
                    match entry {
                        Ok((conn, pe)) => self.enter(&conn, pe),
                        Err(_) => break,
                    }
                }
            }
        }
    }
}

impl BackupThread {
    /// Enters or updates connection or template `c` (a persistence
    /// engine's template if `pe`) if a service and real server of ours
    /// match it (upstream's `ip_vs_proc_conn`); an engine that is not
    /// ours drops the entry, as upstream's backup drops one whose engine
    /// is not loaded.
    fn enter(&self, c: &SyncConn, pe: Option<PeOption<'_>>) {
        let pe = match pe {
            Some(pe) => match Pe::by_name(pe.name) {
                Some(engine) => Some((engine, pe.data)),
                None => return,
            },
            None => None,
        };
        let template = c.flags & b::IP_VS_CONN_F_TEMPLATE != 0;
        let af = if c.v6 { AF_INET6 } else { AF_INET };
        let state = if template {
            ConnState::Single
        } else {
            let Some(state) = ConnState::from_number(c.proto, c.state) else { return };
            state
        };
        let fwd = (c.flags & b::IP_VS_CONN_F_FWD_MASK) as u8;
        // A `cache_bypass` connection has no real server to find: its
        // packets go where they were going.
        let dest = if !template && u32::from(fwd) == b::IP_VS_CONN_F_BYPASS {
            None
        } else {
            let services = self.services.get();
            let Some(svc) = services.lookup(af, c.fwmark, c.proto, &c.vaddr, c.vport, || false) else { return };
            let Some(dest) = synced_dest(svc, c) else { return };
            Some(dest.clone())
        };
        let _bh = BhGuard::new();
        let (net, proto, caddr, vaddr, vport) = (self.net_id, c.proto, c.caddr, c.vaddr, c.vport);
        let key = if template {
            Lookup::Template { net, proto, caddr, vaddr, vport, pe_data: pe.map(|(_, data)| data) }
        } else {
            Lookup::In { net, proto, caddr, cport: c.cport, vaddr, vport }
        };
        // Version 0 messages carry no timeout: the state's, or for a
        // template upstream's 3 minutes.
        let timeouts = self.timeouts.get();
        let timeout = |conn: &Conn| match c.timeout {
            0 if template => V0_TEMPLATE_TIMEOUT,
            0 => conn.timeout(&timeouts),
            timeout => timeout,
        };
        let known = self.conn_tab.with_conn(af, key, |conn| {
            let timeout = timeout(conn);
            match &conn.control {
                Some(control) if template => {
                    control.set_timeout(timeout);
                    if c.state == TEMPLATE_ASSURED {
                        control.assure();
                    }
                }
                _ => {
                    conn.set_state(state);
                    conn.synced_state = state;
                }
            }
            ((), Then::Expire(timeout))
        });
        if known.is_some() {
            return;
        }
        let inactive = if state.is_active() { 0 } else { F_INACTIVE };
        let mut conn = Conn {
            net: self.net_id,
            dest,
            caddr: c.caddr,
            vaddr: c.vaddr,
            daddr: c.daddr,
            cport: c.cport,
            vport: c.vport,
            dport: c.dport,
            af,
            proto: c.proto,
            fwd,
            state,
            flags: conn::no_output(fwd) | inactive | if template { F_TEMPLATE } else { self.sysctls.conntrack_flag() },
            in_pkts: 0,
            synced_state: state,
            sync_endtime: conn::never_synced(),
            control: None,
        };
        let timeout = timeout(&conn);
        if template {
            // Out of memory: the template is not taken over.
            let pe = match pe {
                Some((engine, data)) => {
                    let mut key = KVec::new();
                    // Out of memory: the template is not taken over.
                    if key.extend_from_slice(data, GFP_ATOMIC).is_err() {
                        return;
                    }
                    Some((engine, key))
                }
                None => None,
            };
            let Ok(control) = Control::new(timeout, entry_of(&conn, timeout), 0, pe) else { return };
            if c.state == TEMPLATE_ASSURED {
                control.assure();
            }
            conn.control = Some(control);
        }
        // Out of memory: the connection is not taken over.
        let _ = self.conn_tab.insert(conn, timeout);
    }
}

/// The running daemons of a namespace and their settings.
#[derive(Default)]
struct Daemons {
    master: Option<(SyncConfig, KVec<KThread<MasterThread>>)>,
    backup: Option<(SyncConfig, KVec<KThread<BackupThread>>)>,
}

impl Daemons {
    /// Threads per daemon: `sync_ports` (at most [`MAX_PORTS`]) when the
    /// first daemon starts; a second one has as many as the first.
    fn threads(&self, sync_ports: usize) -> usize {
        match (&self.master, &self.backup) {
            (Some((_, threads)), _) => threads.len(),
            (_, Some((_, threads))) => threads.len(),
            _ => sync_ports.clamp(1, MAX_PORTS),
        }
    }
}

/// A daemon thread's name, as upstream's: `ipvs-m:GEN:ID` (master) or
/// `ipvs-b:...` (backup), GEN the namespace's number.
fn thread_name(kind: &str, gen: u32, id: usize) -> Result<CString> {
    CString::try_from_fmt(kernel::fmt!("ipvs-{}:{}:{}", kind, gen, id))
}

/// Upstream's `IPVS_SYNC_PORTS_MAX`: threads (and ports) per daemon.
const MAX_PORTS: usize = 128;

/// A namespace's connection sync.
pub(crate) struct SyncState {
    /// Whether a master daemon runs (checked by every packet).
    master_on: AtomicBool,
    /// Whether a backup daemon runs (checked by every packet, for
    /// `backup_only`).
    backup_on: AtomicBool,
    out: Arc<OutQueues>,
    daemons: Pin<KBox<Mutex<Daemons>>>,
    /// The namespace's number, in its threads' names.
    gen: u32,
}

impl SyncState {
    /// No daemon running, in the `gen`-th namespace IPVS started in.
    pub(crate) fn new(gen: u32) -> Result<Self> {
        Ok(Self {
            master_on: AtomicBool::new(false),
            backup_on: AtomicBool::new(false),
            out: Arc::pin_init(kernel::new_spinlock!(KVec::new(), "lvs_sync_out"), GFP_KERNEL)?,
            daemons: KBox::pin_init(kernel::new_mutex!(Daemons::default(), "lvs_sync_daemons"), GFP_KERNEL)?,
            gen,
        })
    }

    /// After a client's packet moved `conn` along (it now expires in
    /// `timeout` seconds), queues it and its template for the backups if
    /// a master runs and upstream would sync them now
    /// (`sync_msg::sync_needed`, by the `sync_threshold`,
    /// `sync_refresh_period` and `sync_retries` sysctls; with
    /// `sync_persist_mode`, a connection under a template is not synced,
    /// only its template), within `sync_qlen_max`. Softirq context.
    pub(crate) fn conn_moved(&self, conn: &mut Conn, timeout: u32, sysctls: &IpvsSysctls) {
        if !self.master_on.load(Ordering::Relaxed) || conn.is_template() {
            return;
        }
        let version = sysctls.sync_version();
        if !version.carries(conn.af == AF_INET6) {
            return;
        }
        let rules = sysctls.sync_rules();
        let now = timer::jiffies();
        if !(sysctls.sync_persist_mode() && conn.control.is_some()) {
            let moved = Moved {
                template: false,
                tracked: conn.state.is_tracked(),
                syncable: conn.state.is_synced(),
                established: conn.state.is_established(),
                changed: conn.state != conn.synced_state,
                pkts: conn.in_pkts,
                endtime: conn.sync_endtime,
                now,
                timeout: timeout.saturating_mul(rules.hz),
            };
            if let Some(endtime) = sync_msg::sync_needed(&moved, &rules) {
                conn.synced_state = conn.state;
                conn.sync_endtime = endtime;
                self.queue(&entry_of(conn, timeout), None, version, sysctls);
            }
        }
        if let Some(control) = &conn.control {
            self.template_moved(control, now, &rules, version, sysctls);
        }
    }

    /// A packet of a connection that template `control` controls came:
    /// the template is queued too when upstream would sync it. It is no
    /// entry of the table here (connections hold only its control),
    /// hence its own counters, changed without the template's lock.
    fn template_moved(&self, control: &Control, now: u32, rules: &SyncRules, version: Version, sysctls: &IpvsSysctls) {
        let sync = &control.sync;
        if sync.invalid.load(Ordering::Relaxed) {
            return;
        }
        let timeout = control.timeout();
        let endtime = sync.endtime.load(Ordering::Relaxed);
        let moved = Moved {
            template: true,
            tracked: false,
            syncable: false,
            established: false,
            changed: false,
            pkts: sync.pkts.fetch_add(1, Ordering::Relaxed).wrapping_add(1),
            endtime,
            now,
            timeout: timeout.saturating_mul(rules.hz),
        };
        let Some(next) = sync_msg::sync_needed(&moved, rules) else { return };
        // Another CPU's packet synced it meanwhile: once is enough.
        if sync.endtime.compare_exchange(endtime, next, Ordering::Relaxed, Ordering::Relaxed).is_err() {
            return;
        }
        let state = if control.is_assured() { TEMPLATE_ASSURED } else { 0 };
        let pe = control.pe().map(|(pe, data)| PeOption { name: pe.name().as_bytes(), data });
        self.queue(&SyncConn { timeout, state, ..sync.entry }, pe, version, sysctls);
    }

    /// Queues `entry`, with its persistence engine's key `pe`, on its
    /// master thread's queue.
    fn queue(&self, entry: &SyncConn, pe: Option<PeOption<'_>>, version: Version, sysctls: &IpvsSysctls) {
        let mut queues = self.out.lock();
        let n = queues.len();
        if let Some(out) = queues.get_mut(thread_of(entry, n)) {
            out.add(entry, pe, version, sysctls.sync_qlen_max());
        }
    }

    /// Starts a daemon of namespace `ipvs` (`ipvsadm --start-daemon`),
    /// its socket's buffer as `sync_sock_size` says: `EEXIST` if one of
    /// that state runs, `ENODEV` without the interface. May sleep.
    pub(crate) fn start(&self, net: &Net, req: &DaemonRequest<'_>, ipvs: &IpvsNet) -> Result {
        let sock_size = ipvs.sysctls.sync_sock_size();
        let ifindex = net.device_index(req.ifname).ok_or(ENODEV)?;
        let config = SyncConfig::of(net, ifindex, req);
        let mut daemons = self.daemons.lock();
        let threads = daemons.threads(ipvs.sysctls.sync_ports());
        match req.state {
            b::IP_VS_STATE_MASTER => {
                if daemons.master.is_some() {
                    return Err(EEXIST);
                }
                let mut senders = KVec::with_capacity(threads, GFP_KERNEL)?;
                let mut queues = KVec::with_capacity(threads, GFP_KERNEL)?;
                for id in 0..threads {
                    senders.push(Sender::open(net, ifindex, &config.group_of(id), config.ttl, sock_size)?, GFP_KERNEL)?;
                    queues.push(Outgoing::new(&config)?, GFP_KERNEL)?;
                }
                self.set_queues(queues);
                let spawned = match self.spawn_masters(senders) {
                    Ok(spawned) => spawned,
                    Err(e) => {
                        self.set_queues(KVec::new());
                        return Err(e);
                    }
                };
                daemons.master = Some((config, spawned));
                self.master_on.store(true, Ordering::Relaxed);
            }
            b::IP_VS_STATE_BACKUP => {
                if daemons.backup.is_some() {
                    return Err(EEXIST);
                }
                let mut spawned = KVec::with_capacity(threads, GFP_KERNEL)?;
                for id in 0..threads {
                    let body = BackupThread {
                        receiver: Receiver::open(net, ifindex, &config.group_of(id), sock_size)?,
                        config,
                        net_id: net.id(),
                        conn_tab: ipvs.conn_tab.clone(),
                        services: ipvs.services.clone(),
                        timeouts: ipvs.shared_timeouts(),
                        sysctls: ipvs.sysctls.clone(),
                    };
                    let thread = KThread::spawn(&thread_name("b", self.gen, id)?, Arc::new(body, GFP_KERNEL)?)?;
                    spawned.push(thread, GFP_KERNEL)?;
                }
                daemons.backup = Some((config, spawned));
                self.backup_on.store(true, Ordering::Relaxed);
            }
            _ => return Err(EINVAL),
        }
        Ok(())
    }

    /// A master thread for each of `senders`, the `id`-th sending queue
    /// `id`; if one cannot start, those started stop again.
    fn spawn_masters(&self, senders: KVec<Sender>) -> Result<KVec<KThread<MasterThread>>> {
        let mut spawned = KVec::with_capacity(senders.len(), GFP_KERNEL)?;
        for (id, sender) in senders.into_iter().enumerate() {
            let body = Arc::new(MasterThread { sender, out: self.out.clone(), id }, GFP_KERNEL)?;
            spawned.push(KThread::spawn(&thread_name("m", self.gen, id)?, body)?, GFP_KERNEL)?;
        }
        Ok(spawned)
    }

    /// Replaces the master's queues (softirqs held off: the packet path
    /// takes the lock).
    fn set_queues(&self, queues: KVec<Outgoing>) {
        let old = {
            let _bh = BhGuard::new();
            let mut out = self.out.lock();
            let old = core::mem::replace(&mut *out, queues);
            drop(out);
            old
        };
        drop(old);
    }

    /// Whether this director only backs up (a backup daemon runs and
    /// `backup_only` is set): its hooks balance nothing.
    pub(crate) fn backup_only(&self, sysctls: &IpvsSysctls) -> bool {
        self.backup_on.load(Ordering::Relaxed) && sysctls.backup_only()
    }

    /// Stops the daemon of `state` (`ipvsadm --stop-daemon`): `ESRCH` if
    /// none runs. May sleep.
    pub(crate) fn stop(&self, state: u32) -> Result {
        let mut daemons = self.daemons.lock();
        match state {
            b::IP_VS_STATE_MASTER => {
                let master = daemons.master.take().ok_or(ESRCH)?;
                self.master_on.store(false, Ordering::Relaxed);
                drop(master);
                self.set_queues(KVec::new());
            }
            b::IP_VS_STATE_BACKUP => {
                let backup = daemons.backup.take().ok_or(ESRCH)?;
                self.backup_on.store(false, Ordering::Relaxed);
                drop(backup);
            }
            _ => return Err(EINVAL),
        }
        Ok(())
    }

    /// Stops whatever runs (the namespace is going away).
    pub(crate) fn stop_all(&self) {
        let _ = self.stop(b::IP_VS_STATE_MASTER);
        let _ = self.stop(b::IP_VS_STATE_BACKUP);
    }

    /// The running daemons' states and settings, master first (for
    /// `ipvsadm --daemon`).
    pub(crate) fn running(&self) -> KVec<(u32, SyncConfig)> {
        let daemons = self.daemons.lock();
        let mut list = KVec::new();
        if let Some((config, _)) = &daemons.master {
            let _ = list.push((b::IP_VS_STATE_MASTER, *config), GFP_KERNEL);
        }
        if let Some((config, _)) = &daemons.backup {
            let _ = list.push((b::IP_VS_STATE_BACKUP, *config), GFP_KERNEL);
        }
        list
    }
}
