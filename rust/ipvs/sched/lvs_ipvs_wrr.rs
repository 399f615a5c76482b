// SPDX-License-Identifier: GPL-2.0
//! `lvs_ipvs_wrr`: the weighted round-robin scheduler module (thesis
//! §4.1.2).

include!("sched_common.rs");

use kernel::prelude::*;
use sched_api::{DestsEdit, SchedData, Scheduler, SvcInfo};
use sched_input::{DestInfo, FlowKey};

/// A new service starts a cycle; a change of its servers recomputes the
/// cycle as upstream does; an edit of the service keeps the position.
fn prepare(prev: Option<SchedData>, edit: DestsEdit, dests: &[DestInfo], _svc: &SvcInfo) -> Result<SchedData> {
    let state = match (prev, edit) {
        (Some(SchedData::Wrr(state)), DestsEdit::Same) => state,
        (Some(SchedData::Wrr(mut state)), _) => {
            state.dests_changed(dests);
            state
        }
        _ => sched_wrr::WrrState::new(dests),
    };
    Ok(SchedData::Wrr(state))
}

fn schedule(data: &mut SchedData, dests: &[DestInfo], _flow: &FlowKey, _svc: &SvcInfo) -> Option<usize> {
    let SchedData::Wrr(state) = data else { return None };
    state.schedule(dests)
}

static WRR: Scheduler = Scheduler::new("wrr", prepare, schedule);
sched_module!(WeightedRoundRobin, "lvs_ipvs_wrr", "IPVS weighted round-robin scheduler (Rust)", WRR);
