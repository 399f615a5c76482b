// SPDX-License-Identifier: GPL-2.0
//! Traffic statistics (thesis §5.2.8): the counters of a service, a real
//! server or a whole namespace, their zero point (`ipvsadm -Z`), and the
//! rate estimator.
//!
//! The estimator samples the counters every two seconds and keeps an
//! exponentially weighted moving average of each rate,
//! `avg += (rate - avg) / 4`, so a rate reflects roughly the last eight
//! seconds. As upstream, packet and connection rates are kept scaled by
//! 2^10 and byte rates by 2^5 for precision in integer arithmetic, and
//! rounded when read: monitoring tools compare our figures with C IPVS's.

use core::fmt::{self, Write};

/// Seconds between two samples of the estimator.
pub const ESTIMATOR_PERIOD: u32 = 2;

/// What the packet path counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Connections scheduled.
    pub conns: u64,
    /// Packets from clients.
    pub inpkts: u64,
    /// Packets to clients (VS/NAT replies).
    pub outpkts: u64,
    /// Bytes of the packets from clients.
    pub inbytes: u64,
    /// Bytes of the packets to clients.
    pub outbytes: u64,
}

impl Counters {
    /// The counters as fields, in upstream's order.
    pub const FIELDS: usize = 5;

    /// From fields in upstream's order (conns, inpkts, outpkts, inbytes,
    /// outbytes).
    pub fn from_fields(f: [u64; Self::FIELDS]) -> Self {
        let [conns, inpkts, outpkts, inbytes, outbytes] = f;
        Self { conns, inpkts, outpkts, inbytes, outbytes }
    }

    /// Field-wise sum (counters wrap, as the kernel's do).
    pub fn plus(&self, o: &Self) -> Self {
        self.zip(o, u64::wrapping_add)
    }

    /// What was counted since `zero` was taken.
    pub fn since(&self, zero: &Self) -> Self {
        self.zip(zero, u64::wrapping_sub)
    }

    fn zip(&self, o: &Self, f: fn(u64, u64) -> u64) -> Self {
        Self {
            conns: f(self.conns, o.conns),
            inpkts: f(self.inpkts, o.inpkts),
            outpkts: f(self.outpkts, o.outpkts),
            inbytes: f(self.inbytes, o.inbytes),
            outbytes: f(self.outbytes, o.outbytes),
        }
    }
}

/// Per-second rates, as read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rates {
    /// Connections per second.
    pub cps: u64,
    /// Packets per second from clients.
    pub inpps: u64,
    /// Packets per second to clients.
    pub outpps: u64,
    /// Bytes per second from clients.
    pub inbps: u64,
    /// Bytes per second to clients.
    pub outbps: u64,
}

/// The moving averages, scaled (see the module doc), and the sample
/// they were last advanced with.
#[derive(Clone, Copy, Debug, Default)]
pub struct Estimator {
    last: Counters,
    cps: u64,
    inpps: u64,
    outpps: u64,
    inbps: u64,
    outbps: u64,
}

/// `avg += (rate - avg) / 4` on the scaled, unsigned average: the
/// difference is taken as signed, as the average may fall.
fn smooth(avg: &mut u64, now: u64, last: u64, scale_shift: u32) {
    let rate = now.wrapping_sub(last) << scale_shift;
    let step = (rate as i64).wrapping_sub(*avg as i64) >> 2;
    *avg = avg.wrapping_add(step as u64);
}

impl Estimator {
    /// An estimator whose first sample will be measured from `now`.
    pub fn starting_at(now: &Counters) -> Self {
        Self { last: *now, ..Self::default() }
    }

    /// Advances the averages by one period, `now` being the counters at
    /// its end. Counts per period of two seconds: scaled by 2^10 and 2^5,
    /// halved.
    pub fn sample(&mut self, now: &Counters) {
        let last = self.last;
        smooth(&mut self.cps, now.conns, last.conns, 9);
        smooth(&mut self.inpps, now.inpkts, last.inpkts, 9);
        smooth(&mut self.outpps, now.outpkts, last.outpkts, 9);
        smooth(&mut self.inbps, now.inbytes, last.inbytes, 4);
        smooth(&mut self.outbps, now.outbytes, last.outbytes, 4);
        self.last = *now;
    }

    /// The rates, rounded to whole units.
    pub fn rates(&self) -> Rates {
        Rates {
            cps: (self.cps + 0x1ff) >> 10,
            inpps: (self.inpps + 0x1ff) >> 10,
            outpps: (self.outpps + 0x1ff) >> 10,
            inbps: (self.inbps + 0xf) >> 5,
            outbps: (self.outbps + 0xf) >> 5,
        }
    }
}

/// What the counters show: counted since the zero point, and the rates.
#[derive(Clone, Copy, Debug, Default)]
pub struct Shown {
    zero: Counters,
    estimator: Estimator,
}

impl Shown {
    /// Shows counts from `now` on (`ipvsadm -Z`), rates from zero.
    pub fn zero(&mut self, now: &Counters) {
        *self = Self { zero: *now, estimator: Estimator::starting_at(now) };
    }

    /// One estimator period ended with the raw counters at `now`.
    pub fn sample(&mut self, now: &Counters) {
        self.estimator.sample(now);
    }

    /// What to show, the raw counters being `now`.
    pub fn show(&self, now: &Counters) -> (Counters, Rates) {
        (now.since(&self.zero), self.estimator.rates())
    }
}

/// The table of `/proc/net/ip_vs_stats`: the namespace's counters and
/// rates, in hexadecimal as upstream prints them.
pub fn write_totals(out: &mut impl Write, c: &Counters, r: &Rates) -> fmt::Result {
    out.write_str("   Total Incoming Outgoing         Incoming         Outgoing\n")?;
    out.write_str("   Conns  Packets  Packets            Bytes            Bytes\n")?;
    write_row(out, "", c.conns, c.inpkts, c.outpkts, c.inbytes, c.outbytes)?;
    out.write_str("\n Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s\n")?;
    write_row(out, "", r.cps, r.inpps, r.outpps, r.inbps, r.outbps)
}

/// The head of `/proc/net/ip_vs_stats_percpu`; a [`write_cpu_row`] per
/// possible CPU and [`write_percpu_tail`] follow.
pub fn write_percpu_head(out: &mut impl Write) -> fmt::Result {
    out.write_str("       Total Incoming Outgoing         Incoming         Outgoing\n")?;
    out.write_str("CPU    Conns  Packets  Packets            Bytes            Bytes\n")
}

/// CPU `cpu`'s raw counters (not from the zero point: upstream's file
/// shows them so).
pub fn write_cpu_row(out: &mut impl Write, cpu: u32, c: &Counters) -> fmt::Result {
    write!(out, "{cpu:3X} ")?;
    write_row(out, "", c.conns, c.inpkts, c.outpkts, c.inbytes, c.outbytes)
}

/// The per-CPU file's sum (from the zero point) and rates.
pub fn write_percpu_tail(out: &mut impl Write, c: &Counters, r: &Rates) -> fmt::Result {
    write_row(out, "  ~ ", c.conns, c.inpkts, c.outpkts, c.inbytes, c.outbytes)?;
    out.write_str("\n     Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s\n")?;
    write_row(out, "    ", r.cps, r.inpps, r.outpps, r.inbps, r.outbps)
}

fn write_row(out: &mut impl Write, lead: &str, a: u64, b: u64, c: u64, d: u64, e: u64) -> fmt::Result {
    writeln!(out, "{lead}{a:8X} {b:8X} {c:8X} {d:16X} {e:16X}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;

    fn c(conns: u64, inpkts: u64, outpkts: u64, inbytes: u64, outbytes: u64) -> Counters {
        Counters { conns, inpkts, outpkts, inbytes, outbytes }
    }

    #[test]
    fn steady_traffic_converges_to_its_rate() {
        // 100 conns/s, 1000 pkt/s in, 500 out, 1 MB/s in, 2 MB/s out.
        let mut e = Estimator::default();
        let mut now = Counters::default();
        for _ in 0..100 {
            now = now.plus(&c(200, 2000, 1000, 2_000_000, 4_000_000));
            e.sample(&now);
        }
        assert_eq!(e.rates(), Rates { cps: 100, inpps: 1000, outpps: 500, inbps: 1_000_000, outbps: 2_000_000 });
    }

    #[test]
    fn one_sample_weighs_a_quarter() {
        let mut e = Estimator::default();
        e.sample(&c(8, 8, 0, 64, 0));
        // Rate 4/s (8 in 2 s), a quarter of it: 1.
        assert_eq!(e.rates().cps, 1);
        assert_eq!(e.rates().inbps, 8);
    }

    #[test]
    fn rates_fall_back_to_zero_when_traffic_stops() {
        let mut e = Estimator::default();
        let busy = c(2000, 2000, 2000, 2000, 2000);
        e.sample(&busy);
        assert!(e.rates().cps > 0);
        for _ in 0..60 {
            e.sample(&busy);
        }
        assert_eq!(e.rates(), Rates::default());
    }

    #[test]
    fn zero_shows_counts_from_then_and_rates_from_nothing() {
        let mut s = Shown::default();
        let before = c(10, 20, 30, 40, 50);
        s.sample(&before);
        s.zero(&before);
        let now = before.plus(&c(1, 2, 3, 4, 5));
        assert_eq!(s.show(&now), (c(1, 2, 3, 4, 5), Rates::default()));
        // The next sample measures from the zero point, not from nothing.
        s.sample(&now);
        assert_eq!(s.show(&now).1.cps, 0);
    }

    #[test]
    fn counters_wrap() {
        assert_eq!(c(0, 0, 0, 0, 1).since(&c(0, 0, 0, 0, 2)).outbytes, u64::MAX);
    }

    #[test]
    fn proc_files_have_upstreams_layout() {
        let mut t = String::new();
        write_totals(&mut t, &c(0x1a, 2, 3, 0xabcdef, 5), &Rates { cps: 1, ..Rates::default() }).unwrap();
        assert_eq!(
            t,
            "   Total Incoming Outgoing         Incoming         Outgoing\n\
             \x20  Conns  Packets  Packets            Bytes            Bytes\n\
             \x20     1A        2        3           ABCDEF                5\n\
             \n\
             \x20Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s\n\
             \x20      1        0        0                0                0\n"
        );
        let mut p = String::new();
        write_percpu_head(&mut p).unwrap();
        write_cpu_row(&mut p, 10, &c(1, 0, 0, 0, 0)).unwrap();
        write_percpu_tail(&mut p, &c(1, 0, 0, 0, 0), &Rates::default()).unwrap();
        assert_eq!(
            p,
            "       Total Incoming Outgoing         Incoming         Outgoing\n\
             CPU    Conns  Packets  Packets            Bytes            Bytes\n\
             \x20 A        1        0        0                0                0\n\
             \x20 ~        1        0        0                0                0\n\
             \n\
             \x20    Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s\n\
             \x20          0        0        0                0                0\n"
        );
    }
}
