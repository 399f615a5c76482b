#!/usr/bin/env bash
# SCTP services: associations through the virtual address are balanced
# round robin (the newest server first, as upstream's list has it), VS/NAT to another port (every packet's CRC32c checked on
# the wire where it arrives, at a real server and at the client), VS/DR,
# and IPv6 VS/NAT; the connection table follows each association to
# CLOSED, the listing counts them inactive; a packet that is not an INIT
# opens nothing (sloppy_sctp 0), and does with sloppy_sctp 1.
. "$(dirname "$0")/lib.sh"

cluster
data=$(mktemp -d)
ON_EXIT="rm -rf $data"
use_sched rr
check=$TESTS/tools/sctp_check.py
vs() { echo "/proc/sys/net/ipv4/vs/$1"; }

# Each server answers an association with its name and closes it: on
# port 6000 (VS/NAT) and on the virtual addresses' port 5000 (VS/DR).
for i in 1 2 3; do
	for port in 5000 6000; do
		on "${RS[$i]}" socat "SCTP6-LISTEN:$port,ipv6only=0,fork,reuseaddr" SYSTEM:"echo rs$i" &
		ON_EXIT="${ON_EXIT:+$ON_EXIT; }kill $! 2>/dev/null"
	done
done
sleep 1
# ask ADDRESS N: N associations to the service at ADDRESS (socat's
# form), the answers in order, one a line.
ask() {
	local n
	for n in $(seq "$2"); do on "$CLIENT" timeout 10 socat -u "SCTP:$1" - || echo "failed $?"; done
}
# states PORT: the states of the table's SCTP connections to real
# servers' port PORT, counted.
states() {
	on "$DIRECTOR" ipvsadm -Lnc | awk -v to=":$1\$" '$1 == "SCTP" && $6 ~ to {print $3}' |
		sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' '
}
# sniff NS NAME: checks the SCTP packets NS receives, into $data/NAME,
# in the background (its pid added to SNIFFERS) until `sniffed`;
# returns once it reads.
SNIFFERS=()
sniff() {
	rm -f "$data/$2.ready" "$data/stop"
	on "$1" python3 "$check" "$data/$2.ready" "$data/stop" > "$data/$2" &
	SNIFFERS+=($!)
	local n
	for n in $(seq 100); do [ -e "$data/$2.ready" ] && return; sleep 0.1; done
	fail "the SCTP checker in $1 did not start"
}
# sniffed: stops the checkers (a second after the last packet they
# await) and waits for their reports.
sniffed() { sleep 1; touch "$data/stop"; wait "${SNIFFERS[@]}"; SNIFFERS=(); }
# from PORT: the table's connections from the client's port PORT.
from() { on "$DIRECTOR" ipvsadm -Lnc | awk -v from="10.0.0.2:$1" '$4 == from' | wc -l; }

assert_eq "sloppy_sctp's default" 0 "$(on "$DIRECTOR" cat "$(vs sloppy_sctp)")"

on "$DIRECTOR" ipvsadm -A --sctp-service "$VIP:5000" -s rr
for i in 1 2 3; do on "$DIRECTOR" ipvsadm -a --sctp-service "$VIP:5000" -r "10.0.$i.2:6000" -m; done
sniff "${RS[1]}" rs1.check
sniff "$CLIENT" client.check
assert_eq "VS/NAT: answers in turn" "$(printf 'rs3\nrs2\nrs1\nrs3\nrs2\nrs1')" "$(ask "$VIP:5000" 6)"
sniffed
for side in rs1 client; do
	read -r packets _ bad _ < "$data/$side.check"
	# An association's handshake and shutdown alone are three or more
	# packets each way.
	[ "$packets" -ge 5 ] || fail "VS/NAT: only $packets SCTP packets reached $side"
	assert_eq "VS/NAT: bad checksums among the $packets packets $side got" 0 "$bad"
done
assert_eq "VS/NAT: connection states" "CLOSED=6 " "$(states 6000)"
want="IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
SCTP 10.0.0.100:5000 rr
$(for i in 1 2 3; do printf '  -> %-28s %-7s %-6d %-10d %-10d\n' "10.0.$i.2:6000" Masq 1 0 2; done)"
assert_eq "VS/NAT: ipvsadm -Ln" "$want" "$(on "$DIRECTOR" ipvsadm -Ln)"
stats=$(on "$DIRECTOR" ipvsadm -Ln --stats | awk '$1 == "SCTP" {print $3; exit}')
assert_eq "VS/NAT: connections counted" 6 "$stats"

on "$DIRECTOR" ipvsadm -C
on "$DIRECTOR" ipvsadm -A --sctp-service "$VIP:5000" -s rr
for i in 1 2 3; do on "$DIRECTOR" ipvsadm -a --sctp-service "$VIP:5000" -r "10.0.$i.2:5000" -g; done
assert_eq "VS/DR: answers in turn" "$(printf 'rs3\nrs2\nrs1')" "$(ask "$VIP:5000" 3)"
assert_eq "VS/DR: connection states (the client's side only)" "CLOSED=3 " "$(states 5000)"

on "$DIRECTOR" ipvsadm -C
on "$DIRECTOR" ipvsadm -A --sctp-service "[$VIP6]:5000" -s rr
for i in 1 2; do on "$DIRECTOR" ipvsadm -a --sctp-service "[$VIP6]:5000" -r "[fd00:$i::2]:6000" -m; done
assert_eq "IPv6 VS/NAT: answers in turn" "$(printf 'rs2\nrs1\nrs2')" "$(ask "[$VIP6]:5000" 3)"

# A packet that opens no association: a HEARTBEAT (chunk 4) from a
# client port with no connection. Only with sloppy_sctp does it make
# one (its server answers it with an ABORT: no association there).
on "$DIRECTOR" ipvsadm -C
on "$DIRECTOR" ipvsadm -A --sctp-service "$VIP:5000" -s rr
on "$DIRECTOR" ipvsadm -a --sctp-service "$VIP:5000" -r 10.0.1.2:6000 -m
heartbeat() { on "$CLIENT" python3 "$TESTS/tools/raw_packet.py" sctp 10.0.0.2 "$1" "$VIP" 5000 4; }
heartbeat 41000
sleep 0.5
assert_eq "a HEARTBEAT opens nothing" 0 "$(from 41000)"
on "$DIRECTOR" sh -c "echo 1 > $(vs sloppy_sctp)"
heartbeat 41001
sleep 0.5
assert_eq "with sloppy_sctp, a HEARTBEAT opens a connection" 1 "$(from 41001)"
on "$DIRECTOR" sh -c "echo 0 > $(vs sloppy_sctp)"

# nat_icmp_send: a VS/NAT server's packet that belongs to no connection
# is dropped (and answered with ICMP), but an ABORT passes, as a TCP
# reset does.
on "$DIRECTOR" sh -c "echo 1 > $(vs nat_icmp_send)"
for chunk in 4 6; do
	sniff "$CLIENT" "stray.$chunk"
	on "${RS[1]}" python3 "$TESTS/tools/raw_packet.py" sctp 10.0.1.2 6000 10.0.0.2 42000 "$chunk"
	sniffed
done
assert_eq "nat_icmp_send: a stray HEARTBEAT is dropped" "0 packets, 0 bad" "$(cat "$data/stray.4")"
assert_eq "nat_icmp_send: a stray ABORT passes" "1 packets, 0 bad" "$(cat "$data/stray.6")"
on "$DIRECTOR" sh -c "echo 0 > $(vs nat_icmp_send)"
