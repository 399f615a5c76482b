// SPDX-License-Identifier: GPL-2.0
//! The connection table (thesis §5.2.1): for now its geometry, fixed at
//! load from the `conn_tab_bits` parameter, and its hash key.

use crate::conn_hash::{ConnHasher, MAX_TAB_BITS, MIN_TAB_BITS};
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

static CONN_TAB: ModuleGlobal<ConnTab> = ModuleGlobal::new();

/// The table, for a namespace coming up.
pub(crate) fn get() -> Option<Arc<ConnTab>> {
    CONN_TAB.get()
}

/// Builds the table and makes it reachable until the guard drops.
pub(crate) fn publish() -> Result<Published<ConnTab>> {
    let bits = kbind::read_param(bindings::lvs_ipvs_conn_tab_bits);
    let seed = kbind::random_u64();
    let hasher = ConnHasher::new(bits, seed).unwrap_or_else(|_| {
        pr_info!("conn_tab_bits not in [{MIN_TAB_BITS}, {MAX_TAB_BITS}]. Using default value\n");
        ConnHasher::with_default_size(seed)
    });
    pr_info!("Connection hash table configured (size={})\n", hasher.buckets());
    CONN_TAB.publish(Arc::new(ConnTab { hasher }, GFP_KERNEL)?)
}
