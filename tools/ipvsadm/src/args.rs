//! Option arguments parsed the way ipvsadm 1.31 parses them: C's
//! `strtol` and `inet_aton` with their leniencies, and `parse_service`
//! with its "host[:port]" / "[v6]:port" rules.

use std::net::Ipv6Addr;

use crate::model::{AF_INET, AF_INET6};
use crate::resolve;

/// `strtol(s, &end, 10)`: leading white space, a sign, digits. Returns
/// the value (saturated, with an overflow flag as ERANGE) and the rest.
fn strtol(s: &str) -> Option<(i64, bool, &str)> {
    let t = s.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let (num, rest) = t.split_at(digits);
    let mut value: i64 = 0;
    let mut overflow = false;
    for d in num.bytes() {
        let digit = i64::from(d - b'0');
        value = match value.checked_mul(10).and_then(|v| {
            if neg {
                v.checked_sub(digit)
            } else {
                v.checked_add(digit)
            }
        }) {
            Some(v) => v,
            None => {
                overflow = true;
                if neg {
                    i64::MIN
                } else {
                    i64::MAX
                }
            }
        };
        if overflow {
            break;
        }
    }
    Some((value, overflow, rest))
}

/// `string_to_number`: the whole string is a decimal number in [min, max].
pub fn string_to_number(s: &str, min: i64, max: i64) -> Option<i64> {
    match strtol(s)? {
        (n, false, "") if (min..=max).contains(&n) => Some(n),
        _ => None,
    }
}

/// `parse_fwmark`: a decimal number in 1..=u32::MAX.
pub fn parse_fwmark(s: &str) -> Option<u32> {
    match strtol(s)? {
        (n, false, "") if n > 0 => u32::try_from(n).ok(),
        _ => None,
    }
}

/// One part of an `inet_aton` address, as `strtoul(.., 0)` reads it:
/// decimal, 0x hex or 0 octal ("0x" alone is a zero followed by "x").
fn aton_part(s: &str) -> Option<(u64, &str)> {
    let hex = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .filter(|h| h.starts_with(|c: char| c.is_ascii_hexdigit()));
    let (radix, digits) = match hex {
        Some(h) => (16, h),
        None if s.starts_with('0') => (8, s),
        None => (10, s),
    };
    let len = digits.chars().take_while(|c| c.is_digit(radix)).count();
    let value = u64::from_str_radix(digits.get(..len)?, radix).ok()?;
    Some((value, &digits[len..]))
}

/// glibc's `inet_aton`: one to four parts, the last filling the remaining
/// bytes; anything after white space is ignored.
pub fn inet_aton(s: &str) -> Option<[u8; 4]> {
    let mut parts = Vec::new();
    let mut rest = s;
    loop {
        if !rest.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        let (value, after) = aton_part(rest)?;
        if value > u64::from(u32::MAX) {
            return None;
        }
        parts.push(value as u32);
        match after.chars().next() {
            Some('.') if parts.len() < 4 => rest = &after[1..],
            None => break,
            Some(c) if c.is_ascii_whitespace() => break,
            _ => return None,
        }
    }
    let last = *parts.last()?;
    let head = &parts[..parts.len() - 1];
    if head.iter().any(|&p| p > 0xff) || u64::from(last) >> (8 * (4 - head.len())) != 0 {
        return None;
    }
    let mut value = last;
    for (i, &p) in head.iter().enumerate() {
        value |= p << (24 - 8 * i);
    }
    Some(value.to_be_bytes())
}

/// What `parse_service` found in "host[:port]".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub af: u16,
    pub addr: [u8; 16],
    /// `Some` when a port was given (host byte order).
    pub port: Option<u16>,
}

/// `parse_service`: an IPv4 address or host name with an optional
/// ":port", an IPv6 address alone or "[v6]:port"; ports by number or by
/// service name for `protocol`. `None` where upstream says SERVICE_NONE.
pub fn parse_service(buf: &str, protocol: u16) -> Option<Endpoint> {
    if buf.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (host, mut port_text) = match buf.strip_prefix('[') {
        Some(inner) => {
            let (host, after) = inner.split_once(']')?;
            (host, Some(after.strip_prefix(':')?))
        }
        None => (buf, None),
    };
    let mut addr = [0u8; 16];
    let af = if let Ok(v6) = host.parse::<Ipv6Addr>() {
        addr = v6.octets();
        AF_INET6
    } else {
        // Upstream looks for the port again in what is left of the buffer,
        // which lost it if it came after brackets: "[1.2.3.4]:80" has none.
        let host = match host.rsplit_once(':') {
            Some((h, p)) => {
                port_text = Some(p);
                h
            }
            None => {
                port_text = None;
                host
            }
        };
        let v4 = inet_aton(host).or_else(|| resolve::host_v4(host))?;
        addr[..4].copy_from_slice(&v4);
        AF_INET
    };
    let port = match port_text {
        None => None,
        Some(p) => Some(match string_to_number(p, 0, 65535) {
            Some(n) => n as u16,
            None => resolve::service_port(p, protocol)?,
        }),
    };
    Some(Endpoint { af, addr, port })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_addr::v4;
    use crate::model::IPPROTO_TCP;


    #[test]
    fn numbers_as_strtol() {
        assert_eq!(string_to_number("80", 0, 65535), Some(80));
        assert_eq!(string_to_number(" +7", 0, 65535), Some(7));
        assert_eq!(string_to_number("65536", 0, 65535), None);
        assert_eq!(string_to_number("-1", 0, 65535), None);
        assert_eq!(string_to_number("", 0, 65535), None);
        assert_eq!(string_to_number("8x", 0, 65535), None);
        assert_eq!(string_to_number("99999999999999999999", 0, i64::MAX), None);
        assert_eq!(parse_fwmark("4294967295"), Some(u32::MAX));
        assert_eq!(parse_fwmark("4294967296"), None);
        assert_eq!(parse_fwmark("0"), None);
        assert_eq!(parse_fwmark("-3"), None);
    }

    #[test]
    fn inet_aton_forms() {
        assert_eq!(inet_aton("10.0.0.1"), Some([10, 0, 0, 1]));
        assert_eq!(inet_aton("255.255.255.0"), Some([255, 255, 255, 0]));
        assert_eq!(inet_aton("10.1"), Some([10, 0, 0, 1]));
        assert_eq!(inet_aton("0x7f.1"), Some([127, 0, 0, 1]));
        assert_eq!(inet_aton("010.0.0.1"), Some([8, 0, 0, 1]));
        assert_eq!(inet_aton("16777217"), Some([1, 0, 0, 1]));
        assert_eq!(inet_aton("1.2.3.4 junk"), Some([1, 2, 3, 4]));
        assert_eq!(inet_aton("256.0.0.1"), None);
        assert_eq!(inet_aton("1.2.3.4.5"), None);
        assert_eq!(inet_aton("1.2.3."), None);
        assert_eq!(inet_aton("host"), None);
        assert_eq!(inet_aton("0x"), None);
        assert_eq!(inet_aton("08"), None);
    }

    #[test]
    fn services() {
        let ep = |af, addr, port| Some(Endpoint { af, addr, port });
        assert_eq!(
            parse_service("10.0.0.1:80", IPPROTO_TCP),
            ep(AF_INET, v4([10, 0, 0, 1]), Some(80))
        );
        assert_eq!(
            parse_service("10.0.0.1", IPPROTO_TCP),
            ep(AF_INET, v4([10, 0, 0, 1]), None)
        );
        let v6: [u8; 16] = "2001:db8::1".parse::<Ipv6Addr>().unwrap().octets();
        assert_eq!(
            parse_service("[2001:db8::1]:443", IPPROTO_TCP),
            ep(AF_INET6, v6, Some(443))
        );
        assert_eq!(
            parse_service("2001:db8::1", IPPROTO_TCP),
            ep(AF_INET6, v6, None)
        );
        assert_eq!(
            parse_service("[1.2.3.4]:80", IPPROTO_TCP),
            ep(AF_INET, v4([1, 2, 3, 4]), None)
        );
        assert_eq!(parse_service("[2001:db8::1]", IPPROTO_TCP), None);
        assert_eq!(parse_service("[2001:db8::1]80", IPPROTO_TCP), None);
        assert_eq!(parse_service("80", IPPROTO_TCP), None);
        assert_eq!(parse_service("10.0.0.1:99999", IPPROTO_TCP), None);
        assert_eq!(parse_service("", IPPROTO_TCP), None);
    }
}
