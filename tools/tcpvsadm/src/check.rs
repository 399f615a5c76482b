//! The limits the command line and the config file both enforce before
//! anything is sent, so that a mistake gets its reason (and, in a file,
//! its line) rather than the kernel's bare EINVAL. Sizes are the
//! protocol's (`tcpvs_proto`); patterns are compiled by the engine the
//! kernel module runs (`lvs_logic::regex`), so that what passes here
//! compiles there.

use lvs_logic::regex::{self, Regex, Scratch, MAX_GROUP};
use lvs_logic::tcpvs_proto::{IDENT_MAX, PATTERN_MAX, SCHED_NAME_MAX};

/// Highest weight: the protocol's u32 holds 0 to i32::MAX.
pub const WEIGHT_MAX: u32 = i32::MAX as u32;
/// Pool sizes (startservers, maxclients, min/maxspareservers): the
/// original's range, but the spare-thread bounds may be 0 (no spare
/// threads: the pool stays at startservers, each thread serving many
/// clients).
pub const POOL_MIN: u32 = 1;
pub const SPARE_MIN: u32 = 0;
pub const POOL_MAX: u32 = 65535;

/// A string attribute: no NUL inside (it would cut the string short).
fn no_nul(what: &str, s: &str) -> Result<(), String> {
    if s.contains('\0') {
        Err(format!("{what} holds a NUL byte"))
    } else {
        Ok(())
    }
}

/// A service name to look for: 1 to IDENT_MAX bytes.
pub fn ident(s: &str) -> Result<(), String> {
    no_nul("ident", s)?;
    match s.len() {
        0 => Err("empty ident".to_string()),
        n if n > IDENT_MAX => Err(format!("ident \"{s}\" is longer than {IDENT_MAX} bytes")),
        _ => Ok(()),
    }
}

/// The name of a new service: as [`ident`], and made of letters,
/// digits, '_', '-' and '.', as the original's manual asks, so that it
/// is one word in a listing and a config file.
pub fn new_ident(s: &str) -> Result<(), String> {
    ident(s)?;
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    {
        Ok(())
    } else {
        Err(format!(
            "ident \"{s}\" may hold only letters, digits, '_', '-' and '.'"
        ))
    }
}

/// A scheduler name: 1 to SCHED_NAME_MAX bytes, one word.
pub fn sched(s: &str) -> Result<(), String> {
    no_nul("scheduler name", s)?;
    if s.is_empty() || s.contains(char::is_whitespace) {
        Err(format!("bad scheduler name \"{s}\""))
    } else if s.len() > SCHED_NAME_MAX {
        Err(format!(
            "scheduler name \"{s}\" is longer than {SCHED_NAME_MAX} bytes"
        ))
    } else {
        Ok(())
    }
}

/// Why the engine refuses a pattern, in words.
fn regex_error(e: regex::Error) -> &'static str {
    match e {
        regex::Error::Paren => "unbalanced parenthesis",
        regex::Error::Bracket => "bad bracket expression",
        regex::Error::Brace => "bad repetition count {m,n}",
        regex::Error::Repeat => "repetition operator with nothing to repeat",
        regex::Error::Escape => "trailing backslash",
        regex::Error::TooBig => "pattern too large for the kernel's matcher",
    }
}

/// A rule's pattern (1 to PATTERN_MAX bytes, a POSIX extended regular
/// expression the kernel's engine compiles) and its match number (a
/// group the pattern has, or 0 for the whole match).
pub fn pattern(p: &str, match_num: u32) -> Result<(), String> {
    no_nul("pattern", p)?;
    if p.is_empty() {
        return Err("empty pattern".to_string());
    }
    if p.len() > PATTERN_MAX {
        return Err(format!("pattern is longer than {PATTERN_MAX} bytes"));
    }
    let mut re = Box::new(Regex::empty());
    let mut scratch = Box::new(Scratch::new());
    re.compile_into(p.as_bytes(), &mut scratch)
        .map_err(|e| format!("bad pattern \"{p}\": {}", regex_error(e)))?;
    if match_num as usize > re.groups() {
        return Err(format!(
            "match {match_num}: the pattern \"{p}\" has {} group(s)",
            re.groups()
        ));
    }
    Ok(())
}

/// The highest match number: the engine's last group.
pub const MATCH_MAX: u32 = MAX_GROUP as u32;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idents() {
        assert!(ident("web").is_ok());
        assert!(ident(&"a".repeat(IDENT_MAX)).is_ok());
        assert_eq!(
            ident(&"a".repeat(IDENT_MAX + 1)),
            Err(format!(
                "ident \"{}\" is longer than 31 bytes",
                "a".repeat(32)
            ))
        );
        assert_eq!(ident(""), Err("empty ident".to_string()));
        assert_eq!(ident("a\0b"), Err("ident holds a NUL byte".to_string()));
        assert!(ident("my web").is_ok());
        assert!(new_ident("web-1_a.b").is_ok());
        assert!(new_ident("my web").is_err());
        assert!(new_ident("a{").is_err());
    }

    #[test]
    fn schedulers() {
        assert!(sched("hhttp").is_ok());
        assert!(sched(&"s".repeat(SCHED_NAME_MAX)).is_ok());
        assert!(sched(&"s".repeat(SCHED_NAME_MAX + 1)).is_err());
        assert!(sched("").is_err());
        assert!(sched("a b").is_err());
    }

    #[test]
    fn patterns() {
        assert!(pattern("^/images/", 0).is_ok());
        assert!(pattern(".*", 0).is_ok());
        assert!(pattern("^/u/([a-z]+)/", 1).is_ok());
        assert_eq!(
            pattern("^/u/([a-z]+)/", 2),
            Err("match 2: the pattern \"^/u/([a-z]+)/\" has 1 group(s)".to_string())
        );
        assert_eq!(
            pattern("(", 0),
            Err("bad pattern \"(\": unbalanced parenthesis".to_string())
        );
        assert_eq!(
            pattern("a\\", 0),
            Err("bad pattern \"a\\\": trailing backslash".to_string())
        );
        assert!(pattern("*a", 0).is_err());
        assert_eq!(pattern("", 0), Err("empty pattern".to_string()));
        assert!(pattern(&"a".repeat(PATTERN_MAX), 0).is_ok());
        assert_eq!(
            pattern(&"a".repeat(PATTERN_MAX + 1), 0),
            Err("pattern is longer than 255 bytes".to_string())
        );
    }
}
