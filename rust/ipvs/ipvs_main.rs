// SPDX-License-Identifier: GPL-2.0
//! `lvs_ipvs`: the IP Virtual Server core, in Rust.
//!
//! A drop-in for C IPVS (`ip_vs`): it registers the same generic-netlink
//! family and /proc files, so the two cannot be loaded together; both
//! export `ip_vs_proto_name` (see `ipvs_glue.c`), so the module loader
//! refuses whichever comes second, naming the other.

use kernel::prelude::*;

mod kbind_generated;
#[path = "../kbind/mod.rs"]
pub mod kbind;

#[path = "../logic/conn_hash.rs"]
pub mod conn_hash;
#[path = "../logic/conn_shard.rs"]
pub mod conn_shard;
#[path = "../logic/csum.rs"]
pub mod csum;
#[path = "../logic/defense_rules.rs"]
pub mod defense_rules;
#[path = "../logic/gs_table.rs"]
pub mod gs_table;
#[path = "../logic/icmp.rs"]
pub mod icmp;
#[path = "../logic/nlattr.rs"]
pub mod nlattr;
#[path = "../logic/overload.rs"]
pub mod overload;
#[path = "../logic/packet.rs"]
pub mod packet;
#[path = "../logic/persist.rs"]
pub mod persist;
#[path = "../logic/proc_text.rs"]
pub mod proc_text;
#[path = "../logic/sched_gs.rs"]
pub mod sched_gs;
#[path = "../logic/sched_input.rs"]
pub mod sched_input;
#[path = "../logic/sched_lblc.rs"]
pub mod sched_lblc;
#[path = "../logic/sched_wrr.rs"]
pub mod sched_wrr;
#[path = "../logic/sip.rs"]
pub mod sip;
#[path = "../logic/slow_timer.rs"]
pub mod slow_timer;
#[path = "../logic/stats_math.rs"]
pub mod stats_math;
#[path = "../logic/sync_msg.rs"]
pub mod sync_msg;
#[path = "../logic/tcp_state.rs"]
pub mod tcp_state;
#[path = "../logic/sctp_state.rs"]
pub mod sctp_state;
#[path = "../logic/conn_state.rs"]
pub mod conn_state;
#[path = "../logic/tunnel.rs"]
pub mod tunnel;

mod conn;
mod ctl;
mod defense;
mod gs;
mod hooks;
mod net;
mod proc;
mod sched;
pub mod sched_api;
mod service;
mod stats;
mod sync;
mod sysctl;
mod template;
mod trash;
mod xmit;

use kbind::genl::GenlRegistration;
use kbind::global::Published;
use kbind::netdev::NetdevNotifier;
use kbind::netns::Pernet;
use kbind::route::RouteCacheFrees;

module! {
    type: LvsIpvs,
    name: "lvs_ipvs",
    author: "LVS in Rust",
    description: "IP Virtual Server core (Rust)",
    license: "GPL",
}

/// The module's registrations, torn down in field order: the netlink
/// family first (no more configuration), then namespaces (their hooks,
/// services and connections), then shared tables.
struct LvsIpvs {
    _genl: GenlRegistration<ctl::IpvsFamily>,
    _device_events: NetdevNotifier<net::DeviceGone>,
    _pernet: Pernet<net::IpvsNet>,
    _ctl_lock: Published<ctl::CtlLock>,
    _schedulers: Published<sched::Registry>,
    _conn_tab: conn::ConnTabHandle,
    _route_cache_frees: RouteCacheFrees,
}

impl kernel::Module for LvsIpvs {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let route_cache_frees = RouteCacheFrees;
        let conn_tab = conn::publish()?;
        let schedulers = sched::publish()?;
        let ctl_lock = ctl::publish()?;
        let genl = GenlRegistration::register().map_err(|e| {
            if e == EEXIST {
                pr_err!("the IPVS netlink family is taken by another module\n");
                EBUSY
            } else {
                e
            }
        })?;
        let pernet = Pernet::register()?;
        let device_events = NetdevNotifier::register()?;
        pr_info!("IPVS (Rust) loaded\n");
        Ok(Self {
            _genl: genl,
            _device_events: device_events,
            _pernet: pernet,
            _ctl_lock: ctl_lock,
            _schedulers: schedulers,
            _conn_tab: conn_tab,
            _route_cache_frees: route_cache_frees,
        })
    }
}
