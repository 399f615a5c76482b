// SPDX-License-Identifier: GPL-2.0
// What every scheduler module's crate root includes (`include!`): the
// interface to the core and the types it speaks in.

#[path = "../sched_api.rs"]
pub mod sched_api;
#[path = "../../logic/sched_gs.rs"]
pub mod sched_gs;
#[path = "../../logic/sched_input.rs"]
pub mod sched_input;
#[path = "../../logic/sched_lblc.rs"]
pub mod sched_lblc;
#[path = "../../logic/sched_wrr.rs"]
pub mod sched_wrr;

