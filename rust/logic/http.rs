// SPDX-License-Identifier: GPL-2.0
//! HTTP/1.x request and response heads and message bodies, as KTCPVS's
//! content switch reads them (thesis §6.5; RFC 9112): enough to schedule
//! each request of a keep-alive connection on its own, to know where each
//! request's and response's body ends and whether the connections stay,
//! strict where leniency lets one request hide in another (smuggling),
//! and bounded: a head longer than its limit, or with too many fields,
//! is refused without reading further.

/// Limits on a request head.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Longest head (request line, fields, blank line), in bytes.
    pub max_head: usize,
    /// Most header fields.
    pub max_fields: usize,
}

impl Limits {
    /// 8 KiB and 100 fields, as common servers allow.
    pub const DEFAULT: Limits = Limits { max_head: 8192, max_fields: 100 };
}

/// Why a request is refused: the status to answer with before closing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// 400: malformed.
    BadRequest = 400,
    /// 431: the head is too long or has too many fields.
    HeadTooLarge = 431,
    /// 501: a transfer coding other than chunked.
    NotImplemented = 501,
    /// 505: not HTTP/1.x.
    VersionNotSupported = 505,
}

/// HTTP/1.0 or HTTP/1.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// HTTP/1.0: the connection closes unless keep-alive is asked.
    Http10,
    /// HTTP/1.1: the connection stays unless close is asked.
    Http11,
}

/// How the body of a request is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// No body.
    None,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunked: [`Chunked`] finds its end.
    Chunked,
}

/// A parsed request head; slices point into the bytes parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head<'a> {
    /// The method (a token).
    pub method: &'a [u8],
    /// The path and query the request is for: its origin-form target,
    /// or the path of an absolute-form one (`http://host/path`), or `*`
    /// (OPTIONS only).
    pub target: &'a [u8],
    /// The protocol version.
    pub version: Version,
    /// The host it is for: an absolute-form target's authority, else
    /// the Host field's value (RFC 9112 §3.2.2).
    pub host: Option<&'a [u8]>,
    /// How its body is delimited.
    pub body: Body,
    /// Whether the connection stays open after the response.
    pub keep_alive: bool,
    /// Whether the client asks to switch protocols (`Connection: upgrade`
    /// with `Upgrade`): after a 101 the connection no longer carries
    /// HTTP requests, and must stay with one server.
    pub upgrade: bool,
    /// Bytes of the head, blank line included: the body starts there.
    pub len: usize,
}

/// What the bytes received so far hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parsed<'a> {
    /// A whole head.
    Head(Head<'a>),
    /// Not yet a whole head: read more.
    Partial,
    /// A head that must be refused.
    Refused(Refusal),
}

/// RFC 9110 `tchar`: what tokens (methods, field names) are made of.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Field values may hold visible bytes, blanks and obs-text.
fn is_field_byte(b: u8) -> bool {
    b == b'\t' || b == b' ' || b.is_ascii_graphic() || b >= 0x80
}

fn trim(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

/// The comma-separated elements of a field value, trimmed, empty ones
/// skipped.
fn elements(v: &[u8]) -> impl Iterator<Item = &[u8]> {
    v.split(|&b| b == b',').map(trim).filter(|e| !e.is_empty())
}

/// A decimal number without sign or blanks, as Content-Length has.
fn decimal(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 19 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(v.iter().fold(0, |n, &d| n * 10 + u64::from(d - b'0')))
}

/// Reads a request head from the start of `buf`.
pub fn parse_head<'a>(buf: &'a [u8], limits: &Limits) -> Parsed<'a> {
    // A client may send blank lines before a request (RFC 9112 §2.2).
    let mut at = 0;
    while buf[at..].starts_with(b"\r\n") {
        at += 2;
    }
    let Some(end) = find_head_end(&buf[at..]) else {
        return if buf.len() > limits.max_head { Parsed::Refused(Refusal::HeadTooLarge) } else { Parsed::Partial };
    };
    let len = at + end;
    if len > limits.max_head {
        return Parsed::Refused(Refusal::HeadTooLarge);
    }
    match parse_complete(&buf[at..len], limits) {
        Ok(mut head) => {
            head.len = len;
            Parsed::Head(head)
        }
        Err(refusal) => Parsed::Refused(refusal),
    }
}

/// Where the blank line ending the head ends, if it is there.
fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

/// Parses a whole head (up to and with its blank line).
fn parse_complete<'a>(head: &'a [u8], limits: &Limits) -> Result<Head<'a>, Refusal> {
    // Every line, the request line's too, ends in CRLF: without the
    // blank line's CRLF and the last LF, the lines split at LF each end
    // in CR (a bare LF leaves one that does not).
    let mut lines = head[..head.len() - 3].split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r"));
    let request_line = lines.next().flatten().ok_or(Refusal::BadRequest)?;
    let mut parts = request_line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refusal::BadRequest);
    };
    if method.is_empty() || !method.iter().all(|&b| is_tchar(b)) {
        return Err(Refusal::BadRequest);
    }
    if !target.iter().all(u8::is_ascii_graphic) {
        return Err(Refusal::BadRequest);
    }
    let (target, authority) = split_target(method, target)?;
    let version = match version {
        b"HTTP/1.1" => Version::Http11,
        b"HTTP/1.0" => Version::Http10,
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor] if major.is_ascii_digit() && minor.is_ascii_digit() => {
            return Err(Refusal::VersionNotSupported)
        }
        _ => return Err(Refusal::BadRequest),
    };

    let mut host = None;
    let mut hosts = 0;
    let mut length: Option<u64> = None;
    let mut chunked = None;
    let mut close = false;
    let mut keep_alive_asked = false;
    let mut upgrade_asked = false;
    let mut upgrade_field = false;
    let mut fields = 0;
    for line in lines {
        let line = line.ok_or(Refusal::BadRequest)?;
        fields += 1;
        if fields > limits.max_fields {
            return Err(Refusal::HeadTooLarge);
        }
        let colon = line.iter().position(|&b| b == b':').ok_or(Refusal::BadRequest)?;
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        // No blank before the colon, no folded lines (RFC 9112 §5).
        if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
            return Err(Refusal::BadRequest);
        }
        if !value.iter().all(|&b| is_field_byte(b)) {
            return Err(Refusal::BadRequest);
        }
        let value = trim(value);
        if name.eq_ignore_ascii_case(b"host") {
            hosts += 1;
            host = Some(value);
        } else if name.eq_ignore_ascii_case(b"content-length") {
            // "5, 5" is one length said twice; differing ones are not.
            for element in value.split(|&b| b == b',').map(trim) {
                let n = decimal(element).ok_or(Refusal::BadRequest)?;
                if length.is_some_and(|l| l != n) {
                    return Err(Refusal::BadRequest);
                }
                length = Some(n);
            }
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            for coding in elements(value) {
                if chunked == Some(true) {
                    // Nothing may follow chunked.
                    return Err(Refusal::BadRequest);
                }
                chunked = Some(coding.eq_ignore_ascii_case(b"chunked"));
            }
            if chunked.is_none() {
                return Err(Refusal::BadRequest);
            }
        } else if name.eq_ignore_ascii_case(b"connection") {
            for option in elements(value) {
                close |= option.eq_ignore_ascii_case(b"close");
                keep_alive_asked |= option.eq_ignore_ascii_case(b"keep-alive");
                upgrade_asked |= option.eq_ignore_ascii_case(b"upgrade");
            }
        } else if name.eq_ignore_ascii_case(b"upgrade") {
            upgrade_field = true;
        }
    }
    if version == Version::Http11 && hosts != 1 || hosts > 1 {
        return Err(Refusal::BadRequest);
    }
    let body = match (chunked, length) {
        // Both: a request that one reader would split differently from
        // another. Refused, not repaired.
        (Some(_), Some(_)) => return Err(Refusal::BadRequest),
        (Some(true), None) if version == Version::Http11 => Body::Chunked,
        (Some(true), None) => return Err(Refusal::BadRequest),
        (Some(false), None) => return Err(Refusal::NotImplemented),
        (None, Some(0)) | (None, None) => Body::None,
        (None, Some(n)) => Body::Length(n),
    };
    let keep_alive = match version {
        Version::Http11 => !close,
        Version::Http10 => keep_alive_asked && !close,
    };
    let host = authority.or(host);
    let upgrade = upgrade_asked && upgrade_field;
    Ok(Head { method, target, version, host, body, keep_alive, upgrade, len: 0 })
}

/// A request target as the path it names and the authority an
/// absolute-form one carries: origin form (`/path?query`), absolute
/// form (`http://host/path`, whose host overrides the Host field), or
/// `*` for OPTIONS. Authority form (CONNECT) and the rest: 400.
fn split_target<'a>(method: &[u8], target: &'a [u8]) -> Result<(&'a [u8], Option<&'a [u8]>), Refusal> {
    if target.first() == Some(&b'/') {
        return Ok((target, None));
    }
    if target == b"*" && method == b"OPTIONS" {
        return Ok((target, None));
    }
    let scheme_len = target.iter().position(|&b| b == b':').ok_or(Refusal::BadRequest)?;
    let scheme = &target[..scheme_len];
    if !(scheme.eq_ignore_ascii_case(b"http") || scheme.eq_ignore_ascii_case(b"https")) {
        return Err(Refusal::BadRequest);
    }
    let rest = target[scheme_len + 1..].strip_prefix(b"//").ok_or(Refusal::BadRequest)?;
    let path_at = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(path_at);
    // An empty path is "/" (RFC 9112 §3.2.1); a query right after the
    // authority has no path to hand on: refused.
    if authority.is_empty() || authority.contains(&b'?') || authority.contains(&b'#') {
        return Err(Refusal::BadRequest);
    }
    Ok((if path.is_empty() { b"/" } else { path }, Some(authority)))
}

/// Finds where a chunked body ends, fed its bytes as they come (RFC
/// 9112 §7.1): chunk sizes in hex with optional extensions, the chunks,
/// the last (zero) chunk, trailer fields, the blank line. Lines of sizes,
/// extensions and trailers are bounded by `max_line`.
#[derive(Clone, Copy, Debug)]
pub struct Chunked {
    state: ChunkState,
    /// Bytes of the current size, extension or trailer line so far.
    line: usize,
    max_line: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ChunkState {
    /// Reading a chunk size's hex digits (`size` so far, `digits` read).
    Size { size: u64, digits: u8 },
    /// After the size: an extension, up to the line's end.
    Extension { size: u64 },
    /// Expecting the LF of a line whose CR was read (`then` after it).
    Lf { then: AfterLf },
    /// Inside a chunk's data, this many bytes left.
    Data(u64),
    /// After a chunk's data: its CR.
    DataCr,
    /// A trailer line (`empty`: nothing in it yet).
    Trailer { empty: bool },
    /// The body is over.
    Done,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AfterLf {
    Data(u64),
    Size,
    Trailer,
    Done,
}

/// What [`Chunked::feed`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkedEnd {
    /// The body goes on past these bytes.
    More,
    /// The body ends after this many of the bytes fed.
    At(usize),
    /// The body is malformed.
    Bad,
}

impl Chunked {
    /// Before the first chunk size.
    pub const fn new(max_line: usize) -> Self {
        Chunked { state: ChunkState::Size { size: 0, digits: 0 }, line: 0, max_line }
    }

    /// Reads `bytes`, the body's next ones.
    pub fn feed(&mut self, bytes: &[u8]) -> ChunkedEnd {
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let next = match self.state {
                ChunkState::Done => return ChunkedEnd::At(i),
                ChunkState::Data(left) => {
                    let take = (bytes.len() - i).min(usize::try_from(left).unwrap_or(usize::MAX));
                    i += take;
                    let left = left - take as u64;
                    self.state = if left == 0 { ChunkState::DataCr } else { ChunkState::Data(left) };
                    continue;
                }
                ChunkState::DataCr if b == b'\r' => ChunkState::Lf { then: AfterLf::Size },
                ChunkState::DataCr => return ChunkedEnd::Bad,
                ChunkState::Size { size, digits } => match b {
                    b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' => {
                        // 15 hex digits: sizes up to 2^60, no overflow.
                        if digits == 15 {
                            return ChunkedEnd::Bad;
                        }
                        let d = (b as char).to_digit(16).unwrap_or(0);
                        ChunkState::Size { size: size << 4 | u64::from(d), digits: digits + 1 }
                    }
                    b';' | b' ' | b'\t' if digits > 0 => ChunkState::Extension { size },
                    b'\r' if digits > 0 => ChunkState::Lf { then: Self::after_size(size) },
                    _ => return ChunkedEnd::Bad,
                },
                ChunkState::Extension { size } => match b {
                    b'\r' => ChunkState::Lf { then: Self::after_size(size) },
                    b'\n' => return ChunkedEnd::Bad,
                    _ => ChunkState::Extension { size },
                },
                ChunkState::Lf { then } if b == b'\n' => {
                    self.line = 0;
                    match then {
                        AfterLf::Data(n) => ChunkState::Data(n),
                        AfterLf::Size => ChunkState::Size { size: 0, digits: 0 },
                        AfterLf::Trailer => ChunkState::Trailer { empty: true },
                        AfterLf::Done => {
                            self.state = ChunkState::Done;
                            return ChunkedEnd::At(i + 1);
                        }
                    }
                }
                ChunkState::Lf { .. } => return ChunkedEnd::Bad,
                ChunkState::Trailer { empty } => match b {
                    b'\r' => ChunkState::Lf { then: if empty { AfterLf::Done } else { AfterLf::Trailer } },
                    b'\n' => return ChunkedEnd::Bad,
                    _ => ChunkState::Trailer { empty: false },
                },
            };
            if !matches!(next, ChunkState::Data(_)) {
                self.line += 1;
                if self.line > self.max_line {
                    return ChunkedEnd::Bad;
                }
            }
            self.state = next;
            i += 1;
        }
        if self.state == ChunkState::Done {
            ChunkedEnd::At(bytes.len())
        } else {
            ChunkedEnd::More
        }
    }

    fn after_size(size: u64) -> AfterLf {
        if size == 0 {
            AfterLf::Trailer
        } else {
            AfterLf::Data(size)
        }
    }
}

/// How the body of a response is delimited (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseBody {
    /// No body: a response to HEAD, a 1xx, 204 or 304.
    None,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunked: [`Chunked`] finds its end.
    Chunked,
    /// Up to the server closing the connection.
    UntilClose,
}

/// A parsed response head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponseHead {
    /// The status code, 100 to 999.
    pub status: u16,
    /// The protocol version.
    pub version: Version,
    /// How its body is delimited.
    pub body: ResponseBody,
    /// Whether the server's connection may carry another request after
    /// this response.
    pub keep_alive: bool,
    /// Bytes of the head, blank line included.
    pub len: usize,
}

impl ResponseHead {
    /// An interim response (1xx but 101): the final one follows it.
    pub fn is_interim(&self) -> bool {
        (100..200).contains(&self.status) && self.status != 101
    }
}

/// What the bytes of a response received so far hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParsedResponse {
    /// A whole head.
    Head(ResponseHead),
    /// Not yet a whole head: read more.
    Partial,
    /// Not a response the switch can pass on (malformed, too large, or
    /// of lengths that disagree): the client gets a 502 instead.
    Bad,
}

/// Reads a response head from the start of `buf`, the answer to a
/// request with method `method` (a HEAD's has no body whatever it says).
/// Stricter than clients are: whatever would let the switch and the
/// client see different ends of the body is refused.
pub fn parse_response_head(buf: &[u8], method: &[u8], limits: &Limits) -> ParsedResponse {
    let Some(len) = find_head_end(buf) else {
        return if buf.len() > limits.max_head { ParsedResponse::Bad } else { ParsedResponse::Partial };
    };
    if len > limits.max_head {
        return ParsedResponse::Bad;
    }
    match parse_response(&buf[..len], method, limits) {
        Some(mut head) => {
            head.len = len;
            ParsedResponse::Head(head)
        }
        None => ParsedResponse::Bad,
    }
}

fn parse_response(head: &[u8], method: &[u8], limits: &Limits) -> Option<ResponseHead> {
    let mut lines = head[..head.len() - 3].split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r"));
    let status_line = lines.next().flatten()?;
    // HTTP-version SP 3DIGIT SP reason, the reason possibly empty (and
    // its space, which some servers leave out).
    let version = match status_line.get(..8)? {
        b"HTTP/1.1" => Version::Http11,
        b"HTTP/1.0" => Version::Http10,
        _ => return None,
    };
    let code = match status_line.get(8..)? {
        [b' ', d @ .., ] if d.len() >= 3 && (d.len() == 3 || d[3] == b' ') => &d[..3],
        _ => return None,
    };
    if !code.iter().all(u8::is_ascii_digit) || code[0] == b'0' {
        return None;
    }
    let status = code.iter().fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));

    let mut length: Option<u64> = None;
    let mut chunked = None;
    let mut close = false;
    let mut keep_alive_asked = false;
    for (fields, line) in lines.enumerate() {
        let line = line?;
        if fields >= limits.max_fields {
            return None;
        }
        let colon = line.iter().position(|&b| b == b':')?;
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) || !value.iter().all(|&b| is_field_byte(b)) {
            return None;
        }
        let value = trim(value);
        if name.eq_ignore_ascii_case(b"content-length") {
            for element in value.split(|&b| b == b',').map(trim) {
                let n = decimal(element)?;
                if length.is_some_and(|l| l != n) {
                    return None;
                }
                length = Some(n);
            }
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            for coding in elements(value) {
                chunked = Some(coding.eq_ignore_ascii_case(b"chunked"));
            }
        } else if name.eq_ignore_ascii_case(b"connection") {
            for option in elements(value) {
                close |= option.eq_ignore_ascii_case(b"close");
                keep_alive_asked |= option.eq_ignore_ascii_case(b"keep-alive");
            }
        }
    }
    let no_body = method == b"HEAD" || (100..200).contains(&status) || status == 204 || status == 304;
    let body = match (chunked, length) {
        _ if no_body => ResponseBody::None,
        // Both: a response one reader would end elsewhere than another.
        (Some(_), Some(_)) => return None,
        // Chunked last: chunked (HTTP/1.0 has no transfer codings).
        (Some(true), None) if version == Version::Http11 => ResponseBody::Chunked,
        (Some(_), None) => ResponseBody::UntilClose,
        (None, Some(n)) => ResponseBody::Length(n),
        (None, None) => ResponseBody::UntilClose,
    };
    let keep_alive = body != ResponseBody::UntilClose
        && match version {
            Version::Http11 => !close,
            Version::Http10 => keep_alive_asked && !close,
        };
    Some(ResponseHead { status, version, body, keep_alive, len: 0 })
}

/// Whether a request with `method` may be sent again after a server
/// failed to answer it (RFC 9110 §9.2.2: repeating it has the effect of
/// sending it once).
pub fn is_idempotent(method: &[u8]) -> bool {
    matches!(method, b"GET" | b"HEAD" | b"OPTIONS" | b"TRACE" | b"PUT" | b"DELETE")
}

/// Longest line of a chunked body (sizes, extensions, trailers).
pub const CHUNK_LINE_MAX: usize = 4096;

/// What is left of a message's body, fed the bytes after its head as
/// they come: the switch forwards a message's bytes and no more, so the
/// next request or response on the connection starts where this ends.
#[derive(Clone, Copy, Debug)]
pub enum BodyLeft {
    /// This many bytes to go (0: the message is over).
    Length(u64),
    /// A chunked body in progress.
    Chunked(Chunked),
    /// Up to the sender closing its side.
    UntilClose,
}

/// A chunked body that breaks its framing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadBody;

impl BodyLeft {
    /// The body of a request.
    pub fn of_request(body: Body) -> Self {
        match body {
            Body::None => Self::Length(0),
            Body::Length(n) => Self::Length(n),
            Body::Chunked => Self::Chunked(Chunked::new(CHUNK_LINE_MAX)),
        }
    }

    /// The body of a response.
    pub fn of_response(body: ResponseBody) -> Self {
        match body {
            ResponseBody::None => Self::Length(0),
            ResponseBody::Length(n) => Self::Length(n),
            ResponseBody::Chunked => Self::Chunked(Chunked::new(CHUNK_LINE_MAX)),
            ResponseBody::UntilClose => Self::UntilClose,
        }
    }

    /// Whether the body is over.
    pub fn done(&self) -> bool {
        matches!(self, Self::Length(0))
    }

    /// Reads `bytes`, the next ones after what was taken before: how
    /// many of them belong to the body (the rest are the next message's).
    pub fn take(&mut self, bytes: &[u8]) -> Result<usize, BadBody> {
        match self {
            Self::Length(left) => {
                let n = bytes.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                *left -= n as u64;
                Ok(n)
            }
            Self::Chunked(chunked) => match chunked.feed(bytes) {
                ChunkedEnd::More => Ok(bytes.len()),
                ChunkedEnd::At(n) => {
                    *self = Self::Length(0);
                    Ok(n)
                }
                ChunkedEnd::Bad => Err(BadBody),
            },
            Self::UntilClose => Ok(bytes.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    fn head(text: &str) -> Head<'_> {
        match parse_head(text.as_bytes(), &Limits::DEFAULT) {
            Parsed::Head(h) => h,
            other => panic!("{text:?}: {other:?}"),
        }
    }

    fn refused(text: &str) -> Refusal {
        match parse_head(text.as_bytes(), &Limits::DEFAULT) {
            Parsed::Refused(r) => r,
            other => panic!("{text:?}: {other:?}"),
        }
    }

    #[test]
    fn reads_a_request_head() {
        let text = "GET /images/a.gif?x=1 HTTP/1.1\r\nHost: example.com \r\nAccept: */*\r\n\r\nrest";
        let h = head(text);
        assert_eq!((h.method, h.target, h.version), (&b"GET"[..], &b"/images/a.gif?x=1"[..], Version::Http11));
        assert_eq!((h.host, h.body, h.keep_alive), (Some(&b"example.com"[..]), Body::None, true));
        assert_eq!(h.len, text.len() - 4);
        // Blank lines before a request are skipped and counted.
        assert_eq!(head("\r\nGET / HTTP/1.0\r\n\r\n").len, 20);
    }

    #[test]
    fn target_forms() {
        let h = head("GET http://example.com:8080/admin?x HTTP/1.1\r\nHost: other\r\n\r\n");
        assert_eq!((h.target, h.host), (&b"/admin?x"[..], Some(&b"example.com:8080"[..])));
        let h = head("GET HTTP://a HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!((h.target, h.host), (&b"/"[..], Some(&b"a"[..])));
        assert_eq!(head("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").target, b"*");
        for bad in [
            "GET * HTTP/1.1\r\nHost: a\r\n\r\n",
            "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET ftp://a/x HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET http://a?x HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET http:/a/x HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET admin HTTP/1.1\r\nHost: a\r\n\r\n",
        ] {
            assert_eq!(refused(bad), Refusal::BadRequest, "{bad:?}");
        }
    }

    #[test]
    fn upgrades_are_told() {
        let h = head("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
        assert!(h.upgrade);
        assert!(!head("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\n\r\n").upgrade);
        assert!(!head("GET / HTTP/1.1\r\nHost: a\r\n\r\n").upgrade);
    }

    #[test]
    fn keep_alive_by_version_and_connection() {
        assert!(!head("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").keep_alive);
        assert!(!head("GET / HTTP/1.0\r\n\r\n").keep_alive);
        assert!(head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive);
        assert!(!head("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").keep_alive);
    }

    #[test]
    fn bodies() {
        let h = head("POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n");
        assert_eq!(h.body, Body::Length(12));
        let h = head("POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 7, 7\r\n\r\n");
        assert_eq!(h.body, Body::Length(7));
        let h = head("POST /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
        assert_eq!(h.body, Body::Chunked);
        assert_eq!(head("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n").body, Body::None);
    }

    #[test]
    fn smuggling_and_malformed_heads_are_refused() {
        use Refusal::*;
        for (text, why) in [
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", BadRequest),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", BadRequest),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", BadRequest),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", BadRequest),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", BadRequest),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", NotImplemented),
            ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", BadRequest),
            ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", BadRequest),
            ("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", BadRequest),
            ("GET / HTTP/1.1\r\n\r\n", BadRequest),
            ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", BadRequest),
            ("GET / HTTP/1.1\nHost: a\r\n\r\n", BadRequest),
            ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", BadRequest),
            ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", VersionNotSupported),
            ("GET / FTP/1.0\r\n\r\n", BadRequest),
            ("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", BadRequest),
            ("GET / HTTP/1.1\r\nHost: a\u{1}b\r\n\r\n", BadRequest),
        ] {
            assert_eq!(refused(text), why, "{text:?}");
        }
    }

    #[test]
    fn limits() {
        let limits = Limits { max_head: 64, max_fields: 2 };
        assert_eq!(parse_head(b"GET / HTTP/1.1\r\nHost: a\r\n", &limits), Parsed::Partial);
        let long = [b'x'; 100];
        assert_eq!(parse_head(&long, &limits), Parsed::Refused(Refusal::HeadTooLarge));
        let many = b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n";
        assert_eq!(parse_head(many, &limits), Parsed::Refused(Refusal::HeadTooLarge));
    }

    #[test]
    fn chunked_bodies_end_where_they_end() {
        let body = b"5\r\nhello\r\n1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer: x\r\n\r\nNEXT";
        let mut c = Chunked::new(1024);
        assert_eq!(c.feed(body), ChunkedEnd::At(body.len() - 4));
        // The same, a byte at a time.
        let mut c = Chunked::new(1024);
        for (i, &b) in body.iter().enumerate() {
            let end = c.feed(&[b]);
            if i + 4 < body.len() - 1 {
                assert_eq!(end, ChunkedEnd::More, "byte {i}");
            } else if i + 4 == body.len() - 1 {
                assert_eq!(end, ChunkedEnd::At(1));
                break;
            }
        }
        assert_eq!(Chunked::new(1024).feed(b"0\r\n\r\n"), ChunkedEnd::At(5));
        for bad in [&b"x\r\n"[..], b"5\r\nhelloX", b"\r\n", b"1000000000000000\r\n", b"5\nhello", b"0\r\nA: b\n"] {
            assert_eq!(Chunked::new(1024).feed(bad), ChunkedEnd::Bad, "{bad:?}");
        }
        let mut c = Chunked::new(8);
        assert_eq!(c.feed(b"5;aaaaaaaaaaaaaaaa\r\n"), ChunkedEnd::Bad);
    }
    fn response(text: &str, method: &str) -> ResponseHead {
        match parse_response_head(text.as_bytes(), method.as_bytes(), &Limits::DEFAULT) {
            ParsedResponse::Head(h) => h,
            other => panic!("{text:?}: {other:?}"),
        }
    }

    fn bad_response(text: &str) -> bool {
        parse_response_head(text.as_bytes(), b"GET", &Limits::DEFAULT) == ParsedResponse::Bad
    }

    #[test]
    fn reads_a_response_head() {
        let text = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\nhello";
        let h = response(text, "GET");
        assert_eq!((h.status, h.version, h.body, h.keep_alive), (200, Version::Http11, ResponseBody::Length(5), true));
        assert_eq!(h.len, text.len() - 5);
        assert_eq!(response("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", "GET").status, 404, "no reason");
        assert_eq!(response("HTTP/1.1 500 \r\nContent-Length: 0\r\n\r\n", "GET").status, 500, "empty reason");
        assert_eq!(
            parse_response_head(b"HTTP/1.1 200 OK\r\nContent-Le", b"GET", &Limits::DEFAULT),
            ParsedResponse::Partial
        );
    }

    #[test]
    fn response_bodies() {
        let chunked = response("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "GET");
        assert_eq!((chunked.body, chunked.keep_alive), (ResponseBody::Chunked, true));
        let until_close = response("HTTP/1.1 200 OK\r\n\r\n", "GET");
        assert_eq!((until_close.body, until_close.keep_alive), (ResponseBody::UntilClose, false));
        let not_chunked_last = response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", "GET");
        assert_eq!(not_chunked_last.body, ResponseBody::UntilClose);
        for (status, method) in [("204 No Content", "GET"), ("304 Not Modified", "GET"), ("200 OK", "HEAD")] {
            let h = response(&format!("HTTP/1.1 {status}\r\nContent-Length: 99\r\n\r\n"), method);
            assert_eq!((h.body, h.keep_alive), (ResponseBody::None, true), "{status} {method}");
        }
        let interim = response("HTTP/1.1 100 Continue\r\n\r\n", "POST");
        assert!(interim.is_interim());
        assert_eq!(interim.body, ResponseBody::None);
        assert!(!response("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", "GET").is_interim());
    }

    #[test]
    fn response_keep_alive() {
        let close = response("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n", "GET");
        assert!(!close.keep_alive);
        let old = response("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", "GET");
        assert!(!old.keep_alive);
        let old_kept = response("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\n", "GET");
        assert!(old_kept.keep_alive);
        let old_chunked = response("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "GET");
        assert_eq!((old_chunked.body, old_chunked.keep_alive), (ResponseBody::UntilClose, false));
    }

    #[test]
    fn bad_responses() {
        for text in [
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            "HTTP/2 200 OK\r\n\r\n",
            "HTTP/1.1 20 OK\r\n\r\n",
            "HTTP/1.1 2000 OK\r\n\r\n",
            "HTTP/1.1 099 OK\r\n\r\n",
            "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
            "HTTP/1.1 200 OK\r\n folded\r\n\r\n",
            "HTTP/1.1 200 OK\nX: y\r\n\r\n",
            "ICY 200 OK\r\n\r\n",
        ] {
            assert!(bad_response(text), "{text:?}");
        }
        let limits = Limits { max_head: 64, max_fields: 2 };
        let many = "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
        assert_eq!(parse_response_head(many.as_bytes(), b"GET", &limits), ParsedResponse::Bad);
        let long = format!("HTTP/1.1 200 OK\r\nA: {}\r\n\r\n", "x".repeat(80));
        assert_eq!(parse_response_head(long.as_bytes(), b"GET", &limits), ParsedResponse::Bad);
        assert_eq!(parse_response_head(&long.as_bytes()[..70], b"GET", &limits), ParsedResponse::Bad, "no end within the limit");
    }
    #[test]
    fn body_left_splits_a_message_from_the_next() {
        let mut body = BodyLeft::of_request(Body::Length(5));
        assert_eq!(body.take(b"abc"), Ok(3));
        assert!(!body.done());
        assert_eq!(body.take(b"deGET /"), Ok(2));
        assert!(body.done());
        assert_eq!(body.take(b"more"), Ok(0));

        let mut body = BodyLeft::of_request(Body::Chunked);
        assert_eq!(body.take(b"3\r\nabc\r\n0\r"), Ok(10));
        assert!(!body.done());
        assert_eq!(body.take(b"\n\r\nGET / HTTP/1.1"), Ok(3));
        assert!(body.done());

        let mut body = BodyLeft::of_response(ResponseBody::UntilClose);
        assert_eq!(body.take(b"anything"), Ok(8));
        assert!(!body.done());
        assert!(BodyLeft::of_response(ResponseBody::None).done());
        assert_eq!(BodyLeft::of_request(Body::Chunked).take(b"zz\r\n"), Err(BadBody));
    }

    #[test]
    fn idempotent_methods() {
        assert!(is_idempotent(b"GET") && is_idempotent(b"PUT") && is_idempotent(b"DELETE"));
        assert!(!is_idempotent(b"POST") && !is_idempotent(b"PATCH") && !is_idempotent(b"get"));
    }
}
