// SPDX-License-Identifier: GPL-2.0
//! `lvs_ktcpvs`: KTCPVS, the in-kernel Layer-7 content switch (thesis
//! chapter 6), in Rust.
//!
//! A virtual service listens on a TCP address; a pool of kernel threads,
//! each running its own event loop over many connections (§6.4.4), reads
//! each client's request, chooses a real server by the request's content
//! and relays between the two. `tcpvsadm` configures it over the "TCPVS"
//! generic-netlink family; services belong to the network namespace that
//! made them.

use kernel::prelude::*;

mod kbind_generated;
#[path = "../kbind/mod.rs"]
pub mod kbind;

#[path = "../logic/http.rs"]
pub mod http;
#[path = "../logic/nlattr.rs"]
pub mod nlattr;
#[path = "../logic/pool_size.rs"]
pub mod pool_size;
#[path = "../logic/regex.rs"]
pub mod regex;
#[path = "../logic/sched_content.rs"]
pub mod sched_content;
#[path = "../logic/sched_input.rs"]
pub mod sched_input;
#[path = "../logic/sched_lblc.rs"]
pub mod sched_lblc;
#[path = "../logic/sched_wrr.rs"]
pub mod sched_wrr;
#[path = "../logic/siphash.rs"]
pub mod siphash;
#[path = "../logic/tcpvs_proto.rs"]
pub mod tcpvs_proto;

mod ctl;
mod net;
mod pool;
mod sched;
mod service;
mod session;
mod threads;
mod worker;

use kbind::genl::GenlRegistration;
use kbind::netns::Pernet;

module! {
    type: LvsKtcpvs,
    name: "lvs_ktcpvs",
    author: "LVS in Rust",
    description: "KTCPVS: in-kernel Layer-7 content switch (Rust)",
    license: "GPL",
}

/// The module's registrations, torn down in field order: no more
/// configuration first, then every namespace's services (their threads
/// and sockets).
struct LvsKtcpvs {
    _genl: GenlRegistration<ctl::TcpvsFamily>,
    _pernet: Pernet<net::KtcpvsNet>,
}

impl kernel::Module for LvsKtcpvs {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let pernet = Pernet::register()?;
        let genl = GenlRegistration::register()?;
        pr_info!("KTCPVS (Rust) loaded\n");
        Ok(Self { _genl: genl, _pernet: pernet })
    }
}
