//! The texts of `-h` and `-v`: the original's usage text, its option
//! list put right (`-P` for `--port`, which it printed as `-p`) and ours
//! added (`-l` to list, `--status`, `-v`, `-f -`).

use lvs_logic::tcpvs_proto::{defaults, FAMILY_VERSION};

/// The version line.
pub fn version() -> String {
    format!(
        "tcpvsadm {} (LVS in Rust; TCPVS netlink protocol {FAMILY_VERSION})\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// The usage text.
pub fn usage() -> String {
    let mut text = version();
    text.push_str("Usage:\n");
    for synopsis in [
        "-A|E -i ident [-s scheduler] [-P port] [-l address[:port]]",
        "-D -i ident",
        "-F",
        "-a|e -i ident -r server-address [-w weight]",
        "-d -i ident -r server-address",
        "--add-rule -i ident -p pattern -r server-address [-m match-num]",
        "--del-rule -i ident -p pattern -r server-address",
        "-L|l [-n] [--status] [-i ident]",
        "-f config-file",
        "--start|stop [-i ident]",
        "-h|v",
    ] {
        text.push_str(&format!("  tcpvsadm {synopsis}\n"));
    }
    text.push_str(COMMANDS);
    text.push_str(&format!(
        "\
Options:
  --ident        -i ident             service identity
  --scheduler    -s scheduler         one of rr, lc, wlc, http, hhttp;
                                      the default scheduler is {}.
  --port         -P port              port the service listens on (default 8080)
  --listen       -l address[:port]    address (and port) the service listens on
  --real-server  -r server-address    server-address is host and port
  --weight       -w weight            capacity of real server (default 1)
  --pattern      -p pattern           extended regular expression for the request URI
  --match        -m match-num         match number to hash (hhttp only)
  --numeric      -n                   numeric output of addresses and ports
  --status                            list state and connections too
",
        defaults::SCHED
    ));
    text
}

const COMMANDS: &str = "
Commands:
Either long or short options are allowed.
  --add-service     -A        add virtual service with options
  --edit-service    -E        edit virtual service with options
  --delete-service  -D        delete virtual service
  --flush           -F        flush the whole table
  --add-server      -a        add real server with options
  --edit-server     -e        edit real server with options
  --delete-server   -d        delete real server
  --add-rule                  add rule into virtual service
  --del-rule                  delete rule from virtual service
  --list            -L|-l     list the table
  --load-configfile -f        flush the table and load a config file (- for stdin)
  --start                     start the virtual services
  --stop                      stop the virtual services
  --help            -h        display this help message
  --version         -v        display the version

";
