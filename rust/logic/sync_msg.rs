// SPDX-License-Identifier: GPL-2.0
//! The connection-sync messages a master director multicasts to its
//! backups (thesis §5.2.10), in upstream's version 1 wire format, so our
//! directors and C IPVS directors sync with each other.
//!
//! A message is an 8-byte header (a zero byte, the sync id, the size in
//! bytes, the number of connections, the version 1, two zero bytes) and
//! the connections, each 4-byte aligned: a 24-byte head (type: bit 0 for
//! IPv6; protocol; version (top 4 bits, 0) and size (low 12 bits) of the
//! entry; flags; state; the client, virtual and real server ports; the
//! firewall mark; the timeout in seconds), the client, virtual and real
//! server addresses (4 or 16 bytes each), then optional parameters (type,
//! length, data). All numbers are big-endian.

/// Upstream's multicast group, 224.0.0.81.
pub const SYNC_GROUP_V4: [u8; 4] = [224, 0, 0, 81];
/// Upstream's UDP port.
pub const SYNC_PORT: u16 = 8848;
/// The message header's size.
pub const HEADER: usize = 8;
/// The protocol version.
const VERSION: u8 = 1;
/// The fixed part of a connection entry, addresses aside.
const ENTRY_HEAD: usize = 24;
/// Option types (upstream's `IPVS_OPT_*`); a type with bit 6 set
/// (`IPVS_OPT_F_PARAM`) may be skipped by a receiver that does not know it.
const OPT_SEQ_DATA: u8 = 1;
const OPT_PE_DATA: u8 = 2;
const OPT_PE_NAME: u8 = 3;
const OPT_SKIPPABLE: u8 = 1 << 6;
/// Upstream's `struct ip_vs_sync_conn_options`: two sequence records.
const SEQ_DATA_LEN: usize = 24;

/// Upstream's `sync_threshold` default: a connection is synced at its
/// 3rd packet, then every `SYNC_PERIOD` packets.
pub const SYNC_THRESHOLD: u32 = 3;
/// Upstream's default sync period, in packets.
pub const SYNC_PERIOD: u32 = 50;

/// Whether a master syncs a connection after its `pkts`-th packet from
/// the client (upstream's `ip_vs_sync_conn_needed` without the refresh
/// period, which is off by default). A TCP connection (`tcp`) is synced
/// when it reaches a state other than ESTABLISHED that it was not synced
/// in (`changed`), and in ESTABLISHED and the closing states at the
/// threshold's packets; others only at those packets. `syncable`: TCP
/// state ESTABLISHED, FIN_WAIT, CLOSE, CLOSE_WAIT or TIME_WAIT; `established`:
/// ESTABLISHED.
pub fn needs_sync(tcp: bool, syncable: bool, established: bool, changed: bool, pkts: u32) -> bool {
    if tcp {
        if !syncable {
            return false;
        }
        if changed && !established {
            return true;
        }
    }
    pkts % SYNC_PERIOD == SYNC_THRESHOLD
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
    /// Protocol state (TCP: upstream's state number).
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

/// A message being filled, in a buffer of the sync's maximum length.
pub struct MessageWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
    count: u8,
}

impl<'a> MessageWriter<'a> {
    /// Starts a message of sync id `syncid` in `buf` (at least a header).
    pub fn new(buf: &'a mut [u8], syncid: u8) -> Option<Self> {
        let header = buf.get_mut(..HEADER)?;
        header.copy_from_slice(&[0, syncid, 0, 0, 0, VERSION, 0, 0]);
        Some(Self { buf, len: HEADER, count: 0 })
    }

    /// Goes on with a message begun in `buf` earlier, which holds `len`
    /// bytes and `count` connections so far (see [`Self::progress`]).
    pub fn resume(buf: &'a mut [u8], len: usize, count: u8) -> Self {
        Self { buf, len, count }
    }

    /// Bytes and connections so far.
    pub fn progress(&self) -> (usize, u8) {
        (self.len, self.count)
    }

    /// Adds `conn`; `false` if the message is full.
    pub fn push(&mut self, conn: &SyncConn) -> bool {
        let start = (self.len + 3) & !3;
        let size = conn.size();
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
        self.buf[4] = self.count;
        &self.buf[..self.len]
    }
}

/// Why a received message or entry is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// Not a version 1 message (upstream's older version 0 included).
    NotVersion1,
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
/// follows it cannot be found either).
pub fn parse(msg: &[u8], syncid: u8) -> Result<Entries<'_>, Refused> {
    if msg.len() < HEADER || msg[0] != 0 || msg[5] != VERSION || msg[6..8] != [0, 0] {
        return Err(Refused::NotVersion1);
    }
    if usize::from(u16::from_be_bytes([msg[2], msg[3]])) != msg.len() {
        return Err(Refused::SizeMismatch);
    }
    if syncid != 0 && msg[1] != syncid {
        return Err(Refused::OtherSyncId);
    }
    Ok(Entries { rest: &msg[HEADER..], left: msg[4] })
}

/// The entries of a message (see [`parse`]).
pub struct Entries<'a> {
    rest: &'a [u8],
    left: u8,
}

impl Iterator for Entries<'_> {
    type Item = Result<SyncConn, Refused>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let entry = read_entry(self.rest);
        match entry {
            Ok((conn, used)) => {
                // The next entry starts 4-byte aligned.
                self.rest = self.rest.get((used + 3) & !3..).unwrap_or(&[]);
                Some(Ok(conn))
            }
            Err(why) => {
                self.left = 0;
                Some(Err(why))
            }
        }
    }
}

/// One entry at the start of `bytes`: the connection and the bytes it
/// takes, options included.
fn read_entry(bytes: &[u8]) -> Result<(SyncConn, usize), Refused> {
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
    check_options(&bytes[ENTRY_HEAD + 3 * n..size])?;
    Ok((conn, size))
}

/// The options after an entry's addresses: each whole; sequence data of
/// its length; persistence-engine data and names are read past (no
/// engine is implemented), unknown ones only if skippable.
fn check_options(mut opts: &[u8]) -> Result<(), Refused> {
    while !opts.is_empty() {
        let [kind, len, ..] = *opts else { return Err(Refused::BadEntry) };
        let len = usize::from(len);
        if len == 0 || 2 + len > opts.len() {
            return Err(Refused::BadEntry);
        }
        match kind & !OPT_SKIPPABLE {
            OPT_SEQ_DATA if len != SEQ_DATA_LEN => return Err(Refused::BadEntry),
            OPT_SEQ_DATA | OPT_PE_DATA | OPT_PE_NAME => {}
            _ if kind & OPT_SKIPPABLE == 0 => return Err(Refused::UnknownOption),
            _ => {}
        }
        opts = &opts[2 + len..];
    }
    Ok(())
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

    #[test]
    fn syncs_at_the_threshold_and_on_closing() {
        let synced: Vec<u32> = (1..=110).filter(|&p| needs_sync(false, false, false, false, p)).collect();
        assert_eq!(synced, vec![3, 53, 103], "UDP by packets");
        assert!(!needs_sync(true, false, false, true, 3), "TCP handshake states never");
        assert!(needs_sync(true, true, true, false, 53));
        assert!(!needs_sync(true, true, true, true, 4), "ESTABLISHED waits for its packets");
        assert!(needs_sync(true, true, false, true, 4), "FIN_WAIT and the rest at once");
        assert!(!needs_sync(true, true, false, false, 4), "once");
    }

    #[test]
    fn writes_upstreams_layout() {
        let mut buf = [0xaau8; 100];
        let mut w = MessageWriter::new(&mut buf, 7).unwrap();
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
        let mut w = MessageWriter::new(&mut buf, 3).unwrap();
        assert!(w.push(&conn(false, 1)));
        assert!(w.push(&conn(true, 2)));
        assert!(w.push(&conn(false, 3)));
        let (len, count) = w.progress();
        let mut w = MessageWriter::resume(&mut buf, len, count);
        assert!(!w.push(&conn(false, 4)), "no room left");
        assert_eq!(w.count(), 3);
        let msg = w.finish().to_vec();
        let got: Vec<_> = parse(&msg, 3).unwrap().collect();
        assert_eq!(got, vec![Ok(conn(false, 1)), Ok(conn(true, 2)), Ok(conn(false, 3))]);
        assert_eq!(parse(&msg, 0).unwrap().count(), 3, "sync id 0 takes any");
        assert_eq!(parse(&msg, 4).err(), Some(Refused::OtherSyncId));
        assert_eq!(parse(&msg[..msg.len() - 1], 3).err(), Some(Refused::SizeMismatch));
        let mut v0 = msg.clone();
        v0[0] = 3;
        assert_eq!(parse(&v0, 3).err(), Some(Refused::NotVersion1));
    }

    /// A message with one IPv4 entry followed by `opts` (the entry's
    /// size counts them).
    fn with_options(opts: &[u8]) -> Vec<u8> {
        let mut buf = [0u8; 200];
        let mut w = MessageWriter::new(&mut buf, 1).unwrap();
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

    #[test]
    fn reads_past_options_it_may_and_refuses_the_rest() {
        let mut seq = vec![OPT_SEQ_DATA, 24];
        seq.extend_from_slice(&[0; 24]);
        let first = |m: &[u8]| parse(m, 1).unwrap().next().unwrap();
        assert_eq!(first(&with_options(&seq)), Ok(conn(false, 5)));
        assert_eq!(first(&with_options(&[OPT_PE_NAME, 3, b's', b'i', b'p'])), Ok(conn(false, 5)));
        assert_eq!(first(&with_options(&[OPT_SKIPPABLE | 9, 1, 0])), Ok(conn(false, 5)));
        assert_eq!(first(&with_options(&[9, 1, 0])), Err(Refused::UnknownOption));
        assert_eq!(first(&with_options(&[OPT_SEQ_DATA, 4, 0, 0, 0, 0])), Err(Refused::BadEntry));
        assert_eq!(first(&with_options(&[OPT_PE_DATA, 0])), Err(Refused::BadEntry));
        assert_eq!(first(&with_options(&[OPT_PE_DATA, 9, 1])), Err(Refused::BadEntry));
    }

    #[test]
    fn a_broken_entry_ends_the_message() {
        let mut buf = [0u8; 200];
        let mut w = MessageWriter::new(&mut buf, 1).unwrap();
        w.push(&conn(false, 1));
        w.push(&conn(false, 2));
        let mut msg = w.finish().to_vec();
        // The first entry claims more bytes than an IPv4 entry has left.
        msg[10..12].copy_from_slice(&200u16.to_be_bytes());
        let got: Vec<_> = parse(&msg, 1).unwrap().collect();
        assert_eq!(got, vec![Err(Refused::BadEntry)]);
        // A count beyond the entries there are.
        let mut w = MessageWriter::new(&mut buf, 1).unwrap();
        w.push(&conn(false, 1));
        let mut msg = w.finish().to_vec();
        msg[4] = 2;
        let got: Vec<_> = parse(&msg, 1).unwrap().collect();
        assert_eq!(got, vec![Ok(conn(false, 1)), Err(Refused::BadEntry)]);
    }
}
