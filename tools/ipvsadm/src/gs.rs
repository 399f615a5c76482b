//! `ipvsadm --gs ...`: the routes of the global server scheduler, an
//! addition of ours (upstream has no such scheduler). The words after
//! `--gs` are one line of `/proc/net/ip_vs_gs` (see
//! `rust/logic/gs_table.rs`), checked here with the kernel's own parser
//! so that a bad one gets a clear message, then written there; `--gs`
//! alone (or `--gs list`) prints the routes.

use std::fs;
use std::io::{ErrorKind, Write};

use lvs_logic::gs_table;

/// The file our IPVS reads the routes from, in the caller's namespace.
const GS_FILE: &str = "/proc/net/ip_vs_gs";

/// Runs `ipvsadm --gs WORDS...`: what to print on stdout, or an error
/// message and the exit status.
pub fn run(words: &[String]) -> Result<String, (String, u8)> {
    if words.is_empty() || words == ["list"] {
        return fs::read_to_string(GS_FILE).map_err(|e| (why_open(&e), 2));
    }
    let line = words.join(" ");
    gs_table::parse(&line).map_err(|bad| (format!("ipvsadm --gs: {bad}"), 2))?;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .open(GS_FILE)
        .map_err(|e| (why_open(&e), 2))?;
    // One write: the kernel takes whole lines only.
    file.write_all(format!("{line}\n").as_bytes())
        .map_err(|e| (why(&e), 1))?;
    Ok(String::new())
}

/// What an error opening the file means to an operator.
fn why_open(e: &std::io::Error) -> String {
    match e.kind() {
        ErrorKind::NotFound => {
            format!("ipvsadm --gs: no {GS_FILE}: the IPVS loaded has no global server scheduling (LVS in Rust's lvs_ipvs has)")
        }
        _ => why(e),
    }
}

/// What an error of the file means to an operator.
fn why(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::ESRCH) => "No such service".to_string(),
        Some(libc::ENOENT) => "No such route".to_string(),
        Some(libc::ENOSPC) => "Too many routes for the service".to_string(),
        Some(libc::EPERM | libc::EACCES) => "Permission denied (you must be root)".to_string(),
        _ => format!("ipvsadm --gs: {GS_FILE}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split(' ').map(String::from).collect()
    }

    #[test]
    fn bad_lines_are_refused_before_the_file() {
        let refused = run(&words("add -t 10.0.0.1:80 10.0.0.0/40 10.0.1.2")).unwrap_err();
        assert_eq!(refused, ("ipvsadm --gs: bad prefix length".to_string(), 2));
        let refused = run(&words("route -t 10.0.0.1:80")).unwrap_err();
        assert_eq!(
            refused.0,
            "ipvsadm --gs: unknown command (add, del or flush)"
        );
    }

    #[test]
    fn kernel_errors_read_as_ipvsadm_words() {
        let os = |errno| std::io::Error::from_raw_os_error(errno);
        assert_eq!(why(&os(libc::ESRCH)), "No such service");
        assert_eq!(
            why(&os(libc::EPERM)),
            "Permission denied (you must be root)"
        );
        assert_eq!(why(&os(libc::ENOENT)), "No such route");
        assert!(why_open(&os(libc::ENOENT)).contains("no /proc/net/ip_vs_gs"));
    }
}
