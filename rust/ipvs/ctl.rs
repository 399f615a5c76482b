// SPDX-License-Identifier: GPL-2.0
//! The control plane: the "IPVS" generic-netlink family of
//! `include/uapi/linux/ip_vs.h`, and our `/proc/net` files.
//!
//! So far the family answers `IPVS_CMD_GET_INFO` as upstream does; the
//! other commands arrive with the tables they act on.

use crate::hooks::HookCounts;
use crate::kbind::bindings as b;
use crate::kbind::genl::{GenlFamily, GenlOp, GenlRequest};
use crate::kbind::netfilter::{Family, HookPoint};
use crate::kbind::netns::{Net, PernetState};
use crate::kbind::procfs::{NetProcShow, SeqFile};
use crate::net::IpvsNet;
use core::fmt::{self, Write};
use kernel::prelude::*;
use kernel::str::CStr;

/// The "IPVS" family.
pub(crate) struct IpvsFamily;

impl GenlFamily for IpvsFamily {
    const NAME: &'static CStr = kernel::c_str!("IPVS");
    const VERSION: u8 = b::IPVS_GENL_VERSION as u8;
    const LAX_BELOW: u8 = b::IPVS_CMD_FLUSH as u8 + 1;
    // Upstream demands CAP_NET_ADMIN for every command, reads included.
    const OPS: &'static [GenlOp] = &[GenlOp { cmd: b::IPVS_CMD_GET_INFO as u8, admin: true }];

    fn doit(req: &GenlRequest<'_>) -> Result {
        match req.cmd() as u32 {
            b::IPVS_CMD_GET_INFO => get_info(req),
            _ => Err(crate::kbind::error(b::EOPNOTSUPP)),
        }
    }
}

/// Version and connection-table size; upstream answers with SET_INFO.
fn get_info(req: &GenlRequest<'_>) -> Result {
    let ipvs = IpvsNet::get(req.net()).ok_or(ENOENT)?;
    let buckets = u32::try_from(ipvs.conn_tab.buckets())?;
    req.reply(b::IPVS_CMD_SET_INFO as u8, |msg| {
        msg.put_u32(b::IPVS_INFO_ATTR_VERSION as u16, b::IP_VS_VERSION_CODE)?;
        msg.put_u32(b::IPVS_INFO_ATTR_CONN_TAB_SIZE as u16, buckets)
    })
}

/// `/proc/net/lvs_ipvs_hooks`: packets each hook has seen in this
/// namespace (ours alone; upstream has no such file).
pub(crate) struct HookCountsFile;

impl NetProcShow for HookCountsFile {
    fn show(net: &Net, out: &mut SeqFile) -> fmt::Result {
        let Some(ipvs) = IpvsNet::get(net) else { return Ok(()) };
        show_hook_counts(&ipvs.hook_counts, out)
    }
}

fn show_hook_counts(counts: &HookCounts, out: &mut SeqFile) -> fmt::Result {
    writeln!(out, "Family Hook      Packets")?;
    for (hook, packets) in counts.read() {
        let family = match hook.family {
            Family::Ipv4 => "IPv4",
            Family::Ipv6 => "IPv6",
        };
        let point = match hook.point {
            HookPoint::LocalIn => "LOCAL_IN",
            HookPoint::Forward => "FORWARD",
        };
        writeln!(out, "{family:<6} {point:<9} {packets}")?;
    }
    Ok(())
}
