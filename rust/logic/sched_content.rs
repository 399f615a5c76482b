// SPDX-License-Identifier: GPL-2.0
//! KTCPVS's content-based schedulers (thesis §6.3.6): `http` sends a
//! request to a server of the first rule whose pattern matches its
//! target, the least loaded of that rule's servers; `hhttp` hashes a part
//! of the target (a group of the pattern, `-m N`) onto the rule's
//! servers, so requests for the same content meet the same cache.
//!
//! Needs [`crate::regex`] and [`crate::siphash`] beside it.

use crate::regex::{Regex, Scratch};
use crate::siphash::{hsiphash, SipKey};

/// A real server as the content schedulers see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Server {
    /// Its weight; 0 takes no new requests.
    pub weight: u32,
    /// Connections it serves now.
    pub conns: u32,
    /// Whether it answers (health checks and failed connects take it out).
    pub up: bool,
}

impl Server {
    fn usable(&self) -> bool {
        self.up && self.weight > 0
    }
}

/// One rule (`--add-rule -p PATTERN -r SERVER [-m GROUP]`, several
/// servers for one pattern allowed): requests whose target `pattern`
/// matches go to one of `servers` (indices into the service's servers).
#[derive(Clone, Copy)]
pub struct Rule<'a> {
    /// The compiled pattern.
    pub pattern: &'a Regex,
    /// The servers it names.
    pub servers: &'a [usize],
    /// For `hhttp`: the group of `pattern` whose text is hashed (0: the
    /// whole match).
    pub group: usize,
}

/// `http`: the server for a request for `target`: the first rule, in
/// order, whose pattern matches and which has a usable server; among its
/// servers the one with the fewest connections per weight (ties to the
/// one named first). `None` if no rule can take it.
pub fn http<'r>(
    rules: impl IntoIterator<Item = Rule<'r>>,
    target: &[u8],
    servers: &[Server],
    scratch: &mut Scratch,
) -> Option<usize> {
    rules
        .into_iter()
        .filter(|rule| rule.pattern.find(target, 0, scratch).is_some())
        .find_map(|rule| least_loaded(rule.servers.iter().copied(), servers))
}

/// `hhttp`: the server for a request for `target`: the first matching
/// rule with a usable server; the part of the target that the rule's
/// group took (the whole match if the group took none) hashed onto the
/// rule's servers, passing over unusable ones in order.
pub fn hhttp<'r>(
    rules: impl IntoIterator<Item = Rule<'r>>,
    target: &[u8],
    servers: &[Server],
    key: &SipKey,
    scratch: &mut Scratch,
) -> Option<usize> {
    rules.into_iter().find_map(|rule| {
        let m = rule.pattern.find(target, rule.group, scratch)?;
        let (from, to) = m.group.unwrap_or((m.start, m.end));
        let n = rule.servers.len();
        if n == 0 {
            return None;
        }
        let first = hsiphash(&target[from..to], key) as usize % n;
        (0..n).map(|step| rule.servers[(first + step) % n]).find(|&s| servers.get(s).is_some_and(Server::usable))
    })
}

/// `wlc`, and `http` among one rule's servers: the usable server of
/// `candidates` with the fewest connections per weight, the first named
/// of equals.
pub fn least_loaded(candidates: impl IntoIterator<Item = usize>, servers: &[Server]) -> Option<usize> {
    let mut best: Option<(usize, &Server)> = None;
    for i in candidates {
        let Some(s) = servers.get(i).filter(|s| s.usable()) else { continue };
        // conns/weight < best.conns/best.weight, without division.
        let better = best.is_none_or(|(_, b)| u64::from(s.conns) * u64::from(b.weight) < u64::from(b.conns) * u64::from(s.weight));
        if better {
            best = Some((i, s));
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::boxed::Box;

    fn re(p: &str) -> Box<Regex> {
        let mut r = Box::new(Regex::empty());
        r.compile_into(p.as_bytes(), &mut Box::new(Scratch::new())).unwrap();
        r
    }

    const UP: Server = Server { weight: 1, conns: 0, up: true };

    #[test]
    fn rules_in_order_then_the_default() {
        let (images, cgi, any) = (re("^/images/"), re("^/cgi-bin/"), re(".*"));
        let rules = [
            Rule { pattern: &images, servers: &[0], group: 0 },
            Rule { pattern: &cgi, servers: &[1, 2], group: 0 },
            Rule { pattern: &any, servers: &[3], group: 0 },
        ];
        let mut servers = [UP; 4];
        servers[1].conns = 5;
        let mut scratch = Box::new(Scratch::new());
        assert_eq!(http(rules, b"/images/a.gif", &servers, &mut scratch), Some(0));
        assert_eq!(http(rules, b"/cgi-bin/x", &servers, &mut scratch), Some(2), "least loaded");
        assert_eq!(http(rules, b"/index.html", &servers, &mut scratch), Some(3));
        // A rule whose servers are all down passes the request on.
        servers[0].up = false;
        assert_eq!(http(rules, b"/images/a.gif", &servers, &mut scratch), Some(3));
        servers[3].weight = 0;
        assert_eq!(http(rules, b"/images/a.gif", &servers, &mut scratch), None);
    }

    #[test]
    fn least_connections_per_weight() {
        let servers = [
            Server { weight: 1, conns: 2, up: true },
            Server { weight: 3, conns: 5, up: true },
            Server { weight: 2, conns: 4, up: true },
        ];
        assert_eq!(least_loaded([0, 1, 2], &servers), Some(1)); // 2/1, 5/3, 4/2
        assert_eq!(least_loaded([0, 2], &servers), Some(0), "2/1 = 4/2: the first named");
        assert_eq!(least_loaded([7], &servers), None);
    }

    #[test]
    fn hashing_sends_the_same_content_to_the_same_server() {
        let pattern = re("^/([^/]+)/");
        let rules = [Rule { pattern: &pattern, servers: &[0, 1, 2, 3], group: 1 }];
        let mut servers = [UP; 4];
        let key: SipKey = [1, 2];
        let mut scratch = Box::new(Scratch::new());
        let a = hhttp(rules, b"/videos/1.mp4", &servers, &key, &mut scratch).unwrap();
        assert_eq!(hhttp(rules, b"/videos/2.mp4", &servers, &key, &mut scratch), Some(a));
        // Spread: eight directories do not all land on one server.
        let mut used = [false; 4];
        for dir in ["a", "b", "c", "d", "e", "f", "g", "h"] {
            let t = std::format!("/{dir}/x");
            used[hhttp(rules, t.as_bytes(), &servers, &key, &mut scratch).unwrap()] = true;
        }
        assert!(used.iter().filter(|&&u| u).count() > 1);
        // A server that is down: the next one in the rule takes its share.
        servers[a].up = false;
        assert_eq!(hhttp(rules, b"/videos/1.mp4", &servers, &key, &mut scratch), Some(rules[0].servers[(a + 1) % 4]));
        assert_eq!(hhttp(rules, b"nomatch", &servers, &key, &mut scratch), None);
    }

    #[test]
    fn each_rule_hashes_its_own_group() {
        // /u/NAME/... by the user (group 1), /s/KIND/ID by the id (group 2).
        let users = re("^/u/([^/]+)/");
        let stores = re("^/s/([^/]+)/([^/]+)");
        let rules = [
            Rule { pattern: &users, servers: &[0, 1, 2, 3], group: 1 },
            Rule { pattern: &stores, servers: &[0, 1, 2, 3], group: 2 },
        ];
        let servers = [UP; 4];
        let key: SipKey = [3, 4];
        let mut scratch = Box::new(Scratch::new());
        let mut pick = |t: &str| hhttp(rules, t.as_bytes(), &servers, &key, &mut scratch).unwrap();
        // The same user's pages meet; the same id under any kind meets.
        assert_eq!(pick("/u/ann/a"), pick("/u/ann/b"));
        for id in ["1", "2", "3", "4", "5", "6", "7", "8"] {
            assert_eq!(pick(&std::format!("/s/img/{id}")), pick(&std::format!("/s/doc/{id}")));
        }
        // Ids under one kind spread (hashing group 1, the kind, would put
        // them all on one server).
        let ids: std::vec::Vec<usize> = (1..=8).map(|i| pick(&std::format!("/s/img/{i}"))).collect();
        assert!(ids.iter().any(|&s| s != ids[0]));
    }
}
