//! Getting hold of IPVS the way ipvsadm 1.31 starts (`ipvs_init` in
//! libipvs, `modprobe_ipvs` in ipvsadm.c): resolve the "IPVS" generic
//! netlink family and ask GET_INFO; failing that, run
//! `/sbin/modprobe -- ip_vs` and try once more.
//!
//! When the family does not resolve, libipvs falls back to the old
//! socket-option interface, and the errno of that attempt is what the
//! user is shown ("Protocol not available" with no IPVS at all,
//! "Permission denied (you must be root)" without CAP_NET_RAW). We do not
//! speak that interface, but make the same two calls to report the same
//! error.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::Command;

use crate::errors::Errno;
use crate::model::Info;
use crate::netlink::Ipvs;

/// `IP_VS_SO_GET_INFO`.
const IP_VS_SO_GET_INFO: libc::c_int = 64 + 1024 + 64 + 1;
/// `struct ip_vs_getinfo`: version, size, num_services.
const GETINFO_LEN: usize = 12;
/// Oldest IPVS ipvsadm 1.31 is happy with: 1.1.4.
const MINIMUM_IPVS_VERSION: u32 = 0x010104;

/// Why IPVS could not be reached.
#[derive(Debug, PartialEq, Eq)]
pub enum InitError {
    /// What upstream would report, through `ipvs_strerror`.
    Errno(Errno),
    /// IPVS answers the socket-option interface only (a kernel without
    /// the generic netlink family), which upstream would use.
    SockoptOnly,
}

fn last_errno() -> Errno {
    Errno(
        io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EINVAL),
    )
}

/// libipvs' fallback: `socket(AF_INET, SOCK_RAW, IPPROTO_RAW)` and
/// `getsockopt(IP_VS_SO_GET_INFO)`.
fn sockopt_probe() -> InitError {
    // SAFETY: plain socket(2) call; the result is checked before use.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_RAW) };
    if fd < 0 {
        return InitError::Errno(last_errno());
    }
    // SAFETY: `fd` is a fresh descriptor we own.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let mut info = [0u8; GETINFO_LEN];
    let mut len = GETINFO_LEN as libc::socklen_t;
    // SAFETY: `info` and `len` outlive the call and `len` is `info`'s size.
    let rc = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::IPPROTO_IP,
            IP_VS_SO_GET_INFO,
            info.as_mut_ptr().cast(),
            &mut len,
        )
    };
    if rc < 0 {
        InitError::Errno(last_errno())
    } else {
        InitError::SockoptOnly
    }
}

/// One `ipvs_init`.
fn try_open() -> Result<(Ipvs, Info), InitError> {
    let mut ipvs = Ipvs::connect().ok_or_else(sockopt_probe)?;
    let info = ipvs.info().map_err(InitError::Errno)?;
    Ok((ipvs, info))
}

/// `modprobe_ipvs`: true if modprobe ran and succeeded.
fn modprobe_ipvs() -> bool {
    Command::new("/sbin/modprobe")
        .args(["--", "ip_vs"])
        .status()
        .is_ok_and(|s| s.success())
}

/// IPVS and its GET_INFO answer, loading the module if needed. On
/// failure, the error of the last attempt upstream would report.
pub fn open() -> Result<(Ipvs, Info), InitError> {
    try_open().or_else(|first| {
        if modprobe_ipvs() {
            try_open()
        } else {
            Err(first)
        }
    })
}

/// `check_ipvs_version`'s warning, if IPVS is older than 1.1.4.
pub fn version_warning(info: &Info) -> Option<String> {
    (info.version < MINIMUM_IPVS_VERSION).then(|| {
        format!(
            "Warning: IPVS version mismatch: \n  Kernel compiled with IPVS version {}\n  ipvsadm v1.31  requires minimum IPVS version 1.1.4\n\n",
            crate::model::version_string(info.version)
        )
    })
}
