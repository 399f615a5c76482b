//! What the kernel tells about its virtual services and real servers,
//! kept as raw as the wire gives it: the formatting and the sort order of
//! ipvsadm 1.31 depend on these exact values (the IPv4 netmask in network
//! byte order, the forwarding method with its flag bits, and so on).

/// `AF_INET` and `AF_INET6`, as the IPVS attributes carry them.
pub const AF_INET: u16 = 2;
pub const AF_INET6: u16 = 10;

/// Protocol numbers of the virtual services.
pub const IPPROTO_TCP: u16 = 6;
pub const IPPROTO_UDP: u16 = 17;
pub const IPPROTO_SCTP: u16 = 132;

/// Service flags (`IP_VS_SVC_F_*`).
pub const SVC_F_PERSISTENT: u32 = 0x0001;
pub const SVC_F_ONEPACKET: u32 = 0x0004;
pub const SVC_F_SCHED1: u32 = 0x0008;
pub const SVC_F_SCHED2: u32 = 0x0010;
pub const SVC_F_SCHED3: u32 = 0x0020;

/// Forwarding methods (`IP_VS_CONN_F_*`), the low bits of a destination's
/// `conn_flags`.
pub const CONN_F_FWD_MASK: u32 = 0x0007;
pub const CONN_F_MASQ: u32 = 0x0000;
pub const CONN_F_LOCALNODE: u32 = 0x0001;
pub const CONN_F_TUNNEL: u32 = 0x0002;
pub const CONN_F_DROUTE: u32 = 0x0003;

/// Tunnel types of a tunnelling destination (`IP_VS_CONN_F_TUNNEL_TYPE_*`).
pub const TUNNEL_TYPE_IPIP: u8 = 0;
pub const TUNNEL_TYPE_GUE: u8 = 1;
pub const TUNNEL_TYPE_GRE: u8 = 2;

/// The IPVS version number encodes major.minor.patch in its three low
/// bytes (upstream's `NVERSION`).
pub fn version_string(version: u32) -> String {
    format!(
        "{}.{}.{}",
        (version >> 16) & 0xff,
        (version >> 8) & 0xff,
        version & 0xff
    )
}

/// Answer to IPVS_CMD_GET_INFO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Info {
    pub version: u32,
    pub conn_tab_size: u32,
}

/// A virtual service (the nested IPVS_CMD_ATTR_SERVICE of a reply).
///
/// `addr` is `union nf_inet_addr`: for IPv4 only the first four bytes
/// count. `port` is in host order. `netmask` is the attribute's four bytes
/// read as a native integer, as libipvs does: for IPv4 it holds the mask in
/// network byte order, for IPv6 the prefix length.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Service {
    pub af: u16,
    pub protocol: u16,
    pub addr: [u8; 16],
    pub port: u16,
    pub fwmark: u32,
    pub sched_name: String,
    pub pe_name: String,
    pub flags: u32,
    pub timeout: u32,
    pub netmask: u32,
    pub stats: Stats,
}

impl Service {
    /// The netmask of an IPv4 service as dotted quad bytes.
    pub fn netmask_v4(&self) -> [u8; 4] {
        self.netmask.to_ne_bytes()
    }
}

/// A real server of a service (the nested IPVS_CMD_ATTR_DEST of a reply).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dest {
    pub af: u16,
    pub addr: [u8; 16],
    pub port: u16,
    pub conn_flags: u32,
    pub weight: i32,
    pub u_threshold: u32,
    pub l_threshold: u32,
    pub active_conns: u32,
    pub inact_conns: u32,
    pub persist_conns: u32,
    pub tun_type: u8,
    pub tun_port: u16,
    pub tun_flags: u16,
    pub stats: Stats,
}

/// Traffic counters and rates of a service or real server, as libipvs
/// hands them to ipvsadm (`struct ip_vs_stats64`). The kernel sends 64-bit
/// values, but libipvs reads a real server's with its 32-bit parser, so
/// what arrives here may be cut (netlink.rs decides).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub conns: u64,
    pub inpkts: u64,
    pub outpkts: u64,
    pub inbytes: u64,
    pub outbytes: u64,
    pub cps: u64,
    pub inpps: u64,
    pub outpps: u64,
    pub inbps: u64,
    pub outbps: u64,
}

/// The connection timeouts (`--set`, `--timeout`), in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timeouts {
    pub tcp: u32,
    pub tcp_fin: u32,
    pub udp: u32,
}

/// Sync daemon states (`IP_VS_STATE_*`).
pub const STATE_MASTER: u32 = 0x0001;
pub const STATE_BACKUP: u32 = 0x0002;

/// A connection sync daemon as IPVS_CMD_GET_DAEMON describes it; the
/// optional fields are zero (or `None`) when the kernel leaves them out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Daemon {
    pub state: u32,
    pub mcast_ifn: String,
    pub syncid: u32,
    pub sync_maxlen: u16,
    pub mcast_group: Option<std::net::IpAddr>,
    pub mcast_port: u16,
    pub mcast_ttl: u8,
}

/// Addresses as the kernel's 16-byte fields hold them, for unit tests.
#[cfg(test)]
pub mod test_addr {
    /// An IPv4 address in the first four bytes.
    pub fn v4(a: [u8; 4]) -> [u8; 16] {
        let mut addr = [0; 16];
        addr[..4].copy_from_slice(&a);
        addr
    }

    /// An IPv6 address from its text.
    pub fn v6(s: &str) -> [u8; 16] {
        s.parse::<std::net::Ipv6Addr>().unwrap().octets()
    }
}
