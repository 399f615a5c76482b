// SPDX-License-Identifier: GPL-2.0
//! How many threads a KTCPVS service runs: the original tool's four
//! numbers read for an event-driven pool (thesis §6.4.4).
//!
//! `startservers` threads start with the service and always run. A thread
//! that holds no client connection is *spare*. While fewer than
//! `minspareservers` threads are spare, threads are added (all that are
//! missing at once), up to `maxclients` threads and [`MAX_THREADS`]; while
//! more than `maxspareservers` are spare, one goes each step (as Apache's
//! prefork pool shrinks), never below `startservers`. The service's
//! manager takes a step a second.

/// Most threads a service runs.
pub const MAX_THREADS: u32 = 64;

/// The pool's four sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolSizes {
    /// Threads started with the service, and the fewest it runs.
    pub startservers: u32,
    /// Most client connections at once; also the most threads.
    pub maxclients: u32,
    /// Fewest spare threads.
    pub minspare: u32,
    /// Most spare threads.
    pub maxspare: u32,
}

/// What the manager does this step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolStep {
    /// Nothing.
    Hold,
    /// Start this many threads.
    Grow(u32),
    /// Stop one spare thread.
    Shrink,
}

impl PoolSizes {
    /// Most threads the pool may run.
    pub fn ceiling(&self) -> u32 {
        self.maxclients.min(MAX_THREADS).max(self.startservers)
    }

    /// The step for a pool of `threads` threads, `spare` of them spare
    /// (threads already stopping are not counted in either).
    pub fn step(&self, threads: u32, spare: u32) -> PoolStep {
        if spare < self.minspare {
            let room = self.ceiling().saturating_sub(threads);
            let wanted = (self.minspare - spare).min(room);
            if wanted > 0 {
                return PoolStep::Grow(wanted);
            }
        } else if spare > self.maxspare && threads > self.startservers {
            return PoolStep::Shrink;
        }
        PoolStep::Hold
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZES: PoolSizes = PoolSizes { startservers: 8, maxclients: 256, minspare: 6, maxspare: 18 };

    #[test]
    fn idle_pool_holds() {
        assert_eq!(SIZES.step(8, 8), PoolStep::Hold);
    }

    #[test]
    fn busy_pool_grows_to_minspare() {
        assert_eq!(SIZES.step(8, 0), PoolStep::Grow(6));
        assert_eq!(SIZES.step(8, 5), PoolStep::Grow(1));
        assert_eq!(SIZES.step(14, 6), PoolStep::Hold);
    }

    #[test]
    fn growth_stops_at_the_ceiling() {
        assert_eq!(SIZES.step(62, 0), PoolStep::Grow(2));
        assert_eq!(SIZES.step(64, 0), PoolStep::Hold);
        let few_clients = PoolSizes { maxclients: 10, ..SIZES };
        assert_eq!(few_clients.ceiling(), 10);
        assert_eq!(few_clients.step(8, 0), PoolStep::Grow(2));
        // startservers is always run, even above maxclients.
        let tiny = PoolSizes { startservers: 4, maxclients: 2, minspare: 3, maxspare: 3 };
        assert_eq!(tiny.ceiling(), 4);
        assert_eq!(tiny.step(4, 0), PoolStep::Hold);
    }

    #[test]
    fn idle_pool_shrinks_one_at_a_time_to_startservers() {
        assert_eq!(SIZES.step(40, 30), PoolStep::Shrink);
        assert_eq!(SIZES.step(26, 19), PoolStep::Shrink);
        assert_eq!(SIZES.step(25, 18), PoolStep::Hold);
        let no_spares = PoolSizes { minspare: 0, maxspare: 0, ..SIZES };
        assert_eq!(no_spares.step(9, 1), PoolStep::Shrink);
        assert_eq!(no_spares.step(8, 8), PoolStep::Hold);
        assert_eq!(no_spares.step(8, 0), PoolStep::Hold);
    }
}
