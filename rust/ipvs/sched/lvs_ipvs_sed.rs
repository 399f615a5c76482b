// SPDX-License-Identifier: GPL-2.0
//! `lvs_ipvs_sed`: the shortest expected delay scheduler module.

include!("sched_common.rs");
#[path = "../../logic/sched_sed.rs"]
pub mod sched_sed;

stateless_sched_module!(ShortestExpectedDelay, "lvs_ipvs_sed", "IPVS shortest expected delay scheduler (Rust)", "sed", sched_sed::schedule);
