#!/usr/bin/env bash
# Schedulers choose as upstream's do (thesis §4.1), through real
# traffic on VS/NAT services of rs1, rs2, rs3 (added in that order):
#   - naming a scheduler loads its module (no modprobe first);
#   - wrr, weights 4:3:2, spreads 900 connections exactly 400/300/200;
#   - lc sends new connections to the server without held-open ones;
#   - sh and mh send each of 20 client addresses to the server upstream's
#     tables give (pinned here; the run against C IPVS checks the pins),
#     and again to the same one; dh maps three virtual addresses so;
#   - twos reaches every server;
#   - none (no scheduler) finds no server: the connection is refused.
. "$(dirname "$0")/lib.sh"

cluster
data=$(mktemp -d)
ON_EXIT="rm -rf $data"
http_servers "$data"
modprobe "$(ipvs_core)"
LOADED+=("$(ipvs_core)")

# service SCHED [VIP]: a fresh service on VIP:80 with rs1..rs3 (weights
# from $WEIGHTS, default 1 each).
service() {
	local vip=${2:-$VIP} w i=1
	on "$DIRECTOR" ipvsadm -A -t "$vip:80" -s "$1"
	for w in ${WEIGHTS:-1 1 1}; do
		on "$DIRECTOR" ipvsadm -a -t "$vip:80" -r "10.0.$i.2:80" -m -w "$w"
		i=$((i + 1))
	done
}
# count N: N requests, each a new connection; "rsN=count ...".
count() {
	on "$CLIENT" curl -sf -m 600 -H "Connection: close" "http://$VIP/?[1-$1]" |
		sort | uniq -c | awk '{printf "%s=%s ", $2, $1}'
}

# The scheduler module comes with the service that names it.
for s in wrr lc sh mh dh; do
	is_loaded "$(ipvs_sched "$s")" && fail "$(ipvs_sched "$s") is loaded before the test"
done
WEIGHTS="4 3 2" service wrr
is_loaded "$(ipvs_sched wrr)" || fail "ipvsadm -s wrr did not load $(ipvs_sched wrr)"
LOADED=("$(ipvs_sched wrr)" "${LOADED[@]}")
assert_eq "wrr 4:3:2 over 900 connections" "rs1=400 rs2=300 rs3=200 " "$(count 900)"

# lc: two connections held open go to rs3 and rs2 (ties go to the
# newest server); then every new one goes to rs1.
on "$DIRECTOR" ipvsadm -C
service lc
LOADED=("$(ipvs_sched lc)" "${LOADED[@]}")
# ActiveConn per server: "ADDR=N ...".
active() { on "$DIRECTOR" ipvsadm -Ln | awk 'NR > 3 && $1 == "->" {printf "%s=%s ", $2, $5}'; }
held=()
for n in 1 2; do
	# ip execs socat: $! is the process holding the connection.
	sleep 120 | ip netns exec "$CLIENT" socat - "TCP:$VIP:80" &
	held+=($!)
	ON_EXIT="$ON_EXIT; kill $! 2>/dev/null"
	sleep 1
done
assert_eq "lc: held-open connections" "10.0.1.2:80=0 10.0.2.2:80=1 10.0.3.2:80=1 " "$(active)"
assert_eq "lc: new connections" "rs1=10 " "$(count 10)"
# Closed now: servers of the same address in later services may be the
# same objects (C IPVS takes them back from its trash, counters and all).
kill "${held[@]}"
for _ in $(seq 30); do
	[ "$(active)" = "10.0.1.2:80=0 10.0.2.2:80=0 10.0.3.2:80=0 " ] && break
	sleep 1
done
assert_eq "lc: connections closed" "10.0.1.2:80=0 10.0.2.2:80=0 10.0.3.2:80=0 " "$(active)"

# sh, mh: clients 10.0.0.10 .. 10.0.0.29, each twice.
dev=$(on "$CLIENT" ip -o -4 addr show to 10.0.0.2 | awk '{print $2}')
for n in $(seq 10 29); do on "$CLIENT" ip addr add "10.0.0.$n/24" dev "$dev"; done
by_client() {
	local n
	for n in $(seq 10 29); do
		echo -n "$n=$(on "$CLIENT" curl -sf -m 10 --interface "10.0.0.$n" "http://$VIP/") "
	done
}
declare -A want=(
	[sh]="10=rs2 11=rs3 12=rs2 13=rs3 14=rs3 15=rs1 16=rs2 17=rs1 18=rs2 19=rs2 20=rs3 21=rs1 22=rs3 23=rs1 24=rs3 25=rs2 26=rs3 27=rs2 28=rs1 29=rs2 "
	[mh]="10=rs2 11=rs1 12=rs1 13=rs1 14=rs3 15=rs3 16=rs1 17=rs1 18=rs1 19=rs1 20=rs2 21=rs3 22=rs2 23=rs3 24=rs1 25=rs2 26=rs1 27=rs2 28=rs2 29=rs1 "
)
for s in sh mh; do
	on "$DIRECTOR" ipvsadm -C
	service "$s"
	LOADED=("$(ipvs_sched "$s")" "${LOADED[@]}")
	assert_eq "$s: server per client" "${want[$s]}" "$(by_client)"
	assert_eq "$s: server per client, again" "${want[$s]}" "$(by_client)"
done

# dh: three virtual addresses, one service each.
on "$DIRECTOR" ipvsadm -C
got=
for v in 100 101 102; do
	[ "$v" = 100 ] || on "$DIRECTOR" ip addr add "10.0.0.$v/32" dev lo
	service dh "10.0.0.$v"
	got+="$v=$(on "$CLIENT" curl -sf -m 10 "http://10.0.0.$v/") "
done
LOADED=("$(ipvs_sched dh)" "${LOADED[@]}")
assert_eq "dh: server per virtual address" "100=rs1 101=rs3 102=rs2 " "$got"

# twos: two weighted random draws, the less loaded wins: 30 connections
# reach every server. On a virtual address of its own: the servers of
# $VIP:80 come back from the trash with the closed connections of the
# tests above (wrr's 900 among them, most to rs1), which twos rightly
# avoids, so rs1 would win only when both draws are rs1.
on "$DIRECTOR" ipvsadm -C
on "$DIRECTOR" ip addr add 10.0.0.103/32 dev lo
service twos 10.0.0.103
LOADED=("$(ipvs_sched twos)" "${LOADED[@]}")
got=$(VIP=10.0.0.103 count 30)
[[ "$got" =~ ^rs1=[0-9]+\ rs2=[0-9]+\ rs3=[0-9]+\ $ ]] || fail "twos: 30 connections went to $got"

# none: no new connection finds a server; the client is told the port
# is unreachable (curl: "couldn't connect", exit 7), as by upstream.
on "$DIRECTOR" ipvsadm -C
service none
assert_eq "none: the listed scheduler" "TCP  $VIP:80 none" "$(on "$DIRECTOR" ipvsadm -Ln | awk '$1 == "TCP"')"
rc=0
on "$CLIENT" curl -s -m 20 -o /dev/null "http://$VIP/" || rc=$?
assert_eq "none: a new connection" 7 "$rc"
