// SPDX-License-Identifier: GPL-2.0
//! `lvs_ipvs_fo`: the weighted failover scheduler module.

include!("sched_common.rs");
#[path = "../../logic/sched_fo.rs"]
pub mod sched_fo;

stateless_sched_module!(WeightedFailover, "lvs_ipvs_fo", "IPVS weighted failover scheduler (Rust)", "fo", sched_fo::schedule);
