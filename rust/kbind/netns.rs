// SPDX-License-Identifier: GPL-2.0
//! Network namespaces and per-namespace state (`register_pernet_subsys`,
//! with `register_pernet_device` for what must stop before a dying
//! namespace's devices go).

use super::bindings;
use core::marker::PhantomData;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::prelude::*;
use kernel::types::Opaque;

/// A network namespace, borrowed while the kernel keeps it alive (for the
/// duration of a hook, a netlink request or a pernet callback).
#[repr(transparent)]
pub struct Net(Opaque<bindings::net>);

impl Net {
    /// Borrows the namespace behind `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` points to a live `struct net` that outlives `'a`.
    pub(crate) unsafe fn from_ptr<'a>(ptr: *mut bindings::net) -> &'a Net {
        // SAFETY: `Net` is a transparent wrapper of `struct net`, which the
        // caller guarantees is live for `'a`.
        unsafe { &*ptr.cast::<Net>() }
    }

    /// A number that tells this namespace from every other live one.
    pub fn id(&self) -> usize {
        self.as_ptr() as usize
    }

    /// Whether binding `port` takes `CAP_NET_BIND_SERVICE` here (below
    /// `net.ipv4.ip_unprivileged_port_start`).
    pub fn port_requires_bind_service(&self, port: u16) -> bool {
        // SAFETY: `self` is a live namespace; this reads one sysctl.
        unsafe { bindings::lvs_port_requires_bind_service(self.as_ptr(), port) }
    }

    /// Whether `addr` (IPv6 if `v6`, else its first four bytes) may be a
    /// real server's: unicast or one of this namespace's own addresses,
    /// as upstream demands of a new real server.
    pub fn may_be_real_server(&self, v6: bool, addr: &[u8; 16]) -> bool {
        // SAFETY: `self` is live; `addr` holds the 4 or 16 bytes read.
        unsafe { bindings::lvs_real_server_addr_ok(self.as_ptr(), v6, addr.as_ptr().cast()) }
    }

    /// Whether `addr` (IPv6 if `v6`, else its first four bytes) is a
    /// unicast address that is not one of this namespace's own.
    pub fn is_remote_unicast(&self, v6: bool, addr: &[u8; 16]) -> bool {
        // SAFETY: `self` is live; `addr` holds the 4 or 16 bytes read.
        unsafe { bindings::lvs_addr_is_unicast(self.as_ptr(), v6, addr.as_ptr().cast()) }
    }

    /// The index of the network device named `name` here, if there is
    /// one (names longer than the kernel's `IFNAMSIZ - 1` never are).
    pub fn device_index(&self, name: &[u8]) -> Option<i32> {
        let mut cname = [0u8; bindings::IFNAMSIZ as usize];
        if name.len() >= cname.len() || name.contains(&0) {
            return None;
        }
        cname[..name.len()].copy_from_slice(name);
        // SAFETY: `self` is live; `cname` is NUL-terminated.
        let index = unsafe { bindings::lvs_dev_index(self.as_ptr(), cname.as_ptr().cast()) };
        (index > 0).then_some(index)
    }

    /// The MTU of device `ifindex` here (0 if it is gone).
    pub fn device_mtu(&self, ifindex: i32) -> u32 {
        // SAFETY: `self` is live.
        unsafe { bindings::lvs_dev_mtu(self.as_ptr(), ifindex) }
    }

    /// The raw pointer, for calls into the kernel.
    pub(crate) fn as_ptr(&self) -> *mut bindings::net {
        self.0.get()
    }
}

/// The id the kernel assigns to a per-namespace state type when it is
/// registered; each [`PernetState`] type owns one in a `static`.
pub struct PernetId(Opaque<core::ffi::c_uint>);

// SAFETY: the kernel writes the id once, in `register_pernet_subsys`,
// before any namespace callback (the only readers) runs.
unsafe impl Sync for PernetId {}

impl PernetId {
    /// An id not yet assigned.
    pub const fn new() -> Self {
        Self(Opaque::new(0))
    }
}

/// State a module keeps in every network namespace.
///
/// Each namespace holds a pointer to a boxed `Self`, set once [`init`]
/// returns and cleared before the box is dropped, so code that can run
/// while a namespace comes up or goes down (a netfilter hook) sees `None`
/// rather than a half-built state. Fields are dropped in declaration
/// order: put registrations that call back into the state (hooks, proc
/// files) first, so they are gone before the data they read.
///
/// [`init`]: PernetState::init
pub trait PernetState: Sized + Send + Sync + 'static {
    /// The id storage of this type.
    fn id() -> &'static PernetId;
    /// Builds the state of `net`.
    fn init(net: &Net) -> Result<Self>;

    /// A dying namespace's devices are about to go (or the module is
    /// unloading): stop whatever holds one of them, as kernel sockets do
    /// (their routes, their multicast memberships). Runs in the
    /// namespace's device phase, which comes before the state is
    /// dropped: a device still held then would wait forever for its
    /// holder ("waiting for lo to become free"). Upstream IPVS stops its
    /// sync daemons at this point (`ipvs_core_dev_ops`).
    fn devices_going(&self) {}

    /// The state of `net`, if it is set up.
    fn get(net: &Net) -> Option<&Self> {
        // SAFETY: the slot was set by `pernet_init::<Self>` and lives as
        // long as `net` (the kernel frees it after `pernet_exit`).
        let slot = unsafe { state_slot::<Self>(net) };
        let state = slot.load(Ordering::Acquire);
        // SAFETY: a non-null slot points to the box `pernet_init` leaked,
        // which is freed only after the slot is cleared and every
        // registration that could call here has been torn down.
        unsafe { state.as_ref() }
    }
}

/// The pointer-sized storage the kernel keeps for us in each namespace.
///
/// # Safety
///
/// `T` must be registered with [`Pernet`], so `net_generic` has a slot.
unsafe fn state_slot<T: PernetState>(net: &Net) -> &AtomicPtr<T> {
    // SAFETY: the id was assigned at registration (see `PernetId`).
    let id = unsafe { *T::id().0.get() };
    // SAFETY: `net` is live and `id` is registered, with `size` of one
    // pointer, zeroed by the kernel; it is only accessed as an atomic.
    unsafe { &*bindings::lvs_net_generic(net.as_ptr(), id).cast::<AtomicPtr<T>>() }
}

unsafe extern "C" fn pernet_init<T: PernetState>(net: *mut bindings::net) -> core::ffi::c_int {
    // SAFETY: the kernel calls `init` with a live namespace.
    let net = unsafe { Net::from_ptr(net) };
    match T::init(net).and_then(|state| Ok(KBox::new(state, GFP_KERNEL)?)) {
        Ok(state) => {
            // SAFETY: `T` is registered: we are its `init` callback.
            unsafe { state_slot::<T>(net) }.store(KBox::into_raw(state), Ordering::Release);
            0
        }
        Err(e) => e.to_errno(),
    }
}

unsafe extern "C" fn pernet_exit<T: PernetState>(net: *mut bindings::net) {
    // SAFETY: the kernel calls `exit` with a live namespace.
    let net = unsafe { Net::from_ptr(net) };
    // SAFETY: `T` is registered: we are its `exit` callback.
    let state = unsafe { state_slot::<T>(net) }.swap(core::ptr::null_mut(), Ordering::AcqRel);
    if !state.is_null() {
        // SAFETY: `state` came from `KBox::into_raw` in `pernet_init` and
        // the slot no longer hands it out.
        drop(unsafe { KBox::from_raw(state) });
    }
}

unsafe extern "C" fn pernet_devices_exit<T: PernetState>(net: *mut bindings::net) {
    // SAFETY: the kernel calls `exit` with a live namespace.
    let net = unsafe { Net::from_ptr(net) };
    if let Some(state) = T::get(net) {
        state.devices_going();
    }
}

/// Registration of a [`PernetState`]: every namespace, present and
/// future, gets one until this is dropped.
pub struct Pernet<T: PernetState> {
    ops: Pin<KBox<Opaque<bindings::pernet_operations>>>,
    /// The device-phase operations ([`PernetState::devices_going`]).
    device_ops: Pin<KBox<Opaque<bindings::pernet_operations>>>,
    _state: PhantomData<T>,
}

// SAFETY: the registration is only touched at creation and drop; the
// kernel owns the operations in between.
unsafe impl<T: PernetState> Send for Pernet<T> {}
// SAFETY: as above, `&Pernet` exposes nothing.
unsafe impl<T: PernetState> Sync for Pernet<T> {}

impl<T: PernetState> Pernet<T> {
    /// Registers `T`, calling [`PernetState::init`] for every namespace.
    pub fn register() -> Result<Self> {
        let ops = bindings::pernet_operations {
            init: Some(pernet_init::<T>),
            exit: Some(pernet_exit::<T>),
            id: T::id().0.get(),
            size: core::mem::size_of::<AtomicPtr<T>>(),
            ..Default::default()
        };
        let ops = KBox::pin(Opaque::new(ops), GFP_KERNEL)?;
        let device_ops = bindings::pernet_operations { exit: Some(pernet_devices_exit::<T>), ..Default::default() };
        let device_ops = KBox::pin(Opaque::new(device_ops), GFP_KERNEL)?;
        // SAFETY: `ops` is pinned and lives until `drop` unregisters it.
        kernel::error::to_result(unsafe { bindings::register_pernet_subsys(ops.get()) })?;
        // SAFETY: as above, `device_ops` too. Device operations of a
        // dying namespace run before every subsystem's, ours included.
        if let Err(e) = kernel::error::to_result(unsafe { bindings::register_pernet_device(device_ops.get()) }) {
            // SAFETY: registered just above.
            unsafe { bindings::unregister_pernet_subsys(ops.get()) };
            return Err(e);
        }
        Ok(Self { ops, device_ops, _state: PhantomData })
    }
}

impl<T: PernetState> Drop for Pernet<T> {
    fn drop(&mut self) {
        // SAFETY: both registered in `register`; this runs their `exit`
        // everywhere, the devices' first.
        unsafe {
            bindings::unregister_pernet_device(self.device_ops.get());
            bindings::unregister_pernet_subsys(self.ops.get());
        }
    }
}

/// A namespace held by something its [`PernetState`] owns (a kernel
/// thread, a kernel socket): no reference count, as kernel sockets hold
/// none, so the namespace can still go away; the state's teardown, which
/// runs before the namespace is freed, must stop the holder first.
#[derive(Clone, Copy)]
pub struct NetRef(*mut bindings::net);

// SAFETY: a `struct net` may be used from any context; the pointer stays
// valid for the holder's life (see the type's contract).
unsafe impl Send for NetRef {}
// SAFETY: as above.
unsafe impl Sync for NetRef {}

impl NetRef {
    /// A handle on `net` for an object that `net`'s per-namespace state
    /// owns and drops in its teardown.
    pub fn for_state_owned(net: &Net) -> Self {
        Self(net.as_ptr())
    }

    /// The namespace.
    pub fn net(&self) -> &Net {
        // SAFETY: the holder is torn down before the namespace's state,
        // hence before the namespace (the type's contract).
        unsafe { Net::from_ptr(self.0) }
    }
}
