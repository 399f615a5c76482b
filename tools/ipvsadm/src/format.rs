//! The text of a listing, character for character as ipvsadm 1.31 prints
//! it (`print_title`, `print_service_entry`, `print_largenum`,
//! `addrport_to_anyname`, `list_timeout`, `list_daemon` in upstream's
//! ipvsadm.c), including its quirks: fixed-size buffers that cut long
//! names, a signed `%d` for the fwmark, "(null)" for a forwarding method
//! it has no name for. The `-S` lines are save.rs's.

use crate::model::{
    version_string, Daemon, Dest, Info, Service, Stats, Timeouts, AF_INET, AF_INET6, CONN_F_DROUTE,
    CONN_F_FWD_MASK, CONN_F_LOCALNODE, CONN_F_MASQ, CONN_F_TUNNEL, IPPROTO_SCTP, IPPROTO_TCP,
    IPPROTO_UDP, STATE_BACKUP, STATE_MASTER, SVC_F_ONEPACKET, SVC_F_PERSISTENT, SVC_F_SCHED1,
    SVC_F_SCHED2, SVC_F_SCHED3, TUNNEL_TYPE_GRE, TUNNEL_TYPE_GUE, TUNNEL_TYPE_IPIP,
};

/// What the lines show (upstream's FMT_* bits; when several are given
/// upstream honours the first of this order). `Rule` is `-S`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Style {
    Rule,
    Stats,
    Rate,
    Thresholds,
    PersistentConn,
    TunInfo,
    #[default]
    Plain,
}

/// Host and service names for addresses and ports: none with `-n`
/// (`Numeric`), the system's without (resolve.rs).
pub trait Names {
    /// The name of a host address of family `af`.
    fn host(&self, af: u16, addr: &[u8; 16]) -> Option<String>;
    /// The name of a port of `protocol`.
    fn service(&self, port: u16, protocol: u16) -> Option<String>;
}

/// `-n`: numbers only.
pub struct Numeric;

impl Names for Numeric {
    fn host(&self, _af: u16, _addr: &[u8; 16]) -> Option<String> {
        None
    }

    fn service(&self, _port: u16, _protocol: u16) -> Option<String> {
        None
    }
}

/// How to write the lines of a listing.
#[derive(Clone, Copy)]
pub struct Format<'a> {
    pub style: Style,
    /// `--exact`: counters in full, never cut to K, M, G or T.
    pub exact: bool,
    pub names: &'a dyn Names,
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

/// The two title lines above the services (none for `-S`).
pub fn title(style: Style) -> String {
    const PROT: &str = "Prot LocalAddress:Port";
    const REMOTE: &str = "  -> RemoteAddress:Port";
    match style {
        Style::Rule => String::new(),
        Style::Stats => format!(
            "{PROT:<33} {:>8} {:>8} {:>8} {:>8} {:>8}\n{REMOTE}\n",
            "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes"
        ),
        Style::Rate => format!(
            "{PROT:<33} {:>8} {:>8} {:>8} {:>8} {:>8}\n{REMOTE}\n",
            "CPS", "InPPS", "OutPPS", "InBPS", "OutBPS"
        ),
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

/// `inet_ntop`: an address as text; an unknown family prints as glibc
/// prints a NULL string.
pub fn inet_ntop(af: u16, addr: &[u8; 16]) -> String {
    match af {
        AF_INET => format!("{}.{}.{}.{}", addr[0], addr[1], addr[2], addr[3]),
        AF_INET6 => inet_ntop6(addr),
        _ => "(null)".to_string(),
    }
}

/// `addrport_to_anyname`: "10.0.0.1:80", "[2001:db8::1]:80", or with
/// names "localhost:http"; a host or port without a name is a number.
pub fn addrport(af: u16, addr: &[u8; 16], port: u16, protocol: u16, names: &dyn Names) -> String {
    let host = names.host(af, addr).unwrap_or_else(|| inet_ntop(af, addr));
    let port = names
        .service(port, protocol)
        .unwrap_or_else(|| port.to_string());
    let text = if af == AF_INET {
        format!("{host}:{port}")
    } else {
        format!("[{host}]:{port}")
    };
    cut(text, ADDRPORT_MAX)
}

/// Truncate to at most `max` bytes, as a NUL written into a C buffer does.
pub fn cut(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// The protocol column ("TCP", "?" for one upstream does not know).
pub fn protocol_name(protocol: u16) -> &'static str {
    match protocol {
        IPPROTO_TCP => "TCP",
        IPPROTO_UDP => "UDP",
        IPPROTO_SCTP => "SCTP",
        _ => "?",
    }
}

/// The "Prot LocalAddress:Port" column: "TCP  10.0.0.1:80", "FWM  3 IPv6".
pub fn service_name(se: &Service, names: &dyn Names) -> String {
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
        addrport(se.af, &se.addr, se.port, se.protocol, names)
    );
    if se.af != AF_INET6 {
        cut(name, SVC_NAME_MAX)
    } else {
        name
    }
}

/// Scheduler flags by name, comma-separated ("sh-fallback,sh-port").
pub fn sched_flags(se: &Service) -> String {
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

/// `print_largenum`: a counter in a 9-character column, in thousands
/// ("K"), millions, billions or trillions once it is too wide; with
/// `--exact` in full, one blank before it.
pub fn largenum(i: u64, exact: bool) -> String {
    if exact {
        let digits = i.to_string();
        let width = if digits.len() <= 8 {
            9
        } else {
            digits.len() + 1
        };
        return format!("{digits:>width$}");
    }
    match i {
        0..=99_999_999 => format!("{i:>9}"),
        100_000_000..=999_999_999 => format!("{:>8}K", i / 1_000),
        1_000_000_000..=99_999_999_999 => format!("{:>8}M", i / 1_000_000),
        100_000_000_000..=99_999_999_999_999 => format!("{:>8}G", i / 1_000_000_000),
        _ => format!("{:>8}T", i / 1_000_000_000_000),
    }
}

/// The five `--stats` columns.
fn stats_columns(st: &Stats, exact: bool) -> String {
    [st.conns, st.inpkts, st.outpkts, st.inbytes, st.outbytes]
        .iter()
        .map(|&n| largenum(n, exact))
        .collect()
}

/// A service line (without its newline) of a listing (not `-S`).
pub fn service_line(se: &Service, fmt: &Format) -> String {
    let name = service_name(se, fmt.names);
    match fmt.style {
        Style::Stats => return format!("{name:<33}{}", stats_columns(&se.stats, fmt.exact)),
        Style::Rate => {
            let st = &se.stats;
            let rates: String = [st.cps, st.inpps, st.outpps, st.inbps, st.outbps]
                .iter()
                .map(|&n| largenum(n, fmt.exact))
                .collect();
            return format!("{name:<33}{rates}");
        }
        _ => {}
    }
    let mut line = format!("{name} {}", se.sched_name);
    if se.flags & (SVC_F_SCHED1 | SVC_F_SCHED2 | SVC_F_SCHED3) != 0 {
        line.push_str(&format!(" ({})", sched_flags(se)));
    }
    if se.flags & SVC_F_PERSISTENT != 0 {
        line.push_str(&format!(" persistent {}", se.timeout));
        if let Some(mask) = persistence_mask(se) {
            line.push_str(&format!(" mask {mask}"));
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

/// The persistence granularity, when it is not a single address: an
/// IPv4 netmask ("255.255.255.0") or an IPv6 prefix length.
pub fn persistence_mask(se: &Service) -> Option<String> {
    match se.af {
        AF_INET if se.netmask != 0xffff_ffff => {
            let m = se.netmask_v4();
            Some(format!("{}.{}.{}.{}", m[0], m[1], m[2], m[3]))
        }
        AF_INET6 if se.netmask != 128 => Some((se.netmask as i32).to_string()),
        _ => None,
    }
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

/// The "RemoteAddress:Port" column of a real server of a service of
/// `protocol` (its names are looked up for that protocol).
fn dest_name(d: &Dest, protocol: u16, names: &dyn Names) -> String {
    let name = addrport(d.af, &d.addr, d.port, protocol, names);
    if d.af != AF_INET6 {
        cut(name, DEST_NAME_MAX)
    } else {
        name
    }
}

/// A line (without its newline) of real server `d` of service `se` in a
/// listing (not `-S`).
pub fn dest_line(d: &Dest, se: &Service, fmt: &Format) -> String {
    let name = dest_name(d, se.protocol, fmt.names);
    let st = &d.stats;
    match fmt.style {
        Style::Stats => format!("  -> {name:<28}{}", stats_columns(st, fmt.exact)),
        // The packet rates never shrink to K or M here.
        Style::Rate => format!(
            "  -> {name:<28} {:>8} {:>8} {:>8}{}{}",
            st.cps,
            st.inpps,
            st.outpps,
            largenum(st.inbps, fmt.exact),
            largenum(st.outbps, fmt.exact)
        ),
        // (`-S` lines are save.rs's.)
        Style::Plain | Style::Rule => format!(
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

/// `--timeout`: "Timeout (tcp tcpfin udp): 900 120 300".
pub fn timeouts_line(t: &Timeouts) -> String {
    format!(
        "Timeout (tcp tcpfin udp): {} {} {}\n",
        t.tcp as i32, t.tcp_fin as i32, t.udp as i32
    )
}

/// `--daemon`: a line per daemon that is master or backup, the settings
/// the kernel told (those it left out or at zero are not shown).
pub fn daemon_line(d: &Daemon) -> Option<String> {
    let kind = if d.state & STATE_MASTER != 0 {
        "master"
    } else if d.state & STATE_BACKUP != 0 {
        "backup"
    } else {
        return None;
    };
    let mut line = format!(
        "{kind} sync daemon (mcast={}, syncid={}",
        d.mcast_ifn, d.syncid as i32
    );
    if d.sync_maxlen != 0 {
        line.push_str(&format!(", maxlen={}", d.sync_maxlen));
    }
    match d.mcast_group {
        Some(std::net::IpAddr::V4(a)) => line.push_str(&format!(", group={a}")),
        Some(std::net::IpAddr::V6(a)) => {
            line.push_str(&format!(", group={}", inet_ntop6(&a.octets())))
        }
        None => {}
    }
    if d.mcast_port != 0 {
        line.push_str(&format!(", port={}", d.mcast_port));
    }
    if d.mcast_ttl != 0 {
        line.push_str(&format!(", ttl={}", d.mcast_ttl));
    }
    line.push_str(")\n");
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_addr::{v4, v6};

    const PLAIN: Format = Format {
        style: Style::Plain,
        exact: false,
        names: &Numeric,
    };

    /// The service of the real servers below (its protocol names ports).
    fn svc() -> Service {
        Service {
            af: AF_INET,
            protocol: IPPROTO_TCP,
            port: 80,
            netmask: u32::MAX,
            ..Default::default()
        }
    }

    fn fmt(style: Style) -> Format<'static> {
        Format { style, ..PLAIN }
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
        assert_eq!(
            addrport(AF_INET, &v4([10, 0, 0, 1]), 80, IPPROTO_TCP, &Numeric),
            "10.0.0.1:80"
        );
        assert_eq!(
            addrport(AF_INET6, &v6("2001:db8::1"), 443, IPPROTO_TCP, &Numeric),
            "[2001:db8::1]:443"
        );
        assert_eq!(
            addrport(AF_INET, &v4([0, 0, 0, 0]), 0, IPPROTO_TCP, &Numeric),
            "0.0.0.0:0"
        );
        assert_eq!(
            addrport(7, &[0; 16], 1, IPPROTO_TCP, &Numeric),
            "[(null)]:1"
        );
    }

    #[test]
    fn service_lines() {
        let mut se = tcp_service([10, 0, 0, 1], 80);
        assert_eq!(service_line(&se, &PLAIN), "TCP  10.0.0.1:80 wlc");

        se.protocol = IPPROTO_UDP;
        se.flags = SVC_F_PERSISTENT | SVC_F_ONEPACKET | 0x2;
        se.timeout = 300;
        se.netmask = u32::from_ne_bytes([255, 255, 255, 0]);
        assert_eq!(
            service_line(&se, &PLAIN),
            "UDP  10.0.0.1:80 wlc persistent 300 mask 255.255.255.0 ops"
        );

        se.protocol = IPPROTO_SCTP;
        se.flags = SVC_F_PERSISTENT;
        se.netmask = 0xffff_ffff;
        se.pe_name = "sip".into();
        assert_eq!(
            service_line(&se, &PLAIN),
            "SCTP 10.0.0.1:80 wlc persistent 300 pe sip"
        );

        se.protocol = 50;
        se.flags = 0;
        assert_eq!(service_line(&se, &PLAIN), "?    10.0.0.1:80 wlc");
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
            service_line(&se, &PLAIN),
            "TCP  [2001:db8::1]:443 rr persistent 360"
        );
        se.netmask = 64;
        assert_eq!(
            service_line(&se, &PLAIN),
            "TCP  [2001:db8::1]:443 rr persistent 360 mask 64"
        );
        // IPv6 names are never cut.
        se.addr = v6("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff");
        se.flags = 0;
        assert_eq!(
            service_line(&se, &PLAIN),
            "TCP  [2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff]:443 rr"
        );
    }

    #[test]
    fn fwmark_services() {
        let mut se = tcp_service([0, 0, 0, 0], 0);
        se.fwmark = 7;
        assert_eq!(service_line(&se, &PLAIN), "FWM  7 wlc");
        se.af = AF_INET6;
        se.netmask = 128;
        assert_eq!(service_line(&se, &PLAIN), "FWM  7 IPv6 wlc");
        se.af = AF_INET;
        se.fwmark = u32::MAX;
        assert_eq!(service_line(&se, &PLAIN), "FWM  -1 wlc");
    }

    #[test]
    fn scheduler_flags() {
        let mut se = tcp_service([10, 0, 0, 1], 80);
        se.sched_name = "sh".into();
        se.flags = SVC_F_SCHED1 | SVC_F_SCHED2;
        assert_eq!(
            service_line(&se, &PLAIN),
            "TCP  10.0.0.1:80 sh (sh-fallback,sh-port)"
        );
        se.sched_name = "mh".into();
        se.flags = SVC_F_SCHED2;
        assert_eq!(service_line(&se, &PLAIN), "TCP  10.0.0.1:80 mh (mh-port)");
        se.sched_name = "rr".into();
        se.flags = SVC_F_SCHED1 | SVC_F_SCHED3;
        assert_eq!(
            service_line(&se, &PLAIN),
            "TCP  10.0.0.1:80 rr (flag-1,flag-3)"
        );
        // sh has no third flag: upstream prints empty parentheses.
        se.sched_name = "sh".into();
        se.flags = SVC_F_SCHED3;
        assert_eq!(service_line(&se, &PLAIN), "TCP  10.0.0.1:80 sh ()");
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
            dest_line(&d, &svc(), &fmt(Style::Plain)),
            "  -> 192.168.1.1:8080             Masq    3      0          0         "
        );
        let mut d = dest(v4([10, 1, 1, 1]), AF_INET, 80, CONN_F_DROUTE, 0);
        d.active_conns = 12;
        d.inact_conns = 4_000_000_000;
        assert_eq!(
            dest_line(&d, &svc(), &fmt(Style::Plain)),
            "  -> 10.1.1.1:80                  Route   0      12         4000000000"
        );
        let d = dest(v4([127, 0, 0, 1]), AF_INET, 80, CONN_F_LOCALNODE, 65535);
        assert_eq!(
            dest_line(&d, &svc(), &fmt(Style::Plain)),
            "  -> 127.0.0.1:80                 Local   65535  0          0         "
        );
        let d = dest(v6("2001:db8::5"), AF_INET6, 80, CONN_F_TUNNEL | 0x100, 1);
        assert_eq!(
            dest_line(&d, &svc(), &fmt(Style::Plain)),
            "  -> [2001:db8::5]:80             Tunnel  1      0          0         "
        );
        let d = dest(v4([1, 2, 3, 4]), AF_INET, 1, 4, 1);
        assert_eq!(
            dest_line(&d, &svc(), &fmt(Style::Plain)),
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
            dest_line(&d, &svc(), &fmt(Style::Plain)),
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
            dest_line(&d, &svc(), &fmt(Style::Thresholds)),
            "  -> 10.0.0.2:80                  100        10         0          0         "
        );
        assert_eq!(
            dest_line(&d, &svc(), &fmt(Style::PersistentConn)),
            "  -> 10.0.0.2:80                  2         5           0          0         "
        );
        assert_eq!(
            dest_line(&d, &svc(), &fmt(Style::TunInfo)),
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

    #[test]
    fn large_numbers() {
        assert_eq!(largenum(0, false), "        0");
        assert_eq!(largenum(99_999_999, false), " 99999999");
        assert_eq!(largenum(100_000_000, false), "  100000K");
        assert_eq!(largenum(999_999_999, false), "  999999K");
        assert_eq!(largenum(1_000_000_000, false), "    1000M");
        assert_eq!(largenum(99_999_999_999, false), "   99999M");
        assert_eq!(largenum(100_000_000_000, false), "     100G");
        assert_eq!(largenum(99_999_999_999_999, false), "   99999G");
        assert_eq!(largenum(100_000_000_000_000, false), "     100T");
        assert_eq!(largenum(u64::MAX, false), "18446744T");
        assert_eq!(largenum(12_345_678, true), " 12345678");
        assert_eq!(largenum(123_456_789, true), " 123456789");
        assert_eq!(largenum(u64::MAX, true), " 18446744073709551615");
    }

    #[test]
    fn stats_lines() {
        let mut se = Service {
            af: AF_INET6,
            protocol: IPPROTO_UDP,
            addr: v6("2001:db8::1"),
            port: 53,
            netmask: 128,
            ..Default::default()
        };
        se.stats.conns = 1;
        se.stats.inbytes = 51;
        se.stats.inbps = 4;
        let stats = fmt(Style::Stats);
        assert_eq!(
            service_line(&se, &stats),
            "UDP  [2001:db8::1]:53                    1        0        0       51        0"
        );
        assert_eq!(
            service_line(&se, &fmt(Style::Rate)),
            "UDP  [2001:db8::1]:53                    0        0        0        4        0"
        );
        // Longer than the column: no blank before the numbers.
        se.addr = v6("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff");
        assert_eq!(
            service_line(&se, &stats),
            "UDP  [2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff]:53        1        0        0       51        0"
        );
        let mut d = dest(v4([10, 1, 1, 1]), AF_INET, 80, CONN_F_MASQ, 1);
        d.stats.outbytes = 5_000_000_000;
        d.stats.cps = 123_456_789;
        assert_eq!(
            dest_line(&d, &svc(), &stats),
            "  -> 10.1.1.1:80                         0        0        0        0    5000M"
        );
        assert_eq!(
            dest_line(&d, &svc(), &fmt(Style::Rate)),
            "  -> 10.1.1.1:80                  123456789        0        0        0        0"
        );
    }

    #[test]
    fn names_when_the_system_has_them() {
        struct Fake;
        impl Names for Fake {
            fn host(&self, af: u16, _addr: &[u8; 16]) -> Option<String> {
                (af == AF_INET).then(|| "a-rather-long-host-name.example.org".to_string())
            }
            fn service(&self, port: u16, protocol: u16) -> Option<String> {
                (port == 80 && protocol == IPPROTO_TCP).then(|| "http".to_string())
            }
        }
        let mut se = tcp_service([10, 0, 0, 1], 80);
        let named = Format {
            names: &Fake,
            ..PLAIN
        };
        // Cut at 33 bytes, as upstream's buffer.
        assert_eq!(
            service_line(&se, &named),
            "TCP  a-rather-long-host-name.exam wlc"
        );
        se.port = 81;
        se.af = AF_INET6;
        se.addr = v6("2001:db8::1");
        assert_eq!(service_line(&se, &named), "TCP  [2001:db8::1]:81 wlc");
        let d = dest(v4([10, 1, 1, 1]), AF_INET, 80, CONN_F_MASQ, 1);
        assert_eq!(
            dest_line(&d, &svc(), &named),
            "  -> a-rather-long-host-name.exam Masq    1      0          0         "
        );
    }

    #[test]
    fn timeouts_and_daemons() {
        let t = Timeouts {
            tcp: 900,
            tcp_fin: 120,
            udp: u32::MAX,
        };
        assert_eq!(timeouts_line(&t), "Timeout (tcp tcpfin udp): 900 120 -1\n");
        let d = Daemon {
            state: STATE_BACKUP | STATE_MASTER,
            mcast_ifn: "eth0".into(),
            syncid: 255,
            mcast_group: Some("ff02::81".parse().unwrap()),
            ..Default::default()
        };
        assert_eq!(
            daemon_line(&d).unwrap(),
            "master sync daemon (mcast=eth0, syncid=255, group=ff02::81)\n"
        );
        assert_eq!(daemon_line(&Daemon::default()), None);
    }
}
