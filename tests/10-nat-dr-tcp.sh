#!/usr/bin/env bash
# VS/NAT and VS/DR over TCP with round robin: 30 HTTP requests through
# the virtual address are answered by the three real servers in turn,
# payloads of 1 B to 10 MB arrive intact, and `ipvsadm -Ln` shows the
# service, its servers and their connection counts as C IPVS shows them,
# and /proc/net/ip_vs too.
. "$(dirname "$0")/lib.sh"

cluster
data=$(mktemp -d)
ON_EXIT="rm -rf $data"
http_servers "$data"
for size in 1 1000 65536 1048576 10485760; do
	for i in 1 2 3; do head -c "$size" /dev/urandom > "$data/rs$i/blob$size"; done
done
use_sched rr

# requests METHOD FIRST_PORT: a fresh service of three servers by METHOD,
# 30 requests from client ports FIRST_PORT on: a port the kernel picked
# twice would land on the earlier connection (still in TIME_WAIT), which
# would end it and spoil the counts below.
requests() {
	local method=$1 port=$2 i got
	on "$DIRECTOR" ipvsadm -C
	on "$DIRECTOR" ipvsadm -A -t "$VIP:80" -s rr
	for i in 1 2 3; do on "$DIRECTOR" ipvsadm -a -t "$VIP:80" -r "10.0.$i.2:80" "$method"; done
	got=$(for i in $(seq 30); do on "$CLIENT" curl -sf -m 10 --local-port $((port + i)) "http://$VIP/"; done |
		sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')
	assert_eq "$method: requests per server" "rs1=10 rs2=10 rs3=10 " "$got"
}

# blobs METHOD: the bytes of every blob, each compared with the servers'
# copies; three of each size (one from each server) up to 1 MB.
blobs() {
	local method=$1 size n
	for size in 1 1000 65536 1048576 10485760; do
		for n in 1 2 3; do
			on "$CLIENT" curl -sf -m 60 -o "$data/got" "http://$VIP/blob$size" || fail "$method: blob$size"
			from_a_server "$data" "$data/got" "blob$size" 1 2 3 ||
				fail "$method: blob$size arrived corrupted ($(stat -c %s "$data/got") bytes)"
			[ "$size" -lt 10485760 ] || break
		done
	done
}

requests -m 30000
# Checked before the blobs: a slow guest must not let the first
# connections reach the end of TIME_WAIT (two minutes) before the listing.
# 30 connections, all closed: each server holds 10, inactive.
want="IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.0.0.100:80 rr
  -> 10.0.1.2:80                  Masq    1      0          10        
  -> 10.0.2.2:80                  Masq    1      0          10        
  -> 10.0.3.2:80                  Masq    1      0          10        "
assert_eq "ipvsadm -Ln after NAT" "$want" "$(on "$DIRECTOR" ipvsadm -Ln)"
# /proc/net/ip_vs in upstream's words: hex addresses, real servers
# newest first.
want="IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port Forward Weight ActiveConn InActConn
TCP  0A000064:0050 rr  
  -> 0A000302:0050      Masq    1      0          10        
  -> 0A000202:0050      Masq    1      0          10        
  -> 0A000102:0050      Masq    1      0          10        "
assert_eq "/proc/net/ip_vs after NAT" "$want" "$(on "$DIRECTOR" cat /proc/net/ip_vs)"
# The connection table shows them too, closed on both sides.
n=$(on "$DIRECTOR" ipvsadm -Lnc | grep -c "TIME_WAIT.*$VIP:80") || true
assert_eq "connections in TIME_WAIT" 30 "$n"
blobs -m

requests -g 31000
blobs -g
