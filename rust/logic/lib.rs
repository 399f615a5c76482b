// SPDX-License-Identifier: GPL-2.0
//! Pure logic of LVS in Rust, shared by the kernel modules and host tests.
//!
//! Every file here uses `core` only. The kernel crates include the files
//! one by one with `#[path]`; this crate root exists so that `cargo test`
//! compiles the same files on the host.
#![no_std]

#[cfg(test)]
extern crate std;

pub mod conn_hash;
pub mod conn_shard;
pub mod conn_state;
pub mod csum;
pub mod defense_rules;
pub mod gs_table;
pub mod http;
pub mod icmp;
pub mod nlattr;
pub mod overload;
pub mod packet;
pub mod persist;
pub mod pool_size;
pub mod proc_text;
pub mod regex;
pub mod sched_content;
pub mod sctp_state;
pub mod sched_dh;
pub mod sched_fo;
pub mod sched_gs;
pub mod sched_hash;
pub mod sched_input;
pub mod sched_lblc;
pub mod sched_lc;
pub mod sched_mh;
pub mod sched_nq;
pub mod sched_ovf;
pub mod sched_rr;
pub mod sched_sed;
pub mod sched_sh;
pub mod sched_twos;
pub mod sched_wlc;
pub mod sched_wrr;
pub mod sip;
pub mod siphash;
pub mod slow_timer;
pub mod stats_math;
pub mod sync_msg;
pub mod tcpvs_proto;
pub mod tcp_state;
pub mod tunnel;
