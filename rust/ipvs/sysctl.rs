// SPDX-License-Identifier: GPL-2.0
//! `/proc/sys/net/ipv4/vs/`: the sysctls of upstream's that the data
//! plane obeys, with upstream's names, defaults and meanings (see
//! upstream's `Documentation/networking/ipvs-sysctl.rst`).

use crate::kbind::netns::Net;
use crate::kbind::sysctl::{IntSysctl, NetSysctls};
use crate::defense_rules::{Modes, AMEMTHRESH_DEFAULT, AM_DROPRATE_DEFAULT};
use crate::kbind::timer;
use crate::sched_api::LocalityTimes;
use kernel::prelude::*;
use kernel::str::CStr;

/// The sysctls, in the order of [`SYSCTLS`].
#[derive(Clone, Copy)]
enum Var {
    AmDroprate,
    Amemthresh,
    ConnReuseMode,
    DropEntry,
    DropPacket,
    ExpireNodestConn,
    ExpireQuiescentTemplate,
    LblcExpiration,
    LblcrExpiration,
    PmtuDisc,
    RunEstimation,
    SecureTcp,
    SloppyTcp,
}

/// Upstream's default for both locality expirations: a day, in seconds.
const LOCALITY_EXPIRATION: i32 = 24 * 60 * 60;

/// A sysctl that takes any value.
const fn int(name: &'static CStr, default: i32) -> IntSysctl {
    IntSysctl { name, default, range: None }
}

/// A defence's mode (see `defense.rs`): 0 to 3, off at first.
const fn defense_mode(name: &'static CStr) -> IntSysctl {
    IntSysctl { name, default: 0, range: Some((0, 3)) }
}

static SYSCTLS: [IntSysctl; 13] = [
    int(kernel::c_str!("am_droprate"), AM_DROPRATE_DEFAULT),
    int(kernel::c_str!("amemthresh"), AMEMTHRESH_DEFAULT),
    int(kernel::c_str!("conn_reuse_mode"), 1),
    defense_mode(kernel::c_str!("drop_entry")),
    defense_mode(kernel::c_str!("drop_packet")),
    int(kernel::c_str!("expire_nodest_conn"), 0),
    int(kernel::c_str!("expire_quiescent_template"), 0),
    int(kernel::c_str!("lblc_expiration"), LOCALITY_EXPIRATION),
    int(kernel::c_str!("lblcr_expiration"), LOCALITY_EXPIRATION),
    int(kernel::c_str!("pmtu_disc"), 1),
    int(kernel::c_str!("run_estimation"), 1),
    defense_mode(kernel::c_str!("secure_tcp")),
    int(kernel::c_str!("sloppy_tcp"), 0),
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
