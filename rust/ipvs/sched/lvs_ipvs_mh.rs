// SPDX-License-Identifier: GPL-2.0
//! `lvs_ipvs_mh`: the Maglev hashing scheduler module; flags
//! `mh-fallback` (scheduler flag 1) and `mh-port` (flag 2).

include!("sched_common.rs");
#[path = "../../logic/sched_hash.rs"]
pub mod sched_hash;
#[path = "../../logic/siphash.rs"]
pub mod siphash;
#[path = "../../logic/sched_mh.rs"]
pub mod sched_mh;

use kernel::prelude::*;
use sched_api::{DestsEdit, SchedData, Scheduler, SvcInfo, SVC_F_SCHED1, SVC_F_SCHED2};
use sched_input::{DestInfo, FlowKey};
use sched_mh::{DestSetup, MhFlags, NO_DEST, TABLE_SIZE};

/// The table is built anew for every change, as upstream; more servers
/// than entries is `EINVAL`, as upstream.
fn prepare(_prev: Option<SchedData>, _edit: DestsEdit, dests: &[DestInfo], svc: &SvcInfo) -> Result<SchedData> {
    let mut scratch = KVec::from_elem(DestSetup::new(), dests.len(), GFP_KERNEL)?;
    SchedData::new_table::<TABLE_SIZE>(NO_DEST, |table| {
        sched_mh::build_table(dests, svc.v6, &mut scratch, table).map_err(|_| EINVAL)
    })
}

fn schedule(data: &mut SchedData, dests: &[DestInfo], flow: &FlowKey, svc: &SvcInfo) -> Option<usize> {
    let flags = MhFlags { fallback: svc.has(SVC_F_SCHED1), port: svc.has(SVC_F_SCHED2) };
    sched_mh::schedule(data.table::<TABLE_SIZE>()?, dests, flow, flags)
}

static MH: Scheduler = Scheduler::new("mh", prepare, schedule);
sched_module!(MaglevHashing, "lvs_ipvs_mh", "IPVS Maglev hashing scheduler (Rust)", MH);
