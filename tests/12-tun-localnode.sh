#!/usr/bin/env bash
# VS/TUN and local node over TCP: one service whose real servers are two
# IP-in-IP tunnel endpoints and the director itself. Round robin spreads
# 30 requests evenly; payloads of 1 B to 10 MB arrive intact through the
# tunnel (the encapsulated packets outgrow the 1500-byte path: path MTU
# discovery and fragmentation of the outer packets take care of it) and
# from the local server; `ipvsadm -Ln` shows Tunnel, and Route for the
# local server (asked as -g; upstream finds it local per packet).
. "$(dirname "$0")/lib.sh"

cluster
data=$(mktemp -d)
ON_EXIT="rm -rf $data"
http_servers "$data"
# The director serves on its own address too, as server "rs0".
mkdir -p "$data/rs0"
echo rs0 > "$data/rs0/index.html"
on "$DIRECTOR" python3 "$TESTS/tools/http_serve.py" "$data/rs0" &
ON_EXIT="$ON_EXIT; kill $! 2>/dev/null"
wait_port "$DIRECTOR" 10.0.0.1 80
for size in 1 1000 1048576 10485760; do
	for i in 0 1 2; do head -c "$size" /dev/urandom > "$data/rs$i/blob$size"; done
done
tunnel_endpoint "${RS[1]}"
tunnel_endpoint "${RS[2]}"
use_sched rr
on "$DIRECTOR" ipvsadm -A -t "$VIP:80" -s rr
on "$DIRECTOR" ipvsadm -a -t "$VIP:80" -r 10.0.1.2:80 -i
on "$DIRECTOR" ipvsadm -a -t "$VIP:80" -r 10.0.2.2:80 -i
on "$DIRECTOR" ipvsadm -a -t "$VIP:80" -r 10.0.0.1:80

got=$(for n in $(seq 30); do on "$CLIENT" curl -sf -m 10 "http://$VIP/"; done | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')
assert_eq "requests per server" "rs0=10 rs1=10 rs2=10 " "$got"

for size in 1 1000 1048576 10485760; do
	for n in 1 2 3; do
		on "$CLIENT" curl -sf -m 60 -o "$data/got" "http://$VIP/blob$size" || fail "blob$size"
		from_a_server "$data" "$data/got" "blob$size" 0 1 2 ||
			fail "blob$size arrived corrupted ($(stat -c %s "$data/got") bytes)"
	done
done

want="IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.0.0.100:80 rr
  -> 10.0.0.1:80                  Route   1      0          14        
  -> 10.0.1.2:80                  Tunnel  1      0          14        
  -> 10.0.2.2:80                  Tunnel  1      0          14        "
assert_eq "ipvsadm -Ln" "$want" "$(on "$DIRECTOR" ipvsadm -Ln)"
