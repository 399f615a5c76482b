//! Plain data: what a request says about a service, a real server or a
//! rule, and what the kernel reports about them. The command line and
//! the config file fill in the request side, `netlink` sends it and
//! reads the reply side, `list` prints that.

use std::net::{Ipv4Addr, SocketAddrV4};

/// Where a new service listens unless told: any address, port 8080
/// (the original tcpvsadm's default; NEW_SERVICE needs both).
pub const DEFAULT_LISTEN: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 8080);

/// The thread pool of a service. `None`: not given, so not sent, and
/// the kernel applies its default (`tcpvs_proto::defaults`) or keeps the
/// current value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pool {
    pub startservers: Option<u32>,
    pub maxclients: Option<u32>,
    pub minspare: Option<u32>,
    pub maxspare: Option<u32>,
}

/// A service as NEW_SERVICE, SET_SERVICE or DEL_SERVICE carries it: its
/// name and the settings given. What is `None` is left out of the
/// request, so that `-E -i web -s wlc` changes the scheduler only (the
/// original sent every field, defaults included, and so reset them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceSpec {
    pub ident: String,
    pub sched: Option<String>,
    pub addr: Option<Ipv4Addr>,
    pub port: Option<u16>,
    pub pool: Pool,
}

/// A real server as NEW_DEST and SET_DEST carry it (DEL_DEST sends the
/// address only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DestSpec {
    pub server: SocketAddrV4,
    /// Always given for a new server (1 unless told). `None` only for
    /// `-e` without `-w`: the weight is kept, and the edit alone brings
    /// a server taken out back into the schedule (the original sent 1
    /// and so reset the weight).
    pub weight: Option<u32>,
}

/// A content rule: requests whose URI matches `pattern` go to `server`.
/// NEW_RULE sends all of it, DEL_RULE the pattern and server, GET_RULE
/// replies with all of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub pattern: String,
    pub server: SocketAddrV4,
    /// For `hhttp`: the group of the pattern whose text is hashed.
    pub match_num: u32,
}

/// A service as a GET_SERVICE reply reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    pub ident: String,
    pub sched: String,
    pub listen: SocketAddrV4,
    pub startservers: u32,
    pub maxclients: u32,
    pub minspare: u32,
    pub maxspare: u32,
    pub running: bool,
    /// Client connections open now.
    pub conns: u32,
}

/// A real server as a GET_DEST reply reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dest {
    pub server: SocketAddrV4,
    pub weight: u32,
    /// Connections to it open now.
    pub conns: u32,
    /// False while it is taken out (it did not answer).
    pub up: bool,
}

/// One service of a listing with its real servers and rules, each in
/// the kernel's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Virtual {
    pub service: Service,
    pub dests: Vec<Dest>,
    pub rules: Vec<Rule>,
}
