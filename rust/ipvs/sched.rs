// SPDX-License-Identifier: GPL-2.0
//! The core's side of scheduler modules: the registry they join through
//! the exported functions below (see `sched_api.rs`), and the binding of
//! a service to a scheduler, which keeps the scheduler's module loaded.

use crate::kbind::global::{ModuleGlobal, Published};
use crate::kbind::module::{self, ModuleRef};
use crate::sched_api::{DestsEdit, SchedData, Scheduler, SvcInfo};
use crate::sched_gs::Route;
use crate::sched_input::{DestInfo, FlowKey};
use kernel::prelude::*;
use kernel::rbtree::RBTree;
use kernel::sync::{Arc, Mutex};
use kernel::ThisModule;

/// The registered schedulers, by name, with their modules.
pub(crate) type Registry = Mutex<RBTree<&'static str, (&'static Scheduler, &'static ThisModule)>>;

static REGISTRY: ModuleGlobal<Registry> = ModuleGlobal::new();

/// Creates the registry and makes it reachable until the guard drops.
pub(crate) fn publish() -> Result<Published<Registry>> {
    REGISTRY.publish(Arc::pin_init(kernel::new_mutex!(RBTree::new()), GFP_KERNEL)?)
}

/// Adds a scheduler module's scheduler; exported to scheduler modules.
#[no_mangle]
pub(crate) fn lvs_ipvs_register_scheduler(scheduler: &'static Scheduler, owner: &'static ThisModule) -> Result {
    let registry = REGISTRY.get().ok_or(ENODEV)?;
    let mut schedulers = registry.lock();
    if schedulers.get(&scheduler.name()).is_some() {
        pr_err!("register_ip_vs_scheduler(): [{}] scheduler already existed in the system\n", scheduler.name());
        return Err(EEXIST);
    }
    schedulers.try_create_and_insert(scheduler.name(), (scheduler, owner), GFP_KERNEL)?;
    pr_info!("[{}] scheduler registered.\n", scheduler.name());
    Ok(())
}

/// Removes a scheduler; exported to scheduler modules.
#[no_mangle]
pub(crate) fn lvs_ipvs_unregister_scheduler(scheduler: &'static Scheduler) {
    let Some(registry) = REGISTRY.get() else { return };
    let mut schedulers = registry.lock();
    if schedulers.get(&scheduler.name()).is_some_and(|(s, _)| core::ptr::eq(*s, scheduler)) {
        schedulers.remove(&scheduler.name());
        pr_info!("[{}] scheduler unregistered.\n", scheduler.name());
    }
}

/// A random number below `ceil`; exported to scheduler modules.
#[no_mangle]
pub(crate) fn lvs_ipvs_random_below(ceil: u32) -> u32 {
    crate::kbind::random_below(ceil)
}

/// Upstream's "none" (`ipvsadm -s none`): a service that schedules no
/// new connection, whose traffic is only that of connections it has
/// (synced ones, on a backup director).
static NONE: Scheduler = Scheduler::new("none", prepare_none, schedule_none);

fn prepare_none(_prev: Option<SchedData>, _edit: DestsEdit, _dests: &[DestInfo], _svc: &SvcInfo) -> Result<SchedData> {
    Ok(SchedData::None)
}

fn schedule_none(_data: &mut SchedData, _dests: &[DestInfo], _flow: &FlowKey, _svc: &SvcInfo) -> Option<usize> {
    None
}

/// A service's scheduler, whose module (if it is not the core's "none")
/// stays loaded while this lives.
pub(crate) struct SchedBinding {
    scheduler: &'static Scheduler,
    module: Option<ModuleRef>,
}

impl SchedBinding {
    /// Binds scheduler `name`, loading its module (`lvs_ipvs_NAME`) if
    /// it is not registered yet; `ENOENT` if there is no such scheduler.
    /// May sleep.
    pub(crate) fn new(name: &str) -> Result<Self> {
        if name == NONE.name() {
            return Ok(Self { scheduler: &NONE, module: None });
        }
        if let Some(binding) = Self::find(name)? {
            return Ok(binding);
        }
        if name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') {
            let mut module_name = [0u8; 40];
            let prefix = b"lvs_ipvs_";
            let full = module_name.get_mut(..prefix.len() + name.len()).ok_or(ENOENT)?;
            full[..prefix.len()].copy_from_slice(prefix);
            full[prefix.len()..].copy_from_slice(name.as_bytes());
            let full = core::str::from_utf8(full).map_err(|_| ENOENT)?;
            // A failed load shows up as the scheduler still missing.
            let _ = module::request(full);
            if let Some(binding) = Self::find(name)? {
                return Ok(binding);
            }
        }
        pr_info!("Scheduler module lvs_ipvs_{} not found\n", name);
        Err(ENOENT)
    }

    fn find(name: &str) -> Result<Option<Self>> {
        let registry = REGISTRY.get().ok_or(ENODEV)?;
        let schedulers = registry.lock();
        let Some(&(scheduler, owner)) = schedulers.get(&name) else { return Ok(None) };
        // A module on its way out is as good as missing.
        Ok(ModuleRef::get(owner).map(|module| Self { scheduler, module: Some(module) }))
    }

    /// Another binding to the same scheduler.
    pub(crate) fn try_clone(&self) -> Result<Self> {
        let module = match &self.module {
            Some(module) => Some(module.try_clone().ok_or(ENOENT)?),
            None => None,
        };
        Ok(Self { scheduler: self.scheduler, module })
    }

    /// The scheduler's name.
    pub(crate) fn name(&self) -> &'static str {
        self.scheduler.name()
    }

    /// Whether it is "none", which schedules no connection.
    pub(crate) fn schedules_nothing(&self) -> bool {
        core::ptr::eq(self.scheduler, &NONE)
    }

    /// Builds a service's data (see `sched_api::PrepareFn`).
    pub(crate) fn prepare(
        &self,
        prev: Option<SchedData>,
        edit: DestsEdit,
        dests: &[DestInfo],
        svc: &SvcInfo,
        routes: &[Route],
    ) -> Result<SchedData> {
        self.scheduler.prepare(prev, edit, dests, svc, routes)
    }

    /// Picks a server (see `sched_api::ScheduleFn`).
    pub(crate) fn schedule(&self, data: &mut SchedData, dests: &[DestInfo], flow: &FlowKey, svc: &SvcInfo) -> Option<usize> {
        self.scheduler.schedule(data, dests, flow, svc)
    }
}
