//! `-L`: fetch, sort and print (upstream's `list_all`, `list_service`,
//! `print_service_entry`). The text goes into a string that the caller
//! prints even when a later request fails, as upstream's buffered stdout
//! does before it exits.

use crate::cli::ListRequest;
use crate::errors::{Errno, Op};
use crate::format::{dest_line, header, service_line, title};
use crate::model::{Dest, Info, Service};
use crate::netlink::{Ipvs, ServiceKey};
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
    out: &mut String,
) -> Result<(), Failure> {
    let mut dests = src.dests(se).map_err(|e| (Op::GetDests, e))?;
    out.push_str(&service_line(se));
    out.push('\n');
    if !req.nosort {
        merge_sort(&mut dests, &cmp_dests);
    }
    for d in &dests {
        out.push_str(&dest_line(d, req.style));
        out.push('\n');
    }
    Ok(())
}

/// The listing `req` asks for, appended to `out`.
pub fn list(
    src: &mut impl Source,
    info: &Info,
    req: &ListRequest,
    out: &mut String,
) -> Result<(), Failure> {
    match &req.service {
        Some(key) => {
            let se = src.service(key).map_err(|e| (Op::GetService, e))?;
            out.push_str(&title(req.style));
            service_entry(src, &se, req, out)
        }
        None => {
            out.push_str(&header(info));
            let mut services = src.services().map_err(|e| (Op::Init, e))?;
            if !req.nosort {
                merge_sort(&mut services, &cmp_services);
            }
            out.push_str(&title(req.style));
            for se in &services {
                service_entry(src, se, req, out)?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Style;
    use crate::model::{AF_INET, CONN_F_DROUTE, CONN_F_MASQ, IPPROTO_TCP, IPPROTO_UDP};

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

    fn v4(a: [u8; 4]) -> [u8; 16] {
        let mut addr = [0; 16];
        addr[..4].copy_from_slice(&a);
        addr
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

    #[test]
    fn list_all_sorted() {
        let req = ListRequest {
            service: None,
            style: Style::Plain,
            nosort: false,
        };
        let mut out = String::new();
        list(&mut fake(), &INFO, &req, &mut out).unwrap();
        assert_eq!(
            out,
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
        let req = ListRequest {
            service: None,
            style: Style::Plain,
            nosort: true,
        };
        let mut out = String::new();
        list(&mut fake(), &INFO, &req, &mut out).unwrap();
        let lines: Vec<&str> = out.lines().skip(3).collect();
        assert_eq!(lines[0], "UDP  10.0.0.1:53 rr");
        assert!(lines[2].starts_with("  -> 192.168.0.3:80 "));
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
            style: Style::Plain,
            nosort: false,
        };
        let mut out = String::new();
        list(&mut fake(), &INFO, &req, &mut out).unwrap();
        assert_eq!(
            out,
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
            list(&mut fake(), &INFO, &missing, &mut out),
            Err((Op::GetService, Errno(libc::ESRCH)))
        );
        assert_eq!(out, "");
    }
}
