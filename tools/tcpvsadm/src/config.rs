//! The config file of `-f`, in the original tcpvsadm's format:
//!
//! ```text
//! virtual web {
//!     listen = 0.0.0.0:80
//!     scheduler = http
//!     startservers = 8
//!     server = 192.168.10.3:80 1
//!     rule = pattern "^/images/" use server 192.168.10.3:80
//! }
//! ```
//!
//! Read as the original reads it, one statement per line: words split
//! at blanks, a word starting with `#` ends the line, a word in double
//! quotes may hold blanks (`\"` inside stays as it is: the regex engine
//! reads it as a quote), keywords in any case. Stricter than the
//! original where it let mistakes through (a setting given twice, a
//! rule naming a server the block does not declare, words left over),
//! and every refusal names its line. A `-L` listing reads back as the
//! table it shows: its header line is passed over.

use std::collections::HashMap;
use std::net::SocketAddrV4;

use crate::check;
use crate::model::{DestSpec, Rule, ServiceSpec, DEFAULT_LISTEN};
use crate::resolve::{self, Names};

/// Something of a file with the line (from 1) it was on, for errors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located<T> {
    pub line: usize,
    pub item: T,
}

/// One `virtual NAME { ... }`: the service, with the listen address
/// filled in (0.0.0.0:8080 by default, as `-A`), then its real servers
/// and rules, in the file's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub line: usize,
    pub spec: ServiceSpec,
    pub dests: Vec<Located<DestSpec>>,
    pub rules: Vec<Located<Rule>>,
}

/// A refusal: the line and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

/// The first line of a `-L` listing.
pub const HEADER: &str = "TCP Virtual Server version";

/// The words of one line (the original's `get_next_token`).
fn words(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(&first) = chars.peek() else {
            return Ok(out);
        };
        if first == '#' {
            return Ok(out);
        }
        let mut word = String::new();
        if first == '"' {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err("missing closing '\"'".to_string()),
                    Some('"') => break,
                    Some('\\') => {
                        word.push('\\');
                        if let Some(c) = chars.next() {
                            word.push(c);
                        }
                    }
                    Some(c) => word.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                word.push(c);
            }
        }
        out.push(word);
    }
}

/// The statement keywords of a block, lowercase.
const KEYWORDS: [&str; 8] = [
    "listen",
    "scheduler",
    "startservers",
    "maxclients",
    "minspareservers",
    "maxspareservers",
    "server",
    "rule",
];

/// A block being read.
struct Open {
    block: Block,
    name: String,
    /// Where each one-time setting was given.
    given: HashMap<&'static str, usize>,
}

/// `rule = ...` after the `=`: `pattern REGEX [match N] use server
/// ADDR:PORT [match N]`.
fn rule(values: &[String], names: &dyn Names) -> Result<Rule, String> {
    let expect = |i: usize, word: &str| -> Result<(), String> {
        match values.get(i) {
            Some(w) if w.eq_ignore_ascii_case(word) => Ok(()),
            Some(w) => Err(format!(
                "expected \"{word}\", found \"{w}\" (rule = pattern \"REGEX\" use server ADDRESS:PORT [match N])"
            )),
            None => Err(format!(
                "rule ends before \"{word}\" (rule = pattern \"REGEX\" use server ADDRESS:PORT [match N])"
            )),
        }
    };
    let match_num = |i: usize| -> Result<u32, String> {
        let n = values.get(i).ok_or("\"match\" needs a number")?;
        resolve::number(n, 0, check::MATCH_MAX)
            .ok_or_else(|| format!("bad match number \"{n}\" (0 to {})", check::MATCH_MAX))
    };
    expect(0, "pattern")?;
    let pattern = values
        .get(1)
        .ok_or("\"pattern\" needs a regular expression")?;
    let mut at = 2;
    let mut num = None;
    if values
        .get(at)
        .is_some_and(|w| w.eq_ignore_ascii_case("match"))
    {
        num = Some(match_num(at + 1)?);
        at += 2;
    }
    expect(at, "use")?;
    expect(at + 1, "server")?;
    let server = values
        .get(at + 2)
        .ok_or("\"use server\" needs ADDRESS:PORT")?;
    let server = resolve::server(server, names).map_err(|e| e.to_string())?;
    at += 3;
    if num.is_none()
        && values
            .get(at)
            .is_some_and(|w| w.eq_ignore_ascii_case("match"))
    {
        num = Some(match_num(at + 1)?);
        at += 2;
    }
    if let Some(extra) = values.get(at) {
        return Err(format!("unexpected \"{extra}\" at the end of the rule"));
    }
    let rule = Rule {
        pattern: pattern.clone(),
        server,
        match_num: num.unwrap_or(0),
    };
    check::pattern(&rule.pattern, rule.match_num)?;
    Ok(rule)
}

/// One value, the only one.
fn single<'a>(key: &str, values: &'a [String]) -> Result<&'a str, String> {
    match values {
        [v] => Ok(v),
        [] => Err(format!("\"{key}\" needs a value")),
        [_, extra, ..] => Err(format!("unexpected \"{extra}\" after \"{key} = ...\"")),
    }
}

/// A pool size.
fn pool(key: &str, values: &[String], min: u32) -> Result<u32, String> {
    let v = single(key, values)?;
    resolve::number(v, min, check::POOL_MAX)
        .ok_or_else(|| format!("bad {key} \"{v}\" ({min} to {})", check::POOL_MAX))
}

impl Open {
    /// One `KEY = VALUES` statement of the block.
    fn statement(
        &mut self,
        line: usize,
        words: &[String],
        names: &dyn Names,
    ) -> Result<(), String> {
        let key_word = &words[0];
        let key = key_word.to_ascii_lowercase();
        let Some(&key) = KEYWORDS.iter().find(|&&k| k == key) else {
            return Err(if key_word.contains('=') {
                format!("unknown keyword \"{key_word}\" (blanks are needed around \"=\")")
            } else {
                format!("unknown keyword \"{key_word}\"")
            });
        };
        if words.get(1).map(String::as_str) != Some("=") {
            return Err(format!("expected \"=\" after \"{key_word}\""));
        }
        let values = &words[2..];
        if key != "server" && key != "rule" {
            if let Some(first) = self.given.insert(key, line) {
                return Err(format!("\"{key}\" given twice (first on line {first})"));
            }
        }
        let spec = &mut self.block.spec;
        match key {
            "listen" => {
                let v = single(key, values)?;
                let (addr, port) = resolve::addr_port(v, names).map_err(|e| e.to_string())?;
                spec.addr = Some(addr);
                spec.port = port.or(spec.port);
            }
            "scheduler" => {
                let v = single(key, values)?;
                check::sched(v)?;
                spec.sched = Some(v.to_string());
            }
            "startservers" => spec.pool.startservers = Some(pool(key, values, check::POOL_MIN)?),
            "maxclients" => spec.pool.maxclients = Some(pool(key, values, check::POOL_MIN)?),
            "minspareservers" => spec.pool.minspare = Some(pool(key, values, check::SPARE_MIN)?),
            "maxspareservers" => spec.pool.maxspare = Some(pool(key, values, check::SPARE_MIN)?),
            "server" => {
                let (server, weight) = match values {
                    [s] => (s, None),
                    [s, w] => (s, Some(w)),
                    [] => return Err("\"server\" needs ADDRESS:PORT [WEIGHT]".to_string()),
                    [_, _, extra, ..] => {
                        return Err(format!(
                            "unexpected \"{extra}\" after \"server = ADDRESS:PORT WEIGHT\""
                        ))
                    }
                };
                let server = resolve::server(server, names).map_err(|e| e.to_string())?;
                let weight = Some(match weight {
                    None => 1,
                    Some(w) => resolve::number(w, 0, check::WEIGHT_MAX).ok_or_else(|| {
                        format!("bad weight \"{w}\" (0 to {})", check::WEIGHT_MAX)
                    })?,
                });
                if let Some(first) = self.block.dests.iter().find(|d| d.item.server == server) {
                    return Err(format!(
                        "server {server} given twice (first on line {})",
                        first.line
                    ));
                }
                self.block.dests.push(Located {
                    line,
                    item: DestSpec { server, weight },
                });
            }
            _ => {
                let item = rule(values, names)?;
                self.block.rules.push(Located { line, item });
            }
        }
        Ok(())
    }

    /// The block at its `}`: defaults filled in, the whole checked.
    fn close(mut self) -> Result<Block, ParseError> {
        let b = &mut self.block;
        let declared = |s: SocketAddrV4| b.dests.iter().any(|d| d.item.server == s);
        if let Some(r) = b.rules.iter().find(|r| !declared(r.item.server)) {
            return Err(ParseError {
                line: r.line,
                message: format!(
                    "the rule names server {}, which no \"server =\" line of virtual {} declares",
                    r.item.server, self.name
                ),
            });
        }
        if let (Some(min), Some(max)) = (b.spec.pool.minspare, b.spec.pool.maxspare) {
            if min > max {
                return Err(ParseError {
                    line: self.given["minspareservers"],
                    message: format!(
                        "minspareservers ({min}) is more than maxspareservers ({max})"
                    ),
                });
            }
        }
        b.spec.addr = b.spec.addr.or(Some(*DEFAULT_LISTEN.ip()));
        b.spec.port = b.spec.port.or(Some(DEFAULT_LISTEN.port()));
        Ok(self.block)
    }
}

/// `virtual NAME {`: the block it opens.
fn open(line: usize, words: &[String], blocks: &[Block]) -> Result<Open, String> {
    let name = words
        .get(1)
        .ok_or("\"virtual\" needs a name: virtual NAME {")?;
    check::new_ident(name)?;
    if let Some(first) = blocks.iter().find(|b| &b.spec.ident == name) {
        return Err(format!(
            "virtual {name} given twice (first on line {})",
            first.line
        ));
    }
    match words.get(2).map(String::as_str) {
        Some("{") => {}
        _ => return Err(format!("expected \"{{\" after \"virtual {name}\"")),
    }
    if let Some(extra) = words.get(3) {
        return Err(format!(
            "unexpected \"{extra}\" after \"{{\": one statement per line"
        ));
    }
    Ok(Open {
        block: Block {
            line,
            spec: ServiceSpec {
                ident: name.clone(),
                ..Default::default()
            },
            dests: Vec::new(),
            rules: Vec::new(),
        },
        name: name.clone(),
        given: HashMap::new(),
    })
}

/// The blocks of a config file, in order; `names` resolves host and
/// service names.
pub fn parse(text: &str, names: &dyn Names) -> Result<Vec<Block>, ParseError> {
    let mut blocks = Vec::new();
    let mut current: Option<Open> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let fail = |message: String| ParseError { line, message };
        let words = words(raw).map_err(fail)?;
        let Some(first) = words.first() else {
            continue;
        };
        match current.take() {
            None if first.eq_ignore_ascii_case("virtual") => {
                current = Some(open(line, &words, &blocks).map_err(fail)?);
            }
            None if raw.trim_start().starts_with(HEADER) => {}
            None if first == "}" => {
                return Err(fail("\"}\" without \"virtual NAME {\"".to_string()))
            }
            None => {
                return Err(fail(format!(
                    "unknown keyword \"{first}\" (expected \"virtual NAME {{\")"
                )))
            }
            Some(open) if first == "}" => {
                if let Some(extra) = words.get(1) {
                    return Err(fail(format!("unexpected \"{extra}\" after \"}}\"")));
                }
                blocks.push(open.close()?);
            }
            Some(mut open) => {
                open.statement(line, &words, names).map_err(fail)?;
                current = Some(open);
            }
        }
    }
    match current {
        Some(open) => Err(ParseError {
            line: open.block.line,
            message: format!("\"virtual {} {{\" is not closed by \"}}\"", open.name),
        }),
        None => Ok(blocks),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Pool;
    use crate::resolve::{tests::Fake, Numeric};
    use std::net::Ipv4Addr;

    fn sa(a: [u8; 4], port: u16) -> SocketAddrV4 {
        SocketAddrV4::new(Ipv4Addr::from(a), port)
    }

    const MANUAL: &str = r#"
# The example of the original's manual page.
virtual web {
    listen = 0.0.0.0:80
    scheduler = http
    startservers = 8
    maxclients = 256
    minspareservers = 6
    maxspareservers = 18
    server = 192.168.10.3:80 1
    server = 192.168.10.2:80 1
    server = 192.168.10.1:80 1
    rule = pattern "^/cgi-bin/"  use server 192.168.10.1:80
    rule = pattern "^/images/"  use server 192.168.10.2:80
    rule = pattern ".*"  use server 192.168.10.3:80
}
"#;

    #[test]
    fn the_manual_example() {
        let blocks = parse(MANUAL, &Numeric).unwrap();
        assert_eq!(blocks.len(), 1);
        let b = &blocks[0];
        assert_eq!(b.line, 3);
        assert_eq!(
            b.spec,
            ServiceSpec {
                ident: "web".into(),
                sched: Some("http".into()),
                addr: Some(Ipv4Addr::UNSPECIFIED),
                port: Some(80),
                pool: Pool {
                    startservers: Some(8),
                    maxclients: Some(256),
                    minspare: Some(6),
                    maxspare: Some(18),
                },
            }
        );
        let dests: Vec<_> = b
            .dests
            .iter()
            .map(|d| (d.line, d.item.server, d.item.weight.unwrap_or(0)))
            .collect();
        assert_eq!(
            dests,
            [
                (10, sa([192, 168, 10, 3], 80), 1),
                (11, sa([192, 168, 10, 2], 80), 1),
                (12, sa([192, 168, 10, 1], 80), 1)
            ]
        );
        let rules: Vec<_> = b
            .rules
            .iter()
            .map(|r| (r.line, r.item.pattern.as_str(), r.item.server))
            .collect();
        assert_eq!(
            rules,
            [
                (13, "^/cgi-bin/", sa([192, 168, 10, 1], 80)),
                (14, "^/images/", sa([192, 168, 10, 2], 80)),
                (15, ".*", sa([192, 168, 10, 3], 80))
            ]
        );
    }

    #[test]
    fn several_blocks_defaults_names_and_odd_spelling() {
        let text = "virtual a {\n}\n\nVIRTUAL b {   # trailing comment\n  Listen = www:http\n  SERVER = www:8080\n  server = 10.0.0.2:80 0\n  rule = PATTERN \"^/u/([a-z]+)\" Use Server www:8080 match 1\n  rule = pattern ^/x/ match 0 use server 10.0.0.2:80\n}\n";
        let blocks = parse(text, &Fake).unwrap();
        assert_eq!(blocks.len(), 2);
        let a = &blocks[0].spec;
        assert_eq!(
            (a.addr, a.port, a.sched.as_deref()),
            (Some(Ipv4Addr::UNSPECIFIED), Some(8080), None)
        );
        assert_eq!(a.pool, Pool::default());
        let b = &blocks[1];
        assert_eq!(
            (b.spec.addr, b.spec.port),
            (Some(Ipv4Addr::new(10, 0, 0, 1)), Some(80))
        );
        assert_eq!(
            b.dests[0].item,
            DestSpec {
                server: sa([10, 0, 0, 1], 8080),
                weight: Some(1)
            }
        );
        assert_eq!(b.dests[1].item.weight, Some(0));
        assert_eq!(
            b.rules[0].item,
            Rule {
                pattern: "^/u/([a-z]+)".into(),
                server: sa([10, 0, 0, 1], 8080),
                match_num: 1
            }
        );
        assert_eq!(b.rules[1].item.pattern, "^/x/");
        // A listen address without a port keeps the default port.
        let c = parse("virtual c {\nlisten = 10.1.1.1\n}\n", &Numeric).unwrap();
        assert_eq!(
            (c[0].spec.addr, c[0].spec.port),
            (Some(Ipv4Addr::new(10, 1, 1, 1)), Some(8080))
        );
        assert_eq!(parse("", &Numeric), Ok(Vec::new()));
        assert_eq!(parse("# nothing\n\n", &Numeric), Ok(Vec::new()));
    }

    #[test]
    fn quoted_words() {
        assert_eq!(words(r#"a "b c" d"#).unwrap(), ["a", "b c", "d"]);
        assert_eq!(words(r#"p "a\"b" x"#).unwrap(), ["p", r#"a\"b"#, "x"]);
        assert_eq!(words(r#"p "a\\" x"#).unwrap(), ["p", r"a\\", "x"]);
        assert_eq!(words("x #y z").unwrap(), ["x"]);
        assert_eq!(words("x y#z").unwrap(), ["x", "y#z"]);
        assert_eq!(words(r#"p "a#b""#).unwrap(), ["p", "a#b"]);
        assert_eq!(words(r#"p "ab"#), Err("missing closing '\"'".to_string()));
        assert_eq!(words(" \t ").unwrap(), Vec::<String>::new());
    }

    /// A file whose line `n` is `text` inside a block with one server.
    fn in_block(text: &str) -> String {
        format!("virtual web {{\n    server = 10.0.0.2:80 1\n{text}\n}}\n")
    }

    fn error(text: &str) -> (usize, String) {
        let e = parse(text, &Numeric).unwrap_err();
        (e.line, e.message)
    }

    #[test]
    fn errors_with_their_line() {
        let cases: &[(&str, usize, &str)] = &[
            (&in_block("foo = 1"), 3, "unknown keyword \"foo\""),
            (&in_block("listen=0.0.0.0:80"), 3, "unknown keyword \"listen=0.0.0.0:80\" (blanks are needed around \"=\")"),
            (&in_block("listen 0.0.0.0:80"), 3, "expected \"=\" after \"listen\""),
            (&in_block("listen ="), 3, "\"listen\" needs a value"),
            (&in_block("listen = 1.2.3.4:80 x"), 3, "unexpected \"x\" after \"listen = ...\""),
            (&in_block("listen = 1.2.3.4:0"), 3, "bad port \"0\" (a number from 1 to 65535, or a service name)"),
            (&in_block("listen = 1.2.3.4:65536"), 3, "bad port \"65536\" (a number from 1 to 65535, or a service name)"),
            (&in_block("listen = 1.2.3.400:80"), 3, "\"1.2.3.400\" is not an IPv4 address or a known host name"),
            (&in_block("listen = 1.2.3.4:80\nlisten = 1.2.3.4:81"), 4, "\"listen\" given twice (first on line 3)"),
            (&in_block("scheduler = averyveryverylongname"), 3, "scheduler name \"averyveryverylongname\" is longer than 15 bytes"),
            (&in_block("startservers = 0"), 3, "bad startservers \"0\" (1 to 65535)"),
            (&in_block("maxclients = 65536"), 3, "bad maxclients \"65536\" (1 to 65535)"),
            (&in_block("maxspareservers = x"), 3, "bad maxspareservers \"x\" (0 to 65535)"),
            (&in_block("minspareservers = 20\nmaxspareservers = 18"), 3, "minspareservers (20) is more than maxspareservers (18)"),
            (&in_block("server = 10.0.0.2:80 2"), 3, "server 10.0.0.2:80 given twice (first on line 2)"),
            (&in_block("server = 10.0.0.3"), 3, "\"10.0.0.3\" has no port (ADDRESS:PORT needed)"),
            (&in_block("server = 10.0.0.3:80 -1"), 3, "bad weight \"-1\" (0 to 2147483647)"),
            (&in_block("server = 10.0.0.3:80 2147483648"), 3, "bad weight \"2147483648\" (0 to 2147483647)"),
            (&in_block("server = 10.0.0.3:80 1 2"), 3, "unexpected \"2\" after \"server = ADDRESS:PORT WEIGHT\""),
            (&in_block("server ="), 3, "\"server\" needs ADDRESS:PORT [WEIGHT]"),
            (&in_block("rule = pattern \"^/a/\" use server 10.0.0.9:80"), 3, "the rule names server 10.0.0.9:80, which no \"server =\" line of virtual web declares"),
            (&in_block("rule = pattern \"(\" use server 10.0.0.2:80"), 3, "bad pattern \"(\": unbalanced parenthesis"),
            (&in_block("rule = patern \"x\" use server 10.0.0.2:80"), 3, "expected \"pattern\", found \"patern\" (rule = pattern \"REGEX\" use server ADDRESS:PORT [match N])"),
            (&in_block("rule = pattern \"x\" server 10.0.0.2:80"), 3, "expected \"use\", found \"server\" (rule = pattern \"REGEX\" use server ADDRESS:PORT [match N])"),
            (&in_block("rule = pattern \"x\" use"), 3, "rule ends before \"server\" (rule = pattern \"REGEX\" use server ADDRESS:PORT [match N])"),
            (&in_block("rule = pattern \"x\" use server"), 3, "\"use server\" needs ADDRESS:PORT"),
            (&in_block("rule = pattern \"x\" use server 10.0.0.2:80 match 10"), 3, "bad match number \"10\" (0 to 9)"),
            (&in_block("rule = pattern \"x\" use server 10.0.0.2:80 match"), 3, "\"match\" needs a number"),
            (&in_block("rule = pattern \"(x)\" use server 10.0.0.2:80 match 2"), 3, "match 2: the pattern \"(x)\" has 1 group(s)"),
            (&in_block("rule = pattern \"x\" use server 10.0.0.2:80 y"), 3, "unexpected \"y\" at the end of the rule"),
            (&in_block("rule = pattern \"x"), 3, "missing closing '\"'"),
            (&in_block(&format!("rule = pattern \"{}\" use server 10.0.0.2:80", "a".repeat(256))), 3, "pattern is longer than 255 bytes"),
            ("foo {\n}\n", 1, "unknown keyword \"foo\" (expected \"virtual NAME {\")"),
            ("}\n", 1, "\"}\" without \"virtual NAME {\""),
            ("virtual\n", 1, "\"virtual\" needs a name: virtual NAME {"),
            ("virtual web\n{\n}\n", 1, "expected \"{\" after \"virtual web\""),
            ("virtual web { listen = 1.2.3.4:80\n}\n", 1, "unexpected \"listen\" after \"{\": one statement per line"),
            ("virtual my.web_1 {\n}\nvirtual my.web_1 {\n}\n", 3, "virtual my.web_1 given twice (first on line 1)"),
            (&format!("virtual {} {{\n}}\n", "w".repeat(32)), 1, &format!("ident \"{}\" is longer than 31 bytes", "w".repeat(32))),
            ("virtual a/b {\n}\n", 1, "ident \"a/b\" may hold only letters, digits, '_', '-' and '.'"),
            ("virtual web {\n  server = 10.0.0.2:80\n} x\n", 3, "unexpected \"x\" after \"}\""),
            ("\nvirtual web {\n  server = 10.0.0.2:80\n", 2, "\"virtual web {\" is not closed by \"}\""),
        ];
        for &(text, line, message) in cases {
            assert_eq!(error(text), (line, message.to_string()), "{text}");
        }
    }
}
