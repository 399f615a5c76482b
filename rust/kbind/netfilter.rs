// SPDX-License-Identifier: GPL-2.0
//! Netfilter hooks registered in one network namespace, as an RAII object.

use super::bindings;
use super::netns::Net;
use super::skb::Skb;
use core::ffi::{c_uint, c_void};
use kernel::prelude::*;

/// Protocol family of a hook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// IPv4 (`NFPROTO_IPV4`).
    Ipv4,
    /// IPv6 (`NFPROTO_IPV6`).
    Ipv6,
}

/// Where in the stack a hook sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookPoint {
    /// Packets for a local address, after routing (`NF_INET_LOCAL_IN`).
    LocalIn,
    /// Packets routed through this host (`NF_INET_FORWARD`).
    Forward,
}

/// What a hook does with a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Let it continue (`NF_ACCEPT`).
    Accept,
    /// Free it (`NF_DROP`).
    Drop,
}

/// Where a packet is, as the hook sees it.
pub struct HookState<'a> {
    /// The namespace the packet is in.
    pub net: &'a Net,
    /// Its protocol family.
    pub family: Family,
    /// The hook it reached.
    pub point: HookPoint,
}

/// A packet handler that can be registered at netfilter hooks.
pub trait NetfilterHook: 'static {
    /// Handles one packet.
    fn hook(skb: &mut Skb, state: &HookState<'_>) -> Verdict;
}

/// One hook to register: family, point and priority.
#[derive(Clone, Copy, Debug)]
pub struct HookSpec {
    /// Protocol family.
    pub family: Family,
    /// Hook point.
    pub point: HookPoint,
    /// Netfilter priority (lower runs first).
    pub priority: i32,
}

unsafe extern "C" fn hook_trampoline<H: NetfilterHook>(
    _priv: *mut c_void,
    skb: *mut bindings::sk_buff,
    state: *const bindings::nf_hook_state,
) -> c_uint {
    // SAFETY: netfilter passes a live state and an skb that this hook owns
    // until it returns; the namespace outlives the hook call.
    let (skb, state) = unsafe { (Skb::from_ptr(skb), &*state) };
    let family = match state.pf as u32 {
        bindings::NFPROTO_IPV6 => Family::Ipv6,
        _ => Family::Ipv4,
    };
    let point = match state.hook as u32 {
        bindings::nf_inet_hooks_NF_INET_FORWARD => HookPoint::Forward,
        _ => HookPoint::LocalIn,
    };
    // SAFETY: as above, `state.net` is live during the call.
    let net = unsafe { Net::from_ptr(state.net) };
    match H::hook(skb, &HookState { net, family, point }) {
        Verdict::Accept => bindings::NF_ACCEPT,
        Verdict::Drop => bindings::NF_DROP,
    }
}

/// Hooks registered in one namespace; unregistered on drop, which waits
/// for packets still inside them.
pub struct NetHooks {
    net: *mut bindings::net,
    ops: KVec<bindings::nf_hook_ops>,
}

// SAFETY: `net` is only used to unregister, and the namespace outlives
// this object (it is dropped from the namespace's exit callback).
unsafe impl Send for NetHooks {}
// SAFETY: `&NetHooks` exposes nothing.
unsafe impl Sync for NetHooks {}

impl NetHooks {
    /// Registers handler `H` at each of `specs` in `net`.
    ///
    /// The object must be dropped before `net` goes away, that is, it must
    /// belong to a [`super::netns::PernetState`].
    pub fn register<H: NetfilterHook>(net: &Net, specs: &[HookSpec]) -> Result<Self> {
        let mut ops = KVec::with_capacity(specs.len(), GFP_KERNEL)?;
        for spec in specs {
            ops.push(
                bindings::nf_hook_ops {
                    hook: Some(hook_trampoline::<H>),
                    pf: match spec.family {
                        Family::Ipv4 => bindings::NFPROTO_IPV4,
                        Family::Ipv6 => bindings::NFPROTO_IPV6,
                    } as u8,
                    hooknum: match spec.point {
                        HookPoint::LocalIn => bindings::nf_inet_hooks_NF_INET_LOCAL_IN,
                        HookPoint::Forward => bindings::nf_inet_hooks_NF_INET_FORWARD,
                    },
                    priority: spec.priority,
                    ..Default::default()
                },
                GFP_KERNEL,
            )?;
        }
        let count = c_uint::try_from(ops.len())?;
        // SAFETY: `ops` stays allocated, unmoved, until `drop` unregisters
        // it from the same live namespace.
        kernel::error::to_result(unsafe {
            bindings::nf_register_net_hooks(net.as_ptr(), ops.as_ptr(), count)
        })?;
        Ok(Self { net: net.as_ptr(), ops })
    }
}

impl Drop for NetHooks {
    fn drop(&mut self) {
        // SAFETY: registered in `register` with these arguments; the
        // namespace is still alive (see the type's contract).
        unsafe {
            bindings::nf_unregister_net_hooks(self.net, self.ops.as_ptr(), self.ops.len() as c_uint)
        };
    }
}
