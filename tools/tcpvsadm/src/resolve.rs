//! Addresses as the original tcpvsadm reads and shows them. Read:
//! "host[:port]", the host an IPv4 address or a host name, the port a
//! number or a TCP service name. Shown: without `-n`, the names the
//! system has for them (host by reverse lookup, port from the services
//! database), numbers otherwise; so a listing reads back as it printed.
//!
//! Lookups go through [`Names`], so that the parsers are tested without
//! the machine's name service.

use std::ffi::{CStr, CString};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, ToSocketAddrs};

/// Name lookups, both ways. Every answer may be "none".
pub trait Names {
    /// The first IPv4 address of a host name.
    fn host_addr(&self, name: &str) -> Option<Ipv4Addr>;
    /// The port of a TCP service name.
    fn service_port(&self, name: &str) -> Option<u16>;
    /// The name of an address.
    fn host_name(&self, addr: Ipv4Addr) -> Option<String>;
    /// The TCP service name of a port.
    fn service_name(&self, port: u16) -> Option<String>;
}

/// No names at all: numbers only (`-n`, and the tests).
pub struct Numeric;

impl Names for Numeric {
    fn host_addr(&self, _: &str) -> Option<Ipv4Addr> {
        None
    }
    fn service_port(&self, _: &str) -> Option<u16> {
        None
    }
    fn host_name(&self, _: Ipv4Addr) -> Option<String> {
        None
    }
    fn service_name(&self, _: u16) -> Option<String> {
        None
    }
}

/// The C library's lookups: the system's name service configuration
/// (/etc/hosts, DNS, /etc/services) answers, as it answered the original.
pub struct System;

/// A C string of the C library's static storage, copied at once.
///
/// # Safety
/// `s` is null or points to a NUL-terminated string.
unsafe fn owned(s: *const libc::c_char) -> Option<String> {
    // SAFETY: by the caller's promise.
    (!s.is_null()).then(|| unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned())
}

impl Names for System {
    fn host_addr(&self, name: &str) -> Option<Ipv4Addr> {
        (name, 0).to_socket_addrs().ok()?.find_map(|a| match a {
            SocketAddr::V4(v4) => Some(*v4.ip()),
            SocketAddr::V6(_) => None,
        })
    }

    fn service_port(&self, name: &str) -> Option<u16> {
        let name = CString::new(name).ok()?;
        // SAFETY: both arguments are C strings; the result points to
        // static storage, read at once.
        let ent = unsafe { libc::getservbyname(name.as_ptr(), c"tcp".as_ptr()) };
        // SAFETY: a non-null result is a valid `servent`.
        (!ent.is_null()).then(|| u16::from_be(unsafe { (*ent).s_port } as u16))
    }

    fn host_name(&self, addr: Ipv4Addr) -> Option<String> {
        let sin = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: 0,
            sin_addr: libc::in_addr {
                s_addr: u32::from_ne_bytes(addr.octets()),
            },
            sin_zero: [0; 8],
        };
        let mut host = [0 as libc::c_char; libc::NI_MAXHOST as usize];
        // SAFETY: `sin` and `host` outlive the call, with their sizes
        // given; NI_NAMEREQD makes a missing name an error, not a number.
        let rc = unsafe {
            libc::getnameinfo(
                (&sin as *const libc::sockaddr_in).cast(),
                std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
                host.as_mut_ptr(),
                host.len() as libc::socklen_t,
                std::ptr::null_mut(),
                0,
                libc::NI_NAMEREQD,
            )
        };
        // SAFETY: on success `host` holds a NUL-terminated name.
        (rc == 0).then(|| unsafe { owned(host.as_ptr()) }).flatten()
    }

    fn service_name(&self, port: u16) -> Option<String> {
        // SAFETY: the protocol is a C string; the result points to static
        // storage, read at once.
        unsafe {
            let ent = libc::getservbyport(libc::c_int::from(port.to_be()), c"tcp".as_ptr());
            if ent.is_null() {
                return None;
            }
            owned((*ent).s_name)
        }
    }
}

/// Why "host[:port]" was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddrError {
    /// Neither an IPv4 address nor a host name that resolves.
    Host(String),
    /// Not 1 to 65535 nor a known service name.
    Port(String),
    /// A port is needed and there is none.
    NoPort(String),
}

impl std::fmt::Display for AddrError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AddrError::Host(h) => write!(f, "\"{h}\" is not an IPv4 address or a known host name"),
            AddrError::Port(p) => {
                write!(
                    f,
                    "bad port \"{p}\" (a number from 1 to 65535, or a service name)"
                )
            }
            AddrError::NoPort(a) => write!(f, "\"{a}\" has no port (ADDRESS:PORT needed)"),
        }
    }
}

/// A decimal number in `min..=max`, as the original's `string_to_number`
/// takes it (whole string, no sign other than '+').
pub fn number(text: &str, min: u32, max: u32) -> Option<u32> {
    let n: u64 = text.parse().ok()?;
    u32::try_from(n).ok().filter(|n| (min..=max).contains(n))
}

/// "host[:port]" (the original's `parse_addrport`): the address, and the
/// port if there is one. Port 0 is refused: the protocol has no use for
/// it.
pub fn addr_port(text: &str, names: &dyn Names) -> Result<(Ipv4Addr, Option<u16>), AddrError> {
    let (host, port) = match text.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (text, None),
    };
    let addr = host
        .parse()
        .ok()
        .or_else(|| names.host_addr(host))
        .ok_or_else(|| AddrError::Host(host.to_string()))?;
    let port = match port {
        None => None,
        Some(p) => Some(
            number(p, 1, 65535)
                .map(|n| n as u16)
                .or_else(|| names.service_port(p).filter(|&n| n != 0))
                .ok_or_else(|| AddrError::Port(p.to_string()))?,
        ),
    };
    Ok((addr, port))
}

/// "host:port", the port required (real servers, rules).
pub fn server(text: &str, names: &dyn Names) -> Result<SocketAddrV4, AddrError> {
    match addr_port(text, names)? {
        (addr, Some(port)) => Ok(SocketAddrV4::new(addr, port)),
        (_, None) => Err(AddrError::NoPort(text.to_string())),
    }
}

/// "host:port" for a listing: names where `names` has them (the
/// original's `addrport_to_anyname`).
pub fn show(a: SocketAddrV4, names: &dyn Names) -> String {
    let host = names
        .host_name(*a.ip())
        .unwrap_or_else(|| a.ip().to_string());
    let port = names
        .service_name(a.port())
        .unwrap_or_else(|| a.port().to_string());
    format!("{host}:{port}")
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A fixed name service: host "www" is 10.0.0.1, service "http" port 80.
    pub struct Fake;

    impl Names for Fake {
        fn host_addr(&self, name: &str) -> Option<Ipv4Addr> {
            (name == "www").then_some(Ipv4Addr::new(10, 0, 0, 1))
        }
        fn service_port(&self, name: &str) -> Option<u16> {
            (name == "http").then_some(80)
        }
        fn host_name(&self, addr: Ipv4Addr) -> Option<String> {
            (addr == Ipv4Addr::new(10, 0, 0, 1)).then(|| "www".to_string())
        }
        fn service_name(&self, port: u16) -> Option<String> {
            (port == 80).then(|| "http".to_string())
        }
    }

    fn sa(a: [u8; 4], port: u16) -> SocketAddrV4 {
        SocketAddrV4::new(Ipv4Addr::from(a), port)
    }

    #[test]
    fn numbers() {
        assert_eq!(number("0", 0, 10), Some(0));
        assert_eq!(number("+7", 0, 10), Some(7));
        assert_eq!(number("11", 0, 10), None);
        assert_eq!(number("-1", 0, 10), None);
        assert_eq!(number(" 1", 0, 10), None);
        assert_eq!(number("1x", 0, 10), None);
        assert_eq!(number("", 0, 10), None);
        assert_eq!(
            number("2147483647", 0, i32::MAX as u32),
            Some(i32::MAX as u32)
        );
        assert_eq!(number("2147483648", 0, i32::MAX as u32), None);
        assert_eq!(number("99999999999999999999999", 0, u32::MAX), None);
    }

    #[test]
    fn addresses() {
        assert_eq!(
            addr_port("192.168.10.1:80", &Numeric),
            Ok((Ipv4Addr::new(192, 168, 10, 1), Some(80)))
        );
        assert_eq!(
            addr_port("0.0.0.0", &Numeric),
            Ok((Ipv4Addr::UNSPECIFIED, None))
        );
        assert_eq!(server("www:http", &Fake), Ok(sa([10, 0, 0, 1], 80)));
        assert_eq!(
            server("1.2.3.4:65535", &Numeric),
            Ok(sa([1, 2, 3, 4], 65535))
        );
        for (text, err) in [
            ("1.2.3.4:0", AddrError::Port("0".into())),
            ("1.2.3.4:65536", AddrError::Port("65536".into())),
            ("1.2.3.4:-1", AddrError::Port("-1".into())),
            ("1.2.3.4:", AddrError::Port("".into())),
            ("1.2.3.4:http", AddrError::Port("http".into())),
            ("1.2.3.256:80", AddrError::Host("1.2.3.256".into())),
            ("www:80", AddrError::Host("www".into())),
            (":80", AddrError::Host("".into())),
            ("1.2.3.4", AddrError::NoPort("1.2.3.4".into())),
        ] {
            assert_eq!(server(text, &Numeric), Err(err), "{text}");
        }
        assert_eq!(
            AddrError::Port("0".into()).to_string(),
            "bad port \"0\" (a number from 1 to 65535, or a service name)"
        );
    }

    #[test]
    fn shown() {
        assert_eq!(show(sa([10, 0, 0, 1], 80), &Fake), "www:http");
        assert_eq!(show(sa([10, 0, 0, 1], 80), &Numeric), "10.0.0.1:80");
        assert_eq!(show(sa([10, 0, 0, 2], 8080), &Fake), "10.0.0.2:8080");
    }

    /// Lookups that do not depend on the machine's configuration.
    #[test]
    fn system() {
        assert_eq!(System.host_addr("127.0.0.1"), Some(Ipv4Addr::LOCALHOST));
        assert_eq!(System.service_port("no-such-service-here"), None);
    }
}
