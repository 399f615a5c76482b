// SPDX-License-Identifier: GPL-2.0
//! Connection states and timeouts, as upstream IPVS tracks them.
//!
//! The director sees one or both directions of a TCP connection and
//! follows its state from the flags of each packet with upstream's
//! transition table, so that timeouts (and the active/inactive counts the
//! schedulers read) behave exactly as on a C IPVS director.

/// TCP states, numbered as upstream (`IP_VS_TCP_S_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum TcpState {
    /// No packet seen yet.
    None = 0,
    /// Established.
    Established,
    /// SYN sent by the real server (output direction).
    SynSent,
    /// SYN received from the client.
    SynRecv,
    /// FIN seen, waiting.
    FinWait,
    /// Both sides closed.
    TimeWait,
    /// Closed (or reset).
    Close,
    /// Closed by the client, the server still sends.
    CloseWait,
    /// Last ACK awaited.
    LastAck,
    /// Listening.
    Listen,
    /// SYN+ACK seen.
    SynAck,
}

/// Number of TCP states.
pub const TCP_STATES: usize = 11;

use TcpState::{
    Close as CL, CloseWait as CW, Established as ES, FinWait as FW, LastAck as LA, Listen as LI,
    SynAck as SA, SynRecv as SR, SynSent as SS, TimeWait as TW,
};

/// Which way a packet travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Client to real server, on a connection whose replies we also see.
    Input,
    /// Real server to client (VS/NAT replies).
    Output,
    /// Client to real server, when replies bypass us (DR, TUN).
    InputOnly,
}

/// The TCP flags that drive the table, from the header's flags byte.
fn flag_row(flags: u8) -> Option<usize> {
    const FIN: u8 = 0x01;
    const SYN: u8 = 0x02;
    const RST: u8 = 0x04;
    const ACK: u8 = 0x10;
    if flags & RST != 0 {
        Some(3)
    } else if flags & SYN != 0 {
        Some(0)
    } else if flags & FIN != 0 {
        Some(1)
    } else if flags & ACK != 0 {
        Some(2)
    } else {
        None
    }
}

/// Upstream's transition table: per direction, rows syn/fin/ack/rst,
/// columns the current state.
const TABLE: [[[TcpState; TCP_STATES]; 4]; 3] = [
    // Input: sNO sES sSS sSR sFW sTW sCL sCW sLA sLI sSA
    [
        [SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SR],
        [CL, CW, SS, TW, TW, TW, CL, CW, LA, LI, TW],
        [ES, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES],
        [CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, SR],
    ],
    // Output
    [
        [SS, ES, SS, SR, SS, SS, SS, SS, SS, LI, SR],
        [TW, FW, SS, TW, FW, TW, CL, TW, LA, LI, TW],
        [ES, ES, SS, ES, FW, TW, CL, CW, LA, ES, ES],
        [CL, CL, SS, CL, CL, TW, CL, CL, CL, CL, CL],
    ],
    // Input only
    [
        [SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SR],
        [CL, FW, SS, TW, FW, TW, CL, CW, LA, LI, TW],
        [ES, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES],
        [CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, CL],
    ],
];

/// Upstream's table under the `secure_tcp` defence (`tcp_states_dos`):
/// a client's SYN moves a connection only to SYN_RECV or SYNACK, and
/// only the real server's answer establishes it, so a flood of spoofed
/// SYNs and ACKs holds entries only for the short SYN_RECV timeout.
const SECURE_TABLE: [[[TcpState; TCP_STATES]; 4]; 3] = [
    // Input: sNO sES sSS sSR sFW sTW sCL sCW sLA sLI sSA
    [
        [SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SA],
        [CL, CW, SS, TW, TW, TW, CL, CW, LA, LI, SA],
        [ES, ES, SS, SR, FW, TW, CL, CW, CL, LI, SA],
        [CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, CL],
    ],
    // Output
    [
        [SS, ES, SS, SA, SS, SS, SS, SS, SS, LI, SA],
        [TW, FW, SS, TW, FW, TW, CL, TW, LA, LI, TW],
        [ES, ES, SS, ES, FW, TW, CL, CW, LA, ES, ES],
        [CL, CL, SS, CL, CL, TW, CL, CL, CL, CL, CL],
    ],
    // Input only
    [
        [SA, ES, ES, SR, SA, SA, SA, SA, SA, SA, SA],
        [CL, FW, SS, TW, FW, TW, CL, CW, LA, LI, TW],
        [ES, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES],
        [CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, CL],
    ],
];

impl TcpState {
    /// The state after a packet with TCP `flags` travelling `dir`; a
    /// packet with none of SYN, FIN, ACK, RST closes, as upstream.
    /// `secure`: the `secure_tcp` defence is on.
    pub fn next(self, dir: Direction, flags: u8, secure: bool) -> TcpState {
        let Some(row) = flag_row(flags) else { return CL };
        let table = if secure { &SECURE_TABLE } else { &TABLE };
        table[dir as usize][row][self as usize]
    }

    /// Whether a connection in this state counts as active (upstream's
    /// `tcp_state_active`): the rest count as inactive.
    pub fn is_active(self) -> bool {
        matches!(self, ES | SS | SR | SA)
    }

    /// Whether a new SYN on the addresses and ports of a connection in
    /// this state opens another connection (upstream's
    /// `is_new_conn_expected`, for a `conn_reuse_mode` that is not 0): the
    /// connection is over on both sides or, with bit 2 of
    /// `conn_reuse_mode`, over on the client's side of a connection whose
    /// replies the director does not see (`input_only`).
    pub fn reopens(self, conn_reuse_mode: i32, input_only: bool) -> bool {
        matches!(self, TW | CL) || (conn_reuse_mode & 2 != 0 && self == FW && input_only)
    }

    /// The state numbered `n` as upstream numbers them (sync messages
    /// carry the number).
    pub fn from_number(n: u16) -> Option<TcpState> {
        const ALL: [TcpState; TCP_STATES] = [TcpState::None, ES, SS, SR, FW, TW, CL, CW, LA, LI, SA];
        ALL.get(usize::from(n)).copied()
    }

    /// Whether a master syncs a connection in this state (upstream:
    /// ESTABLISHED and the closing states, not the handshake's).
    pub fn is_synced(self) -> bool {
        matches!(self, ES | FW | CL | CW | TW)
    }

    /// Upstream's name, as `/proc/net/ip_vs_conn` and `ipvsadm -Lc` show.
    pub fn name(self) -> &'static str {
        match self {
            TcpState::None => "NONE",
            ES => "ESTABLISHED",
            SS => "SYN_SENT",
            SR => "SYN_RECV",
            FW => "FIN_WAIT",
            TW => "TIME_WAIT",
            CL => "CLOSE",
            CW => "CLOSE_WAIT",
            LA => "LAST_ACK",
            LI => "LISTEN",
            SA => "SYNACK",
        }
    }

    /// Upstream's default timeout of the state, in seconds.
    pub fn default_timeout(self) -> u32 {
        match self {
            TcpState::None => 2,
            ES => 15 * 60,
            SS => 2 * 60,
            SR => 60,
            FW => 2 * 60,
            TW => 2 * 60,
            CL => 10,
            CW => 60,
            LA => 30,
            LI => 2 * 60,
            SA => 120,
        }
    }
}

/// UDP "state" timeout, upstream's default, in seconds.
pub const UDP_DEFAULT_TIMEOUT: u32 = 5 * 60;

/// Timeouts an operator can set (`ipvsadm --set tcp tcpfin udp`), in
/// seconds; the other TCP states keep their defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// ESTABLISHED.
    pub tcp: u32,
    /// FIN_WAIT.
    pub tcp_fin: u32,
    /// UDP.
    pub udp: u32,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self { tcp: ES.default_timeout(), tcp_fin: FW.default_timeout(), udp: UDP_DEFAULT_TIMEOUT }
    }
}

impl Timeouts {
    /// Timeout of a TCP connection in `state`, in seconds.
    pub fn tcp_state(&self, state: TcpState) -> u32 {
        match state {
            ES => self.tcp,
            FW => self.tcp_fin,
            s => s.default_timeout(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const SYN: u8 = 0x02;
    const ACK: u8 = 0x10;
    const FIN: u8 = 0x01;
    const RST: u8 = 0x04;

    #[test]
    fn only_closed_connections_may_be_reopened() {
        let all = [TcpState::None, ES, SS, SR, FW, TW, CL, CW, LA, LI, SA];
        let reopening = |mode, input_only| -> std::vec::Vec<_> {
            all.into_iter().filter(|s| s.reopens(mode, input_only)).collect()
        };
        assert_eq!(reopening(1, false), [TW, CL]);
        assert_eq!(reopening(1, true), [TW, CL]);
        assert_eq!(reopening(2, false), [TW, CL]);
        assert_eq!(reopening(3, true), [FW, TW, CL]);
    }

    #[test]
    fn nat_handshake_and_close() {
        let mut s = TcpState::None;
        for (dir, flags, want) in [
            (Direction::Input, SYN, SR),
            (Direction::Output, SYN | ACK, SR),
            (Direction::Input, ACK, ES),
            (Direction::Input, FIN | ACK, CW),
            (Direction::Output, FIN | ACK, TW),
            (Direction::Input, ACK, TW),
        ] {
            s = s.next(dir, flags, false);
            assert_eq!(s, want);
        }
        assert!(!s.is_active());
    }

    #[test]
    fn direct_routing_sees_input_only() {
        let mut s = TcpState::None.next(Direction::InputOnly, SYN, false);
        assert_eq!(s, SR);
        s = s.next(Direction::InputOnly, ACK, false);
        assert_eq!((s, s.is_active()), (ES, true));
        s = s.next(Direction::InputOnly, FIN | ACK, false);
        assert_eq!((s, s.is_active()), (FW, false));
        assert_eq!(s.next(Direction::InputOnly, RST, false), CL);
        assert_eq!(ES.next(Direction::Input, 0, false), CL, "no flags closes");
    }

    #[test]
    fn timeouts_follow_the_settings() {
        let t = Timeouts { tcp: 100, tcp_fin: 7, udp: 9 };
        assert_eq!(t.tcp_state(ES), 100);
        assert_eq!(t.tcp_state(FW), 7);
        assert_eq!(t.tcp_state(SR), 60);
        assert_eq!(Timeouts::default(), Timeouts { tcp: 900, tcp_fin: 120, udp: 300 });
        assert_eq!(TimeWait.name(), "TIME_WAIT");
    }
    use TcpState::TimeWait;

    #[test]
    fn secure_tcp_establishes_only_on_the_servers_answer() {
        // A spoofed handshake (SYN, then ACK, never an answer) stays in
        // SYN_RECV, whose timeout is short.
        let s = TcpState::None.next(Direction::Input, SYN, true);
        assert_eq!(s, SR);
        assert_eq!(s.next(Direction::Input, ACK, true), SR);
        assert_eq!(s.next(Direction::Input, ACK, false), ES);
        // The server's SYN+ACK moves it on; the client's ACK then counts.
        let s = s.next(Direction::Output, SYN | ACK, true);
        assert_eq!(s, SA);
        assert_eq!(s.next(Direction::Output, ACK, true), ES);
        // Without replies (DR, TUN) a SYN waits in SYNACK.
        assert_eq!(TcpState::None.next(Direction::InputOnly, SYN, true), SA);
    }
}
