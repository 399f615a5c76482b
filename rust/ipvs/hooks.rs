// SPDX-License-Identifier: GPL-2.0
//! The packet path's entry points: netfilter hooks at LOCAL_IN (packets
//! for a virtual address) and FORWARD (VS/NAT replies), IPv4 and IPv6.
//!
//! So far they count the IP packets they see per hook; scheduling and
//! forwarding arrive with the data plane.

use crate::kbind::bindings;
use crate::kbind::netfilter::{Family, HookPoint, HookSpec, HookState, NetfilterHook, Verdict};
use crate::kbind::netns::PernetState;
use crate::kbind::skb::Skb;
use crate::net::IpvsNet;
use core::sync::atomic::{AtomicU64, Ordering};

/// Upstream's places: after filtering, before source NAT at LOCAL_IN,
/// and at FORWARD before source NAT.
const LOCAL_IN_PRIORITY: i32 = bindings::nf_ip_hook_priorities_NF_IP_PRI_NAT_SRC - 1;
const FORWARD_PRIORITY: i32 = bindings::nf_ip_hook_priorities_NF_IP_PRI_NAT_SRC - 1;

/// Every hook the core registers in each namespace.
pub(crate) const HOOKS: [HookSpec; 4] = [
    HookSpec { family: Family::Ipv4, point: HookPoint::LocalIn, priority: LOCAL_IN_PRIORITY },
    HookSpec { family: Family::Ipv4, point: HookPoint::Forward, priority: FORWARD_PRIORITY },
    HookSpec { family: Family::Ipv6, point: HookPoint::LocalIn, priority: LOCAL_IN_PRIORITY },
    HookSpec { family: Family::Ipv6, point: HookPoint::Forward, priority: FORWARD_PRIORITY },
];

/// The handler behind [`HOOKS`].
pub(crate) struct IpvsHooks;

impl NetfilterHook for IpvsHooks {
    fn hook(skb: &mut Skb, state: &HookState<'_>) -> Verdict {
        if let Some(ipvs) = IpvsNet::get(state.net) {
            if is_ip_packet(skb, state.family) {
                ipvs.hook_counts.count(state.family, state.point);
            }
        }
        Verdict::Accept
    }
}

/// Whether the packet starts with an IP header of the hook's family.
fn is_ip_packet(skb: &mut Skb, family: Family) -> bool {
    let want = match family {
        Family::Ipv4 => 4,
        Family::Ipv6 => 6,
    };
    matches!(skb.network_bytes(1), Some([first]) if first >> 4 == want)
}

/// Packets seen per hook, shown in `/proc/net/lvs_ipvs_hooks`.
#[derive(Default)]
pub(crate) struct HookCounts([AtomicU64; 4]);

impl HookCounts {
    fn slot(family: Family, point: HookPoint) -> usize {
        HOOKS.iter().position(|h| h.family == family && h.point == point).unwrap_or(0)
    }

    fn count(&self, family: Family, point: HookPoint) {
        self.0[Self::slot(family, point)].fetch_add(1, Ordering::Relaxed);
    }

    /// Packets seen at each of [`HOOKS`], in its order.
    pub(crate) fn read(&self) -> impl Iterator<Item = (&'static HookSpec, u64)> + '_ {
        HOOKS.iter().zip(&self.0).map(|(h, n)| (h, n.load(Ordering::Relaxed)))
    }
}
