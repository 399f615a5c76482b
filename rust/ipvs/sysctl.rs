// SPDX-License-Identifier: GPL-2.0
//! `/proc/sys/net/ipv4/vs/`: the sysctls of upstream's that the data
//! plane obeys, with upstream's names, defaults and meanings (see
//! upstream's `Documentation/networking/ipvs-sysctl.rst`).

use crate::kbind::netns::Net;
use crate::kbind::sysctl::{IntSysctl, NetSysctls};
use crate::kbind::timer;
use crate::sched_api::LocalityTimes;
use kernel::prelude::*;

/// The sysctls, in the order of [`SYSCTLS`].
#[derive(Clone, Copy)]
enum Var {
    ConnReuseMode,
    ExpireNodestConn,
    ExpireQuiescentTemplate,
    LblcExpiration,
    LblcrExpiration,
    PmtuDisc,
    RunEstimation,
    SloppyTcp,
}

/// Upstream's default for both locality expirations: a day, in seconds.
const LOCALITY_EXPIRATION: i32 = 24 * 60 * 60;

static SYSCTLS: [IntSysctl; 8] = [
    IntSysctl { name: kernel::c_str!("conn_reuse_mode"), default: 1 },
    IntSysctl { name: kernel::c_str!("expire_nodest_conn"), default: 0 },
    IntSysctl { name: kernel::c_str!("expire_quiescent_template"), default: 0 },
    IntSysctl { name: kernel::c_str!("lblc_expiration"), default: LOCALITY_EXPIRATION },
    IntSysctl { name: kernel::c_str!("lblcr_expiration"), default: LOCALITY_EXPIRATION },
    IntSysctl { name: kernel::c_str!("pmtu_disc"), default: 1 },
    IntSysctl { name: kernel::c_str!("run_estimation"), default: 1 },
    IntSysctl { name: kernel::c_str!("sloppy_tcp"), default: 0 },
];

/// A namespace's IPVS sysctls.
pub(crate) struct IpvsSysctls(NetSysctls);

impl IpvsSysctls {
    /// Creates the namespace's `/proc/sys/net/ipv4/vs/`.
    pub(crate) fn register(net: &Net) -> Result<Self> {
        Ok(Self(NetSysctls::register(net, kernel::c_str!("net/ipv4/vs"), &SYSCTLS)?))
    }

    fn get(&self, var: Var) -> i32 {
        self.0.get(var as usize)
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

    /// `sloppy_tcp`: any TCP packet but a RST may open a connection, not
    /// only a SYN (for a director taking over established connections).
    pub(crate) fn sloppy_tcp(&self) -> bool {
        self.get(Var::SloppyTcp) != 0
    }
}
