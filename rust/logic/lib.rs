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
pub mod csum;
pub mod icmp;
pub mod nlattr;
pub mod packet;
pub mod proc_text;
pub mod sched_rr;
pub mod slow_timer;
pub mod tcp_state;
