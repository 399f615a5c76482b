// SPDX-License-Identifier: GPL-2.0
//! The interface between the IPVS core and scheduler modules.
//!
//! Both sides compile this file (with `logic/sched_input.rs`,
//! `logic/sched_wrr.rs` and `logic/sched_lblc.rs` beside it). A scheduler module describes itself
//! in a `static` [`Scheduler`] and registers it with
//! [`SchedulerRegistration`], which calls the core's exported
//! `lvs_ipvs_register_scheduler`; the module dependency this creates
//! keeps the core loaded while any scheduler module is, and the core
//! holds a reference to a scheduler's module while a service uses it.
//! The calls use the Rust ABI: both modules must come from the same
//! compiler, as every kernel module must.
//!
//! A scheduler is two functions. `prepare` runs in process context
//! whenever a service's snapshot is built (the service added or edited,
//! a real server added, edited or removed) and builds the scheduler's
//! data for it, carrying over what the previous snapshot had. `schedule`
//! runs in softirq context for each new connection; the core serializes
//! the calls for one service (as upstream's `sched_lock`), so the same
//! packets meet the same choices as on C IPVS.

use crate::sched_gs::{Resolved, Route};
use crate::sched_input::{DestInfo, FlowKey};
use crate::sched_lblc::{self, Entry, CACHE_SLOTS};
use crate::sched_wrr::WrrState;
use kernel::prelude::*;
use kernel::ThisModule;

/// Longest scheduler name plus its NUL, as `IP_VS_SCHEDNAME_MAXLEN`.
pub const SCHED_NAME_LEN: usize = 16;

/// The scheduler flags of a service (`ipvsadm -b`), as upstream's
/// `IP_VS_SVC_F_SCHED1..3`.
pub const SVC_F_SCHED1: u32 = 0x0008;
/// The second scheduler flag.
pub const SVC_F_SCHED2: u32 = 0x0010;

/// What a scheduler sees of its service.
#[derive(Clone, Copy, Debug)]
pub struct SvcInfo {
    /// Whether the service is IPv6 (hashing folds addresses by it).
    pub v6: bool,
    /// Its flags (`IP_VS_SVC_F_*`), the scheduler flags among them.
    pub flags: u32,
    /// The clock and settings the locality-based schedulers go by.
    pub locality: LocalityTimes,
}

/// The clock and the expiration times of the locality-based schedulers
/// (sysctls `lblc_expiration`, `lblcr_expiration` of the namespace), in
/// seconds; all zero when a service's data is being prepared.
#[derive(Clone, Copy, Debug, Default)]
pub struct LocalityTimes {
    /// Seconds since boot.
    pub now: u32,
    /// How long lblc remembers an address nobody asked for.
    pub lblc_expiration: u32,
    /// How long lblcr remembers an address, and keeps a server set
    /// unchanged before it sheds one.
    pub lblcr_expiration: u32,
}

impl SvcInfo {
    /// Whether scheduler flag `flag` (`SVC_F_SCHED1`, ...) is set.
    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }
}

/// How a service's list of real servers changed since its previous
/// snapshot. Upstream adds a real server at the head of the list and
/// lists, and goes round, in that order: newest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DestsEdit {
    /// Not at all (the service's own settings were edited).
    Same,
    /// A real server was put first.
    AddedFirst,
    /// The real server at this index was taken out.
    Removed(usize),
    /// A real server's settings (weight, thresholds) were edited.
    Updated,
}

/// What a scheduler keeps per service.
pub enum SchedData {
    /// Nothing.
    None,
    /// The index of the server chosen last (round robin).
    Cursor(Option<usize>),
    /// Weighted round robin's position.
    Wrr(WrrState),
    /// A lookup table of server indices (the hashing schedulers).
    Table(KVec<u16>),
    /// The locality-based schedulers' cache of destination addresses
    /// (about 45 KB: kmalloc or vmalloc memory, whichever is at hand).
    Cache(KVVec<Entry>),
    /// The global server scheduler's routes, longest prefix first.
    Routes(KVec<Resolved>),
}

impl SchedData {
    /// Whether this is a cache, which [`Self::carried`] copies into room
    /// allocated beforehand.
    pub fn is_cache(&self) -> bool {
        matches!(self, SchedData::Cache(_))
    }

    /// What of this data a service's next snapshot starts from:
    /// positions carry over, a cache is copied into `room` (a vector of
    /// [`CACHE_SLOTS`] entries; without it the next snapshot starts with
    /// an empty cache); tables are built anew. This snapshot keeps all
    /// of its own, in case the next one is never published. Softirqs are
    /// held off: no allocation.
    pub fn carried(&self, room: Option<KVVec<Entry>>) -> SchedData {
        match (self, room) {
            (SchedData::Cursor(last), _) => SchedData::Cursor(*last),
            (SchedData::Wrr(state), _) => SchedData::Wrr(*state),
            (SchedData::Cache(cache), Some(mut room)) if room.len() == cache.len() => {
                room.copy_from_slice(cache);
                SchedData::Cache(room)
            }
            _ => SchedData::None,
        }
    }

    /// The cache of `prev` (what [`Self::carried`] moved over) with its
    /// servers renamed after `edit`, or a new empty one. Process context.
    pub fn cache_from(prev: Option<SchedData>, edit: DestsEdit) -> Result<SchedData> {
        let mut cache = match prev {
            Some(SchedData::Cache(cache)) if cache.len() == CACHE_SLOTS => cache,
            _ => KVVec::from_elem(Entry::EMPTY, CACHE_SLOTS, GFP_KERNEL)?,
        };
        match edit {
            DestsEdit::AddedFirst => sched_lblc::remap(&mut cache, sched_lblc::ListEdit::InsertedFirst),
            DestsEdit::Removed(i) => sched_lblc::remap(&mut cache, sched_lblc::ListEdit::Removed(i)),
            DestsEdit::Same | DestsEdit::Updated => {}
        }
        Ok(SchedData::Cache(cache))
    }

    /// The cache, if this is a whole one.
    pub fn cache(&mut self) -> Option<&mut [Entry; CACHE_SLOTS]> {
        match self {
            SchedData::Cache(cache) => <&mut [Entry; CACHE_SLOTS]>::try_from(cache.as_mut_slice()).ok(),
            _ => None,
        }
    }

    /// A lookup table of `N` entries, all `empty` until `build` fills
    /// them. Process context.
    pub fn new_table<const N: usize>(empty: u16, build: impl FnOnce(&mut [u16; N]) -> Result) -> Result<SchedData> {
        let mut table = KVec::from_elem(empty, N, GFP_KERNEL)?;
        build(<&mut [u16; N]>::try_from(table.as_mut_slice()).map_err(|_| EINVAL)?)?;
        Ok(SchedData::Table(table))
    }

    /// The routes, if these are routes.
    pub fn routes(&self) -> Option<&[Resolved]> {
        match self {
            SchedData::Routes(routes) => Some(routes),
            _ => None,
        }
    }

    /// The lookup table, if this is one of `N` entries.
    pub fn table<const N: usize>(&self) -> Option<&[u16; N]> {
        match self {
            SchedData::Table(table) => <&[u16; N]>::try_from(table.as_slice()).ok(),
            _ => None,
        }
    }
}

/// Builds a service's [`SchedData`] for its servers `dests` (with their
/// settings; counters as they are), from `prev`, what its previous
/// snapshot had if that used the same scheduler, changed by `edit`.
/// Process context: may allocate and sleep.
pub type PrepareFn = fn(prev: Option<SchedData>, edit: DestsEdit, dests: &[DestInfo], svc: &SvcInfo) -> Result<SchedData>;

/// A [`PrepareFn`] that also sees the service's routes (`ip_vs_gs`),
/// for the global server scheduler.
pub type RoutedPrepareFn =
    fn(prev: Option<SchedData>, edit: DestsEdit, dests: &[DestInfo], svc: &SvcInfo, routes: &[Route]) -> Result<SchedData>;

/// How a scheduler builds its data.
enum Prepare {
    /// From the servers.
    Plain(PrepareFn),
    /// From the servers and the service's routes.
    Routed(RoutedPrepareFn),
}

/// Picks a server for a new connection `flow` among `dests` (settings
/// and counters as of now); `None` if none is available. Softirq
/// context.
pub type ScheduleFn = fn(data: &mut SchedData, dests: &[DestInfo], flow: &FlowKey, svc: &SvcInfo) -> Option<usize>;

/// A scheduler as the core sees it.
pub struct Scheduler {
    name: [u8; SCHED_NAME_LEN],
    prepare: Prepare,
    schedule: ScheduleFn,
}

impl Scheduler {
    /// A scheduler called `name` (as in `ipvsadm -s NAME`); the name must
    /// be shorter than [`SCHED_NAME_LEN`], or the build fails.
    pub const fn new(name: &str, prepare: PrepareFn, schedule: ScheduleFn) -> Self {
        Self::with(name, Prepare::Plain(prepare), schedule)
    }

    /// A scheduler called `name` whose data is built from the service's
    /// routes too (see [`Self::new`]).
    pub const fn routed(name: &str, prepare: RoutedPrepareFn, schedule: ScheduleFn) -> Self {
        Self::with(name, Prepare::Routed(prepare), schedule)
    }

    const fn with(name: &str, prepare: Prepare, schedule: ScheduleFn) -> Self {
        let src = name.as_bytes();
        assert!(!src.is_empty() && src.len() < SCHED_NAME_LEN);
        let mut bytes = [0u8; SCHED_NAME_LEN];
        let mut i = 0;
        while i < src.len() {
            bytes[i] = src[i];
            i += 1;
        }
        Self { name: bytes, prepare, schedule }
    }

    /// The scheduler's name.
    pub fn name(&self) -> &str {
        let len = self.name.iter().position(|&c| c == 0).unwrap_or(SCHED_NAME_LEN);
        core::str::from_utf8(&self.name[..len]).unwrap_or("?")
    }

    /// Builds a service's data (see [`PrepareFn`]); `routes` are the
    /// service's, which only a routed scheduler sees.
    pub fn prepare(
        &self,
        prev: Option<SchedData>,
        edit: DestsEdit,
        dests: &[DestInfo],
        svc: &SvcInfo,
        routes: &[Route],
    ) -> Result<SchedData> {
        match self.prepare {
            Prepare::Plain(prepare) => prepare(prev, edit, dests, svc),
            Prepare::Routed(prepare) => prepare(prev, edit, dests, svc, routes),
        }
    }

    /// Picks a server (see [`ScheduleFn`]).
    pub fn schedule(&self, data: &mut SchedData, dests: &[DestInfo], flow: &FlowKey, svc: &SvcInfo) -> Option<usize> {
        (self.schedule)(data, dests, flow, svc)
    }
}

/// A scheduler that keeps nothing per service.
pub fn prepare_nothing(_prev: Option<SchedData>, _edit: DestsEdit, _dests: &[DestInfo], _svc: &SvcInfo) -> Result<SchedData> {
    Ok(SchedData::None)
}

extern "Rust" {
    fn lvs_ipvs_register_scheduler(scheduler: &'static Scheduler, owner: &'static ThisModule) -> Result;
    fn lvs_ipvs_unregister_scheduler(scheduler: &'static Scheduler);
    fn lvs_ipvs_random_below(ceil: u32) -> u32;
}

/// A uniformly random number below `ceil` (0 if `ceil` is 0), from the
/// kernel's generator, for schedulers that draw (twos).
pub fn random_below(ceil: u32) -> u32 {
    // SAFETY: the core defines this symbol with this signature (sched.rs);
    // it may be called from any context.
    unsafe { lvs_ipvs_random_below(ceil) }
}

/// A scheduler registered with the core until this is dropped.
pub struct SchedulerRegistration(&'static Scheduler);

impl SchedulerRegistration {
    /// Registers `scheduler` of module `owner`; `EEXIST` if one of that
    /// name is registered.
    pub fn new(scheduler: &'static Scheduler, owner: &'static ThisModule) -> Result<Self> {
        // SAFETY: the core defines this symbol with this signature (its
        // sched.rs, from this file's types); both arguments are 'static.
        unsafe { lvs_ipvs_register_scheduler(scheduler, owner) }?;
        Ok(Self(scheduler))
    }
}

impl Drop for SchedulerRegistration {
    fn drop(&mut self) {
        // SAFETY: as in `new`; the scheduler was registered there.
        unsafe { lvs_ipvs_unregister_scheduler(self.0) };
    }
}

/// The module of one scheduler: `sched_module!(Type, "lvs_ipvs_NAME",
/// "description", SCHEDULER)` registers the `static` [`Scheduler`]
/// `SCHEDULER` while the module is loaded.
#[macro_export]
macro_rules! sched_module {
    ($module:ident, $name:tt, $description:tt, $scheduler:ident) => {
        kernel::prelude::module! {
            type: $module,
            name: $name,
            author: "LVS in Rust",
            description: $description,
            license: "GPL",
        }

        struct $module {
            _registration: $crate::sched_api::SchedulerRegistration,
        }

        impl kernel::Module for $module {
            fn init(module: &'static kernel::ThisModule) -> kernel::error::Result<Self> {
                Ok(Self { _registration: $crate::sched_api::SchedulerRegistration::new(&$scheduler, module)? })
            }
        }
    };
}

/// The module of a scheduler that keeps nothing per service and picks by
/// the servers' loads alone: `stateless_sched_module!(Type,
/// "lvs_ipvs_NAME", "description", "NAME", pick)`, `pick` being a
/// `fn(&[DestInfo]) -> Option<usize>`.
#[macro_export]
macro_rules! stateless_sched_module {
    ($module:ident, $name:tt, $description:tt, $sched:tt, $pick:path) => {
        fn schedule(
            _data: &mut $crate::sched_api::SchedData,
            dests: &[$crate::sched_input::DestInfo],
            _flow: &$crate::sched_input::FlowKey,
            _svc: &$crate::sched_api::SvcInfo,
        ) -> Option<usize> {
            $pick(dests)
        }

        static SCHEDULER: $crate::sched_api::Scheduler =
            $crate::sched_api::Scheduler::new($sched, $crate::sched_api::prepare_nothing, schedule);
        sched_module!($module, $name, $description, SCHEDULER);
    };
}
