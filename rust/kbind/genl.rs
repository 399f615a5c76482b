// SPDX-License-Identifier: GPL-2.0
//! A generic-netlink family, registered as an RAII object, with requests,
//! replies and multi-part dumps.

use super::bindings;
use super::netns::Net;
use core::ffi::{c_int, c_void};
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
    /// Whether a plain request is answered ([`GenlFamily::doit`]).
    pub doit: bool,
    /// Whether a dump request is answered ([`GenlFamily::dumpit`]).
    pub dumpit: bool,
}

/// A generic-netlink family: its identity and its handlers.
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

    /// Handles a request for one of [`Self::OPS`] with `doit`.
    fn doit(req: &GenlRequest<'_>) -> Result;

    /// Adds the next part of a dump for one of [`Self::OPS`] with
    /// `dumpit`; called until it adds nothing.
    fn dumpit(dump: &mut GenlDump<'_>) -> Result;
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

    /// The request's attributes, unparsed.
    pub fn attrs(&self) -> &'a [u8] {
        let mut len: c_int = 0;
        // SAFETY: `info` is live; the helper bounds `len` by the message.
        let data = unsafe { bindings::lvs_genl_info_attrs(self.info, &mut len) };
        // SAFETY: `data` points to `len` bytes of the request, which stays
        // allocated while the request is handled.
        unsafe { core::slice::from_raw_parts(data.cast::<u8>(), len as usize) }
    }

    /// Sends a reply of command `cmd`, whose attributes `fill` adds.
    pub fn reply(&self, cmd: u8, fill: impl FnOnce(&mut GenlMsg<'_>) -> Result) -> Result {
        // SAFETY: allocating a new message has no preconditions.
        let skb = unsafe { bindings::lvs_genlmsg_new(GENL_REPLY_SIZE) };
        if skb.is_null() {
            return Err(ENOMEM);
        }
        let owned = OwnedMsg(skb);
        // SAFETY: `skb` is a fresh message, `info` the live request.
        let hdr = unsafe { bindings::lvs_genlmsg_put_reply(skb, self.info, cmd) };
        if hdr.is_null() {
            return Err(super::error(bindings::EMSGSIZE));
        }
        fill(&mut GenlMsg { skb, _msg: PhantomData })?;
        // SAFETY: `hdr` was put in `skb` above.
        unsafe { bindings::lvs_genlmsg_end(skb, hdr) };
        core::mem::forget(owned);
        // SAFETY: `genlmsg_reply` takes ownership of `skb` in all cases.
        kernel::error::to_result(unsafe { bindings::lvs_genlmsg_reply(skb, self.info) })
    }
}

/// A dump in progress: one call of `dumpit`, filling one message.
pub struct GenlDump<'a> {
    skb: *mut bindings::sk_buff,
    cb: *mut bindings::netlink_callback,
    net: &'a Net,
}

impl<'a> GenlDump<'a> {
    /// The command number of the dump request.
    pub fn cmd(&self) -> u8 {
        // SAFETY: `cb` is live during the call.
        unsafe { bindings::lvs_genl_dump_cmd(self.cb) }
    }

    /// The namespace of the requesting socket.
    pub fn net(&self) -> &'a Net {
        self.net
    }

    /// The dump request's attributes, unparsed.
    pub fn attrs(&self) -> &'a [u8] {
        let mut len: c_int = 0;
        // SAFETY: `cb` is live; the helper bounds `len` by the message.
        let data = unsafe { bindings::lvs_genl_dump_attrs(self.cb, &mut len) };
        // SAFETY: the request stays allocated until the dump ends.
        unsafe { core::slice::from_raw_parts(data.cast::<u8>(), len as usize) }
    }

    /// How many items earlier parts of the dump have sent.
    pub fn sent(&self) -> usize {
        // SAFETY: `cb` is live; `args` is the dump's own scratch space.
        unsafe { (*self.cb).__bindgen_anon_1.args[0] as usize }
    }

    /// Records that `n` items have been sent in all.
    pub fn set_sent(&mut self, n: usize) {
        // SAFETY: as in `sent`.
        unsafe { (*self.cb).__bindgen_anon_1.args[0] = n as _ };
    }

    /// Adds one message of command `cmd` whose attributes `fill` adds;
    /// `Ok(false)` if it does not fit (the dump continues in a new part).
    pub fn put(&mut self, cmd: u8, fill: impl FnOnce(&mut GenlMsg<'_>) -> Result) -> Result<bool> {
        // SAFETY: `skb` is this part's message, `cb` the live dump.
        let hdr = unsafe { bindings::lvs_genl_dump_put(self.skb, self.cb, cmd) };
        if hdr.is_null() {
            return Ok(false);
        }
        match fill(&mut GenlMsg { skb: self.skb, _msg: PhantomData }) {
            Ok(()) => {
                // SAFETY: `hdr` was put in `skb` above.
                unsafe { bindings::lvs_genlmsg_end(self.skb, hdr) };
                Ok(true)
            }
            Err(e) => {
                // SAFETY: `hdr` was put in `skb` above; this trims it off.
                unsafe { bindings::lvs_genlmsg_cancel(self.skb, hdr) };
                if e == super::error(bindings::EMSGSIZE) {
                    Ok(false)
                } else {
                    Err(e)
                }
            }
        }
    }
}

/// Payload room of a reply (a page, like `NLMSG_GOODSIZE`).
const GENL_REPLY_SIZE: usize = 3800;

/// A reply message not yet handed to the kernel; freed on drop.
struct OwnedMsg(*mut bindings::sk_buff);

impl Drop for OwnedMsg {
    fn drop(&mut self) {
        // SAFETY: the message was never handed to the kernel.
        unsafe { bindings::lvs_nlmsg_free(self.0) };
    }
}

/// The attributes of a message being built.
pub struct GenlMsg<'a> {
    skb: *mut bindings::sk_buff,
    _msg: PhantomData<&'a mut bindings::sk_buff>,
}

impl GenlMsg<'_> {
    fn check(ret: c_int) -> Result {
        match ret {
            0 => Ok(()),
            _ => Err(super::error(bindings::EMSGSIZE)),
        }
    }

    /// Adds an attribute whose payload is `data`.
    pub fn put_bytes(&mut self, attr: u16, data: &[u8]) -> Result {
        let len = c_int::try_from(data.len())?;
        // SAFETY: `skb` is our live message; `data` is `len` bytes.
        Self::check(unsafe { bindings::nla_put(self.skb, attr.into(), len, data.as_ptr().cast::<c_void>()) })
    }

    /// Adds a `u8` attribute.
    pub fn put_u8(&mut self, attr: u16, value: u8) -> Result {
        self.put_bytes(attr, &[value])
    }

    /// Adds a `u16` attribute (host order).
    pub fn put_u16(&mut self, attr: u16, value: u16) -> Result {
        self.put_bytes(attr, &value.to_ne_bytes())
    }

    /// Adds a `u32` attribute (host order).
    pub fn put_u32(&mut self, attr: u16, value: u32) -> Result {
        self.put_bytes(attr, &value.to_ne_bytes())
    }

    /// Adds a `u64` attribute, aligned with a `pad` attribute if needed.
    pub fn put_u64(&mut self, attr: u16, value: u64, pad: u16) -> Result {
        let bytes = value.to_ne_bytes();
        // SAFETY: `skb` is our live message; `bytes` is 8 bytes.
        Self::check(unsafe {
            bindings::nla_put_64bit(self.skb, attr.into(), 8, bytes.as_ptr().cast::<c_void>(), pad.into())
        })
    }

    /// Adds a NUL-terminated string attribute.
    pub fn put_str(&mut self, attr: u16, value: &str) -> Result {
        let len = value.len() + 1;
        let mut buf = [0u8; 64];
        let dst = buf.get_mut(..len).ok_or(EINVAL)?;
        dst[..value.len()].copy_from_slice(value.as_bytes());
        self.put_bytes(attr, dst)
    }

    /// Adds a nested attribute whose members `fill` adds.
    pub fn nest(&mut self, attr: u16, fill: impl FnOnce(&mut Self) -> Result) -> Result {
        // SAFETY: `skb` is our live message.
        let start = unsafe { bindings::lvs_nla_nest_start(self.skb, attr.into()) };
        if start.is_null() {
            return Err(super::error(bindings::EMSGSIZE));
        }
        match fill(self) {
            // SAFETY: `start` was opened above in the same message.
            Ok(()) => unsafe { bindings::lvs_nla_nest_end(self.skb, start) },
            Err(e) => {
                // SAFETY: as above; this trims the nest off.
                unsafe { bindings::lvs_nla_nest_cancel(self.skb, start) };
                return Err(e);
            }
        }
        Ok(())
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

unsafe extern "C" fn dumpit_trampoline<F: GenlFamily>(
    skb: *mut bindings::sk_buff,
    cb: *mut bindings::netlink_callback,
) -> c_int {
    // SAFETY: netlink passes a live callback state and the part's skb;
    // the requesting socket's namespace outlives the dump.
    let net = unsafe { Net::from_ptr(bindings::lvs_genl_dump_net(cb)) };
    let mut dump = GenlDump { skb, cb, net };
    match F::dumpit(&mut dump) {
        // SAFETY: `skb` is live; its length says whether anything was added.
        Ok(()) => unsafe { (*skb).len as c_int },
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
                    doit: if op.doit { Some(doit_trampoline::<F>) } else { None },
                    dumpit: if op.dumpit { Some(dumpit_trampoline::<F>) } else { None },
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
