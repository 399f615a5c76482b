// SPDX-License-Identifier: GPL-2.0
//! `lvs_ipvs_wlc`: the weighted least-connection scheduler module (thesis §4.1.4).

include!("sched_common.rs");
#[path = "../../logic/sched_wlc.rs"]
pub mod sched_wlc;

stateless_sched_module!(WeightedLeastConnection, "lvs_ipvs_wlc", "IPVS weighted least-connection scheduler (Rust)", "wlc", sched_wlc::schedule);
