// SPDX-License-Identifier: GPL-2.0
//! Persistence templates (thesis §5.2.6; upstream's
//! `ip_vs_sched_persist`): a new connection to a persistent service goes
//! to the real server of the client's template, which is created by
//! scheduling when there is none (or its server is gone). Which template
//! a connection shares, and its ports, are `persist.rs`'s pure logic.

use crate::conn::{self, Conn, Control, Lookup, Then, F_INACTIVE, F_TEMPLATE};
use crate::kbind::netns::Net;
use crate::net::IpvsNet;
use crate::kbind::skb::Skb;
use crate::packet::{Flow, PROTO_UDP};
use crate::persist::{self, TemplateKey};
use crate::sched_input::FlowKey;
use crate::service::{Dest, Pe, Service};
use crate::sip;
use crate::sync;
use crate::conn_state::ConnState;
use core::sync::atomic::Ordering;
use kernel::prelude::*;
use kernel::sync::Arc;

/// The port an invalidated template gets, so that no lookup finds it
/// again (upstream's): it stays until it expires, for the connections it
/// still controls.
const INVALID_PORT: u16 = 0xffff;

/// Length of a UDP header.
const UDP_HEADER: usize = 8;

/// Where a new connection of a persistent service goes.
pub(crate) struct Persisted {
    /// Its real server.
    pub(crate) dest: Arc<Dest>,
    /// Its real-server port.
    pub(crate) dport: u16,
    /// Its template's control, which already counts it.
    pub(crate) control: Arc<Control>,
}

/// Why a persistent service's new connection has no real server.
pub(crate) enum Unscheduled {
    /// The scheduler found none available.
    NoServer,
    /// No memory for the template.
    NoMemory,
    /// The service's persistence engine found no key in the packet (it
    /// is dropped, as upstream's).
    NoPeData,
}

/// The real server for new connection `flow` to persistent service
/// `svc`, whose first packet is `packet` (none: an ICMP error opens it):
/// its client's template's, or a newly scheduled one's (`key` is what
/// the scheduler sees).
pub(crate) fn schedule(
    net: &Net,
    ipvs: &IpvsNet,
    svc: &Service,
    flow: &Flow,
    packet: Option<&mut Skb>,
    key: &FlowKey,
) -> Result<Persisted, Unscheduled> {
    let psvc = svc.persist_svc();
    let tkey = persist::template_key(&psvc, flow.proto, &flow.saddr, &flow.daddr, flow.dport);
    // The key stays in the packet unless a new template keeps a copy.
    let pe = match svc.config.pe {
        Some(pe) => Some((pe, pe_data(pe, flow, packet)?)),
        None => None,
    };
    let pe_data = pe.map(|(_, data)| data);
    let (dest, control) = match existing(net, ipvs, svc, &tkey, pe_data) {
        Some(found) => found,
        None => {
            let dest = svc.schedule(key, ipvs.sysctls.locality_times()).ok_or(Unscheduled::NoServer)?.clone();
            let dport = persist::template_dport(&psvc, flow.dport, dest.port);
            let control = create(net, ipvs, svc, &tkey, &dest, dport, pe).ok_or(Unscheduled::NoMemory)?;
            (dest, control)
        }
    };
    let dport = persist::conn_dport(&psvc, flow.dport, dest.port);
    Ok(Persisted { dest, dport, control })
}

/// What persistence engine `pe` keys `flow`'s template by, from its first
/// packet `packet`: SIP's Call-ID, of a UDP datagram.
fn pe_data<'p>(pe: Pe, flow: &Flow, packet: Option<&'p mut Skb>) -> Result<&'p [u8], Unscheduled> {
    match pe {
        Pe::Sip => {
            let packet = packet.filter(|_| flow.proto == PROTO_UDP).ok_or(Unscheduled::NoPeData)?;
            let len = packet.len() as usize;
            let bytes = packet.network_bytes(len).ok_or(Unscheduled::NoPeData)?;
            let message = bytes.get(flow.l4 + UDP_HEADER..).ok_or(Unscheduled::NoPeData)?;
            sip::call_id(message).ok_or(Unscheduled::NoPeData)
        }
    }
}

/// The client's template (keyed by `pe_data` too, for a persistence
/// engine's), if it has one whose server still serves: its server and
/// control, which now counts one more connection.
fn existing(
    net: &Net,
    ipvs: &IpvsNet,
    svc: &Service,
    tkey: &TemplateKey,
    pe_data: Option<&[u8]>,
) -> Option<(Arc<Dest>, Arc<Control>)> {
    let (proto, caddr, vaddr, vport) = (tkey.proto, tkey.caddr, tkey.vaddr, tkey.vport);
    let lookup = Lookup::Template { net: net.id(), proto, caddr, vaddr, vport, pe_data };
    let expire_quiescent = ipvs.sysctls.expire_quiescent_template();
    ipvs.conn_tab
        .with_conn(svc.key.af, lookup, |t| {
            let serving = t.dest_available() && !(expire_quiescent && t.dest_quiesced());
            let (control, dest) = match (&t.control, &t.dest) {
                (Some(control), Some(dest)) if serving => (control.clone(), dest.clone()),
                _ => {
                    t.vport = INVALID_PORT;
                    t.dport = INVALID_PORT;
                    if let Some(control) = &t.control {
                        control.sync.invalid.store(true, Ordering::Relaxed);
                    }
                    return (None, Then::Keep);
                }
            };
            control.attach();
            let timeout = control.timeout();
            (Some((dest, control)), Then::Expire(timeout))
        })
        .flatten()
}

/// Enters a new template `tkey` for `dest` in the table, with the
/// service's timeout and its persistence engine's key `pe`; its control
/// counts the connection being scheduled.
fn create(
    net: &Net,
    ipvs: &IpvsNet,
    svc: &Service,
    tkey: &TemplateKey,
    dest: &Arc<Dest>,
    dport: u16,
    pe: Option<(Pe, &[u8])>,
) -> Option<Arc<Control>> {
    let pe = match pe {
        Some((engine, data)) => {
            let mut key = KVec::new();
            key.extend_from_slice(data, GFP_ATOMIC).ok()?;
            Some((engine, key))
        }
        None => None,
    };
    let timeout = svc.config.timeout;
    let mut template = Conn {
        net: net.id(),
        dest: Some(dest.clone()),
        caddr: tkey.caddr,
        vaddr: tkey.vaddr,
        daddr: dest.addr,
        cport: 0,
        vport: tkey.vport,
        dport,
        af: svc.key.af,
        proto: tkey.proto,
        fwd: dest.fwd.load(Ordering::Relaxed) as u8,
        // A template's state is its control's (assured or not).
        state: ConnState::Single,
        // A template has its server's connection flags, as upstream's:
        // inactive, and no output unless VS/NAT.
        flags: F_TEMPLATE | F_INACTIVE | conn::no_output(dest.fwd.load(Ordering::Relaxed) as u8),
        in_pkts: 0,
        synced_state: ConnState::Single,
        sync_endtime: conn::never_synced(),
        control: None,
    };
    let control = Control::new(timeout, sync::entry_of(&template, timeout), 1, pe).ok()?;
    template.control = Some(control.clone());
    ipvs.conn_tab.insert(template, timeout).ok()?;
    Some(control)
}
