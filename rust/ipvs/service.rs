// SPDX-License-Identifier: GPL-2.0
//! Virtual services and their real servers ("destinations").
//!
//! The packet path reads the table of a namespace's services without
//! locks: the table is an immutable snapshot behind an `RcuArc`, which
//! the control plane replaces whole on every change (under its mutex).
//! Real servers are shared between snapshots, so their counters and
//! settings, which change in place (atomics), survive edits of the
//! service; connections hold their real server, which lives on after it
//! is removed from the service until they expire, as upstream's trash.

use crate::kbind::bh::BhGuard;
use crate::kbind::bindings as b;
use crate::overload::{self, Load};
use crate::packet::PROTO_TCP;
use crate::persist::{PersistSvc, FTP_PORT};
use crate::sched::SchedBinding;
use crate::sched_api::{DestsEdit, LocalityTimes, SchedData, SvcInfo};
use crate::sched_gs::Route;
use crate::sched_input::{DestInfo, FlowKey};
use crate::sched_lblc::{Entry, CACHE_SLOTS};
use crate::stats::Stats;
use crate::kbind::global::RcuArc;
use crate::kbind::netns::Net;
use crate::kbind::route::{self, RouteCache};
use crate::trash::DestTrash;
use crate::tunnel::Tunnel;
use crate::proc_text::proto_name;
use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::sync::{Arc, SpinLock};

/// Address family numbers (`AF_INET`, `AF_INET6`).
pub(crate) const AF_INET: u16 = 2;
/// IPv6.
pub(crate) const AF_INET6: u16 = 10;

/// What identifies a virtual service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SvcKey {
    /// Address family.
    pub(crate) af: u16,
    /// IP protocol (TCP for firewall-mark services, as upstream).
    pub(crate) proto: u16,
    /// Virtual address (IPv4 in the first 4 bytes).
    pub(crate) addr: [u8; 16],
    /// Virtual port.
    pub(crate) port: u16,
    /// Firewall mark, or 0 for an address service.
    pub(crate) fwmark: u32,
}

/// A service as upstream's scheduler messages name it: `FWM 1
/// 0x00000001`, `TCP 10.0.0.1:80`, `UDP [fd00::1]:53`.
struct LogName<'a>(&'a SvcKey);

impl fmt::Display for LogName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = self.0;
        let proto = proto_name(key.proto);
        if key.fwmark != 0 {
            write!(f, "FWM {0} 0x{0:08X}", key.fwmark)
        } else if key.af == AF_INET6 {
            write!(f, "{proto} [{}]:{}", Ipv6Addr::from(key.addr), key.port)
        } else {
            let [a, b, c, d, ..] = key.addr;
            write!(f, "{proto} {}:{}", Ipv4Addr::new(a, b, c, d), key.port)
        }
    }
}

/// The settings of a service that `ipvsadm -E` changes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SvcConfig {
    /// `IP_VS_SVC_F_*` flags.
    pub(crate) flags: u32,
    /// Persistence timeout, seconds.
    pub(crate) timeout: u32,
    /// Persistence netmask (network order bytes as upstream sends them).
    pub(crate) netmask: u32,
    /// Persistence engine (`--pe`).
    pub(crate) pe: Option<Pe>,
}

/// A persistence engine: what, besides the client's address, picks a
/// persistent service's template (upstream's `ip_vs_pe`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pe {
    /// SIP: the Call-ID of a UDP datagram (`logic/sip.rs`).
    Sip,
}

impl Pe {
    /// The engine named `name`.
    pub(crate) fn by_name(name: &[u8]) -> Option<Self> {
        (name == b"sip").then_some(Pe::Sip)
    }

    /// Its name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Pe::Sip => "sip",
        }
    }
}

/// A real server.
pub(crate) struct Dest {
    /// Address family.
    pub(crate) af: u16,
    /// Address.
    pub(crate) addr: [u8; 16],
    /// Port.
    pub(crate) port: u16,
    /// Its service's firewall mark (0: an address service), which sync
    /// messages carry so that backups find the service.
    pub(crate) svc_fwmark: u32,
    /// Forwarding method (`IP_VS_CONN_F_MASQ`, `_DROUTE`, ...).
    pub(crate) fwd: AtomicU32,
    /// VS/TUN's tunnel settings ([`Tunnel::to_bits`]), read per packet.
    tunnel: AtomicU64,
    /// Weight; 0 quiesces.
    pub(crate) weight: AtomicI32,
    /// The latest non-zero weight (upstream's `last_weight`), which the
    /// Maglev scheduler builds its table from.
    last_weight: AtomicI32,
    /// Upper connection threshold (0: none).
    pub(crate) u_threshold: AtomicU32,
    /// Lower connection threshold.
    pub(crate) l_threshold: AtomicU32,
    /// The lower threshold in force (the given one, or 75% of the upper).
    l_threshold_in_force: AtomicU32,
    /// Its connections and whether they overload it (`overload.rs`),
    /// changed only by connections coming and going and new thresholds.
    load: AtomicU64,
    /// Active connections.
    pub(crate) active: AtomicU32,
    /// Inactive connections.
    pub(crate) inactive: AtomicU32,
    /// Persistence templates.
    pub(crate) persist: AtomicU32,
    /// Still in its service. Once removed it lives on while connections
    /// hold it (upstream's trash), but their packets are dropped.
    available: AtomicBool,
    /// Its traffic.
    pub(crate) stats: Arc<Stats>,
    /// The route to it, reused while valid.
    route: RouteCache,
    /// Its service's traffic, which its packets count in too. Replaced
    /// only if it comes back from the trash into a new service of the
    /// same address.
    svc_stats: RcuArc<Stats>,
}

/// The settings of a real server that `ipvsadm -a/-e` gives.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DestConfig {
    /// Forwarding method.
    pub(crate) fwd: u32,
    /// Weight.
    pub(crate) weight: i32,
    /// Upper threshold.
    pub(crate) u_threshold: u32,
    /// Lower threshold.
    pub(crate) l_threshold: u32,
    /// Tunnel type, port and flags (VS/TUN).
    pub(crate) tunnel: Tunnel,
}

impl Dest {
    /// A real server with no connections yet, of the service `svc`.
    pub(crate) fn new(af: u16, addr: [u8; 16], port: u16, config: &DestConfig, svc: &Service) -> Result<Arc<Self>> {
        let dest = Arc::new(
            Self {
                af,
                addr,
                port,
                svc_fwmark: svc.key.fwmark,
                fwd: AtomicU32::new(0),
                tunnel: AtomicU64::new(0),
                weight: AtomicI32::new(0),
                last_weight: AtomicI32::new(config.weight),
                u_threshold: AtomicU32::new(0),
                l_threshold: AtomicU32::new(0),
                l_threshold_in_force: AtomicU32::new(0),
                load: AtomicU64::new(Load::IDLE.bits()),
                active: AtomicU32::new(0),
                inactive: AtomicU32::new(0),
                persist: AtomicU32::new(0),
                available: AtomicBool::new(true),
                stats: Stats::new()?,
                route: RouteCache::new(),
                svc_stats: RcuArc::new(svc.stats.clone()),
            },
            GFP_KERNEL,
        )?;
        dest.configure(config);
        Ok(dest)
    }

    /// Applies `config` in place.
    pub(crate) fn configure(&self, config: &DestConfig) {
        self.fwd.store(config.fwd, Ordering::Relaxed);
        self.tunnel.store(config.tunnel.to_bits(), Ordering::Relaxed);
        self.weight.store(config.weight, Ordering::Relaxed);
        if config.weight > 0 {
            self.last_weight.store(config.weight, Ordering::Relaxed);
        }
        let upper = self.u_threshold.load(Ordering::Relaxed);
        let lower = self.l_threshold.load(Ordering::Relaxed);
        if (upper, lower) != (config.u_threshold, config.l_threshold) {
            let in_force = overload::lower_in_force(config.u_threshold, config.l_threshold);
            self.u_threshold.store(config.u_threshold, Ordering::Relaxed);
            self.l_threshold.store(config.l_threshold, Ordering::Relaxed);
            self.l_threshold_in_force.store(in_force, Ordering::Relaxed);
            self.change_load(|load| load.rethresholded(config.u_threshold, in_force));
        }
    }

    /// Changes its load word by `step`, atomically with the flag.
    fn change_load(&self, step: impl Fn(Load) -> Load) {
        let step = |bits| Some(step(Load::from_bits(bits)).bits());
        // The closure never declines, so the update always happens.
        let _ = self.load.fetch_update(Ordering::Relaxed, Ordering::Relaxed, step);
    }

    fn current_load(&self) -> Load {
        Load::from_bits(self.load.load(Ordering::Relaxed))
    }

    /// A connection is counted on it.
    pub(crate) fn conn_added(&self) {
        // The threshold is read on each try: a new one may come between.
        self.change_load(|load| load.added(self.u_threshold.load(Ordering::Relaxed)));
    }

    /// A connection is taken off its count.
    pub(crate) fn conn_removed(&self) {
        self.change_load(|load| load.removed(self.l_threshold_in_force.load(Ordering::Relaxed)));
    }

    /// Its tunnel settings (VS/TUN).
    pub(crate) fn tunnel(&self) -> Tunnel {
        Tunnel::from_bits(self.tunnel.load(Ordering::Relaxed))
    }

    /// Whether it is still in its service.
    pub(crate) fn is_available(&self) -> bool {
        self.available.load(Ordering::Relaxed)
    }

    /// Takes it out of service: its connections' packets are dropped
    /// from now on (upstream, with `expire_nodest_conn` off).
    pub(crate) fn retire(&self) {
        self.available.store(false, Ordering::Relaxed);
    }

    /// Puts it back in service (added again to its service).
    pub(crate) fn revive(&self) {
        self.available.store(true, Ordering::Relaxed);
    }

    /// Makes it count in `svc_stats` from now on, its own statistics
    /// from zero, if that is another service's than before: it comes back
    /// from the trash into a service that was removed and added again,
    /// as upstream. May sleep.
    pub(crate) fn rebind(&self, svc_stats: &Arc<Stats>) {
        if !self.svc_stats.with(|s| core::ptr::eq(s, &**svc_stats)) {
            self.svc_stats.replace(svc_stats.clone());
            self.stats.zero();
        }
    }

    /// The route from `net` (its namespace) to it; with `via_daddr` for
    /// packets to other addresses (VS/DR). Any context.
    pub(crate) fn route(&self, net: &Net, via_daddr: bool) -> Result<route::Route> {
        if let Some(route) = self.route.get(via_daddr) {
            return Ok(route);
        }
        let v6 = self.af == AF_INET6;
        let route = route::Route::output(net, v6, &self.addr, via_daddr)?;
        self.route.set(&route, v6, via_daddr);
        Ok(route)
    }

    /// Forgets its route (a network device went down or away).
    pub(crate) fn forget_route(&self) {
        self.route.forget();
    }

    /// A connection was scheduled to it.
    pub(crate) fn count_conn(&self) {
        self.stats.conn();
        self.svc_stats.with(|s| s.conn());
    }

    /// A packet of `bytes` from a client went to it.
    pub(crate) fn count_inbound(&self, bytes: u32) {
        self.stats.inbound(bytes);
        self.svc_stats.with(|s| s.inbound(bytes));
    }

    /// A packet of `bytes` from it went to a client.
    pub(crate) fn count_outbound(&self, bytes: u32) {
        self.stats.outbound(bytes);
        self.svc_stats.with(|s| s.outbound(bytes));
    }

    /// Whether no connection or template uses it.
    pub(crate) fn is_idle(&self) -> bool {
        self.current_load().conns() == 0 && self.persist.load(Ordering::Relaxed) == 0
    }

    /// What the scheduler sees of it now.
    fn info(&self) -> DestInfo {
        let active = self.active.load(Ordering::Relaxed);
        let inactive = self.inactive.load(Ordering::Relaxed);
        DestInfo {
            v6: self.af == AF_INET6,
            addr: self.addr,
            port: self.port,
            weight: self.weight.load(Ordering::Relaxed),
            last_weight: self.last_weight.load(Ordering::Relaxed),
            active,
            inactive,
            overloaded: self.current_load().overloaded(),
        }
    }
}

/// No routes, for a new service (or to flush its routes).
pub(crate) fn no_routes() -> Result<Arc<KVec<Route>>> {
    Ok(Arc::new(KVec::new(), GFP_KERNEL)?)
}

/// What the scheduler sees of service `key` with `config`, at `locality`.
fn svc_info(key: &SvcKey, config: &SvcConfig, locality: LocalityTimes) -> SvcInfo {
    SvcInfo { v6: key.af == AF_INET6, flags: config.flags, locality }
}

/// A service's scheduler state: its data and the servers as the
/// scheduler last saw them, behind one lock that serializes choices.
struct SchedSlot {
    dests: KVec<DestInfo>,
    data: SchedData,
}

/// A virtual service: one snapshot of it.
pub(crate) struct Service {
    /// Its identity.
    pub(crate) key: SvcKey,
    /// Its settings.
    pub(crate) config: SvcConfig,
    /// Its scheduler.
    pub(crate) sched: SchedBinding,
    /// The scheduler's state for this snapshot.
    sched_slot: Pin<KBox<SpinLock<SchedSlot>>>,
    /// Its real servers, newest first, as upstream keeps them.
    pub(crate) dests: KVec<Arc<Dest>>,
    /// Its global-server-scheduling routes (`/proc/net/ip_vs_gs`), in
    /// the order they were added; kept whatever its scheduler, shared by
    /// its snapshots until changed.
    pub(crate) routes: Arc<KVec<Route>>,
    /// Its traffic, shared by its snapshots.
    pub(crate) stats: Arc<Stats>,
}

impl Service {
    /// A snapshot of service `key` with `config`, scheduler `sched`,
    /// real servers `dests` and `routes`; `prev` is what the scheduler
    /// carries over from the previous snapshot, changed by `edit`.
    fn build(
        key: SvcKey,
        config: SvcConfig,
        sched: SchedBinding,
        dests: KVec<Arc<Dest>>,
        routes: Arc<KVec<Route>>,
        stats: Arc<Stats>,
        prev: Option<SchedData>,
        edit: DestsEdit,
    ) -> Result<Arc<Self>> {
        let mut infos = KVec::with_capacity(dests.len(), GFP_KERNEL)?;
        for d in dests.iter() {
            infos.push(d.info(), GFP_KERNEL)?;
        }
        let data = sched.prepare(prev, edit, &infos, &svc_info(&key, &config, LocalityTimes::default()), &routes)?;
        let sched_slot = KBox::pin_init(kernel::new_spinlock!(SchedSlot { dests: infos, data }, "lvs_sched_slot"), GFP_KERNEL)?;
        Ok(Arc::new(Self { key, config, sched, sched_slot, dests, routes, stats }, GFP_KERNEL)?)
    }

    /// A new service, without real servers.
    pub(crate) fn new(key: SvcKey, config: SvcConfig, sched: SchedBinding) -> Result<Arc<Self>> {
        Self::build(key, config, sched, KVec::new(), no_routes()?, Stats::new()?, None, DestsEdit::Same)
    }

    /// A copy of this service with `dests` (this one's, changed by
    /// `edit`) and `config`, and a scheduler binding of its own: `sched`
    /// if the scheduler changes, which then starts afresh.
    pub(crate) fn with(
        &self,
        config: SvcConfig,
        sched: Option<SchedBinding>,
        dests: KVec<Arc<Dest>>,
        edit: DestsEdit,
    ) -> Result<Arc<Self>> {
        self.rebuilt(config, sched, dests, self.routes.clone(), edit)
    }

    /// A copy of this service with `routes` instead of its own.
    pub(crate) fn with_routes(&self, routes: Arc<KVec<Route>>) -> Result<Arc<Self>> {
        self.rebuilt(self.config, None, self.dests_without(None)?, routes, DestsEdit::Same)
    }

    /// A copy of its list of real servers, without the one at `skip`.
    pub(crate) fn dests_without(&self, skip: Option<usize>) -> Result<KVec<Arc<Dest>>> {
        let mut out = KVec::with_capacity(self.dests.len(), GFP_KERNEL)?;
        for (i, d) in self.dests.iter().enumerate() {
            if Some(i) != skip {
                out.push(d.clone(), GFP_KERNEL)?;
            }
        }
        Ok(out)
    }

    fn rebuilt(
        &self,
        config: SvcConfig,
        sched: Option<SchedBinding>,
        dests: KVec<Arc<Dest>>,
        routes: Arc<KVec<Route>>,
        edit: DestsEdit,
    ) -> Result<Arc<Self>> {
        let (sched, prev) = match sched {
            Some(s) => (s, None),
            None => {
                let has_cache = {
                    let _bh = BhGuard::new();
                    // A statement: the lock guard goes before softirqs are
                    // let back in (a block's tail would outlive `_bh`).
                    let has_cache = self.sched_slot.lock().data.is_cache();
                    has_cache
                };
                let room = if has_cache { Some(KVVec::from_elem(Entry::EMPTY, CACHE_SLOTS, GFP_KERNEL)?) } else { None };
                let _bh = BhGuard::new();
                let carried = self.sched_slot.lock().data.carried(room);
                (self.sched.try_clone()?, Some(carried))
            }
        };
        Self::build(self.key, config, sched, dests, routes, self.stats.clone(), prev, edit)
    }

    /// Whether its connections persist (`-p`).
    pub(crate) fn is_persistent(&self) -> bool {
        self.config.flags & crate::kbind::bindings::IP_VS_SVC_F_PERSISTENT != 0
    }

    /// What persistence needs of it.
    pub(crate) fn persist_svc(&self) -> PersistSvc {
        let v6 = self.key.af == AF_INET6;
        // An IPv4 mask arrives as its bytes in network order.
        let netmask = if v6 { self.config.netmask } else { u32::from_be_bytes(self.config.netmask.to_ne_bytes()) };
        PersistSvc { v6, port: self.key.port, fwmark: self.key.fwmark, netmask }
    }

    /// The index of real server `addr`:`port` of family `af`.
    pub(crate) fn find_dest(&self, af: u16, addr: &[u8; 16], port: u16) -> Option<usize> {
        self.dests.iter().position(|d| d.af == af && &d.addr == addr && d.port == port)
    }

    /// Takes all its real servers out of service, into `trash` (it is
    /// being removed).
    pub(crate) fn retire(&self, trash: &DestTrash) {
        self.dests.iter().for_each(|d| trash.put(&self.key, d.clone()));
    }

    /// Picks a real server for new connection `flow`, at `locality`
    /// (the namespace's clock and settings). Softirq context.
    /// None available is logged (rate-limited) as upstream's schedulers
    /// do, but by "none", which never schedules.
    pub(crate) fn schedule(&self, flow: &FlowKey, locality: LocalityTimes) -> Option<&Arc<Dest>> {
        let chosen = {
            let mut slot = self.sched_slot.lock();
            let SchedSlot { dests, data } = &mut *slot;
            for (info, d) in dests.iter_mut().zip(self.dests.iter()) {
                *info = d.info();
            }
            self.sched.schedule(data, dests, flow, &svc_info(&self.key, &self.config, locality))
        };
        if chosen.is_none() && !self.sched.schedules_nothing() && crate::kbind::net_ratelimit() {
            pr_err!("{}: {} - no destination available\n", self.sched.name(), LogName(&self.key));
        }
        self.dests.get(chosen?)
    }
}

/// A namespace's services: an immutable snapshot.
pub(crate) struct ServiceTable {
    /// The services, in the order they were added.
    pub(crate) services: KVec<Arc<Service>>,
}

impl ServiceTable {
    /// No services.
    pub(crate) fn empty() -> Result<Arc<Self>> {
        Ok(Arc::new(Self { services: KVec::new() }, GFP_KERNEL)?)
    }

    /// The index of the service `key` names.
    pub(crate) fn position(&self, key: &SvcKey) -> Option<usize> {
        self.services.iter().position(|s| {
            s.key.af == key.af
                && s.key.fwmark == key.fwmark
                && (key.fwmark != 0 || (s.key.proto == key.proto && s.key.addr == key.addr && s.key.port == key.port))
        })
    }

    /// The service a packet of family `af` with firewall mark `mark`, of
    /// protocol `proto` to `addr`:`port`, is for. Upstream's order: the
    /// mark's service; the address's; for TCP, an FTP service of the
    /// address, if the port may be one of its data connections
    /// (`may_be_ftp_data`); the address's port-zero service.
    pub(crate) fn lookup(
        &self,
        af: u16,
        mark: u32,
        proto: u8,
        addr: &[u8; 16],
        port: u16,
        may_be_ftp_data: impl FnOnce() -> bool,
    ) -> Option<&Arc<Service>> {
        let by_mark = || self.services.iter().find(|s| s.key.fwmark == mark && s.key.af == af);
        let by_addr = |port: u16| {
            self.services.iter().find(|s| {
                s.key.fwmark == 0 && s.key.af == af && s.key.proto == u16::from(proto) && s.key.port == port && &s.key.addr == addr
            })
        };
        (if mark != 0 { by_mark() } else { None })
            .or_else(|| by_addr(port))
            .or_else(|| if proto == PROTO_TCP && may_be_ftp_data() { by_addr(FTP_PORT) } else { None })
            .or_else(|| by_addr(0))
    }

    /// Whether `addr`:`port` is a VS/NAT real server of a service of
    /// protocol `proto` (or of a firewall-mark service), family `af`
    /// (upstream's `ip_vs_has_real_service`).
    pub(crate) fn has_nat_server(&self, af: u16, proto: u8, addr: &[u8; 16], port: u16) -> bool {
        self.services.iter().filter(|s| s.key.af == af && (s.key.fwmark != 0 || s.key.proto == u16::from(proto))).any(|s| {
            s.dests.iter().any(|d| {
                d.port == port && &d.addr == addr && d.fwd.load(Ordering::Relaxed) == b::IP_VS_CONN_F_MASQ
            })
        })
    }

    /// Takes every service out, their servers into `trash` (the table is
    /// being flushed).
    pub(crate) fn retire(&self, trash: &DestTrash) {
        self.services.iter().for_each(|s| s.retire(trash));
    }

    /// A new table: this one with service `index` replaced by `service`
    /// (`None`: removed), or `service` appended if `index` is `None`.
    pub(crate) fn edited(&self, index: Option<usize>, service: Option<Arc<Service>>) -> Result<Arc<Self>> {
        let mut services = KVec::with_capacity(self.services.len() + 1, GFP_KERNEL)?;
        for (i, s) in self.services.iter().enumerate() {
            if Some(i) == index {
                if let Some(new) = service.clone() {
                    services.push(new, GFP_KERNEL)?;
                }
            } else {
                services.push(s.clone(), GFP_KERNEL)?;
            }
        }
        if index.is_none() {
            if let Some(new) = service {
                services.push(new, GFP_KERNEL)?;
            }
        }
        Ok(Arc::new(Self { services }, GFP_KERNEL)?)
    }
}
