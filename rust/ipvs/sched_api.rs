// SPDX-License-Identifier: GPL-2.0
//! The interface between the IPVS core and scheduler modules.
//!
//! Both sides compile this file. A scheduler module describes itself in a
//! `static` [`Scheduler`] and registers it with [`SchedulerRegistration`],
//! which calls the core's exported `lvs_ipvs_register_scheduler`; the
//! module dependency this creates keeps the core loaded while any
//! scheduler module is, and the core holds a reference to a scheduler's
//! module while a service uses it. The calls use the Rust ABI: both
//! modules must come from the same compiler, as every kernel module must.

use core::sync::atomic::AtomicUsize;
use kernel::prelude::*;
use kernel::ThisModule;

/// Longest scheduler name plus its NUL, as `IP_VS_SCHEDNAME_MAXLEN`.
pub const SCHED_NAME_LEN: usize = 16;

/// What a scheduler sees of one real server.
#[derive(Clone, Copy, Debug)]
pub struct DestLoad {
    /// Its weight; 0 means quiesced (no new connections).
    pub weight: i32,
    /// Active connections (TCP established and opening).
    pub active: u32,
    /// Inactive connections (closing, or UDP).
    pub inactive: u32,
    /// Whether it is over its connection threshold.
    pub overloaded: bool,
}

impl DestLoad {
    /// Whether it may take a new connection.
    pub fn usable(&self) -> bool {
        self.weight > 0 && !self.overloaded
    }
}

/// A scheduler's state in one service.
pub struct SchedState {
    /// The index chosen last (`usize::MAX`: none yet).
    pub last: AtomicUsize,
}

impl SchedState {
    /// The state of a fresh service.
    pub const fn new() -> Self {
        Self { last: AtomicUsize::new(usize::MAX) }
    }
}

impl Default for SchedState {
    fn default() -> Self {
        Self::new()
    }
}

/// Picks a server for a new connection: among `n` servers whose loads
/// `load` tells, the index of the one to use; `None` if none is usable.
pub type ScheduleFn = fn(state: &SchedState, n: usize, load: &dyn Fn(usize) -> DestLoad) -> Option<usize>;

/// A scheduler as the core sees it.
pub struct Scheduler {
    name: [u8; SCHED_NAME_LEN],
    schedule: ScheduleFn,
}

impl Scheduler {
    /// A scheduler called `name` (as in `ipvsadm -s NAME`); the name must
    /// be shorter than [`SCHED_NAME_LEN`], or the build fails.
    pub const fn new(name: &str, schedule: ScheduleFn) -> Self {
        let src = name.as_bytes();
        assert!(!src.is_empty() && src.len() < SCHED_NAME_LEN);
        let mut bytes = [0u8; SCHED_NAME_LEN];
        let mut i = 0;
        while i < src.len() {
            bytes[i] = src[i];
            i += 1;
        }
        Self { name: bytes, schedule }
    }

    /// The scheduler's name.
    pub fn name(&self) -> &str {
        let len = self.name.iter().position(|&c| c == 0).unwrap_or(SCHED_NAME_LEN);
        core::str::from_utf8(&self.name[..len]).unwrap_or("?")
    }

    /// Picks a server (see [`ScheduleFn`]).
    pub fn schedule(&self, state: &SchedState, n: usize, load: &dyn Fn(usize) -> DestLoad) -> Option<usize> {
        (self.schedule)(state, n, load)
    }
}

extern "Rust" {
    fn lvs_ipvs_register_scheduler(scheduler: &'static Scheduler, owner: &'static ThisModule) -> Result;
    fn lvs_ipvs_unregister_scheduler(scheduler: &'static Scheduler);
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
