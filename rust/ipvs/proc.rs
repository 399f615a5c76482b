// SPDX-License-Identifier: GPL-2.0
//! The namespace's `/proc/net` files, in upstream's text where upstream
//! has the file: tools (`ipvsadm -Lc`, monitoring scripts) parse it.

use crate::conn::Conn;
use crate::hooks::HookCounts;
use crate::kbind::netfilter::{Family, HookPoint};
use crate::kbind::netns::{Net, PernetState};
use crate::kbind::procfs::{NetProcShow, SeqFile};
use crate::net::IpvsNet;
use crate::proc_text::{fwd_name, proto_name, HexAddr};
use crate::service::{Service, AF_INET6};
use crate::stats_math;
use core::fmt::{self, Write};
use core::sync::atomic::Ordering;

/// `IP_VS_SVC_F_PERSISTENT` and `IP_VS_SVC_F_ONEPACKET`.
const SVC_F_PERSISTENT: u32 = 1;
const SVC_F_ONEPACKET: u32 = 4;

/// Upstream's `IP_VS_VERSION_CODE`, 1.2.1.
const VERSION: (u32, u32, u32) = (1, 2, 1);

/// `/proc/net/ip_vs`: the services and their real servers.
pub(crate) struct ServicesFile;

impl NetProcShow for ServicesFile {
    fn show(net: &Net, out: &mut SeqFile) -> fmt::Result {
        let Some(ipvs) = IpvsNet::get(net) else { return Ok(()) };
        let (major, minor, patch) = VERSION;
        writeln!(out, "IP Virtual Server version {major}.{minor}.{patch} (size={})", ipvs.conn_tab.buckets())?;
        writeln!(out, "Prot LocalAddress:Port Scheduler Flags")?;
        writeln!(out, "  -> RemoteAddress:Port Forward Weight ActiveConn InActConn")?;
        let services = ipvs.services.get();
        // Upstream lists address services before firewall-mark ones.
        for svc in services.services.iter().filter(|s| s.key.fwmark == 0) {
            show_service(out, svc)?;
        }
        for svc in services.services.iter().filter(|s| s.key.fwmark != 0) {
            show_service(out, svc)?;
        }
        Ok(())
    }
}

fn show_service(out: &mut SeqFile, svc: &Service) -> fmt::Result {
    let key = &svc.key;
    let sched = svc.sched.name();
    let ops = if svc.config.flags & SVC_F_ONEPACKET != 0 { "ops " } else { "" };
    let v6 = key.af == AF_INET6;
    let addr = HexAddr { v6, addr: &key.addr };
    if key.fwmark != 0 {
        write!(out, "FWM  {:08X} {sched} {ops}", key.fwmark)?;
    } else if v6 {
        write!(out, "{}  [{addr}]:{:04X} {sched} ", proto_name(key.proto), key.port)?;
    } else {
        write!(out, "{}  {addr}:{:04X} {sched} {ops} ", proto_name(key.proto), key.port)?;
    }
    if svc.config.flags & SVC_F_PERSISTENT != 0 {
        writeln!(out, "persistent {} {:08X}", svc.config.timeout, u32::from_be(svc.config.netmask))?;
    } else {
        writeln!(out)?;
    }
    for d in svc.dests.iter() {
        let addr = HexAddr { v6: d.af == AF_INET6, addr: &d.addr };
        let fwd = fwd_name(d.fwd.load(Ordering::Relaxed));
        let weight = d.weight.load(Ordering::Relaxed);
        let active = d.active.load(Ordering::Relaxed);
        let inactive = d.inactive.load(Ordering::Relaxed);
        if d.af == AF_INET6 {
            writeln!(out, "  -> [{addr}]:{:04X}      {fwd:<7} {weight:<6} {active:<10} {inactive:<10}", d.port)?;
        } else {
            writeln!(out, "  -> {addr}:{:04X}      {fwd:<7} {weight:<6} {active:<10} {inactive:<10}", d.port)?;
        }
    }
    Ok(())
}

/// `/proc/net/ip_vs_conn`: the namespace's connections (`ipvsadm -Lc`
/// reads it).
pub(crate) struct ConnFile;

impl NetProcShow for ConnFile {
    fn show(net: &Net, out: &mut SeqFile) -> fmt::Result {
        writeln!(out, "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData")?;
        let Some(ipvs) = IpvsNet::get(net) else { return Ok(()) };
        let mut result = Ok(());
        ipvs.conn_tab.for_each(net.id(), |c, left| {
            if result.is_ok() {
                result = show_conn(out, c, left);
            }
        });
        result
    }
}

fn show_conn(out: &mut SeqFile, c: &Conn, left: u32) -> fmt::Result {
    let v6 = c.af == AF_INET6;
    let state = match &c.control {
        Some(control) if c.is_template() => {
            if control.is_assured() {
                "ASSURED"
            } else {
                "NONE"
            }
        }
        _ => c.state.name(),
    };
    write!(
        out,
        "{:<3} {} {:04X} {} {:04X} {} {:04X} {:<11} {:>7}",
        proto_name(c.proto.into()),
        HexAddr { v6, addr: &c.caddr },
        c.cport,
        HexAddr { v6, addr: &c.vaddr },
        c.vport,
        HexAddr { v6: c.daf() == AF_INET6, addr: &c.daddr },
        c.dport,
        state,
        left
    )?;
    // A persistence engine's template: the engine and its key.
    if let Some((pe, data)) = c.control.as_ref().filter(|_| c.is_template()).and_then(|control| control.pe()) {
        write!(out, " {} ", pe.name())?;
        out.write_bytes(data);
    }
    writeln!(out)
}

/// `/proc/net/ip_vs_stats`: the namespace's traffic, all services
/// together.
pub(crate) struct StatsFile;

impl NetProcShow for StatsFile {
    fn show(net: &Net, out: &mut SeqFile) -> fmt::Result {
        let Some(ipvs) = IpvsNet::get(net) else { return Ok(()) };
        let (counters, rates) = ipvs.stats.read();
        stats_math::write_totals(out, &counters, &rates)
    }
}

/// `/proc/net/ip_vs_stats_percpu`: the same, per CPU.
pub(crate) struct StatsPercpuFile;

impl NetProcShow for StatsPercpuFile {
    fn show(net: &Net, out: &mut SeqFile) -> fmt::Result {
        let Some(ipvs) = IpvsNet::get(net) else { return Ok(()) };
        stats_math::write_percpu_head(out)?;
        for (cpu, counters) in ipvs.stats.per_cpu() {
            stats_math::write_cpu_row(out, cpu, &counters)?;
        }
        let (counters, rates) = ipvs.stats.read();
        stats_math::write_percpu_tail(out, &counters, &rates)
    }
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
