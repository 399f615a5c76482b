//! ipvsadm: administer the Linux Virtual Server, byte for byte as
//! Debian's ipvsadm 1.31 does, over the "IPVS" generic netlink family.
//!
//! Everything upstream does: listing (`-L`/`-l`, one service or all, with
//! or without `-n`, `--stats`, `--rate`, `--exact`, `--thresholds`,
//! `--persistent-conn`, `--tun-info`, `--nosort`; `-c` for connections,
//! `--timeout`, `--daemon`), changing the table (`-A -E -D -C -Z -a -e -d
//! --set`), sync daemons (`--start-daemon`, `--stop-daemon`), `-S` and
//! `-R`. `--gs` (ours) loads the global server scheduler's routes.
//! Documentation/ipvsadm.md tells what is done and how it is tested.

mod args;
mod change;
mod cli;
mod conn;
mod errors;
mod format;
mod gs;
mod init;
mod list;
mod model;
mod netlink;
mod resolve;
mod restore;
mod save;
mod sort;
mod usage;

use std::io::Write;
use std::process::ExitCode;

use cli::{Action, ListRequest};
use errors::{ipvs_strerror, Op};
use format::{Names, Numeric, Style};
use init::InitError;
use model::Info;
use netlink::Ipvs;
use resolve::SystemNames;

/// Write to stdout or stderr, ignoring failures (a closed pipe) as
/// upstream's printf does.
fn out(text: &str) {
    let _ = std::io::stdout().write_all(text.as_bytes());
}

fn err(text: &str) {
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// How a command line ends, as upstream's `process_options` ends: it
/// returns a status (and within `-R` the next line runs), or the program
/// exits.
enum End {
    Return(u8),
    Exit(u8),
}

/// Names for a listing: numbers with `-n`, the system's without.
fn names(numeric: bool) -> &'static dyn Names {
    if numeric {
        &Numeric
    } else {
        &SystemNames
    }
}

/// A listing of services, its text printed even when it fails half-way;
/// upstream exits with status 1 on a failure.
fn list_services(ipvs: &mut Ipvs, info: &Info, req: &ListRequest) -> End {
    let mut text = String::new();
    let result = list::list(ipvs, info, req, names(req.numeric), &mut text);
    out(&text);
    match result {
        Ok(()) => End::Return(0),
        Err((op, errno)) => {
            err(&format!("{}\n", ipvs_strerror(op, errno)));
            End::Exit(1)
        }
    }
}

/// `-L -c`.
fn list_connections(numeric: bool, pe: bool) -> End {
    let file = std::fs::read(conn::CONN_PROC_FILE).ok();
    let mut text = String::new();
    let result = conn::list(file.as_deref(), pe, names(numeric), &mut text);
    out(&text);
    match result {
        Ok(()) => End::Return(0),
        Err(message) => {
            if !message.is_empty() {
                err(&format!("{message}\n"));
            }
            End::Exit(1)
        }
    }
}

/// `-R`: every line of stdin as a command line of its own, with the
/// status of the last one that returned (upstream's `restore_table`).
fn restore(ipvs: &mut Ipvs, info: &Info, prog: &str) -> End {
    let mut lines = restore::Lines::new(std::io::stdin().lock());
    let mut status = 0;
    while let Some(words) = lines.next_line() {
        if words.is_empty() {
            continue;
        }
        let argv: Vec<String> = std::iter::once(prog.to_string()).chain(words).collect();
        match process(ipvs, info, &argv, true) {
            End::Return(s) => status = s,
            exit => return exit,
        }
    }
    End::Return(status)
}

/// One command line (upstream's `process_options`); `restoring` within
/// `-R`, where a `-R` of its own is refused.
fn process(ipvs: &mut Ipvs, info: &Info, argv: &[String], restoring: bool) -> End {
    let prog = argv.first().map(String::as_str).unwrap_or("ipvsadm");
    let action = match cli::parse(argv) {
        Ok(action) => action,
        Err(failure) => {
            err(&format!("{}\n", failure.message));
            // Upstream exits with -1 (255) or 2, or returns -1.
            return if failure.exits {
                End::Exit(failure.code)
            } else {
                End::Return(failure.code)
            };
        }
    };
    match action {
        Action::Help => {
            out(&usage::usage(prog));
            End::Exit(0)
        }
        Action::Version => {
            out(usage::VERSION);
            End::Exit(0)
        }
        Action::Change(change) => match change::run(ipvs, &change) {
            Ok(()) => End::Return(0),
            Err((op, errno)) => {
                err(&format!("{}\n", ipvs_strerror(op, errno)));
                // process_options returns libipvs' -1.
                End::Return(255)
            }
        },
        Action::List(req) => list_services(ipvs, info, &req),
        Action::Connections { numeric, pe } => list_connections(numeric, pe),
        // Upstream exits silently when these requests fail.
        Action::Timeouts => match ipvs.timeouts() {
            Ok(t) => {
                out(&format::timeouts_line(&t));
                End::Return(0)
            }
            Err(_) => End::Exit(1),
        },
        Action::Daemons => match ipvs.daemons() {
            Ok(daemons) => {
                out(&list::daemons(&daemons));
                End::Return(0)
            }
            Err(_) => End::Exit(1),
        },
        Action::Restore if restoring => {
            err(&format!("{}\n", cli::tryhelp(prog).message));
            End::Exit(255)
        }
        Action::Restore => restore(ipvs, info, prog),
    }
}

fn run(argv: &[String]) -> u8 {
    if argv.get(1).map(String::as_str) == Some("--gs") {
        return match gs::run(&argv[2..]) {
            Ok(text) => {
                out(&text);
                0
            }
            Err((message, code)) => {
                err(&format!("{message}\n"));
                code
            }
        };
    }
    let (mut ipvs, info) = match init::open() {
        Ok(opened) => opened,
        Err(e) => {
            let why = match e {
                InitError::Errno(errno) => ipvs_strerror(Op::Init, errno),
                InitError::SockoptOnly => {
                    "IPVS offers only the socket-option interface, which this ipvsadm does not speak".to_string()
                }
            };
            err(&format!(
                "Can't initialize ipvs: {why}\nAre you sure that IP Virtual Server is built in the kernel or as module?\n"
            ));
            return 2;
        }
    };
    if let Some(warning) = init::version_warning(&info) {
        err(&warning);
    }

    let end = if argv.len() <= 1 {
        // Without arguments upstream lists everything, with names.
        let all = ListRequest {
            service: None,
            style: Style::Plain,
            nosort: false,
            exact: false,
            numeric: false,
        };
        list_services(&mut ipvs, &info, &all)
    } else {
        process(&mut ipvs, &info, argv, false)
    };
    match end {
        End::Return(status) | End::Exit(status) => status,
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    ExitCode::from(run(&argv))
}
