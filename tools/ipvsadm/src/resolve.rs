//! Names given on the command line: host names (`gethostbyname`, IPv4
//! only, first address) and service names from /etc/services
//! (`getservbyname` with the "files" source).

use std::fs;
use std::net::{SocketAddr, ToSocketAddrs};

use crate::model::{IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP};

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
    let proto = match protocol {
        IPPROTO_TCP => "tcp",
        IPPROTO_UDP => "udp",
        IPPROTO_SCTP => "sctp",
        _ => return None,
    };
    let services = fs::read_to_string("/etc/services").ok()?;
    lookup_service(&services, name, proto)
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
}
