// SPDX-License-Identifier: GPL-2.0
//! What the core keeps in each network namespace, as upstream's
//! `struct netns_ipvs`: services, timeouts and counters are per namespace.

use crate::conn::{self, ConnTab};
use crate::defense::{self, Defense, DefenseCheck};
use crate::gs::GsFile;
use crate::proc::{ConnFile, HookCountsFile, ServicesFile, StatsFile, StatsPercpuFile};
use crate::hooks::{HookCounts, IpvsHooks, HOOKS};
use crate::kbind::global::RcuArc;
use crate::kbind::netdev::DeviceEvents;
use crate::kbind::netfilter::{Ipv6Defrag, NetHooks};
use crate::kbind::netns::{Net, PernetId, PernetState};
use crate::kbind::procfs::NetProcFile;
use crate::kbind::timer::{PeriodicTimer, PeriodicWork};
use crate::service::ServiceTable;
use crate::stats::{self, Estimation, Stats};
use crate::sync::SyncState;
use crate::sysctl::IpvsSysctls;
use crate::tcp_state::Timeouts;
use crate::trash::DestTrash;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

/// Per-namespace state. Field order is teardown order: hooks and files,
/// which read the rest, go first.
pub(crate) struct IpvsNet {
    /// `None` only while being torn down (see `drop`).
    hooks: Option<NetHooks>,
    _hook_counts_file: NetProcFile<HookCountsFile>,
    _conn_file: NetProcFile<ConnFile>,
    _services_file: NetProcFile<ServicesFile>,
    _gs_file: NetProcFile<GsFile>,
    _stats_file: NetProcFile<StatsFile>,
    _stats_percpu_file: NetProcFile<StatsPercpuFile>,
    _estimation: PeriodicTimer<Estimation>,
    _defense_check: PeriodicWork<DefenseCheck>,
    /// What the DoS defences make the packet path do.
    pub(crate) defense: Arc<Defense>,
    /// Connection sync daemons.
    pub(crate) sync: SyncState,
    /// `/proc/sys/net/ipv4/vs/`.
    pub(crate) sysctls: Arc<IpvsSysctls>,
    /// The namespace's services.
    pub(crate) services: Arc<RcuArc<ServiceTable>>,
    /// The namespace's traffic, all services together.
    pub(crate) stats: Arc<Stats>,
    /// The shared connection table.
    pub(crate) conn_tab: Arc<ConnTab>,
    /// Removed real servers that connections still use.
    pub(crate) trash: DestTrash,
    /// Packets seen by each hook.
    pub(crate) hook_counts: HookCounts,
    timeouts: Arc<ConnTimeouts>,
    /// IPv6 reassembly, on from the first IPv6 service or real server.
    ipv6_defrag: Pin<KBox<Mutex<Option<Ipv6Defrag>>>>,
    net_id: usize,
}

/// The timeouts `ipvsadm --set` controls.
pub(crate) struct ConnTimeouts([AtomicU32; 3]);

impl ConnTimeouts {
    fn new() -> Result<Arc<Self>> {
        let t = Timeouts::default();
        Ok(Arc::new(Self([AtomicU32::new(t.tcp), AtomicU32::new(t.tcp_fin), AtomicU32::new(t.udp)]), GFP_KERNEL)?)
    }

    /// The timeouts now.
    pub(crate) fn get(&self) -> Timeouts {
        let [tcp, tcp_fin, udp] = &self.0;
        Timeouts {
            tcp: tcp.load(Ordering::Relaxed),
            tcp_fin: tcp_fin.load(Ordering::Relaxed),
            udp: udp.load(Ordering::Relaxed),
        }
    }

    fn set(&self, t: &Timeouts) {
        let [tcp, tcp_fin, udp] = &self.0;
        tcp.store(t.tcp, Ordering::Relaxed);
        tcp_fin.store(t.tcp_fin, Ordering::Relaxed);
        udp.store(t.udp, Ordering::Relaxed);
    }
}

impl IpvsNet {
    /// The timeouts `ipvsadm --set` controls.
    pub(crate) fn timeouts(&self) -> Timeouts {
        self.timeouts.get()
    }

    /// The timeouts `ipvsadm --set` controls, for a thread of the
    /// namespace's to read as they change.
    pub(crate) fn shared_timeouts(&self) -> Arc<ConnTimeouts> {
        self.timeouts.clone()
    }

    /// Turns IPv6 reassembly on in namespace `net` (this one), if it is
    /// not yet: as upstream, once the namespace has an IPv6 service or
    /// real server, whose packets must be whole to be rewritten.
    pub(crate) fn need_ipv6_defrag(&self, net: &Net) -> Result {
        let mut defrag = self.ipv6_defrag.lock();
        if defrag.is_none() {
            *defrag = Some(Ipv6Defrag::enable(net)?);
        }
        Ok(())
    }

    /// Changes the timeouts.
    pub(crate) fn set_timeouts(&self, t: &Timeouts) {
        self.timeouts.set(t);
    }
}

impl Drop for IpvsNet {
    fn drop(&mut self) {
        // Unhook first and stop syncing: then nothing adds a connection
        // any more.
        drop(self.hooks.take());
        self.sync.stop_all();
        self.conn_tab.flush_net(self.net_id);
    }
}

/// Lets go of the cached routes of a namespace's real servers when one
/// of its network devices goes down or away: a route held in a cache
/// would keep its device from ever being unregistered (and its namespace
/// from going). All of them, not only those through the device (rare
/// events; each server's route is looked up again at its next packet). Those
/// of services, of the trash and of connections (which may hold a server
/// neither lists).
pub(crate) struct DeviceGone;

impl DeviceEvents for DeviceGone {
    fn device_gone(net: &Net) {
        let Some(ipvs) = IpvsNet::get(net) else { return };
        for svc in ipvs.services.get().services.iter() {
            svc.dests.iter().for_each(|d| d.forget_route());
        }
        ipvs.trash.for_each(|d| d.forget_route());
        ipvs.conn_tab.for_each(ipvs.net_id, |c, _| c.dest.as_ref().map_or((), |d| d.forget_route()));
    }
}

static IPVS_NET_ID: PernetId = PernetId::new();

/// Namespaces IPVS started in since the module loaded: each one's number
/// (upstream's `ipvs->gen`) tells its daemons' threads apart.
static NAMESPACES: AtomicU32 = AtomicU32::new(0);

impl PernetState for IpvsNet {
    fn id() -> &'static PernetId {
        &IPVS_NET_ID
    }

    /// The sync daemons' sockets hold the namespace's devices (their
    /// multicast memberships and routes): they stop first, as upstream's.
    fn devices_going(&self) {
        self.sync.stop_all();
    }

    fn init(net: &Net) -> Result<Self> {
        let services = Arc::new(RcuArc::new(ServiceTable::empty()?), GFP_KERNEL)?;
        let stats = Stats::new()?;
        let sysctls = Arc::new(IpvsSysctls::register(net)?, GFP_KERNEL)?;
        let conn_tab = conn::get().ok_or(ENODEV)?;
        let timeouts = ConnTimeouts::new()?;
        let defense = Defense::new()?;
        Ok(Self {
            _estimation: stats::start_estimation(services.clone(), stats.clone(), sysctls.clone())?,
            _defense_check: defense::start(defense.clone(), sysctls.clone(), conn_tab.clone(), timeouts.clone(), net.id())?,
            defense,
            sync: SyncState::new(NAMESPACES.fetch_add(1, Ordering::Relaxed))?,
            services,
            stats,
            conn_tab,
            trash: DestTrash::new()?,
            hook_counts: HookCounts::default(),
            timeouts,
            ipv6_defrag: KBox::pin_init(kernel::new_mutex!(None, "lvs_ipv6_defrag"), GFP_KERNEL)?,
            net_id: net.id(),
            _hook_counts_file: NetProcFile::create(net, kernel::c_str!("lvs_ipvs_hooks"))?,
            _conn_file: NetProcFile::create(net, kernel::c_str!("ip_vs_conn"))?,
            _services_file: NetProcFile::create(net, kernel::c_str!("ip_vs"))?,
            _gs_file: NetProcFile::create_writable(net, kernel::c_str!("ip_vs_gs"))?,
            _stats_file: NetProcFile::create(net, kernel::c_str!("ip_vs_stats"))?,
            _stats_percpu_file: NetProcFile::create(net, kernel::c_str!("ip_vs_stats_percpu"))?,
            sysctls,
            hooks: Some(NetHooks::register::<IpvsHooks>(net, &HOOKS)?),
        })
    }
}
