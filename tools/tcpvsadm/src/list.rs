//! The text of `-L`: the original tcpvsadm's, which is the config file
//! format (so a listing loads back with `-f`), after a version line when
//! the whole table is listed:
//!
//! ```text
//! TCP Virtual Server version 1
//! Virtual web {
//!     listen = 0.0.0.0:80
//!     scheduler = hhttp
//!     startservers = 8
//!     maxclients = 256
//!     minspareservers = 6
//!     maxspareservers = 18
//!     server = 192.168.10.3:80 1
//!     rule = pattern "^/u/([a-z]+)/" match 1 use server 192.168.10.3:80
//! }
//! ```
//!
//! `match N` is shown for `hhttp` services only, as the original shows
//! it. `--status` (ours) adds what the original could not show, as
//! comments, so the text still loads: `# running, 3 connections` after
//! the service's first line, `# up, 2 connections` after each server.

use std::fmt::Write;

use crate::config::HEADER;
use crate::model::Virtual;
use crate::resolve::{show, Names};

/// The version line (the family's version, as the kernel registered it).
pub fn header(version: u32) -> String {
    format!("{HEADER} {version}\n")
}

/// A pattern in double quotes: a `"` that no backslash escapes gets one
/// (the regex engine reads `\"` as `"`), so the file's reader takes the
/// whole pattern as one word.
fn quoted(pattern: &str) -> String {
    let mut out = String::from('"');
    let mut escaped = false;
    for c in pattern.chars() {
        if c == '"' && !escaped {
            out.push('\\');
        }
        out.push(c);
        escaped = c == '\\' && !escaped;
    }
    out.push('"');
    out
}

/// One service, its real servers and rules (the original's
/// `print_service`).
pub fn service(v: &Virtual, names: &dyn Names, status: bool) -> String {
    let s = &v.service;
    let mut out = format!("Virtual {} {{", s.ident);
    if status {
        let state = if s.running { "running" } else { "stopped" };
        let _ = write!(out, "  # {state}, {} connections", s.conns);
    }
    out.push('\n');
    let _ = writeln!(out, "    listen = {}", show(s.listen, names));
    let _ = writeln!(out, "    scheduler = {}", s.sched);
    let _ = writeln!(out, "    startservers = {}", s.startservers);
    let _ = writeln!(out, "    maxclients = {}", s.maxclients);
    let _ = writeln!(out, "    minspareservers = {}", s.minspare);
    let _ = writeln!(out, "    maxspareservers = {}", s.maxspare);
    for d in &v.dests {
        let _ = write!(out, "    server = {} {}", show(d.server, names), d.weight);
        if status {
            let state = if d.up { "up" } else { "down" };
            let _ = write!(out, "  # {state}, {} connections", d.conns);
        }
        out.push('\n');
    }
    let hhttp = s.sched.eq_ignore_ascii_case("hhttp");
    for r in &v.rules {
        let _ = write!(out, "    rule = pattern {} ", quoted(&r.pattern));
        if hhttp {
            let _ = write!(out, "match {} ", r.match_num);
        }
        let _ = writeln!(out, "use server {}", show(r.server, names));
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{self, Block, Located};
    use crate::model::{Dest, DestSpec, Pool, Rule, Service, ServiceSpec};
    use crate::resolve::{tests::Fake, Numeric};
    use std::net::{Ipv4Addr, SocketAddrV4};

    fn sa(a: [u8; 4], port: u16) -> SocketAddrV4 {
        SocketAddrV4::new(Ipv4Addr::from(a), port)
    }

    fn web(sched: &str) -> Virtual {
        Virtual {
            service: Service {
                ident: "web".into(),
                sched: sched.into(),
                listen: sa([0, 0, 0, 0], 80),
                startservers: 8,
                maxclients: 256,
                minspare: 6,
                maxspare: 18,
                running: true,
                conns: 3,
            },
            dests: vec![
                Dest {
                    server: sa([10, 0, 0, 1], 80),
                    weight: 1,
                    conns: 2,
                    up: true,
                },
                Dest {
                    server: sa([10, 0, 0, 2], 8080),
                    weight: 0,
                    conns: 0,
                    up: false,
                },
            ],
            rules: vec![
                Rule {
                    pattern: "^/u/([a-z]+)/".into(),
                    server: sa([10, 0, 0, 1], 80),
                    match_num: 1,
                },
                Rule {
                    pattern: r#"a"b\"c"#.into(),
                    server: sa([10, 0, 0, 2], 8080),
                    match_num: 0,
                },
                Rule {
                    pattern: ".*".into(),
                    server: sa([10, 0, 0, 2], 8080),
                    match_num: 0,
                },
            ],
        }
    }

    #[test]
    fn as_the_original_prints() {
        assert_eq!(header(1), "TCP Virtual Server version 1\n");
        assert_eq!(
            service(&web("http"), &Numeric, false),
            r#"Virtual web {
    listen = 0.0.0.0:80
    scheduler = http
    startservers = 8
    maxclients = 256
    minspareservers = 6
    maxspareservers = 18
    server = 10.0.0.1:80 1
    server = 10.0.0.2:8080 0
    rule = pattern "^/u/([a-z]+)/" use server 10.0.0.1:80
    rule = pattern "a\"b\"c" use server 10.0.0.2:8080
    rule = pattern ".*" use server 10.0.0.2:8080
}
"#
        );
    }

    #[test]
    fn names_match_numbers_and_status() {
        let mut v = web("hhttp");
        v.rules.truncate(1);
        v.service.running = false;
        assert_eq!(
            service(&v, &Fake, true),
            "Virtual web {  # stopped, 3 connections
    listen = 0.0.0.0:http
    scheduler = hhttp
    startservers = 8
    maxclients = 256
    minspareservers = 6
    maxspareservers = 18
    server = www:http 1  # up, 2 connections
    server = 10.0.0.2:8080 0  # down, 0 connections
    rule = pattern \"^/u/([a-z]+)/\" match 1 use server www:http
}
"
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(quoted("abc"), "\"abc\"");
        assert_eq!(quoted(r#"a"b"#), r#""a\"b""#);
        assert_eq!(quoted(r#"a\"b"#), r#""a\"b""#);
        assert_eq!(quoted(r#"a\\"b"#), r#""a\\\"b""#);
    }

    /// What a listing of `v` loads back as.
    fn reloaded(v: &Virtual, names: &dyn Names, status: bool) -> Block {
        let text = format!("{}{}", header(1), service(v, names, status));
        let mut blocks = config::parse(&text, names).unwrap();
        assert_eq!(blocks.len(), 1);
        blocks.remove(0)
    }

    #[test]
    fn a_listing_loads_back() {
        for (sched, names, status) in [
            ("hhttp", &Numeric as &dyn Names, false),
            ("hhttp", &Fake, true),
            ("http", &Numeric, true),
        ] {
            let v = web(sched);
            let b = reloaded(&v, names, status);
            assert_eq!(
                b.spec,
                ServiceSpec {
                    ident: "web".into(),
                    sched: Some(sched.into()),
                    addr: Some(Ipv4Addr::UNSPECIFIED),
                    port: Some(80),
                    pool: Pool {
                        startservers: Some(8),
                        maxclients: Some(256),
                        minspare: Some(6),
                        maxspare: Some(18),
                    },
                }
            );
            let dests: Vec<DestSpec> = b.dests.into_iter().map(|d| d.item).collect();
            assert_eq!(
                dests,
                v.dests
                    .iter()
                    .map(|d| DestSpec {
                        server: d.server,
                        weight: Some(d.weight)
                    })
                    .collect::<Vec<_>>()
            );
            let rules: Vec<Rule> = b
                .rules
                .into_iter()
                .map(|Located { item, .. }| item)
                .collect();
            // Bare quotes come back escaped (the same regex); match
            // numbers only where the scheduler uses them.
            let mut expected = v.rules.clone();
            expected[1].pattern = r#"a\"b\"c"#.into();
            if sched != "hhttp" {
                expected[0].match_num = 0;
            }
            assert_eq!(rules, expected);
        }
    }
}
