// SPDX-License-Identifier: GPL-2.0
//! The interface between the IPVS core and scheduler modules.
//!
//! Both sides compile this file. A scheduler module describes itself in a
//! `static` [`Scheduler`] and registers it with [`SchedulerRegistration`],
//! which calls the core's exported `lvs_ipvs_register_scheduler`; the
//! module dependency this creates keeps the core loaded while any
//! scheduler module is.

use core::ffi::c_int;
use kernel::prelude::*;

/// Longest scheduler name plus its NUL, as `IP_VS_SCHEDNAME_MAXLEN`.
pub const SCHED_NAME_LEN: usize = 16;

/// A scheduler as the core sees it.
#[repr(C)]
pub struct Scheduler {
    name: [u8; SCHED_NAME_LEN],
}

impl Scheduler {
    /// A scheduler called `name` (as in `ipvsadm -s NAME`); the name must
    /// be shorter than [`SCHED_NAME_LEN`], or the build fails.
    pub const fn new(name: &str) -> Self {
        let src = name.as_bytes();
        assert!(!src.is_empty() && src.len() < SCHED_NAME_LEN);
        let mut bytes = [0u8; SCHED_NAME_LEN];
        let mut i = 0;
        while i < src.len() {
            bytes[i] = src[i];
            i += 1;
        }
        Self { name: bytes }
    }

    /// The scheduler's name.
    pub fn name(&self) -> &str {
        let len = self.name.iter().position(|&c| c == 0).unwrap_or(SCHED_NAME_LEN);
        core::str::from_utf8(&self.name[..len]).unwrap_or("?")
    }
}

extern "C" {
    fn lvs_ipvs_register_scheduler(scheduler: &'static Scheduler) -> c_int;
    fn lvs_ipvs_unregister_scheduler(scheduler: &'static Scheduler);
}

/// A scheduler registered with the core until this is dropped.
pub struct SchedulerRegistration(&'static Scheduler);

impl SchedulerRegistration {
    /// Registers `scheduler`; `EEXIST` if one of that name is registered.
    pub fn new(scheduler: &'static Scheduler) -> Result<Self> {
        // SAFETY: the core defines this symbol with this signature (its
        // sched.rs, from this file's types); `scheduler` is 'static.
        kernel::error::to_result(unsafe { lvs_ipvs_register_scheduler(scheduler) })?;
        Ok(Self(scheduler))
    }
}

impl Drop for SchedulerRegistration {
    fn drop(&mut self) {
        // SAFETY: as in `new`; the scheduler was registered there.
        unsafe { lvs_ipvs_unregister_scheduler(self.0) };
    }
}
