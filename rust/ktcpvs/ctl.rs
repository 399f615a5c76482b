// SPDX-License-Identifier: GPL-2.0
//! The "TCPVS" generic-netlink family: `tcpvsadm`'s requests, checked and
//! carried out on the caller's namespace (protocol: `tcpvs_proto.rs`).
//!
//! Errors follow IPVS's: `ESRCH` no such service, `ENOENT` no such real
//! server or rule (or scheduler), `EEXIST` already there, `EINVAL` a
//! missing or bad attribute.

use crate::kbind::genl::{GenlDump, GenlFamily, GenlMsg, GenlOp, GenlRequest};
use crate::kbind::tcp::Addr;
use crate::net::KtcpvsNet;
use crate::nlattr::{Attrs, Policy, PolicyError};
use crate::sched::SchedKind;
use crate::service::{retain, Pattern, Pool, Rule, Service};
use crate::tcpvs_proto::{attr, cmd, dest, rule, svc, DEST_POLICY, RULE_POLICY, SVC_POLICY, TOP_POLICY};
use crate::kbind::netns::PernetState;
use core::sync::atomic::Ordering;
use kernel::prelude::*;
use kernel::str::CStr;

/// The family.
pub(crate) struct TcpvsFamily;

const fn op(cmd: u8, admin: bool, dumpit: bool) -> GenlOp {
    GenlOp { cmd, admin, doit: !dumpit, dumpit }
}

type Top<'a> = Attrs<'a, { attr::MAX + 1 }>;
type SvcAttrs<'a> = Attrs<'a, { svc::MAX + 1 }>;
type DestAttrs<'a> = Attrs<'a, { dest::MAX + 1 }>;
type RuleAttrs<'a> = Attrs<'a, { rule::MAX + 1 }>;

fn parse<'a, const N: usize>(bytes: &'a [u8], policy: &[Policy; N]) -> Result<Attrs<'a, N>> {
    Attrs::parse(bytes, policy).map_err(|e| match e {
        PolicyError::Invalid => EINVAL,
        PolicyError::Range => ERANGE,
    })
}

/// The request's nests, each parsed by its policy.
struct Request<'a> {
    svc: Option<SvcAttrs<'a>>,
    dest: Option<DestAttrs<'a>>,
    rule: Option<RuleAttrs<'a>>,
}

impl<'a> Request<'a> {
    fn parse(bytes: &'a [u8]) -> Result<Self> {
        let top: Top<'a> = parse(bytes, &TOP_POLICY)?;
        Ok(Self {
            svc: top.get(attr::SERVICE.into()).map(|b| parse(b, &SVC_POLICY)).transpose()?,
            dest: top.get(attr::DEST.into()).map(|b| parse(b, &DEST_POLICY)).transpose()?,
            rule: top.get(attr::RULE.into()).map(|b| parse(b, &RULE_POLICY)).transpose()?,
        })
    }

    /// The service name given, if any.
    fn ident(&self) -> Result<Option<&'a [u8]>> {
        let Some(svc) = &self.svc else { return Ok(None) };
        let Some(ident) = svc.nul_str(svc::IDENT.into()) else { return Ok(None) };
        // Names become thread names and listing text: printable ASCII.
        if ident.is_empty() || !ident.iter().all(u8::is_ascii_graphic) {
            return Err(EINVAL);
        }
        Ok(Some(ident))
    }

    fn required_ident(&self) -> Result<&'a [u8]> {
        self.ident()?.ok_or(EINVAL)
    }
}

fn u32_attr<const N: usize>(attrs: &Attrs<'_, N>, ty: u16) -> Result<Option<u32>> {
    attrs.u32(ty.into()).map_err(|_| EINVAL)
}

/// An address and port from `ADDR` and `PORT` attributes numbered `a`
/// and `p`; `None` if neither is there.
fn addr_attrs<const N: usize>(attrs: &Attrs<'_, N>, a: u16, p: u16) -> Result<Option<Addr>> {
    let ip = attrs.fixed::<4>(a.into()).map_err(|_| EINVAL)?;
    let port = attrs.be16(p.into()).map_err(|_| EINVAL)?;
    match (ip, port) {
        (None, None) => Ok(None),
        (Some(ip), Some(port)) if port != 0 => Ok(Some(Addr { ip, port })),
        _ => Err(EINVAL),
    }
}

fn find<'s>(services: &'s mut KVec<Service>, ident: &[u8]) -> Result<&'s mut Service> {
    services.iter_mut().find(|s| s.ident == ident).ok_or(ESRCH)
}

impl GenlFamily for TcpvsFamily {
    const NAME: &'static CStr = kernel::c_str!("TCPVS");
    const VERSION: u8 = crate::tcpvs_proto::FAMILY_VERSION;
    // Genetlink's own validation would reject every attribute of a
    // command without a kernel policy table; ours are checked here, by
    // the policies in `tcpvs_proto.rs`, for every command.
    const LAX_BELOW: u8 = cmd::STOP + 1;
    const OPS: &'static [GenlOp] = &[
        op(cmd::NEW_SERVICE, true, false),
        op(cmd::SET_SERVICE, true, false),
        op(cmd::DEL_SERVICE, true, false),
        op(cmd::GET_SERVICE, false, true),
        op(cmd::NEW_DEST, true, false),
        op(cmd::SET_DEST, true, false),
        op(cmd::DEL_DEST, true, false),
        op(cmd::GET_DEST, false, true),
        op(cmd::NEW_RULE, true, false),
        op(cmd::DEL_RULE, true, false),
        op(cmd::GET_RULE, false, true),
        op(cmd::FLUSH, true, false),
        op(cmd::START, true, false),
        op(cmd::STOP, true, false),
    ];

    fn doit(req: &GenlRequest<'_>) -> Result {
        let state = KtcpvsNet::get(req.net()).ok_or(ENOENT)?;
        let r = Request::parse(req.attrs())?;
        let mut services = state.services.lock();
        match req.cmd() {
            cmd::NEW_SERVICE => new_service(&mut services, &r),
            cmd::SET_SERVICE => set_service(&mut services, &r),
            cmd::DEL_SERVICE => {
                let ident = r.required_ident()?;
                if !services.iter().any(|s| s.ident == ident) {
                    return Err(ESRCH);
                }
                retain(&mut services, |s| s.ident != ident)
            }
            cmd::NEW_DEST | cmd::SET_DEST | cmd::DEL_DEST => dest_cmd(req.cmd(), find(&mut services, r.required_ident()?)?, &r),
            cmd::NEW_RULE | cmd::DEL_RULE => rule_cmd(req.cmd(), find(&mut services, r.required_ident()?)?, &r),
            cmd::FLUSH => {
                *services = KVec::new();
                Ok(())
            }
            cmd::START | cmd::STOP => {
                let start = req.cmd() == cmd::START;
                match r.ident()? {
                    Some(ident) => run(find(&mut services, ident)?, start, state),
                    None => services.iter_mut().try_for_each(|s| run(s, start, state)),
                }
            }
            _ => Err(EINVAL),
        }
    }

    fn dumpit(dump: &mut GenlDump<'_>) -> Result {
        let Some(state) = KtcpvsNet::get(dump.net()) else { return Ok(()) };
        let r = Request::parse(dump.attrs())?;
        let services = state.services.lock();
        match dump.cmd() {
            cmd::GET_SERVICE => {
                let only = r.ident()?;
                let chosen = services.iter().filter(|s| only.is_none_or(|i| s.ident == i));
                dump_items(dump, cmd::GET_SERVICE, chosen, |m, s| m.nest(attr::SERVICE, |m| fill_service(m, s)))
            }
            cmd::GET_DEST => {
                let ident = r.required_ident()?;
                let service = services.iter().find(|s| s.ident == ident).ok_or(ESRCH)?;
                dump_items(dump, cmd::GET_DEST, service.servers.iter(), |m, s| {
                    m.nest(attr::DEST, |m| {
                        put_addr(m, dest::ADDR, dest::PORT, s.addr)?;
                        m.put_u32(dest::WEIGHT, s.weight)?;
                        m.put_u32(dest::CONNS, s.load.conns.load(Ordering::Relaxed))?;
                        m.put_u32(dest::UP, s.load.up().into())
                    })
                })
            }
            cmd::GET_RULE => {
                let ident = r.required_ident()?;
                let service = services.iter().find(|s| s.ident == ident).ok_or(ESRCH)?;
                dump_items(dump, cmd::GET_RULE, service.rules.iter(), |m, rl| {
                    m.nest(attr::RULE, |m| {
                        put_str(m, rule::PATTERN, &rl.pattern.text)?;
                        put_addr(m, rule::ADDR, rule::PORT, rl.server)?;
                        m.put_u32(rule::MATCH_NUM, rl.match_num)
                    })
                })
            }
            _ => Err(EINVAL),
        }
    }
}

/// Adds one message per item not yet sent, as many as fit in this part.
fn dump_items<T>(
    dump: &mut GenlDump<'_>,
    command: u8,
    items: impl Iterator<Item = T>,
    mut fill: impl FnMut(&mut GenlMsg<'_>, &T) -> Result,
) -> Result {
    let mut sent = dump.sent();
    for item in items.skip(sent) {
        if !dump.put(command, |m| fill(m, &item))? {
            break;
        }
        sent += 1;
    }
    dump.set_sent(sent);
    Ok(())
}

fn put_addr(m: &mut GenlMsg<'_>, a: u16, p: u16, addr: Addr) -> Result {
    m.put_bytes(a, &addr.ip)?;
    m.put_bytes(p, &addr.port.to_be_bytes())
}

/// A NUL-terminated string attribute of any length.
fn put_str(m: &mut GenlMsg<'_>, ty: u16, text: &[u8]) -> Result {
    let mut bytes = KVec::with_capacity(text.len() + 1, GFP_KERNEL)?;
    bytes.extend_from_slice(text, GFP_KERNEL)?;
    bytes.push(0, GFP_KERNEL)?;
    m.put_bytes(ty, &bytes)
}

fn fill_service(m: &mut GenlMsg<'_>, s: &Service) -> Result {
    put_str(m, svc::IDENT, &s.ident)?;
    put_str(m, svc::SCHED_NAME, s.sched.name().as_bytes())?;
    put_addr(m, svc::ADDR, svc::PORT, s.listen)?;
    m.put_u32(svc::STARTSERVERS, s.pool.startservers)?;
    m.put_u32(svc::MAXCLIENTS, s.pool.maxclients)?;
    m.put_u32(svc::MINSPARE, s.pool.minspare)?;
    m.put_u32(svc::MAXSPARE, s.pool.maxspare)?;
    m.put_u32(svc::RUNNING, s.running().into())?;
    m.put_u32(svc::CONNS, s.clients())
}

/// The scheduler and pool a request asks for, over `sched` and `pool`.
fn settings(a: &SvcAttrs<'_>, mut sched: SchedKind, mut pool: Pool) -> Result<(SchedKind, Pool)> {
    if let Some(name) = a.nul_str(svc::SCHED_NAME.into()) {
        sched = SchedKind::by_name(name).ok_or(ENOENT)?;
    }
    let fields = [
        (svc::STARTSERVERS, &mut pool.startservers),
        (svc::MAXCLIENTS, &mut pool.maxclients),
        (svc::MINSPARE, &mut pool.minspare),
        (svc::MAXSPARE, &mut pool.maxspare),
    ];
    for (ty, field) in fields {
        if let Some(v) = u32_attr(a, ty)? {
            *field = v;
        }
    }
    if !pool.valid() {
        return Err(EINVAL);
    }
    Ok((sched, pool))
}

fn new_service(services: &mut KVec<Service>, r: &Request<'_>) -> Result {
    let ident = r.required_ident()?;
    let a = r.svc.as_ref().ok_or(EINVAL)?;
    let listen = addr_attrs(a, svc::ADDR, svc::PORT)?.ok_or(EINVAL)?;
    let default_sched = SchedKind::by_name(crate::tcpvs_proto::defaults::SCHED.as_bytes()).ok_or(EINVAL)?;
    let (sched, pool) = settings(a, default_sched, Pool::default())?;
    if services.iter().any(|s| s.ident == ident) {
        return Err(EEXIST);
    }
    services.push(Service::new(ident, listen, sched, pool)?, GFP_KERNEL)?;
    Ok(())
}

fn set_service(services: &mut KVec<Service>, r: &Request<'_>) -> Result {
    let service = find(services, r.required_ident()?)?;
    let a = r.svc.as_ref().ok_or(EINVAL)?;
    let listen = addr_attrs(a, svc::ADDR, svc::PORT)?;
    let (sched, pool) = settings(a, service.sched, service.pool)?;
    // The listener and threads are made at start: a running service
    // keeps them until stopped.
    if service.running() && (listen.is_some_and(|l| l != service.listen) || pool.startservers != service.pool.startservers) {
        return Err(EBUSY);
    }
    if let Some(listen) = listen {
        service.listen = listen;
    }
    service.sched = sched;
    service.pool = pool;
    service.publish()
}

fn dest_cmd(command: u8, service: &mut Service, r: &Request<'_>) -> Result {
    let a = r.dest.as_ref().ok_or(EINVAL)?;
    let addr = addr_attrs(a, dest::ADDR, dest::PORT)?.ok_or(EINVAL)?;
    let weight = u32_attr(a, dest::WEIGHT)?;
    if weight.is_some_and(|w| w > i32::MAX as u32) {
        return Err(EINVAL);
    }
    let index = service.server_index(addr);
    match (command, index) {
        (cmd::NEW_DEST, Some(_)) => Err(EEXIST),
        (cmd::NEW_DEST, None) => service.add_server(addr, weight.unwrap_or(1)),
        (_, None) => Err(ENOENT),
        (cmd::SET_DEST, Some(i)) => {
            if let Some(w) = weight {
                service.servers[i].weight = w;
            }
            // An edit brings a server taken out back into the schedule.
            service.servers[i].load.answered();
            service.publish()
        }
        (_, Some(i)) => service.remove_server(i),
    }
}

fn rule_cmd(command: u8, service: &mut Service, r: &Request<'_>) -> Result {
    let a = r.rule.as_ref().ok_or(EINVAL)?;
    let text = a.nul_str(rule::PATTERN.into()).ok_or(EINVAL)?;
    let server = addr_attrs(a, rule::ADDR, rule::PORT)?.ok_or(EINVAL)?;
    let match_num = u32_attr(a, rule::MATCH_NUM)?.unwrap_or(0);
    if command == cmd::DEL_RULE {
        let index = service.rules.iter().position(|rl| rl.pattern.text == text && rl.server == server).ok_or(ENOENT)?;
        let mut at = 0;
        retain(&mut service.rules, |_| {
            at += 1;
            at - 1 != index
        })?;
        return service.publish();
    }
    if service.server_index(server).is_none() {
        return Err(ENOENT);
    }
    let pattern = Pattern::compile(text)?;
    if match_num as usize > pattern.regex.groups() {
        return Err(EINVAL);
    }
    service.rules.push(Rule { pattern, server, match_num }, GFP_KERNEL)?;
    service.publish()
}

fn run(service: &mut Service, start: bool, state: &KtcpvsNet) -> Result {
    if start {
        service.start(state.net)
    } else {
        service.stop();
        Ok(())
    }
}
