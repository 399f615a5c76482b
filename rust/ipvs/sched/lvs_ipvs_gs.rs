// SPDX-License-Identifier: GPL-2.0
//! `lvs_ipvs_gs`: the global server scheduler module (thesis §4.1.5;
//! the choice is `logic/sched_gs.rs`, the routes come from
//! `/proc/net/ip_vs_gs`).

include!("sched_common.rs");

use kernel::prelude::*;
use sched_api::{DestsEdit, SchedData, Scheduler, SvcInfo};
use sched_gs::{Resolved, Route};
use sched_input::{DestInfo, FlowKey};

/// The service's routes over its servers, longest prefix first; built
/// anew for every change, as the servers' indices may have moved.
fn prepare(_prev: Option<SchedData>, _edit: DestsEdit, dests: &[DestInfo], _svc: &SvcInfo, routes: &[Route]) -> Result<SchedData> {
    let mut table = KVec::with_capacity(routes.len(), GFP_KERNEL)?;
    for route in routes {
        table.push(Resolved::new(route, dests), GFP_KERNEL)?;
    }
    sched_gs::sort_longest_first(&mut table);
    Ok(SchedData::Routes(table))
}

fn schedule(data: &mut SchedData, dests: &[DestInfo], flow: &FlowKey, _svc: &SvcInfo) -> Option<usize> {
    let (client, _) = flow.client();
    sched_gs::schedule(data.routes()?, dests, flow.v6, client)
}

static GS: Scheduler = Scheduler::routed("gs", prepare, schedule);
sched_module!(GlobalServer, "lvs_ipvs_gs", "IPVS global server scheduler (Rust)", GS);
