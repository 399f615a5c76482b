//! `-S`: the table as the command lines that build it again, as
//! ipvsadm 1.31 prints them (`print_service_entry` and
//! `print_tunnel_rule` with FMT_RULE): one `-A` per service, then one
//! `-a` per real server, in the listing's order. Like upstream's, these
//! lines leave out what `-A` and `-a` cannot set back in the same words
//! (thresholds are not saved), and name a protocol upstream does not know
//! "--xxx-service".

use crate::format::{addrport, persistence_mask, sched_flags, Names};
use crate::model::{
    Dest, Service, AF_INET6, CONN_F_DROUTE, CONN_F_FWD_MASK, CONN_F_LOCALNODE, CONN_F_MASQ,
    CONN_F_TUNNEL, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, SVC_F_ONEPACKET, SVC_F_PERSISTENT,
    SVC_F_SCHED1, SVC_F_SCHED2, SVC_F_SCHED3, TUNNEL_TYPE_GRE, TUNNEL_TYPE_GUE, TUNNEL_TYPE_IPIP,
};

/// The options naming a service: "-t 10.0.0.1:80", "--sctp-service
/// [2001:db8::1]:9", "-f 5 -6" (the mark signed, as `%d` prints it).
pub fn service_option(se: &Service, names: &dyn Names) -> String {
    if se.fwmark != 0 {
        let mark = se.fwmark as i32;
        return if se.af == AF_INET6 {
            format!("-f {mark} -6")
        } else {
            format!("-f {mark}")
        };
    }
    let kind = match se.protocol {
        IPPROTO_TCP => "-t",
        IPPROTO_UDP => "-u",
        IPPROTO_SCTP => "--sctp-service",
        _ => "--xxx-service",
    };
    format!(
        "{kind} {}",
        addrport(se.af, &se.addr, se.port, se.protocol, names)
    )
}

/// The `-A` line of a service named `svc` (its `service_option`). The
/// persistence engine is saved even without persistence, the mask only
/// with it.
pub fn service_rule(se: &Service, svc: &str) -> String {
    let mut line = format!("-A {svc} -s {}", se.sched_name);
    if se.flags & SVC_F_PERSISTENT != 0 {
        line.push_str(&format!(" -p {}", se.timeout));
        if let Some(mask) = persistence_mask(se) {
            line.push_str(&format!(" -M {mask}"));
        }
    }
    if !se.pe_name.is_empty() {
        line.push_str(&format!(" --pe {}", se.pe_name));
    }
    if se.flags & SVC_F_ONEPACKET != 0 {
        line.push_str(" -o");
    }
    if se.flags & (SVC_F_SCHED1 | SVC_F_SCHED2 | SVC_F_SCHED3) != 0 {
        line.push_str(&format!(" -b {}", sched_flags(se)));
    }
    line
}

/// `fwd_switch`: the option of a forwarding method (a local server is
/// saved as direct routing); printf of upstream's NULL for others.
fn fwd_switch(conn_flags: u32) -> &'static str {
    match conn_flags & CONN_F_FWD_MASK {
        CONN_F_MASQ => "-m",
        CONN_F_TUNNEL => "-i",
        CONN_F_LOCALNODE | CONN_F_DROUTE => "-g",
        _ => "(null)",
    }
}

/// The checksum options of a tunnel, by `tun_flags` (upstream indexes an
/// array of three past its end for anything else).
fn tun_flags_option(tun_flags: u16) -> &'static str {
    match tun_flags {
        0 => "--tun-nocsum",
        1 => "--tun-csum",
        2 => "--tun-remcsum",
        _ => "?",
    }
}

/// The `-a` line of real server `d` of the service named `svc`, whose
/// protocol names the port.
pub fn dest_rule(d: &Dest, svc: &str, protocol: u16, names: &dyn Names) -> String {
    let line = format!(
        "-a {svc} -r {} {} -w {}",
        addrport(d.af, &d.addr, d.port, protocol, names),
        fwd_switch(d.conn_flags),
        d.weight
    );
    if d.conn_flags & CONN_F_FWD_MASK != CONN_F_TUNNEL {
        return line;
    }
    match d.tun_type {
        TUNNEL_TYPE_IPIP => format!("{line} --tun-type ipip"),
        TUNNEL_TYPE_GUE => format!(
            "{line} --tun-type gue --tun-port {} {}",
            d.tun_port,
            tun_flags_option(d.tun_flags)
        ),
        TUNNEL_TYPE_GRE => format!("{line} --tun-type gre {}", tun_flags_option(d.tun_flags)),
        _ => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_addr::{v4, v6};
    use crate::format::Numeric;
    use crate::model::AF_INET;



    fn service(af: u16, protocol: u16, addr: [u8; 16], port: u16) -> Service {
        Service {
            af,
            protocol,
            addr,
            port,
            sched_name: "wlc".into(),
            netmask: if af == AF_INET6 { 128 } else { u32::MAX },
            ..Default::default()
        }
    }

    fn rule(se: &Service) -> String {
        service_rule(se, &service_option(se, &Numeric))
    }

    #[test]
    fn service_rules() {
        let mut se = service(AF_INET, IPPROTO_TCP, v4([10, 0, 0, 1]), 80);
        assert_eq!(rule(&se), "-A -t 10.0.0.1:80 -s wlc");
        se.protocol = IPPROTO_UDP;
        se.flags = SVC_F_PERSISTENT | SVC_F_ONEPACKET;
        se.timeout = 360;
        se.netmask = u32::from_ne_bytes([255, 255, 255, 0]);
        assert_eq!(
            rule(&se),
            "-A -u 10.0.0.1:80 -s wlc -p 360 -M 255.255.255.0 -o"
        );
        // The engine without persistence, the mask only with it.
        se.protocol = IPPROTO_SCTP;
        se.flags = 0;
        se.pe_name = "sip".into();
        assert_eq!(rule(&se), "-A --sctp-service 10.0.0.1:80 -s wlc --pe sip");
        se.protocol = 50;
        se.pe_name.clear();
        assert_eq!(rule(&se), "-A --xxx-service 10.0.0.1:80 -s wlc");

        let mut se = service(AF_INET6, IPPROTO_TCP, v6("2001:db8::1"), 443);
        se.sched_name = "sh".into();
        se.flags = SVC_F_PERSISTENT | SVC_F_SCHED1 | SVC_F_SCHED2;
        se.timeout = 60;
        se.netmask = 64;
        assert_eq!(
            rule(&se),
            "-A -t [2001:db8::1]:443 -s sh -p 60 -M 64 -b sh-fallback,sh-port"
        );
        // No name for the flag: "-b " and nothing.
        se.flags = SVC_F_SCHED3;
        assert_eq!(rule(&se), "-A -t [2001:db8::1]:443 -s sh -b ");
    }

    #[test]
    fn fwmark_rules() {
        let mut se = service(AF_INET, IPPROTO_TCP, [0; 16], 0);
        se.fwmark = 7;
        assert_eq!(rule(&se), "-A -f 7 -s wlc");
        se.af = AF_INET6;
        se.netmask = 128;
        assert_eq!(rule(&se), "-A -f 7 -6 -s wlc");
        se.fwmark = u32::MAX;
        assert_eq!(service_option(&se, &Numeric), "-f -1 -6");
    }

    fn dest(conn_flags: u32, weight: i32) -> Dest {
        Dest {
            af: AF_INET,
            addr: v4([10, 1, 1, 1]),
            port: 8080,
            conn_flags,
            weight,
            ..Default::default()
        }
    }

    #[test]
    fn dest_rules() {
        let svc = "-t 10.0.0.1:80";
        let line = |d: &Dest| dest_rule(d, svc, IPPROTO_TCP, &Numeric);
        assert_eq!(
            line(&dest(CONN_F_MASQ, 3)),
            "-a -t 10.0.0.1:80 -r 10.1.1.1:8080 -m -w 3"
        );
        assert_eq!(
            line(&dest(CONN_F_DROUTE, 0)),
            "-a -t 10.0.0.1:80 -r 10.1.1.1:8080 -g -w 0"
        );
        assert_eq!(
            line(&dest(CONN_F_LOCALNODE, 1)),
            "-a -t 10.0.0.1:80 -r 10.1.1.1:8080 -g -w 1"
        );
        assert_eq!(
            line(&dest(5, 1)),
            "-a -t 10.0.0.1:80 -r 10.1.1.1:8080 (null) -w 1"
        );
        let mut d = dest(CONN_F_TUNNEL, 2);
        assert_eq!(
            line(&d),
            "-a -t 10.0.0.1:80 -r 10.1.1.1:8080 -i -w 2 --tun-type ipip"
        );
        d.tun_type = TUNNEL_TYPE_GUE;
        d.tun_port = 6080;
        d.tun_flags = 2;
        assert_eq!(
            line(&d),
            "-a -t 10.0.0.1:80 -r 10.1.1.1:8080 -i -w 2 --tun-type gue --tun-port 6080 --tun-remcsum"
        );
        d.tun_type = TUNNEL_TYPE_GRE;
        d.tun_flags = 1;
        assert_eq!(
            line(&d),
            "-a -t 10.0.0.1:80 -r 10.1.1.1:8080 -i -w 2 --tun-type gre --tun-csum"
        );
        d.tun_type = 9;
        assert_eq!(line(&d), "-a -t 10.0.0.1:80 -r 10.1.1.1:8080 -i -w 2");
        // IPv6 servers in brackets, never cut.
        let d = Dest {
            af: AF_INET6,
            addr: v6("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff"),
            port: 65535,
            conn_flags: CONN_F_MASQ,
            weight: 1,
            ..Default::default()
        };
        assert_eq!(
            line(&d),
            "-a -t 10.0.0.1:80 -r [2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff]:65535 -m -w 1"
        );
    }
}
