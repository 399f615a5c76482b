// SPDX-License-Identifier: GPL-2.0
//! `lvs_ipvs_twos`: the weighted "power of two choices" scheduler module.

include!("sched_common.rs");
#[path = "../../logic/sched_twos.rs"]
pub mod sched_twos;

use sched_input::DestInfo;

/// Two draws from the kernel's generator.
fn pick(dests: &[DestInfo]) -> Option<usize> {
    sched_twos::schedule(dests, sched_api::random_below)
}

stateless_sched_module!(TwoChoices, "lvs_ipvs_twos", "IPVS power of two choices scheduler (Rust)", "twos", pick);
