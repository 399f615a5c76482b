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

/// What a hook did with a packet: a netfilter verdict. Only this module
/// makes `NF_STOLEN`, when a [`HookSkb`] is consumed by sending it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict(u32);

impl Verdict {
    /// Let it continue (`NF_ACCEPT`).
    pub const ACCEPT: Verdict = Verdict(bindings::NF_ACCEPT);
    /// Free it (`NF_DROP`).
    pub const DROP: Verdict = Verdict(bindings::NF_DROP);
}

/// The packet a hook was handed: readable and writable through
/// [`Skb`], or given away whole by one of the sending methods, after
/// which the hook can no longer touch it.
pub struct HookSkb<'a>(&'a mut Skb);

impl core::ops::Deref for HookSkb<'_> {
    type Target = Skb;
    fn deref(&self) -> &Skb {
        self.0
    }
}

impl core::ops::DerefMut for HookSkb<'_> {
    fn deref_mut(&mut self) -> &mut Skb {
        self.0
    }
}

/// Who gathers fragments: each user has queues of its own.
#[derive(Clone, Copy, Debug)]
pub enum DefragUser {
    /// IPVS, for packets being forwarded (`IP_DEFRAG_VS_FWD`).
    IpvsForward,
}

impl<'a> HookSkb<'a> {
    /// Gathers an IPv4 fragment with the others of its packet: the whole
    /// packet once this was the last missing piece, else the verdict the
    /// hook returns for a fragment the queue now keeps (or dropped).
    pub fn defrag_v4(self, net: &Net, user: DefragUser) -> core::result::Result<Self, Verdict> {
        let user = match user {
            DefragUser::IpvsForward => bindings::ip_defrag_users_IP_DEFRAG_VS_FWD,
        };
        // SAFETY: the hook owns the skb; on success it is still ours (now
        // the whole packet), otherwise the queue took or freed it and
        // `self` is not used again.
        if unsafe { bindings::lvs_ip_defrag(net.as_ptr(), self.0.raw(), user) } == 0 {
            Ok(self)
        } else {
            Err(Verdict(bindings::NF_STOLEN))
        }
    }
}

impl HookSkb<'_> {
    /// Sends the packet out of `net` as a locally generated one (IPv6 if
    /// `v6`), along the route set with [`Skb::set_route`]
    /// (`ip_local_out`, `ip6_local_out`), connection tracking as `ct`
    /// says.
    pub fn local_out(self, net: &Net, v6: bool, ct: Conntrack) -> Verdict {
        let ct = match ct {
            Conntrack::Untrack => bindings::lvs_ct_LVS_CT_UNTRACK,
            Conntrack::Keep => bindings::lvs_ct_LVS_CT_KEEP,
            Conntrack::Fresh => bindings::lvs_ct_LVS_CT_FRESH,
        };
        // SAFETY: the hook owns the skb until it returns; the helper
        // consumes it, and `self` is gone so nothing touches it again.
        unsafe { bindings::lvs_local_out(net.as_ptr(), self.0.raw(), v6, ct) };
        Verdict(bindings::NF_STOLEN)
    }

    /// Connection tracking forgets the packet, if it had seen it, and
    /// leaves it alone from here on (upstream's `ip_vs_notrack`).
    pub fn untrack(&mut self) {
        // SAFETY: the hook owns the skb until it returns.
        unsafe { bindings::lvs_untrack(self.0.raw()) };
    }

    /// The packet's conntrack entry, if new and of the original
    /// direction, expects its replies from `addr`:`port` (`end` Source:
    /// a client's packet now going to that real server) or to it
    /// (Destination: a real server's packet now from that virtual
    /// service), as upstream's `ip_vs_update_conntrack`.
    pub fn ct_nat_reply(&mut self, end: ReplyEnd, addr: &[u8; 16], port: u16) {
        // SAFETY: the hook owns the skb; the helper reads 16 bytes of
        // `addr`.
        unsafe { bindings::lvs_ct_nat_reply(self.0.raw(), addr.as_ptr(), port.to_be(), end == ReplyEnd::Source) };
    }

    /// Ends the packet's conntrack entry if it is one already confirmed
    /// (of an earlier connection): whether it did.
    pub fn ct_kill_confirmed(&mut self) -> bool {
        // SAFETY: the hook owns the skb until it returns.
        unsafe { bindings::lvs_ct_kill_confirmed(self.0.raw()) }
    }

    /// Confirms the packet's conntrack entry now, before the packet goes
    /// into a tunnel; false if conntrack refuses it.
    pub fn ct_confirm(&mut self) -> bool {
        // SAFETY: the hook owns the skb until it returns.
        unsafe { bindings::lvs_ct_confirm(self.0.raw()) }
    }
}

/// What connection tracking makes of a packet sent on with
/// [`HookSkb::local_out`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Conntrack {
    /// Not seen (forgotten, if it had been).
    Untrack,
    /// Its entry goes with it.
    Keep,
    /// Seen afresh, as a packet sent from here.
    Fresh,
}

/// Which end of a conntrack entry's replies [`HookSkb::ct_nat_reply`]
/// sets.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ReplyEnd {
    /// Where replies come from.
    Source,
    /// Where they go.
    Destination,
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
    fn hook(skb: HookSkb<'_>, state: &HookState<'_>) -> Verdict;
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
    H::hook(HookSkb(skb), &HookState { net, family, point }).0
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

/// Reassembly of IPv6 fragments before the hooks see them (netfilter's
/// `nf_defrag_ipv6`, at PREROUTING and LOCAL_OUT) in one namespace, while
/// this lives: IPv6 routers never fragment, so a VS/NAT reply that its
/// server sent in pieces must be whole to be rewritten.
pub struct Ipv6Defrag {
    net: *mut bindings::net,
}

// SAFETY: `net` is only used to disable reassembly again; the namespace
// outlives this object (held by its per-namespace state).
unsafe impl Send for Ipv6Defrag {}
// SAFETY: `&Ipv6Defrag` exposes nothing.
unsafe impl Sync for Ipv6Defrag {}

impl Ipv6Defrag {
    /// Turns reassembly on in `net` (it counts its users).
    pub fn enable(net: &Net) -> Result<Self> {
        // SAFETY: `net` is live.
        kernel::error::to_result(unsafe { bindings::nf_defrag_ipv6_enable(net.as_ptr()) })?;
        Ok(Self { net: net.as_ptr() })
    }
}

impl Drop for Ipv6Defrag {
    fn drop(&mut self) {
        // SAFETY: enabled in `enable` for this live namespace.
        unsafe { bindings::nf_defrag_ipv6_disable(self.net) };
    }
}
