// SPDX-License-Identifier: GPL-2.0
//! `lvs_ipvs_rr`: the round-robin scheduler module (thesis §4.1.1).

include!("sched_common.rs");

use kernel::prelude::*;
use sched_api::{DestsEdit, SchedData, Scheduler, SvcInfo};
use sched_input::{DestInfo, FlowKey};
#[path = "../../logic/sched_rr.rs"]
pub mod sched_rr;

/// The cursor carries over to the same server across edits.
fn prepare(prev: Option<SchedData>, edit: DestsEdit, _dests: &[DestInfo], _svc: &SvcInfo) -> Result<SchedData> {
    let last = match prev {
        Some(SchedData::Cursor(last)) => last,
        _ => None,
    };
    Ok(SchedData::Cursor(match edit {
        DestsEdit::AddedFirst => sched_rr::after_insert_first(last),
        DestsEdit::Removed(i) => sched_rr::after_removal(last, i),
        DestsEdit::Same | DestsEdit::Updated => last,
    }))
}

/// The next server after the last one chosen that has weight and is
/// not overloaded.
fn schedule(data: &mut SchedData, dests: &[DestInfo], _flow: &FlowKey, _svc: &SvcInfo) -> Option<usize> {
    let SchedData::Cursor(last) = data else { return None };
    let chosen = sched_rr::next(*last, dests.len(), |i| dests.get(i).is_some_and(|d| d.weight > 0 && !d.overloaded))?;
    *last = Some(chosen);
    Some(chosen)
}

static RR: Scheduler = Scheduler::new("rr", prepare, schedule);
sched_module!(RoundRobin, "lvs_ipvs_rr", "IPVS round-robin scheduler (Rust)", RR);
