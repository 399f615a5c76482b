//! The order upstream lists services and real servers in.
//!
//! libipvs compares with `int` subtractions of unsigned values
//! (`ipvs_cmp_services`, `ipvs_cmp_dests`): addresses or marks more than
//! 2^31 apart compare the "wrong" way round, so 192.168.0.1 comes before
//! 10.0.0.1 and the order is not even transitive. What comes out then
//! depends on the sort algorithm too: glibc's `qsort` is a top-down merge
//! sort for tables this small, reproduced by `merge_sort`.

use std::cmp::Ordering;

use crate::model::{Dest, Service, AF_INET6};

/// `ntohl(a) - ntohl(b)` stored into an `int`.
fn sub_be32(a: &[u8], b: &[u8]) -> i32 {
    let word = |x: &[u8]| u32::from_be_bytes([x[0], x[1], x[2], x[3]]);
    word(a).wrapping_sub(word(b)) as i32
}

/// Address difference as libipvs computes it: the first differing 32-bit
/// word for IPv6 (by the first operand's family), the only one for IPv4.
fn cmp_addr(af: u16, a: &[u8; 16], b: &[u8; 16]) -> i32 {
    let words = if af == AF_INET6 { 4 } else { 1 };
    (0..words)
        .map(|i| sub_be32(&a[4 * i..], &b[4 * i..]))
        .find(|&r| r != 0)
        .unwrap_or(0)
}

/// `ipvs_cmp_services`: fwmark, family, protocol, address, port.
pub fn cmp_services(s1: &Service, s2: &Service) -> i32 {
    let steps = [
        s1.fwmark.wrapping_sub(s2.fwmark) as i32,
        i32::from(s1.af) - i32::from(s2.af),
        i32::from(s1.protocol) - i32::from(s2.protocol),
        cmp_addr(s1.af, &s1.addr, &s2.addr),
        i32::from(s1.port) - i32::from(s2.port),
    ];
    steps.into_iter().find(|&r| r != 0).unwrap_or(0)
}

/// `ipvs_cmp_dests`: address, then port.
pub fn cmp_dests(d1: &Dest, d2: &Dest) -> i32 {
    match cmp_addr(d1.af, &d1.addr, &d2.addr) {
        0 => i32::from(d1.port) - i32::from(d2.port),
        r => r,
    }
}

/// glibc's `msort_with_tmp`: split at n/2 (the first half the smaller),
/// sort both halves, merge taking from the first half while
/// `cmp(first, second) <= 0`.
pub fn merge_sort<T: Clone>(items: &mut [T], cmp: &impl Fn(&T, &T) -> i32) {
    let n = items.len();
    if n <= 1 {
        return;
    }
    let n1 = n / 2;
    merge_sort(&mut items[..n1], cmp);
    merge_sort(&mut items[n1..], cmp);
    let (first, second) = items.split_at(n1);
    let mut merged = Vec::with_capacity(n);
    let (mut i, mut j) = (0, 0);
    while i < first.len() && j < second.len() {
        if cmp(&first[i], &second[j]).cmp(&0) != Ordering::Greater {
            merged.push(first[i].clone());
            i += 1;
        } else {
            merged.push(second[j].clone());
            j += 1;
        }
    }
    merged.extend_from_slice(&first[i..]);
    merged.extend_from_slice(&second[j..]);
    items.clone_from_slice(&merged);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_addr::{v4, v6};
    use crate::model::{AF_INET, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP};

    fn svc(af: u16, protocol: u16, addr: [u8; 16], port: u16, fwmark: u32) -> Service {
        Service {
            af,
            protocol,
            addr,
            port,
            fwmark,
            ..Default::default()
        }
    }



    fn label(s: &Service) -> String {
        crate::format::service_name(s, &crate::format::Numeric)
    }

    /// The kernel's dump order and the order Debian's ipvsadm 1.31 printed
    /// for it (checked in a guest), wrap-around comparisons included.
    #[test]
    fn services_as_upstream() {
        let mut services = vec![
            svc(AF_INET6, IPPROTO_TCP, v6("fe80::1"), 443, 0),
            svc(AF_INET, IPPROTO_SCTP, v4([10, 0, 0, 2]), 9, 0),
            svc(AF_INET, IPPROTO_TCP, v4([200, 0, 0, 1]), 80, 0),
            svc(AF_INET, IPPROTO_TCP, v4([1, 0, 0, 1]), 80, 0),
            svc(AF_INET, IPPROTO_TCP, v4([172, 16, 0, 1]), 80, 0),
            svc(AF_INET, IPPROTO_TCP, v4([192, 168, 0, 1]), 80, 0),
            svc(AF_INET, IPPROTO_TCP, v4([10, 0, 0, 1]), 80, 0),
            svc(AF_INET, IPPROTO_UDP, v4([10, 0, 0, 1]), 53, 0),
            svc(AF_INET6, IPPROTO_TCP, v6("2001:db8::1"), 443, 0),
            svc(AF_INET, 0, [0; 16], 0, 4_294_967_295),
            svc(AF_INET, 0, [0; 16], 0, 3_000_000_000),
            svc(AF_INET, 0, [0; 16], 0, 1),
            svc(AF_INET6, 0, [0; 16], 0, 7),
        ];
        merge_sort(&mut services, &cmp_services);
        let got: Vec<String> = services.iter().map(label).collect();
        assert_eq!(
            got,
            [
                "FWM  -1294967296",
                "FWM  -1",
                "TCP  172.16.0.1:80",
                "TCP  192.168.0.1:80",
                "TCP  200.0.0.1:80",
                "TCP  1.0.0.1:80",
                "TCP  10.0.0.1:80",
                "UDP  10.0.0.1:53",
                "SCTP 10.0.0.2:9",
                "TCP  [fe80::1]:443",
                "TCP  [2001:db8::1]:443",
                "FWM  1",
                "FWM  7 IPv6",
            ]
        );
    }

    #[test]
    fn dests_by_address_then_port() {
        let d = |a: [u8; 4], port| Dest {
            af: AF_INET,
            addr: v4(a),
            port,
            ..Default::default()
        };
        let mut dests = vec![
            d([10, 0, 0, 2], 80),
            d([10, 0, 0, 1], 81),
            d([10, 0, 0, 1], 80),
        ];
        merge_sort(&mut dests, &cmp_dests);
        let got: Vec<(u8, u16)> = dests.iter().map(|d| (d.addr[3], d.port)).collect();
        assert_eq!(got, [(1, 80), (1, 81), (2, 80)]);
    }

    #[test]
    fn merge_sort_is_stable() {
        let mut v = vec![(1, 'a'), (0, 'b'), (1, 'c'), (0, 'd')];
        merge_sort(&mut v, &|a: &(i32, char), b: &(i32, char)| a.0 - b.0);
        assert_eq!(v, [(0, 'b'), (0, 'd'), (1, 'a'), (1, 'c')]);
    }
}
