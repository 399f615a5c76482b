//! The command line, the original tcpvsadm's: the first option is the
//! command, the options after it are checked against its table of legal
//! command/option combinations, with its messages ("You need to supply
//! the 'ident' option for the 'add-server' command", "multiple 'weight'
//! options specified", ...) and exit statuses (255 when no command comes
//! first, 2 for the rest).
//!
//! clap splits argv into options (short clusters such as `-Ln`, long
//! options, `--pattern=RE`); the occurrences are then replayed in
//! command-line order, because the order decides what is a command.
//! Every option value is checked here, before anything is sent.

use std::net::{Ipv4Addr, SocketAddrV4};

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, ArgMatches, Command};

use crate::check;
use crate::model::{DestSpec, Rule, ServiceSpec};
use crate::resolve::{self, Names};

/// The commands, in the original's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cmd {
    Add,
    Edit,
    Del,
    Flush,
    List,
    AddDest,
    EditDest,
    DelDest,
    AddRule,
    DelRule,
    Start,
    Stop,
    Load,
}

/// The commands' names in messages (the original's `cmdnames`).
const CMD_NAMES: [&str; 13] = [
    "add-service",
    "edit-service",
    "delete-service",
    "flush",
    "list",
    "add-server",
    "edit-server",
    "delete-server",
    "add-rule",
    "del-rule",
    "start",
    "stop",
    "load-configfile",
];

/// The options, the columns of [`LEGAL`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Opt {
    Numeric,
    Ident,
    Scheduler,
    Port,
    RealServer,
    Weight,
    Pattern,
    Match,
    Listen,
    Status,
}

/// The options' names in messages (the original's `optnames`).
const OPT_NAMES: [&str; 10] = [
    "numeric",
    "ident",
    "scheduler",
    "port",
    "real-server",
    "weight",
    "pattern",
    "match",
    "listen",
    "status",
];

/// The original's `commands_v_options` (with `--status` added, and
/// `-l` legal with `-E` too): per command, per option, '+' compulsory,
/// 'x' illegal, ' ' optional.
const LEGAL: [&[u8; 10]; 13] = [
    //  n i s P r w p m l status
    /* ADD      */ b"x+  xxxx x",
    /* EDIT     */ b"x+  xxxx x",
    /* DEL      */ b"x+xxxxxxxx",
    /* FLUSH    */ b"xxxxxxxxxx",
    /* LIST     */ b"  xxxxxxx ",
    /* ADDSRV   */ b"x+xx+ xxxx",
    /* EDITSRV  */ b"x+xx+ xxxx",
    /* DELSRV   */ b"x+xx+xxxxx",
    /* ADDRULE  */ b"x+xx+x+ xx",
    /* DELRULE  */ b"x+xx+x+xxx",
    /* START    */ b"x xxxxxxxx",
    /* STOP     */ b"x xxxxxxxx",
    /* LOAD     */ b"xxxxxxxxxx",
];

/// What an option of argv is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Command(Cmd),
    Option(Opt),
    Help,
    Version,
}

/// One entry of the option table.
struct Spec {
    long: &'static str,
    short: Option<char>,
    /// Takes a value.
    value: bool,
    kind: Kind,
}

const fn spec(long: &'static str, short: Option<char>, value: bool, kind: Kind) -> Spec {
    Spec {
        long,
        short,
        value,
        kind,
    }
}

use Kind::{Command as C, Help, Option as O, Version};

const SPECS: &[Spec] = &[
    spec("add-service", Some('A'), false, C(Cmd::Add)),
    spec("edit-service", Some('E'), false, C(Cmd::Edit)),
    spec("delete-service", Some('D'), false, C(Cmd::Del)),
    spec("flush", Some('F'), false, C(Cmd::Flush)),
    spec("list", Some('L'), false, C(Cmd::List)),
    spec("add-server", Some('a'), false, C(Cmd::AddDest)),
    spec("edit-server", Some('e'), false, C(Cmd::EditDest)),
    spec("delete-server", Some('d'), false, C(Cmd::DelDest)),
    spec("add-rule", None, false, C(Cmd::AddRule)),
    spec("del-rule", None, false, C(Cmd::DelRule)),
    spec("start", None, false, C(Cmd::Start)),
    spec("stop", None, false, C(Cmd::Stop)),
    spec("load-configfile", Some('f'), true, C(Cmd::Load)),
    spec("help", Some('h'), false, Help),
    spec("version", Some('v'), false, Version),
    spec("ident", Some('i'), true, O(Opt::Ident)),
    spec("scheduler", Some('s'), true, O(Opt::Scheduler)),
    spec("port", Some('P'), true, O(Opt::Port)),
    spec("listen", Some('l'), true, O(Opt::Listen)),
    spec("real-server", Some('r'), true, O(Opt::RealServer)),
    spec("weight", Some('w'), true, O(Opt::Weight)),
    spec("pattern", Some('p'), true, O(Opt::Pattern)),
    spec("match", Some('m'), true, O(Opt::Match)),
    spec("numeric", Some('n'), false, O(Opt::Numeric)),
    spec("status", None, false, O(Opt::Status)),
];

/// Another long name for `--load-configfile`.
const LOAD_ALIAS: &str = "load-config";

/// The clap id of the words that are not options.
const ARGS: &str = "args";

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Help,
    Version,
    /// `-L`: every service (with the version line), or the one named.
    List {
        ident: Option<String>,
        numeric: bool,
        status: bool,
    },
    /// `-f FILE` ("-": stdin).
    Load(String),
    Change(Change),
}

/// A command that changes the table: one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    AddService(ServiceSpec),
    EditService(ServiceSpec),
    DelService(String),
    Flush,
    AddDest(String, DestSpec),
    EditDest(String, DestSpec),
    DelDest(String, SocketAddrV4),
    AddRule(String, Rule),
    DelRule(String, Rule),
    /// `--start`, `--stop`: one service, or all.
    Start(Option<String>),
    Stop(Option<String>),
}

/// A refused command line: the message (without the program name) and
/// the exit status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    pub code: u8,
}

/// The original's `fail(2, ...)`.
fn fail(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        code: 2,
    }
}

/// The original's `tryhelp_exit(-1)`, with the reason first.
fn tryhelp(why: &str) -> Failure {
    Failure {
        message: format!("{why}\nTry `tcpvsadm -h' or 'tcpvsadm --help' for more information."),
        code: 255,
    }
}

/// The option table as clap's.
fn command() -> Command {
    let mut cmd = Command::new("tcpvsadm")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(Arg::new(ARGS).num_args(0..).action(ArgAction::Append));
    for s in SPECS {
        let mut arg = Arg::new(s.long).long(s.long).action(ArgAction::Append);
        if let Some(c) = s.short {
            arg = arg.short(c);
        }
        if s.kind == C(Cmd::Load) {
            arg = arg.alias(LOAD_ALIAS);
        }
        // Append, not SetTrue: every occurrence keeps its own index. A
        // value is the next word whatever it looks like, as getopt takes
        // it (a pattern may start with '-').
        arg = if s.value {
            arg.num_args(1).allow_hyphen_values(true)
        } else {
            arg.num_args(0).default_missing_value("")
        };
        cmd = cmd.arg(arg);
    }
    cmd
}

/// One option occurrence.
struct Event {
    index: usize,
    spec: &'static Spec,
    value: String,
}

/// The option occurrences, in command-line order.
fn events(m: &ArgMatches) -> Vec<Event> {
    let mut out = Vec::new();
    for s in SPECS {
        let (Some(indices), Some(values)) = (m.indices_of(s.long), m.get_many::<String>(s.long))
        else {
            continue;
        };
        for (index, value) in indices.zip(values) {
            out.push(Event {
                index,
                spec: s,
                value: value.clone(),
            });
        }
    }
    out.sort_by_key(|e| e.index);
    out
}

/// How an option is written, for messages.
fn shown(s: &Spec) -> String {
    match s.short {
        Some(c) => format!("-{c}/--{}", s.long),
        None => format!("--{}", s.long),
    }
}

/// clap's refusal in the original's terms.
fn clap_failure(err: &clap::Error) -> Failure {
    let arg = match err.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => s.split(' ').next().unwrap_or("").to_string(),
        _ => String::new(),
    };
    // clap names a known option by its long name.
    let known = SPECS
        .iter()
        .find(|s| arg.strip_prefix("--") == Some(s.long))
        .map_or_else(|| arg.clone(), shown);
    match err.kind() {
        ErrorKind::UnknownArgument => fail(format!("unknown option '{arg}'")),
        ErrorKind::InvalidValue | ErrorKind::WrongNumberOfValues => {
            fail(format!("option {known} needs a value"))
        }
        ErrorKind::TooManyValues => fail(format!("option {known} takes no value")),
        _ => {
            let text = err.to_string();
            let first = text.lines().next().unwrap_or("bad command line");
            fail(first.trim_start_matches("error: ").to_string())
        }
    }
}

/// What the options after the command said.
#[derive(Default)]
struct Given {
    set: [bool; OPT_NAMES.len()],
    ident: String,
    sched: Option<String>,
    port: Option<u16>,
    listen: Option<(Ipv4Addr, Option<u16>)>,
    server: Option<SocketAddrV4>,
    weight: Option<u32>,
    pattern: String,
    match_num: Option<u32>,
}

impl Given {
    fn has(&self, o: Opt) -> bool {
        self.set[o as usize]
    }

    /// One option (the original's second `getopt` loop).
    fn apply(&mut self, o: Opt, v: &str, names: &dyn Names) -> Result<(), Failure> {
        if std::mem::replace(&mut self.set[o as usize], true) {
            return Err(fail(format!(
                "multiple '{}' options specified",
                OPT_NAMES[o as usize]
            )));
        }
        match o {
            Opt::Ident => {
                check::ident(v).map_err(fail)?;
                self.ident = v.to_string();
            }
            Opt::Scheduler => {
                check::sched(v).map_err(fail)?;
                self.sched = Some(v.to_string());
            }
            Opt::Port => {
                let port = resolve::number(v, 1, 65535)
                    .ok_or_else(|| fail(format!("illegal port \"{v}\" specified (1 to 65535)")))?;
                self.port = Some(port as u16);
            }
            Opt::Listen => {
                let l = resolve::addr_port(v, names)
                    .map_err(|e| fail(format!("illegal listen address: {e}")))?;
                self.listen = Some(l);
            }
            Opt::RealServer => {
                let s = resolve::server(v, names)
                    .map_err(|e| fail(format!("illegal real server address: {e}")))?;
                self.server = Some(s);
            }
            Opt::Weight => {
                let w = resolve::number(v, 0, check::WEIGHT_MAX).ok_or_else(|| {
                    fail(format!(
                        "illegal weight \"{v}\" specified (0 to {})",
                        check::WEIGHT_MAX
                    ))
                })?;
                self.weight = Some(w);
            }
            Opt::Pattern => self.pattern = v.to_string(),
            Opt::Match => {
                let n = resolve::number(v, 0, check::MATCH_MAX).ok_or_else(|| {
                    fail(format!(
                        "illegal match number \"{v}\" specified (0 to {})",
                        check::MATCH_MAX
                    ))
                })?;
                self.match_num = Some(n);
            }
            Opt::Numeric | Opt::Status => {}
        }
        Ok(())
    }

    /// The service of `-A` (`new`) or `-E`.
    fn service(&self, new: bool) -> Result<ServiceSpec, Failure> {
        let (addr, listen_port) = match self.listen {
            Some((addr, port)) => (Some(addr), port),
            None => (None, None),
        };
        if self.port.is_some() && listen_port.is_some() {
            return Err(fail(
                "The option 'port' conflicts with the port of the 'listen' option",
            ));
        }
        let mut spec = ServiceSpec {
            ident: self.ident.clone(),
            sched: self.sched.clone(),
            addr,
            port: self.port.or(listen_port),
            pool: Default::default(),
        };
        if new {
            check::new_ident(&spec.ident).map_err(fail)?;
            let default = crate::model::DEFAULT_LISTEN;
            spec.addr = spec.addr.or(Some(*default.ip()));
            spec.port = spec.port.or(Some(default.port()));
        } else if spec.sched.is_none() && spec.addr.is_none() && spec.port.is_none() {
            return Err(fail(
                "Nothing to change: give -s, -l or -P with the 'edit-service' command",
            ));
        }
        Ok(spec)
    }

    /// `-r`, which the option table made compulsory where this is asked.
    fn server(&self) -> SocketAddrV4 {
        self.server.expect("opt_check: -r is compulsory here")
    }

    /// The real server of `-a` (`new`: weight 1 unless given), `-e`.
    fn dest(&self, new: bool) -> DestSpec {
        DestSpec {
            server: self.server(),
            weight: if new {
                Some(self.weight.unwrap_or(1))
            } else {
                self.weight
            },
        }
    }

    /// The rule of `--add-rule`, `--del-rule`.
    fn rule(&self) -> Result<Rule, Failure> {
        let rule = Rule {
            pattern: self.pattern.clone(),
            server: self.server(),
            match_num: self.match_num.unwrap_or(0),
        };
        check::pattern(&rule.pattern, rule.match_num).map_err(fail)?;
        Ok(rule)
    }
}

/// The original's `generic_opt_check`.
fn opt_check(cmd: Cmd, given: &Given) -> Result<(), Failure> {
    let row = LEGAL[cmd as usize];
    let name = CMD_NAMES[cmd as usize];
    for (j, &rule) in row.iter().enumerate() {
        match (given.set[j], rule) {
            (false, b'+') => {
                return Err(fail(format!(
                    "You need to supply the '{}' option for the '{name}' command",
                    OPT_NAMES[j]
                )))
            }
            (true, b'x') => {
                return Err(fail(format!(
                    "Illegal '{}' option with the '{name}' command",
                    OPT_NAMES[j]
                )))
            }
            _ => {}
        }
    }
    Ok(())
}

/// `-l` as the first word is `-L` (ipvsadm's habit): in command
/// position `--listen` means nothing, and the original refused it there.
fn list_alias(argv: &[String]) -> Vec<String> {
    let mut out = argv.to_vec();
    if let Some(first) = out.get_mut(1) {
        if let Some(rest) = first.strip_prefix("-l") {
            *first = format!("-L{rest}");
        }
    }
    out
}

/// Read a command line (argv with the program name first). `names`
/// resolves host and service names in addresses.
pub fn parse(argv: &[String], names: &dyn Names) -> Result<Action, Failure> {
    let argv = list_alias(argv);
    let m = command()
        .try_get_matches_from(&argv)
        .map_err(|e| clap_failure(&e))?;
    let events = events(&m);
    let Some((first, rest)) = events.split_first() else {
        return Err(tryhelp("no command given"));
    };
    let cmd = match first.spec.kind {
        C(cmd) => cmd,
        Help => return Ok(Action::Help),
        Version => return Ok(Action::Version),
        O(_) => {
            return Err(tryhelp(&format!(
                "the first option must be a command, not {}",
                shown(first.spec)
            )))
        }
    };
    let mut given = Given::default();
    for e in rest {
        match e.spec.kind {
            O(o) => given.apply(o, &e.value, names)?,
            C(_) => return Err(fail("multiple commands specified")),
            Help | Version => {
                return Err(fail(format!("{} cannot follow a command", shown(e.spec))))
            }
        }
    }
    if let Some(words) = m.get_many::<String>(ARGS) {
        let words: Vec<&str> = words.map(String::as_str).collect();
        return Err(fail(format!(
            "unknown arguments found in command line: {}",
            words.join(" ")
        )));
    }
    opt_check(cmd, &given)?;

    let ident = given.ident.clone();
    let some_ident = given.has(Opt::Ident).then(|| ident.clone());
    let change = match cmd {
        Cmd::List => {
            return Ok(Action::List {
                ident: some_ident,
                numeric: given.has(Opt::Numeric),
                status: given.has(Opt::Status),
            })
        }
        Cmd::Load => return Ok(Action::Load(first.value.clone())),
        Cmd::Add => Change::AddService(given.service(true)?),
        Cmd::Edit => Change::EditService(given.service(false)?),
        Cmd::Del => Change::DelService(ident),
        Cmd::Flush => Change::Flush,
        Cmd::AddDest => Change::AddDest(ident, given.dest(true)),
        Cmd::EditDest => Change::EditDest(ident, given.dest(false)),
        Cmd::DelDest => Change::DelDest(ident, given.server()),
        Cmd::AddRule => Change::AddRule(ident, given.rule()?),
        Cmd::DelRule => Change::DelRule(ident, given.rule()?),
        Cmd::Start => Change::Start(some_ident),
        Cmd::Stop => Change::Stop(some_ident),
    };
    Ok(Action::Change(change))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Pool, DEFAULT_LISTEN};
    use crate::resolve::{tests::Fake, Numeric};

    fn run(line: &str) -> Result<Action, Failure> {
        let argv: Vec<String> = std::iter::once("tcpvsadm")
            .chain(line.split_whitespace())
            .map(String::from)
            .collect();
        parse(&argv, &Fake)
    }

    fn change(c: Change) -> Result<Action, Failure> {
        Ok(Action::Change(c))
    }

    fn err(line: &str) -> (String, u8) {
        let f = run(line).unwrap_err();
        (f.message, f.code)
    }

    fn sa(a: [u8; 4], port: u16) -> SocketAddrV4 {
        SocketAddrV4::new(Ipv4Addr::from(a), port)
    }

    fn svc(ident: &str) -> ServiceSpec {
        ServiceSpec {
            ident: ident.into(),
            ..Default::default()
        }
    }

    #[test]
    fn services() {
        assert_eq!(
            run("-A -i web -s http -P 80"),
            change(Change::AddService(ServiceSpec {
                sched: Some("http".into()),
                addr: Some(Ipv4Addr::UNSPECIFIED),
                port: Some(80),
                ..svc("web")
            }))
        );
        assert_eq!(
            run("--add-service --ident=web"),
            change(Change::AddService(ServiceSpec {
                addr: Some(*DEFAULT_LISTEN.ip()),
                port: Some(DEFAULT_LISTEN.port()),
                ..svc("web")
            }))
        );
        assert_eq!(
            run("-A -i web -l www:http"),
            change(Change::AddService(ServiceSpec {
                addr: Some(Ipv4Addr::new(10, 0, 0, 1)),
                port: Some(80),
                pool: Pool::default(),
                ..svc("web")
            }))
        );
        assert_eq!(
            run("-A -i web -l 10.0.0.5 -P 81"),
            change(Change::AddService(ServiceSpec {
                addr: Some(Ipv4Addr::new(10, 0, 0, 5)),
                port: Some(81),
                ..svc("web")
            }))
        );
        assert_eq!(
            run("-E -i web -s wlc"),
            change(Change::EditService(ServiceSpec {
                sched: Some("wlc".into()),
                ..svc("web")
            }))
        );
        assert_eq!(
            run("-E -i web -l 10.0.0.5:82"),
            change(Change::EditService(ServiceSpec {
                addr: Some(Ipv4Addr::new(10, 0, 0, 5)),
                port: Some(82),
                ..svc("web")
            }))
        );
        assert_eq!(run("-D -i web"), change(Change::DelService("web".into())));
        assert_eq!(
            run("--delete-service -i web"),
            change(Change::DelService("web".into()))
        );
        assert_eq!(run("-F"), change(Change::Flush));
        assert_eq!(run("--flush"), change(Change::Flush));
    }

    #[test]
    fn servers_and_rules() {
        let d = |w| DestSpec {
            server: sa([192, 168, 10, 1], 80),
            weight: Some(w),
        };
        assert_eq!(
            run("-a -i web -r 192.168.10.1:80"),
            change(Change::AddDest("web".into(), d(1)))
        );
        assert_eq!(
            run("-a -i web -r 192.168.10.1:80 -w 2147483647"),
            change(Change::AddDest("web".into(), d(2147483647)))
        );
        assert_eq!(
            run("-e -i web -r 192.168.10.1:80 -w 0"),
            change(Change::EditDest("web".into(), d(0)))
        );
        assert_eq!(
            run("-e -i web -r 192.168.10.1:80"),
            change(Change::EditDest(
                "web".into(),
                DestSpec {
                    weight: None,
                    ..d(1)
                }
            ))
        );
        assert_eq!(
            run("-d -i web -r 192.168.10.1:80"),
            change(Change::DelDest("web".into(), d(1).server))
        );
        let rule = |p: &str, m| Rule {
            pattern: p.into(),
            server: sa([192, 168, 10, 1], 80),
            match_num: m,
        };
        assert_eq!(
            run("--add-rule -i web --pattern=^/cgi-bin/ -r 192.168.10.1:80"),
            change(Change::AddRule("web".into(), rule("^/cgi-bin/", 0)))
        );
        assert_eq!(
            run("--add-rule -i web -p ^/u/([a-z]+)/ -r 192.168.10.1:80 -m 1"),
            change(Change::AddRule("web".into(), rule("^/u/([a-z]+)/", 1)))
        );
        assert_eq!(
            run("--add-rule -i web -p -x- -r 192.168.10.1:80"),
            change(Change::AddRule("web".into(), rule("-x-", 0)))
        );
        assert_eq!(
            run("--del-rule -i web -p .* -r 192.168.10.1:80"),
            change(Change::DelRule("web".into(), rule(".*", 0)))
        );
    }

    #[test]
    fn listing_and_the_rest() {
        let list = |ident: Option<&str>, numeric, status| {
            Ok(Action::List {
                ident: ident.map(String::from),
                numeric,
                status,
            })
        };
        assert_eq!(run("-L"), list(None, false, false));
        assert_eq!(run("-Ln"), list(None, true, false));
        assert_eq!(run("-l"), list(None, false, false));
        assert_eq!(run("-ln -i web"), list(Some("web"), true, false));
        assert_eq!(run("--list --numeric --status"), list(None, true, true));
        assert_eq!(run("--start"), change(Change::Start(None)));
        assert_eq!(
            run("--stop -i web"),
            change(Change::Stop(Some("web".into())))
        );
        assert_eq!(run("-f web.conf"), Ok(Action::Load("web.conf".into())));
        assert_eq!(run("-f -"), Ok(Action::Load("-".into())));
        assert_eq!(run("--load-config=x"), Ok(Action::Load("x".into())));
        assert_eq!(run("--load-configfile x"), Ok(Action::Load("x".into())));
        assert_eq!(run("-h"), Ok(Action::Help));
        assert_eq!(run("--help"), Ok(Action::Help));
        assert_eq!(run("-v"), Ok(Action::Version));
        assert_eq!(run("--version -i x"), Ok(Action::Version));
    }

    #[test]
    fn refusals() {
        let cases: &[(&str, &str, u8)] = &[
            ("", "no command given\nTry `tcpvsadm -h' or 'tcpvsadm --help' for more information.", 255),
            ("-i web -A", "the first option must be a command, not -i/--ident\nTry `tcpvsadm -h' or 'tcpvsadm --help' for more information.", 255),
            ("-A", "You need to supply the 'ident' option for the 'add-service' command", 2),
            ("-a -i web", "You need to supply the 'real-server' option for the 'add-server' command", 2),
            ("--add-rule -i web -r 1.2.3.4:80", "You need to supply the 'pattern' option for the 'add-rule' command", 2),
            ("-A -i web -w 1", "Illegal 'weight' option with the 'add-service' command", 2),
            ("-d -i web -r 1.2.3.4:80 -w 1", "Illegal 'weight' option with the 'delete-server' command", 2),
            ("--del-rule -i web -p x -r 1.2.3.4:80 -m 1", "Illegal 'match' option with the 'del-rule' command", 2),
            ("-L -s wlc", "Illegal 'scheduler' option with the 'list' command", 2),
            ("-F -i web", "Illegal 'ident' option with the 'flush' command", 2),
            ("-A -i web --status", "Illegal 'status' option with the 'add-service' command", 2),
            ("-A -i web -i web2", "multiple 'ident' options specified", 2),
            ("-A -i web -E", "multiple commands specified", 2),
            ("-L -h", "-h/--help cannot follow a command", 2),
            ("-L extra words", "unknown arguments found in command line: extra words", 2),
            ("-L --foo", "unknown option '--foo'", 2),
            ("-L -q", "unknown option '-q'", 2),
            ("-A -i", "option -i/--ident needs a value", 2),
            ("-A --ident", "option -i/--ident needs a value", 2),
            ("-L --numeric=x", "option -n/--numeric takes no value", 2),
            ("-A -i web -P 0", "illegal port \"0\" specified (1 to 65535)", 2),
            ("-A -i web -P 65536", "illegal port \"65536\" specified (1 to 65535)", 2),
            ("-A -i web -l 1.2.3.4:0", "illegal listen address: bad port \"0\" (a number from 1 to 65535, or a service name)", 2),
            ("-A -i web -l 1.2.3.4:80 -P 80", "The option 'port' conflicts with the port of the 'listen' option", 2),
            ("-A -i web -l nosuchhost", "illegal listen address: \"nosuchhost\" is not an IPv4 address or a known host name", 2),
            ("-A -i web -s averyveryverylongname", "scheduler name \"averyveryverylongname\" is longer than 15 bytes", 2),
            ("-A -i a/b", "ident \"a/b\" may hold only letters, digits, '_', '-' and '.'", 2),
            ("-E -i web", "Nothing to change: give -s, -l or -P with the 'edit-service' command", 2),
            ("-a -i web -r 1.2.3.4", "illegal real server address: \"1.2.3.4\" has no port (ADDRESS:PORT needed)", 2),
            ("-a -i web -r 1.2.3.4:99999", "illegal real server address: bad port \"99999\" (a number from 1 to 65535, or a service name)", 2),
            ("-a -i web -r 1.2.3.999:80", "illegal real server address: \"1.2.3.999\" is not an IPv4 address or a known host name", 2),
            ("-a -i web -r 1.2.3.4:80 -w -1", "illegal weight \"-1\" specified (0 to 2147483647)", 2),
            ("-a -i web -r 1.2.3.4:80 -w 2147483648", "illegal weight \"2147483648\" specified (0 to 2147483647)", 2),
            ("-a -i web -r 1.2.3.4:80 -w x", "illegal weight \"x\" specified (0 to 2147483647)", 2),
            ("--add-rule -i web -p ( -r 1.2.3.4:80", "bad pattern \"(\": unbalanced parenthesis", 2),
            ("--add-rule -i web -p x -r 1.2.3.4:80 -m 10", "illegal match number \"10\" specified (0 to 9)", 2),
            ("--add-rule -i web -p x -r 1.2.3.4:80 -m 1", "match 1: the pattern \"x\" has 0 group(s)", 2),
        ];
        for &(line, message, code) in cases {
            assert_eq!(err(line), (message.to_string(), code), "{line}");
        }
        let long = "i".repeat(32);
        assert_eq!(
            err(&format!("-D -i {long}")),
            (format!("ident \"{long}\" is longer than 31 bytes"), 2)
        );
        let pattern = "p".repeat(256);
        assert_eq!(
            err(&format!("--add-rule -i web -p {pattern} -r 1.2.3.4:80")),
            ("pattern is longer than 255 bytes".to_string(), 2)
        );
        // Names are looked up only through the resolver given.
        assert!(parse(
            &[
                "tcpvsadm".into(),
                "-a".into(),
                "-i".into(),
                "w".into(),
                "-r".into(),
                "www:80".into()
            ],
            &Numeric
        )
        .is_err());
    }
}
