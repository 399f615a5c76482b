// SPDX-License-Identifier: GPL-2.0
//! The core's side of scheduler modules: the registry they join through
//! the exported functions below (see `sched_api.rs`).

use crate::kbind::global::{ModuleGlobal, Published};
use crate::sched_api::Scheduler;
use core::ffi::c_int;
use kernel::prelude::*;
use kernel::rbtree::RBTree;
use kernel::sync::{Arc, Mutex};

/// The registered schedulers, by name.
pub(crate) type Registry = Mutex<RBTree<&'static str, &'static Scheduler>>;

static REGISTRY: ModuleGlobal<Registry> = ModuleGlobal::new();

/// Creates the registry and makes it reachable until the guard drops.
pub(crate) fn publish() -> Result<Published<Registry>> {
    REGISTRY.publish(Arc::pin_init(kernel::new_mutex!(RBTree::new()), GFP_KERNEL)?)
}

fn register(scheduler: &'static Scheduler) -> Result {
    let registry = REGISTRY.get().ok_or(ENODEV)?;
    let mut schedulers = registry.lock();
    if schedulers.get(&scheduler.name()).is_some() {
        pr_err!("register_ip_vs_scheduler(): [{}] scheduler already existed in the system\n", scheduler.name());
        return Err(EEXIST);
    }
    schedulers.try_create_and_insert(scheduler.name(), scheduler, GFP_KERNEL)?;
    pr_info!("[{}] scheduler registered.\n", scheduler.name());
    Ok(())
}

/// Adds a scheduler module's scheduler; exported to scheduler modules.
#[no_mangle]
pub(crate) extern "C" fn lvs_ipvs_register_scheduler(scheduler: &'static Scheduler) -> c_int {
    match register(scheduler) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Removes a scheduler; exported to scheduler modules.
#[no_mangle]
pub(crate) extern "C" fn lvs_ipvs_unregister_scheduler(scheduler: &'static Scheduler) {
    let Some(registry) = REGISTRY.get() else { return };
    let mut schedulers = registry.lock();
    if schedulers.get(&scheduler.name()).is_some_and(|s| core::ptr::eq(*s, scheduler)) {
        schedulers.remove(&scheduler.name());
        pr_info!("[{}] scheduler unregistered.\n", scheduler.name());
    }
}
