// SPDX-License-Identifier: GPL-2.0
//! The connection table (thesis §5.2.1): for now its geometry, fixed at
//! load from the `conn_tab_bits` parameter, and its hash key.

use crate::conn_hash::{clamp_tab_bits, ConnHasher};
use crate::kbind::{self, bindings, global::ModuleGlobal, global::Published};
use kernel::prelude::*;
use kernel::sync::Arc;

/// The connection table, shared by every namespace as upstream's is.
pub(crate) struct ConnTab {
    hasher: ConnHasher,
}

impl ConnTab {
    /// Number of hash buckets.
    pub(crate) fn buckets(&self) -> usize {
        self.hasher.buckets()
    }
}

/// The memory budget of one connection entry (thesis: 128 bytes), which
/// bounds the table size on small machines as upstream's entry size does.
const CONN_ENTRY_SIZE: usize = 128;

static CONN_TAB: ModuleGlobal<ConnTab> = ModuleGlobal::new();

/// The table, for a namespace coming up.
pub(crate) fn get() -> Option<Arc<ConnTab>> {
    CONN_TAB.get()
}

/// Builds the table and makes it reachable until the guard drops.
pub(crate) fn publish() -> Result<Published<ConnTab>> {
    let requested = kbind::read_param(bindings::lvs_ipvs_conn_tab_bits);
    let bits = clamp_tab_bits(requested, kbind::total_ram_bytes(), CONN_ENTRY_SIZE);
    let hasher = ConnHasher::new(bits, kbind::random_u64());
    pr_info!("Connection hash table configured (size={})\n", hasher.buckets());
    CONN_TAB.publish(Arc::new(ConnTab { hasher }, GFP_KERNEL)?)
}
