// SPDX-License-Identifier: GPL-2.0
//! The "TCPVS" generic-netlink protocol between `tcpvsadm` and the
//! `lvs_ktcpvs` module: command and attribute numbers, limits, and the
//! policies both sides check.
//!
//! A request carries at most one each of a service, a server and a rule
//! attribute, each nested. Integers are host order, ports and IPv4
//! addresses network order (as in IPVS's protocol).

use crate::nlattr::Policy;

/// The family's name.
pub const FAMILY_NAME: &str = "TCPVS";
/// The family's version.
pub const FAMILY_VERSION: u8 = 1;

/// Commands. `NEW_*`, `SET_*`, `DEL_*`, `FLUSH`, `START` and `STOP` need
/// CAP_NET_ADMIN in the caller's namespace; `GET_*` are dumps.
pub mod cmd {
    /// Adds a service: ident, listen address and port; scheduler and
    /// pool sizes optional.
    pub const NEW_SERVICE: u8 = 1;
    /// Changes a service's scheduler, listen address or pool sizes.
    pub const SET_SERVICE: u8 = 2;
    /// Removes a service (stopping it first).
    pub const DEL_SERVICE: u8 = 3;
    /// Dumps the services (one message each), or the one named.
    pub const GET_SERVICE: u8 = 4;
    /// Adds a real server to the service named.
    pub const NEW_DEST: u8 = 5;
    /// Changes a real server's weight.
    pub const SET_DEST: u8 = 6;
    /// Removes a real server (and the rules that name it).
    pub const DEL_DEST: u8 = 7;
    /// Dumps the real servers of the service named.
    pub const GET_DEST: u8 = 8;
    /// Appends a rule to the service named.
    pub const NEW_RULE: u8 = 9;
    /// Removes the first rule with the pattern and server given.
    pub const DEL_RULE: u8 = 10;
    /// Dumps the rules of the service named, in order.
    pub const GET_RULE: u8 = 11;
    /// Stops and removes every service.
    pub const FLUSH: u8 = 12;
    /// Starts the service named, or every service.
    pub const START: u8 = 13;
    /// Stops the service named, or every service.
    pub const STOP: u8 = 14;
}

/// Top-level attributes, each a nest.
pub mod attr {
    /// A service ([`super::svc`]).
    pub const SERVICE: u16 = 1;
    /// A real server ([`super::dest`]).
    pub const DEST: u16 = 2;
    /// A rule ([`super::rule`]).
    pub const RULE: u16 = 3;
    /// The highest.
    pub const MAX: usize = 3;
}

/// Attributes of a service nest.
pub mod svc {
    /// Its name, NUL-terminated, 1 to [`super::IDENT_MAX`] bytes.
    pub const IDENT: u16 = 1;
    /// Scheduler name, NUL-terminated.
    pub const SCHED_NAME: u16 = 2;
    /// Listen address, IPv4, 4 bytes network order.
    pub const ADDR: u16 = 3;
    /// Listen port, u16 network order.
    pub const PORT: u16 = 4;
    /// Threads started with the service (u32).
    pub const STARTSERVERS: u16 = 5;
    /// Most client connections served at once (u32).
    pub const MAXCLIENTS: u16 = 6;
    /// Fewest idle threads kept (u32).
    pub const MINSPARE: u16 = 7;
    /// Most idle threads kept (u32).
    pub const MAXSPARE: u16 = 8;
    /// In replies: 1 while the service runs (u32).
    pub const RUNNING: u16 = 9;
    /// In replies: client connections open now (u32).
    pub const CONNS: u16 = 10;
    /// The highest.
    pub const MAX: usize = 10;
}

/// Attributes of a real-server nest.
pub mod dest {
    /// Address, IPv4, 4 bytes network order.
    pub const ADDR: u16 = 1;
    /// Port, u16 network order.
    pub const PORT: u16 = 2;
    /// Weight (u32, 0 to i32::MAX; 0 takes no new requests).
    pub const WEIGHT: u16 = 3;
    /// In replies: connections to it open now (u32).
    pub const CONNS: u16 = 4;
    /// In replies: 1 while it answers, 0 while it is taken out (u32).
    pub const UP: u16 = 5;
    /// The highest.
    pub const MAX: usize = 5;
}

/// Attributes of a rule nest.
pub mod rule {
    /// The pattern (POSIX extended regex), NUL-terminated.
    pub const PATTERN: u16 = 1;
    /// The server's address, IPv4, 4 bytes network order.
    pub const ADDR: u16 = 2;
    /// The server's port, u16 network order.
    pub const PORT: u16 = 3;
    /// For `hhttp`: the pattern's group whose text is hashed (u32).
    pub const MATCH_NUM: u16 = 4;
    /// The highest.
    pub const MAX: usize = 4;
}

/// Longest service name, without its NUL.
pub const IDENT_MAX: usize = 31;
/// Longest scheduler name, without its NUL.
pub const SCHED_NAME_MAX: usize = 15;
/// Longest pattern, without its NUL.
pub const PATTERN_MAX: usize = 255;

/// Defaults of a new service, as the original KTCPVS's.
pub mod defaults {
    /// Scheduler.
    pub const SCHED: &str = "wlc";
    /// Threads started.
    pub const STARTSERVERS: u32 = 8;
    /// Client connections at once.
    pub const MAXCLIENTS: u32 = 256;
    /// Fewest idle threads.
    pub const MINSPARE: u32 = 6;
    /// Most idle threads.
    pub const MAXSPARE: u32 = 18;
}

/// Policy of the top level (index = attribute number).
pub const TOP_POLICY: [Policy; attr::MAX + 1] = [Policy::Any, Policy::Nested, Policy::Nested, Policy::Nested];

/// Policy of a service nest.
pub const SVC_POLICY: [Policy; svc::MAX + 1] = [
    Policy::Any,
    Policy::NulString(IDENT_MAX),
    Policy::NulString(SCHED_NAME_MAX),
    Policy::Int(4),
    Policy::Int(2),
    Policy::Int(4),
    Policy::Int(4),
    Policy::Int(4),
    Policy::Int(4),
    Policy::Int(4),
    Policy::Int(4),
];

/// Policy of a real-server nest.
pub const DEST_POLICY: [Policy; dest::MAX + 1] =
    [Policy::Any, Policy::Int(4), Policy::Int(2), Policy::Int(4), Policy::Int(4), Policy::Int(4)];

/// Policy of a rule nest.
pub const RULE_POLICY: [Policy; rule::MAX + 1] =
    [Policy::Any, Policy::NulString(PATTERN_MAX), Policy::Int(4), Policy::Int(2), Policy::Int(4)];
