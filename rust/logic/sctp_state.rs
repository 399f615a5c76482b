// SPDX-License-Identifier: GPL-2.0
//! SCTP association states as upstream IPVS follows them (RFC 4960's
//! state diagram as the real server lives it, with upstream's extra
//! states for a lost or rejected INIT): each packet's first chunk is an
//! event that moves a connection along upstream's transition table, so
//! that timeouts and active/inactive counts behave as on C IPVS.

use crate::tcp_state::Direction;

/// SCTP states, numbered as upstream (`IP_VS_SCTP_S_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum SctpState {
    /// No packet seen yet.
    None = 0,
    /// The client's first INIT sent, no INIT ACK yet (short timeout: a
    /// dropped INIT).
    Init1,
    /// A later INIT of the client's.
    Init,
    /// The server's INIT ACK sent, waiting for the COOKIE ECHO.
    CookieSent,
    /// The client's COOKIE ECHO sent, waiting for the COOKIE ACK.
    CookieReplied,
    /// The server's INIT sent (it opens an association).
    CookieWait,
    /// The client's INIT ACK to it sent.
    Cookie,
    /// The server's COOKIE ECHO sent.
    CookieEchoed,
    /// Established.
    Established,
    /// The server's SHUTDOWN sent.
    ShutdownSent,
    /// The client's SHUTDOWN received.
    ShutdownReceived,
    /// SHUTDOWN ACK sent.
    ShutdownAckSent,
    /// An INIT answered by ABORT (short timeout).
    Rejected,
    /// Closed.
    Closed,
}

/// Number of SCTP states.
pub const SCTP_STATES: usize = 14;

/// What a packet's chunk is to the table (upstream's
/// `ipvs_sctp_event_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum SctpEvent {
    /// DATA, SACK, HEARTBEAT (ACK), ECN chunks and chunk types the table
    /// does not name.
    Data = 0,
    /// INIT.
    Init,
    /// INIT ACK.
    InitAck,
    /// COOKIE ECHO.
    CookieEcho,
    /// COOKIE ACK.
    CookieAck,
    /// SHUTDOWN.
    Shutdown,
    /// SHUTDOWN ACK.
    ShutdownAck,
    /// SHUTDOWN COMPLETE.
    ShutdownComplete,
    /// ERROR.
    Error,
    /// ABORT.
    Abort,
}

/// Chunk type of INIT.
pub const CHUNK_INIT: u8 = 1;
/// Chunk type of ABORT.
pub const CHUNK_ABORT: u8 = 6;
const CHUNK_COOKIE_ECHO: u8 = 10;
const CHUNK_COOKIE_ACK: u8 = 11;

/// Length of SCTP's common header (ports, verification tag, checksum).
pub const COMMON_HEADER: usize = 12;
/// Length of a chunk header (type, flags, length).
pub const CHUNK_HEADER: usize = 4;

impl SctpEvent {
    /// The event of a chunk of type `chunk` (RFC 4960 §3.2).
    pub fn of_chunk(chunk: u8) -> Self {
        match chunk {
            CHUNK_INIT => Self::Init,
            2 => Self::InitAck,
            CHUNK_ABORT => Self::Abort,
            7 => Self::Shutdown,
            8 => Self::ShutdownAck,
            9 => Self::Error,
            CHUNK_COOKIE_ECHO => Self::CookieEcho,
            CHUNK_COOKIE_ACK => Self::CookieAck,
            14 => Self::ShutdownComplete,
            _ => Self::Data,
        }
    }

    /// Where the chunk after the first one starts, from the SCTP header,
    /// if the packet's state event may depend on it: a COOKIE ECHO or
    /// COOKIE ACK may be bundled with an ABORT after it (RFC 4960
    /// §3.3.7), which then moves the state, as upstream reads it (what
    /// opens a connection is still the first chunk's business). `first`
    /// is the first chunk's header.
    pub fn second_chunk_at(first: &[u8]) -> Option<usize> {
        let [chunk, _, hi, lo, ..] = *first else { return None };
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        let bundles = chunk == CHUNK_COOKIE_ECHO || chunk == CHUNK_COOKIE_ACK;
        (bundles && len >= CHUNK_HEADER).then(|| COMMON_HEADER + len.next_multiple_of(4))
    }
}

use SctpState::{
    Closed as CL, Cookie as CO, CookieEchoed as CE, CookieReplied as CR, CookieSent as CS, CookieWait as CW,
    Established as ES, Init as IN, Init1 as I1, Rejected as RJ, ShutdownAckSent as SA, ShutdownReceived as SR,
    ShutdownSent as SS,
};
const NO: SctpState = SctpState::None;

/// Upstream's transition table: per direction, a row per event (in
/// [`SctpEvent`]'s order), a column per current state.
const TABLE: [[[SctpState; SCTP_STATES]; 10]; 3] = [
    // Input:  sNO sI1 sIN sCS sCR sCW sCO sCE sES sSS sSR sSA sRJ sCL
    [
        [ES, I1, IN, CS, CR, CW, CO, CE, ES, SS, SR, SA, RJ, CL],
        [I1, IN, IN, CS, CR, CW, CO, CE, ES, SS, SR, SA, IN, IN],
        [CW, CW, CW, CS, CR, CO, CO, CE, ES, SS, SR, SA, RJ, CL],
        [CR, IN, IN, CR, CR, CW, CO, CE, ES, SS, SR, SA, RJ, CL],
        [ES, I1, IN, CS, CR, CW, CO, ES, ES, SS, SR, SA, RJ, CL],
        [SR, I1, IN, CS, CR, CW, CO, CE, SR, SS, SR, SA, RJ, CL],
        [CL, IN, IN, CS, CR, CW, CO, CE, ES, CL, SR, CL, RJ, CL],
        [CL, CL, CL, CS, CR, CW, CO, CE, ES, SS, SR, CL, RJ, CL],
        [CL, I1, IN, CS, CR, CW, CO, CL, ES, SS, SR, SA, RJ, CL],
        [CL, CL, CL, CL, CL, RJ, CL, CL, CL, CL, CL, CL, CL, CL],
    ],
    // Output
    [
        [ES, I1, IN, CS, CR, CW, CO, CE, ES, SS, SR, SA, RJ, CL],
        [CW, CW, CW, CW, CW, CW, CW, CW, ES, CW, CW, CW, CW, CW],
        [CS, CS, CS, CS, CR, CW, CO, CE, ES, SS, SR, SA, RJ, CL],
        [CE, CE, CE, CE, CE, CE, CE, CE, ES, SS, SR, SA, RJ, CL],
        [ES, ES, ES, ES, ES, ES, ES, ES, ES, SS, SR, SA, RJ, CL],
        [SS, SS, SS, SS, SS, SS, SS, SS, SS, SS, SR, SA, RJ, CL],
        [SA, SA, SA, SA, SA, CW, CO, CE, ES, SA, SA, SA, RJ, CL],
        [CL, I1, IN, CS, CR, CW, CO, CE, ES, SS, SR, SA, RJ, CL],
        [CL, CL, CL, CL, CL, CW, CO, CE, ES, SS, SR, SA, RJ, CL],
        [CL, RJ, CL, CL, CL, CL, CL, CL, CL, CL, CL, CL, CL, CL],
    ],
    // Input only
    [
        [ES, I1, IN, CS, CR, ES, CO, CE, ES, SS, SR, SA, RJ, CL],
        [I1, IN, IN, IN, IN, IN, CO, CE, ES, SS, SR, SA, IN, IN],
        [CE, CE, CE, CE, CE, CE, CO, CE, ES, SS, SR, SA, RJ, CL],
        [ES, ES, ES, ES, ES, ES, CO, CE, ES, SS, SR, SA, RJ, CL],
        [ES, I1, IN, ES, ES, CW, ES, ES, ES, SS, SR, SA, RJ, CL],
        [SR, I1, IN, CS, CR, CW, CO, CE, SR, SS, SR, SA, RJ, CL],
        [CL, IN, IN, CS, CR, CW, CO, CE, CL, CL, SR, CL, RJ, CL],
        [CL, CL, CL, CL, CL, CW, CO, CE, ES, SS, CL, CL, RJ, CL],
        [CL, I1, IN, CS, CR, CW, CO, CE, ES, SS, SR, SA, RJ, CL],
        [CL, CL, CL, CL, CL, RJ, CL, CL, CL, CL, CL, CL, CL, CL],
    ],
];

/// Upstream's `IP_VS_SCTP_MAX_RTO`: RTO.Max (60 s) and a second.
const MAX_RTO: u32 = 61;

impl SctpState {
    /// The state after a packet whose event is `event` travelling `dir`.
    pub fn next(self, dir: Direction, event: SctpEvent) -> SctpState {
        TABLE[dir as usize][event as usize][self as usize]
    }

    /// Whether a connection in this state counts as active: only an
    /// established association does.
    pub fn is_active(self) -> bool {
        self == ES
    }

    /// Whether a new INIT on the addresses and ports of a connection in
    /// this state opens another connection (upstream's
    /// `is_new_conn_expected`, `conn_reuse_mode` not 0).
    pub fn reopens(self) -> bool {
        self == CL
    }

    /// The state numbered `n` as upstream numbers them.
    pub fn from_number(n: u16) -> Option<SctpState> {
        const ALL: [SctpState; SCTP_STATES] = [NO, I1, IN, CS, CR, CW, CO, CE, ES, SS, SR, SA, RJ, CL];
        ALL.get(usize::from(n)).copied()
    }

    /// Whether a master syncs a connection in this state (upstream:
    /// ESTABLISHED and the closing states).
    pub fn is_synced(self) -> bool {
        matches!(self, ES | SS | SR | SA | CL)
    }

    /// Upstream's name, as `/proc/net/ip_vs_conn` and `ipvsadm -Lc` show.
    pub fn name(self) -> &'static str {
        match self {
            NO => "NONE",
            I1 => "INIT1",
            IN => "INIT",
            CS => "C-SENT",
            CR => "C-REPLIED",
            CW => "C-WAIT",
            CO => "COOKIE",
            CE => "C-ECHOED",
            ES => "ESTABLISHED",
            SS => "S-SENT",
            SR => "S-RECEIVED",
            SA => "S-ACK-SENT",
            RJ => "REJECTED",
            CL => "CLOSED",
        }
    }

    /// Upstream's timeout of the state, in seconds (no setting changes
    /// them: `ipvsadm --set` has none for SCTP).
    pub fn timeout(self) -> u32 {
        match self {
            NO => 2,
            I1 | RJ => 4,
            ES => 15 * 60,
            _ => MAX_RTO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Direction::{Input, InputOnly, Output};
    use SctpEvent as E;

    fn walk(dir_events: &[(Direction, SctpEvent, SctpState)]) {
        let mut s = NO;
        for &(dir, event, want) in dir_events {
            s = s.next(dir, event);
            assert_eq!(s, want, "{dir:?} {event:?}");
        }
    }

    #[test]
    fn nat_association_setup_and_shutdown() {
        walk(&[
            (Input, E::Init, I1),
            (Output, E::InitAck, CS),
            (Input, E::CookieEcho, CR),
            (Output, E::CookieAck, ES),
            (Input, E::Data, ES),
            (Output, E::Data, ES),
            (Input, E::Shutdown, SR),
            (Output, E::ShutdownAck, SA),
            (Input, E::ShutdownComplete, CL),
        ]);
        assert!(ES.is_active() && !CR.is_active() && !CL.is_active());
    }

    #[test]
    fn direct_routing_sees_only_the_client() {
        walk(&[
            (InputOnly, E::Init, I1),
            (InputOnly, E::CookieEcho, ES),
            (InputOnly, E::Data, ES),
            (InputOnly, E::Shutdown, SR),
            (InputOnly, E::ShutdownComplete, CL),
        ]);
        // A retried INIT, and one after the association closed.
        assert_eq!(I1.next(InputOnly, E::Init), IN);
        assert_eq!(CL.next(Input, E::Init), IN);
    }

    #[test]
    fn an_init_answered_by_abort_is_rejected() {
        assert_eq!(I1.next(Output, E::Abort), RJ);
        assert_eq!(RJ.timeout(), 4);
        assert_eq!(ES.next(Input, E::Abort), CL);
    }

    #[test]
    fn events_of_chunks_and_bundled_aborts() {
        assert_eq!(SctpEvent::of_chunk(0), E::Data);
        assert_eq!(SctpEvent::of_chunk(3), E::Data, "SACK");
        assert_eq!(SctpEvent::of_chunk(14), E::ShutdownComplete);
        assert_eq!(SctpEvent::of_chunk(200), E::Data, "unknown types");
        // A COOKIE ECHO of 13 bytes: the next chunk is at 12 + 16.
        assert_eq!(SctpEvent::second_chunk_at(&[10, 0, 0, 13]), Some(28));
        assert_eq!(SctpEvent::second_chunk_at(&[11, 0, 0, 4]), Some(16));
        assert_eq!(SctpEvent::second_chunk_at(&[11, 0, 0, 3]), None, "a length below a header");
        assert_eq!(SctpEvent::second_chunk_at(&[0, 0, 0, 16]), None, "DATA bundles nothing that counts");
    }

    #[test]
    fn numbers_names_and_timeouts_are_upstreams() {
        for n in 0..SCTP_STATES as u16 {
            assert_eq!(SctpState::from_number(n).map(|s| s as u16), Some(n));
        }
        assert_eq!(SctpState::from_number(14), None);
        assert_eq!((CS.name(), SA.name(), CL.name()), ("C-SENT", "S-ACK-SENT", "CLOSED"));
        assert_eq!((NO.timeout(), I1.timeout(), CR.timeout(), ES.timeout()), (2, 4, 61, 900));
        let synced: std::vec::Vec<_> = (0..14).filter_map(SctpState::from_number).filter(|s| s.is_synced()).collect();
        assert_eq!(synced, [ES, SS, SR, SA, CL]);
        assert!(CL.reopens() && !ES.reopens());
    }
}
