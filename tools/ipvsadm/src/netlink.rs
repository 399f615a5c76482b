//! The "IPVS" generic netlink family (include/uapi/linux/ip_vs.h), through
//! neli: family resolution, GET_INFO, and the service and destination
//! dumps a listing needs. Replies are decoded from the raw attribute bytes
//! with length checks, so that a malformed reply is an error, not a panic.
//!
//! neli 0.6's synchronous socket, not 0.7's `NlRouter`: the router reads
//! replies in a thread of its own, and under load one request in a few
//! hundred failed with a router error instead of its reply; a command-line
//! tool has no use for the thread anyway.

use neli::{
    consts::{
        nl::{NlmF, NlmFFlags},
        socket::NlFamily,
    },
    err::NlError,
    genl::{Genlmsghdr, Nlattr},
    neli_enum,
    nl::{NlPayload, Nlmsghdr},
    socket::NlSocketHandle,
    types::{Buffer, GenlBuffer},
};

use std::net::IpAddr;

use crate::change::{DestSpec, ServiceSpec};
use crate::errors::Errno;
use crate::model::{Daemon, Dest, Info, Service, Stats, Timeouts};

const IPVS_GENL_NAME: &str = "IPVS";
const IPVS_GENL_VERSION: u8 = 1;
/// Longest names libipvs keeps (`IP_VS_SCHEDNAME_MAXLEN - 1`, and the
/// persistence engine's whole `IP_VS_PENAME_MAXLEN`).
const SCHED_NAME_MAX: usize = 15;
const PE_NAME_MAX: usize = 16;
/// Longest interface name libipvs keeps (`IP_VS_IFNAME_MAXLEN - 1`).
pub const IFNAME_MAX: usize = 15;

/// The IPVS commands we send (`IPVS_CMD_*`).
#[neli_enum(serialized_type = "u8")]
pub enum IpvsCmd {
    NewService = 1,
    SetService = 2,
    DelService = 3,
    GetService = 4,
    NewDest = 5,
    SetDest = 6,
    DelDest = 7,
    GetDest = 8,
    NewDaemon = 9,
    DelDaemon = 10,
    GetDaemon = 11,
    SetConfig = 12,
    GetConfig = 13,
    GetInfo = 15,
    Zero = 16,
    Flush = 17,
}
impl neli::consts::genl::Cmd for IpvsCmd {}

/// Top-level attributes (`IPVS_CMD_ATTR_*`).
#[neli_enum(serialized_type = "u16")]
pub enum CmdAttr {
    Service = 1,
    Dest = 2,
    Daemon = 3,
    TimeoutTcp = 4,
    TimeoutTcpFin = 5,
    TimeoutUdp = 6,
}
impl neli::consts::genl::NlAttrType for CmdAttr {}

/// Attributes nested in IPVS_CMD_ATTR_SERVICE (`IPVS_SVC_ATTR_*`).
#[neli_enum(serialized_type = "u16")]
pub enum SvcAttr {
    Af = 1,
    Protocol = 2,
    Addr = 3,
    Port = 4,
    Fwmark = 5,
    SchedName = 6,
    Flags = 7,
    Timeout = 8,
    Netmask = 9,
    Stats = 10,
    PeName = 11,
    Stats64 = 12,
}
impl neli::consts::genl::NlAttrType for SvcAttr {}

/// Attributes nested in IPVS_CMD_ATTR_DEST (`IPVS_DEST_ATTR_*`).
#[neli_enum(serialized_type = "u16")]
pub enum DestAttr {
    Addr = 1,
    Port = 2,
    FwdMethod = 3,
    Weight = 4,
    UThresh = 5,
    LThresh = 6,
    ActiveConns = 7,
    InactConns = 8,
    PersistConns = 9,
    Stats = 10,
    AddrFamily = 11,
    Stats64 = 12,
    TunType = 13,
    TunPort = 14,
    TunFlags = 15,
}
impl neli::consts::genl::NlAttrType for DestAttr {}

/// Attributes nested in the statistics of a service or real server
/// (`IPVS_STATS_ATTR_*`).
#[neli_enum(serialized_type = "u16")]
pub enum StatsAttr {
    Conns = 1,
    InPkts = 2,
    OutPkts = 3,
    InBytes = 4,
    OutBytes = 5,
    Cps = 6,
    InPps = 7,
    OutPps = 8,
    InBps = 9,
    OutBps = 10,
}
impl neli::consts::genl::NlAttrType for StatsAttr {}

/// Attributes nested in IPVS_CMD_ATTR_DAEMON (`IPVS_DAEMON_ATTR_*`).
#[neli_enum(serialized_type = "u16")]
pub enum DaemonAttr {
    State = 1,
    McastIfn = 2,
    SyncId = 3,
    SyncMaxlen = 4,
    McastGroup = 5,
    McastGroup6 = 6,
    McastPort = 7,
    McastTtl = 8,
}
impl neli::consts::genl::NlAttrType for DaemonAttr {}

/// Attributes of the GET_INFO reply (`IPVS_INFO_ATTR_*`).
#[neli_enum(serialized_type = "u16")]
pub enum InfoAttr {
    Version = 1,
    ConnTabSize = 2,
}
impl neli::consts::genl::NlAttrType for InfoAttr {}

/// Which service a request is about: what `ipvs_nl_fill_service_attr` and
/// `ipvs_get_dests` put in the nested service attribute.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceKey {
    pub af: u16,
    pub fwmark: u32,
    pub protocol: u16,
    pub addr: [u8; 16],
    /// Host byte order.
    pub port: u16,
    pub netmask: u32,
}

impl From<&Service> for ServiceKey {
    fn from(se: &Service) -> Self {
        ServiceKey {
            af: se.af,
            fwmark: se.fwmark,
            protocol: se.protocol,
            addr: se.addr,
            port: se.port,
            netmask: se.netmask,
        }
    }
}

/// A connected generic netlink socket and the IPVS family's id.
pub struct Ipvs {
    socket: NlSocketHandle,
    family: u16,
}

/// Why a request failed: an errno, as libipvs reports it (a kernel error,
/// or EINVAL for anything else that went wrong on the socket).
fn errno_of<T, P>(e: NlError<T, P>) -> Errno {
    match e {
        NlError::Nlmsgerr(err) => Errno(-err.error),
        _ => Errno(libc::EINVAL),
    }
}

/// The attributes of one message or nested attribute.
type Attrs<T> = Vec<Nlattr<T, Buffer>>;

fn attr<T: neli::consts::genl::NlAttrType>(
    ty: T,
    payload: &[u8],
) -> Result<Nlattr<T, Buffer>, Errno> {
    Nlattr::new(false, false, ty, Buffer::from(payload)).map_err(|_| Errno(libc::EINVAL))
}

/// Append `inner` to the nested attribute `outer`.
fn nest<O, I>(
    mut outer: Nlattr<O, Buffer>,
    inner: Nlattr<I, Buffer>,
) -> Result<Nlattr<O, Buffer>, Errno>
where
    O: neli::consts::genl::NlAttrType,
    I: neli::consts::genl::NlAttrType,
{
    outer.nla_type.nla_nested = true;
    outer
        .add_nested_attribute(&inner)
        .map_err(|_| Errno(libc::EINVAL))?;
    Ok(outer)
}

/// The nested IPVS_CMD_ATTR_SERVICE naming one service. With `full`, also
/// the fields libipvs adds for a GET_SERVICE request (empty scheduler,
/// no flags, zero timeout, the netmask).
fn service_attr(key: &ServiceKey, full: bool) -> Result<Nlattr<CmdAttr, Buffer>, Errno> {
    let mut svc = nest(
        attr(CmdAttr::Service, &[])?,
        attr(SvcAttr::Af, &key.af.to_ne_bytes())?,
    )?;
    if key.fwmark != 0 {
        svc = nest(svc, attr(SvcAttr::Fwmark, &key.fwmark.to_ne_bytes())?)?;
    } else {
        svc = nest(svc, attr(SvcAttr::Protocol, &key.protocol.to_ne_bytes())?)?;
        svc = nest(svc, attr(SvcAttr::Addr, &key.addr)?)?;
        svc = nest(svc, attr(SvcAttr::Port, &key.port.to_be_bytes())?)?;
    }
    if full {
        // struct ip_vs_flags { flags = 0, mask = ~0 }
        let mut flags = [0u8; 8];
        flags[4..].copy_from_slice(&u32::MAX.to_ne_bytes());
        svc = nest(svc, attr(SvcAttr::SchedName, b"\0")?)?;
        svc = nest(svc, attr(SvcAttr::Flags, &flags)?)?;
        svc = nest(svc, attr(SvcAttr::Timeout, &0u32.to_ne_bytes())?)?;
        svc = nest(svc, attr(SvcAttr::Netmask, &key.netmask.to_ne_bytes())?)?;
    }
    Ok(svc)
}

/// The nested IPVS_CMD_ATTR_SERVICE of a change, as libipvs'
/// `ipvs_nl_fill_service_attr` fills it: the key, then scheduler,
/// persistence engine (if any), flags (all bits meant), timeout and
/// netmask.
fn service_spec_attr(svc: &ServiceSpec) -> Result<Nlattr<CmdAttr, Buffer>, Errno> {
    let key = &svc.key;
    let mut out = nest(
        attr(CmdAttr::Service, &[])?,
        attr(SvcAttr::Af, &key.af.to_ne_bytes())?,
    )?;
    if key.fwmark != 0 {
        out = nest(out, attr(SvcAttr::Fwmark, &key.fwmark.to_ne_bytes())?)?;
    } else {
        out = nest(out, attr(SvcAttr::Protocol, &key.protocol.to_ne_bytes())?)?;
        out = nest(out, attr(SvcAttr::Addr, &key.addr)?)?;
        out = nest(out, attr(SvcAttr::Port, &key.port.to_be_bytes())?)?;
    }
    out = nest(out, attr(SvcAttr::SchedName, &c_string(&svc.sched_name))?)?;
    if !svc.pe_name.is_empty() {
        out = nest(out, attr(SvcAttr::PeName, &c_string(&svc.pe_name))?)?;
    }
    let mut flags = [0u8; 8];
    flags[..4].copy_from_slice(&svc.flags.to_ne_bytes());
    flags[4..].copy_from_slice(&u32::MAX.to_ne_bytes());
    out = nest(out, attr(SvcAttr::Flags, &flags)?)?;
    out = nest(out, attr(SvcAttr::Timeout, &svc.timeout.to_ne_bytes())?)?;
    nest(out, attr(SvcAttr::Netmask, &key.netmask.to_ne_bytes())?)
}

/// The nested IPVS_CMD_ATTR_DEST of a change (`ipvs_nl_fill_dest_attr`).
fn dest_spec_attr(d: &DestSpec) -> Result<Nlattr<CmdAttr, Buffer>, Errno> {
    const FWD_MASK: u32 = crate::model::CONN_F_FWD_MASK;
    let mut out = nest(attr(CmdAttr::Dest, &[])?, attr(DestAttr::Addr, &d.addr)?)?;
    out = nest(out, attr(DestAttr::Port, &d.port.to_be_bytes())?)?;
    out = nest(
        out,
        attr(
            DestAttr::FwdMethod,
            &(d.conn_flags & FWD_MASK).to_ne_bytes(),
        )?,
    )?;
    out = nest(out, attr(DestAttr::Weight, &d.weight.to_ne_bytes())?)?;
    out = nest(out, attr(DestAttr::TunType, &[d.tun_type])?)?;
    out = nest(out, attr(DestAttr::TunPort, &d.tun_port.to_be_bytes())?)?;
    out = nest(out, attr(DestAttr::TunFlags, &d.tun_flags.to_ne_bytes())?)?;
    out = nest(out, attr(DestAttr::UThresh, &d.u_threshold.to_ne_bytes())?)?;
    out = nest(out, attr(DestAttr::LThresh, &d.l_threshold.to_ne_bytes())?)?;
    nest(out, attr(DestAttr::AddrFamily, &d.af.to_ne_bytes())?)
}

/// `s` with its terminating NUL, as NLA_PUT_STRING sends it.
fn c_string(s: &str) -> Vec<u8> {
    let mut bytes = s.as_bytes().to_vec();
    bytes.push(0);
    bytes
}

/// Read-only view of the attributes of one (nested) attribute set.
struct View<'a, T: neli::consts::genl::NlAttrType>(&'a [Nlattr<T, Buffer>]);

impl<T: neli::consts::genl::NlAttrType> View<'_, T> {
    fn raw(&self, ty: T) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|a| a.nla_type.nla_type == ty)
            .map(|a| a.nla_payload.as_ref())
    }

    fn bytes<const N: usize>(&self, ty: T) -> Option<[u8; N]> {
        self.raw(ty)?.get(..N)?.try_into().ok()
    }

    fn u8(&self, ty: T) -> Option<u8> {
        self.bytes::<1>(ty).map(|b| b[0])
    }

    fn u16(&self, ty: T) -> Option<u16> {
        self.bytes(ty).map(u16::from_ne_bytes)
    }

    fn be16(&self, ty: T) -> Option<u16> {
        self.bytes(ty).map(u16::from_be_bytes)
    }

    fn u32(&self, ty: T) -> Option<u32> {
        self.bytes(ty).map(u32::from_ne_bytes)
    }

    fn u64(&self, ty: T) -> Option<u64> {
        self.bytes(ty).map(u64::from_ne_bytes)
    }

    /// An address attribute: up to 16 bytes, the rest zero.
    fn addr(&self, ty: T) -> Option<[u8; 16]> {
        let raw = self.raw(ty)?;
        let mut addr = [0u8; 16];
        let n = raw.len().min(16);
        addr[..n].copy_from_slice(&raw[..n]);
        Some(addr)
    }

    /// A NUL-terminated string attribute, cut at `max` bytes.
    fn string(&self, ty: T, max: usize) -> Option<String> {
        let raw = self.raw(ty)?;
        let end = raw
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(raw.len())
            .min(max);
        Some(String::from_utf8_lossy(&raw[..end]).into_owned())
    }
}

/// The attributes nested in `outer`'s attribute `ty`.
fn nested<O, I>(outer: &Attrs<O>, ty: O) -> Option<Attrs<I>>
where
    O: neli::consts::genl::NlAttrType,
    I: neli::consts::genl::NlAttrType + Copy,
{
    let attr = outer.iter().find(|a| a.nla_type.nla_type == ty)?;
    let handle = attr.get_attr_handle::<I>().ok()?;
    Some(handle.get_attrs().iter().map(copy_attr).collect())
}

/// A service as `ipvs_services_parse_cb` accepts it: everything but the
/// persistence engine and the statistics is mandatory.
fn parse_service(attrs: &Attrs<CmdAttr>) -> Option<Service> {
    let nest: Attrs<SvcAttr> = nested(attrs, CmdAttr::Service)?;
    let v = View(&nest);
    let mut se = Service {
        af: v.u16(SvcAttr::Af)?,
        sched_name: v.string(SvcAttr::SchedName, SCHED_NAME_MAX)?,
        pe_name: v.string(SvcAttr::PeName, PE_NAME_MAX).unwrap_or_default(),
        netmask: v.u32(SvcAttr::Netmask)?,
        timeout: v.u32(SvcAttr::Timeout)?,
        ..Default::default()
    };
    let flags = v.bytes::<8>(SvcAttr::Flags)?;
    let (bits, mask) = flags.split_at(4);
    se.flags =
        u32::from_ne_bytes(bits.try_into().ok()?) & u32::from_ne_bytes(mask.try_into().ok()?);
    se.stats = stats_in(&nest, [(SvcAttr::Stats64, true), (SvcAttr::Stats, false)])?;
    match v.u32(SvcAttr::Fwmark) {
        Some(mark) => se.fwmark = mark,
        None => {
            se.protocol = v.u16(SvcAttr::Protocol)?;
            se.addr = v.addr(SvcAttr::Addr)?;
            se.port = v.be16(SvcAttr::Port)?;
        }
    }
    Some(se)
}

/// A real server as `ipvs_dests_parse_cb` accepts it; without an address
/// family attribute (older kernels) it has the service's.
fn parse_dest(attrs: &Attrs<CmdAttr>, svc_af: u16) -> Option<Dest> {
    let nest: Attrs<DestAttr> = nested(attrs, CmdAttr::Dest)?;
    let v = View(&nest);
    Some(Dest {
        af: v.u16(DestAttr::AddrFamily).unwrap_or(svc_af),
        addr: v.addr(DestAttr::Addr)?,
        port: v.be16(DestAttr::Port)?,
        conn_flags: v.u32(DestAttr::FwdMethod)?,
        weight: v.u32(DestAttr::Weight)? as i32,
        u_threshold: v.u32(DestAttr::UThresh)?,
        l_threshold: v.u32(DestAttr::LThresh)?,
        active_conns: v.u32(DestAttr::ActiveConns)?,
        inact_conns: v.u32(DestAttr::InactConns)?,
        persist_conns: v.u32(DestAttr::PersistConns)?,
        tun_type: v.u8(DestAttr::TunType).unwrap_or(0),
        tun_port: v.be16(DestAttr::TunPort).unwrap_or(0),
        tun_flags: v.u16(DestAttr::TunFlags).unwrap_or(0),
        // libipvs reads the 64-bit set of a real server with its 32-bit
        // parser: counters and rates keep their low half (upstream's bug,
        // kept: the listings must match).
        stats: stats_in(
            &nest,
            [(DestAttr::Stats64, false), (DestAttr::Stats, false)],
        )?,
    })
}

/// The statistics in `attrs`: the first of `kinds` the kernel sent, read
/// 64-bit wide (`ipvs_parse_stats64`) or not (`ipvs_parse_stats`:
/// counters and rates as 32-bit values, that is the first four bytes of a
/// 64-bit attribute, bytes as 64-bit); zeros when there are none. All ten
/// values must be there.
fn stats_in<T>(attrs: &Attrs<T>, kinds: [(T, bool); 2]) -> Option<Stats>
where
    T: neli::consts::genl::NlAttrType + Copy,
{
    let Some((ty, wide)) = kinds
        .into_iter()
        .find(|&(ty, _)| View(attrs).raw(ty).is_some())
    else {
        return Some(Stats::default());
    };
    let nest: Attrs<StatsAttr> = nested(attrs, ty)?;
    let v = View(&nest);
    let value = |ty| {
        if wide {
            v.u64(ty)
        } else {
            v.u32(ty).map(u64::from)
        }
    };
    Some(Stats {
        conns: value(StatsAttr::Conns)?,
        inpkts: value(StatsAttr::InPkts)?,
        outpkts: value(StatsAttr::OutPkts)?,
        inbytes: v.u64(StatsAttr::InBytes)?,
        outbytes: v.u64(StatsAttr::OutBytes)?,
        cps: value(StatsAttr::Cps)?,
        inpps: value(StatsAttr::InPps)?,
        outpps: value(StatsAttr::OutPps)?,
        inbps: value(StatsAttr::InBps)?,
        outbps: value(StatsAttr::OutBps)?,
    })
}

/// A sync daemon as `ipvs_daemon_parse_cb` accepts it: state, interface
/// and sync id are mandatory.
fn parse_daemon(attrs: &Attrs<CmdAttr>) -> Option<Daemon> {
    let nest: Attrs<DaemonAttr> = nested(attrs, CmdAttr::Daemon)?;
    let v = View(&nest);
    let group4 = v.bytes::<4>(DaemonAttr::McastGroup).map(IpAddr::from);
    let group6 = || v.bytes::<16>(DaemonAttr::McastGroup6).map(IpAddr::from);
    Some(Daemon {
        state: v.u32(DaemonAttr::State)?,
        mcast_ifn: v.string(DaemonAttr::McastIfn, IFNAME_MAX)?,
        syncid: v.u32(DaemonAttr::SyncId)?,
        sync_maxlen: v.u16(DaemonAttr::SyncMaxlen).unwrap_or(0),
        mcast_group: group4.or_else(group6),
        mcast_port: v.u16(DaemonAttr::McastPort).unwrap_or(0),
        mcast_ttl: v.u8(DaemonAttr::McastTtl).unwrap_or(0),
    })
}

/// The nested IPVS_CMD_ATTR_DAEMON of `--start-daemon` (`full`: with the
/// optional settings that are given) or `--stop-daemon`, as libipvs'
/// `ipvs_start_daemon` and `ipvs_stop_daemon` fill it.
fn daemon_attr(d: &Daemon, full: bool) -> Result<Nlattr<CmdAttr, Buffer>, Errno> {
    let mut out = nest(
        attr(CmdAttr::Daemon, &[])?,
        attr(DaemonAttr::State, &d.state.to_ne_bytes())?,
    )?;
    out = nest(out, attr(DaemonAttr::McastIfn, &c_string(&d.mcast_ifn))?)?;
    out = nest(out, attr(DaemonAttr::SyncId, &d.syncid.to_ne_bytes())?)?;
    if !full {
        return Ok(out);
    }
    if d.sync_maxlen != 0 {
        out = nest(
            out,
            attr(DaemonAttr::SyncMaxlen, &d.sync_maxlen.to_ne_bytes())?,
        )?;
    }
    if d.mcast_port != 0 {
        out = nest(
            out,
            attr(DaemonAttr::McastPort, &d.mcast_port.to_ne_bytes())?,
        )?;
    }
    if d.mcast_ttl != 0 {
        out = nest(out, attr(DaemonAttr::McastTtl, &[d.mcast_ttl])?)?;
    }
    match d.mcast_group {
        Some(IpAddr::V6(a)) => nest(out, attr(DaemonAttr::McastGroup6, &a.octets())?),
        Some(IpAddr::V4(a)) => nest(out, attr(DaemonAttr::McastGroup, &a.octets())?),
        None => Ok(out),
    }
}

/// neli 0.6's attributes are not `Clone`: rebuild one from its parts.
fn copy_attr<T: neli::consts::genl::NlAttrType + Copy>(a: &Nlattr<T, Buffer>) -> Nlattr<T, Buffer> {
    Nlattr {
        nla_len: a.nla_len,
        nla_type: neli::genl::AttrType {
            nla_nested: a.nla_type.nla_nested,
            nla_network_order: a.nla_type.nla_network_order,
            nla_type: a.nla_type.nla_type,
        },
        nla_payload: Buffer::from(a.nla_payload.as_ref()),
    }
}

impl Ipvs {
    /// Open a generic netlink socket and resolve the "IPVS" family.
    /// `None` when the family does not exist (or cannot be asked for).
    pub fn connect() -> Option<Ipvs> {
        let mut socket = NlSocketHandle::connect(NlFamily::Generic, None, &[]).ok()?;
        let family = socket.resolve_genl_family(IPVS_GENL_NAME).ok()?;
        Some(Ipvs { socket, family })
    }

    /// Send one IPVS request and collect the attributes of every reply
    /// (one for a plain request, any number for a dump, up to NLMSG_DONE).
    fn request<A>(
        &mut self,
        cmd: IpvsCmd,
        flags: &[NlmF],
        attrs: GenlBuffer<CmdAttr, Buffer>,
    ) -> Result<Vec<Attrs<A>>, Errno>
    where
        A: neli::consts::genl::NlAttrType + Copy,
    {
        let mut all_flags = vec![NlmF::Request];
        all_flags.extend_from_slice(flags);
        let msg = Nlmsghdr::new(
            None,
            self.family,
            NlmFFlags::new(&all_flags),
            None,
            None,
            NlPayload::Payload(Genlmsghdr::new(cmd, IPVS_GENL_VERSION, attrs)),
        );
        self.socket.send(msg).map_err(|_| Errno(libc::EINVAL))?;
        let mut out = Vec::new();
        for reply in self.socket.iter::<u16, Genlmsghdr<IpvsCmd, A>>(false) {
            let reply = reply.map_err(errno_of)?;
            if let NlPayload::Payload(genl) = &reply.nl_payload {
                out.push(
                    genl.get_attr_handle()
                        .get_attrs()
                        .iter()
                        .map(copy_attr)
                        .collect(),
                );
            }
        }
        Ok(out)
    }

    /// IPVS_CMD_GET_INFO: version and connection table size.
    pub fn info(&mut self) -> Result<Info, Errno> {
        let replies = self.request::<InfoAttr>(IpvsCmd::GetInfo, &[], GenlBuffer::new())?;
        let reply = replies.first().ok_or(Errno(libc::EINVAL))?;
        let v = View(reply);
        match (v.u32(InfoAttr::Version), v.u32(InfoAttr::ConnTabSize)) {
            (Some(version), Some(conn_tab_size)) => Ok(Info {
                version,
                conn_tab_size,
            }),
            _ => Err(Errno(libc::EINVAL)),
        }
    }

    /// Dump of IPVS_CMD_GET_SERVICE: every service, in the kernel's order.
    pub fn services(&mut self) -> Result<Vec<Service>, Errno> {
        let replies =
            self.request::<CmdAttr>(IpvsCmd::GetService, &[NlmF::Dump], GenlBuffer::new())?;
        replies
            .iter()
            .map(|r| parse_service(r).ok_or(Errno(libc::EINVAL)))
            .collect()
    }

    /// IPVS_CMD_GET_SERVICE for one service.
    pub fn service(&mut self, key: &ServiceKey) -> Result<Service, Errno> {
        let attrs = std::iter::once(service_attr(key, true)?).collect();
        let replies = self.request::<CmdAttr>(IpvsCmd::GetService, &[], attrs)?;
        let reply = replies.first().ok_or(Errno(libc::EINVAL))?;
        parse_service(reply).ok_or(Errno(libc::EINVAL))
    }

    /// Dump of IPVS_CMD_GET_DEST: the real servers of one service.
    pub fn dests(&mut self, se: &Service) -> Result<Vec<Dest>, Errno> {
        let attrs = std::iter::once(service_attr(&ServiceKey::from(se), false)?).collect();
        let replies = self.request::<CmdAttr>(IpvsCmd::GetDest, &[NlmF::Dump], attrs)?;
        replies
            .iter()
            .map(|r| parse_dest(r, se.af).ok_or(Errno(libc::EINVAL)))
            .collect()
    }

    /// A request that changes something: answered by an acknowledgement
    /// or an error.
    fn change(&mut self, cmd: IpvsCmd, attrs: Vec<Nlattr<CmdAttr, Buffer>>) -> Result<(), Errno> {
        self.request::<CmdAttr>(cmd, &[NlmF::Ack], attrs.into_iter().collect())
            .map(|_| ())
    }

    /// IPVS_CMD_NEW_SERVICE.
    pub fn add_service(&mut self, svc: &ServiceSpec) -> Result<(), Errno> {
        self.change(IpvsCmd::NewService, vec![service_spec_attr(svc)?])
    }

    /// IPVS_CMD_SET_SERVICE.
    pub fn edit_service(&mut self, svc: &ServiceSpec) -> Result<(), Errno> {
        self.change(IpvsCmd::SetService, vec![service_spec_attr(svc)?])
    }

    /// IPVS_CMD_DEL_SERVICE.
    pub fn del_service(&mut self, svc: &ServiceSpec) -> Result<(), Errno> {
        self.change(IpvsCmd::DelService, vec![service_spec_attr(svc)?])
    }

    /// IPVS_CMD_FLUSH: every service goes.
    pub fn flush(&mut self) -> Result<(), Errno> {
        self.change(IpvsCmd::Flush, Vec::new())
    }

    /// IPVS_CMD_ZERO: the counters of `svc`, or of everything.
    pub fn zero(&mut self, svc: Option<&ServiceSpec>) -> Result<(), Errno> {
        let attrs = match svc {
            Some(svc) => vec![service_spec_attr(svc)?],
            None => Vec::new(),
        };
        self.change(IpvsCmd::Zero, attrs)
    }

    /// IPVS_CMD_NEW_DEST.
    pub fn add_dest(&mut self, svc: &ServiceSpec, dest: &DestSpec) -> Result<(), Errno> {
        self.change(
            IpvsCmd::NewDest,
            vec![service_spec_attr(svc)?, dest_spec_attr(dest)?],
        )
    }

    /// IPVS_CMD_SET_DEST.
    pub fn edit_dest(&mut self, svc: &ServiceSpec, dest: &DestSpec) -> Result<(), Errno> {
        self.change(
            IpvsCmd::SetDest,
            vec![service_spec_attr(svc)?, dest_spec_attr(dest)?],
        )
    }

    /// IPVS_CMD_DEL_DEST.
    pub fn del_dest(&mut self, svc: &ServiceSpec, dest: &DestSpec) -> Result<(), Errno> {
        self.change(
            IpvsCmd::DelDest,
            vec![service_spec_attr(svc)?, dest_spec_attr(dest)?],
        )
    }

    /// IPVS_CMD_GET_CONFIG: the timeouts; one the kernel leaves out is 0.
    pub fn timeouts(&mut self) -> Result<Timeouts, Errno> {
        let replies = self.request::<CmdAttr>(IpvsCmd::GetConfig, &[], GenlBuffer::new())?;
        let mut t = Timeouts::default();
        for reply in &replies {
            let v = View(reply);
            t.tcp = v.u32(CmdAttr::TimeoutTcp).unwrap_or(t.tcp);
            t.tcp_fin = v.u32(CmdAttr::TimeoutTcpFin).unwrap_or(t.tcp_fin);
            t.udp = v.u32(CmdAttr::TimeoutUdp).unwrap_or(t.udp);
        }
        Ok(t)
    }

    /// Dump of IPVS_CMD_GET_DAEMON: the running sync daemons.
    pub fn daemons(&mut self) -> Result<Vec<Daemon>, Errno> {
        let replies =
            self.request::<CmdAttr>(IpvsCmd::GetDaemon, &[NlmF::Dump], GenlBuffer::new())?;
        replies
            .iter()
            .map(|r| parse_daemon(r).ok_or(Errno(libc::EINVAL)))
            .collect()
    }

    /// IPVS_CMD_NEW_DAEMON.
    pub fn start_daemon(&mut self, d: &Daemon) -> Result<(), Errno> {
        self.change(IpvsCmd::NewDaemon, vec![daemon_attr(d, true)?])
    }

    /// IPVS_CMD_DEL_DAEMON.
    pub fn stop_daemon(&mut self, d: &Daemon) -> Result<(), Errno> {
        self.change(IpvsCmd::DelDaemon, vec![daemon_attr(d, false)?])
    }

    /// IPVS_CMD_SET_CONFIG with the TCP, TCP FIN and UDP timeouts.
    pub fn set_timeouts(&mut self, t: &[u32; 3]) -> Result<(), Errno> {
        self.change(
            IpvsCmd::SetConfig,
            vec![
                attr(CmdAttr::TimeoutTcp, &t[0].to_ne_bytes())?,
                attr(CmdAttr::TimeoutTcpFin, &t[1].to_ne_bytes())?,
                attr(CmdAttr::TimeoutUdp, &t[2].to_ne_bytes())?,
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A service nest holding statistics `kind`: every value 64 bits wide,
    /// each with a high half, but `leave_out` not there.
    fn with_stats(kind: SvcAttr, leave_out: Option<StatsAttr>) -> Attrs<SvcAttr> {
        let values = [
            (StatsAttr::Conns, 1),
            (StatsAttr::InPkts, 2),
            (StatsAttr::OutPkts, 3),
            (StatsAttr::InBytes, 4),
            (StatsAttr::OutBytes, 5),
            (StatsAttr::Cps, 6),
            (StatsAttr::InPps, 7),
            (StatsAttr::OutPps, 8),
            (StatsAttr::InBps, 9),
            (StatsAttr::OutBps, 10),
        ];
        let mut stats = attr(kind, &[]).unwrap();
        for (ty, low) in values {
            if Some(ty) != leave_out {
                let value: u64 = (1 << 32) | low;
                stats = nest(stats, attr(ty, &value.to_ne_bytes()).unwrap()).unwrap();
            }
        }
        let mut outer = nest(attr(CmdAttr::Service, &[]).unwrap(), stats).unwrap();
        outer = nest(outer, attr(SvcAttr::Af, &2u16.to_ne_bytes()).unwrap()).unwrap();
        nested(&vec![outer], CmdAttr::Service).unwrap()
    }

    #[test]
    fn statistics_as_libipvs_reads_them() {
        let both = [(SvcAttr::Stats64, true), (SvcAttr::Stats, false)];
        let wide = stats_in(&with_stats(SvcAttr::Stats64, None), both).unwrap();
        assert_eq!(
            (wide.conns, wide.inbytes, wide.outbps),
            ((1 << 32) | 1, (1 << 32) | 4, (1 << 32) | 10)
        );
        // The 32-bit parser: counters and rates keep their low half, the
        // bytes stay whole.
        let narrow = stats_in(&with_stats(SvcAttr::Stats, None), both).unwrap();
        assert_eq!(
            (narrow.conns, narrow.cps, narrow.inbytes, narrow.outbytes),
            (1, 6, (1 << 32) | 4, (1 << 32) | 5)
        );
        // None sent: zeros; one value missing: a bad reply.
        let none = stats_in(
            &with_stats(SvcAttr::Stats, None),
            [(SvcAttr::Stats64, true); 2],
        );
        assert_eq!(none, Some(Stats::default()));
        assert_eq!(
            stats_in(&with_stats(SvcAttr::Stats64, Some(StatsAttr::InPps)), both),
            None
        );
    }
}
