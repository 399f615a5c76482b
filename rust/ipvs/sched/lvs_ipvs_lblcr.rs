// SPDX-License-Identifier: GPL-2.0
//! `lvs_ipvs_lblcr`: the locality-based least-connection with replication scheduler module
//! (the cache and the choice are `logic/sched_lblc.rs`).

include!("sched_common.rs");

use kernel::prelude::*;
use sched_api::{DestsEdit, SchedData, Scheduler, SvcInfo};
use sched_input::{DestInfo, FlowKey};

/// The cache carries over every edit of the service, its servers renamed.
fn prepare(prev: Option<SchedData>, edit: DestsEdit, _dests: &[DestInfo], _svc: &SvcInfo) -> Result<SchedData> {
    SchedData::cache_from(prev, edit)
}

/// By the address the client asked for (the service's own, or any for a
/// firewall-mark service).
fn schedule(data: &mut SchedData, dests: &[DestInfo], flow: &FlowKey, svc: &SvcInfo) -> Option<usize> {
    let t = &svc.locality;
    match data.cache() {
        Some(cache) => sched_lblc::lblcr(cache, dests, &flow.daddr, t.now, t.lblcr_expiration),
        // Not a whole cache (never so after `cache_from`).
        None => sched_lblc::least_loaded(dests),
    }
}

static SCHED: Scheduler = Scheduler::new("lblcr", prepare, schedule);
sched_module!(LocalityLeastConnReplicated, "lvs_ipvs_lblcr", "IPVS locality-based least-connection with replication scheduler (Rust)", SCHED);
