// SPDX-License-Identifier: GPL-2.0
//! The connection-sync messages a master director multicasts to its
//! backups (thesis §5.2.10), in upstream's wire formats, so our directors
//! and C IPVS directors sync with each other.
//!
//! Version 1 (the default) is an 8-byte header (a zero byte, the sync id, the size in
//! bytes, the number of connections, the version 1, two zero bytes) and
//! the connections, each 4-byte aligned: a 24-byte head (type: bit 0 for
//! IPv6; protocol; version (top 4 bits, 0) and size (low 12 bits) of the
//! entry; flags; state; the client, virtual and real server ports; the
//! firewall mark; the timeout in seconds), the client, virtual and real
//! server addresses (4 or 16 bytes each), then optional parameters (type,
//! length, data). Version 0 (sysctl `sync_version` 0, for directors
//! older than Linux 2.6.39) is a 4-byte header (the number of connections,
//! the sync id, the size) and IPv4 connections of 24 bytes each (a zero
//! byte; protocol; client, virtual and real server ports; client,
//! virtual and real server addresses; 16 bits of flags; state), followed
//! by 24 bytes of sequence data when the flags say so; a backup takes
//! both. All numbers are big-endian.

/// Upstream's multicast group, 224.0.0.81.
pub const SYNC_GROUP_V4: [u8; 4] = [224, 0, 0, 81];
/// Upstream's UDP port.
pub const SYNC_PORT: u16 = 8848;
/// A version 1 message header's size.
const HEADER: usize = 8;
/// A version 0 message header's size.
const HEADER_V0: usize = 4;
/// The fixed part of a version 1 connection entry, addresses aside.
const ENTRY_HEAD: usize = 24;
/// A version 0 connection entry, without sequence data.
const ENTRY_V0: usize = 24;
/// Upstream's `IP_VS_CONN_F_SEQ_MASK`: the flags of a connection whose
/// TCP sequence numbers are adjusted, which a version 0 entry follows
/// with its sequence data.
const F_SEQ_MASK: u32 = 0x0600;

/// A sync message format (the `sync_version` sysctl).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// Before Linux 2.6.39: IPv4 connections only, no timeouts.
    V0,
    /// Since: IPv4 and IPv6, firewall marks, timeouts, options.
    V1,
}

impl Version {
    /// Whether a message of this version can carry a connection of IPv6
    /// addresses (`v6`) or IPv4.
    pub fn carries(self, v6: bool) -> bool {
        self == Version::V1 || !v6
    }

    fn header(self) -> usize {
        match self {
            Version::V0 => HEADER_V0,
            Version::V1 => HEADER,
        }
    }
}
/// Option types (upstream's `IPVS_OPT_*`); a type with bit 6 set
/// (`IPVS_OPT_F_PARAM`) may be skipped by a receiver that does not know it.
const OPT_SEQ_DATA: u8 = 1;
const OPT_PE_DATA: u8 = 2;
const OPT_PE_NAME: u8 = 3;
const OPT_SKIPPABLE: u8 = 1 << 6;
/// Longest persistence engine name an option carries (upstream's
/// `IP_VS_PENAME_MAXLEN`).
const PE_NAME_MAX: usize = 16;
/// Upstream's `struct ip_vs_sync_conn_options`: two sequence records.
const SEQ_DATA_LEN: usize = 24;

/// Upstream's `sync_threshold` default: a connection is synced at its
/// 3rd packet, then every `SYNC_PERIOD` packets.
pub const SYNC_THRESHOLD: u32 = 3;
/// Upstream's default sync period, in packets.
pub const SYNC_PERIOD: u32 = 50;

/// The sysctls that say when a master syncs a connection.
#[derive(Clone, Copy, Debug)]
pub struct SyncRules {
    /// `sync_threshold`, first number: the packet from the client at
    /// which a connection is synced.
    pub threshold: u32,
    /// `sync_threshold`, second number: packets between syncs (0: none
    /// counted after the threshold).
    pub period: u32,
    /// `sync_refresh_period`, in ticks (0: off): a connection whose
    /// expiry moved less than this (or half its timeout, at least 10 s,
    /// if less) since its last sync is not synced again.
    pub refresh: u32,
    /// `sync_retries`: syncs repeated, each after an eighth of the
    /// refresh period, while its expiry has not moved enough.
    pub retries: u32,
    /// Ticks per second.
    pub hz: u32,
}

/// A connection a client's packet just moved along, as the decision
/// needs it. Times are in ticks (jiffies, wrapping).
#[derive(Clone, Copy, Debug)]
pub struct Moved {
    /// A persistence template (stateless: `tracked` false; `pkts` counts the
    /// packets of the connections it controls).
    pub template: bool,
    /// A connection whose state follows its packets (TCP, SCTP).
    pub tracked: bool,
    /// In a state that is synced: TCP's ESTABLISHED, FIN_WAIT, CLOSE,
    /// CLOSE_WAIT or TIME_WAIT; SCTP's ESTABLISHED, its SHUTDOWN states
    /// or CLOSED.
    pub syncable: bool,
    /// In ESTABLISHED.
    pub established: bool,
    /// In a state other than the one it was last synced in.
    pub changed: bool,
    /// Packets from the client so far, this one included.
    pub pkts: u32,
    /// When its last sync said it would expire (upstream's
    /// `sync_endtime`): the low two bits count the retries.
    pub endtime: u32,
    /// Now.
    pub now: u32,
    /// Its timeout in its state.
    pub timeout: u32,
}

/// The `endtime` of a connection made at `now`: never synced.
pub fn fresh_endtime(now: u32) -> u32 {
    now & !3
}

/// Whether a master syncs a connection now (upstream's
/// `ip_vs_sync_conn_needed`): the connection's next `endtime` if so. A
/// TCP or SCTP connection that reached a closing state it was not synced in is
/// synced at once; otherwise at the packets the threshold and period
/// name, or, with a period of 0 and a refresh period, whenever its expiry
/// moved by the refresh period (and on the retries). A template goes as
/// a UDP connection would, except that a non-zero period syncs it at every
/// packet of its connections (the refresh period may hold it back).
pub fn sync_needed(c: &Moved, rules: &SyncRules) -> Option<u32> {
    let mut next = fresh_endtime(c.now.wrapping_add(c.timeout));
    if c.tracked {
        if !c.syncable {
            return None;
        }
        if c.changed && !c.established {
            return Some(next);
        }
    }
    if rules.refresh > 0 {
        let moved = (next.wrapping_sub(c.endtime) as i32).unsigned_abs();
        let enough = rules.refresh.min((c.timeout >> 1).max(10 * rules.hz));
        if moved < enough {
            let retries = c.endtime & 3;
            if retries >= rules.retries {
                return None;
            }
            let synced_at = c.endtime.wrapping_sub(c.timeout);
            let retry_at = synced_at.wrapping_add(rules.refresh >> 3);
            if (c.now.wrapping_sub(retry_at) as i32) < 0 {
                return None;
            }
            next |= retries + 1;
        }
    }
    let due = match rules.period {
        0 => rules.refresh > 0 || c.pkts == rules.threshold,
        period => c.template || c.pkts % period == rules.threshold,
    };
    due.then_some(next)
}

/// One connection as a sync message carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncConn {
    /// IPv6 addresses (else the first four bytes of each are IPv4).
    pub v6: bool,
    /// IP protocol.
    pub proto: u8,
    /// Connection flags (upstream's `IP_VS_CONN_F_*`).
    pub flags: u32,
    /// Protocol state (TCP, SCTP: upstream's state number).
    pub state: u16,
    /// Client port.
    pub cport: u16,
    /// Virtual port.
    pub vport: u16,
    /// Real server port.
    pub dport: u16,
    /// Firewall mark of the service.
    pub fwmark: u32,
    /// Seconds the connection has left.
    pub timeout: u32,
    /// Client address.
    pub caddr: [u8; 16],
    /// Virtual address.
    pub vaddr: [u8; 16],
    /// Real server address.
    pub daddr: [u8; 16],
}

impl SyncConn {
    fn addr_len(&self) -> usize {
        if self.v6 { 16 } else { 4 }
    }

    /// Bytes of the entry (without options or padding).
    pub fn size(&self) -> usize {
        ENTRY_HEAD + 3 * self.addr_len()
    }
}

/// A persistence engine's template key, as an entry's options carry it
/// (`IPVS_OPT_PE_DATA`, then `IPVS_OPT_PE_NAME`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeOption<'a> {
    /// The engine's name ("sip").
    pub name: &'a [u8],
    /// Its key (SIP's Call-ID), 1 to 255 bytes.
    pub data: &'a [u8],
}

impl PeOption<'_> {
    /// Bytes the two options take.
    fn size(&self) -> usize {
        2 + self.data.len() + 2 + self.name.len()
    }
}

/// A message being filled, in a buffer of the sync's maximum length.
pub struct MessageWriter<'a> {
    buf: &'a mut [u8],
    version: Version,
    len: usize,
    count: u8,
}

impl<'a> MessageWriter<'a> {
    /// Starts a message of `version` and sync id `syncid` in `buf` (at
    /// least a header).
    pub fn new(buf: &'a mut [u8], version: Version, syncid: u8) -> Option<Self> {
        let header = buf.get_mut(..version.header())?;
        match version {
            Version::V0 => header.copy_from_slice(&[0, syncid, 0, 0]),
            Version::V1 => header.copy_from_slice(&[0, syncid, 0, 0, 0, 1, 0, 0]),
        }
        Some(Self { buf, version, len: version.header(), count: 0 })
    }

    /// Goes on with a message of `version` begun in `buf` earlier, which
    /// holds `len` bytes and `count` connections so far (see
    /// [`Self::progress`]).
    pub fn resume(buf: &'a mut [u8], version: Version, len: usize, count: u8) -> Self {
        Self { buf, version, len, count }
    }

    /// Bytes and connections so far.
    pub fn progress(&self) -> (usize, u8) {
        (self.len, self.count)
    }

    /// Adds `conn`; `false` if the message is full (or of a version that
    /// cannot carry it: see [`Version::carries`]).
    pub fn push(&mut self, conn: &SyncConn) -> bool {
        self.push_with(conn, None)
    }

    /// Adds `conn` with its persistence engine's key `pe` (a version 0
    /// message has no room for it: the entry goes without, as upstream's).
    pub fn push_with(&mut self, conn: &SyncConn, pe: Option<PeOption<'_>>) -> bool {
        match self.version {
            Version::V0 => self.push_v0(conn),
            Version::V1 => self.push_v1(conn, pe),
        }
    }

    fn push_v0(&mut self, conn: &SyncConn) -> bool {
        let start = self.len;
        if conn.v6 || self.count == u8::MAX || start + ENTRY_V0 > self.buf.len() {
            return false;
        }
        let e = &mut self.buf[start..start + ENTRY_V0];
        e[0] = 0;
        e[1] = conn.proto;
        e[2..4].copy_from_slice(&conn.cport.to_be_bytes());
        e[4..6].copy_from_slice(&conn.vport.to_be_bytes());
        e[6..8].copy_from_slice(&conn.dport.to_be_bytes());
        e[8..12].copy_from_slice(&conn.caddr[..4]);
        e[12..16].copy_from_slice(&conn.vaddr[..4]);
        e[16..20].copy_from_slice(&conn.daddr[..4]);
        // No sequence data follows: the flags that would say so are off.
        e[20..22].copy_from_slice(&((conn.flags & !F_SEQ_MASK) as u16).to_be_bytes());
        e[22..24].copy_from_slice(&conn.state.to_be_bytes());
        self.len = start + ENTRY_V0;
        self.count += 1;
        true
    }

    fn push_v1(&mut self, conn: &SyncConn, pe: Option<PeOption<'_>>) -> bool {
        let start = (self.len + 3) & !3;
        let pe = pe.filter(|pe| (1..=255).contains(&pe.data.len()) && (1..=PE_NAME_MAX).contains(&pe.name.len()));
        let size = conn.size() + pe.map_or(0, |pe| pe.size());
        if self.count == u8::MAX || start + size > self.buf.len() {
            return false;
        }
        self.buf[self.len..start].fill(0);
        let e = &mut self.buf[start..start + size];
        e[0] = u8::from(conn.v6);
        e[1] = conn.proto;
        e[2..4].copy_from_slice(&(size as u16).to_be_bytes());
        e[4..8].copy_from_slice(&conn.flags.to_be_bytes());
        e[8..10].copy_from_slice(&conn.state.to_be_bytes());
        e[10..12].copy_from_slice(&conn.cport.to_be_bytes());
        e[12..14].copy_from_slice(&conn.vport.to_be_bytes());
        e[14..16].copy_from_slice(&conn.dport.to_be_bytes());
        e[16..20].copy_from_slice(&conn.fwmark.to_be_bytes());
        e[20..24].copy_from_slice(&conn.timeout.to_be_bytes());
        let n = conn.addr_len();
        for (i, addr) in [&conn.caddr, &conn.vaddr, &conn.daddr].into_iter().enumerate() {
            e[ENTRY_HEAD + i * n..ENTRY_HEAD + (i + 1) * n].copy_from_slice(&addr[..n]);
        }
        if let Some(pe) = pe {
            let mut at = conn.size();
            for (kind, value) in [(OPT_PE_DATA, pe.data), (OPT_PE_NAME, pe.name)] {
                e[at] = kind;
                e[at + 1] = value.len() as u8;
                e[at + 2..at + 2 + value.len()].copy_from_slice(value);
                at += 2 + value.len();
            }
        }
        self.len = start + size;
        self.count += 1;
        true
    }

    /// Connections in the message so far.
    pub fn count(&self) -> u8 {
        self.count
    }

    /// Closes the message: its bytes, ready to send.
    pub fn finish(self) -> &'a [u8] {
        self.buf[2..4].copy_from_slice(&(self.len as u16).to_be_bytes());
        match self.version {
            Version::V0 => self.buf[0] = self.count,
            Version::V1 => self.buf[4] = self.count,
        }
        &self.buf[..self.len]
    }
}

/// Why a received message or entry is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// Shorter than a header.
    TooShort,
    /// The header's size is not the datagram's.
    SizeMismatch,
    /// For another sync id than the backup's.
    OtherSyncId,
    /// An entry runs past the message or is malformed.
    BadEntry,
    /// An entry carries an option the receiver must understand but
    /// does not.
    UnknownOption,

}

/// The connections of message `msg` for a backup of sync id `syncid`
/// (0: any), in order; an entry that cannot be read ends them (what
/// follows it cannot be found either). A message is of version 1 when its
/// header says so (a zero first byte, version 1, zero spare bytes), else
/// of version 0, as upstream tells them apart. Version 0 entries have no
/// timeout (0: the state's).
pub fn parse(msg: &[u8], syncid: u8) -> Result<Entries<'_>, Refused> {
    if msg.len() < HEADER_V0 {
        return Err(Refused::TooShort);
    }
    if usize::from(u16::from_be_bytes([msg[2], msg[3]])) != msg.len() {
        return Err(Refused::SizeMismatch);
    }
    if syncid != 0 && msg[1] != syncid {
        return Err(Refused::OtherSyncId);
    }
    let v1 = msg.len() >= HEADER && msg[0] == 0 && msg[5] == 1 && msg[6..8] == [0, 0];
    Ok(if v1 {
        Entries { rest: &msg[HEADER..], left: msg[4], version: Version::V1 }
    } else {
        Entries { rest: &msg[HEADER_V0..], left: msg[0], version: Version::V0 }
    })
}

/// The entries of a message (see [`parse`]).
pub struct Entries<'a> {
    rest: &'a [u8],
    left: u8,
    version: Version,
}

impl<'a> Iterator for Entries<'a> {
    /// A connection, with its persistence engine's key if it has one.
    type Item = Result<(SyncConn, Option<PeOption<'a>>), Refused>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let rest = self.rest;
        let entry = match self.version {
            Version::V0 => read_entry_v0(rest).map(|(conn, used)| (conn, None, used)),
            // The next entry starts 4-byte aligned.
            Version::V1 => read_entry(rest).map(|(conn, pe, used)| (conn, pe, (used + 3) & !3)),
        };
        match entry {
            Ok((conn, pe, used)) => {
                self.rest = rest.get(used..).unwrap_or(&[]);
                Some(Ok((conn, pe)))
            }
            Err(why) => {
                self.left = 0;
                Some(Err(why))
            }
        }
    }
}

/// One version 0 entry at the start of `bytes`: the connection and the
/// bytes it takes, sequence data included.
fn read_entry_v0(bytes: &[u8]) -> Result<(SyncConn, usize), Refused> {
    let e = bytes.get(..ENTRY_V0).ok_or(Refused::BadEntry)?;
    let be16 = |i: usize| u16::from_be_bytes([e[i], e[i + 1]]);
    let addr = |i: usize| {
        let mut a = [0u8; 16];
        a[..4].copy_from_slice(&e[i..i + 4]);
        a
    };
    let conn = SyncConn {
        v6: false,
        proto: e[1],
        flags: u32::from(be16(20)),
        state: be16(22),
        cport: be16(2),
        vport: be16(4),
        dport: be16(6),
        fwmark: 0,
        timeout: 0,
        caddr: addr(8),
        vaddr: addr(12),
        daddr: addr(16),
    };
    let used = if conn.flags & F_SEQ_MASK != 0 { ENTRY_V0 + SEQ_DATA_LEN } else { ENTRY_V0 };
    if used > bytes.len() {
        return Err(Refused::BadEntry);
    }
    Ok((conn, used))
}

/// One version 1 entry at the start of `bytes`: the connection, its
/// persistence engine's key, and the bytes it takes, options included.
fn read_entry(bytes: &[u8]) -> Result<(SyncConn, Option<PeOption<'_>>, usize), Refused> {
    let head = bytes.get(..ENTRY_HEAD).ok_or(Refused::BadEntry)?;
    let be16 = |i: usize| u16::from_be_bytes([head[i], head[i + 1]]);
    let be32 = |i: usize| u32::from_be_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
    let v6 = head[0] & 1 != 0;
    let ver_size = be16(2);
    let size = usize::from(ver_size & 0x0fff);
    let n = if v6 { 16 } else { 4 };
    if ver_size >> 12 != 0 || size < ENTRY_HEAD + 3 * n || size > bytes.len() {
        return Err(Refused::BadEntry);
    }
    let addr = |i: usize| {
        let mut a = [0u8; 16];
        a[..n].copy_from_slice(&bytes[ENTRY_HEAD + i * n..ENTRY_HEAD + (i + 1) * n]);
        a
    };
    let conn = SyncConn {
        v6,
        proto: head[1],
        flags: be32(4),
        state: be16(8),
        cport: be16(10),
        vport: be16(12),
        dport: be16(14),
        fwmark: be32(16),
        timeout: be32(20),
        caddr: addr(0),
        vaddr: addr(1),
        daddr: addr(2),
    };
    let pe = read_options(&bytes[ENTRY_HEAD + 3 * n..size])?;
    Ok((conn, pe, size))
}

/// The options after an entry's addresses, as upstream reads them: each
/// whole; sequence data of its length (read past); a persistence
/// engine's data and name at most once each, the name at most 16 bytes
/// (data without a name comes with an empty one, which names no engine:
/// a backup drops the entry, as upstream's; a name without data is no
/// key); unknown options only if skippable.
fn read_options(mut opts: &[u8]) -> Result<Option<PeOption<'_>>, Refused> {
    let (mut data, mut name) = (None, None);
    while !opts.is_empty() {
        let [kind, len, ..] = *opts else { return Err(Refused::BadEntry) };
        let len = usize::from(len);
        if len == 0 || 2 + len > opts.len() {
            return Err(Refused::BadEntry);
        }
        let value = &opts[2..2 + len];
        match kind & !OPT_SKIPPABLE {
            OPT_SEQ_DATA if len != SEQ_DATA_LEN => return Err(Refused::BadEntry),
            OPT_SEQ_DATA => {}
            OPT_PE_DATA if data.replace(value).is_some() => return Err(Refused::BadEntry),
            OPT_PE_NAME if len > PE_NAME_MAX || name.replace(value).is_some() => return Err(Refused::BadEntry),
            OPT_PE_DATA | OPT_PE_NAME => {}
            _ if kind & OPT_SKIPPABLE == 0 => return Err(Refused::UnknownOption),
            _ => {}
        }
        opts = &opts[2 + len..];
    }
    Ok(data.map(|data| PeOption { name: name.unwrap_or(&[]), data }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;
    use std::vec::Vec;

    fn conn(v6: bool, cport: u16) -> SyncConn {
        let mut caddr = [0u8; 16];
        caddr[..4].copy_from_slice(&[10, 0, 0, 2]);
        let mut vaddr = [0u8; 16];
        vaddr[..4].copy_from_slice(&[10, 0, 0, 100]);
        let mut daddr = [0u8; 16];
        daddr[..4].copy_from_slice(&[10, 0, 1, 2]);
        if v6 {
            caddr = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
            vaddr = [0xfd, 0, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0];
            daddr = [0xfd, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
        }
        SyncConn {
            v6,
            proto: 6,
            flags: 0x100,
            state: 1,
            cport,
            vport: 80,
            dport: 8080,
            fwmark: 0,
            timeout: 900,
            caddr,
            vaddr,
            daddr,
        }
    }

    const HZ: u32 = 250;
    const DEFAULT: SyncRules = SyncRules { threshold: SYNC_THRESHOLD, period: SYNC_PERIOD, refresh: 0, retries: 0, hz: HZ };

    /// An ESTABLISHED TCP connection (900 s timeout) at packet `pkts`,
    /// `now`, last synced to expire at `endtime`.
    fn established(pkts: u32, now: u32, endtime: u32) -> Moved {
        Moved { template: false, tracked: true, syncable: true, established: true, changed: false, pkts, endtime, now, timeout: 900 * HZ }
    }

    /// The packets (of 1..=n) at which a connection is synced.
    fn synced(n: u32, c: Moved, rules: SyncRules) -> Vec<u32> {
        (1..=n).filter(|&pkts| sync_needed(&Moved { pkts, ..c }, &rules).is_some()).collect()
    }

    #[test]
    fn syncs_at_the_threshold_and_on_closing() {
        let udp = Moved { tracked: false, syncable: false, established: false, ..established(0, 0, 0) };
        assert_eq!(synced(110, udp, DEFAULT), vec![3, 53, 103], "UDP by packets");
        let handshake = Moved { syncable: false, changed: true, ..established(3, 0, 0) };
        assert_eq!(sync_needed(&handshake, &DEFAULT), None, "TCP handshake states never");
        assert!(sync_needed(&established(53, 0, 0), &DEFAULT).is_some());
        let just_established = Moved { changed: true, ..established(4, 0, 0) };
        assert_eq!(sync_needed(&just_established, &DEFAULT), None, "ESTABLISHED waits for its packets");
        let closing = Moved { established: false, ..just_established };
        assert_eq!(sync_needed(&closing, &DEFAULT), Some(900 * HZ), "FIN_WAIT and the rest at once");
        assert_eq!(sync_needed(&Moved { changed: false, ..closing }, &DEFAULT), None, "once");
    }

    #[test]
    fn templates_go_with_their_connections_packets() {
        let template = Moved { template: true, tracked: false, syncable: false, established: false, ..established(0, 0, 0) };
        assert_eq!(synced(5, template, DEFAULT), vec![1, 2, 3, 4, 5], "a non-zero period: every packet");
        let once = SyncRules { threshold: 3, period: 0, ..DEFAULT };
        assert_eq!(synced(100, template, once), vec![3], "period 0: at the threshold");
        let refresh = SyncRules { refresh: 10 * HZ, ..DEFAULT };
        let synced_at_0 = Moved { endtime: 900 * HZ, now: HZ, ..template };
        assert_eq!(sync_needed(&synced_at_0, &refresh), None, "held back while its expiry moved less");
    }

    #[test]
    fn the_threshold_and_period_are_the_sysctls() {
        let rules = |threshold, period| SyncRules { threshold, period, ..DEFAULT };
        let c = established(0, 0, 0);
        assert_eq!(synced(100, c, rules(20, 0)), vec![20], "period 0: once");
        assert_eq!(synced(100, c, rules(1, 30)), vec![1, 31, 61, 91]);
        assert_eq!(synced(100, c, rules(0, 40)), vec![40, 80]);
    }

    #[test]
    fn a_refresh_period_syncs_as_the_expiry_moves() {
        let rules = SyncRules { threshold: 3, period: 0, refresh: 10 * HZ, ..DEFAULT };
        let first = fresh_endtime(0);
        // Synced at once (its expiry moved from its creation), then not
        // while the expiry moved less than 10 s, then again.
        let next = sync_needed(&established(1, 0, first), &rules).expect("first sync");
        assert_eq!(next, 900 * HZ);
        assert_eq!(sync_needed(&established(2, 9 * HZ, next), &rules), None);
        assert_eq!(sync_needed(&established(3, 10 * HZ, next), &rules), Some(910 * HZ));
        // The period still counts packets when it is not 0.
        let counted = SyncRules { period: 50, ..rules };
        assert_eq!(sync_needed(&established(4, 20 * HZ, next), &counted), None);
        assert_eq!(sync_needed(&established(53, 20 * HZ, next), &counted), Some(920 * HZ));
        // Short timeouts: half of it is enough (at least 10 s).
        let short = Moved { timeout: 60 * HZ, ..established(5, 20 * HZ, 60 * HZ) };
        let late = Moved { now: 30 * HZ, ..short };
        let rules_60 = SyncRules { refresh: 60 * HZ, ..rules };
        assert_eq!(sync_needed(&short, &rules_60), None, "moved 20 s of 30");
        assert_eq!(sync_needed(&late, &rules_60), Some(90 * HZ), "moved 30 s");
    }

    #[test]
    fn retries_come_an_eighth_of_the_refresh_period_apart() {
        let rules = SyncRules { threshold: 3, period: 0, refresh: 16 * HZ, retries: 2, hz: HZ };
        let synced_at_0 = 900 * HZ;
        assert_eq!(sync_needed(&established(2, HZ, synced_at_0), &rules), None, "too soon");
        let retry1 = sync_needed(&established(3, 2 * HZ, synced_at_0), &rules).expect("first retry");
        assert_eq!(retry1, 902 * HZ | 1);
        let retry2 = sync_needed(&established(4, 5 * HZ, retry1), &rules).expect("second retry");
        assert_eq!(retry2 & 3, 2);
        assert_eq!(sync_needed(&established(5, 8 * HZ, retry2), &rules), None, "retries spent");
        assert!(sync_needed(&established(6, 22 * HZ, retry2), &rules).is_some(), "moved enough");
        let none = SyncRules { retries: 0, ..rules };
        assert_eq!(sync_needed(&established(3, 2 * HZ, synced_at_0), &none), None);
    }

    #[test]
    fn ticks_wrap() {
        let rules = SyncRules { threshold: 3, period: 0, refresh: 10 * HZ, ..DEFAULT };
        let now = u32::MAX - 5 * HZ;
        let next = sync_needed(&established(1, now, fresh_endtime(now - HZ)), &rules).expect("synced");
        assert_eq!(sync_needed(&established(2, now.wrapping_add(9 * HZ), next), &rules), None);
        assert!(sync_needed(&established(3, now.wrapping_add(11 * HZ), next), &rules).is_some());
    }

    #[test]
    fn writes_upstreams_layout() {
        let mut buf = [0xaau8; 100];
        let mut w = MessageWriter::new(&mut buf, Version::V1, 7).unwrap();
        assert!(w.push(&conn(false, 40000)));
        let msg = w.finish();
        assert_eq!(msg.len(), 8 + 36);
        assert_eq!(&msg[..8], &[0, 7, 0, 44, 1, 1, 0, 0]);
        assert_eq!(
            &msg[8..],
            &[
                0, 6, 0, 36, 0, 0, 1, 0, 0, 1, 0x9c, 0x40, 0, 80, 0x1f, 0x90, 0, 0, 0, 0, 0, 0, 3, 0x84, 10, 0, 0, 2, 10,
                0, 0, 100, 10, 0, 1, 2
            ][..]
        );
    }

    #[test]
    fn round_trips_and_fills_up() {
        let mut buf = [0u8; 8 + 36 + 72 + 36];
        let mut w = MessageWriter::new(&mut buf, Version::V1, 3).unwrap();
        assert!(w.push(&conn(false, 1)));
        assert!(w.push(&conn(true, 2)));
        assert!(w.push(&conn(false, 3)));
        let (len, count) = w.progress();
        let mut w = MessageWriter::resume(&mut buf, Version::V1, len, count);
        assert!(!w.push(&conn(false, 4)), "no room left");
        assert_eq!(w.count(), 3);
        let msg = w.finish().to_vec();
        let got: Vec<_> = conns(&msg, 3);
        assert_eq!(got, vec![Ok(conn(false, 1)), Ok(conn(true, 2)), Ok(conn(false, 3))]);
        assert_eq!(parse(&msg, 0).unwrap().count(), 3, "sync id 0 takes any");
        assert_eq!(parse(&msg, 4).err(), Some(Refused::OtherSyncId));
        assert_eq!(parse(&msg[..msg.len() - 1], 3).err(), Some(Refused::SizeMismatch));
        assert_eq!(parse(&msg[..3], 3).err(), Some(Refused::TooShort));
    }

    #[test]
    fn writes_and_reads_version_0() {
        let mut buf = [0xaau8; 4 + 24 * 2 + 10];
        let mut w = MessageWriter::new(&mut buf, Version::V0, 7).unwrap();
        let mut with_seq = conn(false, 40000);
        with_seq.flags |= F_SEQ_MASK;
        assert!(w.push(&with_seq));
        assert!(!w.push(&conn(true, 1)), "IPv6 does not fit version 0");
        assert!(!Version::V0.carries(true));
        assert!(w.push(&conn(false, 2)));
        assert!(!w.push(&conn(false, 3)), "full");
        let msg = w.finish().to_vec();
        assert_eq!(&msg[..4], &[2, 7, 0, 52]);
        assert_eq!(
            &msg[4..28],
            &[0, 6, 0x9c, 0x40, 0, 80, 0x1f, 0x90, 10, 0, 0, 2, 10, 0, 0, 100, 10, 0, 1, 2, 1, 0, 0, 1][..]
        );
        let got: Vec<_> = conns(&msg, 7);
        let as_v0 = |c: SyncConn| SyncConn { timeout: 0, ..c };
        assert_eq!(got, vec![Ok(as_v0(conn(false, 40000))), Ok(as_v0(conn(false, 2)))]);
        // Sequence data (what older directors send for connections whose
        // sequence numbers they adjust) is read past.
        let mut seq = msg[..28].to_vec();
        seq[0] = 1;
        seq[24..26].copy_from_slice(&((0x0100 | F_SEQ_MASK) as u16).to_be_bytes());
        seq.extend_from_slice(&[0u8; 24]);
        seq.extend_from_slice(&msg[28..52]);
        seq[0] = 2;
        let size = seq.len() as u16;
        seq[2..4].copy_from_slice(&size.to_be_bytes());
        let got: Vec<_> = conns(&seq, 7).into_iter().map(|c| c.map(|c| c.cport)).collect();
        assert_eq!(got, vec![Ok(40000), Ok(2)]);
        assert_eq!(parse(&seq[..seq.len() - 24], 7).err(), Some(Refused::SizeMismatch));
        let mut short = seq[..52].to_vec();
        short[2..4].copy_from_slice(&52u16.to_be_bytes());
        let got: Vec<_> = conns(&short, 7);
        assert_eq!(got.len(), 2);
        assert_eq!(got[1], Err(Refused::BadEntry), "a second entry cut short");
    }

    /// A message with one IPv4 entry followed by `opts` (the entry's
    /// size counts them).
    fn with_options(opts: &[u8]) -> Vec<u8> {
        let mut buf = [0u8; 200];
        let mut w = MessageWriter::new(&mut buf, Version::V1, 1).unwrap();
        w.push(&conn(false, 5));
        let mut msg = w.finish().to_vec();
        msg.extend_from_slice(opts);
        let size = (36 + opts.len()) as u16;
        msg[10..12].copy_from_slice(&size.to_be_bytes());
        while msg.len() % 4 != 0 {
            msg.push(0);
        }
        let total = msg.len() as u16;
        msg[2..4].copy_from_slice(&total.to_be_bytes());
        msg
    }

    /// The connections of `msg` for sync id `syncid`, keys aside.
    fn conns(msg: &[u8], syncid: u8) -> Vec<Result<SyncConn, Refused>> {
        parse(msg, syncid).unwrap().map(|e| e.map(|(c, _)| c)).collect()
    }

    #[test]
    fn reads_past_options_it_may_and_refuses_the_rest() {
        let mut seq = vec![OPT_SEQ_DATA, 24];
        seq.extend_from_slice(&[0; 24]);
        let first = |m: &[u8]| conns(m, 1).remove(0);
        assert_eq!(first(&with_options(&seq)), Ok(conn(false, 5)));
        assert_eq!(first(&with_options(&[OPT_PE_NAME, 3, b's', b'i', b'p'])), Ok(conn(false, 5)));
        assert_eq!(first(&with_options(&[OPT_SKIPPABLE | 9, 1, 0])), Ok(conn(false, 5)));
        assert_eq!(first(&with_options(&[9, 1, 0])), Err(Refused::UnknownOption));
        assert_eq!(first(&with_options(&[OPT_SEQ_DATA, 4, 0, 0, 0, 0])), Err(Refused::BadEntry));
        assert_eq!(first(&with_options(&[OPT_PE_DATA, 0])), Err(Refused::BadEntry));
        assert_eq!(first(&with_options(&[OPT_PE_DATA, 9, 1])), Err(Refused::BadEntry));
        assert_eq!(first(&with_options(&[OPT_PE_DATA, 1, b'a', OPT_PE_DATA, 1, b'b'])), Err(Refused::BadEntry));
        let long_name = [&[OPT_PE_DATA, 1, b'a', OPT_PE_NAME, 17][..], &[b'x'; 17]].concat();
        assert_eq!(first(&with_options(&long_name)), Err(Refused::BadEntry));
    }

    #[test]
    fn carries_a_persistence_engines_key() {
        let sip = PeOption { name: b"sip", data: b"a84b4c76e66710@pc33" };
        let mut buf = [0u8; 200];
        let mut w = MessageWriter::new(&mut buf, Version::V1, 1).unwrap();
        assert!(w.push_with(&conn(false, 0), Some(sip)));
        assert!(w.push(&conn(false, 2)));
        let msg = w.finish().to_vec();
        // Upstream's layout: the entry's size counts both options.
        assert_eq!(&msg[8 + 2..8 + 4], &((36 + 2 + 19 + 2 + 3) as u16).to_be_bytes());
        assert_eq!(&msg[8 + 36..8 + 38], &[OPT_PE_DATA, 19]);
        assert_eq!(&msg[8 + 57..8 + 62], &[OPT_PE_NAME, 3, b's', b'i', b'p']);
        let got: Vec<_> = parse(&msg, 1).unwrap().collect();
        assert_eq!(got, vec![Ok((conn(false, 0), Some(sip))), Ok((conn(false, 2), None))]);
        // Data without a name: an empty name, which no engine has.
        let no_name = with_options(&[OPT_PE_DATA, 1, b'k']);
        let first = parse(&no_name, 1).unwrap().next().unwrap();
        assert_eq!(first, Ok((conn(false, 5), Some(PeOption { name: b"", data: b"k" }))));
        // Version 0 has no room for it.
        let mut w = MessageWriter::new(&mut buf, Version::V0, 1).unwrap();
        assert!(w.push_with(&conn(false, 0), Some(sip)));
        let msg = w.finish().to_vec();
        assert_eq!(parse(&msg, 1).unwrap().next().unwrap().map(|(_, pe)| pe), Ok(None));
    }

    #[test]
    fn a_broken_entry_ends_the_message() {
        let mut buf = [0u8; 200];
        let mut w = MessageWriter::new(&mut buf, Version::V1, 1).unwrap();
        w.push(&conn(false, 1));
        w.push(&conn(false, 2));
        let mut msg = w.finish().to_vec();
        // The first entry claims more bytes than an IPv4 entry has left.
        msg[10..12].copy_from_slice(&200u16.to_be_bytes());
        assert_eq!(conns(&msg, 1), vec![Err(Refused::BadEntry)]);
        // A count beyond the entries there are.
        let mut w = MessageWriter::new(&mut buf, Version::V1, 1).unwrap();
        w.push(&conn(false, 1));
        let mut msg = w.finish().to_vec();
        msg[4] = 2;
        assert_eq!(conns(&msg, 1), vec![Ok(conn(false, 1)), Err(Refused::BadEntry)]);
    }
}
