// SPDX-License-Identifier: GPL-2.0
//! The DoS defences of a namespace at work (thesis §5.2.9; the rules are
//! in `logic/defense_rules.rs`): once a second a work item (process
//! context: reading the free memory takes locks softirqs must not)
//! weighs the free memory against `amemthresh`, moves the automatic
//! modes, sets what the packet path obeys and, under `drop_entry`, drops
//! entries.

use crate::conn::{Conn, ConnTab};
use crate::defense_rules::{assess, Entry, EntryDrop, Level, PacketDrop};
use crate::kbind::timer::{self, PeriodicWork, Tick};
use crate::kbind;
use crate::net::ConnTimeouts;
use crate::sysctl::IpvsSysctls;
use crate::conn_state::ConnState;
use crate::sctp_state::SctpState;
use crate::tcp_state::TcpState;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::prelude::*;
use kernel::sync::{Arc, SpinLock};

/// What the packet path obeys, as the last assessment left it.
pub(crate) struct Defense {
    /// `drop_packet`: the count to the next new connection dropped.
    new_conns: PacketDrop,
    /// `secure_tcp`: TCP follows the secure state table.
    secure_tcp: AtomicBool,
}

impl Defense {
    /// No defence on.
    pub(crate) fn new() -> Result<Arc<Self>> {
        Ok(Arc::new(Self { new_conns: PacketDrop::new(), secure_tcp: AtomicBool::new(false) }, GFP_KERNEL)?)
    }

    /// Whether the packet that would open a connection is dropped.
    pub(crate) fn drops_new_conn(&self) -> bool {
        self.new_conns.drops()
    }

    /// Whether TCP connections follow the secure state table.
    pub(crate) fn secure_tcp(&self) -> bool {
        self.secure_tcp.load(Ordering::Relaxed)
    }

    fn apply(&self, level: &Level) {
        self.new_conns.set(level);
        self.secure_tcp.store(level.secure_tcp, Ordering::Relaxed);
    }
}

/// The once-a-second assessment of a namespace.
pub(crate) struct DefenseCheck {
    defense: Arc<Defense>,
    sysctls: Arc<IpvsSysctls>,
    conn_tab: Arc<ConnTab>,
    timeouts: Arc<ConnTimeouts>,
    net_id: usize,
    /// `drop_entry`'s counts, and the stripe its next round starts at.
    entries: Pin<KBox<SpinLock<(EntryDrop, usize)>>>,
}

impl DefenseCheck {
    fn drop_entries(&self) {
        let timeouts = self.timeouts.get();
        let mut guard = self.entries.lock();
        let (counts, next) = &mut *guard;
        *next = self.conn_tab.drop_some(self.net_id, *next, |conn, left| {
            let idle = conn.timeout(&timeouts).saturating_sub(left);
            counts.drops(entry_of(conn), idle, conn.in_pkts)
        });
    }
}

/// How random entry dropping sees a connection: a TCP or SCTP one by its
/// state, a UDP one by its packets; persistence templates of
/// one-packet-scheduling services count as any template.
fn entry_of(conn: &Conn) -> Entry {
    if conn.is_template() {
        return match &conn.control {
            Some(control) if control.controls_any() => Entry::Controlling,
            Some(control) => Entry::Template { assured: control.is_assured() },
            None => Entry::Template { assured: false },
        };
    }
    match conn.state {
        ConnState::Tcp(TcpState::SynRecv | TcpState::SynAck) => Entry::Handshake,
        ConnState::Sctp(SctpState::Init1 | SctpState::Init) => Entry::Handshake,
        state if state.is_established() => Entry::Established,
        ConnState::Tcp(_) | ConnState::Sctp(_) => Entry::Closing,
        ConnState::Single => Entry::Other,
    }
}

impl Tick for DefenseCheck {
    fn tick(&self) {
        let was = self.sysctls.defense_modes();
        let (now, level) = assess(was, kbind::available_pages(), self.sysctls.amemthresh(), self.sysctls.am_droprate());
        if now != was {
            self.sysctls.update_defense_modes(was, now);
        }
        self.defense.apply(&level);
        if level.drop_entries {
            self.drop_entries();
        }
    }
}

/// Starts assessing every second for `defense`, until dropped.
pub(crate) fn start(
    defense: Arc<Defense>,
    sysctls: Arc<IpvsSysctls>,
    conn_tab: Arc<ConnTab>,
    timeouts: Arc<ConnTimeouts>,
    net_id: usize,
) -> Result<PeriodicWork<DefenseCheck>> {
    let entries = KBox::pin_init(kernel::new_spinlock!((EntryDrop::default(), 0), "lvs_drop_entry"), GFP_KERNEL)?;
    let check = DefenseCheck { defense, sysctls, conn_tab, timeouts, net_id, entries };
    PeriodicWork::start(check, timer::hz())
}
