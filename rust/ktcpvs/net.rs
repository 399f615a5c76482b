// SPDX-License-Identifier: GPL-2.0
//! What KTCPVS keeps in each network namespace: its services.

use crate::kbind::netns::{Net, NetRef, PernetId, PernetState};
use crate::service::Service;
use kernel::prelude::*;
use kernel::sync::Mutex;

/// Per-namespace state; dropping it stops every service of the namespace.
pub(crate) struct KtcpvsNet {
    /// The services, in the order they were added. Taken by netlink
    /// requests only (process context).
    pub(crate) services: Pin<KBox<Mutex<KVec<Service>>>>,
    /// The namespace, for the sockets services open.
    pub(crate) net: NetRef,
}

static ID: PernetId = PernetId::new();

impl PernetState for KtcpvsNet {
    fn id() -> &'static PernetId {
        &ID
    }

    /// The services' sockets hold the namespace's devices (their
    /// routes): they stop first.
    fn devices_going(&self) {
        self.services.lock().iter_mut().for_each(Service::stop);
    }

    fn init(net: &Net) -> Result<Self> {
        Ok(Self {
            services: KBox::pin_init(kernel::new_mutex!(KVec::new(), "ktcpvs_services"), GFP_KERNEL)?,
            net: NetRef::for_state_owned(net),
        })
    }
}
