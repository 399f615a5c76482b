#!/usr/bin/env bash
# The DoS defences (thesis §5.2.9) as upstream has them, in sysctls:
#   their defaults (amemthresh 1024 pages, am_droprate 10, the three
#   defences off) and the modes a defence takes (0 to 3; others refused);
#   the automatic mode (1) turns a defence on, and its sysctl to 2, while
#   free memory is below amemthresh, and back to 1 once it is not;
#   drop_packet 3 drops one in am_droprate new connections (the first,
#   then every am_droprate-th: the same datagrams on C IPVS and ours);
#   secure_tcp 3 leaves a VS/NAT connection whose client only
#   acknowledged the server's SYN+ACK in SYNACK, where without it the
#   connection is ESTABLISHED;
#   drop_entry 3 drops such a connection still in its handshake (ours:
#   within 32 seconds, going round the table; C IPVS picks random
#   buckets, so its time is left unchecked).
. "$(dirname "$0")/lib.sh"

cluster
data=$(mktemp -d)
ON_EXIT="rm -rf $data"
http_servers "$data"
udp_echo_servers 5353
use_sched rr
ipvs() { on "$DIRECTOR" ipvsadm "$@"; }
vs() { on "$DIRECTOR" cat "/proc/sys/net/ipv4/vs/$1"; }
set_vs() { on "$DIRECTOR" sh -c "echo $2 > /proc/sys/net/ipv4/vs/$1"; }

for pair in amemthresh=1024 am_droprate=10 drop_entry=0 drop_packet=0 secure_tcp=0; do
	assert_eq "default ${pair%=*}" "${pair#*=}" "$(vs "${pair%=*}")"
done
for bad in 4 -1; do
	set_vs drop_packet "$bad" 2>/dev/null && fail "drop_packet took $bad"
done
assert_eq "drop_packet after refused writes" 0 "$(vs drop_packet)"

# until_modes WANT: the three defences' sysctls read WANT within 5 s.
until_modes() {
	local modes n
	for n in $(seq 50); do
		modes="$(vs drop_entry) $(vs drop_packet) $(vs secure_tcp)"
		[ "$modes" = "$1" ] && return 0
		sleep 0.1
	done
	fail "defence modes: expected '$1', got '$modes'"
}
# More pages than any machine has: memory is low.
set_vs amemthresh 2147483647
for d in drop_entry drop_packet secure_tcp; do set_vs "$d" 1; done
until_modes "2 2 2"
set_vs amemthresh 0
until_modes "1 1 1"
for d in drop_entry drop_packet secure_tcp; do set_vs "$d" 0; done
set_vs amemthresh 1024

# drop_packet 3, am_droprate 2: which of ten new UDP connections (each
# datagram from a port of its own) get through.
ipvs -A -u "$VIP:5353" -s rr
ipvs -a -u "$VIP:5353" -r 10.0.1.2:5353 -m
set_vs am_droprate 2
set_vs drop_packet 3
sleep 1.5
answered=$(on "$CLIENT" python3 -c '
import socket, sys
for port in range(30000, 30010):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("0.0.0.0", port))
        s.settimeout(1)
        s.sendto(b"hello", (sys.argv[1], 5353))
        try:
            s.recvfrom(100)
            print(1, end="")
        except socket.timeout:
            print(0, end="")
' "$VIP")
assert_eq "new connections through drop_packet 3, am_droprate 2" 0101010101 "$answered"
set_vs drop_packet 0
sleep 1.5
assert_eq "new connections without drop_packet" "rs1=3 " "$(udp_ask "$VIP" 5353 3 10)"

# secure_tcp: the state of an idle VS/NAT connection (handshake done,
# nothing sent), listed by `ipvsadm -Lcn`; a service of its own for each
# case (connections outlive their services).
# state_of PORT: the states of the connections to VIP:PORT.
state_of() { ipvs -Lcn | awk -v v="$VIP:$1" '$1 == "TCP" && $5 == v {print $3}' | paste -sd' '; }
# idle_conn PORT SECONDS: a connection to VIP:PORT, idle for SECONDS
# (long: the client starts slowly under emulation, and the test kills it
# when done), once the director lists it and the handshake is over.
idle_conn() {
	ipvs -A -t "$VIP:$1" -s rr
	ipvs -a -t "$VIP:$1" -r 10.0.1.2:80 -m
	# ip execs python: $! is the client itself.
	ip netns exec "$CLIENT" python3 -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
time.sleep(int(sys.argv[3]))' "$VIP" "$1" "$2" &
	IDLE=$!
	ON_EXIT="$ON_EXIT; kill $IDLE 2>/dev/null"
	local n
	for n in $(seq 40); do
		[ -n "$(state_of "$1")" ] && break
		sleep 0.5
	done
	sleep 1.5
}
set_vs secure_tcp 3
sleep 1.5
idle_conn 81 60
assert_eq "an idle connection under secure_tcp" SYNACK "$(state_of 81)"
first=$IDLE
set_vs secure_tcp 0
sleep 1.5
idle_conn 82 60
assert_eq "an idle connection without secure_tcp" ESTABLISHED "$(state_of 82)"
kill "$first" "$IDLE"
wait "$first" "$IDLE" 2>/dev/null || true

[ "$LVS_IPVS" = rust ] || { echo "defences: the same modes, drops and states as upstream"; exit 0; }
# drop_entry 3 with secure_tcp 3: the idle connection, still in its
# handshake for the director, goes within 32 rounds.
set_vs secure_tcp 3
sleep 1.5
idle_conn 83 60
assert_eq "the connection before drop_entry" SYNACK "$(state_of 83)"
set_vs drop_entry 3
for n in $(seq 40); do
	[ -z "$(state_of 83)" ] && break
	sleep 1
done
assert_eq "connections after drop_entry" "" "$(state_of 83)"
set_vs drop_entry 0
set_vs secure_tcp 0
kill "$IDLE"
wait "$IDLE" 2>/dev/null || true
echo "defences: the same modes, drops and states as upstream; drop_entry cleared the handshake in $n s"
