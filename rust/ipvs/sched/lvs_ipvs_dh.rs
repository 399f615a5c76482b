// SPDX-License-Identifier: GPL-2.0
//! `lvs_ipvs_dh`: the destination-hashing scheduler module.

include!("sched_common.rs");
#[path = "../../logic/sched_hash.rs"]
pub mod sched_hash;
#[path = "../../logic/sched_dh.rs"]
pub mod sched_dh;

use kernel::prelude::*;
use sched_api::{DestsEdit, SchedData, Scheduler, SvcInfo};
use sched_dh::{NO_DEST, TABLE_SIZE};
use sched_input::{DestInfo, FlowKey};

/// The table is dealt anew for every change, as upstream.
fn prepare(_prev: Option<SchedData>, _edit: DestsEdit, dests: &[DestInfo], _svc: &SvcInfo) -> Result<SchedData> {
    SchedData::new_table::<TABLE_SIZE>(NO_DEST, |table| {
        sched_dh::build_table(dests, table);
        Ok(())
    })
}

fn schedule(data: &mut SchedData, dests: &[DestInfo], flow: &FlowKey, _svc: &SvcInfo) -> Option<usize> {
    sched_dh::schedule(data.table::<TABLE_SIZE>()?, dests, flow)
}

static DH: Scheduler = Scheduler::new("dh", prepare, schedule);
sched_module!(DestinationHashing, "lvs_ipvs_dh", "IPVS destination hashing scheduler (Rust)", DH);
