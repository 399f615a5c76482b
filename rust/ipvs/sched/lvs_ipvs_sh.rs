// SPDX-License-Identifier: GPL-2.0
//! `lvs_ipvs_sh`: the source-hashing scheduler module; flags
//! `sh-fallback` (scheduler flag 1) and `sh-port` (flag 2).

include!("sched_common.rs");
#[path = "../../logic/sched_hash.rs"]
pub mod sched_hash;
#[path = "../../logic/sched_sh.rs"]
pub mod sched_sh;

use kernel::prelude::*;
use sched_api::{DestsEdit, SchedData, Scheduler, SvcInfo, SVC_F_SCHED1, SVC_F_SCHED2};
use sched_input::{DestInfo, FlowKey};
use sched_sh::{ShFlags, NO_DEST, TABLE_SIZE};

/// The table is dealt anew for every change, as upstream.
fn prepare(_prev: Option<SchedData>, _edit: DestsEdit, dests: &[DestInfo], _svc: &SvcInfo) -> Result<SchedData> {
    SchedData::new_table::<TABLE_SIZE>(NO_DEST, |table| {
        sched_sh::build_table(dests, table);
        Ok(())
    })
}

fn schedule(data: &mut SchedData, dests: &[DestInfo], flow: &FlowKey, svc: &SvcInfo) -> Option<usize> {
    let flags = ShFlags { fallback: svc.has(SVC_F_SCHED1), port: svc.has(SVC_F_SCHED2) };
    sched_sh::schedule(data.table::<TABLE_SIZE>()?, dests, flow, flags)
}

static SH: Scheduler = Scheduler::new("sh", prepare, schedule);
sched_module!(SourceHashing, "lvs_ipvs_sh", "IPVS source hashing scheduler (Rust)", SH);
