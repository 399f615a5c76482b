// SPDX-License-Identifier: GPL-2.0
//! The text of `/proc/net/ip_vs_gs`, through which operators load the
//! tables of the global server scheduler (`sched_gs.rs`), one command a
//! line, services named as `ipvsadm` names them:
//!
//! ```text
//! add SERVICE PREFIX SERVER...   clients in PREFIX go to SERVERs (1 to 8,
//!                                in order of preference); replaces the
//!                                route of the same prefix
//! del SERVICE PREFIX             removes that route
//! flush [SERVICE]                removes the service's routes (all
//!                                services' without one)
//!
//! SERVICE  -t|-u|--sctp-service ADDR:PORT, or -f MARK [-6]
//! PREFIX   ADDR[/LEN]            (without LEN: that one address)
//! SERVER   ADDR[:PORT]           (IPv6 in brackets; without PORT the
//!                                service's)
//! ```
//!
//! Blank lines and `#` comments are skipped. Reading the file lists
//! every route as the `add` line that makes it, so a saved copy written
//! back restores the tables. Needs
//! [`crate::sched_gs`] beside it.

use crate::sched_gs::{Prefix, Route, ServerAddr, ROUTE_SERVERS_MAX};
use core::fmt;
use core::iter::Peekable;
use core::net::{Ipv4Addr, Ipv6Addr};
use core::str::SplitAsciiWhitespace;

/// IP protocol numbers of the services a line can name.
const TCP: u16 = 6;
const UDP: u16 = 17;
const SCTP: u16 = 132;

/// The service a command is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// A protocol, address and port (`-t`, `-u`, `--sctp-service`).
    Addr {
        /// IP protocol number.
        protocol: u16,
        /// Whether `addr` is IPv6.
        v6: bool,
        /// The virtual address, network order.
        addr: [u8; 16],
        /// The port, host order.
        port: u16,
    },
    /// A firewall mark (`-f`), of one address family.
    Fwmark {
        /// Whether the service is IPv6 (`-6`).
        v6: bool,
        /// The mark.
        mark: u32,
    },
}

impl Service {
    /// Whether the service is IPv6.
    pub fn is_v6(&self) -> bool {
        match *self {
            Service::Addr { v6, .. } | Service::Fwmark { v6, .. } => v6,
        }
    }

    /// The port its servers have when a line gives none.
    fn port(&self) -> u16 {
        match *self {
            Service::Addr { port, .. } => port,
            Service::Fwmark { .. } => 0,
        }
    }
}

/// One line written to the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Adds a route, or replaces the one of the same prefix.
    Add(Service, Route),
    /// Removes the route of a prefix.
    Del(Service, Prefix),
    /// Removes a service's routes, or every service's.
    Flush(Option<Service>),
}

/// What is wrong with a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadLine(
    /// The reason.
    pub &'static str,
);

impl fmt::Display for BadLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// The words of a line, the next one in view.
type Words<'a> = Peekable<SplitAsciiWhitespace<'a>>;

/// The commands of `text`, one a line; blank lines and lines that
/// start with `#` are skipped.
pub fn parse_lines(text: &str) -> impl Iterator<Item = Result<Command, BadLine>> + '_ {
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(parse)
}

/// The command of one `line` (without its newline).
pub fn parse(line: &str) -> Result<Command, BadLine> {
    let mut words = line.split_ascii_whitespace().peekable();
    let verb = words.next().ok_or(BadLine("empty line"))?;
    let command = match verb {
        "add" => {
            let service = parse_service(&mut words)?;
            let prefix = parse_prefix(words.next(), service.is_v6())?;
            let mut servers = [ServerAddr::NONE; ROUTE_SERVERS_MAX];
            let mut count = 0;
            for word in words.by_ref() {
                let slot = servers.get_mut(count).ok_or(BadLine("more than 8 servers"))?;
                *slot = parse_server(word, service)?;
                count += 1;
            }
            Command::Add(service, Route::new(prefix, &servers[..count]).ok_or(BadLine("missing servers"))?)
        }
        "del" => {
            let service = parse_service(&mut words)?;
            Command::Del(service, parse_prefix(words.next(), service.is_v6())?)
        }
        "flush" if words.peek().is_none() => Command::Flush(None),
        "flush" => Command::Flush(Some(parse_service(&mut words)?)),
        _ => return Err(BadLine("unknown command (add, del or flush)")),
    };
    match words.next() {
        Some(_) => Err(BadLine("too many words")),
        None => Ok(command),
    }
}

fn parse_service(words: &mut Words<'_>) -> Result<Service, BadLine> {
    let protocol = match words.next() {
        Some("-t" | "--tcp-service") => TCP,
        Some("-u" | "--udp-service") => UDP,
        Some("--sctp-service") => SCTP,
        Some("-f" | "--fwmark-service") => {
            let mark = words.next().and_then(|w| w.parse::<u32>().ok()).filter(|&m| m != 0);
            let mark = mark.ok_or(BadLine("bad firewall mark"))?;
            let v6 = words.next_if_eq(&"-6").is_some();
            return Ok(Service::Fwmark { v6, mark });
        }
        _ => return Err(BadLine("missing service (-t, -u, --sctp-service or -f)")),
    };
    let (v6, addr, port) = parse_addr_port(words.next().ok_or(BadLine("missing service address"))?)?;
    let port = port.ok_or(BadLine("missing service port"))?;
    Ok(Service::Addr { protocol, v6, addr, port })
}

/// `ADDR[:PORT]`, or `[ADDR6][:PORT]`: the family, address and port.
fn parse_addr_port(text: &str) -> Result<(bool, [u8; 16], Option<u16>), BadLine> {
    let (v6, host, port) = match text.strip_prefix('[') {
        Some(rest) => {
            let (host, after) = rest.split_once(']').ok_or(BadLine("missing ] after an IPv6 address"))?;
            let port = match after {
                "" => None,
                _ => Some(after.strip_prefix(':').ok_or(BadLine("bad text after an IPv6 address"))?),
            };
            (true, host, port)
        }
        None => match text.split_once(':') {
            Some((host, port)) => (false, host, Some(port)),
            None => (false, text, None),
        },
    };
    let addr = parse_addr(v6, host)?;
    let port = match port {
        Some(p) => Some(p.parse::<u16>().map_err(|_| BadLine("bad port"))?),
        None => None,
    };
    Ok((v6, addr, port))
}

fn parse_addr(v6: bool, text: &str) -> Result<[u8; 16], BadLine> {
    let mut addr = [0u8; 16];
    if v6 {
        addr = text.parse::<Ipv6Addr>().map_err(|_| BadLine("bad IPv6 address"))?.octets();
    } else {
        let v4 = text.parse::<Ipv4Addr>().map_err(|_| BadLine("bad IPv4 address"))?;
        addr[..4].copy_from_slice(&v4.octets());
    }
    Ok(addr)
}

/// `ADDR[/LEN]` of the service's family (IPv6 without brackets).
fn parse_prefix(word: Option<&str>, v6: bool) -> Result<Prefix, BadLine> {
    let word = word.ok_or(BadLine("missing client prefix"))?;
    let (host, len) = match word.split_once('/') {
        Some((host, len)) => (host, len.parse::<u8>().map_err(|_| BadLine("bad prefix length"))?),
        None => (word, if v6 { 128 } else { 32 }),
    };
    let addr = parse_addr(v6, host).map_err(|_| BadLine("bad client prefix (of the service's family)"))?;
    Prefix::new(v6, addr, len).ok_or(BadLine("bad prefix length"))
}

/// A server of `service`: its family, the port the service's if none.
fn parse_server(word: &str, service: Service) -> Result<ServerAddr, BadLine> {
    let (v6, addr, port) = parse_addr_port(word)?;
    Ok(ServerAddr { v6, addr, port: port.unwrap_or(service.port()) })
}

/// An address as the lines write it: IPv6 in brackets when a port
/// follows.
struct Addr<'a> {
    v6: bool,
    addr: &'a [u8; 16],
    bracketed: bool,
}

impl fmt::Display for Addr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.v6 {
            let a = Ipv6Addr::from(*self.addr);
            if self.bracketed {
                write!(f, "[{a}]")
            } else {
                write!(f, "{a}")
            }
        } else {
            write!(f, "{}", Ipv4Addr::new(self.addr[0], self.addr[1], self.addr[2], self.addr[3]))
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Service::Addr { protocol, v6, addr, port } => {
                let option = match *protocol {
                    TCP => "-t",
                    UDP => "-u",
                    _ => "--sctp-service",
                };
                write!(f, "{option} {}:{port}", Addr { v6: *v6, addr, bracketed: true })
            }
            Service::Fwmark { v6: false, mark } => write!(f, "-f {mark}"),
            Service::Fwmark { v6: true, mark } => write!(f, "-f {mark} -6"),
        }
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", Addr { v6: self.v6, addr: self.addr(), bracketed: false }, self.bits())
    }
}

impl fmt::Display for ServerAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", Addr { v6: self.v6, addr: &self.addr, bracketed: true }, self.port)
    }
}

/// The `add` line of `route` of `service`, as the file lists it.
pub struct AddLine<'a>(
    /// The service.
    pub &'a Service,
    /// One of its routes.
    pub &'a Route,
);

impl fmt::Display for AddLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "add {} {}", self.0, self.1.prefix)?;
        self.1.servers().iter().try_for_each(|s| write!(f, " {s}"))?;
        writeln!(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    fn round_trip(line: &str) -> std::string::String {
        match parse(line).unwrap() {
            Command::Add(svc, route) => AddLine(&svc, &route).to_string(),
            other => panic!("not an add: {other:?}"),
        }
    }

    #[test]
    fn add_lines_list_as_they_were_written() {
        let line = "add -t 10.0.0.100:80 10.1.0.0/16 10.0.1.2:80 10.0.2.2:8080\n";
        assert_eq!(round_trip(line), line);
        let line6 = "add -u [2001:db8::100]:53 2001:db8:1::/48 [2001:db8::2]:53\n";
        assert_eq!(round_trip(line6), line6);
        assert_eq!(round_trip("add -f 5 -6 ::/0 [::1]:80"), "add -f 5 -6 ::/0 [::1]:80\n");
        assert_eq!(round_trip("add --sctp-service 1.2.3.4:9 0.0.0.0/0 5.6.7.8"), "add --sctp-service 1.2.3.4:9 0.0.0.0/0 5.6.7.8:9\n");
    }

    #[test]
    fn defaults_host_prefix_and_service_port() {
        assert_eq!(round_trip("add  -t 10.0.0.100:80   10.1.2.3/16 10.0.1.2"), "add -t 10.0.0.100:80 10.1.0.0/16 10.0.1.2:80\n");
        assert_eq!(round_trip("add -t 10.0.0.100:80 10.1.2.3 10.0.1.2"), "add -t 10.0.0.100:80 10.1.2.3/32 10.0.1.2:80\n");
        assert_eq!(round_trip("add -f 7 10.0.0.0/8 10.0.1.2"), "add -f 7 10.0.0.0/8 10.0.1.2:0\n");
    }

    #[test]
    fn del_and_flush() {
        let svc = Service::Addr { protocol: UDP, v6: false, addr: [10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], port: 53 };
        let mut net = [0u8; 16];
        net[0] = 10;
        assert_eq!(parse("del -u 10.0.0.1:53 10.0.0.0/8"), Ok(Command::Del(svc, Prefix::new(false, net, 8).unwrap())));
        assert_eq!(parse("flush"), Ok(Command::Flush(None)));
        assert_eq!(parse("flush -u 10.0.0.1:53"), Ok(Command::Flush(Some(svc))));
    }

    #[test]
    fn text_is_read_a_line_at_a_time() {
        let text = "# saved routes\n\nadd -t 10.0.0.1:80 10.0.0.0/8 10.0.1.2\n  flush  \nbogus\n";
        let got: std::vec::Vec<_> = parse_lines(text).map(|c| c.map(|_| ()).map_err(|e| e.0)).collect();
        assert_eq!(got, [Ok(()), Ok(()), Err("unknown command (add, del or flush)")]);
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        let bad = |line| parse(line).unwrap_err().0;
        assert_eq!(bad(""), "empty line");
        assert_eq!(bad("list"), "unknown command (add, del or flush)");
        assert_eq!(bad("add 10.0.0.1:80 10.0.0.0/8 1.2.3.4"), "missing service (-t, -u, --sctp-service or -f)");
        assert_eq!(bad("add -t 10.0.0.1 10.0.0.0/8 1.2.3.4"), "missing service port");
        assert_eq!(bad("add -t 10.0.0.1:80 10.0.0.0/8"), "missing servers");
        assert_eq!(bad("add -t 10.0.0.1:80"), "missing client prefix");
        assert_eq!(bad("add -t 10.0.0.1:80 10.0.0.0/33 1.2.3.4"), "bad prefix length");
        assert_eq!(bad("add -t 10.0.0.1:80 2001:db8::/32 1.2.3.4"), "bad client prefix (of the service's family)");
        assert_eq!(bad("add -t 10.0.0.256:80 10.0.0.0/8 1.2.3.4"), "bad IPv4 address");
        assert_eq!(bad("add -t 10.0.0.1:80 10.0.0.0/8 1.2.3.4:70000"), "bad port");
        assert_eq!(bad("add -t [::1:80 ::/0 [::2]"), "missing ] after an IPv6 address");
        assert_eq!(bad("add -f 0 10.0.0.0/8 1.2.3.4"), "bad firewall mark");
        assert_eq!(bad("add -t 1.1.1.1:80 0.0.0.0/0 1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 1.1.1.7 1.1.1.8 1.1.1.9"), "more than 8 servers");
        assert_eq!(bad("del -t 10.0.0.1:80 10.0.0.0/8 extra"), "too many words");
        assert_eq!(bad("flush -t"), "missing service address");
    }
}
