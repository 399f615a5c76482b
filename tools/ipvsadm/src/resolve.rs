//! Names given on the command line: host names (`gethostbyname`, IPv4
//! only, first address) and service names from /etc/services
//! (`getservbyname` with the "files" source); and the names a listing
//! shows without `-n`, asked of the C library as upstream asks them.

use std::ffi::{CStr, CString};
use std::fs;
use std::net::{SocketAddr, ToSocketAddrs};

use crate::format::Names;
use crate::model::{AF_INET, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP};

/// The first IPv4 address of a host name, as `host_to_addr` takes it.
pub fn host_v4(name: &str) -> Option<[u8; 4]> {
    (name, 0).to_socket_addrs().ok()?.find_map(|a| match a {
        SocketAddr::V4(v4) => Some(v4.ip().octets()),
        SocketAddr::V6(_) => None,
    })
}

/// The port of a service name for a protocol, as `service_to_port` does
/// (TCP, UDP and SCTP only).
pub fn service_port(name: &str, protocol: u16) -> Option<u16> {
    let services = fs::read_to_string("/etc/services").ok()?;
    lookup_service(&services, name, proto_name(protocol)?)
}

/// The protocol names of /etc/services for the protocols upstream looks
/// up (others have no service names).
fn proto_name(protocol: u16) -> Option<&'static str> {
    match protocol {
        IPPROTO_TCP => Some("tcp"),
        IPPROTO_UDP => Some("udp"),
        IPPROTO_SCTP => Some("sctp"),
        _ => None,
    }
}

extern "C" {
    /// glibc's (obsolete, but what upstream calls); the libc crate does
    /// not declare it.
    fn gethostbyaddr(
        addr: *const libc::c_void,
        len: libc::socklen_t,
        af: libc::c_int,
    ) -> *mut libc::hostent;
}

/// Names as upstream's `addr_to_host` and `port_to_service` find them:
/// `gethostbyaddr` and `getservbyport` of the C library, so that the
/// system's name service configuration (/etc/hosts, DNS, /etc/services)
/// answers as it answers Debian's ipvsadm.
pub struct SystemNames;

/// A C string of the C library's static storage, copied before the next
/// lookup overwrites it.
///
/// # Safety
/// `s` is null or points to a NUL-terminated string.
unsafe fn owned(s: *const libc::c_char) -> Option<String> {
    // SAFETY: by the caller's promise.
    (!s.is_null()).then(|| unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned())
}

impl Names for SystemNames {
    fn host(&self, af: u16, addr: &[u8; 16]) -> Option<String> {
        let len = if af == AF_INET { 4 } else { 16 };
        // SAFETY: `addr` holds at least `len` bytes; the result points to
        // static storage, read at once.
        unsafe {
            let host = gethostbyaddr(addr.as_ptr().cast(), len, libc::c_int::from(af));
            if host.is_null() {
                return None;
            }
            owned((*host).h_name)
        }
    }

    fn service(&self, port: u16, protocol: u16) -> Option<String> {
        let proto = CString::new(proto_name(protocol)?).ok()?;
        // SAFETY: `proto` is a C string; the result points to static
        // storage, read at once.
        unsafe {
            let ent = libc::getservbyport(libc::c_int::from(port.to_be()), proto.as_ptr());
            if ent.is_null() {
                return None;
            }
            owned((*ent).s_name)
        }
    }
}

/// Find `name` (or an alias) with protocol `proto` in /etc/services text.
fn lookup_service(services: &str, name: &str, proto: &str) -> Option<u16> {
    services.lines().find_map(|line| {
        let line = line.split('#').next().unwrap_or("");
        let mut fields = line.split_whitespace();
        let official = fields.next()?;
        let (port, p) = fields.next()?.split_once('/')?;
        let mut names = std::iter::once(official).chain(fields);
        if p == proto && names.any(|n| n == name) {
            port.parse().ok()
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVICES: &str = "\
# comment line
http\t\t80/tcp\t\twww\t\t# WorldWideWeb HTTP
domain\t\t53/tcp\n\
domain\t\t53/udp\n\
sip\t\t5060/udp\n";

    #[test]
    fn services_file() {
        assert_eq!(lookup_service(SERVICES, "http", "tcp"), Some(80));
        assert_eq!(lookup_service(SERVICES, "www", "tcp"), Some(80));
        assert_eq!(lookup_service(SERVICES, "http", "udp"), None);
        assert_eq!(lookup_service(SERVICES, "sip", "udp"), Some(5060));
        assert_eq!(lookup_service(SERVICES, "comment", "tcp"), None);
    }

    #[test]
    fn localhost() {
        assert_eq!(host_v4("127.0.0.1"), Some([127, 0, 0, 1]));
    }

    /// Lookups that do not depend on the machine's name service.
    #[test]
    fn system_names() {
        assert_eq!(SystemNames.service(80, 50), None);
        assert_eq!(SystemNames.host(7, &[0; 16]), None);
    }
}
