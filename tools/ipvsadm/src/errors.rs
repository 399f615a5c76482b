//! Error numbers and the words upstream uses for them (`ipvs_strerror`
//! in libipvs: a few operation-specific messages, a few generic ones,
//! then the C library's `strerror`).

use std::io;

/// An errno value, positive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub i32);

/// The libipvs operation that failed, for the messages that depend on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Opening the connection, GET_INFO, and the service dump (libipvs
    /// does not record `ipvs_get_services` as the failing operation).
    Init,
    GetService,
    GetDests,
    AddService,
    UpdateService,
    DelService,
    ZeroService,
    AddDest,
    UpdateDest,
    DelDest,
    StartDaemon,
    StopDaemon,
    /// Neither sets an operation of its own in libipvs: only the
    /// generic messages apply.
    Flush,
    SetTimeout,
}

/// `strerror`, without Rust's " (os error N)" suffix.
fn strerror(errno: i32) -> String {
    let text = io::Error::from_raw_os_error(errno).to_string();
    match text.strip_suffix(&format!(" (os error {errno})")) {
        Some(plain) => plain.to_string(),
        None => text,
    }
}

/// `ipvs_strerror(errno)` with libipvs' idea of the current operation.
pub fn ipvs_strerror(op: Op, Errno(errno): Errno) -> String {
    let specific = match (op, errno) {
        (Op::AddService, libc::EEXIST) => Some("Service already exists"),
        (Op::AddService | Op::UpdateService, libc::ENOENT) => {
            Some("Scheduler or persistence engine not found")
        }
        (
            Op::UpdateService | Op::DelService | Op::ZeroService | Op::GetService | Op::GetDests,
            libc::ESRCH,
        ) => Some("No such service"),
        (Op::AddDest | Op::UpdateDest | Op::DelDest, libc::ESRCH) => Some("Service not defined"),
        (Op::AddDest, libc::EEXIST) => Some("Destination already exists"),
        (Op::UpdateDest | Op::DelDest, libc::ENOENT) => Some("No such destination"),
        (Op::StartDaemon, libc::EEXIST) => Some("Daemon has already run"),
        (Op::StopDaemon, libc::ESRCH) => Some("No daemon is running"),
        _ => None,
    };
    let generic = match errno {
        libc::EPERM => Some("Permission denied (you must be root)"),
        libc::EINVAL => {
            Some("Invalid operation.  Possibly wrong module version, address not unicast, ...")
        }
        libc::ENOPROTOOPT => Some("Protocol not available"),
        libc::ENOMEM => Some("Memory allocation problem"),
        libc::EOPNOTSUPP => Some("Operation not supported with IPv6"),
        libc::EAFNOSUPPORT => Some("Operation not supported with specified address family"),
        libc::EMSGSIZE => Some("Module is wrong version"),
        _ => None,
    };
    specific
        .or(generic)
        .map(str::to_string)
        .unwrap_or_else(|| strerror(errno))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        assert_eq!(
            ipvs_strerror(Op::GetService, Errno(libc::ESRCH)),
            "No such service"
        );
        assert_eq!(
            ipvs_strerror(Op::Init, Errno(libc::ESRCH)),
            "No such process"
        );
        assert_eq!(
            ipvs_strerror(Op::Init, Errno(libc::EPERM)),
            "Permission denied (you must be root)"
        );
        assert_eq!(
            ipvs_strerror(Op::Init, Errno(libc::ENOPROTOOPT)),
            "Protocol not available"
        );
        assert_eq!(
            ipvs_strerror(Op::GetDests, Errno(libc::ENOENT)),
            "No such file or directory"
        );
        assert_eq!(
            ipvs_strerror(Op::AddDest, Errno(libc::ESRCH)),
            "Service not defined"
        );
        assert_eq!(
            ipvs_strerror(Op::DelDest, Errno(libc::ENOENT)),
            "No such destination"
        );
        assert_eq!(
            ipvs_strerror(Op::AddService, Errno(libc::ENOENT)),
            "Scheduler or persistence engine not found"
        );
        assert_eq!(
            ipvs_strerror(Op::Flush, Errno(libc::ESRCH)),
            "No such process"
        );
        assert_eq!(
            ipvs_strerror(Op::StartDaemon, Errno(libc::EEXIST)),
            "Daemon has already run"
        );
        assert_eq!(
            ipvs_strerror(Op::StopDaemon, Errno(libc::ESRCH)),
            "No daemon is running"
        );
        assert_eq!(
            ipvs_strerror(Op::StopDaemon, Errno(libc::EEXIST)),
            "File exists"
        );
    }
}
