#!/usr/bin/env bash
# Two directors in two network namespaces, each with the same virtual
# service (TCP 10.0.0.100:80, same addresses everywhere) balanced to a
# server of its own, never see each other: each client reaches only its
# director's server; each director lists only its service, its real
# server and its own connections (ipvsadm and /proc/net); flushing one
# and then deleting its namespace leaves the other one working.
. "$(dirname "$0")/lib.sh"

data=$(mktemp -d)
ON_EXIT="rm -rf $data"
use_sched rr

# site NAME WEIGHT: client -- director -- real server NAME (weight
# WEIGHT, which tells the listings apart), on the same addresses as every
# other site; sets SITE_CLIENT, SITE_DIRECTOR.
site() {
	local name=$1 rs
	SITE_CLIENT=$(netns_add "$name-client")
	SITE_DIRECTOR=$(netns_add "$name-director")
	rs=$(netns_add "$name-rs")
	veth_link "$SITE_CLIENT" 10.0.0.2 "$SITE_DIRECTOR" 10.0.0.1
	veth_link "$SITE_DIRECTOR" 10.0.1.1 "$rs" 10.0.1.2
	ip -n "$SITE_DIRECTOR" addr add "$VIP/32" dev lo
	ip -n "$SITE_CLIENT" route add default via 10.0.0.1
	ip -n "$rs" route add default via 10.0.1.1
	ip netns exec "$SITE_DIRECTOR" sysctl -qw net.ipv4.ip_forward=1
	mkdir -p "$data/$name"
	echo "$name" > "$data/$name/index.html"
	ip netns exec "$rs" python3 "$TESTS/tools/http_serve.py" "$data/$name" &
	ON_EXIT="$ON_EXIT; kill $! 2>/dev/null"
	wait_port "$rs" 10.0.1.2 80
	on "$SITE_DIRECTOR" ipvsadm -A -t "$VIP:80" -s rr
	on "$SITE_DIRECTOR" ipvsadm -a -t "$VIP:80" -r "10.0.1.2:80" -m -w "$2"
}
site a 3
A_CLIENT=$SITE_CLIENT A_DIRECTOR=$SITE_DIRECTOR
site b 5
B_CLIENT=$SITE_CLIENT B_DIRECTOR=$SITE_DIRECTOR

for n in 1 2 3; do
	assert_eq "site a, request $n" a "$(on "$A_CLIENT" curl -sf -m 10 "http://$VIP/")"
done
assert_eq "site b" b "$(on "$B_CLIENT" curl -sf -m 10 "http://$VIP/")"

# services NS: what `ipvsadm -Ln` lists: services, and real servers
# with weight and inactive connections.
services() {
	on "$1" ipvsadm -Ln | tail -n +4 | awk '$1 == "->" {print $2, $4, $6; next} {print $1, $2}' | tr '\n' ' '
}
assert_eq "site a's services" "TCP 10.0.0.100:80 10.0.1.2:80 3 3 " "$(services "$A_DIRECTOR")"
assert_eq "site b's services" "TCP 10.0.0.100:80 10.0.1.2:80 5 1 " "$(services "$B_DIRECTOR")"
conns() { on "$1" ipvsadm -Lnc | tail -n +3 | wc -l; }
assert_eq "site a's connections" 3 "$(conns "$A_DIRECTOR")"
assert_eq "site b's connections" 1 "$(conns "$B_DIRECTOR")"
# The same in /proc/net/ip_vs (weights differ: 3 and 5).
weights() { on "$1" awk '$1 == "->" && NR > 3 {print $4}' /proc/net/ip_vs; }
assert_eq "site a's /proc/net/ip_vs" 3 "$(weights "$A_DIRECTOR")"
assert_eq "site b's /proc/net/ip_vs" 5 "$(weights "$B_DIRECTOR")"
assert_eq "site a's /proc/net/ip_vs_conn" 4 "$(on "$A_DIRECTOR" cat /proc/net/ip_vs_conn | wc -l)"

# Flushing site a leaves b alone; so does deleting a's namespaces.
on "$A_DIRECTOR" ipvsadm -C
assert_eq "site a after flush" "" "$(services "$A_DIRECTOR")"
assert_eq "site b after a's flush" "TCP 10.0.0.100:80 10.0.1.2:80 5 1 " "$(services "$B_DIRECTOR")"
on "$A_CLIENT" curl -sf -m 3 "http://$VIP/" > /dev/null && fail "site a still balances after its flush"
for ns in "$A_CLIENT" "$A_DIRECTOR" "lvs-$$-a-rs"; do
	ip netns pids "$ns" | xargs -r kill
	ip netns del "$ns"
done
for n in 1 2; do
	assert_eq "site b after a is gone, request $n" b "$(on "$B_CLIENT" curl -sf -m 10 "http://$VIP/")"
done
assert_eq "site b's connections at the end" 3 "$(conns "$B_DIRECTOR")"
