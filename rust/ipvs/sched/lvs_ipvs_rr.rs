// SPDX-License-Identifier: GPL-2.0
//! `lvs_ipvs_rr`: the round-robin scheduler module.

use core::sync::atomic::Ordering;
use kernel::prelude::*;

#[path = "../sched_api.rs"]
pub mod sched_api;
#[path = "../../logic/sched_rr.rs"]
pub mod sched_rr;

use sched_api::{DestLoad, SchedState, Scheduler, SchedulerRegistration};

module! {
    type: RoundRobin,
    name: "lvs_ipvs_rr",
    author: "LVS in Rust",
    description: "IPVS round-robin scheduler (Rust)",
    license: "GPL",
}

fn schedule(state: &SchedState, n: usize, load: &dyn Fn(usize) -> DestLoad) -> Option<usize> {
    let last = state.last.load(Ordering::Relaxed);
    let chosen = sched_rr::next((last != usize::MAX).then_some(last), n, |i| load(i).usable())?;
    state.last.store(chosen, Ordering::Relaxed);
    Some(chosen)
}

static RR: Scheduler = Scheduler::new("rr", schedule);

struct RoundRobin {
    _registration: SchedulerRegistration,
}

impl kernel::Module for RoundRobin {
    fn init(module: &'static ThisModule) -> Result<Self> {
        Ok(Self { _registration: SchedulerRegistration::new(&RR, module)? })
    }
}
