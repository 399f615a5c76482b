// SPDX-License-Identifier: GPL-2.0
//! KTCPVS's schedulers: which real server a request goes to.
//!
//! `rr`, `lc` and `wlc` choose among all servers; `lblc` and `lblcr` by
//! the locality of the request's target (thesis §6.3.5,
//! `sched_lblc.rs`, keyed by a hash of the target instead of IPVS's
//! destination address); `http` and `hhttp` by the target through the
//! rules (thesis §6.3.6, `sched_content.rs`).

use crate::regex::Scratch;
use crate::kbind::timer;
use crate::sched_content::{self, Rule as ContentRule, Server as ContentServer};
use crate::sched_input::DestInfo;
use crate::sched_lblc;
use crate::siphash::siphash;
use crate::service::{Config, Shared};
use core::sync::atomic::Ordering;
use kernel::prelude::*;

/// A scheduler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SchedKind {
    /// Round robin over usable servers.
    Rr,
    /// Weighted round robin (IPVS's `wrr`).
    Wrr,
    /// Least connections.
    Lc,
    /// Least connections per weight.
    Wlc,
    /// The server that served the target before, unless overloaded.
    Lblc,
    /// A set of servers per target, grown when overloaded.
    Lblcr,
    /// The servers of the first rule whose pattern matches the target,
    /// least loaded first.
    Http,
    /// The first matching rule's servers, by a hash of part of the target.
    Hhttp,
}

impl SchedKind {
    /// The scheduler named `name`.
    pub(crate) fn by_name(name: &[u8]) -> Option<Self> {
        Some(match name {
            b"rr" => Self::Rr,
            b"wrr" => Self::Wrr,
            b"lc" => Self::Lc,
            b"wlc" => Self::Wlc,
            b"lblc" => Self::Lblc,
            b"lblcr" => Self::Lblcr,
            b"http" => Self::Http,
            b"hhttp" => Self::Hhttp,
            _ => return None,
        })
    }

    /// Its name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Rr => "rr",
            Self::Wrr => "wrr",
            Self::Lc => "lc",
            Self::Wlc => "wlc",
            Self::Lblc => "lblc",
            Self::Lblcr => "lblcr",
            Self::Http => "http",
            Self::Hhttp => "hhttp",
        }
    }
}

/// A thread's working memory for scheduling: the regex matcher's, and
/// the snapshots of the servers' loads, kept from request to request
/// (grown to the largest service seen) so that scheduling allocates
/// nothing.
pub(crate) struct SchedScratch {
    regex: KBox<Scratch>,
    loads: KVec<ContentServer>,
    dests: KVec<DestInfo>,
}

impl SchedScratch {
    /// Working memory (large: on the heap).
    pub(crate) fn new() -> Result<Self> {
        Ok(Self { regex: new_scratch()?, loads: KVec::new(), dests: KVec::new() })
    }
}

/// `items` written over the front of `buf`, grown to hold them if it
/// must; the part written.
fn fill<T: Copy>(buf: &mut KVec<T>, items: impl ExactSizeIterator<Item = T>, blank: T) -> Result<&[T]> {
    let n = items.len();
    if buf.len() < n {
        *buf = KVec::from_elem(blank, n, GFP_KERNEL)?;
    }
    let front = &mut buf[..n];
    for (slot, item) in front.iter_mut().zip(items) {
        *slot = item;
    }
    Ok(front)
}

/// The servers as IPVS's schedulers see them, with the loads of
/// `loads` (idle and up where it has none), written into `buf`; one that
/// is down has weight 0 and counts as overloaded, so that none of them
/// picks it (`lblc` keeps a target's server while its weight is
/// positive).
fn dest_infos<'b>(config: &Config, loads: &[ContentServer], buf: &'b mut KVec<DestInfo>) -> Result<&'b [DestInfo]> {
    let dests = config.servers.iter().enumerate().map(|(i, s)| {
        let mut dest = DestInfo::v4(s.addr.ip, s.addr.port, i32::try_from(s.weight).unwrap_or(i32::MAX));
        if let Some(load) = loads.get(i) {
            dest.active = load.conns;
            if !load.up {
                dest.weight = 0;
                dest.overloaded = true;
            }
        }
        dest
    });
    fill(buf, dests, DestInfo::v4([0; 4], 0, 0))
}

/// Tells the schedulers that keep a position over the server list
/// (`wrr`) that `config` replaced it.
pub(crate) fn servers_changed(config: &Config, shared: &Shared) -> Result {
    let mut buf = KVec::new();
    let dests = dest_infos(config, &[], &mut buf)?;
    shared.wrr.lock().dests_changed(dests);
    Ok(())
}

/// Seconds a target's server(s) are remembered unused (upstream's
/// `lblc_expiration` default: a day).
const LOCALITY_EXPIRATION: u32 = 24 * 60 * 60;

/// What the locality cache knows a target by: 128 bits of keyed hash.
fn locality_key(target: &[u8], key: &[u64; 2]) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&siphash(target, key).to_ne_bytes());
    out[8..].copy_from_slice(&siphash(target, &[key[1], key[0]]).to_ne_bytes());
    out
}

/// An empty scratch, never on the stack (about 60 KiB).
pub(crate) fn new_scratch() -> Result<KBox<Scratch>> {
    static EMPTY: Scratch = Scratch::new();
    crate::kbind::boxed_copy(&EMPTY)
}

/// The server (index into `config.servers`) for a request for `target`,
/// or `None` if none can take it; `despite_backoff`: servers waiting out
/// a back-off count as up (when every server is in one).
pub(crate) fn schedule(
    config: &Config,
    shared: &Shared,
    target: &[u8],
    despite_backoff: bool,
    scratch: &mut SchedScratch,
) -> Result<Option<usize>> {
    let SchedScratch { regex, loads, dests } = scratch;
    let servers = config.servers.iter().map(|s| {
        let weight = if config.sched == SchedKind::Lc { u32::from(s.weight > 0) } else { s.weight };
        let up = despite_backoff || s.load.up();
        ContentServer { weight, conns: s.load.conns.load(Ordering::Relaxed), up }
    });
    let servers = fill(loads, servers, ContentServer { weight: 0, conns: 0, up: false })?;
    let usable = |i: usize| servers[i].up && servers[i].weight > 0;
    Ok(match config.sched {
        SchedKind::Rr => {
            let n = servers.len();
            let start = shared.rr_next.fetch_add(1, Ordering::Relaxed);
            (0..n).map(|step| (start + step) % n).find(|&i| usable(i))
        }
        SchedKind::Lc | SchedKind::Wlc => sched_content::least_loaded(0..servers.len(), servers),
        SchedKind::Wrr => {
            let dests = dest_infos(config, servers, dests)?;
            shared.wrr.lock().schedule(dests)
        }
        SchedKind::Lblc | SchedKind::Lblcr => {
            let dests = dest_infos(config, servers, dests)?;
            let key = locality_key(target, &shared.hash_key);
            let mut cache = shared.locality.lock();
            if config.sched == SchedKind::Lblc {
                sched_lblc::lblc(&mut cache, dests, &key, timer::seconds(), LOCALITY_EXPIRATION)
            } else {
                sched_lblc::lblcr(&mut cache, dests, &key, timer::seconds(), LOCALITY_EXPIRATION)
            }
        }
        SchedKind::Http | SchedKind::Hhttp => {
            let rules = config.rules.iter().map(|set| ContentRule {
                pattern: &set.pattern.regex,
                servers: &set.servers,
                group: set.match_num as usize,
            });
            if config.sched == SchedKind::Http {
                sched_content::http(rules, target, servers, regex)
            } else {
                sched_content::hhttp(rules, target, servers, &shared.hash_key, regex)
            }
        }
    })
}
