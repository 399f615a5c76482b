#!/usr/bin/env bash
# IPv6 through every forwarding method: a TCP service on [fd00:ff::100]:80
# balanced by round robin over VS/NAT, then VS/DR, then VS/TUN
# (IPv6-in-IPv6) and local node real servers; 9 requests go 3 to each,
# payloads of 1 B to 10 MB arrive intact; a UDP service mixing NAT and
# DR echoes datagrams up to the 1452 bytes a 1500-byte link carries, one
# of TUN and local node those that fit the tunnel;
# `ipvsadm -Ln` and `-Lnc` (which reads /proc/net/ip_vs_conn) show the
# services and connections as C IPVS shows them.
. "$(dirname "$0")/lib.sh"

cluster
data=$(mktemp -d)
ON_EXIT="rm -rf $data"
http_servers "$data"
director_server "$data"
sizes="1 1000 1048576 10485760"
for size in $sizes; do
	for i in 0 1 2 3; do head -c "$size" /dev/urandom > "$data/rs$i/blob$size"; done
done
tunnel_endpoint "${RS[1]}"
tunnel_endpoint "${RS[2]}"
use_sched rr
svc="[$VIP6]:80"

# through WANT SERVER...: a fresh service with real servers SERVER
# ("address method"); 9 requests answered as WANT, each from a client
# port of its own (PORT on): a port the kernel picked twice would land on
# the earlier connection, still in TIME_WAIT, and spoil the counts.
PORT=40000
through() {
	local want=$1 server got n
	shift
	on "$DIRECTOR" ipvsadm -C
	on "$DIRECTOR" ipvsadm -A -t "$svc" -s rr
	for server in "$@"; do
		# shellcheck disable=SC2086 # address and method
		on "$DIRECTOR" ipvsadm -a -t "$svc" -r $server
	done
	got=$(for n in $(seq 9); do on "$CLIENT" curl -gsf -m 10 --local-port $((PORT + n)) "http://$svc/"; done |
		sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')
	PORT=$((PORT + 10))
	assert_eq "$*: requests per server" "$want" "$got"
}

# blobs: every blob, each compared with the servers' copies.
blobs() {
	local size
	for size in $sizes; do
		on "$CLIENT" curl -gsf -m 60 -o "$data/got" "http://$svc/blob$size" || fail "blob$size"
		from_a_server "$data" "$data/got" "blob$size" 0 1 2 3 ||
			fail "blob$size arrived corrupted ($(stat -c %s "$data/got") bytes)"
	done
}

through "rs1=3 rs2=3 rs3=3 " "[fd00:1::2]:80 -m" "[fd00:2::2]:80 -m" "[fd00:3::2]:80 -m"
want="IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  [fd00:ff::100]:80 rr
  -> [fd00:1::2]:80               Masq    1      0          3         
  -> [fd00:2::2]:80               Masq    1      0          3         
  -> [fd00:3::2]:80               Masq    1      0          3         "
assert_eq "ipvsadm -Ln after NAT" "$want" "$(on "$DIRECTOR" ipvsadm -Ln)"
n=$(on "$DIRECTOR" ipvsadm -Lnc | grep -c "TIME_WAIT *\[fd00::2\]:[0-9]* *\[fd00:ff::100\]:80 *\[fd00:[123]::2\]:80") || true
assert_eq "connections in TIME_WAIT" 9 "$n"
blobs

through "rs1=3 rs2=3 rs3=3 " "[fd00:1::2]:80 -g" "[fd00:2::2]:80 -g" "[fd00:3::2]:80 -g"
blobs
through "rs0=3 rs1=3 rs2=3 " "[fd00:1::2]:80 -i" "[fd00:2::2]:80 -i" "[fd00::1]:80 -g"
blobs

# UDP, NAT and DR mixed, then TUN and local node.
udp_echo_servers 5353
udp_echo_director 5353
usvc="[$VIP6]:5353"
on "$DIRECTOR" ipvsadm -A -u "$usvc" -s rr
on "$DIRECTOR" ipvsadm -a -u "$usvc" -r "[fd00:1::2]:5353" -m
on "$DIRECTOR" ipvsadm -a -u "$usvc" -r "[fd00:2::2]:5353" -g
on "$DIRECTOR" ipvsadm -a -u "$usvc" -r "[fd00:3::2]:5353" -m
assert_eq "30 UDP connections" "rs1=10 rs2=10 rs3=10 " "$(udp_ask "$VIP6" 5353 30 100)"
for size in 1 1000 1452; do
	assert_eq "$size-byte datagrams" "rs1=1 rs2=1 rs3=1 " "$(udp_ask "$VIP6" 5353 3 "$size")"
done
on "$DIRECTOR" ipvsadm -D -u "$usvc"
on "$DIRECTOR" ipvsadm -A -u "$usvc" -s rr
on "$DIRECTOR" ipvsadm -a -u "$usvc" -r "[fd00:1::2]:5353" -i
on "$DIRECTOR" ipvsadm -a -u "$usvc" -r "[fd00:2::2]:5353" -i
on "$DIRECTOR" ipvsadm -a -u "$usvc" -r "[fd00::1]:5353"
assert_eq "30 UDP connections, TUN and local" "rs0=10 rs1=10 rs2=10 " "$(udp_ask "$VIP6" 5353 30 100)"
# 1412 + 48 bytes of headers fill the tunnel's 1460.
for size in 1 1000 1412; do
	assert_eq "$size-byte datagrams, TUN and local" "rs0=1 rs1=1 rs2=1 " "$(udp_ask "$VIP6" 5353 3 "$size")"
done
