//! `-L -c`: the connection table. ipvsadm 1.31 does not ask netlink for
//! it: `list_conn` reads /proc/net/ip_vs_conn (of the caller's network
//! namespace) and `print_conn` re-prints each line with its own columns,
//! the addresses and ports as numbers or names, the time left as
//! minutes:seconds. Read as upstream reads it: in `fgets` pieces of at
//! most 255 bytes, each taken apart as its `sscanf` does, so that odd
//! lines come out as they do there.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::format::{addrport, Names};
use crate::model::{AF_INET, AF_INET6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP};

pub const CONN_PROC_FILE: &str = "/proc/net/ip_vs_conn";

/// upstream's line buffer is 256 bytes: `fgets` gives 255 at most.
const FGETS_MAX: usize = 255;

/// Why `-c` stops where upstream exits (status 1): the message for
/// stderr, empty where upstream says nothing.
pub type Stop = String;

/// `list_conn`: the listing of the file's contents `text` (`None` if it
/// could not be opened) appended to `out`.
pub fn list(
    text: Option<&[u8]>,
    pe: bool,
    names: &dyn Names,
    out: &mut String,
) -> Result<(), Stop> {
    let text = text.ok_or_else(|| format!("cannot open file {CONN_PROC_FILE}"))?;
    let mut pieces = fgets_pieces(text);
    // The first line is the kernel's title.
    if pieces.next().is_none() {
        return Err(format!("unexpected input from {CONN_PROC_FILE}"));
    }
    out.push_str("IPVS connection entries\n");
    if pe {
        out.push_str(&format!(
            "pro expire {:<11} {:<18} {:<18} {:<18} {:<16} {}\n",
            "state", "source", "virtual", "destination", "pe name", "pe_data"
        ));
    } else {
        out.push_str(&format!(
            "pro expire {:<11} {:<18} {:<18} {}\n",
            "state", "source", "virtual", "destination"
        ));
    }
    for piece in pieces {
        // A blank line is an end-of-input for sscanf: upstream exits.
        out.push_str(&conn_line(piece, pe, names).ok_or_else(String::new)?);
    }
    Ok(())
}

/// The text in pieces as successive `fgets` calls return them: up to and
/// including a newline, at most `FGETS_MAX` bytes.
fn fgets_pieces(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let limit = rest.len().min(FGETS_MAX);
        let end = rest[..limit]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(limit, |i| i + 1);
        let (piece, tail) = rest.split_at(end);
        rest = tail;
        Some(piece)
    })
}

/// C's `isspace`.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

/// The conversions of `sscanf` that `print_conn` uses, over what is left
/// of its input.
struct Scan<'a>(&'a str);

impl<'a> Scan<'a> {
    fn skip_space(&mut self) {
        self.0 = self.0.trim_start_matches(is_space);
    }

    /// `%s`: a word.
    fn word(&mut self) -> Option<&'a str> {
        self.skip_space();
        let end = self.0.find(is_space).unwrap_or(self.0.len());
        let (word, rest) = self.0.split_at(end);
        self.0 = rest;
        (!word.is_empty()).then_some(word)
    }

    /// A number in `radix` as `strtoul` reads it (sign, "0x" for hex),
    /// wrapped to 64 bits.
    fn number(&mut self, radix: u32) -> Option<u64> {
        self.skip_space();
        let mut s = self.0;
        let negative = s.starts_with('-');
        s = s.strip_prefix(['-', '+']).unwrap_or(s);
        if radix == 16 {
            let hex = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"));
            if let Some(h) = hex.filter(|h| h.starts_with(|c: char| c.is_ascii_hexdigit())) {
                s = h;
            }
        }
        let len = s.find(|c: char| !c.is_digit(radix)).unwrap_or(s.len());
        if len == 0 {
            return None;
        }
        let value = s[..len].chars().fold(0u64, |v, c| {
            v.wrapping_mul(u64::from(radix))
                .wrapping_add(u64::from(c.to_digit(radix).unwrap_or(0)))
        });
        self.0 = &s[len..];
        Some(if negative {
            value.wrapping_neg()
        } else {
            value
        })
    }
}

/// `strtoul(s, NULL, 16)` as an IPv4 address in host order: how the
/// kernel writes IPv4 addresses here ("0A000001").
fn hex_ipv4(s: &str) -> [u8; 16] {
    let value = Scan(s).number(16).unwrap_or(0) as u32;
    let mut addr = [0; 16];
    addr[..4].copy_from_slice(&value.to_be_bytes());
    addr
}

/// An IPv6 address as `inet_pton` reads it.
fn ipv6(s: &str) -> Option<[u8; 16]> {
    s.parse::<Ipv6Addr>().ok().map(|a| a.octets())
}

/// An IPv4 address as `inet_pton` reads it (dotted quad).
fn ipv4(s: &str) -> Option<[u8; 16]> {
    let a = s.parse::<Ipv4Addr>().ok()?;
    let mut addr = [0; 16];
    addr[..4].copy_from_slice(&a.octets());
    Some(addr)
}

/// `print_conn`: one line of the file as upstream prints it; `None` for
/// a blank one.
fn conn_line(piece: &[u8], pe: bool, names: &dyn Names) -> Option<String> {
    let text = String::from_utf8_lossy(piece);
    let text = text.split('\0').next().unwrap_or("");
    let mut scan = Scan(text);
    let protocol = scan.word()?;
    let client = scan.word().unwrap_or("");
    let cport = scan.number(16).unwrap_or(0) as u16;
    let virt = scan.word().unwrap_or("");
    let vport = scan.number(16).unwrap_or(0) as u16;
    let dest = scan.word().unwrap_or("");
    let dport = scan.number(16).unwrap_or(0) as u16;
    let state = scan.word().unwrap_or("");
    let expires = scan.number(10).unwrap_or(0) as u32;
    let pe_name = scan.word();
    let pe_data = scan.word();

    let proto = match protocol {
        "TCP" => IPPROTO_TCP,
        "UDP" => IPPROTO_UDP,
        "SCTP" => IPPROTO_SCTP,
        _ => 0,
    };
    // The client's address decides the family of the virtual one too.
    let (af, caddr, vaddr) = if let Some(c) = ipv6(client) {
        (AF_INET6, c, ipv6(virt).unwrap_or_default())
    } else if let Some(c) = ipv4(client) {
        (AF_INET, c, ipv4(virt).unwrap_or_default())
    } else {
        (AF_INET, hex_ipv4(client), hex_ipv4(virt))
    };
    let (daf, daddr) = match ipv6(dest) {
        Some(d) => (AF_INET6, d),
        None => (AF_INET, ipv4(dest).unwrap_or_else(|| hex_ipv4(dest))),
    };
    let cname = addrport(af, &caddr, cport, proto, names);
    let vname = addrport(af, &vaddr, vport, proto, names);
    let dname = addrport(daf, &daddr, dport, proto, names);
    let expire = format!("{:02}:{:02}", expires / 60, expires % 60);
    Some(match (pe, pe_name, pe_data) {
        (true, Some(pe_name), Some(pe_data)) => format!(
            "{protocol:<3} {expire:<6} {state:<11} {cname:<18} {vname:<18} {dname:<16} {pe_name:<18} {pe_data}\n"
        ),
        _ => format!("{protocol:<3} {expire:<6} {state:<11} {cname:<18} {vname:<18} {dname}\n"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Numeric;

    /// A file as C IPVS wrote it in a guest, and what Debian's ipvsadm
    /// printed for it.
    const FILE: &str = "\
Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData
TCP 0A090001 D886 0A090001 0050 0A090003 0050 SYN_RECV         59
UDP fd00:0000:0000:0000:0000:0000:0000:0001 BF3F fd00:0000:0000:0000:0000:0000:0000:0001 0035 fd00:0000:0000:0000:0000:0000:0000:0002 0035 UDP             298
TCP 0A090001 0000 0A090001 0050 0A090003 0050 NONE             29
";

    fn listing(text: &str, pe: bool) -> Result<String, Stop> {
        let mut out = String::new();
        list(Some(text.as_bytes()), pe, &Numeric, &mut out).map(|()| out)
    }

    #[test]
    fn as_upstream() {
        assert_eq!(
            listing(FILE, false).unwrap(),
            "IPVS connection entries\n\
             pro expire state       source             virtual            destination\n\
             TCP 00:59  SYN_RECV    10.9.0.1:55430     10.9.0.1:80        10.9.0.3:80\n\
             UDP 04:58  UDP         [fd00::1]:48959    [fd00::1]:53       [fd00::2]:53\n\
             TCP 00:29  NONE        10.9.0.1:0         10.9.0.1:80        10.9.0.3:80\n"
        );
        // Without an engine's columns in the file, short lines anyway.
        let pe = listing(FILE, true).unwrap();
        assert!(pe.starts_with(
            "IPVS connection entries\n\
             pro expire state       source             virtual            destination        pe name          pe_data\n\
             TCP 00:59  SYN_RECV    10.9.0.1:55430     10.9.0.1:80        10.9.0.3:80\n"
        ));
    }

    #[test]
    fn persistence_engine_columns() {
        let file = "title\nUDP 0A000001 13C4 0A000002 13C4 0A000003 13C4 NONE          7200 sip abc@host\n";
        assert_eq!(
            listing(file, true).unwrap().lines().nth(2),
            Some("UDP 120:00 NONE        10.0.0.1:5060      10.0.0.2:5060      10.0.0.3:5060    sip                abc@host")
        );
        assert_eq!(
            listing(file, false).unwrap().lines().nth(2),
            Some("UDP 120:00 NONE        10.0.0.1:5060      10.0.0.2:5060      10.0.0.3:5060")
        );
    }

    #[test]
    fn mixed_families_and_odd_lines() {
        // An IPv4 connection to an IPv6 server (a tunnel), an unknown
        // protocol.
        let file = "title\nIP 0A000001 0000 0A000002 0000 2001:0db8:0000:0000:0000:0000:0000:0005 0000 NONE 3\n";
        assert_eq!(
            listing(file, false).unwrap().lines().nth(2),
            Some("IP  00:03  NONE        10.0.0.1:0         10.0.0.2:0         [2001:db8::5]:0")
        );
        // The title alone: just the headers.
        assert_eq!(listing("title\n", false).unwrap().lines().count(), 2);
    }

    #[test]
    fn where_upstream_exits() {
        let mut out = String::new();
        assert_eq!(
            list(None, false, &Numeric, &mut out),
            Err("cannot open file /proc/net/ip_vs_conn".to_string())
        );
        assert_eq!(
            listing("", false),
            Err("unexpected input from /proc/net/ip_vs_conn".to_string())
        );
        // A blank line: what came before is printed, then a silent exit.
        let mut out = String::new();
        let file = "title\nTCP 0A000001 0001 0A000002 0002 0A000003 0003 NONE 1\n \nTCP\n";
        assert_eq!(
            list(Some(file.as_bytes()), false, &Numeric, &mut out),
            Err(String::new())
        );
        assert_eq!(out.lines().count(), 3);
    }

    #[test]
    fn long_lines_in_pieces() {
        let long = format!("{}\n", "x".repeat(300));
        let pieces: Vec<&[u8]> = fgets_pieces(long.as_bytes()).collect();
        assert_eq!(
            pieces.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [255, 46]
        );
    }
}
