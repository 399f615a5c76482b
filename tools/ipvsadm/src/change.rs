//! The commands that change the table (`-A -E -D -C -Z -a -e -d --set`)
//! or start and stop sync daemons: what the command line asks, as
//! libipvs' `ipvs_service_t`, `ipvs_dest_t` and `ipvs_daemon_t` hold it,
//! and the request each one sends.

use crate::errors::{Errno, Op};
use crate::model::Daemon;
use crate::netlink::{Ipvs, ServiceKey};

/// Forwarding method ipvsadm uses when none is given: direct routing.
pub const DEFAULT_CONN_FLAGS: u32 = crate::model::CONN_F_DROUTE;
/// Scheduler of a new service when none is given.
pub const DEFAULT_SCHED: &str = "wlc";
/// Persistence timeout of `-p` without a value (seconds): libipvs'
/// `IPVS_SVC_PERSISTENT_TIMEOUT`, six minutes (the kernel's own default
/// is five).
pub const DEFAULT_PERSISTENT_TIMEOUT: u32 = 360;

/// A virtual service as a change command gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceSpec {
    pub key: ServiceKey,
    pub sched_name: String,
    pub pe_name: String,
    pub flags: u32,
    pub timeout: u32,
}

/// A real server as `-a`, `-e` or `-d` gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DestSpec {
    pub af: u16,
    pub addr: [u8; 16],
    /// Host byte order.
    pub port: u16,
    pub conn_flags: u32,
    pub weight: i32,
    pub u_threshold: u32,
    pub l_threshold: u32,
    pub tun_type: u8,
    /// Host byte order.
    pub tun_port: u16,
    pub tun_flags: u16,
}

impl Default for DestSpec {
    fn default() -> Self {
        DestSpec {
            af: 0,
            addr: [0; 16],
            port: 0,
            conn_flags: DEFAULT_CONN_FLAGS,
            weight: 1,
            u_threshold: 0,
            l_threshold: 0,
            tun_type: 0,
            tun_port: 0,
            tun_flags: 0,
        }
    }
}

/// One change to the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    AddService(ServiceSpec),
    EditService(ServiceSpec),
    DelService(ServiceSpec),
    Flush,
    /// `-Z`: the counters of one service, or of all when its address,
    /// port and mark are all zero.
    Zero(ServiceSpec),
    AddDest(ServiceSpec, DestSpec),
    EditDest(ServiceSpec, DestSpec),
    DelDest(ServiceSpec, DestSpec),
    /// `--set TCP TCPFIN UDP` (seconds; 0 leaves one unchanged).
    Timeouts([u32; 3]),
    /// `--start-daemon master|backup` and its daemon options.
    StartDaemon(Daemon),
    /// `--stop-daemon master|backup` (only the state and sync id count).
    StopDaemon(Daemon),
}

impl Change {
    /// The libipvs operation, for its error messages.
    fn op(&self) -> Op {
        match self {
            Change::AddService(_) => Op::AddService,
            Change::EditService(_) => Op::UpdateService,
            Change::DelService(_) => Op::DelService,
            Change::Flush => Op::Flush,
            Change::Zero(_) => Op::ZeroService,
            Change::AddDest(..) => Op::AddDest,
            Change::EditDest(..) => Op::UpdateDest,
            Change::DelDest(..) => Op::DelDest,
            Change::Timeouts(_) => Op::SetTimeout,
            Change::StartDaemon(_) => Op::StartDaemon,
            Change::StopDaemon(_) => Op::StopDaemon,
        }
    }
}

/// Sends `change`; on failure the operation and errno for the message.
pub fn run(ipvs: &mut Ipvs, change: &Change) -> Result<(), (Op, Errno)> {
    let sent = match change {
        Change::AddService(svc) => ipvs.add_service(svc),
        Change::EditService(svc) => ipvs.edit_service(svc),
        Change::DelService(svc) => ipvs.del_service(svc),
        Change::Flush => ipvs.flush(),
        Change::Zero(svc) => {
            let k = &svc.key;
            // As libipvs: no service attribute means all of them.
            let all = k.fwmark == 0 && k.addr == [0; 16] && k.port == 0;
            ipvs.zero((!all).then_some(svc))
        }
        Change::AddDest(svc, dest) => ipvs.add_dest(svc, dest),
        Change::EditDest(svc, dest) => ipvs.edit_dest(svc, dest),
        Change::DelDest(svc, dest) => ipvs.del_dest(svc, dest),
        Change::Timeouts(t) => ipvs.set_timeouts(t),
        Change::StartDaemon(d) => ipvs.start_daemon(d),
        Change::StopDaemon(d) => ipvs.stop_daemon(d),
    };
    sent.map_err(|errno| (change.op(), errno))
}
