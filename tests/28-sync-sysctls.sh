#!/usr/bin/env bash
# The sync daemons' sysctls, as upstream:
#   sync_threshold: "3 50" at first; a negative value, or a threshold not
#     below a non-zero period, is refused (EINVAL); at "20 0" the master
#     syncs a connection at its 20th packet, not before;
#   sync_refresh_period, sync_retries: 0 at first; with a period of 0,
#     a connection's expiry moving by the refresh period syncs it again;
#     retries from 0 to 3;
#   sync_persist_mode: 0 at first (what it does: 27-sync);
#   sync_version: 1 at first, 0 or 1; at 0 the master sends upstream's
#     older messages, without timeouts: the backup uses its own;
#   sync_qlen_max: a positive number (a 32nd of the buffer pages), never
#     negative;
#   sync_ports: 1 at first, powers of two only; at 2 each daemon runs two
#     threads (ipvs-m:GEN:0 and :1), on ports 8848 and 8849;
#   sync_sock_size: a daemon's socket gets twice that many bytes of send
#     (master) or receive (backup) buffer;
#   backup_only: set while a backup daemon runs, the backup balances
#     nothing (a client of its virtual service reaches the backup's own
#     stack); stopping the daemon, or clearing it, balances again.
. "$(dirname "$0")/lib.sh"

cluster
sync_pair
use_sched rr
vs() { on "$1" cat "/proc/sys/net/ipv4/vs/$2"; }
# set_vs NS NAME VALUE: "ok", or the error of the write.
set_vs() {
	on "$1" bash -c '{ printf "%s\n" "$2" > "/proc/sys/net/ipv4/vs/$1"; } 2>&1 && echo ok' _ "$2" "$3" |
		sed 's/.*: //'
}

for pair in backup_only=0 sync_persist_mode=0 sync_sock_size=0 sync_threshold=3,50; do
	want=$(echo "${pair#*=}" | tr , '\t')
	assert_eq "default ${pair%=*}" "$want" "$(vs "$DIRECTOR" "${pair%=*}")"
done
qlen=$(vs "$DIRECTOR" sync_qlen_max)
[[ "$qlen" =~ ^[1-9][0-9]*$ ]] || fail "sync_qlen_max is $qlen"
assert_eq "sync_qlen_max -1" "Invalid argument" "$(set_vs "$DIRECTOR" sync_qlen_max -1)"
assert_eq "sync_qlen_max 1000" "ok" "$(set_vs "$DIRECTOR" sync_qlen_max 1000)"
for bad in "50 3" "5 5" "-1 50" "3 -50"; do
	assert_eq "sync_threshold $bad" "Invalid argument" "$(set_vs "$DIRECTOR" sync_threshold "$bad")"
done
assert_eq "sync_threshold after refused writes" "$(printf '3\t50')" "$(vs "$DIRECTOR" sync_threshold)"
assert_eq "sync_threshold 20 0" ok "$(set_vs "$DIRECTOR" sync_threshold "20 0")"
assert_eq "sync_threshold read back" "$(printf '20\t0')" "$(vs "$DIRECTOR" sync_threshold)"

# Daemons of two threads each (ports 8848 and 8849), with buffers of
# 100000 bytes asked (200000 given).
assert_eq "default sync_ports" 1 "$(vs "$DIRECTOR" sync_ports)"
for bad in 0 3 -2; do
	assert_eq "sync_ports $bad" "Invalid argument" "$(set_vs "$DIRECTOR" sync_ports "$bad")"
done
for ns in "$DIRECTOR" "$BACKUP"; do
	assert_eq "sync_ports 2" ok "$(set_vs "$ns" sync_ports 2)"
	set_vs "$ns" sync_sock_size 100000 > /dev/null
done
on "$DIRECTOR" ipvsadm --start-daemon master --mcast-interface syncm --syncid 7
on "$BACKUP" ipvsadm --start-daemon backup --mcast-interface syncb --syncid 7
# Threads are named by the namespace's number (upstream's ipvs->gen) and
# their own.
assert_eq "the daemons' threads" "ipvs-b:N:0 ipvs-b:N:1 ipvs-m:N:0 ipvs-m:N:1" \
	"$(ps -e -o comm= | grep -E '^ipvs-[mb]:' | sed -E 's/:[0-9]+:/:N:/' | sort | xargs)"
# ports NS: the UDP ports of the namespace's daemon sockets.
ports() { on "$1" ss -Huan | grep -oE ':884[89]( |$)' | tr -d ': ' | sort | xargs; }
assert_eq "the master's ports" "8848 8849" "$(ports "$DIRECTOR")"
assert_eq "the backup's ports" "8848 8849" "$(ports "$BACKUP")"
# buffer NS FIELD: FIELD (rb or tb) of the namespace's UDP socket that
# has port 8848 on either end: the daemon's.
buffer() {
	on "$1" ss -Huamn | awk -v f="$2" '
		/:8848([ \t]|$)/ {daemon = 1}
		daemon && /skmem:/ {match($0, f "[0-9]+"); print substr($0, RSTART + length(f), RLENGTH - length(f)); exit}'
}
assert_eq "the master's send buffer" 200000 "$(buffer "$DIRECTOR" tb)"
assert_eq "the backup's receive buffer" 200000 "$(buffer "$BACKUP" rb)"

# The threshold: an echo connection through the director; three echoes
# (five to eight packets from the client with the handshake), then
# thirty more.
on "${RS[1]}" socat TCP-LISTEN:9007,reuseaddr,fork EXEC:cat &
ON_EXIT="${ON_EXIT:+$ON_EXIT; }kill $! 2>/dev/null"
wait_port "${RS[1]}" 10.0.1.2 9007
for ns in "$DIRECTOR" "$BACKUP"; do
	on "$ns" ipvsadm -A -t "$VIP:7" -s rr
	on "$ns" ipvsadm -a -t "$VIP:7" -r 10.0.1.2:9007 -m
done
step=$(mktemp -u)
# The client, from port PORT: three echoes, STEP.few; waits for
# STEP.more; thirty echoes, STEP.many; holds the connection.
three_then_thirty='
import os, socket, sys, time
s = socket.create_connection((sys.argv[1], 7), timeout=20, source_address=("10.0.0.2", int(sys.argv[3])))
def echo(n):
    for _ in range(n):
        s.sendall(b"x\n")
        got = b""
        while not got.endswith(b"\n"):
            got += s.recv(100)
def then(name):
    open(sys.argv[2] + name, "w").close()
echo(3)
then(".few")
while not os.path.exists(sys.argv[2] + ".more"):
    time.sleep(0.2)
echo(30)
then(".many")
time.sleep(30)'
on "$CLIENT" python3 -c "$three_then_thirty" "$VIP" "$step" 41001 &
client=$!
ON_EXIT="${ON_EXIT:+$ON_EXIT; }kill $client 2>/dev/null; rm -f $step.*"
# until_file FILE [SECONDS]: waits for FILE (20 s at most).
until_file() {
	local n
	for n in $(seq $((${2:-20} * 5))); do [ -e "$1" ] && return 0; sleep 0.2; done
	fail "no $1"
}
# on_backup PORT [FIELD]: the state (or FIELD: "left", its seconds left)
# of the client's connection from PORT on the backup.
on_backup() {
	on "$BACKUP" ipvsadm -Lcn | awk -v c="10.0.0.2:$1" -v f="${2:-state}" '
		$4 == c && f == "state" {print $3}
		$4 == c && f == "left" {split($2, t, ":"); print t[1] * 60 + t[2]}'
}
until_file "$step.few"
# until_on_backup PORT: waits (15 s at most) for the client's connection
# from PORT on the backup.
until_on_backup() {
	local n
	for n in $(seq 30); do
		[ -n "$(on_backup "$1")" ] && return
		sleep 0.5
	done
}
# The master sends at least every two seconds.
sleep 5
assert_eq "the backup after a few packets" "" "$(on_backup 41001)"
touch "$step.more"
until_file "$step.many"
until_on_backup 41001
assert_eq "the backup after the 20th packet" ESTABLISHED "$(on_backup 41001)"
kill "$client"
wait "$client" 2>/dev/null || true

# The refresh period: a connection echoing once a second for 25 s, synced
# at its threshold only (period 0) unless its expiry moved by 10 s since
# its last sync. ESTABLISHED lasts 15:00: on the backup it has at least
# 14:46 left at the end when refreshed, about 14:35 when not.
assert_eq "sync_refresh_period default" 0 "$(vs "$DIRECTOR" sync_refresh_period)"
assert_eq "sync_retries default" 0 "$(vs "$DIRECTOR" sync_retries)"
assert_eq "sync_retries 4" "Invalid argument" "$(set_vs "$DIRECTOR" sync_retries 4)"
set_vs "$DIRECTOR" sync_threshold "3 0" > /dev/null
assert_eq "sync_refresh_period 10" ok "$(set_vs "$DIRECTOR" sync_refresh_period 10)"
assert_eq "sync_refresh_period read back" 10 "$(vs "$DIRECTOR" sync_refresh_period)"
on "$CLIENT" python3 -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], 7), timeout=20, source_address=("10.0.0.2", 41002))
for _ in range(25):
    s.sendall(b"x\n")
    got = b""
    while not got.endswith(b"\n"):
        got += s.recv(100)
    time.sleep(1)
open(sys.argv[2], "w").close()
time.sleep(60)' "$VIP" "$step.echoed" &
client=$!
ON_EXIT="${ON_EXIT:+$ON_EXIT; }kill $client 2>/dev/null"
until_file "$step.echoed" 90
sleep 2
left=$(on_backup 41002 left)
echo "refreshed: $left s left on the backup"
[ -n "$left" ] && [ "$left" -ge 886 ] || fail "the backup's connection has ${left:-no} seconds left, not 886 or more"
kill "$client"
wait "$client" 2>/dev/null || true

# sync_version 0: the format of directors before 2.6.39, which carries no
# timeouts: the backup (ESTABLISHED lasting 10:00 there) gives the
# connection its own.
assert_eq "sync_version default" 1 "$(vs "$DIRECTOR" sync_version)"
assert_eq "sync_version 2" "Invalid argument" "$(set_vs "$DIRECTOR" sync_version 2)"
assert_eq "sync_version 0" ok "$(set_vs "$DIRECTOR" sync_version 0)"
set_vs "$DIRECTOR" sync_threshold "3 50" > /dev/null
set_vs "$DIRECTOR" sync_refresh_period 0 > /dev/null
on "$BACKUP" ipvsadm --set 600 0 0
rm -f "$step".*
on "$CLIENT" python3 -c "$three_then_thirty" "$VIP" "$step" 41003 &
client=$!
until_file "$step.few"
until_on_backup 41003
assert_eq "the backup, from a version 0 message" ESTABLISHED "$(on_backup 41003)"
left=$(on_backup 41003 left)
[ -n "$left" ] && [ "$left" -le 600 ] && [ "$left" -ge 580 ] || fail "the version 0 connection has $left seconds left, not the backup's 600"
kill "$client"

# backup_only: a virtual service of the backup's own on a link from the
# client, to rs1 over a link of its own.
backup_links
ip -n "$BACKUP" addr add 10.8.0.100/32 dev lo
ip -n "${RS[1]}" route add 10.8.0.0/24 via 10.7.1.1
on "$BACKUP" sysctl -qw net.ipv4.ip_forward=1
on "$BACKUP" ipvsadm -A -t 10.8.0.100:7 -s rr
on "$BACKUP" ipvsadm -a -t 10.8.0.100:7 -r 10.7.1.2:9007 -m
echo_once() {
	on "$CLIENT" python3 -c '
import socket, sys
try:
    s = socket.create_connection(("10.8.0.100", 7), timeout=10)
    s.sendall(b"echoed\n")
    print(s.recv(100).decode().strip())
except OSError as e:
    print(e.strerror)'
}
assert_eq "backup_only 0, a backup daemon running" echoed "$(echo_once)"
set_vs "$BACKUP" backup_only 1 > /dev/null
assert_eq "backup_only 1, a backup daemon running" "Connection refused" "$(echo_once)"
on "$BACKUP" ipvsadm --stop-daemon backup
assert_eq "backup_only 1, no backup daemon" echoed "$(echo_once)"
on "$DIRECTOR" ipvsadm --stop-daemon master
echo "sync sysctls: threshold, queue, buffers and backup_only as upstream"
