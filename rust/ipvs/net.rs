// SPDX-License-Identifier: GPL-2.0
//! What the core keeps in each network namespace, as upstream's
//! `struct netns_ipvs`: services and counters are per namespace.

use crate::conn::{self, ConnTab};
use crate::ctl::HookCountsFile;
use crate::hooks::{HookCounts, IpvsHooks, HOOKS};
use crate::kbind::netfilter::NetHooks;
use crate::kbind::netns::{Net, PernetId, PernetState};
use crate::kbind::procfs::NetProcFile;
use kernel::prelude::*;
use kernel::sync::Arc;

/// Per-namespace state. Field order is teardown order: hooks and files,
/// which read the rest, go first.
pub(crate) struct IpvsNet {
    _hooks: NetHooks,
    _hook_counts_file: NetProcFile<HookCountsFile>,
    /// The shared connection table.
    pub(crate) conn_tab: Arc<ConnTab>,
    /// Packets seen by each hook.
    pub(crate) hook_counts: HookCounts,
}

static IPVS_NET_ID: PernetId = PernetId::new();

impl PernetState for IpvsNet {
    fn id() -> &'static PernetId {
        &IPVS_NET_ID
    }

    fn init(net: &Net) -> Result<Self> {
        Ok(Self {
            conn_tab: conn::get().ok_or(ENODEV)?,
            hook_counts: HookCounts::default(),
            _hook_counts_file: NetProcFile::create(net, kernel::c_str!("lvs_ipvs_hooks"))?,
            _hooks: NetHooks::register::<IpvsHooks>(net, &HOOKS)?,
        })
    }
}
