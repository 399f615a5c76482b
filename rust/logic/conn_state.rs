// SPDX-License-Identifier: GPL-2.0
//! A connection's protocol state: TCP's and SCTP's follow their packets
//! (`tcp_state.rs`, `sctp_state.rs`); UDP and the others have one state.
//! What the connection table, the sync daemons and `/proc` ask of a
//! state, whatever its protocol.

use crate::packet::{Flow, PROTO_SCTP, PROTO_TCP};
use crate::sctp_state::{SctpEvent, SctpState};
use crate::tcp_state::{Direction, TcpState, Timeouts};

/// A connection's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnState {
    /// A TCP connection's.
    Tcp(TcpState),
    /// An SCTP association's.
    Sctp(SctpState),
    /// The one state of UDP and other protocols.
    Single,
}

/// What a packet tells a connection's state: TCP flags or an SCTP
/// chunk's event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// TCP flags.
    Tcp(u8),
    /// The event of an SCTP packet's chunks.
    Sctp(SctpEvent),
    /// Nothing (UDP and other protocols).
    None,
}

impl Signal {
    /// What `flow`'s packet tells.
    pub fn of(flow: &Flow) -> Self {
        match (flow.proto, flow.sctp_event) {
            (PROTO_TCP, _) => Self::Tcp(flow.tcp_flags),
            (_, Some(_)) if flow.sctp_bundled_abort => Self::Sctp(SctpEvent::Abort),
            (_, Some(event)) => Self::Sctp(event),
            _ => Self::None,
        }
    }
}

impl ConnState {
    /// The state of a new connection of protocol `proto`, before its
    /// first packet.
    pub fn initial(proto: u8) -> Self {
        match proto {
            PROTO_TCP => Self::Tcp(TcpState::None),
            PROTO_SCTP => Self::Sctp(SctpState::None),
            _ => Self::Single,
        }
    }

    /// The state of protocol `proto` that upstream numbers `n` (sync
    /// messages carry the number).
    pub fn from_number(proto: u8, n: u16) -> Option<Self> {
        match Self::initial(proto) {
            Self::Tcp(_) => TcpState::from_number(n).map(Self::Tcp),
            Self::Sctp(_) => SctpState::from_number(n).map(Self::Sctp),
            Self::Single => Some(Self::Single),
        }
    }

    /// Upstream's number of the state.
    pub fn number(self) -> u16 {
        match self {
            Self::Tcp(s) => s as u16,
            Self::Sctp(s) => s as u16,
            Self::Single => 0,
        }
    }

    /// The state after a packet that tells `signal`, travelling `dir`;
    /// `secure_tcp`: that defence is on.
    pub fn next(self, dir: Direction, signal: Signal, secure_tcp: bool) -> Self {
        match (self, signal) {
            (Self::Tcp(s), Signal::Tcp(flags)) => Self::Tcp(s.next(dir, flags, secure_tcp)),
            (Self::Sctp(s), Signal::Sctp(event)) => Self::Sctp(s.next(dir, event)),
            (state, _) => state,
        }
    }

    /// Whether the connection counts as active (the rest count as
    /// inactive, as UDP connections always do).
    pub fn is_active(self) -> bool {
        match self {
            Self::Tcp(s) => s.is_active(),
            Self::Sctp(s) => s.is_active(),
            Self::Single => false,
        }
    }

    /// Whether the connection is established.
    pub fn is_established(self) -> bool {
        matches!(self, Self::Tcp(TcpState::Established) | Self::Sctp(SctpState::Established))
    }

    /// Whether a packet that opens a connection on the addresses and
    /// ports of one in this state opens another (see
    /// [`TcpState::reopens`], [`SctpState::reopens`]).
    pub fn reopens(self, conn_reuse_mode: i32, input_only: bool) -> bool {
        match self {
            Self::Tcp(s) => s.reopens(conn_reuse_mode, input_only),
            Self::Sctp(s) => s.reopens(),
            Self::Single => false,
        }
    }

    /// Whether the state follows packets (TCP, SCTP): a sync master
    /// then syncs only some states, and at once on a change.
    pub fn is_tracked(self) -> bool {
        self != Self::Single
    }

    /// Whether a master syncs a connection in this state.
    pub fn is_synced(self) -> bool {
        match self {
            Self::Tcp(s) => s.is_synced(),
            Self::Sctp(s) => s.is_synced(),
            Self::Single => true,
        }
    }

    /// Upstream's name, as `/proc/net/ip_vs_conn` shows it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Tcp(s) => s.name(),
            Self::Sctp(s) => s.name(),
            Self::Single => "UDP",
        }
    }

    /// The timeout of the state, seconds, under timeouts `t`.
    pub fn timeout(self, t: &Timeouts) -> u32 {
        match self {
            Self::Tcp(s) => t.tcp_state(s),
            Self::Sctp(s) => s.timeout(),
            Self::Single => t.udp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_protocol_follows_its_own_signals() {
        let tcp = ConnState::initial(6).next(Direction::Input, Signal::Tcp(0x02), false);
        assert_eq!(tcp, ConnState::Tcp(TcpState::SynRecv));
        assert!(tcp.is_active() && tcp.is_tracked());
        let sctp = ConnState::initial(PROTO_SCTP).next(Direction::Input, Signal::Sctp(SctpEvent::Init), false);
        assert_eq!((sctp.name(), sctp.number(), sctp.is_active()), ("INIT1", 1, false));
        let udp = ConnState::initial(17);
        assert_eq!(udp.next(Direction::Input, Signal::None, false), ConnState::Single);
        assert_eq!((udp.name(), udp.is_active(), udp.is_tracked()), ("UDP", false, false));
    }

    #[test]
    fn a_bundled_abort_moves_the_state_not_the_first_chunk() {
        let mut p = [0u8; 36];
        p[0] = 0x45;
        p[9] = PROTO_SCTP;
        p[32] = 10; // COOKIE ECHO
        let mut flow = crate::packet::flow(false, &p).unwrap();
        assert_eq!(Signal::of(&flow), Signal::Sctp(SctpEvent::CookieEcho));
        flow.sctp_bundled_abort = true;
        assert_eq!(Signal::of(&flow), Signal::Sctp(SctpEvent::Abort));
        assert_eq!(flow.sctp_event, Some(SctpEvent::CookieEcho));
    }

    #[test]
    fn numbers_and_timeouts_by_protocol() {
        let t = Timeouts { tcp: 100, tcp_fin: 7, udp: 9 };
        assert_eq!(ConnState::from_number(6, 1).map(|s| s.timeout(&t)), Some(100));
        assert_eq!(ConnState::from_number(PROTO_SCTP, 8).map(|s| (s.timeout(&t), s.is_established())), Some((900, true)));
        assert_eq!(ConnState::from_number(17, 0).map(|s| s.timeout(&t)), Some(9));
        assert_eq!(ConnState::from_number(PROTO_SCTP, 14), None);
        assert!(ConnState::Sctp(SctpState::Closed).reopens(1, false));
        assert!(!ConnState::Single.reopens(3, true));
    }
}
