// SPDX-License-Identifier: GPL-2.0
//! `lvs_ipvs_rr`: the round-robin scheduler module.
//!
//! It registers "rr" with the core; the selection algorithm is attached
//! when the core's data plane gives schedulers a service to work on.

use kernel::prelude::*;

#[path = "../sched_api.rs"]
pub mod sched_api;

use sched_api::{Scheduler, SchedulerRegistration};

module! {
    type: RoundRobin,
    name: "lvs_ipvs_rr",
    author: "LVS in Rust",
    description: "IPVS round-robin scheduler (Rust)",
    license: "GPL",
}

static RR: Scheduler = Scheduler::new("rr");

struct RoundRobin {
    _registration: SchedulerRegistration,
}

impl kernel::Module for RoundRobin {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Self { _registration: SchedulerRegistration::new(&RR)? })
    }
}
