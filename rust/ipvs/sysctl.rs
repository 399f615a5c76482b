// SPDX-License-Identifier: GPL-2.0
//! `/proc/sys/net/ipv4/vs/`: the sysctls of upstream's that the data
//! plane obeys, with upstream's names, defaults and meanings (see
//! upstream's `Documentation/networking/ipvs-sysctl.rst`).

use crate::conn::F_NFCT;
use crate::kbind::netns::Net;
use crate::kbind::sysctl::{IntSysctl, NetSysctls, Values};
use crate::defense_rules::{Modes, AMEMTHRESH_DEFAULT, AM_DROPRATE_DEFAULT};
use crate::kbind::timer;
use crate::sched_api::LocalityTimes;
use crate::sync_msg::{SyncRules, Version, SYNC_PERIOD, SYNC_THRESHOLD};
use kernel::prelude::*;
use kernel::str::CStr;

/// Upstream's default for both locality expirations: a day, in seconds.
const LOCALITY_EXPIRATION: i32 = 24 * 60 * 60;

/// A sysctl that takes any value.
const fn int(name: &'static CStr, default: &'static [i32; 1]) -> IntSysctl {
    IntSysctl { name, defaults: default, values: Values::Any }
}

/// A defence's mode (see `defense.rs`): 0 to 3, off at first.
const fn defense_mode(name: &'static CStr) -> IntSysctl {
    IntSysctl { name, defaults: &[0], values: Values::Range(0, 3) }
}

/// `sync_threshold`: "threshold period", neither negative, the threshold
/// below the period unless the period is 0 (upstream's
/// `proc_do_sync_threshold`).
fn sync_threshold_ok(_old: &[i32], new: &[i32]) -> bool {
    match *new {
        [threshold, period] => threshold >= 0 && period >= 0 && (period == 0 || threshold < period),
        _ => false,
    }
}

/// `sync_ports`: a power of two, or what it was (upstream's
/// `proc_do_sync_ports` checks only a change).
fn sync_ports_ok(old: &[i32], new: &[i32]) -> bool {
    new == old || new.first().is_some_and(|&n| n >= 1 && (n as u32).is_power_of_two())
}

/// Stands for `sync_qlen_max` until [`IpvsSysctls::register`] sets what
/// upstream starts with, which depends on the machine's memory.
const SYNC_QLEN_MAX_UNSET: i32 = 0;

/// Names each sysctl (`Var`) beside its file in `SYSCTLS`, in the same
/// order, so that `Var as usize` is always its place in the table.
macro_rules! sysctls {
    ($($var:ident => $sysctl:expr,)*) => {
        /// The sysctls, in the order of [`SYSCTLS`].
        #[derive(Clone, Copy)]
        enum Var {
            $($var,)*
        }

        static SYSCTLS: [IntSysctl; [$(stringify!($var)),*].len()] = [$($sysctl,)*];
    };
}

sysctls! {
    AmDroprate => int(kernel::c_str!("am_droprate"), &[AM_DROPRATE_DEFAULT]),
    Amemthresh => int(kernel::c_str!("amemthresh"), &[AMEMTHRESH_DEFAULT]),
    BackupOnly => int(kernel::c_str!("backup_only"), &[0]),
    CacheBypass => int(kernel::c_str!("cache_bypass"), &[0]),
    ConnReuseMode => int(kernel::c_str!("conn_reuse_mode"), &[1]),
    Conntrack => int(kernel::c_str!("conntrack"), &[0]),
    DropEntry => defense_mode(kernel::c_str!("drop_entry")),
    DropPacket => defense_mode(kernel::c_str!("drop_packet")),
    ExpireNodestConn => int(kernel::c_str!("expire_nodest_conn"), &[0]),
    ExpireQuiescentTemplate => int(kernel::c_str!("expire_quiescent_template"), &[0]),
    IgnoreTunneled => int(kernel::c_str!("ignore_tunneled"), &[0]),
    LblcExpiration => int(kernel::c_str!("lblc_expiration"), &[LOCALITY_EXPIRATION]),
    LblcrExpiration => int(kernel::c_str!("lblcr_expiration"), &[LOCALITY_EXPIRATION]),
    NatIcmpSend => int(kernel::c_str!("nat_icmp_send"), &[0]),
    PmtuDisc => int(kernel::c_str!("pmtu_disc"), &[1]),
    RunEstimation => int(kernel::c_str!("run_estimation"), &[1]),
    ScheduleIcmp => int(kernel::c_str!("schedule_icmp"), &[0]),
    SecureTcp => defense_mode(kernel::c_str!("secure_tcp")),
    SloppySctp => int(kernel::c_str!("sloppy_sctp"), &[0]),
    SloppyTcp => int(kernel::c_str!("sloppy_tcp"), &[0]),
    SnatReroute => int(kernel::c_str!("snat_reroute"), &[1]),
    SyncPersistMode => int(kernel::c_str!("sync_persist_mode"), &[0]),
    SyncPorts => IntSysctl { name: kernel::c_str!("sync_ports"), defaults: &[1], values: Values::Checked(sync_ports_ok) },
    SyncQlenMax => IntSysctl {
        name: kernel::c_str!("sync_qlen_max"),
        defaults: &[SYNC_QLEN_MAX_UNSET],
        values: Values::Range(0, i32::MAX),
    },
    SyncRefreshPeriod => IntSysctl { name: kernel::c_str!("sync_refresh_period"), defaults: &[0], values: Values::Jiffies },
    SyncRetries => IntSysctl { name: kernel::c_str!("sync_retries"), defaults: &[0], values: Values::Range(0, 3) },
    SyncSockSize => int(kernel::c_str!("sync_sock_size"), &[0]),
    SyncThreshold => IntSysctl {
        name: kernel::c_str!("sync_threshold"),
        defaults: &[SYNC_THRESHOLD as i32, SYNC_PERIOD as i32],
        values: Values::Checked(sync_threshold_ok),
    },
    SyncVersion => IntSysctl { name: kernel::c_str!("sync_version"), defaults: &[1], values: Values::Range(0, 1) },
}

/// A namespace's IPVS sysctls.
pub(crate) struct IpvsSysctls(NetSysctls);

impl IpvsSysctls {
    /// Creates the namespace's `/proc/sys/net/ipv4/vs/`.
    pub(crate) fn register(net: &Net) -> Result<Self> {
        let sysctls = NetSysctls::register(net, kernel::c_str!("net/ipv4/vs"), &SYSCTLS)?;
        // Upstream's: a 32nd of the pages free for buffers.
        let qlen_max = (crate::kbind::free_buffer_pages() / 32).min(i32::MAX as u64) as i32;
        sysctls.update(Var::SyncQlenMax as usize, SYNC_QLEN_MAX_UNSET, qlen_max);
        Ok(Self(sysctls))
    }

    fn get(&self, var: Var) -> i32 {
        self.0.get(var as usize)
    }

    /// `drop_entry`, `drop_packet`, `secure_tcp`: the DoS defences' modes.
    pub(crate) fn defense_modes(&self) -> Modes {
        Modes {
            drop_entry: self.get(Var::DropEntry),
            drop_packet: self.get(Var::DropPacket),
            secure_tcp: self.get(Var::SecureTcp),
        }
    }

    /// Moves the defences' automatic modes between 1 and 2 as memory
    /// comes and goes (what upstream writes to these sysctls), from the
    /// modes `was` read.
    pub(crate) fn update_defense_modes(&self, was: Modes, now: Modes) {
        self.0.update(Var::DropEntry as usize, was.drop_entry, now.drop_entry);
        self.0.update(Var::DropPacket as usize, was.drop_packet, now.drop_packet);
        self.0.update(Var::SecureTcp as usize, was.secure_tcp, now.secure_tcp);
    }

    /// `amemthresh`: below this many free pages memory counts as low.
    pub(crate) fn amemthresh(&self) -> i32 {
        self.get(Var::Amemthresh)
    }

    /// `am_droprate`: `drop_packet` in mode 3 drops one in this many new
    /// connections.
    pub(crate) fn am_droprate(&self) -> i32 {
        self.get(Var::AmDroprate)
    }

    /// `backup_only`: while a backup sync daemon runs, the director only
    /// keeps its synced connections and balances nothing (packets go on
    /// as if IPVS were not there).
    pub(crate) fn backup_only(&self) -> bool {
        self.get(Var::BackupOnly) != 0
    }

    /// `conn_reuse_mode`: whether a SYN on a finished connection's ports
    /// opens a new connection, scheduled afresh (non-zero; bit 2: also a
    /// DR/TUN connection the client is closing).
    pub(crate) fn conn_reuse_mode(&self) -> i32 {
        self.get(Var::ConnReuseMode)
    }

    /// `expire_nodest_conn`: a packet of a connection whose real server
    /// was removed ends the connection at once (and is scheduled anew)
    /// instead of being dropped until the connection expires; a SYN on a
    /// connection to a quiesced (weight 0) server too.
    pub(crate) fn expire_nodest_conn(&self) -> bool {
        self.get(Var::ExpireNodestConn) != 0
    }

    /// `expire_quiescent_template`: a persistence template whose real
    /// server is quiesced (weight 0) no longer holds its clients, who are
    /// scheduled afresh.
    pub(crate) fn expire_quiescent_template(&self) -> bool {
        self.get(Var::ExpireQuiescentTemplate) != 0
    }

    /// `ignore_tunneled`: packets of protocols IPVS does not handle
    /// (tunnels) are marked to be left alone, meant to keep what comes out
    /// of a tunnel ending here from being balanced again (a director that
    /// is also a real server of another); 6.x kernels clear the mark at
    /// the tunnel's end.
    pub(crate) fn ignore_tunneled(&self) -> bool {
        self.get(Var::IgnoreTunneled) != 0
    }

    /// The clock and the `lblc_expiration` / `lblcr_expiration` (seconds)
    /// the locality-based schedulers go by now.
    pub(crate) fn locality_times(&self) -> LocalityTimes {
        let seconds = |var| self.get(var).max(0) as u32;
        LocalityTimes {
            now: timer::seconds(),
            lblc_expiration: seconds(Var::LblcExpiration),
            lblcr_expiration: seconds(Var::LblcrExpiration),
        }
    }

    /// `conntrack`: the flag a new connection gets ([`F_NFCT`] when on:
    /// netfilter's connection tracking follows its packets, for NAT or
    /// state rules on them, kube-proxy's masquerading; off, they are
    /// marked untracked).
    pub(crate) fn conntrack_flag(&self) -> u8 {
        if self.get(Var::Conntrack) != 0 {
            F_NFCT
        } else {
            0
        }
    }

    /// `nat_icmp_send`: a packet from a VS/NAT real server's address and
    /// port that belongs to no connection is answered with ICMP port
    /// unreachable (and dropped) instead of passing.
    pub(crate) fn nat_icmp_send(&self) -> bool {
        self.get(Var::NatIcmpSend) != 0
    }

    /// `cache_bypass`: a new connection to a firewall-mark service that
    /// no real server takes goes on to where it was going (a remote
    /// unicast address), as a router would send it, instead of being
    /// refused: a transparent cache cluster whose caches are all down.
    pub(crate) fn cache_bypass(&self) -> bool {
        self.get(Var::CacheBypass) != 0
    }

    /// `pmtu_disc`: VS/TUN keeps the DF bit and answers packets too big
    /// for the tunnel with "fragmentation needed"; off, the outer packet
    /// is fragmented instead.
    pub(crate) fn pmtu_disc(&self) -> bool {
        self.get(Var::PmtuDisc) != 0
    }

    /// `run_estimation`: rates are estimated; off, they stay as they were.
    pub(crate) fn run_estimation(&self) -> bool {
        self.get(Var::RunEstimation) != 0
    }

    /// `schedule_icmp`: an ICMP error about a packet of no connection
    /// of ours, from a virtual service to a client, opens that
    /// connection and goes to its real server (directors that share
    /// clients by hashing, e.g. `sh` or `mh`, without syncing them: the
    /// server must hear of the path's MTU).
    pub(crate) fn schedule_icmp(&self) -> bool {
        self.get(Var::ScheduleIcmp) != 0
    }

    /// `sync_persist_mode`: a master syncs the templates of persistent
    /// services, not the connections they control (a backup that takes
    /// over sends each client to its server; the connections themselves
    /// start again).
    pub(crate) fn sync_persist_mode(&self) -> bool {
        self.get(Var::SyncPersistMode) != 0
    }

    /// `sloppy_sctp`: any SCTP packet but one whose first chunk is an
    /// ABORT may open a connection, not only an INIT.
    pub(crate) fn sloppy_sctp(&self) -> bool {
        self.get(Var::SloppySctp) != 0
    }

    /// `sloppy_tcp`: any TCP packet but a RST may open a connection, not
    /// only a SYN (for a director taking over established connections).
    pub(crate) fn sloppy_tcp(&self) -> bool {
        self.get(Var::SloppyTcp) != 0
    }

    /// `snat_reroute`: a VS/NAT reply, once it comes from the virtual
    /// address, is routed again by that source (policy routing by
    /// source applies to it).
    pub(crate) fn snat_reroute(&self) -> bool {
        self.get(Var::SnatReroute) != 0
    }

    /// `sync_ports`: threads (and ports, from upstream's up) of a sync
    /// daemon when the first starts.
    pub(crate) fn sync_ports(&self) -> usize {
        self.get(Var::SyncPorts).max(1) as usize
    }

    /// `sync_qlen_max`: the most full sync messages a master queues while
    /// its thread has not sent them (later ones are dropped).
    pub(crate) fn sync_qlen_max(&self) -> usize {
        self.get(Var::SyncQlenMax).max(0) as usize
    }

    /// `sync_sock_size`: the send (master) or receive (backup) buffer of
    /// a sync daemon's socket when it starts; 0 leaves the kernel's.
    pub(crate) fn sync_sock_size(&self) -> i32 {
        self.get(Var::SyncSockSize)
    }

    /// When a master syncs a connection: `sync_threshold` (its
    /// `threshold`-th packet, then every `period` packets),
    /// `sync_refresh_period` and `sync_retries`.
    pub(crate) fn sync_rules(&self) -> SyncRules {
        let at = |i| self.0.get_at(Var::SyncThreshold as usize, i).max(0) as u32;
        SyncRules {
            threshold: at(0),
            period: at(1),
            // Upstream reads it unsigned: a negative one is a long period.
            refresh: self.get(Var::SyncRefreshPeriod) as u32,
            retries: self.get(Var::SyncRetries).max(0) as u32,
            hz: timer::hz() as u32,
        }
    }

    /// `sync_version`: the format a master sends in (0: upstream's
    /// before Linux 2.6.39, IPv4 only).
    pub(crate) fn sync_version(&self) -> Version {
        if self.get(Var::SyncVersion) == 0 { Version::V0 } else { Version::V1 }
    }
}
