#!/usr/bin/env bash
# The load-aware schedulers choose as upstream's do, through real traffic
# on VS/NAT services of rs1, rs2, rs3 (added in that order, listed newest
# first), with connections held open where load matters:
#   - lblc keeps the virtual address on one server until that server has
#     more active connections than its weight while another is half idle;
#     the address then moves to the least loaded server, for good;
#   - lblcr grows the address's server set instead;
#   - a service added again finds its servers' old connections (upstream
#     keeps removed servers while connections use them);
#   - sed and nq by weights 1:2:3, connections held open one by one;
#   - fo: the heaviest server, the next when it is quiesced;
#   - ovf: the heaviest server until its active connections pass its
#     weight.
# The expected values were read off C IPVS; both runs must give them.
. "$(dirname "$0")/lib.sh"

cluster
data=$(mktemp -d)
ON_EXIT="rm -rf $data"
http_servers "$data"
modprobe "$(ipvs_core)"
LOADED+=("$(ipvs_core)")

# service SCHED [WEIGHTS]: a fresh service on VIP:80 with rs1..rs3.
service() {
	local w i=1
	on "$DIRECTOR" ipvsadm -C
	on "$DIRECTOR" ipvsadm -A -t "$VIP:80" -s "$1"
	LOADED=("$(ipvs_sched "$1")" "${LOADED[@]}")
	for w in ${2:-1 1 1}; do
		on "$DIRECTOR" ipvsadm -a -t "$VIP:80" -r "10.0.$i.2:80" -m -w "$w"
		i=$((i + 1))
	done
}
# count N: N requests, each a new connection; "rsN=count ...".
count() {
	on "$CLIENT" curl -sf -m 600 -H "Connection: close" "http://$VIP/?[1-$1]" |
		sort | uniq -c | awk '{printf "%s=%s ", $2, $1}'
}
# hold N: N more connections held open, sending nothing (until release
# or the end of the test, which ends the client's processes).
hold() {
	local n
	for n in $(seq "$1"); do
		on "$CLIENT" socat -u "TCP:$VIP:80" OPEN:/dev/null &
		sleep 0.5
	done
	sleep 1
}
# active: active connections per server.
active() {
	on "$DIRECTOR" ipvsadm -Ln | awk '$1 == "->" && $2 ~ /^10\./ {printf "%s=%s ", $2, $5}'
}
# release: closes the held connections.
release() {
	pkill -f "socat -u TCP:$VIP:80" || true
	sleep 2
}

# lblc on a fresh service; held connections go to the server that has
# the address.
service lblc
assert_eq "lblc: closed connections stay" "rs3=5 " "$(count 5)"
hold 2
assert_eq "lblc: two held open" "10.0.1.2:80=0 10.0.2.2:80=0 10.0.3.2:80=2 " "$(active)"
assert_eq "lblc: overloaded, the address moves" "rs2=5 " "$(count 5)"
release
assert_eq "lblc: and stays" "rs2=3 " "$(count 3)"

# lblcr on the same address: the servers come back from the trash with
# the connections they still have (as upstream), which the choices see.
service lblcr
assert_eq "lblcr: closed connections stay" "rs1=5 " "$(count 5)"
hold 2
assert_eq "lblcr: two held open" "10.0.1.2:80=2 10.0.2.2:80=0 10.0.3.2:80=0 " "$(active)"
assert_eq "lblcr: overloaded, the set grows" "rs3=5 " "$(count 5)"
release
assert_eq "lblcr: the set's least loaded" "rs1=3 " "$(count 3)"

declare -A held=(
	[sed]="10.0.1.2:80=0 10.0.2.2:80=2 10.0.3.2:80=3 "
	[nq]="10.0.1.2:80=1 10.0.2.2:80=1 10.0.3.2:80=3 "
)
for s in sed nq; do
	service "$s" "1 2 3"
	hold 5
	assert_eq "$s: five held open" "${held[$s]}" "$(active)"
	release
done

service fo "1 2 3"
assert_eq "fo: the heaviest" "rs3=3 " "$(count 3)"
on "$DIRECTOR" ipvsadm -e -t "$VIP:80" -r 10.0.3.2:80 -m -w 0
assert_eq "fo: the next heaviest" "rs2=3 " "$(count 3)"

service ovf "1 2 3"
hold 4
assert_eq "ovf: four held open" "10.0.1.2:80=0 10.0.2.2:80=0 10.0.3.2:80=4 " "$(active)"
release
