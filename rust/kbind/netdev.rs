// SPDX-License-Identifier: GPL-2.0
//! Network devices going down or away (`register_netdevice_notifier`):
//! whatever holds their routes must let go, or the device can never be
//! unregistered.

use super::bindings;
use super::netns::Net;
use core::marker::PhantomData;
use kernel::prelude::*;
use kernel::types::Opaque;

/// What a module does when a device goes down or is unregistered.
pub trait DeviceEvents: 'static {
    /// A device of namespace `net` went down or is being unregistered
    /// (process context, RTNL held).
    fn device_gone(net: &Net);
}

/// Tells `T` of devices going away, until dropped.
pub struct NetdevNotifier<T: DeviceEvents> {
    block: Pin<KBox<Opaque<bindings::notifier_block>>>,
    _t: PhantomData<T>,
}

// SAFETY: the block is only touched by the kernel and by `drop`.
unsafe impl<T: DeviceEvents> Send for NetdevNotifier<T> {}
// SAFETY: as above.
unsafe impl<T: DeviceEvents> Sync for NetdevNotifier<T> {}

unsafe extern "C" fn event<T: DeviceEvents>(
    _block: *mut bindings::notifier_block,
    action: kernel::ffi::c_ulong,
    info: *mut kernel::ffi::c_void,
) -> kernel::ffi::c_int {
    let gone = action == bindings::netdev_cmd_NETDEV_DOWN as kernel::ffi::c_ulong
        || action == bindings::netdev_cmd_NETDEV_UNREGISTER as kernel::ffi::c_ulong;
    if gone {
        // SAFETY: netdevice notifiers get a `netdev_notifier_info` naming a
        // live device, which lives in a live namespace during the call.
        unsafe {
            let dev = bindings::lvs_netdev_notifier_dev(info);
            T::device_gone(Net::from_ptr(bindings::lvs_dev_net(dev)));
        }
    }
    0 // NOTIFY_DONE
}

impl<T: DeviceEvents> NetdevNotifier<T> {
    /// Starts telling `T` (may sleep; takes RTNL).
    pub fn register() -> Result<Self> {
        let block = bindings::notifier_block {
            notifier_call: Some(event::<T>),
            // SAFETY: all zeroes are a valid C struct (null `next`,
            // priority 0); the kernel links the block itself.
            ..unsafe { core::mem::zeroed() }
        };
        let block = KBox::pin(Opaque::new(block), GFP_KERNEL)?;
        // SAFETY: the block is pinned and lives until `drop` unregisters it.
        kernel::error::to_result(unsafe { bindings::register_netdevice_notifier(block.get()) })?;
        Ok(Self { block, _t: PhantomData })
    }
}

impl<T: DeviceEvents> Drop for NetdevNotifier<T> {
    fn drop(&mut self) {
        // SAFETY: registered in `register`; after this no callback runs.
        unsafe { bindings::unregister_netdevice_notifier(self.block.get()) };
    }
}
