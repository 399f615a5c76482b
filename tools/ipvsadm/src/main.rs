//! ipvsadm: administer the Linux Virtual Server, byte for byte as
//! Debian's ipvsadm 1.31 does, over the "IPVS" generic netlink family.
//!
//! So far it lists (`-L -n`, one service or all, with `--thresholds`,
//! `--persistent-conn`, `--tun-info`, `--nosort`) and changes the table
//! (`-A -E -D -C -Z -a -e -d --set`); every other command line is
//! checked as upstream checks it and then refused with a clear message. `--gs` (ours) loads the global server scheduler's routes.
//! Documentation/ipvsadm.md tells what is done and how it is tested.

mod args;
mod change;
mod cli;
mod errors;
mod format;
mod gs;
mod init;
mod list;
mod model;
mod netlink;
mod resolve;
mod sort;
mod usage;

use std::io::Write;
use std::process::ExitCode;

use cli::Action;
use errors::{ipvs_strerror, Op};
use init::InitError;

/// Write to stdout or stderr, ignoring failures (a closed pipe) as
/// upstream's printf does.
fn out(text: &str) {
    let _ = std::io::stdout().write_all(text.as_bytes());
}

fn err(text: &str) {
    let _ = std::io::stderr().write_all(text.as_bytes());
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

    // Without arguments upstream lists with names resolved.
    let action = if argv.len() <= 1 {
        Ok(Action::Unimplemented(
            "listing with host and service names (use -n)".to_string(),
        ))
    } else {
        cli::parse(argv)
    };
    match action {
        Err(failure) => {
            err(&format!("{}\n", failure.message));
            // Upstream exits with -1 (255) or 2.
            failure.code
        }
        Ok(Action::Help) => {
            out(&usage::usage(
                argv.first().map(String::as_str).unwrap_or("ipvsadm"),
            ));
            0
        }
        Ok(Action::Version) => {
            out(usage::VERSION);
            0
        }
        Ok(Action::Unimplemented(what)) => {
            err(&format!("ipvsadm: {what} is not implemented yet\n"));
            2
        }
        Ok(Action::Change(change)) => match change::run(&mut ipvs, &change) {
            Ok(()) => 0,
            Err((op, errno)) => {
                err(&format!("{}\n", ipvs_strerror(op, errno)));
                // process_options returns libipvs' -1.
                255
            }
        },
        Ok(Action::List(req)) => {
            let mut text = String::new();
            let result = list::list(&mut ipvs, &info, &req, &mut text);
            out(&text);
            match result {
                Ok(()) => 0,
                Err((op, errno)) => {
                    err(&format!("{}\n", ipvs_strerror(op, errno)));
                    1
                }
            }
        }
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    ExitCode::from(run(&argv))
}
