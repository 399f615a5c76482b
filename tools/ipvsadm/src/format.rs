//! The text of a listing, character for character as ipvsadm 1.31 prints
//! it (`print_title`, `print_service_entry`, `addrport_to_anyname` in
//! upstream's ipvsadm.c), including its quirks: fixed-size buffers that
//! cut long names, a signed `%d` for the fwmark, "(null)" for a forwarding
//! method it has no name for.

use crate::model::{
    version_string, Dest, Info, Service, AF_INET, AF_INET6, CONN_F_DROUTE, CONN_F_FWD_MASK,
    CONN_F_LOCALNODE, CONN_F_MASQ, CONN_F_TUNNEL, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP,
    SVC_F_ONEPACKET, SVC_F_PERSISTENT, SVC_F_SCHED1, SVC_F_SCHED2, SVC_F_SCHED3, TUNNEL_TYPE_GRE,
    TUNNEL_TYPE_GUE, TUNNEL_TYPE_IPIP,
};

/// Which columns the real-server lines show (upstream's FMT_* bits; when
/// several are given upstream honours the first of this order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Style {
    #[default]
    Plain,
    Thresholds,
    PersistentConn,
    TunInfo,
}

/// `addrport_to_anyname` writes into a 60-byte buffer.
const ADDRPORT_MAX: usize = 59;
/// Service names of non-IPv6 services are cut at 33 bytes, real-server
/// names of non-IPv6 servers at 28 (`svc_name[33] = '\0'`, `dname[28]`).
const SVC_NAME_MAX: usize = 33;
const DEST_NAME_MAX: usize = 28;

/// "IP Virtual Server version 1.2.1 (size=4096)".
pub fn header(info: &Info) -> String {
    format!(
        "IP Virtual Server version {} (size={})\n",
        version_string(info.version),
        info.conn_tab_size as i32
    )
}

/// The two title lines above the services.
pub fn title(style: Style) -> String {
    const PROT: &str = "Prot LocalAddress:Port";
    const REMOTE: &str = "  -> RemoteAddress:Port";
    match style {
        Style::Thresholds => format!(
            "{PROT:<33} {:<10} {:<10} {:<10} {:<10}\n{REMOTE}\n",
            "Uthreshold", "Lthreshold", "ActiveConn", "InActConn"
        ),
        Style::PersistentConn => format!(
            "{PROT:<33} {:<9} {:<11} {:<10} {:<10}\n{REMOTE}\n",
            "Weight", "PersistConn", "ActiveConn", "InActConn"
        ),
        Style::TunInfo => format!(
            "{PROT} Scheduler Flags\n{REMOTE}           Forward TunnelInfo    Weight ActiveConn InActConn\n"
        ),
        Style::Plain => format!(
            "{PROT} Scheduler Flags\n{REMOTE}           Forward Weight ActiveConn InActConn\n"
        ),
    }
}

/// `inet_ntop(AF_INET6)` as glibc writes it: the longest run of two or
/// more zero groups becomes "::" (the first of equal runs), and an address
/// whose first 96 bits are zero (but for ::/::1-like runs of seven) or
/// that is IPv4-mapped ends in a dotted quad.
pub fn inet_ntop6(addr: &[u8; 16]) -> String {
    let words: Vec<u16> = addr
        .chunks(2)
        .map(|w| u16::from_be_bytes([w[0], w[1]]))
        .collect();
    let (mut best_base, mut best_len) = (None, 0);
    let (mut cur_base, mut cur_len) = (None, 0);
    for (i, &w) in words.iter().enumerate() {
        if w == 0 {
            if cur_base.is_none() {
                cur_base = Some(i);
                cur_len = 1;
            } else {
                cur_len += 1;
            }
        } else if let Some(base) = cur_base.take() {
            if best_base.is_none() || cur_len > best_len {
                best_base = Some(base);
                best_len = cur_len;
            }
        }
    }
    if let Some(base) = cur_base {
        if best_base.is_none() || cur_len > best_len {
            best_base = Some(base);
            best_len = cur_len;
        }
    }
    if best_len < 2 {
        best_base = None;
    }
    let mut out = String::new();
    let mut i = 0;
    while i < 8 {
        if let Some(base) = best_base {
            if i >= base && i < base + best_len {
                if i == base {
                    out.push(':');
                }
                i += 1;
                continue;
            }
        }
        if i != 0 {
            out.push(':');
        }
        let embedded_v4 = i == 6
            && best_base == Some(0)
            && (best_len == 6 || (best_len == 5 && words[5] == 0xffff));
        if embedded_v4 {
            out.push_str(&format!(
                "{}.{}.{}.{}",
                addr[12], addr[13], addr[14], addr[15]
            ));
            return out;
        }
        out.push_str(&format!("{:x}", words[i]));
        i += 1;
    }
    if best_base.is_some_and(|base| base + best_len == 8) {
        out.push(':');
    }
    out
}

/// `addrport_to_anyname` with `-n`: "10.0.0.1:80", "[2001:db8::1]:80".
/// An unknown family prints as glibc prints a NULL string.
pub fn addrport(af: u16, addr: &[u8; 16], port: u16) -> String {
    let host = match af {
        AF_INET => format!("{}.{}.{}.{}", addr[0], addr[1], addr[2], addr[3]),
        AF_INET6 => inet_ntop6(addr),
        _ => "(null)".to_string(),
    };
    let text = if af == AF_INET {
        format!("{host}:{port}")
    } else {
        format!("[{host}]:{port}")
    };
    cut(text, ADDRPORT_MAX)
}

/// Truncate to at most `max` bytes, as a NUL written into a C buffer does.
fn cut(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

fn protocol_name(protocol: u16) -> &'static str {
    match protocol {
        IPPROTO_TCP => "TCP",
        IPPROTO_UDP => "UDP",
        IPPROTO_SCTP => "SCTP",
        _ => "?",
    }
}

/// The "Prot LocalAddress:Port" column: "TCP  10.0.0.1:80", "FWM  3 IPv6".
pub fn service_name(se: &Service) -> String {
    if se.fwmark != 0 {
        // Upstream prints the mark with %d.
        let mark = se.fwmark as i32;
        return if se.af == AF_INET6 {
            format!("FWM  {mark} IPv6")
        } else {
            format!("FWM  {mark}")
        };
    }
    let name = format!(
        "{:<4} {}",
        protocol_name(se.protocol),
        addrport(se.af, &se.addr, se.port)
    );
    if se.af != AF_INET6 {
        cut(name, SVC_NAME_MAX)
    } else {
        name
    }
}

/// Scheduler flags by name, comma-separated ("sh-fallback,sh-port").
fn sched_flags(se: &Service) -> String {
    let names: &[(u32, &str)] = match se.sched_name.as_str() {
        "sh" => &[(SVC_F_SCHED1, "sh-fallback"), (SVC_F_SCHED2, "sh-port")],
        "mh" => &[(SVC_F_SCHED1, "mh-fallback"), (SVC_F_SCHED2, "mh-port")],
        _ => &[
            (SVC_F_SCHED1, "flag-1"),
            (SVC_F_SCHED2, "flag-2"),
            (SVC_F_SCHED3, "flag-3"),
        ],
    };
    names
        .iter()
        .filter(|(bit, _)| se.flags & bit != 0)
        .map(|(_, name)| *name)
        .collect::<Vec<_>>()
        .join(",")
}

/// A service line (without its newline), the same for every `Style`.
pub fn service_line(se: &Service) -> String {
    let mut line = format!("{} {}", service_name(se), se.sched_name);
    if se.flags & (SVC_F_SCHED1 | SVC_F_SCHED2 | SVC_F_SCHED3) != 0 {
        line.push_str(&format!(" ({})", sched_flags(se)));
    }
    if se.flags & SVC_F_PERSISTENT != 0 {
        line.push_str(&format!(" persistent {}", se.timeout));
        if se.af == AF_INET && se.netmask != 0xffff_ffff {
            let m = se.netmask_v4();
            line.push_str(&format!(" mask {}.{}.{}.{}", m[0], m[1], m[2], m[3]));
        }
        if se.af == AF_INET6 && se.netmask != 128 {
            line.push_str(&format!(" mask {}", se.netmask as i32));
        }
        if !se.pe_name.is_empty() {
            line.push_str(&format!(" pe {}", se.pe_name));
        }
    }
    if se.flags & SVC_F_ONEPACKET != 0 {
        line.push_str(" ops");
    }
    line
}

/// The "Forward" column; printf of upstream's NULL for anything else.
fn fwd_name(conn_flags: u32) -> &'static str {
    match conn_flags & CONN_F_FWD_MASK {
        CONN_F_MASQ => "Masq",
        CONN_F_LOCALNODE => "Local",
        CONN_F_TUNNEL => "Tunnel",
        CONN_F_DROUTE => "Route",
        _ => "(null)",
    }
}

/// The "TunnelInfo" column of `--tun-info`: "ipip", "gue:6080:-c",
/// "gre:+c", or "n/a" for a server that is not tunnelled.
fn tun_info(d: &Dest) -> String {
    if d.conn_flags & CONN_F_FWD_MASK != CONN_F_TUNNEL {
        return "n/a".to_string();
    }
    let csum = match d.tun_flags {
        0 => "-c",
        1 => "+c",
        2 => "r+c",
        // Upstream indexes an array of three past its end here.
        _ => "?",
    };
    let info = match d.tun_type {
        TUNNEL_TYPE_IPIP => "ipip".to_string(),
        TUNNEL_TYPE_GUE => format!("gue:{}:{csum}", d.tun_port),
        TUNNEL_TYPE_GRE => format!("gre:{csum}"),
        _ => return "n/a".to_string(),
    };
    cut(info, 15)
}

/// The "RemoteAddress:Port" column of a real server.
fn dest_name(d: &Dest) -> String {
    let name = addrport(d.af, &d.addr, d.port);
    if d.af != AF_INET6 {
        cut(name, DEST_NAME_MAX)
    } else {
        name
    }
}

/// A real-server line (without its newline).
pub fn dest_line(d: &Dest, style: Style) -> String {
    let name = dest_name(d);
    match style {
        Style::Plain => format!(
            "  -> {:<28} {:<7} {:<6} {:<10} {:<10}",
            name,
            fwd_name(d.conn_flags),
            d.weight,
            d.active_conns,
            d.inact_conns
        ),
        Style::Thresholds => format!(
            "  -> {:<28} {:<10} {:<10} {:<10} {:<10}",
            name, d.u_threshold, d.l_threshold, d.active_conns, d.inact_conns
        ),
        Style::PersistentConn => format!(
            "  -> {:<28} {:<9} {:<11} {:<10} {:<10}",
            name, d.weight as u32, d.persist_conns, d.active_conns, d.inact_conns
        ),
        Style::TunInfo => format!(
            "  -> {:<28} {:<7} {:<13} {:<6} {:<10} {:<10}",
            name,
            fwd_name(d.conn_flags),
            tun_info(d),
            d.weight,
            d.active_conns,
            d.inact_conns
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(a: [u8; 4]) -> [u8; 16] {
        let mut addr = [0; 16];
        addr[..4].copy_from_slice(&a);
        addr
    }

    fn v6(s: &str) -> [u8; 16] {
        s.parse::<std::net::Ipv6Addr>().unwrap().octets()
    }

    fn tcp_service(addr: [u8; 4], port: u16) -> Service {
        Service {
            af: AF_INET,
            protocol: IPPROTO_TCP,
            addr: v4(addr),
            port,
            sched_name: "wlc".into(),
            netmask: 0xffff_ffff,
            ..Default::default()
        }
    }

    #[test]
    fn header_and_title() {
        let info = Info {
            version: 0x010201,
            conn_tab_size: 4096,
        };
        assert_eq!(
            header(&info),
            "IP Virtual Server version 1.2.1 (size=4096)\n"
        );
        assert_eq!(
            title(Style::Plain),
            "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
        );
    }

    #[test]
    fn ipv6_text_as_glibc() {
        assert_eq!(inet_ntop6(&v6("2001:db8::1")), "2001:db8::1");
        assert_eq!(inet_ntop6(&v6("::")), "::");
        assert_eq!(inet_ntop6(&v6("::1")), "::1");
        assert_eq!(inet_ntop6(&v6("fe80::")), "fe80::");
        assert_eq!(inet_ntop6(&v6("1:0:0:2:0:0:0:3")), "1:0:0:2::3");
        assert_eq!(inet_ntop6(&v6("1:0:0:2:0:0:3:4")), "1::2:0:0:3:4");
        assert_eq!(inet_ntop6(&v6("1:0:2:3:4:5:6:7")), "1:0:2:3:4:5:6:7");
        assert_eq!(inet_ntop6(&v6("::ffff:10.1.2.3")), "::ffff:10.1.2.3");
        assert_eq!(inet_ntop6(&v6("::10.1.2.3")), "::10.1.2.3");
        assert_eq!(
            inet_ntop6(&v6("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff")),
            "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff"
        );
    }

    #[test]
    fn addresses_and_ports() {
        assert_eq!(addrport(AF_INET, &v4([10, 0, 0, 1]), 80), "10.0.0.1:80");
        assert_eq!(
            addrport(AF_INET6, &v6("2001:db8::1"), 443),
            "[2001:db8::1]:443"
        );
        assert_eq!(addrport(AF_INET, &v4([0, 0, 0, 0]), 0), "0.0.0.0:0");
        assert_eq!(addrport(7, &[0; 16], 1), "[(null)]:1");
    }

    #[test]
    fn service_lines() {
        let mut se = tcp_service([10, 0, 0, 1], 80);
        assert_eq!(service_line(&se), "TCP  10.0.0.1:80 wlc");

        se.protocol = IPPROTO_UDP;
        se.flags = SVC_F_PERSISTENT | SVC_F_ONEPACKET | 0x2;
        se.timeout = 300;
        se.netmask = u32::from_ne_bytes([255, 255, 255, 0]);
        assert_eq!(
            service_line(&se),
            "UDP  10.0.0.1:80 wlc persistent 300 mask 255.255.255.0 ops"
        );

        se.protocol = IPPROTO_SCTP;
        se.flags = SVC_F_PERSISTENT;
        se.netmask = 0xffff_ffff;
        se.pe_name = "sip".into();
        assert_eq!(
            service_line(&se),
            "SCTP 10.0.0.1:80 wlc persistent 300 pe sip"
        );

        se.protocol = 50;
        se.flags = 0;
        assert_eq!(service_line(&se), "?    10.0.0.1:80 wlc");
    }

    #[test]
    fn ipv6_service_lines() {
        let mut se = Service {
            af: AF_INET6,
            protocol: IPPROTO_TCP,
            addr: v6("2001:db8::1"),
            port: 443,
            sched_name: "rr".into(),
            flags: SVC_F_PERSISTENT,
            timeout: 360,
            netmask: 128,
            ..Default::default()
        };
        assert_eq!(
            service_line(&se),
            "TCP  [2001:db8::1]:443 rr persistent 360"
        );
        se.netmask = 64;
        assert_eq!(
            service_line(&se),
            "TCP  [2001:db8::1]:443 rr persistent 360 mask 64"
        );
        // IPv6 names are never cut.
        se.addr = v6("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff");
        se.flags = 0;
        assert_eq!(
            service_line(&se),
            "TCP  [2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff]:443 rr"
        );
    }

    #[test]
    fn fwmark_services() {
        let mut se = tcp_service([0, 0, 0, 0], 0);
        se.fwmark = 7;
        assert_eq!(service_line(&se), "FWM  7 wlc");
        se.af = AF_INET6;
        se.netmask = 128;
        assert_eq!(service_line(&se), "FWM  7 IPv6 wlc");
        se.af = AF_INET;
        se.fwmark = u32::MAX;
        assert_eq!(service_line(&se), "FWM  -1 wlc");
    }

    #[test]
    fn scheduler_flags() {
        let mut se = tcp_service([10, 0, 0, 1], 80);
        se.sched_name = "sh".into();
        se.flags = SVC_F_SCHED1 | SVC_F_SCHED2;
        assert_eq!(
            service_line(&se),
            "TCP  10.0.0.1:80 sh (sh-fallback,sh-port)"
        );
        se.sched_name = "mh".into();
        se.flags = SVC_F_SCHED2;
        assert_eq!(service_line(&se), "TCP  10.0.0.1:80 mh (mh-port)");
        se.sched_name = "rr".into();
        se.flags = SVC_F_SCHED1 | SVC_F_SCHED3;
        assert_eq!(service_line(&se), "TCP  10.0.0.1:80 rr (flag-1,flag-3)");
        // sh has no third flag: upstream prints empty parentheses.
        se.sched_name = "sh".into();
        se.flags = SVC_F_SCHED3;
        assert_eq!(service_line(&se), "TCP  10.0.0.1:80 sh ()");
    }

    fn dest(addr: [u8; 16], af: u16, port: u16, conn_flags: u32, weight: i32) -> Dest {
        Dest {
            af,
            addr,
            port,
            conn_flags,
            weight,
            ..Default::default()
        }
    }

    #[test]
    fn dest_lines() {
        let d = dest(v4([192, 168, 1, 1]), AF_INET, 8080, CONN_F_MASQ, 3);
        assert_eq!(
            dest_line(&d, Style::Plain),
            "  -> 192.168.1.1:8080             Masq    3      0          0         "
        );
        let mut d = dest(v4([10, 1, 1, 1]), AF_INET, 80, CONN_F_DROUTE, 0);
        d.active_conns = 12;
        d.inact_conns = 4_000_000_000;
        assert_eq!(
            dest_line(&d, Style::Plain),
            "  -> 10.1.1.1:80                  Route   0      12         4000000000"
        );
        let d = dest(v4([127, 0, 0, 1]), AF_INET, 80, CONN_F_LOCALNODE, 65535);
        assert_eq!(
            dest_line(&d, Style::Plain),
            "  -> 127.0.0.1:80                 Local   65535  0          0         "
        );
        let d = dest(v6("2001:db8::5"), AF_INET6, 80, CONN_F_TUNNEL | 0x100, 1);
        assert_eq!(
            dest_line(&d, Style::Plain),
            "  -> [2001:db8::5]:80             Tunnel  1      0          0         "
        );
        let d = dest(v4([1, 2, 3, 4]), AF_INET, 1, 4, 1);
        assert_eq!(
            dest_line(&d, Style::Plain),
            "  -> 1.2.3.4:1                    (null)  1      0          0         "
        );
        // Wider than the column: pushes the rest right, never cut for IPv6.
        let d = dest(
            v6("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff"),
            AF_INET6,
            65535,
            CONN_F_MASQ,
            1,
        );
        assert_eq!(
            dest_line(&d, Style::Plain),
            "  -> [2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff]:65535 Masq    1      0          0         "
        );
    }

    #[test]
    fn dest_lines_other_styles() {
        let mut d = dest(v4([10, 0, 0, 2]), AF_INET, 80, CONN_F_TUNNEL, 2);
        d.u_threshold = 100;
        d.l_threshold = 10;
        d.persist_conns = 5;
        assert_eq!(
            dest_line(&d, Style::Thresholds),
            "  -> 10.0.0.2:80                  100        10         0          0         "
        );
        assert_eq!(
            dest_line(&d, Style::PersistentConn),
            "  -> 10.0.0.2:80                  2         5           0          0         "
        );
        assert_eq!(
            dest_line(&d, Style::TunInfo),
            "  -> 10.0.0.2:80                  Tunnel  ipip          2      0          0         "
        );
        d.tun_type = TUNNEL_TYPE_GUE;
        d.tun_port = 6080;
        d.tun_flags = 2;
        assert_eq!(tun_info(&d), "gue:6080:r+c");
        d.tun_type = TUNNEL_TYPE_GRE;
        d.tun_flags = 1;
        assert_eq!(tun_info(&d), "gre:+c");
        d.conn_flags = CONN_F_MASQ;
        assert_eq!(tun_info(&d), "n/a");
    }
}
