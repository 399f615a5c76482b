// SPDX-License-Identifier: GPL-2.0
//! A generic-netlink family, registered as an RAII object.

use super::bindings;
use super::netns::Net;
use core::ffi::c_int;
use core::marker::PhantomData;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::types::Opaque;

/// One command of a family.
#[derive(Clone, Copy, Debug)]
pub struct GenlOp {
    /// Command number.
    pub cmd: u8,
    /// Whether the caller needs CAP_NET_ADMIN in its namespace.
    pub admin: bool,
}

/// A generic-netlink family: its identity and its request handler.
pub trait GenlFamily: 'static {
    /// Family name, at most 15 bytes.
    const NAME: &'static CStr;
    /// Family version.
    const VERSION: u8;
    /// Commands below this number accept lax attribute validation
    /// (`resv_start_op`), as old user space expects.
    const LAX_BELOW: u8;
    /// The commands the family answers.
    const OPS: &'static [GenlOp];

    /// Handles a request for one of [`Self::OPS`].
    fn doit(req: &GenlRequest<'_>) -> Result;
}

/// A request being handled.
pub struct GenlRequest<'a> {
    info: *mut bindings::genl_info,
    net: &'a Net,
}

impl<'a> GenlRequest<'a> {
    /// The command number.
    pub fn cmd(&self) -> u8 {
        // SAFETY: `info` and its `genlhdr` are live during the request.
        unsafe { (*(*self.info).genlhdr).cmd }
    }

    /// The namespace of the requesting socket.
    pub fn net(&self) -> &'a Net {
        self.net
    }

    /// Sends a reply of command `cmd`, whose attributes `fill` adds.
    pub fn reply(&self, cmd: u8, fill: impl FnOnce(&mut GenlMsg) -> Result) -> Result {
        // SAFETY: allocating a new message has no preconditions.
        let skb = unsafe { bindings::lvs_genlmsg_new(GENL_REPLY_SIZE) };
        if skb.is_null() {
            return Err(ENOMEM);
        }
        let mut msg = GenlMsg { skb, _owns: PhantomData };
        // SAFETY: `skb` is a fresh message, `info` the live request.
        let hdr = unsafe { bindings::lvs_genlmsg_put_reply(skb, self.info, cmd) };
        if hdr.is_null() {
            return Err(super::error(bindings::EMSGSIZE));
        }
        fill(&mut msg)?;
        // SAFETY: `hdr` was put in `skb` above.
        unsafe { bindings::lvs_genlmsg_end(skb, hdr) };
        core::mem::forget(msg);
        // SAFETY: `genlmsg_reply` takes ownership of `skb` in all cases.
        kernel::error::to_result(unsafe { bindings::lvs_genlmsg_reply(skb, self.info) })
    }
}

/// Payload room of a reply (a page, like `NLMSG_GOODSIZE`).
const GENL_REPLY_SIZE: usize = 3800;

/// A reply message under construction; freed unless sent.
pub struct GenlMsg {
    skb: *mut bindings::sk_buff,
    _owns: PhantomData<bindings::sk_buff>,
}

impl GenlMsg {
    /// Adds a `u32` attribute.
    pub fn put_u32(&mut self, attr: u16, value: u32) -> Result {
        // SAFETY: `skb` is our live message.
        match unsafe { bindings::lvs_nla_put_u32(self.skb, attr.into(), value) } {
            0 => Ok(()),
            _ => Err(super::error(bindings::EMSGSIZE)),
        }
    }
}

impl Drop for GenlMsg {
    fn drop(&mut self) {
        // SAFETY: the message was never handed to the kernel.
        unsafe { bindings::lvs_nlmsg_free(self.skb) };
    }
}

unsafe extern "C" fn doit_trampoline<F: GenlFamily>(
    _skb: *mut bindings::sk_buff,
    info: *mut bindings::genl_info,
) -> c_int {
    // SAFETY: genetlink passes a live `info`; its sending socket's
    // namespace is live while the request runs.
    let net = unsafe { Net::from_ptr(bindings::lvs_genl_info_net(info)) };
    match F::doit(&GenlRequest { info, net }) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// A registered family; unregistered on drop.
pub struct GenlRegistration<F: GenlFamily> {
    family: Pin<KBox<Opaque<bindings::genl_family>>>,
    _ops: KVec<bindings::genl_ops>,
    _family: PhantomData<F>,
}

// SAFETY: only touched at creation and drop; the kernel owns the family
// and its operations in between.
unsafe impl<F: GenlFamily> Send for GenlRegistration<F> {}
// SAFETY: as above, `&GenlRegistration` exposes nothing.
unsafe impl<F: GenlFamily> Sync for GenlRegistration<F> {}

impl<F: GenlFamily> GenlRegistration<F> {
    /// Registers family `F`, serving every network namespace. Fails with
    /// `EEXIST` if a family of the same name is registered.
    pub fn register() -> Result<Self> {
        let mut ops = KVec::with_capacity(F::OPS.len(), GFP_KERNEL)?;
        for op in F::OPS {
            ops.push(
                bindings::genl_ops {
                    cmd: op.cmd,
                    flags: if op.admin { bindings::GENL_ADMIN_PERM as u8 } else { 0 },
                    doit: Some(doit_trampoline::<F>),
                    ..Default::default()
                },
                GFP_KERNEL,
            )?;
        }
        let name = F::NAME.as_bytes();
        let mut family = bindings::genl_family {
            version: F::VERSION.into(),
            n_ops: u8::try_from(ops.len())?,
            ops: ops.as_ptr(),
            resv_start_op: F::LAX_BELOW,
            // SAFETY: a plain accessor for the module being built.
            module: unsafe { bindings::lvs_this_module() },
            ..Default::default()
        };
        if name.len() >= family.name.len() {
            return Err(EINVAL);
        }
        for (dst, &src) in family.name.iter_mut().zip(name) {
            *dst = src as _;
        }
        family.set_netnsok(1);
        let family = KBox::pin(Opaque::new(family), GFP_KERNEL)?;
        // SAFETY: `family` and `ops` stay allocated and unmoved until
        // `drop` unregisters the family.
        kernel::error::to_result(unsafe { bindings::genl_register_family(family.get()) })?;
        Ok(Self { family, _ops: ops, _family: PhantomData })
    }
}

impl<F: GenlFamily> Drop for GenlRegistration<F> {
    fn drop(&mut self) {
        // SAFETY: registered in `register`; this waits for running requests.
        unsafe { bindings::genl_unregister_family(self.family.get()) };
    }
}
