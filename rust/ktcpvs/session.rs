// SPDX-License-Identifier: GPL-2.0
//! One client connection through the switch (thesis §6.4, figure 6.6,
//! and §6.5 for HTTP/1.1): each request is read, scheduled by its target
//! on its own, sent to its server (over an idle connection to it if the
//! thread has one) and answered in order; the connection then waits for
//! the next request, which may already be buffered (pipelining).
//!
//! Every step is non-blocking: [`Session::step`] does what the sockets
//! allow now and returns; the thread calls it again when either socket
//! has news.

use crate::http::{self, BodyLeft, Limits, Parsed, ParsedResponse, Refusal};
use crate::kbind::netns::NetRef;
use crate::kbind::tcp::{Addr, Events, TcpStream, Watched};
use crate::kbind::timer;
use crate::pool::IdlePool;
use crate::sched::{self, SchedScratch};
use crate::service::{ServerLoad, Shared};
use core::sync::atomic::Ordering;
use kernel::prelude::*;
use kernel::sync::Arc;

/// Bytes buffered each way.
const PIPE_SIZE: usize = 16384;
/// Seconds a client may take to send a request head (nginx's default
/// `client_header_timeout`).
const CLIENT_TIMEOUT: u32 = 60;
/// Seconds more a client that has sent nothing yet may wait: a new
/// connection, or a keep-alive one between requests. Idle connections
/// cost a slot only; a busy client may be slow to write its request.
const IDLE_EXTRA: u32 = 60;
/// Seconds a refused client is read from before its connection closes.
const LINGER: u32 = 2;
/// Seconds a server may take to accept a connection; then it counts as
/// failed and the request goes to another (a server whose SYNs vanish
/// would otherwise hold it for the kernel's two minutes of retries).
const CONNECT_TIMEOUT: u32 = 10;
/// Seconds a server that owes bytes may stay silent: the client then
/// gets 504 if nothing of the response has reached it, else its
/// connection is reset. Twice nginx's `proxy_read_timeout`: python
/// servers with 1,000 clients on one emulated CPU took over a minute to
/// answer some, and a slow answer is still better than none.
const SERVER_TIMEOUT: u32 = 120;
/// Longest method kept (for the response's framing and retries).
const METHOD_MAX: usize = 16;

/// Bytes in flight one way: read from one socket, not yet sent to the
/// other. Bytes sent may be kept (`kept..start`) to send again to
/// another server.
struct Pipe {
    buf: KVec<u8>,
    kept: usize,
    start: usize,
    end: usize,
}

impl Pipe {
    fn new() -> Result<Self> {
        Ok(Self { buf: KVec::from_elem(0, PIPE_SIZE, GFP_KERNEL)?, kept: 0, start: 0, end: 0 })
    }

    /// Bytes not yet sent.
    fn data(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    fn is_empty(&self) -> bool {
        self.start == self.end
    }

    fn is_full(&self) -> bool {
        self.end == self.buf.len() && self.kept == 0
    }

    /// Room at the end, after moving what is kept to the front.
    fn room(&mut self) -> &mut [u8] {
        if self.kept > 0 && self.end == self.buf.len() {
            self.buf.copy_within(self.kept..self.end, 0);
            self.start -= self.kept;
            self.end -= self.kept;
            self.kept = 0;
        }
        &mut self.buf[self.end..]
    }

    fn filled(&mut self, n: usize) {
        self.end += n;
    }

    /// Reads from `from` into the room left, if any: whether bytes came
    /// (`*eof` is set at the end of the stream). A socket with nothing
    /// to read is not read: what arrives later wakes the thread again.
    fn read_from(&mut self, from: &TcpStream, eof: &mut bool) -> Result<bool> {
        if self.room().is_empty() || !from.is_readable() {
            return Ok(false);
        }
        match from.recv(self.room())? {
            Some(0) => *eof = true,
            Some(n) => {
                self.filled(n);
                return Ok(true);
            }
            None => {}
        }
        Ok(false)
    }

    /// Sends up to `len` of the unsent bytes to `to`: how many went
    /// (they stay kept if `keep`).
    fn write_to(&mut self, to: &TcpStream, len: usize, keep: bool) -> Result<usize> {
        if len == 0 {
            return Ok(0);
        }
        let n = to.send(&self.data()[..len], false)?.unwrap_or(0);
        self.sent(n, keep);
        Ok(n)
    }

    /// `n` bytes were sent; they stay kept if `keep`.
    fn sent(&mut self, n: usize, keep: bool) {
        self.start += n;
        if !keep {
            self.forget();
        }
    }

    /// Bytes sent and kept.
    fn kept_len(&self) -> usize {
        self.start - self.kept
    }

    /// Drops the bytes kept.
    fn forget(&mut self) {
        self.kept = self.start;
        if self.start == self.end {
            self.kept = 0;
            self.start = 0;
            self.end = 0;
        }
    }

    /// Makes the kept bytes unsent again.
    fn rewind(&mut self) {
        self.start = self.kept;
    }

    /// Replaces the contents with `bytes` (an error response).
    fn set(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(self.buf.len());
        self.buf[..n].copy_from_slice(&bytes[..n]);
        self.kept = 0;
        self.start = 0;
        self.end = n;
    }
}

/// Where a session is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for a request head.
    Request,
    /// Connecting to the chosen server.
    Connecting,
    /// Sending the request, relaying the response.
    Exchange,
    /// After a protocol switch (101): relaying both ways, as bytes.
    Tunnel,
    /// Sending an error response, then closing.
    Refusing,
    /// After an error response: reading what the client still sends
    /// until it closes (or [`LINGER`] passes), so that closing does not
    /// reset the connection before the client has read the response.
    Lingering,
}

/// Whether a session goes on after a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Waiting for its sockets.
    Open,
    /// Finished: drop it.
    Done,
}

/// The real server of the request in progress, counted in its load.
struct Chosen {
    addr: Addr,
    load: Arc<ServerLoad>,
    /// Reached over a new connection (an idle one that turns out closed
    /// is no failure of the server's).
    fresh: bool,
}

impl Drop for Chosen {
    fn drop(&mut self) {
        self.load.conns.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The service-wide count of open client connections, held per client.
pub(crate) struct ClientSlot(Arc<Shared>);

impl ClientSlot {
    /// Counts a client in, unless the service has `maxclients` already.
    pub(crate) fn take(shared: &Arc<Shared>) -> Option<Self> {
        let max = shared.maxclients.load(Ordering::Relaxed);
        let taken = shared.clients.fetch_update(Ordering::AcqRel, Ordering::Relaxed, |n| (n < max).then_some(n + 1));
        taken.is_ok().then(|| Self(shared.clone()))
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        self.0.clients.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What a step needs from its thread.
pub(crate) struct Context<'a, 'e> {
    /// The namespace to connect in.
    pub(crate) net: NetRef,
    /// The service.
    pub(crate) shared: &'a Arc<Shared>,
    /// The thread's event set.
    pub(crate) events: &'e Events,
    /// The thread's scheduling memory.
    pub(crate) scratch: &'a mut SchedScratch,
    /// The thread's idle server connections.
    pub(crate) idle: &'a mut IdlePool,
}

/// The request in progress.
struct Request {
    method: [u8; METHOD_MAX],
    method_len: usize,
    /// The client wants the connection kept after the response.
    keep_alive: bool,
    /// Bytes at the front of the unsent client bytes that belong to
    /// this request (head, then body as far as read).
    ready: usize,
    /// The rest of its body.
    body: BodyLeft,
    /// Every byte sent so far is still kept: it can go to another
    /// server if this one fails before answering.
    replayable: bool,
    /// Servers that failed it (idle connections found closed do not
    /// count: the pool holds a bounded number).
    attempts: usize,
}

impl Request {
    fn method(&self) -> &[u8] {
        &self.method[..self.method_len]
    }

    /// All of it has been sent.
    fn sent(&self) -> bool {
        self.ready == 0 && self.body.done()
    }
}

/// The response in progress.
struct Response {
    /// Bytes at the front of the unsent server bytes that belong to it.
    ready: usize,
    /// The rest of its body.
    body: BodyLeft,
    /// The server may take another request on the connection.
    keep_alive: bool,
    /// An interim (1xx) response: the final one follows.
    interim: bool,
    /// 101: the connection leaves HTTP after it.
    switching: bool,
}

/// One client connection. Field order is drop order: the server side
/// (and its count) goes first.
pub(crate) struct Session<'e> {
    server: Option<Watched<'e, TcpStream>>,
    chosen: Option<Chosen>,
    client: Watched<'e, TcpStream>,
    _client_slot: ClientSlot,
    slot: usize,
    phase: Phase,
    /// Client to server.
    up: Pipe,
    /// Server to client.
    down: Pipe,
    client_eof: bool,
    server_eof: bool,
    server_shut: bool,
    request: Option<Request>,
    response: Option<Response>,
    /// When (jiffies) the side the session waits for has taken too
    /// long: the client's head, the server's accept or its next bytes.
    deadline: u32,
}

impl<'e> Session<'e> {
    /// A session for an accepted client, watched in `slot` of `events`.
    pub(crate) fn new(client: TcpStream, client_slot: ClientSlot, events: &'e Events, slot: usize) -> Result<Self> {
        Ok(Self {
            server: None,
            chosen: None,
            client: Watched::new(client, events, slot)?,
            _client_slot: client_slot,
            slot,
            phase: Phase::Request,
            up: Pipe::new()?,
            down: Pipe::new()?,
            client_eof: false,
            server_eof: false,
            server_shut: false,
            request: None,
            response: None,
            deadline: deadline_in(CLIENT_TIMEOUT),
        })
    }

    /// Does what the sockets allow now.
    pub(crate) fn step(&mut self, cx: &mut Context<'_, 'e>) -> Step {
        loop {
            let phase = self.phase;
            let result = match phase {
                Phase::Request => self.read_request(cx),
                Phase::Connecting => self.connecting(cx),
                Phase::Exchange => self.exchange(cx),
                Phase::Tunnel => self.tunnel(),
                Phase::Refusing => self.refusing(),
                Phase::Lingering => self.lingering(),
            };
            match result {
                // A response ended: the next request may be buffered.
                Ok(Step::Open) if self.phase != phase => continue,
                result => return self.settle(result),
            }
        }
    }

    /// A step's outcome: an error resets the client's connection.
    fn settle(&mut self, result: Result<Step>) -> Step {
        result.unwrap_or_else(|_| {
            self.client.set_abort_on_close();
            Step::Done
        })
    }

    /// Called about once a second: a client that has not sent a whole
    /// request head in time is answered 408 (slow clients cannot hold
    /// connections for ever), one idle for longer is closed; a server
    /// that does not accept in time is counted failed and another tried,
    /// one silent for too long while it owes a response gets a 504.
    /// Tunnels have no timeout: their silence may be the protocol's.
    pub(crate) fn check_timeout(&mut self, cx: &mut Context<'_, 'e>) -> Step {
        let idle = self.phase == Phase::Request && self.up.is_empty();
        let extra = if idle { IDLE_EXTRA } else { 0 };
        if self.phase == Phase::Tunnel || !passed(self.deadline.wrapping_add(seconds(extra))) {
            return Step::Open;
        }
        if matches!(self.phase, Phase::Connecting | Phase::Exchange) {
            // A last look at the sockets: news the thread has not had
            // yet moves the deadline.
            if self.step(cx) == Step::Done {
                return Step::Done;
            }
            if !passed(self.deadline) {
                return Step::Open;
            }
        }
        let result = match self.phase {
            Phase::Request if idle => {
                self.client.shutdown_write();
                Ok(Step::Done)
            }
            Phase::Request => self.refuse(408),
            Phase::Connecting => self.connect_failed(cx),
            Phase::Exchange => self.exchange_timed_out(),
            // A client that does not read its error response.
            Phase::Refusing => Err(EIO),
            Phase::Tunnel | Phase::Lingering => Ok(Step::Done),
        };
        self.settle(result)
    }

    fn read_request(&mut self, cx: &mut Context<'_, 'e>) -> Result<Step> {
        while !self.client_eof && !self.up.is_full() && self.up.read_from(&self.client, &mut self.client_eof)? {}
        let request = match http::parse_head(self.up.data(), &Limits::DEFAULT) {
            Parsed::Partial if self.up.is_full() => return self.refuse(Refusal::HeadTooLarge as u16),
            // A client that closes between requests is done; one that
            // closes mid-head too.
            Parsed::Partial if self.client_eof => return Ok(Step::Done),
            Parsed::Partial => return Ok(Step::Open),
            Parsed::Refused(why) => return self.refuse(why as u16),
            Parsed::Head(head) => {
                let mut method = [0u8; METHOD_MAX];
                let Some(dst) = method.get_mut(..head.method.len()) else {
                    return self.refuse(Refusal::NotImplemented as u16);
                };
                dst.copy_from_slice(head.method);
                Request {
                    method,
                    method_len: head.method.len(),
                    keep_alive: head.keep_alive && !head.upgrade,
                    ready: head.len,
                    body: BodyLeft::of_request(head.body),
                    replayable: true,
                    attempts: 0,
                }
            }
        };
        self.up.forget();
        self.request = Some(request);
        self.response = None;
        self.dispatch(cx)
    }

    /// Chooses a server for the request and gets a connection to it: an
    /// idle one of the thread's, or a new one. A server that cannot be
    /// reached is taken out and another chosen.
    fn dispatch(&mut self, cx: &mut Context<'_, 'e>) -> Result<Step> {
        let config = cx.shared.config();
        loop {
            let Some(request) = &mut self.request else { return Ok(Step::Done) };
            if request.attempts > config.servers.len() {
                break;
            }
            let Parsed::Head(head) = http::parse_head(self.up.data(), &Limits::DEFAULT) else { break };
            // Servers that failed a moment ago are tried again before
            // the client is refused: under a burst of connects, failures
            // may be the moment's, not the servers'.
            let index = match sched::schedule(&config, cx.shared, head.target, false, cx.scratch)? {
                Some(index) => index,
                None => match sched::schedule(&config, cx.shared, head.target, true, cx.scratch)? {
                    Some(index) => index,
                    None => break,
                },
            };
            let server = &config.servers[index];
            let (stream, reused) = match cx.idle.take(server.addr) {
                Some(stream) => (stream, true),
                None => match TcpStream::connect(cx.net.net(), server.addr) {
                    Ok(stream) => (stream, false),
                    Err(_) => {
                        server.load.failed();
                        request.attempts += 1;
                        continue;
                    }
                },
            };
            server.load.conns.fetch_add(1, Ordering::Relaxed);
            self.chosen = Some(Chosen { addr: server.addr, load: server.load.clone(), fresh: !reused });
            self.server = Some(Watched::new(stream, cx.events, self.slot)?);
            self.server_eof = false;
            self.server_shut = false;
            if reused {
                self.phase = Phase::Exchange;
                self.deadline = deadline_in(SERVER_TIMEOUT);
                return self.exchange(cx);
            }
            self.phase = Phase::Connecting;
            self.deadline = deadline_in(CONNECT_TIMEOUT);
            return self.connecting(cx);
        }
        self.refuse(503)
    }

    fn connecting(&mut self, cx: &mut Context<'_, 'e>) -> Result<Step> {
        let (Some(server), Some(chosen)) = (&self.server, &self.chosen) else { return Ok(Step::Done) };
        match server.status() {
            Ok(false) => Ok(Step::Open),
            Ok(true) => {
                chosen.load.answered();
                self.phase = Phase::Exchange;
                self.deadline = deadline_in(SERVER_TIMEOUT);
                self.exchange(cx)
            }
            Err(_) => self.connect_failed(cx),
        }
    }

    /// The connection to the chosen server failed or timed out: it is
    /// backed off and the request, of which nothing was sent, goes to
    /// another.
    fn connect_failed(&mut self, cx: &mut Context<'_, 'e>) -> Result<Step> {
        if let Some(chosen) = &self.chosen {
            chosen.load.failed();
        }
        self.drop_server();
        if let Some(request) = &mut self.request {
            request.attempts += 1;
        }
        self.dispatch(cx)
    }

    /// Nothing moved for [`SERVER_TIMEOUT`] while a response was owed.
    fn exchange_timed_out(&mut self) -> Result<Step> {
        let Some(request) = &self.request else { return Err(EIO) };
        if self.response.is_some() {
            // Part of the response may have reached the client: only a
            // reset tells it the response is cut. (Without a response, at
            // most part of its head is buffered: nothing was relayed.)
            return Err(EIO);
        }
        if request.ready == 0 && !request.sent() {
            // The server has all the client sent; the client stopped
            // mid-body.
            return self.refuse(408);
        }
        if let Some(chosen) = &self.chosen {
            chosen.load.failed();
        }
        self.refuse(504)
    }

    fn drop_server(&mut self) {
        self.server = None;
        self.chosen = None;
    }

    /// Sends the request and relays its response, as far as the sockets
    /// allow; at the response's end, the next request.
    fn exchange(&mut self, cx: &mut Context<'_, 'e>) -> Result<Step> {
        loop {
            let moved = self.pump()?;
            if let Some(step) = self.response_end(cx)? {
                return Ok(step);
            }
            if self.server_eof && (self.down.is_empty() || self.response.is_none()) {
                return self.server_closed(cx);
            }
            if !moved {
                return Ok(Step::Open);
            }
            self.deadline = deadline_in(SERVER_TIMEOUT);
        }
    }

    /// One round of reads and writes both ways; whether anything moved.
    fn pump(&mut self) -> Result<bool> {
        let (Some(server), Some(request)) = (&self.server, &mut self.request) else { return Err(EINVAL) };
        let mut moved = false;
        // Client to server: read ahead (a pipelined request waits in the
        // buffer), send what belongs to this request.
        if !self.client_eof {
            if request.replayable && self.up.room().is_empty() && self.up.kept_len() > 0 {
                // A body larger than the buffer: no retry for it.
                request.replayable = false;
                self.up.forget();
            }
            moved |= self.up.read_from(&self.client, &mut self.client_eof)?;
        }
        if !request.body.done() {
            let unread = &self.up.data()[request.ready..];
            request.ready += request.body.take(unread).map_err(|_| EINVAL)?;
        }
        if request.ready > 0 && !self.server_eof {
            // A server that fails is handled as one that closed (see
            // `server_closed`): its error is no reason to reset the client.
            match self.up.write_to(server, request.ready, request.replayable) {
                Ok(n) => {
                    request.ready -= n;
                    moved |= n > 0;
                }
                Err(_) => self.server_eof = true,
            }
        }
        if self.client_eof && !request.body.done() {
            // The client went away mid-request.
            return Err(EIO);
        }
        // Server to client.
        if !self.server_eof {
            match self.down.read_from(server, &mut self.server_eof) {
                Ok(true) => {
                    moved = true;
                    // The server answered: the request is its now.
                    request.replayable = false;
                    self.up.forget();
                }
                Ok(false) => {}
                Err(_) => self.server_eof = true,
            }
        }
        if self.response.is_none() && !self.down.is_empty() {
            self.response = match http::parse_response_head(self.down.data(), request.method(), &Limits::DEFAULT) {
                ParsedResponse::Partial => None,
                ParsedResponse::Bad => return Err(EIO),
                ParsedResponse::Head(head) => Some(Response {
                    ready: head.len,
                    body: if head.is_interim() { BodyLeft::Length(0) } else { BodyLeft::of_response(head.body) },
                    keep_alive: head.keep_alive,
                    interim: head.is_interim(),
                    switching: head.status == 101,
                }),
            };
        }
        if let Some(response) = &mut self.response {
            if !response.body.done() {
                let unread = &self.down.data()[response.ready..];
                response.ready += response.body.take(unread).map_err(|_| EIO)?;
            }
            if response.ready > 0 {
                let n = self.down.write_to(&self.client, response.ready, false)?;
                response.ready -= n;
                moved |= n > 0;
            }
        }
        Ok(moved)
    }

    /// At a response's end: the next step, if there is one to take.
    fn response_end(&mut self, cx: &mut Context<'_, 'e>) -> Result<Option<Step>> {
        let Some(response) = &self.response else { return Ok(None) };
        if response.ready > 0 || !response.body.done() {
            return Ok(None);
        }
        if response.interim {
            self.response = None;
            return Ok(None);
        }
        if response.switching {
            self.phase = Phase::Tunnel;
            return self.tunnel().map(Some);
        }
        let Some(request) = self.request.take() else { return Err(EINVAL) };
        // The request went to the server as the client sent it: a
        // `Connection: close` in either closes the server's side too.
        let reusable = response.keep_alive && request.keep_alive && request.sent() && self.down.is_empty() && !self.server_eof;
        self.response = None;
        let server = self.server.take();
        let chosen = self.chosen.take();
        if let (true, Some(server), Some(chosen)) = (reusable, server, &chosen) {
            cx.idle.put(chosen.addr, server.into_inner());
        }
        if !request.sent() || !request.keep_alive {
            // An answer before the whole request (an early error), or a
            // client that asked to close: close after the response.
            self.client.shutdown_write();
            return Ok(Some(Step::Done));
        }
        self.phase = Phase::Request;
        self.deadline = deadline_in(CLIENT_TIMEOUT);
        Ok(Some(Step::Open))
    }

    /// The server closed its side (or failed) with everything it sent
    /// relayed, or before a whole response head.
    fn server_closed(&mut self, cx: &mut Context<'_, 'e>) -> Result<Step> {
        if let Some(response) = &self.response {
            if matches!(response.body, BodyLeft::UntilClose) && response.ready == 0 {
                // A body that ends with the connection: complete.
                self.client.shutdown_write();
                return Ok(Step::Done);
            }
            return Err(EIO);
        }
        // No answer at all: the request goes elsewhere if it can be sent
        // again, and this server was reached over a new connection only
        // if it really failed (an idle one may just have timed out).
        let Some(request) = &mut self.request else { return Err(EINVAL) };
        let sent = self.up.kept_len();
        if !request.replayable || !(sent == 0 || http::is_idempotent(request.method())) {
            return self.refuse(502);
        }
        self.up.rewind();
        request.ready += sent;
        if let Some(chosen) = self.chosen.as_ref().filter(|c| c.fresh) {
            chosen.load.failed();
            request.attempts += 1;
        }
        self.drop_server();
        self.dispatch(cx)
    }

    /// Relays both ways, as bytes, until the server is done.
    fn tunnel(&mut self) -> Result<Step> {
        let Some(server) = &self.server else { return Ok(Step::Done) };
        loop {
            let mut moved = false;
            if !self.client_eof {
                moved |= self.up.read_from(&self.client, &mut self.client_eof)?;
            }
            moved |= self.up.write_to(server, self.up.data().len(), false)? > 0;
            if self.client_eof && self.up.is_empty() && !self.server_shut {
                server.shutdown_write();
                self.server_shut = true;
            }
            if !self.server_eof {
                moved |= self.down.read_from(server, &mut self.server_eof)?;
            }
            moved |= self.down.write_to(&self.client, self.down.data().len(), false)? > 0;
            if self.server_eof && self.down.is_empty() {
                self.client.shutdown_write();
                return Ok(Step::Done);
            }
            if !moved {
                return Ok(Step::Open);
            }
        }
    }

    /// Answers `status` and closes.
    fn refuse(&mut self, status: u16) -> Result<Step> {
        let reason = match status {
            400 => "Bad Request",
            408 => "Request Timeout",
            431 => "Request Header Fields Too Large",
            501 => "Not Implemented",
            502 => "Bad Gateway",
            504 => "Gateway Timeout",
            505 => "HTTP Version Not Supported",
            _ => "Service Unavailable",
        };
        let mut head = [0u8; 128];
        let mut w = Writer { buf: &mut head, len: 0 };
        let _ = core::fmt::write(
            &mut w,
            format_args!("HTTP/1.1 {} {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status, reason),
        );
        let len = w.len;
        self.drop_server();
        self.down.set(&head[..len]);
        self.phase = Phase::Refusing;
        self.deadline = deadline_in(CLIENT_TIMEOUT);
        self.refusing()
    }

    fn refusing(&mut self) -> Result<Step> {
        while !self.down.is_empty() {
            match self.client.send(self.down.data(), false)? {
                Some(n) => self.down.sent(n, false),
                None => return Ok(Step::Open),
            }
        }
        self.client.shutdown_write();
        self.phase = Phase::Lingering;
        self.deadline = deadline_in(LINGER);
        self.lingering()
    }

    fn lingering(&mut self) -> Result<Step> {
        loop {
            self.up.set(&[]);
            match self.client.recv(self.up.room())? {
                None => return Ok(Step::Open),
                Some(0) => return Ok(Step::Done),
                Some(_) => {}
            }
        }
    }
}

/// `secs` seconds in jiffies.
fn seconds(secs: u32) -> u32 {
    secs.saturating_mul(timer::hz() as u32)
}

/// The jiffies `secs` seconds from now.
fn deadline_in(secs: u32) -> u32 {
    timer::jiffies().wrapping_add(seconds(secs))
}

/// Whether the jiffies `deadline` has passed.
fn passed(deadline: u32) -> bool {
    (timer::jiffies().wrapping_sub(deadline) as i32) >= 0
}

/// `core::fmt` into a byte buffer, cut at its end.
struct Writer<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl core::fmt::Write for Writer<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}
