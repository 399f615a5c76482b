// SPDX-License-Identifier: GPL-2.0
//! `lvs_ipvs_nq`: the never-queue scheduler module.

include!("sched_common.rs");
#[path = "../../logic/sched_nq.rs"]
pub mod sched_nq;

stateless_sched_module!(NeverQueue, "lvs_ipvs_nq", "IPVS never-queue scheduler (Rust)", "nq", sched_nq::schedule);
