//! `-L` and `-S`: fetch, sort and print (upstream's `list_all`,
//! `list_service`, `print_service_entry`), and the short listings of
//! `--daemon`. The text goes into a string that the caller prints even
//! when a later request fails, as upstream's buffered stdout does before
//! it exits.

use crate::cli::ListRequest;
use crate::errors::{Errno, Op};
use crate::format::{daemon_line, dest_line, header, service_line, title, Format, Names, Style};
use crate::model::{Daemon, Dest, Info, Service};
use crate::netlink::{Ipvs, ServiceKey};
use crate::save;
use crate::sort::{cmp_dests, cmp_services, merge_sort};

/// Where services and real servers come from: the kernel, or a test.
pub trait Source {
    fn services(&mut self) -> Result<Vec<Service>, Errno>;
    fn service(&mut self, key: &ServiceKey) -> Result<Service, Errno>;
    fn dests(&mut self, se: &Service) -> Result<Vec<Dest>, Errno>;
}

impl Source for Ipvs {
    fn services(&mut self) -> Result<Vec<Service>, Errno> {
        Ipvs::services(self)
    }

    fn service(&mut self, key: &ServiceKey) -> Result<Service, Errno> {
        Ipvs::service(self, key)
    }

    fn dests(&mut self, se: &Service) -> Result<Vec<Dest>, Errno> {
        Ipvs::dests(self, se)
    }
}

/// A failed request and the operation libipvs blames it on.
pub type Failure = (Op, Errno);

/// One service line and its real servers. Upstream asks for the real
/// servers first, so a failure there prints nothing of the service.
fn service_entry(
    src: &mut impl Source,
    se: &Service,
    req: &ListRequest,
    names: &dyn Names,
    out: &mut String,
) -> Result<(), Failure> {
    let mut dests = src.dests(se).map_err(|e| (Op::GetDests, e))?;
    if !req.nosort {
        merge_sort(&mut dests, &cmp_dests);
    }
    let mut lines = Vec::with_capacity(dests.len() + 1);
    if req.style == Style::Rule {
        // Named once, as upstream does, for the service's line and its
        // servers'.
        let svc = save::service_option(se, names);
        lines.push(save::service_rule(se, &svc));
        lines.extend(
            dests
                .iter()
                .map(|d| save::dest_rule(d, &svc, se.protocol, names)),
        );
    } else {
        let fmt = Format {
            style: req.style,
            exact: req.exact,
            names,
        };
        lines.push(service_line(se, &fmt));
        lines.extend(dests.iter().map(|d| dest_line(d, se, &fmt)));
    }
    for line in lines {
        out.push_str(&line);
        out.push('\n');
    }
    Ok(())
}

/// The listing `req` asks for, names shown as `names` finds them,
/// appended to `out`.
pub fn list(
    src: &mut impl Source,
    info: &Info,
    req: &ListRequest,
    names: &dyn Names,
    out: &mut String,
) -> Result<(), Failure> {
    match &req.service {
        Some(key) => {
            let se = src.service(key).map_err(|e| (Op::GetService, e))?;
            out.push_str(&title(req.style));
            service_entry(src, &se, req, names, out)
        }
        None => {
            if req.style != Style::Rule {
                out.push_str(&header(info));
            }
            let mut services = src.services().map_err(|e| (Op::Init, e))?;
            if !req.nosort {
                merge_sort(&mut services, &cmp_services);
            }
            out.push_str(&title(req.style));
            for se in &services {
                service_entry(src, se, req, names, out)?;
            }
            Ok(())
        }
    }
}

/// `--daemon`: the master and backup daemons among those the kernel
/// listed. libipvs keeps two: a daemon goes to the second place once the
/// first holds one with a state, so a third would replace the second.
pub fn daemons(list: &[Daemon]) -> String {
    let mut kept: [Option<&Daemon>; 2] = [None, None];
    for d in list {
        let i = usize::from(kept[0].is_some_and(|first| first.state != 0));
        kept[i] = Some(d);
    }
    kept.iter()
        .flatten()
        .filter_map(|d| daemon_line(d))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_addr::v4;
    use crate::format::Numeric;
    use crate::model::{
        Stats, AF_INET, CONN_F_DROUTE, CONN_F_MASQ, IPPROTO_TCP, IPPROTO_UDP, STATE_BACKUP,
        STATE_MASTER,
    };

    struct Fake {
        services: Vec<(Service, Vec<Dest>)>,
    }

    impl Source for Fake {
        fn services(&mut self) -> Result<Vec<Service>, Errno> {
            Ok(self.services.iter().map(|(s, _)| s.clone()).collect())
        }

        fn service(&mut self, key: &ServiceKey) -> Result<Service, Errno> {
            self.services
                .iter()
                .map(|(s, _)| s)
                .find(|s| s.addr == key.addr && s.port == key.port)
                .cloned()
                .ok_or(Errno(libc::ESRCH))
        }

        fn dests(&mut self, se: &Service) -> Result<Vec<Dest>, Errno> {
            Ok(self
                .services
                .iter()
                .find(|(s, _)| s == se)
                .map(|(_, d)| d.clone())
                .unwrap_or_default())
        }
    }


    fn fake() -> Fake {
        let svc = |protocol, last, port, sched: &str| Service {
            af: AF_INET,
            protocol,
            addr: v4([10, 0, 0, last]),
            port,
            sched_name: sched.into(),
            netmask: u32::MAX,
            ..Default::default()
        };
        let dest = |last, port, conn_flags, weight| Dest {
            af: AF_INET,
            addr: v4([192, 168, 0, last]),
            port,
            conn_flags,
            weight,
            ..Default::default()
        };
        Fake {
            services: vec![
                (svc(IPPROTO_UDP, 1, 53, "rr"), vec![]),
                (
                    svc(IPPROTO_TCP, 1, 80, "wlc"),
                    vec![dest(3, 80, CONN_F_DROUTE, 1), dest(2, 8080, CONN_F_MASQ, 5)],
                ),
            ],
        }
    }

    const INFO: Info = Info {
        version: 0x010201,
        conn_tab_size: 4096,
    };

    fn all(style: Style, nosort: bool) -> ListRequest {
        ListRequest {
            service: None,
            style,
            nosort,
            exact: false,
            numeric: true,
        }
    }

    fn text(req: &ListRequest) -> String {
        let mut out = String::new();
        list(&mut fake(), &INFO, req, &Numeric, &mut out).unwrap();
        out
    }

    #[test]
    fn list_all_sorted() {
        assert_eq!(
            text(&all(Style::Plain, false)),
            "IP Virtual Server version 1.2.1 (size=4096)\n\
             Prot LocalAddress:Port Scheduler Flags\n  \
             -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n\
             TCP  10.0.0.1:80 wlc\n  \
             -> 192.168.0.2:8080             Masq    5      0          0         \n  \
             -> 192.168.0.3:80               Route   1      0          0         \n\
             UDP  10.0.0.1:53 rr\n"
        );
    }

    #[test]
    fn list_all_unsorted() {
        let out = text(&all(Style::Plain, true));
        let lines: Vec<&str> = out.lines().skip(3).collect();
        assert_eq!(lines[0], "UDP  10.0.0.1:53 rr");
        assert!(lines[2].starts_with("  -> 192.168.0.3:80 "));
    }

    /// `-S`: no header, no title, sorted as the listing.
    #[test]
    fn save_all() {
        assert_eq!(
            text(&all(Style::Rule, false)),
            "-A -t 10.0.0.1:80 -s wlc\n\
             -a -t 10.0.0.1:80 -r 192.168.0.2:8080 -m -w 5\n\
             -a -t 10.0.0.1:80 -r 192.168.0.3:80 -g -w 1\n\
             -A -u 10.0.0.1:53 -s rr\n"
        );
    }

    #[test]
    fn stats_and_rates() {
        let mut src = fake();
        src.services[1].0.stats = Stats {
            conns: 12,
            inbytes: 123_456_789_012,
            outbps: 100_000_000,
            ..Default::default()
        };
        src.services[1].1[0].stats.inpps = 7;
        let mut out = String::new();
        list(
            &mut src,
            &INFO,
            &all(Style::Stats, false),
            &Numeric,
            &mut out,
        )
        .unwrap();
        assert_eq!(
            out,
            "IP Virtual Server version 1.2.1 (size=4096)\n\
             Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n  \
             -> RemoteAddress:Port\n\
             TCP  10.0.0.1:80                        12        0        0     123G        0\n  \
             -> 192.168.0.2:8080                    0        0        0        0        0\n  \
             -> 192.168.0.3:80                      0        0        0        0        0\n\
             UDP  10.0.0.1:53                         0        0        0        0        0\n"
        );
        let mut out = String::new();
        let exact = ListRequest {
            exact: true,
            ..all(Style::Rate, false)
        };
        list(&mut src, &INFO, &exact, &Numeric, &mut out).unwrap();
        assert_eq!(
            out,
            "IP Virtual Server version 1.2.1 (size=4096)\n\
             Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n  \
             -> RemoteAddress:Port\n\
             TCP  10.0.0.1:80                         0        0        0        0 100000000\n  \
             -> 192.168.0.2:8080                    0        0        0        0        0\n  \
             -> 192.168.0.3:80                      0        7        0        0        0\n\
             UDP  10.0.0.1:53                         0        0        0        0        0\n"
        );
    }

    #[test]
    fn daemon_lines() {
        let master = Daemon {
            state: STATE_MASTER,
            mcast_ifn: "eth0".into(),
            syncid: 3,
            ..Default::default()
        };
        let backup = Daemon {
            state: STATE_BACKUP,
            mcast_ifn: "lo".into(),
            sync_maxlen: 1472,
            mcast_group: Some("224.0.0.81".parse().unwrap()),
            mcast_port: 8848,
            mcast_ttl: 1,
            ..Default::default()
        };
        assert_eq!(daemons(&[]), "");
        assert_eq!(
            daemons(&[master.clone(), backup.clone()]),
            "master sync daemon (mcast=eth0, syncid=3)\n\
             backup sync daemon (mcast=lo, syncid=0, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n"
        );
        // Two places: a third daemon takes the second's.
        let third = Daemon {
            mcast_ifn: "eth1".into(),
            ..master.clone()
        };
        assert_eq!(
            daemons(&[master, backup, third]),
            "master sync daemon (mcast=eth0, syncid=3)\n\
             master sync daemon (mcast=eth1, syncid=3)\n"
        );
    }

    #[test]
    fn list_one_service() {
        let key = ServiceKey {
            af: AF_INET,
            protocol: IPPROTO_UDP,
            addr: v4([10, 0, 0, 1]),
            port: 53,
            ..Default::default()
        };
        let req = ListRequest {
            service: Some(key.clone()),
            ..all(Style::Plain, false)
        };
        assert_eq!(
            text(&req),
            "Prot LocalAddress:Port Scheduler Flags\n  \
             -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n\
             UDP  10.0.0.1:53 rr\n"
        );
        let missing = ListRequest {
            service: Some(ServiceKey { port: 54, ..key }),
            ..req
        };
        let mut out = String::new();
        assert_eq!(
            list(&mut fake(), &INFO, &missing, &Numeric, &mut out),
            Err((Op::GetService, Errno(libc::ESRCH)))
        );
        assert_eq!(out, "");
    }
}
