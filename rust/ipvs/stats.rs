// SPDX-License-Identifier: GPL-2.0
//! Traffic statistics of services, real servers and namespaces: counted
//! per CPU on the packet path, summed when read, rates estimated every
//! two seconds by a per-namespace timer (`stats_math.rs` has the
//! arithmetic).

use crate::kbind::bh::BhGuard;
use crate::kbind::global::RcuArc;
use crate::kbind::percpu::{PerCpu, ZeroedSync};
use crate::kbind::timer::{self, PeriodicTimer, Tick};
use crate::service::ServiceTable;
use crate::stats_math::{Counters, Rates, Shown, ESTIMATOR_PERIOD};
use crate::sysctl::IpvsSysctls;
use core::pin::Pin;
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::sync::{Arc, SpinLock};

/// One CPU's counters, in [`Counters`]' field order.
struct CpuCounters([AtomicU64; Counters::FIELDS]);

// SAFETY: atomics: zero is a valid value, shared use is fine, no drop.
unsafe impl ZeroedSync for CpuCounters {}

const CONNS: usize = 0;
const INPKTS: usize = 1;
const OUTPKTS: usize = 2;
const INBYTES: usize = 3;
const OUTBYTES: usize = 4;

impl CpuCounters {
    fn read(&self) -> Counters {
        Counters::from_fields(core::array::from_fn(|i| self.0[i].load(Ordering::Relaxed)))
    }
}

/// The statistics of one service, real server or namespace.
pub(crate) struct Stats {
    per_cpu: PerCpu<CpuCounters>,
    /// Zero point and estimator. Taken by the estimator's timer (a
    /// softirq): elsewhere only with softirqs off.
    shown: Pin<KBox<SpinLock<Shown>>>,
}

impl Stats {
    /// Statistics counting from zero.
    pub(crate) fn new() -> Result<Arc<Self>> {
        Ok(Arc::new(
            Self {
                per_cpu: PerCpu::new()?,
                shown: KBox::pin_init(kernel::new_spinlock!(Shown::default(), "lvs_stats"), GFP_KERNEL)?,
            },
            GFP_KERNEL,
        )?)
    }

    fn add(&self, field: usize, n: u64) {
        self.per_cpu.this_cpu().0[field].fetch_add(n, Ordering::Relaxed);
    }

    /// A connection was scheduled.
    pub(crate) fn conn(&self) {
        self.add(CONNS, 1);
    }

    /// A packet of `bytes` from a client.
    pub(crate) fn inbound(&self, bytes: u32) {
        self.add(INPKTS, 1);
        self.add(INBYTES, bytes.into());
    }

    /// A packet of `bytes` to a client.
    pub(crate) fn outbound(&self, bytes: u32) {
        self.add(OUTPKTS, 1);
        self.add(OUTBYTES, bytes.into());
    }

    /// Every CPU's raw counters (not from the zero point).
    pub(crate) fn per_cpu(&self) -> impl Iterator<Item = (u32, Counters)> + '_ {
        self.per_cpu.each_cpu().map(|(cpu, c)| (cpu, c.read()))
    }

    fn raw(&self) -> Counters {
        self.per_cpu().fold(Counters::default(), |sum, (_, c)| sum.plus(&c))
    }

    /// The counters since the last zeroing, and the rates.
    pub(crate) fn read(&self) -> (Counters, Rates) {
        let _bh = BhGuard::new();
        let shown = self.shown.lock();
        shown.show(&self.raw())
    }

    /// Counts from zero again (`ipvsadm -Z`).
    pub(crate) fn zero(&self) {
        let _bh = BhGuard::new();
        let mut shown = self.shown.lock();
        shown.zero(&self.raw());
    }

    /// One estimator period ended (softirq).
    fn sample(&self) {
        let now = self.raw();
        self.shown.lock().sample(&now);
    }
}

/// Samples a namespace's statistics every [`ESTIMATOR_PERIOD`] seconds.
pub(crate) struct Estimation {
    services: Arc<RcuArc<ServiceTable>>,
    total: Arc<Stats>,
    sysctls: Arc<IpvsSysctls>,
}

impl Tick for Estimation {
    fn tick(&self) {
        if !self.sysctls.run_estimation() {
            return;
        }
        self.total.sample();
        for svc in self.services.get().services.iter() {
            svc.stats.sample();
            for dest in svc.dests.iter() {
                dest.stats.sample();
            }
        }
    }
}

/// Starts estimating the rates of `total` and of `services`' services and
/// real servers, while `sysctls` say `run_estimation`, until dropped.
pub(crate) fn start_estimation(
    services: Arc<RcuArc<ServiceTable>>,
    total: Arc<Stats>,
    sysctls: Arc<IpvsSysctls>,
) -> Result<PeriodicTimer<Estimation>> {
    let period = timer::hz() * ESTIMATOR_PERIOD as kernel::ffi::c_ulong;
    PeriodicTimer::start(Estimation { services, total, sysctls }, period)
}
