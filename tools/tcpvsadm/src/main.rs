//! tcpvsadm: administer KTCPVS, the in-kernel layer-7 content switch
//! (`lvs_ktcpvs`), over the "TCPVS" generic netlink family, with the
//! original tcpvsadm's command line, config file and listing.
//!
//! Exit statuses: 0 done; 1 the kernel refused, or a config file could
//! not be read or parsed; 2 a bad command line, or no TCPVS family; 255
//! no command first (the original's `tryhelp_exit(-1)`).
//! Documentation/tcpvsadm.md has the whole reference.

mod check;
mod cli;
mod config;
mod errors;
mod list;
mod model;
mod netlink;
mod resolve;
mod usage;

use std::io::{Read, Write};
use std::process::{Command, ExitCode};

use cli::{Action, Change};
use errors::{message, Error, Op};
use lvs_logic::tcpvs_proto::cmd;
use model::Virtual;
use netlink::Tcpvs;
use resolve::{Names, Numeric, System};

/// Write to stdout, ignoring failures (a closed pipe).
fn out(text: &str) {
    let _ = std::io::stdout().write_all(text.as_bytes());
}

/// An error line on stderr, with the program's name.
fn complain(text: &str) {
    let _ = writeln!(std::io::stderr(), "tcpvsadm: {text}");
}

/// The kernel's refusal of `op`, and the status for it.
fn refused(op: Op, e: Error) -> u8 {
    complain(&message(op, e));
    1
}

/// The family, loading the module once if it is not there (as the
/// original ran modprobe for its module).
fn connect() -> Result<Tcpvs, Error> {
    Tcpvs::connect().or_else(|first| {
        let absent = first == Error::Errno(libc::ENOENT);
        let loaded = absent
            && Command::new("/sbin/modprobe")
                .args(["-q", "--", "lvs_ktcpvs"])
                .status()
                .is_ok_and(|s| s.success());
        if loaded {
            Tcpvs::connect()
        } else {
            Err(first)
        }
    })
}

/// A service with its real servers and rules.
fn fetch(t: &mut Tcpvs, service: model::Service) -> Result<Virtual, (Op, Error)> {
    let dests = t.dests(&service.ident).map_err(|e| (Op::GetDest, e))?;
    let rules = t.rules(&service.ident).map_err(|e| (Op::GetRule, e))?;
    Ok(Virtual {
        service,
        dests,
        rules,
    })
}

/// `-L`: every service after the version line, or the one named. Each
/// service is printed as it comes, so a failure keeps what came before.
fn list(t: &mut Tcpvs, ident: Option<&str>, names: &dyn Names, status: bool) -> u8 {
    let services = match t.services(ident) {
        Ok(s) => s,
        Err(e) => return refused(Op::GetService, e),
    };
    if ident.is_none() {
        out(&list::header(t.version));
    } else if services.is_empty() {
        // A dump for a service that is not there may end empty rather
        // than with the kernel's error.
        return refused(Op::GetService, Error::Errno(libc::ESRCH));
    }
    for service in services {
        match fetch(t, service) {
            Ok(v) => out(&list::service(&v, names, status)),
            Err((op, e)) => return refused(op, e),
        }
    }
    0
}

/// `-f`'s file, read and parsed whole before anything is sent (so a
/// mistake changes nothing, and is found without the module too): its
/// name for messages and its blocks, or the status to exit with.
fn read_config(path: &str) -> Result<(&str, Vec<config::Block>), u8> {
    let (shown, read) = if path == "-" {
        let mut text = String::new();
        (
            "stdin",
            std::io::stdin().read_to_string(&mut text).map(|_| text),
        )
    } else {
        (path, std::fs::read_to_string(path))
    };
    let text = read.map_err(|e| {
        complain(&format!("cannot read {shown}: {}", errors::io_message(&e)));
        1
    })?;
    let blocks = config::parse(&text, &System).map_err(|e| {
        complain(&format!("{shown}:{}: {}", e.line, e.message));
        1
    })?;
    Ok((shown, blocks))
}

/// `-f`: the table flushed (as the original's manual says), then every
/// block sent: the service, its real servers, its rules. A refusal names
/// the line it came from.
fn load(t: &mut Tcpvs, shown: &str, blocks: &[config::Block]) -> u8 {
    if let Err(e) = t.flush() {
        return refused(Op::Flush, e);
    }
    let at = |line: usize, op: Op, e: Error| {
        complain(&format!("{shown}:{line}: {}", message(op, e)));
        1
    };
    for b in blocks {
        let ident = &b.spec.ident;
        if let Err(e) = t.add_service(&b.spec) {
            return at(b.line, Op::AddService, e);
        }
        for d in &b.dests {
            if let Err(e) = t.add_dest(ident, &d.item) {
                return at(d.line, Op::AddDest, e);
            }
        }
        for r in &b.rules {
            if let Err(e) = t.add_rule(ident, &r.item) {
                return at(r.line, Op::AddRule, e);
            }
        }
    }
    0
}

/// One command that changes the table.
fn change(t: &mut Tcpvs, c: &Change) -> Result<(), (Op, Error)> {
    let with = |op: Op| move |e: Error| (op, e);
    match c {
        Change::AddService(s) => t.add_service(s).map_err(with(Op::AddService)),
        Change::EditService(s) => t.edit_service(s).map_err(with(Op::EditService {
            sched: s.sched.is_some(),
        })),
        Change::DelService(ident) => t.del_service(ident).map_err(with(Op::DelService)),
        Change::Flush => t.flush().map_err(with(Op::Flush)),
        Change::AddDest(ident, d) => t.add_dest(ident, d).map_err(with(Op::AddDest)),
        Change::EditDest(ident, d) => t.edit_dest(ident, d).map_err(with(Op::EditDest)),
        Change::DelDest(ident, server) => t.del_dest(ident, *server).map_err(with(Op::DelDest)),
        Change::AddRule(ident, r) => t.add_rule(ident, r).map_err(with(Op::AddRule)),
        Change::DelRule(ident, r) => t.del_rule(ident, r).map_err(with(Op::DelRule)),
        Change::Start(ident) => t
            .start_stop(cmd::START, ident.as_deref())
            .map_err(with(Op::Start)),
        Change::Stop(ident) => t
            .start_stop(cmd::STOP, ident.as_deref())
            .map_err(with(Op::Stop)),
    }
}

/// `job` on the family, or status 2 when it cannot be reached (the
/// original's `fail(2, ...)` when its module would not load).
fn with_tcpvs(job: impl FnOnce(&mut Tcpvs) -> u8) -> u8 {
    match connect() {
        Ok(mut t) => job(&mut t),
        Err(e) => {
            complain(&message(Op::Connect, e));
            2
        }
    }
}

fn run(argv: &[String]) -> u8 {
    // Without arguments the original lists the table, with names.
    let action = if argv.len() <= 1 {
        Action::List {
            ident: None,
            numeric: false,
            status: false,
        }
    } else {
        match cli::parse(argv, &System) {
            Ok(action) => action,
            Err(f) => {
                complain(&f.message);
                return f.code;
            }
        }
    };
    match action {
        Action::Help => {
            out(&usage::usage());
            0
        }
        Action::Version => {
            out(&usage::version());
            0
        }
        Action::List {
            ident,
            numeric,
            status,
        } => {
            let names: &dyn Names = if numeric { &Numeric } else { &System };
            with_tcpvs(|t| list(t, ident.as_deref(), names, status))
        }
        Action::Load(path) => match read_config(&path) {
            Ok((shown, blocks)) => with_tcpvs(|t| load(t, shown, &blocks)),
            Err(status) => status,
        },
        Action::Change(c) => with_tcpvs(|t| match change(t, &c) {
            Ok(()) => 0,
            Err((op, e)) => refused(op, e),
        }),
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    ExitCode::from(run(&argv))
}
