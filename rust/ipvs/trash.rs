// SPDX-License-Identifier: GPL-2.0
//! Real servers taken out of their service while connections still use
//! them (upstream's "dest trash"). Adding the same server to the same
//! service again brings it back as it was, its connection counters
//! included, as upstream does: a scheduler that weighs load then sees
//! the connections the server still has. A server no connection uses
//! any more is let go.

use crate::service::{Dest, SvcKey};
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

#[derive(Clone)]
struct Trashed {
    svc: SvcKey,
    dest: Arc<Dest>,
}

/// The entries of `trash` that `keep` keeps, in a new vector (process
/// context).
fn kept(trash: &KVec<Trashed>, keep: impl Fn(&Trashed) -> bool) -> Result<KVec<Trashed>> {
    let mut out = KVec::with_capacity(trash.len(), GFP_KERNEL)?;
    for t in trash.iter().filter(|t| keep(t)) {
        out.push(t.clone(), GFP_KERNEL)?;
    }
    Ok(out)
}

/// A namespace's removed real servers.
pub(crate) struct DestTrash(Pin<KBox<Mutex<KVec<Trashed>>>>);

impl DestTrash {
    /// An empty trash.
    pub(crate) fn new() -> Result<Self> {
        Ok(Self(KBox::pin_init(kernel::new_mutex!(KVec::new(), "lvs_dest_trash"), GFP_KERNEL)?))
    }

    /// Takes `dest` out of service `svc`, and keeps it while connections
    /// use it.
    pub(crate) fn put(&self, svc: &SvcKey, dest: Arc<Dest>) {
        dest.retire();
        let mut trash = self.0.lock();
        // Without memory a server is only forgotten: its connections hold
        // it still.
        if let Ok(busy) = kept(&trash, |t| !t.dest.is_available() && !t.dest.is_idle()) {
            *trash = busy;
        }
        if !dest.is_idle() {
            let _ = trash.push(Trashed { svc: *svc, dest }, GFP_KERNEL);
        }
    }

    /// Real server `af` `addr`:`port` of service `svc`, if it is in the
    /// trash. It stays there until [`DestTrash::restore`].
    pub(crate) fn find(&self, svc: &SvcKey, af: u16, addr: &[u8; 16], port: u16) -> Option<Arc<Dest>> {
        let is_it = |t: &&Trashed| {
            &t.svc == svc && t.dest.af == af && &t.dest.addr == addr && t.dest.port == port && !t.dest.is_available()
        };
        self.0.lock().iter().find(is_it).map(|t| t.dest.clone())
    }

    /// Calls `f` on every real server in the trash.
    pub(crate) fn for_each(&self, f: impl Fn(&Dest)) {
        self.0.lock().iter().for_each(|t| f(&t.dest));
    }

    /// Puts `dest`, found in the trash, back in service: its service is
    /// about to hold it again.
    pub(crate) fn restore(&self, dest: &Arc<Dest>) {
        dest.revive();
        let mut trash = self.0.lock();
        // Without memory it stays listed, and goes with the next `put`:
        // only servers out of service are kept or found.
        if let Ok(rest) = kept(&trash, |t| !Arc::ptr_eq(&t.dest, dest)) {
            *trash = rest;
        }
    }
}
