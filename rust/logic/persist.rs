// SPDX-License-Identifier: GPL-2.0
//! Persistence (thesis §5.2.6): which connection template a new
//! connection of a persistent service shares with the client's earlier
//! ones, and the ports its entries get.
//!
//! A template is a connection entry with client port 0 that names the
//! real server every connection of the client (of its network, after the
//! service's netmask) goes to while the template lives:
//! - ⟨protocol, client network, virtual address, virtual port⟩ for a
//!   connection to the service's own port;
//! - ⟨protocol, client network, virtual address, 0⟩ for any port of an
//!   FTP service (port 21: the data connections go where the control
//!   connection went) or of a port-zero service (all ports);
//! - ⟨0 ("IP"), client network, firewall mark as an address, 0⟩ for a
//!   firewall-mark service, whatever the protocol and port.

/// Upstream's FTP control port, whose persistent service also takes the
/// client's data connections.
pub const FTP_PORT: u16 = 21;
/// The FTP data port of active FTP.
pub const FTP_DATA_PORT: u16 = 20;
/// The protocol number of a firewall-mark template ("IP").
pub const TEMPLATE_PROTO_ANY: u8 = 0;

/// The persistent service a new connection came to.
#[derive(Clone, Copy, Debug)]
pub struct PersistSvc {
    /// IPv6 service.
    pub v6: bool,
    /// The service's port (0 for a port-zero or firewall-mark service).
    pub port: u16,
    /// Its firewall mark, or 0.
    pub fwmark: u32,
    /// Its netmask: an IPv4 mask as a number (255.255.255.0 is
    /// `0xffff_ff00`) or an IPv6 prefix length.
    pub netmask: u32,
}

/// The identity of a template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TemplateKey {
    /// Protocol, or [`TEMPLATE_PROTO_ANY`].
    pub proto: u8,
    /// The client's network.
    pub caddr: [u8; 16],
    /// The virtual address, or the firewall mark as one.
    pub vaddr: [u8; 16],
    /// The virtual port, or 0.
    pub vport: u16,
}

/// `addr` with only its first `prefix` bits kept.
fn keep_prefix(addr: &[u8; 16], prefix: u32) -> [u8; 16] {
    let mut out = [0; 16];
    for (i, (o, a)) in out.iter_mut().zip(addr).enumerate() {
        let start = i as u32 * 8;
        *o = if prefix >= start + 8 {
            *a
        } else if prefix > start {
            a & (0xffu8 << (8 - (prefix - start)))
        } else {
            0
        };
    }
    out
}

/// The client's network: its address under the service's netmask.
pub fn client_network(svc: &PersistSvc, caddr: &[u8; 16]) -> [u8; 16] {
    if svc.v6 {
        keep_prefix(caddr, svc.netmask.min(128))
    } else {
        let mask = svc.netmask.to_be_bytes();
        let mut out = [0; 16];
        for i in 0..4 {
            out[i] = caddr[i] & mask[i];
        }
        out
    }
}

/// The template a connection of protocol `proto` from `caddr` to
/// `vaddr`:`vport` shares.
pub fn template_key(svc: &PersistSvc, proto: u8, caddr: &[u8; 16], vaddr: &[u8; 16], vport: u16) -> TemplateKey {
    let caddr = client_network(svc, caddr);
    if vport == svc.port {
        let vport = if svc.port == FTP_PORT { 0 } else { vport };
        TemplateKey { proto, caddr, vaddr: *vaddr, vport }
    } else if svc.fwmark != 0 {
        let mut mark = [0; 16];
        mark[..4].copy_from_slice(&svc.fwmark.to_be_bytes());
        TemplateKey { proto: TEMPLATE_PROTO_ANY, caddr, vaddr: mark, vport: 0 }
    } else {
        TemplateKey { proto, caddr, vaddr: *vaddr, vport: 0 }
    }
}

/// The real-server port a new template records: the server's port for
/// a template of the service's own port, else 0.
pub fn template_dport(svc: &PersistSvc, vport: u16, dest_port: u16) -> u16 {
    if vport == svc.port && svc.port != FTP_PORT {
        dest_port
    } else {
        0
    }
}

/// The real-server port of a connection to `vport` of a persistent
/// service: the server's own port for the service's port, else the port
/// the client asked for (FTP data, port-zero and firewall-mark services).
pub fn conn_dport(svc: &PersistSvc, vport: u16, dest_port: u16) -> u16 {
    if vport == svc.port && dest_port != 0 {
        dest_port
    } else {
        vport
    }
}

/// Whether a TCP packet to `vport`, for which no service has that port,
/// may belong to an FTP service's data connections: the FTP data port,
/// or any port an unprivileged process may bind (`privileged`: the port
/// needs `CAP_NET_BIND_SERVICE` in the namespace).
pub fn may_be_ftp_data(vport: u16, privileged: bool) -> bool {
    vport == FTP_DATA_PORT || !privileged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(a: [u8; 4]) -> [u8; 16] {
        let mut out = [0; 16];
        out[..4].copy_from_slice(&a);
        out
    }

    fn svc(port: u16, fwmark: u32, netmask: u32) -> PersistSvc {
        PersistSvc { v6: false, port, fwmark, netmask }
    }

    #[test]
    fn ipv4_netmask_groups_clients() {
        let s = svc(80, 0, u32::from_be_bytes([255, 255, 255, 0]));
        assert_eq!(client_network(&s, &v4([10, 1, 2, 3])), v4([10, 1, 2, 0]));
        let all = svc(80, 0, 0xffff_ffff);
        assert_eq!(client_network(&all, &v4([10, 1, 2, 3])), v4([10, 1, 2, 3]));
    }

    #[test]
    fn ipv6_prefix_groups_clients() {
        let mut a = [0xffu8; 16];
        a[0] = 0xfd;
        let s = PersistSvc { v6: true, port: 80, fwmark: 0, netmask: 60 };
        let n = client_network(&s, &a);
        assert_eq!(&n[..7], &a[..7]);
        assert_eq!(n[7], 0xf0);
        assert!(n[8..].iter().all(|&b| b == 0));
        let full = PersistSvc { netmask: 128, ..s };
        assert_eq!(client_network(&full, &a), a);
    }

    #[test]
    fn templates_as_upstream() {
        let c = v4([10, 0, 0, 2]);
        let vip = v4([10, 0, 0, 100]);
        let mask = 0xffff_ffff;
        // The service's own port: ⟨TCP, client, VIP, 80⟩ on the server's port.
        let web = svc(80, 0, mask);
        assert_eq!(template_key(&web, 6, &c, &vip, 80), TemplateKey { proto: 6, caddr: c, vaddr: vip, vport: 80 });
        assert_eq!(template_dport(&web, 80, 8080), 8080);
        assert_eq!(conn_dport(&web, 80, 8080), 8080);
        // FTP: control and data share ⟨TCP, client, VIP, 0⟩.
        let ftp = svc(21, 0, mask);
        let control = template_key(&ftp, 6, &c, &vip, 21);
        assert_eq!(control.vport, 0);
        assert_eq!(template_key(&ftp, 6, &c, &vip, 40000), control);
        assert_eq!(template_dport(&ftp, 21, 21), 0);
        assert_eq!(conn_dport(&ftp, 40000, 21), 40000);
        assert_eq!(conn_dport(&ftp, 21, 21), 21);
        // Port zero: every port shares ⟨TCP, client, VIP, 0⟩.
        let any = svc(0, 0, mask);
        assert_eq!(template_key(&any, 6, &c, &vip, 443), template_key(&any, 6, &c, &vip, 80));
        assert_eq!(conn_dport(&any, 443, 0), 443);
        // Firewall mark: ⟨IP, client, 0.0.0.7, 0⟩ for TCP and UDP alike.
        let mark = svc(0, 7, mask);
        let t = template_key(&mark, 6, &c, &vip, 80);
        assert_eq!(t, TemplateKey { proto: TEMPLATE_PROTO_ANY, caddr: c, vaddr: v4([0, 0, 0, 7]), vport: 0 });
        assert_eq!(template_key(&mark, 17, &c, &v4([10, 0, 0, 101]), 53), t);
        assert_eq!(template_dport(&mark, 80, 80), 0);
        assert_eq!(conn_dport(&mark, 80, 8080), 80);
    }

    #[test]
    fn ftp_data_ports() {
        assert!(may_be_ftp_data(20, true));
        assert!(may_be_ftp_data(40000, false));
        assert!(!may_be_ftp_data(443, true));
    }
}
