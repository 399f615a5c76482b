// SPDX-License-Identifier: GPL-2.0
//! `/proc/net/ip_vs_gs`: the routes of the global server scheduler
//! (`logic/sched_gs.rs`), which operators write one command a line and
//! read back as the lines that make them (`logic/gs_table.rs`).
//!
//! The routes belong to a service, whatever its scheduler, and go with
//! it. A write publishes one new service table under the control lock,
//! as a netlink command does, with all of its lines or none of them, so
//! the schedulers' data is built afresh from the routes.

use crate::ctl;
use crate::gs_table::{self, AddLine, Command};
use crate::kbind::netns::{Net, PernetState};
use crate::kbind::procfs::{NetProcShow, NetProcWrite, SeqFile};
use crate::net::IpvsNet;
use crate::packet::PROTO_TCP;
use crate::sched_gs::Route;
use crate::service::{no_routes, Service, ServiceTable, SvcKey, AF_INET, AF_INET6};
use core::fmt::{self, Write};
use kernel::prelude::*;
use kernel::sync::Arc;

/// Most routes one service holds.
pub(crate) const ROUTES_MAX: usize = 256;

/// The file.
pub(crate) struct GsFile;

impl NetProcShow for GsFile {
    fn show(net: &Net, out: &mut SeqFile) -> fmt::Result {
        let Some(ipvs) = IpvsNet::get(net) else { return Ok(()) };
        for svc in ipvs.services.get().services.iter() {
            let named = named(&svc.key);
            svc.routes.iter().try_for_each(|route| write!(out, "{}", AddLine(&named, route)))?;
        }
        Ok(())
    }
}

impl NetProcWrite for GsFile {
    /// Carries out every line of one write, or none: all are read first,
    /// then applied to one new table, published once.
    fn write(net: &Net, text: &[u8]) -> Result {
        let ipvs = IpvsNet::get(net).ok_or(ENODEV)?;
        let text = core::str::from_utf8(text).map_err(|_| EINVAL)?;
        let mut commands = KVec::new();
        for command in gs_table::parse_lines(text) {
            // The reason is ipvsadm --gs's to tell, from the same parser.
            commands.push(command.map_err(|_| EINVAL)?, GFP_KERNEL)?;
        }
        ctl::locked(|| {
            let mut table = ipvs.services.get();
            let mut changed = false;
            for command in commands.iter() {
                if let Some(next) = applied(&table, command)? {
                    table = next;
                    changed = true;
                }
            }
            if changed {
                ipvs.services.replace(table);
            }
            Ok(())
        })
    }
}

/// The service a line names.
fn key(service: &gs_table::Service) -> SvcKey {
    let af = |v6| if v6 { AF_INET6 } else { AF_INET };
    match *service {
        gs_table::Service::Addr { protocol, v6, addr, port } => SvcKey { af: af(v6), proto: protocol, addr, port, fwmark: 0 },
        gs_table::Service::Fwmark { v6, mark } => {
            SvcKey { af: af(v6), proto: PROTO_TCP.into(), addr: [0; 16], port: 0, fwmark: mark }
        }
    }
}

/// A service as the lines name it.
fn named(key: &SvcKey) -> gs_table::Service {
    let v6 = key.af == AF_INET6;
    match key.fwmark {
        0 => gs_table::Service::Addr { protocol: key.proto, v6, addr: key.addr, port: key.port },
        mark => gs_table::Service::Fwmark { v6, mark },
    }
}

/// `table` with `command` carried out (the control lock held); `None`
/// if that changes nothing.
fn applied(table: &Arc<ServiceTable>, command: &Command) -> Result<Option<Arc<ServiceTable>>> {
    match command {
        Command::Flush(None) => {
            let mut next: Option<Arc<ServiceTable>> = None;
            for (i, svc) in table.services.iter().enumerate().filter(|(_, s)| !s.routes.is_empty()) {
                let edited = next.as_ref().unwrap_or(table).edited(Some(i), Some(svc.with_routes(no_routes()?)?))?;
                next = Some(edited);
            }
            Ok(next)
        }
        Command::Add(service, _) | Command::Del(service, _) | Command::Flush(Some(service)) => {
            let i = table.position(&key(service)).ok_or(ESRCH)?;
            let svc = table.services.get(i).ok_or(ESRCH)?;
            if matches!(command, Command::Flush(_)) && svc.routes.is_empty() {
                return Ok(None);
            }
            let routes = Arc::new(routes_after(svc, command)?, GFP_KERNEL)?;
            Ok(Some(table.edited(Some(i), Some(svc.with_routes(routes)?))?))
        }
    }
}

/// The routes of `svc` once `command` is carried out.
fn routes_after(svc: &Service, command: &Command) -> Result<KVec<Route>> {
    let mut routes = KVec::with_capacity(svc.routes.len() + 1, GFP_KERNEL)?;
    match command {
        Command::Add(_, new) => {
            // A route of the same prefix is replaced where it stands.
            let mut replaced = false;
            for r in svc.routes.iter() {
                let same = r.prefix == new.prefix;
                replaced |= same;
                routes.push(if same { *new } else { *r }, GFP_KERNEL)?;
            }
            if !replaced {
                if routes.len() == ROUTES_MAX {
                    return Err(ENOSPC);
                }
                routes.push(*new, GFP_KERNEL)?;
            }
        }
        Command::Del(_, prefix) => {
            for r in svc.routes.iter().filter(|r| r.prefix != *prefix) {
                routes.push(*r, GFP_KERNEL)?;
            }
            if routes.len() == svc.routes.len() {
                return Err(ENOENT);
            }
        }
        Command::Flush(_) => {}
    }
    Ok(routes)
}
