#!/usr/bin/env bash
# VS/TUN's other tunnel types (--tun-type): one TCP service whose real
# servers take the client's packets in GUE (UDP port 6080, no checksum),
# in GRE with a checksum, and in GUE with remote checksum offload (port
# 6081). Round robin spreads 30 requests evenly over them; 1 MB and 10 MB
# downloads arrive intact (the encapsulation outgrows the 1500-byte path:
# path MTU discovery counts its headers); `ipvsadm -Ln --tun-info` shows
# each server's tunnel; an edit without tunnel options makes it IP in IP
# again, and GUE without a port is refused (by ipvsadm itself).
. "$(dirname "$0")/lib.sh"

cluster
data=$(mktemp -d)
ON_EXIT="rm -rf $data"
http_servers "$data"
for size in 1048576 10485760; do
	for i in 1 2 3; do head -c "$size" /dev/urandom > "$data/rs$i/blob$size"; done
done
# The receiving ends: fou's GUE ports deliver IP in IP to tunl0; GRE with
# checksums needs a device that expects them (the fallback gre0 does not).
for i in 1 2 3; do tunnel_endpoint "${RS[$i]}"; done
ip -n "${RS[1]}" fou add port 6080 gue
ip -n "${RS[2]}" link add gre1 type gre local 10.0.2.2 csum
ip -n "${RS[2]}" link set gre1 up
ip netns exec "${RS[2]}" sysctl -qw net.ipv4.conf.gre1.rp_filter=0
ip -n "${RS[3]}" fou add port 6081 gue

use_sched rr
on "$DIRECTOR" ipvsadm -A -t "$VIP:80" -s rr
on "$DIRECTOR" ipvsadm -a -t "$VIP:80" -r 10.0.1.2:80 -i --tun-type gue --tun-port 6080
on "$DIRECTOR" ipvsadm -a -t "$VIP:80" -r 10.0.2.2:80 -i --tun-type gre --tun-csum
on "$DIRECTOR" ipvsadm -a -t "$VIP:80" -r 10.0.3.2:80 -i --tun-type gue --tun-port 6081 --tun-remcsum

want="IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn
TCP  10.0.0.100:80 rr
  -> 10.0.1.2:80                  Tunnel  gue:6080:-c   1      0          0         
  -> 10.0.2.2:80                  Tunnel  gre:+c        1      0          0         
  -> 10.0.3.2:80                  Tunnel  gue:6081:r+c  1      0          0         "
assert_eq "ipvsadm -Ln --tun-info" "$want" "$(on "$DIRECTOR" ipvsadm -Ln --tun-info)"

got=$(for n in $(seq 30); do on "$CLIENT" curl -sf -m 10 "http://$VIP/"; done | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')
assert_eq "requests per server" "rs1=10 rs2=10 rs3=10 " "$got"

# One blob of each size from each server.
for size in 1048576 10485760; do
	for n in 1 2 3; do
		on "$CLIENT" curl -sf -m 120 -o "$data/got" "http://$VIP/blob$size" || fail "blob$size, download $n"
		from_a_server "$data" "$data/got" "blob$size" 1 2 3 ||
			fail "blob$size arrived corrupted ($(stat -c %s "$data/got") bytes)"
	done
done

# tunnel_of SERVER: its forwarding method, tunnel and weight.
tunnel_of() { on "$DIRECTOR" ipvsadm -Ln --tun-info | awk -v s="$1" '$2 == s {print $3, $4, $5}'; }

# An edit without tunnel options: IP in IP again, as upstream.
on "$DIRECTOR" ipvsadm -e -t "$VIP:80" -r 10.0.1.2:80 -i
assert_eq "after the edit" "Tunnel ipip 1" "$(tunnel_of 10.0.1.2:80)"
# GUE needs a port: ipvsadm asks for it.
if out=$(on "$DIRECTOR" ipvsadm -e -t "$VIP:80" -r 10.0.1.2:80 -i --tun-type gue 2>&1); then
	fail "GUE without a port was accepted"
fi
assert_eq "GUE without a port" "You need to supply the 'tun-port' option for the 'gue' tunnel type" "$out"
assert_eq "still IP in IP" "Tunnel ipip 1" "$(tunnel_of 10.0.1.2:80)"
