// SPDX-License-Identifier: GPL-2.0
//! `lvs_ipvs_ovf`: the weighted overflow scheduler module.

include!("sched_common.rs");
#[path = "../../logic/sched_ovf.rs"]
pub mod sched_ovf;

stateless_sched_module!(WeightedOverflow, "lvs_ipvs_ovf", "IPVS weighted overflow scheduler (Rust)", "ovf", sched_ovf::schedule);
