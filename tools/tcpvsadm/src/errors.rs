//! Why a request failed, in words: one table from (operation, errno) to
//! a message, as the original's `tcpvs_strerror` has (its wording kept
//! where it had one), then errno-only entries, then the C library's
//! `strerror`.
//!
//! The kernel's conventions it reads, those of the original KTCPVS and
//! of IPVS: ESRCH for a service that does not exist, ENOENT for a
//! scheduler, real server or rule that does not exist, EEXIST for one
//! that already does. ENOENT where no scheduler, server or rule is
//! involved is taken as a missing service too.

use std::io;

/// What went wrong talking to the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The kernel's refusal, or the socket's failure: an errno, positive.
    Errno(i32),
    /// A reply without an attribute the protocol promises, or a short
    /// one: a module of another protocol version.
    BadReply,
}

/// The request that failed, for the messages that depend on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Resolving the "TCPVS" family.
    Connect,
    AddService,
    /// `sched`: the request named a scheduler, which ENOENT may be about.
    EditService {
        sched: bool,
    },
    DelService,
    GetService,
    Flush,
    AddDest,
    EditDest,
    DelDest,
    GetDest,
    AddRule,
    DelRule,
    GetRule,
    Start,
    Stop,
}

/// `strerror`, without Rust's " (os error N)" suffix.
fn strerror(errno: i32) -> String {
    let text = io::Error::from_raw_os_error(errno).to_string();
    match text.strip_suffix(&format!(" (os error {errno})")) {
        Some(plain) => plain.to_string(),
        None => text,
    }
}

/// An I/O error in the same words (`strerror` when it has an errno).
pub fn io_message(e: &io::Error) -> String {
    e.raw_os_error()
        .map(strerror)
        .unwrap_or_else(|| e.to_string())
}

/// The message for `err` in `op`.
pub fn message(op: Op, err: Error) -> String {
    use libc::{EBUSY, EEXIST, EINVAL, ENOENT, ENOMEM, ENOPROTOOPT, EPERM, ESRCH};
    use Op::*;

    let errno = match err {
        Error::Errno(errno) => errno,
        Error::BadReply => {
            return "Malformed reply from the kernel: is lvs_ktcpvs of this tcpvsadm's version?"
                .to_string()
        }
    };
    let text = match (op, errno) {
        (Connect, ENOENT | ENOPROTOOPT) => {
            "Protocol not available: is the lvs_ktcpvs module loaded?"
        }
        (AddService, EEXIST) => "Service already exists",
        (AddService | EditService { sched: true }, ENOENT) => "Scheduler not found",
        // Everything else of a service request is checked before it is
        // sent; the module's pool limits are its own.
        (AddService | EditService { .. }, EINVAL) => {
            "Invalid argument (thread pool sizes out of the module's range?)"
        }
        (EditService { .. } | DelService | Flush, EBUSY) => "Service is running: stop it first",
        (AddDest, EEXIST) => "Destination already exists",
        (EditDest | DelDest | AddRule, ENOENT) => "No such destination",
        (DelDest, EBUSY) => "Destination is busy",
        (AddRule, EEXIST) => "Rule already exists",
        (DelRule, ENOENT) => "No such rule",
        (Connect, _) => return format!("Cannot reach the TCPVS family: {}", strerror(errno)),
        (_, ESRCH) => "No such service",
        (
            EditService { sched: false }
            | DelService
            | GetService
            | AddDest
            | GetDest
            | GetRule
            | Start
            | Stop,
            ENOENT,
        ) => "No such service",
        (_, EPERM) => "Permission denied (you must be root)",
        (_, EINVAL) => "Invalid argument",
        (_, ENOMEM) => "Memory allocation problem",
        _ => return strerror(errno),
    };
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use libc::*;

    fn m(op: Op, errno: i32) -> String {
        message(op, Error::Errno(errno))
    }

    #[test]
    fn services() {
        assert_eq!(m(Op::AddService, EEXIST), "Service already exists");
        assert_eq!(m(Op::AddService, ENOENT), "Scheduler not found");
        assert_eq!(
            m(Op::EditService { sched: true }, ENOENT),
            "Scheduler not found"
        );
        assert_eq!(
            m(Op::EditService { sched: false }, ENOENT),
            "No such service"
        );
        assert_eq!(m(Op::EditService { sched: true }, ESRCH), "No such service");
        assert_eq!(m(Op::DelService, ENOENT), "No such service");
        assert_eq!(m(Op::DelService, ESRCH), "No such service");
        assert_eq!(m(Op::Start, ENOENT), "No such service");
        assert_eq!(m(Op::Stop, ESRCH), "No such service");
        assert_eq!(m(Op::GetService, ENOENT), "No such service");
        assert_eq!(
            m(Op::DelService, EBUSY),
            "Service is running: stop it first"
        );
        assert_eq!(m(Op::Start, EADDRINUSE), "Address already in use");
    }

    #[test]
    fn servers_and_rules() {
        assert_eq!(m(Op::AddDest, EEXIST), "Destination already exists");
        assert_eq!(m(Op::AddDest, ENOENT), "No such service");
        assert_eq!(m(Op::AddDest, ESRCH), "No such service");
        assert_eq!(m(Op::EditDest, ENOENT), "No such destination");
        assert_eq!(m(Op::DelDest, ENOENT), "No such destination");
        assert_eq!(m(Op::DelDest, EBUSY), "Destination is busy");
        assert_eq!(m(Op::GetDest, ENOENT), "No such service");
        assert_eq!(m(Op::AddRule, ENOENT), "No such destination");
        assert_eq!(m(Op::AddRule, EEXIST), "Rule already exists");
        assert_eq!(m(Op::DelRule, ENOENT), "No such rule");
        assert_eq!(m(Op::DelRule, ESRCH), "No such service");
    }

    #[test]
    fn generic() {
        assert_eq!(m(Op::Flush, EPERM), "Permission denied (you must be root)");
        assert_eq!(m(Op::AddRule, EINVAL), "Invalid argument");
        assert_eq!(
            m(Op::AddService, EINVAL),
            "Invalid argument (thread pool sizes out of the module's range?)"
        );
        assert_eq!(m(Op::AddDest, ENOMEM), "Memory allocation problem");
        assert_eq!(m(Op::Flush, ERANGE), "Numerical result out of range");
        assert_eq!(m(Op::Flush, EBUSY), "Service is running: stop it first");
        assert_eq!(m(Op::AddDest, EBUSY), "Device or resource busy");
        assert_eq!(
            m(Op::Connect, ENOENT),
            "Protocol not available: is the lvs_ktcpvs module loaded?"
        );
        assert_eq!(
            m(Op::Connect, EPERM),
            "Cannot reach the TCPVS family: Operation not permitted"
        );
        assert!(message(Op::GetService, Error::BadReply).starts_with("Malformed reply"));
    }
}
