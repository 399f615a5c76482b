// SPDX-License-Identifier: GPL-2.0
//! The control plane: the "IPVS" generic-netlink family of
//! `include/uapi/linux/ip_vs.h`.
//!
//! Services, real servers, timeouts, flush and info, with upstream's
//! attributes, checks and errno values, so Debian's `ipvsadm` and
//! keepalived drive us unchanged. Changes are serialized by one mutex,
//! as upstream's `__ip_vs_mutex`; each publishes a new service table.

use crate::kbind::bindings as b;
use crate::kbind::genl::{GenlDump, GenlFamily, GenlMsg, GenlOp, GenlRequest};
use crate::kbind::global::{ModuleGlobal, Published};
use crate::kbind::netns::{Net, PernetState};
use crate::kbind::{self as kb};
use crate::net::IpvsNet;
use crate::nlattr::{Attrs, Policy, PolicyError};
use crate::sched::SchedBinding;
use crate::sched_api::DestsEdit;
use crate::service::{Dest, DestConfig, Pe, Service, SvcConfig, SvcKey, AF_INET, AF_INET6};
use crate::stats::Stats;
use crate::sync::DaemonRequest;
use crate::tcp_state::Timeouts;
use crate::tunnel::Tunnel;
use core::sync::atomic::Ordering;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::{Arc, Mutex};

/// The "IPVS" family.
pub(crate) struct IpvsFamily;

const fn op(cmd: u32, doit: bool, dumpit: bool) -> GenlOp {
    // Upstream demands CAP_NET_ADMIN for every command, reads included.
    GenlOp { cmd: cmd as u8, admin: true, doit, dumpit }
}

impl GenlFamily for IpvsFamily {
    const NAME: &'static CStr = kernel::c_str!("IPVS");
    const VERSION: u8 = b::IPVS_GENL_VERSION as u8;
    const LAX_BELOW: u8 = b::IPVS_CMD_FLUSH as u8 + 1;
    const OPS: &'static [GenlOp] = &[
        op(b::IPVS_CMD_NEW_SERVICE, true, false),
        op(b::IPVS_CMD_SET_SERVICE, true, false),
        op(b::IPVS_CMD_DEL_SERVICE, true, false),
        op(b::IPVS_CMD_GET_SERVICE, true, true),
        op(b::IPVS_CMD_NEW_DEST, true, false),
        op(b::IPVS_CMD_SET_DEST, true, false),
        op(b::IPVS_CMD_DEL_DEST, true, false),
        op(b::IPVS_CMD_GET_DEST, false, true),
        op(b::IPVS_CMD_NEW_DAEMON, true, false),
        op(b::IPVS_CMD_DEL_DAEMON, true, false),
        op(b::IPVS_CMD_GET_DAEMON, false, true),
        op(b::IPVS_CMD_SET_CONFIG, true, false),
        op(b::IPVS_CMD_GET_CONFIG, true, false),
        op(b::IPVS_CMD_GET_INFO, true, false),
        op(b::IPVS_CMD_ZERO, true, false),
        op(b::IPVS_CMD_FLUSH, true, false),
    ];

    fn doit(req: &GenlRequest<'_>) -> Result {
        let ipvs = IpvsNet::get(req.net()).ok_or(ENOENT)?;
        // Upstream's top-level attributes are checked by genetlink, whose
        // errno the request gets.
        let top = CmdAttrs::parse(req.attrs(), &CMD_POLICY).map_err(|e| match e {
            PolicyError::Invalid => EINVAL,
            PolicyError::Range => ERANGE,
        })?;
        let lock = CTL_LOCK.get().ok_or(ENODEV)?;
        let _guard = lock.lock();
        match req.cmd() as u32 {
            b::IPVS_CMD_GET_INFO => get_info(req, ipvs),
            b::IPVS_CMD_GET_CONFIG => get_config(req, ipvs),
            b::IPVS_CMD_GET_SERVICE => get_service(req, ipvs, &top),
            b::IPVS_CMD_SET_CONFIG => set_config(ipvs, &top),
            b::IPVS_CMD_FLUSH => {
                let flushed = ipvs.services.get();
                ipvs.services.replace(crate::service::ServiceTable::empty()?);
                flushed.retire(&ipvs.trash);
                Ok(())
            }
            b::IPVS_CMD_ZERO => zero(ipvs, &top),
            b::IPVS_CMD_NEW_DAEMON | b::IPVS_CMD_DEL_DAEMON => daemon_cmd(req.cmd().into(), req.net(), ipvs, &top),
            cmd => set_cmd(cmd, req.net(), ipvs, &top),
        }
    }

    fn dumpit(dump: &mut GenlDump<'_>) -> Result {
        let Some(ipvs) = IpvsNet::get(dump.net()) else { return Ok(()) };
        let lock = CTL_LOCK.get().ok_or(ENODEV)?;
        let _guard = lock.lock();
        match dump.cmd() as u32 {
            b::IPVS_CMD_GET_SERVICE => dump_services(dump, ipvs),
            b::IPVS_CMD_GET_DEST => dump_dests(dump, ipvs),
            b::IPVS_CMD_GET_DAEMON => dump_daemons(dump, ipvs),
            _ => Err(EINVAL),
        }
    }
}

/// Serializes configuration changes in every namespace.
pub(crate) type CtlLock = Mutex<()>;

static CTL_LOCK: ModuleGlobal<CtlLock> = ModuleGlobal::new();

/// Runs `change` under the control lock (for changes made outside
/// netlink: `/proc/net/ip_vs_gs`).
pub(crate) fn locked(change: impl FnOnce() -> Result) -> Result {
    let lock = CTL_LOCK.get().ok_or(ENODEV)?;
    let _guard = lock.lock();
    change()
}

/// Creates the control lock, reachable until the guard drops.
pub(crate) fn publish() -> Result<Published<CtlLock>> {
    CTL_LOCK.publish(Arc::pin_init(kernel::new_mutex!(()), GFP_KERNEL)?)
}

const CMD_ATTRS: usize = b::__IPVS_CMD_ATTR_MAX as usize;
const SVC_ATTRS: usize = b::__IPVS_SVC_ATTR_MAX as usize;
const DEST_ATTRS: usize = b::__IPVS_DEST_ATTR_MAX as usize;
const DAEMON_ATTRS: usize = b::__IPVS_DAEMON_ATTR_MAX as usize;
type CmdAttrs<'a> = Attrs<'a, CMD_ATTRS>;
type SvcAttrs<'a> = Attrs<'a, SVC_ATTRS>;
type DestAttrs<'a> = Attrs<'a, DEST_ATTRS>;
type DaemonAttrs<'a> = Attrs<'a, DAEMON_ATTRS>;

/// A policy table: `rules` by attribute type, no rule for the rest.
const fn policy<const N: usize>(rules: &[(u32, Policy)]) -> [Policy; N] {
    let mut table = [Policy::Any; N];
    let mut i = 0;
    while i < rules.len() {
        table[rules[i].0 as usize] = rules[i].1;
        i += 1;
    }
    table
}

/// Upstream's attribute policies (`ip_vs_cmd_policy` and the nested
/// `ip_vs_svc_policy`, `ip_vs_dest_policy`, `ip_vs_daemon_policy`).
const CMD_POLICY: [Policy; CMD_ATTRS] = policy(&[
    (b::IPVS_CMD_ATTR_SERVICE, Policy::Nested),
    (b::IPVS_CMD_ATTR_DEST, Policy::Nested),
    (b::IPVS_CMD_ATTR_DAEMON, Policy::Nested),
    (b::IPVS_CMD_ATTR_TIMEOUT_TCP, Policy::Int(4)),
    (b::IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, Policy::Int(4)),
    (b::IPVS_CMD_ATTR_TIMEOUT_UDP, Policy::Int(4)),
]);
const SVC_POLICY: [Policy; SVC_ATTRS] = policy(&[
    (b::IPVS_SVC_ATTR_AF, Policy::Int(2)),
    (b::IPVS_SVC_ATTR_PROTOCOL, Policy::Int(2)),
    (b::IPVS_SVC_ATTR_ADDR, Policy::Binary(16)),
    (b::IPVS_SVC_ATTR_PORT, Policy::Int(2)),
    (b::IPVS_SVC_ATTR_FWMARK, Policy::Int(4)),
    (b::IPVS_SVC_ATTR_SCHED_NAME, Policy::NulString(b::IP_VS_SCHEDNAME_MAXLEN as usize - 1)),
    (b::IPVS_SVC_ATTR_PE_NAME, Policy::NulString(b::IP_VS_PENAME_MAXLEN as usize)),
    (b::IPVS_SVC_ATTR_FLAGS, Policy::Binary(8)),
    (b::IPVS_SVC_ATTR_TIMEOUT, Policy::Int(4)),
    (b::IPVS_SVC_ATTR_NETMASK, Policy::Int(4)),
    (b::IPVS_SVC_ATTR_STATS, Policy::Nested),
]);
const DEST_POLICY: [Policy; DEST_ATTRS] = policy(&[
    (b::IPVS_DEST_ATTR_ADDR, Policy::Binary(16)),
    (b::IPVS_DEST_ATTR_PORT, Policy::Int(2)),
    (b::IPVS_DEST_ATTR_FWD_METHOD, Policy::Int(4)),
    (b::IPVS_DEST_ATTR_WEIGHT, Policy::Int(4)),
    (b::IPVS_DEST_ATTR_U_THRESH, Policy::Int(4)),
    (b::IPVS_DEST_ATTR_L_THRESH, Policy::Int(4)),
    (b::IPVS_DEST_ATTR_ACTIVE_CONNS, Policy::Int(4)),
    (b::IPVS_DEST_ATTR_INACT_CONNS, Policy::Int(4)),
    (b::IPVS_DEST_ATTR_PERSIST_CONNS, Policy::Int(4)),
    (b::IPVS_DEST_ATTR_STATS, Policy::Nested),
    (b::IPVS_DEST_ATTR_ADDR_FAMILY, Policy::Int(2)),
    (b::IPVS_DEST_ATTR_TUN_TYPE, Policy::Int(1)),
    (b::IPVS_DEST_ATTR_TUN_PORT, Policy::Int(2)),
    (b::IPVS_DEST_ATTR_TUN_FLAGS, Policy::Int(2)),
]);
const DAEMON_POLICY: [Policy; DAEMON_ATTRS] = policy(&[
    (b::IPVS_DAEMON_ATTR_STATE, Policy::Int(4)),
    (b::IPVS_DAEMON_ATTR_MCAST_IFN, Policy::NulString(b::IP_VS_IFNAME_MAXLEN as usize - 1)),
    (b::IPVS_DAEMON_ATTR_SYNC_ID, Policy::Int(4)),
    (b::IPVS_DAEMON_ATTR_SYNC_MAXLEN, Policy::Int(2)),
    (b::IPVS_DAEMON_ATTR_MCAST_GROUP, Policy::Int(4)),
    (b::IPVS_DAEMON_ATTR_MCAST_GROUP6, Policy::MinLen(16)),
    (b::IPVS_DAEMON_ATTR_MCAST_PORT, Policy::Int(2)),
    (b::IPVS_DAEMON_ATTR_MCAST_TTL, Policy::Int(1)),
]);

/// `ip_vs_flags`: new flag bits and which bits to change.
struct FlagsUpdate {
    flags: u32,
    mask: u32,
}

/// What adding or editing a service sets.
struct SvcSettings<'a> {
    /// Scheduler name.
    sched: &'a [u8],
    /// Persistence engine name; empty for none.
    pe: &'a [u8],
    flags: FlagsUpdate,
    timeout: u32,
    netmask: u32,
}

/// A service as a request gives it.
struct SvcSpec<'a> {
    key: SvcKey,
    /// The settings, when the request must have them (add and edit).
    full: Option<SvcSettings<'a>>,
}

fn addr16(raw: &[u8]) -> [u8; 16] {
    let mut addr = [0u8; 16];
    let n = raw.len().min(16);
    addr[..n].copy_from_slice(&raw[..n]);
    addr
}

fn parse_service(nested: &[u8], full: bool) -> Result<SvcSpec<'_>> {
    let a = SvcAttrs::parse(nested, &SVC_POLICY).map_err(|_| EINVAL)?;
    let bad = |_| EINVAL;
    let af = a.u16(b::IPVS_SVC_ATTR_AF).map_err(bad)?;
    let fwmark = a.u32(b::IPVS_SVC_ATTR_FWMARK).map_err(bad)?;
    let proto = a.u16(b::IPVS_SVC_ATTR_PROTOCOL).map_err(bad)?;
    let addr = a.get(b::IPVS_SVC_ATTR_ADDR);
    let port = a.be16(b::IPVS_SVC_ATTR_PORT).map_err(bad)?;
    let Some(af) = af else { return Err(EINVAL) };
    if fwmark.is_none() && !(port.is_some() && proto.is_some() && addr.is_some()) {
        return Err(EINVAL);
    }
    if af != AF_INET && af != AF_INET6 {
        return Err(kb::error(b::EAFNOSUPPORT));
    }
    let key = match fwmark {
        Some(mark) => SvcKey { af, proto: crate::packet::PROTO_TCP.into(), addr: [0; 16], port: 0, fwmark: mark },
        None => SvcKey {
            af,
            proto: proto.unwrap_or(0),
            addr: addr16(addr.unwrap_or(&[])),
            port: port.unwrap_or(0),
            fwmark: 0,
        },
    };
    if !full {
        return Ok(SvcSpec { key, full: None });
    }
    let sched = a.nul_str(b::IPVS_SVC_ATTR_SCHED_NAME);
    // Shorter flags count as zeros, as upstream's `nla_memcpy`.
    let flags = a.padded::<8>(b::IPVS_SVC_ATTR_FLAGS);
    let timeout = a.u32(b::IPVS_SVC_ATTR_TIMEOUT).map_err(bad)?;
    let netmask = a.u32(b::IPVS_SVC_ATTR_NETMASK).map_err(bad)?;
    let (Some(sched), Some(flags), Some(timeout), Some(netmask)) = (sched, flags, timeout, netmask) else {
        return Err(EINVAL);
    };
    let flags = FlagsUpdate {
        flags: u32::from_ne_bytes([flags[0], flags[1], flags[2], flags[3]]),
        mask: u32::from_ne_bytes([flags[4], flags[5], flags[6], flags[7]]),
    };
    let pe = a.nul_str(b::IPVS_SVC_ATTR_PE_NAME).unwrap_or(&[]);
    Ok(SvcSpec { key, full: Some(SvcSettings { sched, pe, flags, timeout, netmask }) })
}

/// A real server as a request gives it.
struct DestSpec {
    af: Option<u16>,
    addr: [u8; 16],
    port: u16,
    config: Option<DestConfig>,
}

fn parse_dest(nested: &[u8], full: bool) -> Result<DestSpec> {
    let a = DestAttrs::parse(nested, &DEST_POLICY).map_err(|_| EINVAL)?;
    let bad = |_| EINVAL;
    let (Some(addr), Some(port)) = (a.get(b::IPVS_DEST_ATTR_ADDR), a.be16(b::IPVS_DEST_ATTR_PORT).map_err(bad)?) else {
        return Err(EINVAL);
    };
    let af = a.u16(b::IPVS_DEST_ATTR_ADDR_FAMILY).map_err(bad)?.filter(|&af| af != 0);
    let mut spec = DestSpec { af, addr: addr16(addr), port, config: None };
    if full {
        let fwd = a.u32(b::IPVS_DEST_ATTR_FWD_METHOD).map_err(bad)?;
        let weight = a.u32(b::IPVS_DEST_ATTR_WEIGHT).map_err(bad)?;
        let upper = a.u32(b::IPVS_DEST_ATTR_U_THRESH).map_err(bad)?;
        let lower = a.u32(b::IPVS_DEST_ATTR_L_THRESH).map_err(bad)?;
        let (Some(fwd), Some(weight), Some(u_threshold), Some(l_threshold)) = (fwd, weight, upper, lower) else {
            return Err(EINVAL);
        };
        // Absent tunnel settings are IP in IP, also on an edit.
        let tunnel = Tunnel {
            kind: a.fixed::<1>(b::IPVS_DEST_ATTR_TUN_TYPE).map_err(bad)?.map_or(0, |[t]| t),
            port: a.be16(b::IPVS_DEST_ATTR_TUN_PORT).map_err(bad)?.unwrap_or(0),
            flags: a.u16(b::IPVS_DEST_ATTR_TUN_FLAGS).map_err(bad)?.unwrap_or(0),
        };
        spec.config = Some(DestConfig {
            fwd: fwd & b::IP_VS_CONN_F_FWD_MASK,
            weight: weight as i32,
            u_threshold,
            l_threshold,
            tunnel,
        });
    }
    Ok(spec)
}

/// Upstream's checks on a real server's settings, in its order; `func`
/// names the upstream function whose message is printed.
fn check_dest(config: &DestConfig, func: &str) -> Result {
    if config.weight < 0 {
        pr_err!("{func}(): server weight less than zero\n");
        return Err(ERANGE);
    }
    if config.l_threshold > config.u_threshold {
        pr_err!("{func}(): lower threshold is higher than upper threshold\n");
        return Err(ERANGE);
    }
    if config.u_threshold > i32::MAX as u32 {
        return Err(EINVAL);
    }
    if let Some(why) = config.tunnel.invalid() {
        pr_err!("{func}(): {why}\n");
        return Err(EINVAL);
    }
    Ok(())
}

/// The commands that change services and real servers.
fn set_cmd(cmd: u32, net: &Net, ipvs: &IpvsNet, top: &CmdAttrs<'_>) -> Result {
    let full_svc = cmd == b::IPVS_CMD_NEW_SERVICE || cmd == b::IPVS_CMD_SET_SERVICE;
    let spec = parse_service(top.get(b::IPVS_CMD_ATTR_SERVICE).ok_or(EINVAL)?, full_svc)?;
    let table = ipvs.services.get();
    let index = table.position(&spec.key);
    if cmd != b::IPVS_CMD_NEW_SERVICE && index.is_none() {
        return Err(ESRCH);
    }
    let mut dest = None;
    if cmd == b::IPVS_CMD_NEW_DEST || cmd == b::IPVS_CMD_SET_DEST || cmd == b::IPVS_CMD_DEL_DEST {
        let mut d = parse_dest(top.get(b::IPVS_CMD_ATTR_DEST).ok_or(EINVAL)?, cmd != b::IPVS_CMD_DEL_DEST)?;
        let af = *d.af.get_or_insert(spec.key.af);
        if af != AF_INET && af != AF_INET6 {
            return Err(kb::error(b::EAFNOSUPPORT));
        }
        // Mixed families work only through tunnels, as upstream.
        if af != spec.key.af && cmd != b::IPVS_CMD_DEL_DEST {
            if d.config.map(|c| c.fwd) != Some(b::IP_VS_CONN_F_TUNNEL) {
                return Err(EINVAL);
            }
        }
        dest = Some(d);
    }
    let current = index.and_then(|i| table.services.get(i));
    // What the change takes out of service, once it is published.
    let mut retired: Option<&Arc<Service>> = None;
    let mut retired_dest: Option<Arc<Dest>> = None;
    let mut restored: Option<Arc<Dest>> = None;
    let new_table = match (cmd, current, dest) {
        (b::IPVS_CMD_NEW_SERVICE, Some(_), _) => return Err(EEXIST),
        (b::IPVS_CMD_NEW_SERVICE, None, _) => {
            let s = spec.full.as_ref().ok_or(EINVAL)?;
            let sched = bind_scheduler(s, None)?.ok_or(EINVAL)?;
            let pe = bind_pe(s)?;
            check_netmask(spec.key.af, s.netmask)?;
            if spec.key.af == AF_INET6 {
                ipvs.need_ipv6_defrag(net)?;
            }
            let config = SvcConfig { flags: s.flags.flags & s.flags.mask, timeout: s.timeout, netmask: s.netmask, pe };
            let service = Service::new(spec.key, config, sched)?;
            table.edited(None, Some(service))?
        }
        (b::IPVS_CMD_SET_SERVICE, Some(svc), _) => {
            let s = spec.full.as_ref().ok_or(EINVAL)?;
            let binding = bind_scheduler(s, Some(&svc.sched))?;
            let pe = bind_pe(s)?;
            check_netmask(spec.key.af, s.netmask)?;
            let flags = (svc.config.flags & !s.flags.mask) | (s.flags.flags & s.flags.mask);
            let config = SvcConfig { flags, timeout: s.timeout, netmask: s.netmask, pe };
            table.edited(index, Some(svc.with(config, binding, svc.dests_without(None)?, DestsEdit::Same)?))?
        }
        (b::IPVS_CMD_DEL_SERVICE, Some(svc), _) => {
            retired = Some(svc);
            table.edited(index, None)?
        }
        (b::IPVS_CMD_NEW_DEST, Some(svc), Some(d)) => {
            let config = d.config.ok_or(EINVAL)?;
            check_dest(&config, "ip_vs_add_dest")?;
            let af = d.af.unwrap_or(spec.key.af);
            if svc.find_dest(af, &d.addr, d.port).is_some() {
                return Err(EEXIST);
            }
            if !net.may_be_real_server(af == AF_INET6, &d.addr) {
                return Err(EINVAL);
            }
            if af == AF_INET6 {
                ipvs.need_ipv6_defrag(net)?;
            }
            let mut dests = KVec::with_capacity(svc.dests.len() + 1, GFP_KERNEL)?;
            // Back from the trash if connections still use it, as upstream
            // (back in service only once the new table is in place).
            let dest = match ipvs.trash.find(&svc.key, af, &d.addr, d.port) {
                Some(dest) => {
                    dest.configure(&config);
                    restored = Some(dest.clone());
                    dest
                }
                None => Dest::new(af, d.addr, d.port, &config, svc)?,
            };
            dests.push(dest, GFP_KERNEL)?;
            dests.extend_from_slice(&svc.dests, GFP_KERNEL)?;
            table.edited(index, Some(svc.with(svc.config, None, dests, DestsEdit::AddedFirst)?))?
        }
        (b::IPVS_CMD_SET_DEST, Some(svc), Some(d)) => {
            let config = d.config.ok_or(EINVAL)?;
            check_dest(&config, "ip_vs_edit_dest")?;
            let af = d.af.unwrap_or(spec.key.af);
            let i = svc.find_dest(af, &d.addr, d.port).ok_or(ENOENT)?;
            svc.dests[i].configure(&config);
            // A new snapshot, for the scheduler to take in the change.
            table.edited(index, Some(svc.with(svc.config, None, svc.dests_without(None)?, DestsEdit::Updated)?))?
        }
        (b::IPVS_CMD_DEL_DEST, Some(svc), Some(d)) => {
            let af = d.af.unwrap_or(spec.key.af);
            let i = svc.find_dest(af, &d.addr, d.port).ok_or(ENOENT)?;
            retired_dest = Some(svc.dests[i].clone());
            table.edited(index, Some(svc.with(svc.config, None, svc.dests_without(Some(i))?, DestsEdit::Removed(i))?))?
        }
        _ => return Err(EINVAL),
    };
    // Nothing fails from here on.
    if let (Some(d), Some(svc)) = (&restored, current) {
        d.rebind(&svc.stats);
        ipvs.trash.restore(d);
    }
    ipvs.services.replace(new_table);
    retired.inspect(|s| s.retire(&ipvs.trash));
    if let (Some(d), Some(svc)) = (retired_dest, current) {
        ipvs.trash.put(&svc.key, d);
    }
    Ok(())
}

/// Starting and stopping connection-sync daemons (see `sync.rs`),
/// with upstream's checks in upstream's order.
fn daemon_cmd(cmd: u32, net: &Net, ipvs: &IpvsNet, top: &CmdAttrs<'_>) -> Result {
    let nested = top.get(b::IPVS_CMD_ATTR_DAEMON).ok_or(EINVAL)?;
    let a = DaemonAttrs::parse(nested, &DAEMON_POLICY).map_err(|_| EINVAL)?;
    let bad = |_| EINVAL;
    let state = a.u32(b::IPVS_DAEMON_ATTR_STATE).map_err(bad)?;
    if cmd == b::IPVS_CMD_DEL_DAEMON {
        return ipvs.sync.stop(state.ok_or(EINVAL)?);
    }
    let (Some(state), Some(ifname), Some(syncid)) =
        (state, a.nul_str(b::IPVS_DAEMON_ATTR_MCAST_IFN), a.u32(b::IPVS_DAEMON_ATTR_SYNC_ID).map_err(bad)?)
    else {
        return Err(EINVAL);
    };
    // A group, if given, must be multicast (224/4, ff00::/8).
    let group = match (a.fixed::<4>(b::IPVS_DAEMON_ATTR_MCAST_GROUP).map_err(bad)?, a.fixed::<16>(b::IPVS_DAEMON_ATTR_MCAST_GROUP6).map_err(bad)?) {
        (Some(v4), _) if v4[0] & 0xf0 != 0xe0 => return Err(EINVAL),
        (Some(v4), _) => {
            let mut addr = [0u8; 16];
            addr[..4].copy_from_slice(&v4);
            Some((false, addr))
        }
        (None, Some(v6)) if v6[0] != 0xff => return Err(EINVAL),
        (None, Some(v6)) => Some((true, v6)),
        (None, None) => None,
    };
    // The sync protocol cannot carry a real server of another family
    // than its service's.
    let mixed = ipvs.services.get().services.iter().any(|svc| svc.dests.iter().any(|d| d.af != svc.key.af));
    if mixed {
        return Err(EINVAL);
    }
    let req = DaemonRequest {
        state,
        ifname,
        syncid,
        maxlen: a.u16(b::IPVS_DAEMON_ATTR_SYNC_MAXLEN).map_err(bad)?.unwrap_or(0),
        group,
        port: a.u16(b::IPVS_DAEMON_ATTR_MCAST_PORT).map_err(bad)?.unwrap_or(0),
        ttl: a.fixed::<1>(b::IPVS_DAEMON_ATTR_MCAST_TTL).map_err(bad)?.map_or(0, |[t]| t),
    };
    ipvs.sync.start(net, &req, ipvs)
}

fn dump_daemons(dump: &mut GenlDump<'_>, ipvs: &IpvsNet) -> Result {
    let mut sent = dump.sent();
    for (state, config) in ipvs.sync.running().iter().skip(sent) {
        let filled = dump.put(b::IPVS_CMD_NEW_DAEMON as u8, |msg| {
            msg.nest(b::IPVS_CMD_ATTR_DAEMON as u16, |msg| {
                msg.put_u32(b::IPVS_DAEMON_ATTR_STATE as u16, *state)?;
                msg.put_str(b::IPVS_DAEMON_ATTR_MCAST_IFN as u16, core::str::from_utf8(config.ifname()).unwrap_or(""))?;
                msg.put_u32(b::IPVS_DAEMON_ATTR_SYNC_ID as u16, config.syncid.into())?;
                msg.put_u16(b::IPVS_DAEMON_ATTR_SYNC_MAXLEN as u16, config.maxlen)?;
                msg.put_u16(b::IPVS_DAEMON_ATTR_MCAST_PORT as u16, config.group.port)?;
                msg.put_u8(b::IPVS_DAEMON_ATTR_MCAST_TTL as u16, config.ttl)?;
                if config.group.v6 {
                    msg.put_bytes(b::IPVS_DAEMON_ATTR_MCAST_GROUP6 as u16, &config.group.addr)
                } else {
                    msg.put_bytes(b::IPVS_DAEMON_ATTR_MCAST_GROUP as u16, &config.group.addr[..4])
                }
            })
        })?;
        if !filled {
            break;
        }
        sent += 1;
    }
    dump.set_sent(sent);
    Ok(())
}

/// `ipvsadm -Z`: the statistics of one service and its real servers,
/// or of all and the namespace's, count from zero.
fn zero(ipvs: &IpvsNet, top: &CmdAttrs<'_>) -> Result {
    let table = ipvs.services.get();
    let zero_service = |svc: &Service| {
        svc.dests.iter().for_each(|d| d.stats.zero());
        svc.stats.zero();
    };
    match top.get(b::IPVS_CMD_ATTR_SERVICE) {
        None => {
            table.services.iter().for_each(|svc| zero_service(svc));
            ipvs.stats.zero();
        }
        Some(svc) => {
            let spec = parse_service(svc, false)?;
            let i = table.position(&spec.key).ok_or(ESRCH)?;
            zero_service(&table.services[i]);
        }
    }
    Ok(())
}

/// The scheduler a new or edited service names (`None`: the one it
/// has): upstream's first check, `ENOENT` when unknown.
fn bind_scheduler(s: &SvcSettings<'_>, current: Option<&SchedBinding>) -> Result<Option<SchedBinding>> {
    let name = core::str::from_utf8(s.sched).map_err(|_| ENOENT)?;
    Ok(match current {
        Some(current) if current.name() == name => None,
        _ => Some(SchedBinding::new(name)?),
    })
}

/// The persistence engine a new or edited service names (none: it has
/// none, as upstream's edit): upstream's second check, `ENOENT` when
/// unknown.
fn bind_pe(s: &SvcSettings<'_>) -> Result<Option<Pe>> {
    if s.pe.is_empty() {
        return Ok(None);
    }
    match Pe::by_name(s.pe) {
        Some(pe) => Ok(Some(pe)),
        None => {
            let pe = core::str::from_utf8(s.pe).unwrap_or("?");
            pr_info!("persistence engine module lvs_ipvs_pe_{} not found\n", pe);
            Err(ENOENT)
        }
    }
}

/// An IPv6 persistence netmask is a prefix length, 1 to 128.
fn check_netmask(af: u16, netmask: u32) -> Result {
    if af == AF_INET6 && !(1..=128).contains(&netmask) {
        return Err(EINVAL);
    }
    Ok(())
}

/// Version and connection-table size; upstream answers with SET_INFO.
fn get_info(req: &GenlRequest<'_>, ipvs: &IpvsNet) -> Result {
    let buckets = u32::try_from(ipvs.conn_tab.buckets())?;
    req.reply(b::IPVS_CMD_SET_INFO as u8, |msg| {
        msg.put_u32(b::IPVS_INFO_ATTR_VERSION as u16, b::IP_VS_VERSION_CODE)?;
        msg.put_u32(b::IPVS_INFO_ATTR_CONN_TAB_SIZE as u16, buckets)
    })
}

fn get_config(req: &GenlRequest<'_>, ipvs: &IpvsNet) -> Result {
    let t = ipvs.timeouts();
    req.reply(b::IPVS_CMD_SET_CONFIG as u8, |msg| {
        msg.put_u32(b::IPVS_CMD_ATTR_TIMEOUT_TCP as u16, t.tcp)?;
        msg.put_u32(b::IPVS_CMD_ATTR_TIMEOUT_TCP_FIN as u16, t.tcp_fin)?;
        msg.put_u32(b::IPVS_CMD_ATTR_TIMEOUT_UDP as u16, t.udp)
    })
}

/// `ipvsadm --set`: a zero keeps the current value.
fn set_config(ipvs: &IpvsNet, top: &CmdAttrs<'_>) -> Result {
    let mut t: Timeouts = ipvs.timeouts();
    let get = |attr| top.u32(attr).map_err(|_| EINVAL);
    for (attr, slot) in [
        (b::IPVS_CMD_ATTR_TIMEOUT_TCP, &mut t.tcp),
        (b::IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, &mut t.tcp_fin),
        (b::IPVS_CMD_ATTR_TIMEOUT_UDP, &mut t.udp),
    ] {
        match get(attr)? {
            Some(v) if v > i32::MAX as u32 => return Err(EINVAL),
            Some(v) if v != 0 => *slot = v,
            _ => {}
        }
    }
    ipvs.set_timeouts(&t);
    Ok(())
}

fn get_service(req: &GenlRequest<'_>, ipvs: &IpvsNet, top: &CmdAttrs<'_>) -> Result {
    let spec = parse_service(top.get(b::IPVS_CMD_ATTR_SERVICE).ok_or(EINVAL)?, false)?;
    let table = ipvs.services.get();
    let svc = table.position(&spec.key).and_then(|i| table.services.get(i)).ok_or(ESRCH)?;
    req.reply(b::IPVS_CMD_NEW_SERVICE as u8, |msg| fill_service(msg, svc))
}

fn dump_services(dump: &mut GenlDump<'_>, ipvs: &IpvsNet) -> Result {
    let table = ipvs.services.get();
    let mut sent = dump.sent();
    for svc in table.services.iter().skip(sent) {
        if !dump.put(b::IPVS_CMD_NEW_SERVICE as u8, |msg| fill_service(msg, svc))? {
            break;
        }
        sent += 1;
    }
    dump.set_sent(sent);
    Ok(())
}

fn dump_dests(dump: &mut GenlDump<'_>, ipvs: &IpvsNet) -> Result {
    // Upstream answers an unknown or malformed service with an empty dump.
    let Ok(top) = CmdAttrs::parse(dump.attrs(), &CMD_POLICY) else { return Ok(()) };
    let Some(Ok(spec)) = top.get(b::IPVS_CMD_ATTR_SERVICE).map(|s| parse_service(s, false)) else { return Ok(()) };
    let table = ipvs.services.get();
    let Some(svc) = table.position(&spec.key).and_then(|i| table.services.get(i)) else { return Ok(()) };
    let mut sent = dump.sent();
    for dest in svc.dests.iter().skip(sent) {
        if !dump.put(b::IPVS_CMD_NEW_DEST as u8, |msg| fill_dest(msg, dest))? {
            break;
        }
        sent += 1;
    }
    dump.set_sent(sent);
    Ok(())
}

/// Statistics attributes `attr` (all 64-bit) and `attr32` (bytes
/// 64-bit, the rest cut to 32 bits, as upstream's older attribute).
fn fill_stats(msg: &mut GenlMsg<'_>, stats: &Stats, attr32: u32, attr: u32) -> Result {
    let (c, r) = stats.read();
    let values = [
        (b::IPVS_STATS_ATTR_CONNS, c.conns, false),
        (b::IPVS_STATS_ATTR_INPKTS, c.inpkts, false),
        (b::IPVS_STATS_ATTR_OUTPKTS, c.outpkts, false),
        (b::IPVS_STATS_ATTR_INBYTES, c.inbytes, true),
        (b::IPVS_STATS_ATTR_OUTBYTES, c.outbytes, true),
        (b::IPVS_STATS_ATTR_CPS, r.cps, false),
        (b::IPVS_STATS_ATTR_INPPS, r.inpps, false),
        (b::IPVS_STATS_ATTR_OUTPPS, r.outpps, false),
        (b::IPVS_STATS_ATTR_INBPS, r.inbps, false),
        (b::IPVS_STATS_ATTR_OUTBPS, r.outbps, false),
    ];
    for (nest, wide) in [(attr32, false), (attr, true)] {
        msg.nest(nest as u16, |msg| {
            for &(stat, value, always_wide) in values.iter() {
                if wide || always_wide {
                    msg.put_u64(stat as u16, value, b::IPVS_STATS_ATTR_PAD as u16)?;
                } else {
                    msg.put_u32(stat as u16, value as u32)?;
                }
            }
            Ok(())
        })?;
    }
    Ok(())
}

fn fill_service(msg: &mut GenlMsg<'_>, svc: &Service) -> Result {
    msg.nest(b::IPVS_CMD_ATTR_SERVICE as u16, |msg| {
        let k = &svc.key;
        msg.put_u16(b::IPVS_SVC_ATTR_AF as u16, k.af)?;
        if k.fwmark != 0 {
            msg.put_u32(b::IPVS_SVC_ATTR_FWMARK as u16, k.fwmark)?;
        } else {
            msg.put_u16(b::IPVS_SVC_ATTR_PROTOCOL as u16, k.proto)?;
            msg.put_bytes(b::IPVS_SVC_ATTR_ADDR as u16, &k.addr)?;
            msg.put_bytes(b::IPVS_SVC_ATTR_PORT as u16, &k.port.to_be_bytes())?;
        }
        msg.put_str(b::IPVS_SVC_ATTR_SCHED_NAME as u16, svc.sched.name())?;
        if let Some(pe) = svc.config.pe {
            msg.put_str(b::IPVS_SVC_ATTR_PE_NAME as u16, pe.name())?;
        }
        let mut flags = [0u8; 8];
        flags[..4].copy_from_slice(&svc.config.flags.to_ne_bytes());
        flags[4..].copy_from_slice(&u32::MAX.to_ne_bytes());
        msg.put_bytes(b::IPVS_SVC_ATTR_FLAGS as u16, &flags)?;
        msg.put_u32(b::IPVS_SVC_ATTR_TIMEOUT as u16, svc.config.timeout)?;
        msg.put_u32(b::IPVS_SVC_ATTR_NETMASK as u16, svc.config.netmask)?;
        fill_stats(msg, &svc.stats, b::IPVS_SVC_ATTR_STATS, b::IPVS_SVC_ATTR_STATS64)
    })
}

fn fill_dest(msg: &mut GenlMsg<'_>, d: &Dest) -> Result {
    msg.nest(b::IPVS_CMD_ATTR_DEST as u16, |msg| {
        msg.put_bytes(b::IPVS_DEST_ATTR_ADDR as u16, &d.addr)?;
        msg.put_bytes(b::IPVS_DEST_ATTR_PORT as u16, &d.port.to_be_bytes())?;
        msg.put_u32(b::IPVS_DEST_ATTR_FWD_METHOD as u16, d.fwd.load(Ordering::Relaxed))?;
        msg.put_u32(b::IPVS_DEST_ATTR_WEIGHT as u16, d.weight.load(Ordering::Relaxed) as u32)?;
        let tunnel = d.tunnel();
        msg.put_u8(b::IPVS_DEST_ATTR_TUN_TYPE as u16, tunnel.kind)?;
        msg.put_bytes(b::IPVS_DEST_ATTR_TUN_PORT as u16, &tunnel.port.to_be_bytes())?;
        msg.put_u16(b::IPVS_DEST_ATTR_TUN_FLAGS as u16, tunnel.flags)?;
        msg.put_u32(b::IPVS_DEST_ATTR_U_THRESH as u16, d.u_threshold.load(Ordering::Relaxed))?;
        msg.put_u32(b::IPVS_DEST_ATTR_L_THRESH as u16, d.l_threshold.load(Ordering::Relaxed))?;
        msg.put_u32(b::IPVS_DEST_ATTR_ACTIVE_CONNS as u16, d.active.load(Ordering::Relaxed))?;
        msg.put_u32(b::IPVS_DEST_ATTR_INACT_CONNS as u16, d.inactive.load(Ordering::Relaxed))?;
        msg.put_u32(b::IPVS_DEST_ATTR_PERSIST_CONNS as u16, d.persist.load(Ordering::Relaxed))?;
        msg.put_u16(b::IPVS_DEST_ATTR_ADDR_FAMILY as u16, d.af)?;
        fill_stats(msg, &d.stats, b::IPVS_DEST_ATTR_STATS, b::IPVS_DEST_ATTR_STATS64)
    })
}
