// SPDX-License-Identifier: GPL-2.0
//! `lvs_ipvs_lc`: the least-connection scheduler module (thesis §4.1.3).

include!("sched_common.rs");
#[path = "../../logic/sched_lc.rs"]
pub mod sched_lc;

stateless_sched_module!(LeastConnection, "lvs_ipvs_lc", "IPVS least-connection scheduler (Rust)", "lc", sched_lc::schedule);
