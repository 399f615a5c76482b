#!/usr/bin/env bash
# VS/TUN and local node over TCP: one service whose real servers are two
# IP-in-IP tunnel endpoints and the director itself. Round robin spreads
# 30 requests evenly; payloads of 1 B to 10 MB arrive intact through the
# tunnel (the encapsulated packets outgrow the 1500-byte path: path MTU
# discovery and fragmentation of the outer packets take care of it) and
# from the local server; `ipvsadm -Ln` shows Tunnel, and Route for the
# local server (asked as -g; upstream finds it local per packet). UDP
# datagrams go through the same kinds of servers intact.
. "$(dirname "$0")/lib.sh"

cluster
data=$(mktemp -d)
ON_EXIT="rm -rf $data"
http_servers "$data"
director_server "$data"
for size in 1 1000 1048576 10485760; do
	for i in 0 1 2; do head -c "$size" /dev/urandom > "$data/rs$i/blob$size"; done
done
tunnel_endpoint "${RS[1]}"
tunnel_endpoint "${RS[2]}"
use_sched rr
# The director sees only the clients' side of these connections: once
# closed they wait in FIN_WAIT for the tcpfin timeout (120 s), which a
# loaded machine can outlast before the listing below; 10 minutes here.
on "$DIRECTOR" ipvsadm --set 0 600 0
on "$DIRECTOR" ipvsadm -A -t "$VIP:80" -s rr
on "$DIRECTOR" ipvsadm -a -t "$VIP:80" -r 10.0.1.2:80 -i
on "$DIRECTOR" ipvsadm -a -t "$VIP:80" -r 10.0.2.2:80 -i
on "$DIRECTOR" ipvsadm -a -t "$VIP:80" -r 10.0.0.1:80

got=$(for n in $(seq 30); do on "$CLIENT" curl -sf -m 10 "http://$VIP/"; done | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')
assert_eq "requests per server" "rs0=10 rs1=10 rs2=10 " "$got"

# Listed before the blobs: on a slow guest the first connections could
# otherwise reach the end of TIME_WAIT (two minutes) first.
want="IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.0.0.100:80 rr
  -> 10.0.0.1:80                  Route   1      0          10        
  -> 10.0.1.2:80                  Tunnel  1      0          10        
  -> 10.0.2.2:80                  Tunnel  1      0          10        "
assert_eq "ipvsadm -Ln" "$want" "$(on "$DIRECTOR" ipvsadm -Ln)"

# Three blobs of each size (one from each server), one of 10 MB.
for size in 1 1000 1048576 10485760; do
	for n in 1 2 3; do
		on "$CLIENT" curl -sf -m 60 -o "$data/got" "http://$VIP/blob$size" || fail "blob$size"
		from_a_server "$data" "$data/got" "blob$size" 0 1 2 ||
			fail "blob$size arrived corrupted ($(stat -c %s "$data/got") bytes)"
		[ "$size" -lt 10485760 ] || break
	done
done

# UDP through the same kinds of servers: datagrams that fit the tunnel
# (1452 + 28 bytes of headers = 1480) come back intact.
udp_echo_servers 5353
udp_echo_director 5353
on "$DIRECTOR" ipvsadm -A -u "$VIP:5353" -s rr
on "$DIRECTOR" ipvsadm -a -u "$VIP:5353" -r 10.0.1.2:5353 -i
on "$DIRECTOR" ipvsadm -a -u "$VIP:5353" -r 10.0.2.2:5353 -i
on "$DIRECTOR" ipvsadm -a -u "$VIP:5353" -r 10.0.0.1:5353
assert_eq "30 UDP connections" "rs0=10 rs1=10 rs2=10 " "$(udp_ask "$VIP" 5353 30 100)"
for size in 1 1000 1452; do
	assert_eq "$size-byte datagrams" "rs0=1 rs1=1 rs2=1 " "$(udp_ask "$VIP" 5353 3 "$size")"
done
