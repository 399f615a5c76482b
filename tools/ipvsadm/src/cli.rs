//! The command line, read as ipvsadm 1.31 reads it with popt.
//!
//! clap splits argv into options (short clusters such as `-Ln`, long
//! options, `--opt=value`, `--`); the occurrences are then replayed in
//! command-line order through upstream's `parse_options` and
//! `process_options` logic, because that order decides the outcome: the
//! first option must be a command, a later command is an "invalid option",
//! a repeated option is refused, and upstream's table of legal
//! command/option combinations picks the error message. Errors read as
//! upstream's, with its exit status: 2 for `fail()`, 255 for popt errors.

use std::ffi::OsString;
use std::net::IpAddr;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, ArgMatches, Command};

use crate::args::{inet_aton, parse_fwmark, parse_service, string_to_number};
use crate::change::{Change, DestSpec, ServiceSpec, DEFAULT_PERSISTENT_TIMEOUT, DEFAULT_SCHED};
use crate::format::Style;
use crate::model::{
    Daemon, AF_INET, AF_INET6, CONN_F_DROUTE, CONN_F_FWD_MASK, CONN_F_MASQ, CONN_F_TUNNEL,
    IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, STATE_BACKUP, STATE_MASTER, SVC_F_ONEPACKET,
    SVC_F_PERSISTENT, SVC_F_SCHED1, SVC_F_SCHED2, SVC_F_SCHED3,
};
use crate::netlink::{ServiceKey, IFNAME_MAX};
use crate::resolve;

/// Longest persistence engine name libipvs keeps (`IP_VS_PENAME_MAXLEN`).
const PE_NAME_MAX: usize = 16;
/// Interface of `--start-daemon` when `--mcast-interface` gives none.
const DEFAULT_MCAST_IFN: &str = "eth0";

/// ipvsadm's commands, in upstream's `CMD_*` order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmd {
    Add,
    Edit,
    Del,
    Flush,
    List,
    AddDest,
    DelDest,
    EditDest,
    Timeout,
    StartDaemon,
    StopDaemon,
    Restore,
    Save,
    Zero,
}

const CMD_NAMES: [&str; 14] = [
    "add-service",
    "edit-service",
    "delete-service",
    "flush",
    "list",
    "add-server",
    "delete-server",
    "edit-server",
    "set",
    "start-daemon",
    "stop-daemon",
    "restore",
    "save",
    "zero",
];

/// Option classes (upstream's `OPTC_*`), the columns of `LEGAL`.
mod optc {
    pub const NUMERIC: usize = 0;
    pub const CONNECTION: usize = 1;
    pub const SERVICE: usize = 2;
    pub const SCHEDULER: usize = 3;
    pub const PERSISTENT: usize = 4;
    pub const NETMASK: usize = 5;
    pub const SERVER: usize = 6;
    pub const FORWARD: usize = 7;
    pub const WEIGHT: usize = 8;
    pub const UTHRESHOLD: usize = 9;
    pub const LTHRESHOLD: usize = 10;
    pub const MCAST: usize = 11;
    pub const TIMEOUT: usize = 12;
    pub const DAEMON: usize = 13;
    pub const STATS: usize = 14;
    pub const RATE: usize = 15;
    pub const THRESHOLDS: usize = 16;
    pub const PERSISTENTCONN: usize = 17;
    pub const NOSORT: usize = 18;
    pub const SYNCID: usize = 19;
    pub const EXACT: usize = 20;
    pub const ONEPACKET: usize = 21;
    pub const PERSISTENCE_ENGINE: usize = 22;
    pub const SCHED_FLAGS: usize = 23;
    pub const MCAST_GROUP: usize = 24;
    pub const MCAST_PORT: usize = 25;
    pub const MCAST_TTL: usize = 26;
    pub const SYNC_MAXLEN: usize = 27;
    pub const TUN_INFO: usize = 28;
    pub const TUN_TYPE: usize = 29;
    pub const TUN_PORT: usize = 30;
    pub const TUN_NOCSUM: usize = 31;
    pub const TUN_CSUM: usize = 32;
    pub const TUN_REMCSUM: usize = 33;
}

const OPT_NAMES: [&str; 34] = [
    "numeric",
    "connection",
    "service-address",
    "scheduler",
    "persistent",
    "netmask",
    "real-server",
    "forwarding-method",
    "weight",
    "u-threshold",
    "l-threshold",
    "mcast-interface",
    "timeout",
    "daemon",
    "stats",
    "rate",
    "thresholds",
    "persistent-conn",
    "nosort",
    "syncid",
    "exact",
    "ops",
    "pe",
    "sched-flags",
    "mcast-group",
    "mcast-port",
    "mcast-ttl",
    "sync-maxlen",
    "tun-info",
    "tun-type",
    "tun-port",
    "tun-nocsum",
    "tun-csum",
    "tun-remcsum",
];

/// Upstream's `commands_v_options`: per command, per option class,
/// '+' compulsory, 'x' illegal, '1' at most one of the '1's, ' ' optional.
const LEGAL: [&[u8; 34]; 14] = [
    /* ADD     */ b"xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx",
    /* EDIT    */ b"xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx",
    /* DEL     */ b"xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    /* FLUSH   */ b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    /* LIST    */ b" 11xxxxxxxxx11       xxxxxxx xxxxx",
    /* ADDSRV  */ b"xx+xxx+    xxxxxxxxxxxxxxxxxx     ",
    /* DELSRV  */ b"xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx",
    /* EDITSRV */ b"xx+xxx+    xxxxxxxxxxxxxxxxxx     ",
    /* TIMEOUT */ b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    /* STARTD  */ b"xxxxxxxxxxx xxxxxxx xxxx    xxxxxx",
    /* STOPD   */ b"xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxx",
    /* RESTORE */ b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    /* SAVE    */ b" xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    /* ZERO    */ b"xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
];

/// Longest timeouts upstream accepts: 31 days.
const MAX_TIMEOUT: i64 = 86400 * 31;
/// Stands for "no value" (a flag, `-p` alone): argv strings cannot hold
/// a NUL.
const NO_VALUE: &str = "\0";

/// Whether an option takes a value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Takes {
    Nothing,
    Value,
    OptionalValue,
}

/// One entry of upstream's popt table. `id` is the long name, except
/// for `-l`, which shares "--list" with `-L` (popt picks `-L` for it).
struct Spec {
    id: &'static str,
    short: Option<char>,
    long: Option<&'static str>,
    takes: Takes,
}

const fn spec(id: &'static str, short: Option<char>, takes: Takes) -> Spec {
    Spec {
        id,
        short,
        long: Some(id),
        takes,
    }
}

use Takes::{Nothing, OptionalValue, Value};

const SPECS: &[Spec] = &[
    spec("add-service", Some('A'), Nothing),
    spec("edit-service", Some('E'), Nothing),
    spec("delete-service", Some('D'), Nothing),
    spec("clear", Some('C'), Nothing),
    spec("list", Some('L'), Nothing),
    Spec {
        id: "list-l",
        short: Some('l'),
        long: None,
        takes: Nothing,
    },
    spec("zero", Some('Z'), Nothing),
    spec("add-server", Some('a'), Nothing),
    spec("edit-server", Some('e'), Nothing),
    spec("delete-server", Some('d'), Nothing),
    spec("set", None, Nothing),
    spec("help", Some('h'), Nothing),
    spec("version", Some('v'), Nothing),
    spec("restore", Some('R'), Nothing),
    spec("save", Some('S'), Nothing),
    spec("start-daemon", None, Value),
    spec("stop-daemon", None, Value),
    spec("tcp-service", Some('t'), Value),
    spec("udp-service", Some('u'), Value),
    spec("sctp-service", None, Value),
    spec("fwmark-service", Some('f'), Value),
    spec("scheduler", Some('s'), Value),
    spec("persistent", Some('p'), OptionalValue),
    spec("netmask", Some('M'), Value),
    spec("real-server", Some('r'), Value),
    spec("masquerading", Some('m'), Nothing),
    spec("ipip", Some('i'), Nothing),
    spec("gatewaying", Some('g'), Nothing),
    spec("weight", Some('w'), Value),
    spec("u-threshold", Some('x'), Value),
    spec("l-threshold", Some('y'), Value),
    spec("numeric", Some('n'), Nothing),
    spec("connection", Some('c'), Nothing),
    spec("mcast-interface", None, Value),
    spec("syncid", None, Value),
    spec("timeout", None, Nothing),
    spec("daemon", None, Nothing),
    spec("stats", None, Nothing),
    spec("rate", None, Nothing),
    spec("thresholds", None, Nothing),
    spec("persistent-conn", None, Nothing),
    spec("nosort", None, Nothing),
    spec("sort", None, Nothing),
    spec("exact", Some('X'), Nothing),
    spec("ipv6", Some('6'), Nothing),
    spec("ops", Some('o'), Nothing),
    spec("pe", None, Value),
    spec("sched-flags", Some('b'), Value),
    spec("mcast-group", None, Value),
    spec("mcast-port", None, Value),
    spec("mcast-ttl", None, Value),
    spec("sync-maxlen", None, Value),
    spec("tun-info", None, Nothing),
    spec("tun-type", None, Value),
    spec("tun-port", None, Value),
    spec("tun-nocsum", None, Nothing),
    spec("tun-csum", None, Nothing),
    spec("tun-remcsum", None, Nothing),
];

/// The clap id of the non-option arguments.
const ARGS: &str = "args";

/// What to list, and how: `-L` or `-S` (`Style::Rule`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListRequest {
    /// `-t/-u/--sctp-service/-f`: that service only, without the
    /// "IP Virtual Server version" header.
    pub service: Option<ServiceKey>,
    pub style: Style,
    pub nosort: bool,
    /// `--exact`: counters in full.
    pub exact: bool,
    /// `-n`: addresses and ports as numbers, not names.
    pub numeric: bool,
}

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// `-h`: the usage text on stdout.
    Help,
    /// `-v`: the version line on stdout.
    Version,
    /// `-L` of services, or `-S`.
    List(ListRequest),
    /// `-L -c`: the connections, with `--persistent-conn` (`pe`) their
    /// persistence engine columns too.
    Connections { numeric: bool, pe: bool },
    /// `-L --timeout`.
    Timeouts,
    /// `-L --daemon`.
    Daemons,
    /// `-R`: command lines from stdin.
    Restore,
    /// A command that changes the table or starts or stops a daemon.
    Change(Change),
}

/// A refused command line: the message for stderr and the exit status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    pub code: u8,
    /// Whether upstream exits here (`fail`, `tryhelp_exit`) rather than
    /// return -1 from `process_options` (popt's errors): within `-R`
    /// that decides whether the next line runs.
    pub exits: bool,
}

/// upstream's `fail(2, ...)`.
fn fail(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        code: 2,
        exits: true,
    }
}

/// `tryhelp_exit(argv[0], -1)`.
pub fn tryhelp(prog: &str) -> Failure {
    Failure {
        message: format!("Try `{prog} -h' or '{prog} --help' for more information."),
        code: 255,
        exits: true,
    }
}

/// clap's version of upstream's popt table, plus the non-option words.
fn command() -> Command {
    let mut cmd = Command::new("ipvsadm")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(Arg::new(ARGS).num_args(0..).action(ArgAction::Append));
    for s in SPECS {
        let mut arg = Arg::new(s.id);
        if let Some(c) = s.short {
            arg = arg.short(c);
        }
        if let Some(l) = s.long {
            arg = arg.long(l);
        }
        arg = match s.takes {
            // Append, not Count: every occurrence keeps its own index.
            Nothing => arg
                .action(ArgAction::Append)
                .num_args(0)
                .default_missing_value(NO_VALUE),
            // popt takes the next word as the value, even "-1".
            Value => arg
                .action(ArgAction::Append)
                .num_args(1)
                .allow_hyphen_values(true),
            OptionalValue => arg
                .action(ArgAction::Append)
                .num_args(0..=1)
                .default_missing_value(NO_VALUE),
        };
        cmd = cmd.arg(arg);
    }
    cmd
}

/// One option occurrence, in command-line order.
struct Event {
    index: usize,
    spec: &'static Spec,
    value: Option<String>,
}

fn events(m: &ArgMatches) -> Vec<Event> {
    let mut out = Vec::new();
    for s in SPECS {
        let Some(indices) = m.indices_of(s.id) else {
            continue;
        };
        let values: Vec<Option<String>> = m
            .get_many::<String>(s.id)
            .map(|v| v.map(|x| (s.takes != Nothing).then(|| x.clone())).collect())
            .unwrap_or_default();
        for (index, value) in indices.zip(values) {
            out.push(Event {
                index,
                spec: s,
                value,
            });
        }
    }
    out.sort_by_key(|e| e.index);
    out
}

/// The argv word an option occurrence came from, for popt's messages:
/// the `nth` (from 1) word naming the short or long option.
fn word_of<'a>(
    argv: &'a [String],
    short: Option<char>,
    long: Option<&str>,
    nth: usize,
) -> Option<&'a str> {
    let mut seen = 0;
    for word in argv.iter().skip(1) {
        if word == "--" {
            break;
        }
        if let Some(name) = word.strip_prefix("--") {
            let name = name.split('=').next().unwrap_or("");
            if Some(name) == long {
                seen += 1;
            }
        } else if let Some(cluster) = word.strip_prefix('-') {
            for c in cluster.chars() {
                if Some(c) == short {
                    seen += 1;
                }
                if seen == nth {
                    break;
                }
                let takes_value = SPECS
                    .iter()
                    .any(|s| s.short == Some(c) && s.takes != Nothing);
                if takes_value {
                    break;
                }
            }
        }
        if seen >= nth && seen > 0 {
            return Some(word);
        }
    }
    None
}

/// The state upstream's `parse_options` fills in.
struct State {
    options: u64,
    svc: ServiceKey,
    sched_name: String,
    sched_flags_arg: Option<String>,
    style_bits: u64,
    /// `IP_VS_SVC_F_*` from `-p` and `-o` (`-b` is added at the end).
    svc_flags: u32,
    /// Persistence timeout.
    timeout: u32,
    pe_name: String,
    dest: DestSpec,
    /// `--set` values.
    timeouts: [u32; 3],
    /// `--start-daemon`, `--stop-daemon` and the daemon options.
    daemon: Daemon,
}

impl State {
    fn set_option(&mut self, optc: usize) -> Result<(), Failure> {
        let bit = 1u64 << optc;
        if self.options & bit != 0 {
            return Err(fail(format!(
                "multiple '{}' options specified",
                OPT_NAMES[optc]
            )));
        }
        self.options |= bit;
        Ok(())
    }

    fn has(&self, optc: usize) -> bool {
        self.options & (1u64 << optc) != 0
    }
}

/// The commands a first option may be.
fn command_of(id: &str) -> Option<Cmd> {
    Some(match id {
        "add-service" => Cmd::Add,
        "edit-service" => Cmd::Edit,
        "delete-service" => Cmd::Del,
        "clear" => Cmd::Flush,
        "list" | "list-l" => Cmd::List,
        "zero" => Cmd::Zero,
        "add-server" => Cmd::AddDest,
        "edit-server" => Cmd::EditDest,
        "delete-server" => Cmd::DelDest,
        "set" => Cmd::Timeout,
        "restore" => Cmd::Restore,
        "save" => Cmd::Save,
        "start-daemon" => Cmd::StartDaemon,
        "stop-daemon" => Cmd::StopDaemon,
        _ => return None,
    })
}

/// `parse_timeout`: seconds; no value is the persistence default.
fn parse_timeout(value: &str, min: i64) -> Result<u32, Failure> {
    if value == NO_VALUE {
        return Ok(DEFAULT_PERSISTENT_TIMEOUT);
    }
    match string_to_number(value, min, MAX_TIMEOUT) {
        Some(n) => Ok(n as u32),
        None => Err(fail(format!("invalid timeout value `{value}' specified"))),
    }
}

/// A numeric option in [min, max], or upstream's message for it.
fn number(value: &str, min: i64, max: i64, message: &str) -> Result<i64, Failure> {
    string_to_number(value, min, max).ok_or_else(|| fail(message))
}

/// `atoi`: what `strtol` reads, 0 if nothing.
fn atoi(s: &str) -> i64 {
    let t = s.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let sign_len = usize::from(t.starts_with(['+', '-']));
    let digits = t[sign_len..].bytes().take_while(u8::is_ascii_digit).count();
    t[..sign_len + digits].parse().unwrap_or(0)
}

/// `parse_sched_flags`: comma-separated flag names, some only for sh/mh,
/// as `IP_VS_SVC_F_SCHED*` bits.
fn parse_sched_flags(sched: &str, arg: &str) -> Result<u32, Failure> {
    let sched = if sched.is_empty() {
        DEFAULT_SCHED
    } else {
        sched
    };
    let mut flags = 0;
    for flag in arg.split(',').filter(|f| !f.is_empty()) {
        let (bit, needs) = match flag {
            "flag-1" => (SVC_F_SCHED1, None),
            "flag-2" => (SVC_F_SCHED2, None),
            "flag-3" => (SVC_F_SCHED3, None),
            "sh-fallback" => (SVC_F_SCHED1, Some("sh")),
            "sh-port" => (SVC_F_SCHED2, Some("sh")),
            "mh-fallback" => (SVC_F_SCHED1, Some("mh")),
            "mh-port" => (SVC_F_SCHED2, Some("mh")),
            _ => return Err(fail(format!("invalid scheduler flag `{flag}'"))),
        };
        if needs.is_some_and(|s| s != sched) {
            return Err(fail(format!("incompatible scheduler flag `{flag}'")));
        }
        flags |= bit;
    }
    Ok(flags)
}

/// One option after the command: upstream's `while (poptGetNextOpt...)`
/// switch.
fn apply(st: &mut State, ev: &Event, argv: &[String], nth: usize) -> Result<(), Failure> {
    let v = ev.value.as_deref().unwrap_or("");
    match ev.spec.id {
        "tcp-service" | "udp-service" | "sctp-service" => {
            st.set_option(optc::SERVICE)?;
            st.svc.protocol = match ev.spec.id {
                "tcp-service" => IPPROTO_TCP,
                "udp-service" => IPPROTO_UDP,
                _ => IPPROTO_SCTP,
            };
            let ep = parse_service(v, st.svc.protocol)
                .ok_or_else(|| fail("illegal virtual server address[:port] specified"))?;
            st.svc.af = ep.af;
            st.svc.addr = ep.addr;
            if ep.af == AF_INET6 {
                st.svc.netmask = 128;
            }
            if let Some(port) = ep.port {
                st.svc.port = port;
            }
        }
        "fwmark-service" => {
            st.set_option(optc::SERVICE)?;
            st.svc.af = AF_INET;
            st.svc.protocol = IPPROTO_TCP;
            st.svc.fwmark = parse_fwmark(v)
                .ok_or_else(|| fail(format!("invalid fwmark value `{v}' specified")))?;
        }
        "scheduler" => {
            st.set_option(optc::SCHEDULER)?;
            st.sched_name = v.chars().take(15).collect();
        }
        "persistent" => {
            st.set_option(optc::PERSISTENT)?;
            st.svc_flags |= SVC_F_PERSISTENT;
            st.timeout = parse_timeout(v, 1)?;
        }
        "netmask" => {
            st.set_option(optc::NETMASK)?;
            if st.svc.af != AF_INET6 {
                let mask = inet_aton(v)
                    .or_else(|| resolve::host_v4(v))
                    .ok_or_else(|| fail("illegal virtual server persistent mask specified"))?;
                st.svc.netmask = u32::from_ne_bytes(mask);
            } else {
                let bits = atoi(v);
                if !(1..=128).contains(&bits) {
                    return Err(fail("illegal ipv6 netmask specified"));
                }
                st.svc.netmask = bits as u32;
            }
        }
        "real-server" => {
            st.set_option(optc::SERVER)?;
            let ep = parse_service(v, st.svc.protocol)
                .ok_or_else(|| fail("illegal real server address[:port] specified"))?;
            st.dest.af = ep.af;
            st.dest.addr = ep.addr;
            // Without a port, the service's (as far as it is known yet).
            st.dest.port = ep.port.unwrap_or(st.svc.port);
        }
        "ipip" | "gatewaying" | "masquerading" => {
            st.set_option(optc::FORWARD)?;
            st.dest.conn_flags = match ev.spec.id {
                "ipip" => CONN_F_TUNNEL,
                "gatewaying" => CONN_F_DROUTE,
                _ => CONN_F_MASQ,
            };
        }
        "weight" => {
            st.set_option(optc::WEIGHT)?;
            st.dest.weight = number(v, 0, i64::from(i32::MAX), "illegal weight specified")? as i32;
        }
        "u-threshold" => {
            st.set_option(optc::UTHRESHOLD)?;
            st.dest.u_threshold =
                number(v, 0, i64::from(i32::MAX), "illegal u_threshold specified")? as u32;
        }
        "l-threshold" => {
            st.set_option(optc::LTHRESHOLD)?;
            st.dest.l_threshold =
                number(v, 0, i64::from(i32::MAX), "illegal l_threshold specified")? as u32;
        }
        "connection" => st.set_option(optc::CONNECTION)?,
        "numeric" => st.set_option(optc::NUMERIC)?,
        "mcast-interface" => {
            st.set_option(optc::MCAST)?;
            st.daemon.mcast_ifn = cut(v, IFNAME_MAX);
        }
        "syncid" => {
            st.set_option(optc::SYNCID)?;
            st.daemon.syncid = number(v, 0, 255, "illegal syncid specified")? as u32;
        }
        "timeout" => st.set_option(optc::TIMEOUT)?,
        "daemon" => st.set_option(optc::DAEMON)?,
        "stats" | "rate" | "thresholds" | "persistent-conn" | "tun-info" => {
            let c = match ev.spec.id {
                "stats" => optc::STATS,
                "rate" => optc::RATE,
                "thresholds" => optc::THRESHOLDS,
                "persistent-conn" => optc::PERSISTENTCONN,
                _ => optc::TUN_INFO,
            };
            st.set_option(c)?;
            st.style_bits |= 1 << c;
        }
        "nosort" => st.set_option(optc::NOSORT)?,
        // "Sort is the default, this is a no-op for compatibility".
        "sort" => {}
        "exact" => st.set_option(optc::EXACT)?,
        "ipv6" => {
            if st.svc.fwmark == 0 {
                return Err(fail("-6 used before -f\n"));
            }
            st.svc.af = AF_INET6;
            st.svc.netmask = 128;
        }
        "ops" => {
            st.set_option(optc::ONEPACKET)?;
            st.svc_flags |= SVC_F_ONEPACKET;
        }
        "pe" => {
            st.set_option(optc::PERSISTENCE_ENGINE)?;
            st.pe_name = v.chars().take(PE_NAME_MAX).collect();
        }
        "sched-flags" => {
            st.set_option(optc::SCHED_FLAGS)?;
            st.sched_flags_arg = Some(v.to_string());
        }
        "mcast-group" => {
            st.set_option(optc::MCAST_GROUP)?;
            st.daemon.mcast_group = Some(mcast_group(v)?);
        }
        "mcast-port" => {
            st.set_option(optc::MCAST_PORT)?;
            st.daemon.mcast_port = number(v, 1, 65535, "illegal mcast-port specified")? as u16;
        }
        "mcast-ttl" => {
            st.set_option(optc::MCAST_TTL)?;
            st.daemon.mcast_ttl = number(v, 1, 255, "illegal mcast-ttl specified")? as u8;
        }
        "sync-maxlen" => {
            st.set_option(optc::SYNC_MAXLEN)?;
            st.daemon.sync_maxlen =
                number(v, 1, 65535 - 20 - 8, "illegal sync-maxlen specified")? as u16;
        }
        "tun-type" => {
            st.set_option(optc::TUN_TYPE)?;
            st.dest.tun_type = TUN_NAMES
                .iter()
                .position(|&name| name == v)
                .ok_or_else(|| fail("illegal tunnel type specified"))?
                as u8;
        }
        "tun-port" => {
            st.set_option(optc::TUN_PORT)?;
            st.dest.tun_port = number(v, 1, 65535, "illegal tunnel port specified")? as u16;
        }
        "tun-nocsum" => st.set_option(optc::TUN_NOCSUM)?,
        "tun-csum" => {
            st.set_option(optc::TUN_CSUM)?;
            st.dest.tun_flags |= TUN_F_CSUM;
        }
        "tun-remcsum" => {
            st.set_option(optc::TUN_REMCSUM)?;
            st.dest.tun_flags |= TUN_F_REMCSUM;
        }
        // A command (or -h/-v) after the first option.
        _ => {
            let word = word_of(argv, ev.spec.short, ev.spec.long, nth).unwrap_or("");
            return Err(fail(format!("invalid option `{word}'")));
        }
    }
    Ok(())
}

/// `--mcast-group`: a multicast address of either family.
fn mcast_group(v: &str) -> Result<IpAddr, Failure> {
    if v.contains(':') {
        match v.parse::<std::net::Ipv6Addr>() {
            Ok(a) if a.is_multicast() => Ok(a.into()),
            _ => Err(fail(format!("invalid IPv6 mcast-group `{v}'"))),
        }
    } else {
        match v.parse::<std::net::Ipv4Addr>() {
            Ok(a) if a.is_multicast() => Ok(a.into()),
            _ => Err(fail(format!("invalid IPv4 mcast-group `{v}'"))),
        }
    }
}

/// At most `max` bytes of `s`, as `strncpy` into a C buffer keeps.
fn cut(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// `generic_opt_check`: the table's verdict on the options given.
fn generic_opt_check(cmd: Cmd, options: u64) -> Result<(), Failure> {
    let row = LEGAL[cmd as usize];
    let name = CMD_NAMES[cmd as usize];
    let mut last = None;
    for (j, &rule) in row.iter().enumerate() {
        if options & (1u64 << j) == 0 {
            if rule == b'+' {
                return Err(fail(format!(
                    "You need to supply the '{}' option for the '{name}' command",
                    OPT_NAMES[j]
                )));
            }
        } else {
            if rule == b'x' {
                return Err(fail(format!(
                    "Illegal '{}' option with the '{name}' command",
                    OPT_NAMES[j]
                )));
            }
            if rule == b'1' {
                if let Some(first) = last {
                    return Err(fail(format!(
                        "The option '{}' conflicts with the '{}' option in the '{name}' command",
                        OPT_NAMES[j], OPT_NAMES[first]
                    )));
                }
                last = Some(j);
            }
        }
    }
    Ok(())
}

/// A word clap refused: where it is in argv, the options of its cluster
/// that come before the bad one, and popt's complaint about it.
#[derive(Default)]
struct BadWord {
    pos: Option<usize>,
    cluster_head: Option<String>,
    why: &'static str,
}

fn popt_error(argv: &[String], err: &clap::Error) -> BadWord {
    // clap shows the option as "--tcp-service <tcp-service>",
    // "--numeric...", "-q" or, for "-n=x", "-=".
    let shown = match err.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => s.clone(),
        _ => String::new(),
    };
    let name = shown
        .split(' ')
        .next()
        .unwrap_or("")
        .trim_end_matches("...");
    let (short, long) = match name.strip_prefix("--") {
        Some(l) => {
            let spec = SPECS.iter().find(|s| s.long == Some(l));
            (spec.and_then(|s| s.short), Some(l))
        }
        None => {
            let c = name.strip_prefix('-').and_then(|s| s.chars().next());
            let spec = SPECS.iter().find(|s| s.short.is_some() && s.short == c);
            (c, spec.and_then(|s| s.long))
        }
    };
    let why = match err.kind() {
        ErrorKind::InvalidValue => "missing argument",
        ErrorKind::TooManyValues => "option does not take an argument",
        _ if short == Some('=') => "option does not take an argument",
        _ => "unknown option",
    };
    // A missing value is the last mention of the option, anything else
    // the first.
    let positions: Vec<usize> = (1..argv.len())
        .filter(|&i| {
            let w = &argv[i];
            let long_match = w
                .strip_prefix("--")
                .is_some_and(|n| n.split('=').next() == long);
            let short_match = !w.starts_with("--")
                && w.starts_with('-')
                && short.is_some_and(|c| w[1..].contains(c));
            long_match || short_match
        })
        .collect();
    let pos = if why == "missing argument" {
        positions.last()
    } else {
        positions.first()
    };
    let Some(&pos) = pos else {
        return BadWord::default();
    };
    // In a cluster such as "-Lq", the options before the bad one count.
    let cluster_head = short.and_then(|c| {
        let cluster = argv[pos].strip_prefix('-')?;
        let head = &cluster[..cluster.find(c)?];
        (!head.is_empty()).then(|| format!("-{head}"))
    });
    BadWord {
        pos: Some(pos),
        cluster_head,
        why,
    }
}

/// Parse argv (argv[0] the program name as typed) as ipvsadm 1.31 does.
pub fn parse(argv: &[String]) -> Result<Action, Failure> {
    let prog = argv.first().map(String::as_str).unwrap_or("ipvsadm");
    let os_argv: Vec<OsString> = argv.iter().map(OsString::from).collect();
    let (matches, bad_word) = match command().try_get_matches_from(&os_argv) {
        Ok(m) => (m, None),
        Err(err) => {
            let bad = popt_error(argv, &err);
            let Some(pos) = bad.pos else {
                return Err(tryhelp(prog));
            };
            // What came before the bad word still counts, as in popt.
            let mut before = os_argv[..pos].to_vec();
            before.extend(bad.cluster_head.map(OsString::from));
            match command().try_get_matches_from(&before) {
                Ok(m) => (m, Some(format!("{}: {}", argv[pos], bad.why))),
                Err(_) => return Err(tryhelp(prog)),
            }
        }
    };

    let evs = events(&matches);
    let Some(first) = evs.first() else {
        return Err(tryhelp(prog));
    };
    match first.spec.id {
        "help" => return Ok(Action::Help),
        "version" => return Ok(Action::Version),
        _ => {}
    }
    let Some(cmd) = command_of(first.spec.id) else {
        return Err(tryhelp(prog));
    };
    let mut daemon = Daemon::default();
    if cmd == Cmd::StartDaemon || cmd == Cmd::StopDaemon {
        daemon.state = match first.value.as_deref().unwrap_or("") {
            "master" => STATE_MASTER,
            "backup" => STATE_BACKUP,
            _ => {
                return Err(fail(if cmd == Cmd::StartDaemon {
                    "illegal start-daemon parameter specified"
                } else {
                    "illegal start_daemon specified"
                }))
            }
        };
    }

    let mut st = State {
        options: 0,
        svc: ServiceKey {
            netmask: u32::MAX,
            ..Default::default()
        },
        sched_name: String::new(),
        sched_flags_arg: None,
        style_bits: 0,
        svc_flags: 0,
        timeout: 0,
        pe_name: String::new(),
        dest: DestSpec::default(),
        timeouts: [0; 3],
        daemon,
    };
    let mut seen = std::collections::HashMap::new();
    *seen.entry(first.spec.id).or_insert(0) += 1;
    for ev in &evs[1..] {
        let nth = seen.entry(ev.spec.id).or_insert(0);
        *nth += 1;
        let nth = *nth;
        apply(&mut st, ev, argv, nth)?;
    }
    if let Some(message) = bad_word {
        return Err(Failure {
            message,
            code: 255,
            exits: false,
        });
    }

    let mut rest: Vec<String> = matches
        .get_many::<String>(ARGS)
        .map(|v| v.cloned().collect())
        .unwrap_or_default();
    if cmd == Cmd::Timeout {
        if rest.len() < 3 {
            return Err(fail("--set option requires 3 timeout values"));
        }
        for (i, t) in rest.drain(..3).enumerate() {
            st.timeouts[i] = parse_timeout(&t, 0)?;
        }
    }
    if let Some(arg) = rest.first() {
        return Err(fail(format!("unexpected argument {arg}")));
    }
    if let Some(arg) = st.sched_flags_arg.as_deref().filter(|a| !a.is_empty()) {
        st.svc_flags |= parse_sched_flags(&st.sched_name, arg)?;
    }

    generic_opt_check(cmd, st.options)?;
    if cmd == Cmd::List {
        list_action(&st)
    } else {
        change_action(cmd, st)
    }
}

/// `process_options` for a command other than listing.
fn change_action(cmd: Cmd, mut st: State) -> Result<Action, Failure> {
    if cmd == Cmd::Add || cmd == Cmd::Edit {
        if st.svc.fwmark == 0 && st.svc.port == 0 && st.svc_flags & SVC_F_PERSISTENT == 0 {
            return Err(fail("Zero port specified for non-persistent service"));
        }
        if st.svc_flags & SVC_F_ONEPACKET != 0
            && st.svc.fwmark == 0
            && st.svc.protocol != IPPROTO_UDP
        {
            return Err(fail(
                "One-Packet Scheduling is only for UDP virtual services",
            ));
        }
        if st.sched_name.is_empty() {
            st.sched_name = DEFAULT_SCHED.to_string();
        }
    }
    if cmd == Cmd::AddDest || cmd == Cmd::EditDest {
        let fwd = st.dest.conn_flags & CONN_F_FWD_MASK;
        // Tunnelled and directly routed servers take the service's port.
        if st.svc.fwmark == 0 && (fwd == CONN_F_TUNNEL || fwd == CONN_F_DROUTE) {
            st.dest.port = st.svc.port;
        }
        if st.dest.af != st.svc.af && fwd != CONN_F_TUNNEL {
            return Err(fail(
                "Different address family is allowed only for tunneling servers",
            ));
        }
        let tunnel_opts = [
            optc::TUN_TYPE,
            optc::TUN_PORT,
            optc::TUN_NOCSUM,
            optc::TUN_CSUM,
            optc::TUN_REMCSUM,
        ];
        if tunnel_opts.iter().any(|&o| st.has(o)) && fwd != CONN_F_TUNNEL {
            return Err(fail("Tunnel options conflict with forward method"));
        }
        tunnel_opt_check(st.dest.tun_type, st.options)?;
    }
    if cmd == Cmd::StartDaemon && st.daemon.mcast_ifn.is_empty() {
        st.daemon.mcast_ifn = DEFAULT_MCAST_IFN.to_string();
    }
    let svc = ServiceSpec {
        key: st.svc.clone(),
        sched_name: st.sched_name.clone(),
        pe_name: st.pe_name.clone(),
        flags: st.svc_flags,
        timeout: st.timeout,
    };
    let change = match cmd {
        Cmd::Add => Change::AddService(svc),
        Cmd::Edit => Change::EditService(svc),
        Cmd::Del => Change::DelService(svc),
        Cmd::Flush => Change::Flush,
        Cmd::Zero => Change::Zero(svc),
        Cmd::AddDest => Change::AddDest(svc, st.dest),
        Cmd::EditDest => Change::EditDest(svc, st.dest),
        Cmd::DelDest => Change::DelDest(svc, st.dest),
        Cmd::Timeout => Change::Timeouts(st.timeouts),
        Cmd::StartDaemon => Change::StartDaemon(st.daemon),
        Cmd::StopDaemon => Change::StopDaemon(st.daemon),
        Cmd::Save => {
            return Ok(Action::List(ListRequest {
                service: None,
                style: Style::Rule,
                nosort: false,
                exact: false,
                numeric: st.has(optc::NUMERIC),
            }))
        }
        Cmd::Restore => return Ok(Action::Restore),
        Cmd::List => unreachable!("listings are list_action's"),
    };
    Ok(Action::Change(change))
}

/// Tunnel types by number, as ipvsadm names them.
const TUN_NAMES: [&str; 3] = ["ipip", "gue", "gre"];
/// `--tun-csum`, `--tun-remcsum` (`IP_VS_TUNNEL_ENCAP_FLAG_*`).
const TUN_F_CSUM: u16 = 1 << 0;
const TUN_F_REMCSUM: u16 = 1 << 1;
/// The tunnel options `tunnel_opt_check` looks at, in its order.
const TUN_OPTS: [usize; 4] = [
    optc::TUN_PORT,
    optc::TUN_NOCSUM,
    optc::TUN_CSUM,
    optc::TUN_REMCSUM,
];
/// Upstream's `tunnel_types_v_options`: per tunnel type, per option of
/// `TUN_OPTS`, as in `LEGAL`.
const TUN_LEGAL: [&[u8; 4]; 3] = [
    /* ipip */ b"xxxx", /* gue  */ b"+111", /* gre  */ b"x11x",
];

/// `tunnel_opt_check`: the tunnel options against the tunnel type.
fn tunnel_opt_check(tun_type: u8, options: u64) -> Result<(), Failure> {
    let Some(row) = TUN_LEGAL.get(usize::from(tun_type)) else {
        return Ok(());
    };
    let name = TUN_NAMES[usize::from(tun_type)];
    let mut last = None;
    for (&opt, &rule) in TUN_OPTS.iter().zip(row.iter()) {
        if options & (1u64 << opt) == 0 {
            if rule == b'+' {
                return Err(fail(format!(
                    "You need to supply the '{}' option for the '{name}' tunnel type",
                    OPT_NAMES[opt]
                )));
            }
        } else {
            if rule == b'x' {
                return Err(fail(format!(
                    "Illegal '{}' option with the '{name}' tunnel type",
                    OPT_NAMES[opt]
                )));
            }
            if rule == b'1' {
                if let Some(first) = last {
                    return Err(fail(format!(
                        "The option '{}' conflicts with the '{}' option in the '{name}' tunnel type",
                        OPT_NAMES[opt], OPT_NAMES[first]
                    )));
                }
                last = Some(opt);
            }
        }
    }
    Ok(())
}

/// `process_options` for a listing that passed the checks: which
/// listing, in upstream's order of precedence.
fn list_action(st: &State) -> Result<Action, Failure> {
    let any = |bits: &[usize]| bits.iter().any(|&b| st.has(b));
    if (any(&[optc::CONNECTION, optc::TIMEOUT, optc::DAEMON])
        && any(&[optc::STATS, optc::RATE, optc::THRESHOLDS]))
        || (any(&[optc::TIMEOUT, optc::DAEMON]) && st.has(optc::PERSISTENTCONN))
    {
        return Err(fail("options conflicts in the list command"));
    }
    if st.has(optc::CONNECTION) {
        return Ok(Action::Connections {
            numeric: st.has(optc::NUMERIC),
            pe: st.has(optc::PERSISTENTCONN),
        });
    }
    // The table lets at most one of a service, --timeout and --daemon
    // through.
    if st.has(optc::TIMEOUT) {
        return Ok(Action::Timeouts);
    }
    if st.has(optc::DAEMON) {
        return Ok(Action::Daemons);
    }
    Ok(Action::List(services_request(st)))
}

/// A listing of services (all, or `-t/-u/-f`'s) as the options ask.
fn services_request(st: &State) -> ListRequest {
    let style = if st.style_bits & (1 << optc::STATS) != 0 {
        Style::Stats
    } else if st.style_bits & (1 << optc::RATE) != 0 {
        Style::Rate
    } else if st.style_bits & (1 << optc::THRESHOLDS) != 0 {
        Style::Thresholds
    } else if st.style_bits & (1 << optc::PERSISTENTCONN) != 0 {
        Style::PersistentConn
    } else if st.style_bits & (1 << optc::TUN_INFO) != 0 {
        Style::TunInfo
    } else {
        Style::Plain
    };
    ListRequest {
        service: st.has(optc::SERVICE).then(|| st.svc.clone()),
        style,
        nosort: st.has(optc::NOSORT),
        exact: st.has(optc::EXACT),
        numeric: st.has(optc::NUMERIC),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_addr::v4;

    const PROG: &str = "/usr/sbin/ipvsadm";

    fn p(line: &str) -> Result<Action, Failure> {
        let argv: Vec<String> = std::iter::once(PROG)
            .chain(line.split_whitespace())
            .map(String::from)
            .collect();
        parse(&argv)
    }

    fn failure(code: u8, message: &str) -> Result<Action, Failure> {
        Err(Failure {
            message: message.to_string(),
            code,
            exits: true,
        })
    }

    /// popt's errors: process_options returns -1.
    fn popt(message: &str) -> Result<Action, Failure> {
        Err(Failure {
            message: message.to_string(),
            code: 255,
            exits: false,
        })
    }

    fn tryhelp_msg() -> Result<Action, Failure> {
        failure(
            255,
            "Try `/usr/sbin/ipvsadm -h' or '/usr/sbin/ipvsadm --help' for more information.",
        )
    }

    fn all(style: Style) -> ListRequest {
        ListRequest {
            service: None,
            style,
            nosort: false,
            exact: false,
            numeric: true,
        }
    }

    fn list_all(style: Style, nosort: bool) -> Result<Action, Failure> {
        Ok(Action::List(ListRequest {
            nosort,
            ..all(style)
        }))
    }


    #[test]
    fn list_spellings() {
        for line in [
            "-L -n",
            "-l -n",
            "-Ln",
            "-ln",
            "--list --numeric",
            "--list -n",
            "-L --numeric",
        ] {
            assert_eq!(p(line), list_all(Style::Plain, false), "{line}");
        }
        assert_eq!(p("-Ln --sort"), list_all(Style::Plain, false));
        assert_eq!(p("-Ln --sort --sort"), list_all(Style::Plain, false));
        assert_eq!(p("-Ln --nosort"), list_all(Style::Plain, true));
        assert_eq!(
            p("-Ln --exact"),
            Ok(Action::List(ListRequest {
                exact: true,
                ..all(Style::Plain)
            }))
        );
        assert_eq!(p("-Ln --thresholds"), list_all(Style::Thresholds, false));
        assert_eq!(
            p("-Ln --persistent-conn"),
            list_all(Style::PersistentConn, false)
        );
        assert_eq!(p("-Ln --tun-info"), list_all(Style::TunInfo, false));
        assert_eq!(
            p("-Ln --tun-info --thresholds"),
            list_all(Style::Thresholds, false)
        );
        assert_eq!(p("-L -n --"), list_all(Style::Plain, false));
    }

    #[test]
    fn one_service() {
        let tcp = ServiceKey {
            af: AF_INET,
            protocol: IPPROTO_TCP,
            addr: v4([1, 2, 3, 4]),
            port: 80,
            fwmark: 0,
            netmask: u32::MAX,
        };
        let want = Ok(Action::List(ListRequest {
            service: Some(tcp.clone()),
            ..all(Style::Plain)
        }));
        for line in [
            "-Ln -t 1.2.3.4:80",
            "-Ln -t1.2.3.4:80",
            "-Ln --tcp-service=1.2.3.4:80",
            "-L -t 1.2.3.4:80 -n",
        ] {
            assert_eq!(p(line), want, "{line}");
        }
        let Ok(Action::List(req)) = p("-Ln -u [2001:db8::1]:53") else {
            panic!("not a listing");
        };
        let key = req.service.unwrap();
        assert_eq!(
            (key.af, key.protocol, key.port, key.netmask),
            (AF_INET6, IPPROTO_UDP, 53, 128)
        );
        let Ok(Action::List(req)) = p("-Ln -f 5 -6") else {
            panic!("not a listing");
        };
        let key = req.service.unwrap();
        assert_eq!((key.af, key.fwmark, key.netmask), (AF_INET6, 5, 128));
        let Ok(Action::List(req)) = p("-Ln --sctp-service 10.0.0.1:9") else {
            panic!("not a listing");
        };
        assert_eq!(req.service.unwrap().protocol, IPPROTO_SCTP);
    }

    #[test]
    fn help_and_version() {
        assert_eq!(p("-h"), Ok(Action::Help));
        assert_eq!(p("--help -L"), Ok(Action::Help));
        assert_eq!(p("-v"), Ok(Action::Version));
        assert_eq!(p("--version"), Ok(Action::Version));
        assert_eq!(p("-L -h"), failure(2, "invalid option `-h'"));
    }

    /// The answers Debian's ipvsadm 1.31 gave in a guest.
    #[test]
    fn errors_as_upstream() {
        assert_eq!(p("--foo"), tryhelp_msg());
        assert_eq!(p("-n -L"), tryhelp_msg());
        assert_eq!(p("-nL"), tryhelp_msg());
        assert_eq!(p("--num -L"), tryhelp_msg());
        assert_eq!(p("foo"), tryhelp_msg());
        assert_eq!(p("-L --foo"), popt("--foo: unknown option"));
        assert_eq!(p("-Lq"), popt("-Lq: unknown option"));
        assert_eq!(p("-Ln -t"), popt("-t: missing argument"));
        assert_eq!(
            p("-L --numeric=x"),
            popt("--numeric=x: option does not take an argument")
        );
        assert_eq!(p("-L -n=x"), popt("-n=x: option does not take an argument"));
        assert_eq!(p("-Lnq"), popt("-Lnq: unknown option"));
        assert_eq!(p("-LLq"), failure(2, "invalid option `-LLq'"));
        assert_eq!(p("-L -L"), failure(2, "invalid option `-L'"));
        assert_eq!(p("-L -l"), failure(2, "invalid option `-l'"));
        assert_eq!(
            p("-L -n -n"),
            failure(2, "multiple 'numeric' options specified")
        );
        assert_eq!(
            p("-Lnn"),
            failure(2, "multiple 'numeric' options specified")
        );
        assert_eq!(p("-L foo"), failure(2, "unexpected argument foo"));
        assert_eq!(p("-L -n foo"), failure(2, "unexpected argument foo"));
        assert_eq!(p("-L -- -n"), failure(2, "unexpected argument -n"));
        assert_eq!(
            p("-Ln -f 0"),
            failure(2, "invalid fwmark value `0' specified")
        );
        assert_eq!(
            p("-Ln -tx"),
            failure(2, "illegal virtual server address[:port] specified")
        );
        assert_eq!(
            p("-Ln -t 1.2.3.4:99999"),
            failure(2, "illegal virtual server address[:port] specified")
        );
        assert_eq!(
            p("-L -p"),
            failure(2, "Illegal 'persistent' option with the 'list' command")
        );
        assert_eq!(
            p("-L -p 30"),
            failure(2, "Illegal 'persistent' option with the 'list' command")
        );
        assert_eq!(
            p("-L -s rr"),
            failure(2, "Illegal 'scheduler' option with the 'list' command")
        );
        assert_eq!(
            p("-list"),
            failure(2, "Illegal 'scheduler' option with the 'list' command")
        );
        assert_eq!(
            p("-L -c -t 1.2.3.4:80"),
            failure(
                2,
                "The option 'service-address' conflicts with the 'connection' option in the 'list' command"
            )
        );
        assert_eq!(p("-Ln -6"), failure(2, "-6 used before -f\n"));
        assert_eq!(
            p("-Ln --stats --timeout"),
            failure(2, "options conflicts in the list command")
        );
        assert_eq!(
            p("-Ln -t 1.2.3.4:80 -u 1.2.3.4:53"),
            failure(2, "multiple 'service-address' options specified")
        );
        assert_eq!(
            p("-L -p 0"),
            failure(2, "invalid timeout value `0' specified")
        );
        assert_eq!(
            p("-A -t 1.2.3.4:80 -w x"),
            failure(2, "illegal weight specified")
        );
        assert_eq!(
            p("-a -t 1.2.3.4:80"),
            failure(
                2,
                "You need to supply the 'real-server' option for the 'add-server' command"
            )
        );
        assert_eq!(
            p("--set 1 2"),
            failure(2, "--set option requires 3 timeout values")
        );
        assert_eq!(
            p("--start-daemon foo"),
            failure(2, "illegal start-daemon parameter specified")
        );
        assert_eq!(
            p("-A -t 1.2.3.4:80 -s rr -b sh-port"),
            failure(2, "incompatible scheduler flag `sh-port'")
        );
        assert_eq!(
            p("-A -t 1.2.3.4:80 -b bogus"),
            failure(2, "invalid scheduler flag `bogus'")
        );
    }

    #[test]
    fn other_listings() {
        let list = |req| Ok(Action::List(req));
        assert_eq!(
            p("-L"),
            list(ListRequest {
                numeric: false,
                ..all(Style::Plain)
            })
        );
        assert_eq!(p("-Ln --stats"), list(all(Style::Stats)));
        assert_eq!(p("-Ln --rate"), list(all(Style::Rate)));
        // --stats over --rate over --thresholds.
        assert_eq!(
            p("-Ln --thresholds --rate --stats"),
            list(all(Style::Stats))
        );
        assert_eq!(p("-Ln --thresholds --rate"), list(all(Style::Rate)));
        assert_eq!(
            p("-Ln --stats --exact --nosort"),
            list(ListRequest {
                exact: true,
                nosort: true,
                ..all(Style::Stats)
            })
        );
        assert_eq!(
            p("-Lc"),
            Ok(Action::Connections {
                numeric: false,
                pe: false
            })
        );
        assert_eq!(
            p("-L -n -c --persistent-conn --exact"),
            Ok(Action::Connections {
                numeric: true,
                pe: true
            })
        );
        assert_eq!(p("-L --timeout"), Ok(Action::Timeouts));
        assert_eq!(p("-l --daemon -n"), Ok(Action::Daemons));
        assert_eq!(
            p("-Lc --stats"),
            failure(2, "options conflicts in the list command")
        );
        assert_eq!(
            p("-L --daemon --persistent-conn"),
            failure(2, "options conflicts in the list command")
        );
        assert_eq!(
            p("-L --timeout --daemon"),
            failure(
                2,
                "The option 'daemon' conflicts with the 'timeout' option in the 'list' command"
            )
        );
        assert_eq!(p("-c"), tryhelp_msg());
    }

    #[test]
    fn save_and_restore() {
        assert_eq!(
            p("-S"),
            Ok(Action::List(ListRequest {
                numeric: false,
                ..all(Style::Rule)
            }))
        );
        assert_eq!(p("-Sn"), Ok(Action::List(all(Style::Rule))));
        assert_eq!(p("--save --numeric"), Ok(Action::List(all(Style::Rule))));
        assert_eq!(
            p("-S -t 10.0.0.1:80"),
            failure(
                2,
                "Illegal 'service-address' option with the 'save' command"
            )
        );
        assert_eq!(p("-R"), Ok(Action::Restore));
        assert_eq!(
            p("-R -n"),
            failure(2, "Illegal 'numeric' option with the 'restore' command")
        );
        assert_eq!(p("-R x"), failure(2, "unexpected argument x"));
    }

    #[test]
    fn daemons() {
        let daemon = |line| match p(line) {
            Ok(Action::Change(Change::StartDaemon(d) | Change::StopDaemon(d))) => d,
            other => panic!("{line}: {other:?}"),
        };
        let d = daemon("--start-daemon master");
        assert_eq!(
            (d.state, d.mcast_ifn.as_str(), d.syncid),
            (STATE_MASTER, "eth0", 0)
        );
        let d = daemon(
            "--start-daemon backup --mcast-interface a-very-long-interface --syncid 7 \
             --mcast-group 239.1.2.3 --mcast-port 9000 --mcast-ttl 3 --sync-maxlen 1000",
        );
        assert_eq!(
            (
                d.state,
                d.mcast_ifn.as_str(),
                d.syncid,
                d.mcast_port,
                d.mcast_ttl,
                d.sync_maxlen
            ),
            (STATE_BACKUP, "a-very-long-int", 7, 9000, 3, 1000)
        );
        assert_eq!(d.mcast_group, Some("239.1.2.3".parse().unwrap()));
        assert_eq!(
            daemon("--start-daemon master --mcast-group ff02::1").mcast_group,
            Some("ff02::1".parse().unwrap())
        );
        let d = daemon("--stop-daemon backup --syncid 9");
        assert_eq!(
            (d.state, d.mcast_ifn.as_str(), d.syncid),
            (STATE_BACKUP, "", 9)
        );
        assert_eq!(
            p("--start-daemon master --mcast-group 10.0.0.1"),
            failure(2, "invalid IPv4 mcast-group `10.0.0.1'")
        );
        assert_eq!(
            p("--stop-daemon master --mcast-interface lo"),
            failure(
                2,
                "Illegal 'mcast-interface' option with the 'stop-daemon' command"
            )
        );
        assert_eq!(
            p("--stop-daemon other"),
            failure(2, "illegal start_daemon specified")
        );
    }

    fn svc(line: &str) -> ServiceSpec {
        match p(line) {
            Ok(Action::Change(Change::AddService(svc))) => svc,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn services_to_add() {
        let s = svc("-A -t 1.2.3.4:80");
        assert_eq!((s.sched_name.as_str(), s.flags, s.timeout), ("wlc", 0, 0));
        assert_eq!(
            (s.key.af, s.key.protocol, s.key.addr, s.key.port),
            (AF_INET, IPPROTO_TCP, v4([1, 2, 3, 4]), 80)
        );
        assert_eq!(s.key.netmask, u32::MAX);
        let s = svc("-A -u 1.2.3.4:53 -s rr -p -M 255.255.255.0 -o");
        assert_eq!(
            (s.flags, s.timeout),
            (SVC_F_PERSISTENT | SVC_F_ONEPACKET, 360)
        );
        assert_eq!(s.key.netmask, u32::from_ne_bytes([255, 255, 255, 0]));
        let s = svc("-A -t 1.2.3.4:0 -p 60 -s sh -b sh-port,flag-1 --pe sip");
        assert_eq!(
            (s.flags, s.timeout, s.pe_name.as_str()),
            (SVC_F_PERSISTENT | SVC_F_SCHED1 | SVC_F_SCHED2, 60, "sip")
        );
        let s = svc("-A -f 7 -6 -M 64");
        assert_eq!((s.key.af, s.key.fwmark, s.key.netmask), (AF_INET6, 7, 64));
        assert_eq!(
            p("-A -t 1.2.3.4:0"),
            failure(2, "Zero port specified for non-persistent service")
        );
        assert_eq!(
            p("-A -t 1.2.3.4:80 -o"),
            failure(2, "One-Packet Scheduling is only for UDP virtual services")
        );
    }

    #[test]
    fn servers_to_add() {
        let dest = |line| match p(line) {
            Ok(Action::Change(Change::AddDest(_, d) | Change::EditDest(_, d))) => d,
            other => panic!("{line}: {other:?}"),
        };
        let d = dest("-a -t 1.2.3.4:80 -r 10.0.0.1");
        assert_eq!(
            (d.af, d.addr, d.port, d.conn_flags, d.weight),
            (AF_INET, v4([10, 0, 0, 1]), 80, CONN_F_DROUTE, 1)
        );
        // Direct routing and tunnels take the service's port.
        assert_eq!(dest("-a -t 1.2.3.4:80 -r 10.0.0.1:8080 -g").port, 80);
        let d = dest("-e -t 1.2.3.4:80 -r 10.0.0.1:8080 -m -w 0 -x 10 -y 5");
        assert_eq!(
            (d.port, d.conn_flags, d.weight, d.u_threshold, d.l_threshold),
            (8080, CONN_F_MASQ, 0, 10, 5)
        );
        let d =
            dest("-a -t 1.2.3.4:80 -r 10.0.0.1 -i --tun-type gue --tun-port 6080 --tun-remcsum");
        assert_eq!(
            (d.conn_flags, d.tun_type, d.tun_port, d.tun_flags),
            (CONN_F_TUNNEL, 1, 6080, TUN_F_REMCSUM)
        );
        let d = dest("-a -t 1.2.3.4:80 -r fd00::1 -i");
        assert_eq!(d.af, AF_INET6);
        assert_eq!(
            p("-a -t 1.2.3.4:80 -r fd00::1 -m"),
            failure(
                2,
                "Different address family is allowed only for tunneling servers"
            )
        );
        assert_eq!(
            p("-a -t 1.2.3.4:80 -r 10.0.0.1 -m --tun-csum"),
            failure(2, "Tunnel options conflict with forward method")
        );
        assert_eq!(
            p("-a -t 1.2.3.4:80 -r 10.0.0.1 -i --tun-type gue"),
            failure(
                2,
                "You need to supply the 'tun-port' option for the 'gue' tunnel type"
            )
        );
        assert_eq!(
            p("-a -t 1.2.3.4:80 -r 10.0.0.1 -i --tun-type gre --tun-port 5"),
            failure(2, "Illegal 'tun-port' option with the 'gre' tunnel type")
        );
        assert_eq!(
            p("-a -t 1.2.3.4:80 -r 10.0.0.1 -i --tun-type gue --tun-port 5 --tun-csum --tun-nocsum"),
            failure(2, "The option 'tun-csum' conflicts with the 'tun-nocsum' option in the 'gue' tunnel type")
        );
    }

    #[test]
    fn other_changes() {
        assert_eq!(p("-C"), Ok(Action::Change(Change::Flush)));
        assert_eq!(
            p("--set 900 120 300"),
            Ok(Action::Change(Change::Timeouts([900, 120, 300])))
        );
        assert!(matches!(
            p("-D -t 1.2.3.4:80"),
            Ok(Action::Change(Change::DelService(_)))
        ));
        assert!(matches!(p("-Z"), Ok(Action::Change(Change::Zero(_)))));
        assert!(matches!(
            p("-d -t 1.2.3.4:80 -r 10.0.0.1"),
            Ok(Action::Change(Change::DelDest(..)))
        ));
    }
}
