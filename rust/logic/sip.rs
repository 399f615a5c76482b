// SPDX-License-Identifier: GPL-2.0
//! The SIP persistence engine's key (`--pe sip`): the Call-ID of a SIP
//! message in a UDP datagram, found as upstream's `ip_vs_pe_sip` finds
//! it (with netfilter's SIP header parser), so that one call's messages
//! reach one real server whichever client port they come from.

/// Longest Call-ID kept (upstream's `IP_VS_PEDATA_MAXLEN`).
pub const CALL_ID_MAX: usize = 255;

/// The Call-ID of SIP message `msg`, if it has one that is followed by a
/// line end and at most [`CALL_ID_MAX`] bytes long.
pub fn call_id(msg: &[u8]) -> Option<&[u8]> {
    let mut from = 0;
    loop {
        match header_value(msg, from)? {
            Found::Value(at, len) => {
                let end = at + len;
                let ends_line = matches!(msg.get(end), Some(b'\r' | b'\n'));
                return (len <= CALL_ID_MAX && ends_line).then(|| &msg[at..end]);
            }
            // A Call-ID header without a usable value: look for another
            // from its value on.
            Found::Empty(at) => from = at,
        }
    }
}

/// A Call-ID header's value: where it starts and how long it is, or
/// where it starts when it is not a Call-ID.
enum Found {
    Value(usize, usize),
    Empty(usize),
}

/// The first Call-ID header (`Call-ID:` or the compact `i:`, any case)
/// at the start of a line after `from`; `None` when there is none, or
/// when one is cut short (upstream's `ct_sip_get_header`).
fn header_value(msg: &[u8], from: usize) -> Option<Found> {
    const NAME: &[u8] = b"Call-Id";
    let mut at = from;
    while at < msg.len() {
        if !is_line_end(msg[at]) {
            at += 1;
            continue;
        }
        at = after_line_end(msg, at)?;
        // A continuation line is not a header.
        if matches!(msg[at], b' ' | b'\t') {
            continue;
        }
        let rest = &msg[at..];
        if rest.len() >= NAME.len() && rest[..NAME.len()].eq_ignore_ascii_case(NAME) {
            at += NAME.len();
        } else if rest.len() >= 2 && rest[0].eq_ignore_ascii_case(&b'i') && !is_alpha(rest[1]) {
            at += 1;
        } else {
            continue;
        }
        at = skip_space(msg, at)?;
        if msg[at] != b':' || at + 1 >= msg.len() {
            return None;
        }
        at = skip_space(msg, at + 1)?;
        let len = call_id_len(&msg[at..]);
        return Some(if len == 0 { Found::Empty(at) } else { Found::Value(at, len) });
    }
    None
}

fn is_line_end(c: u8) -> bool {
    c == b'\r' || c == b'\n'
}

/// Where the line after the line end at `at` starts (a CR LF is one end),
/// if the message goes on.
fn after_line_end(msg: &[u8], at: usize) -> Option<usize> {
    let mut next = at + 1;
    if next < msg.len() && msg[at] == b'\r' && msg[next] == b'\n' {
        next += 1;
    }
    (next < msg.len()).then_some(next)
}

/// Skips blanks, and a line end if a continuation line follows it
/// (whose leading blanks go too); `None` at the message's end or at a
/// line end that ends the header.
fn skip_space(msg: &[u8], mut at: usize) -> Option<usize> {
    while at < msg.len() {
        match msg[at] {
            b' ' | b'\t' => at += 1,
            b'\r' | b'\n' => {
                at = after_line_end(msg, at)?;
                if !matches!(msg[at], b' ' | b'\t') {
                    return None;
                }
                while at < msg.len() && matches!(msg[at], b' ' | b'\t') {
                    at += 1;
                }
                break;
            }
            _ => break,
        }
    }
    (at < msg.len()).then_some(at)
}

/// Length of a Call-ID at the start of `value`: a word, or word@word (0
/// if the part after `@` is missing).
fn call_id_len(value: &[u8]) -> usize {
    let len = word_len(value);
    if len == 0 || value.get(len) != Some(&b'@') {
        return len;
    }
    match word_len(&value[len + 1..]) {
        0 => 0,
        domain => len + 1 + domain,
    }
}

fn word_len(s: &[u8]) -> usize {
    s.iter().take_while(|&&c| is_word(c)).count()
}

/// A letter as the kernel's `ctype` has them: ASCII and Latin-1.
fn is_alpha(c: u8) -> bool {
    c.is_ascii_alphabetic() || (c >= 0xc0 && c != 0xd7 && c != 0xf7)
}

/// A character of a SIP "word" (RFC 3261 `word`, as netfilter's parser
/// takes it).
fn is_word(c: u8) -> bool {
    is_alpha(c) || c.is_ascii_digit() || b"!\"%()*+:<>?[\\]_`{}~-./'".contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &[u8] = b"INVITE sip:bob@biloxi.com SIP/2.0\r\n\
        Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n\
        To: Bob <sip:bob@biloxi.com>\r\n\
        Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n\
        CSeq: 314159 INVITE\r\n\r\n";

    #[test]
    fn finds_the_call_id() {
        assert_eq!(call_id(INVITE), Some(&b"a84b4c76e66710@pc33.atlanta.com"[..]));
    }

    #[test]
    fn compact_form_any_case_and_lf_lines() {
        assert_eq!(call_id(b"OPTIONS sip:x SIP/2.0\ni:  abc-1\n"), Some(&b"abc-1"[..]));
        assert_eq!(call_id(b"OPTIONS sip:x SIP/2.0\r\nCALL-id:\tZ9\r\n"), Some(&b"Z9"[..]));
        // "If-Match" starts with an i, followed by a letter: not it.
        assert_eq!(call_id(b"M\r\nIf: 1\r\nI: x\r\n"), Some(&b"x"[..]));
    }

    #[test]
    fn continuation_lines() {
        assert_eq!(call_id(b"M\r\nCall-ID:\r\n   folded\r\n"), Some(&b"folded"[..]));
        assert_eq!(call_id(b"M\r\nCall-ID\r\n :v\r\n"), Some(&b"v"[..]));
        // A continuation line is never a header of its own.
        assert_eq!(call_id(b"M\r\nTo: a\r\n Call-ID: x\r\n"), None);
    }

    #[test]
    fn needs_a_line_end_after_it() {
        assert_eq!(call_id(b"M\r\nCall-ID: abc"), None);
        assert_eq!(call_id(b"M\r\nCall-ID: abc;x\r\n"), None);
        assert_eq!(call_id(b"M\r\nCall-ID: abc \r\n"), None);
    }

    #[test]
    fn not_on_the_first_line_nor_without_colon() {
        assert_eq!(call_id(b"Call-ID: abc\r\n"), None);
        assert_eq!(call_id(b"M\r\nCall-IDx: abc\r\nCall-ID: y\r\n"), None);
    }

    #[test]
    fn an_empty_one_passes_to_the_next() {
        assert_eq!(call_id(b"M\r\nCall-ID: ;\r\nCall-ID: two\r\n"), Some(&b"two"[..]));
        assert_eq!(call_id(b"M\r\nCall-ID: a@;\r\nCall-ID: b@c\r\n"), Some(&b"b@c"[..]));
    }

    #[test]
    fn longest_kept() {
        let mut msg = b"M\r\nCall-ID: ".to_vec();
        msg.extend(core::iter::repeat(b'a').take(CALL_ID_MAX));
        msg.extend(b"\r\n");
        assert_eq!(call_id(&msg).map(<[u8]>::len), Some(CALL_ID_MAX));
        msg.insert(12, b'a');
        assert_eq!(call_id(&msg), None);
    }

    #[test]
    fn latin1_letters_are_word_characters() {
        assert_eq!(call_id(b"M\r\nCall-ID: \xe9t\xe9\r\n"), Some(&b"\xe9t\xe9"[..]));
        assert_eq!(call_id(b"M\r\nCall-ID: a\xd7b\r\n"), None);
    }
}
