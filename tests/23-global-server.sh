#!/usr/bin/env bash
# The global server scheduler (gs, thesis §4.1.5; ours only: C IPVS has
# none): routes from client prefixes to their servers, loaded with our
# ipvsadm --gs into /proc/net/ip_vs_gs, send each client to the least
# loaded available server of its longest matching prefix; with none of
# them available, or no route, to the least loaded server of all (wlc).
# The file lists the routes as the lines that make them; a write takes
# effect whole or not at all; bad lines, unknown services and routes,
# and writers without CAP_NET_ADMIN get clear errors; routes follow
# their servers, stay through a change of scheduler and go with their
# service.
. "$(dirname "$0")/lib.sh"
only_rust "C IPVS has no global server scheduler"

ipvsadm_ours=$LVS_REPO/tools/target/release/ipvsadm
[ -x "$ipvsadm_ours" ] || fail "$ipvsadm_ours is not built (make tools)"
gs() { on "$DIRECTOR" "$ipvsadm_ours" --gs "$@"; }

cluster
data=$(mktemp -d)
ON_EXIT="rm -rf $data"
http_servers "$data"
# Clients at 10.0.0.2 and 10.0.0.66 (in 10.0.0.64/26).
client_dev=$(ip -n "$CLIENT" -o -4 addr show | awk '$4 == "10.0.0.2/24" {print $2}')
ip -n "$CLIENT" addr add 10.0.0.66/24 dev "$client_dev"

# The scheduler module loads on demand.
modprobe "$(ipvs_core)"
LOADED+=("$(ipvs_sched gs)" "$(ipvs_core)")
on "$DIRECTOR" ipvsadm -A -t "$VIP:80" -s gs
is_loaded "$(ipvs_sched gs)" || fail "gs did not load on demand"
for i in 1 2 3; do on "$DIRECTOR" ipvsadm -a -t "$VIP:80" -r "10.0.$i.2:80" -m; done

# count FROM N: N requests from client address FROM, each a new
# connection; "rsN=count ...".
count() {
	on "$CLIENT" curl -sf -m 600 --interface "$1" -H "Connection: close" "http://$VIP/?[1-$2]" |
		sort | uniq -c | awk '{printf "%s=%s ", $2, $1}'
}

gs add -t "$VIP:80" 10.0.0.64/26 10.0.1.2:80
assert_eq "the route's one server" "rs1=6 " "$(count 10.0.0.66 6)"
assert_eq "no route: the least loaded of all, newest first" "rs2=2 rs3=2 " "$(count 10.0.0.2 4)"

# A wider route for every client of the link, rs2 preferred to rs1.
gs add -t "$VIP:80" 10.0.0.0/24 10.0.2.2 10.0.1.2:80
assert_eq "the longest prefix wins" "rs1=2 " "$(count 10.0.0.66 2)"
# rs2 has 2 connections, rs1 8: rs2 until it has as many, then still
# rs2, named first.
assert_eq "the least loaded of the route's servers" "rs2=7 " "$(count 10.0.0.2 7)"
assert_eq "rs2 has 9 now, rs1 8" "rs1=1 " "$(count 10.0.0.2 1)"

# rs1 quiesced: 10.0.0.66's /26 has no server left, its /24 has rs2.
on "$DIRECTOR" ipvsadm -e -t "$VIP:80" -r 10.0.1.2:80 -m -w 0
assert_eq "a shorter prefix when the longer has no server" "rs2=3 " "$(count 10.0.0.66 3)"
on "$DIRECTOR" ipvsadm -e -t "$VIP:80" -r 10.0.2.2:80 -m -w 0
assert_eq "no server of any route: all servers" "rs3=2 " "$(count 10.0.0.66 2)"
on "$DIRECTOR" ipvsadm -e -t "$VIP:80" -r 10.0.1.2:80 -m -w 1
on "$DIRECTOR" ipvsadm -e -t "$VIP:80" -r 10.0.2.2:80 -m -w 1

# Listing, as the lines that make the routes (port filled in).
expected="add -t 10.0.0.100:80 10.0.0.64/26 10.0.1.2:80
add -t 10.0.0.100:80 10.0.0.0/24 10.0.2.2:80 10.0.1.2:80"
assert_eq "the listing" "$expected" "$(gs)"
assert_eq "the file" "$expected" "$(on "$DIRECTOR" cat /proc/net/ip_vs_gs)"
# The same prefix replaces its route where it stands.
gs add -t "$VIP:80" 10.0.0.64/26 10.0.3.2:80
assert_eq "replaced" "add -t 10.0.0.100:80 10.0.0.64/26 10.0.3.2:80" "$(gs | head -n1)"
assert_eq "the new route" "rs3=2 " "$(count 10.0.0.66 2)"

# Routes follow their servers out of and back into the service, and
# stay through a change of scheduler (the /24 to rs2 alone from here on,
# so that no choice depends on load).
gs add -t "$VIP:80" 10.0.0.0/24 10.0.2.2
on "$DIRECTOR" ipvsadm -d -t "$VIP:80" -r 10.0.3.2:80
assert_eq "its server removed, the shorter prefix" "rs2=1 " "$(count 10.0.0.66 1)"
on "$DIRECTOR" ipvsadm -a -t "$VIP:80" -r 10.0.3.2:80 -m
assert_eq "its server back" "rs3=1 " "$(count 10.0.0.66 1)"
LOADED=("$(ipvs_sched wlc)" "${LOADED[@]}")
on "$DIRECTOR" ipvsadm -E -t "$VIP:80" -s wlc
on "$DIRECTOR" ipvsadm -E -t "$VIP:80" -s gs
assert_eq "routes kept through a scheduler change" 2 "$(gs | wc -l)"
assert_eq "and used again" "rs3=1 " "$(count 10.0.0.66 1)"

# Errors: ipvsadm's words and exit statuses.
expect_error() {
	local want_status=$1 want=$2 got status=0
	shift 2
	got=$("$@" 2>&1) || status=$?
	assert_eq "$* (message)" "$want" "$got"
	assert_eq "$* (status)" "$want_status" "$status"
}
expect_error 1 "No such service" gs add -t 10.0.0.99:80 10.0.0.0/8 10.0.1.2
expect_error 1 "No such route" gs del -t "$VIP:80" 10.9.0.0/16
expect_error 2 "ipvsadm --gs: bad prefix length" gs add -t "$VIP:80" 10.0.0.0/33 10.0.1.2
expect_error 2 "ipvsadm --gs: more than 8 servers" gs add -t "$VIP:80" 10.0.0.0/8 \
	1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 1.1.1.7 1.1.1.8 1.1.1.9
# write_error ERRNO_TEXT CMD...: CMD, which writes to the file, fails
# with that error.
write_error() {
	local want=$1 got
	shift
	got=$("$@" 2>&1) && fail "$*: succeeded"
	[[ $got == *"write error: $want"* ]] || fail "$*: expected '$want', got '$got'"
}
# write_once TEXT: TEXT written to the file in one write() (a shell's
# printf may write line by line).
write_once() {
	on "$DIRECTOR" python3 -c 'import os, sys
fd = os.open("/proc/net/ip_vs_gs", os.O_WRONLY)
try:
    os.write(fd, sys.argv[1].encode())
except OSError as e:
    sys.exit("write error: " + os.strerror(e.errno))' "$1"
}
# Written directly, a write with a bad line is refused whole.
write_error "Invalid argument" write_once "add -t $VIP:80 10.9.0.0/16 10.0.1.2
add -t nowhere 1
"
# Without CAP_NET_ADMIN, even as root (the test kernel has no user
# namespaces, whose root the check also refuses).
write_error "Operation not permitted" on "$DIRECTOR" setpriv --inh-caps=-all --bounding-set=-all \
	bash -c 'echo flush > /proc/net/ip_vs_gs'
assert_eq "routes intact after the errors" 2 "$(gs | wc -l)"
# Several lines, comments among them, in one write.
write_once "# two more
add -t $VIP:80 10.8.0.0/16 10.0.1.2

add -t $VIP:80 10.9.0.0/16 10.0.2.2
"
assert_eq "a write of several lines" 4 "$(gs | wc -l)"
gs del -t "$VIP:80" 10.8.0.0/16
gs del -t "$VIP:80" 10.9.0.0/16

# IPv6: a route of the client's /64 to rs2.
on "$DIRECTOR" ipvsadm -A -t "[$VIP6]:80" -s gs
for i in 1 2 3; do on "$DIRECTOR" ipvsadm -a -t "[$VIP6]:80" -r "[fd00:$i::2]:80" -m; done
gs add -t "[$VIP6]:80" fd00::/64 "[fd00:2::2]"
assert_eq "IPv6 route" "add -t [fd00:ff::100]:80 fd00::/64 [fd00:2::2]:80" "$(gs | tail -n1)"
got=$(on "$CLIENT" curl -sf -m 600 -H "Connection: close" "http://[$VIP6]/?[1-3]" | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')
assert_eq "IPv6 clients to their route's server" "rs2=3 " "$got"

# Flushing one service, then all; a service removed takes its routes.
gs flush -t "[$VIP6]:80"
assert_eq "one service flushed" 2 "$(gs | wc -l)"
gs del -t "$VIP:80" 10.0.0.64/26
assert_eq "one route deleted" "add -t 10.0.0.100:80 10.0.0.0/24 10.0.2.2:80" "$(gs)"
on "$DIRECTOR" ipvsadm -D -t "$VIP:80"
on "$DIRECTOR" ipvsadm -A -t "$VIP:80" -s gs
assert_eq "a service added again has no routes" "" "$(gs)"
gs add -t "[$VIP6]:80" fd00::/64 "[fd00:2::2]"
gs flush
assert_eq "all flushed" "" "$(gs)"
