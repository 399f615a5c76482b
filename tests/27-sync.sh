#!/usr/bin/env bash
# Connection sync (thesis §5.2.10): the director runs a master sync
# daemon, a second director (the backup, same services) a backup daemon
# on a link between them. `ipvsadm -L --daemon` lists both as upstream;
# a client's VS/NAT connection through the director, once established
# and past its third packet, appears in the backup's connection table
# (same client, virtual and real server addresses, ESTABLISHED); its
# close follows; after a takeover (the client's and the real server's
# routes moved to the backup) a synced connection goes on through the
# backup; a persistent service's template is synced too, and with
# sync_persist_mode only the template; stopping the daemons lists none,
# and stopping one that is not running fails as upstream; namespaces
# deleted with their daemons running go.
. "$(dirname "$0")/lib.sh"

cluster
sync_pair
data=$(mktemp -d)
ON_EXIT="rm -rf $data"
http_servers "$data"
use_sched rr

for ns in "$DIRECTOR" "$BACKUP"; do
	on "$ns" ipvsadm -A -t "$VIP:80" -s rr
	for i in 1 2 3; do on "$ns" ipvsadm -a -t "$VIP:80" -r "10.0.$i.2:80" -m; done
done
on "$DIRECTOR" ipvsadm --start-daemon master --mcast-interface syncm --syncid 7
on "$BACKUP" ipvsadm --start-daemon backup --mcast-interface syncb --syncid 7
assert_eq "the master's daemon" \
	"master sync daemon (mcast=syncm, syncid=7, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)" \
	"$(on "$DIRECTOR" ipvsadm -L --daemon)"
assert_eq "the backup's daemon" \
	"backup sync daemon (mcast=syncb, syncid=7, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)" \
	"$(on "$BACKUP" ipvsadm -L --daemon)"
out=$(on "$DIRECTOR" ipvsadm --start-daemon master --mcast-interface syncm 2>&1) && fail "a second master started"
assert_eq "a second master" "Daemon has already run" "$out"

# An established connection: the client sends twice after the
# handshake (its third packet), then waits.
on "$CLIENT" python3 -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], 80), timeout=10)
s.sendall(b"GET / HTTP/1.1\r\n")
time.sleep(0.5)
s.sendall(b"Host: x\r\n")
time.sleep(30)' "$VIP" &
client=$!
# conns NS: the namespace's TCP connections: state, client, virtual and
# real server addresses.
conns() { on "$1" ipvsadm -Lcn | awk '$1 == "TCP" {print $3, $4, $5, $6}' | sort; }
for _ in $(seq 30); do
	[ -n "$(conns "$BACKUP")" ] && break
	sleep 0.5
done
master=$(conns "$DIRECTOR")
echo "master: $master"
assert_eq "the connection on the backup" "$master" "$(conns "$BACKUP")"
case $master in ESTABLISHED\ 10.0.0.2:*\ 10.0.0.100:80\ 10.0.?.2:80) ;; *) fail "the master's connection: $master" ;; esac
kill "$client"
wait "$client" 2>/dev/null || true
# The close: the client's FIN (and RST) move it on; the backup follows.
for _ in $(seq 30); do
	[ "$(conns "$BACKUP" | awk '{print $1}')" != ESTABLISHED ] && break
	sleep 0.5
done
state=$(conns "$BACKUP" | awk '{print $1}')
[ "$state" != ESTABLISHED ] || fail "the backup kept the closed connection ESTABLISHED"

# Persistence: a persistent service's template reaches the backup as
# the master has it (client network, server); with sync_persist_mode
# the master keeps the connections under a template to itself and syncs
# only the template. A connection to the non-persistent :80 afterwards
# marks when the master's queue has gone out.
for ns in "$DIRECTOR" "$BACKUP"; do
	on "$ns" ipvsadm -A -t "$VIP:81" -s rr -p 600
	for i in 1 2 3; do on "$ns" ipvsadm -a -t "$VIP:81" -r "10.0.$i.2:80" -m; done
done
# entries NS WHAT: the namespace's templates (client port 0) or
# connections (the rest) of the persistent service: state, client,
# virtual, real server.
entries() {
	on "$1" ipvsadm -Lcn | awk -v vip="$VIP:81" -v what="$2" '
		$1 == "TCP" && $5 == vip && (($4 ~ /:0$/) == (what == "templates")) {print $3, $4, $5, $6}' | sort
}
# synced_past PORT: a connection to :80 from client port PORT; waits
# until it shows on the backup.
synced_past() {
	on "$CLIENT" curl -sf -m 10 --local-port "$1" -o /dev/null "http://$VIP/" || fail "a request to :80"
	for _ in $(seq 30); do
		on "$BACKUP" ipvsadm -Lcn | grep -q " 10.0.0.2:$1 " && return
		sleep 0.5
	done
	fail "a connection to :80 did not reach the backup"
}
on "$CLIENT" curl -sf -m 10 -o /dev/null "http://$VIP:81/" || fail "a request to the persistent service"
synced_past 40001
template=$(entries "$DIRECTOR" templates)
[[ "$template" =~ ^ASSURED\ 10.0.0.2:0\ 10.0.0.100:81\ 10.0.[123].2:80$ ]] || fail "the master's template: $template"
assert_eq "the template on the backup" "$template" "$(entries "$BACKUP" templates)"
[ -n "$(entries "$BACKUP" conns)" ] || fail "the persistent service's connection did not reach the backup"
# clients NS: the clients of the persistent service's connections.
clients() { entries "$1" conns | awk '{print $2}' | sort; }
before=$(clients "$DIRECTOR")
on "$DIRECTOR" sysctl -qw net.ipv4.vs.sync_persist_mode=1
on "$CLIENT" curl -sf -m 10 -o /dev/null "http://$VIP:81/" || fail "a request to the persistent service"
synced_past 40002
second=$(comm -13 <(echo "$before") <(clients "$DIRECTOR"))
[ -n "$second" ] || fail "the master has no second connection"
clients "$BACKUP" | grep -qxF "$second" && fail "with sync_persist_mode, the connection of $second reached the backup"
assert_eq "the template on the backup with sync_persist_mode" "$template" "$(entries "$BACKUP" templates)"
on "$DIRECTOR" sysctl -qw net.ipv4.vs.sync_persist_mode=0

# Takeover: a VS/NAT connection to an echo server on rs1, synced; then
# the client's route to the virtual address and rs1's default route move
# to the backup (as when keepalived moves them), and the connection goes
# on through the backup.
backup_links
ip -n "$BACKUP" addr add "$VIP/32" dev lo
ip -n "$BACKUP" route add 10.0.0.0/24 via 10.8.0.2
ip -n "$BACKUP" route add 10.0.1.2/32 via 10.7.1.2
on "$BACKUP" sysctl -qw net.ipv4.ip_forward=1
on "${RS[1]}" socat TCP-LISTEN:9007,reuseaddr,fork EXEC:cat &
ON_EXIT="$ON_EXIT; kill $! 2>/dev/null"
wait_port "${RS[1]}" 10.0.1.2 9007
for ns in "$DIRECTOR" "$BACKUP"; do
	on "$ns" ipvsadm -A -t "$VIP:7" -s rr
	on "$ns" ipvsadm -a -t "$VIP:7" -r 10.0.1.2:9007 -m
done
moved=$data/moved
on "$CLIENT" python3 -c '
import os, socket, sys, time
s = socket.create_connection((sys.argv[1], 7), timeout=20)
s.sendall(b"one\n")
print(s.recv(100).decode().strip(), end=" ")
while not os.path.exists(sys.argv[2]):
    time.sleep(0.2)
s.sendall(b"two\n")
print(s.recv(100).decode().strip())' "$VIP" "$moved" > "$data/echoed" &
echo_client=$!
for _ in $(seq 30); do
	on "$BACKUP" ipvsadm -Lcn | grep -q "$VIP:7" && break
	sleep 0.5
done
on "$BACKUP" ipvsadm -Lcn | grep -q "$VIP:7" || fail "the echo connection did not reach the backup"
ip -n "$CLIENT" route add "$VIP/32" via 10.8.0.1
ip -n "${RS[1]}" route replace default via 10.7.1.1
touch "$moved"
wait "$echo_client" || fail "the echo connection broke at the takeover"
assert_eq "echoes before and after the takeover" "one two" "$(cat "$data/echoed")"

on "$DIRECTOR" ipvsadm --stop-daemon master
on "$BACKUP" ipvsadm --stop-daemon backup
assert_eq "daemons after stopping" "" "$(on "$DIRECTOR" ipvsadm -L --daemon)$(on "$BACKUP" ipvsadm -L --daemon)"
out=$(on "$BACKUP" ipvsadm --stop-daemon backup 2>&1) && fail "stopped a daemon that was not running"
assert_eq "stopping a stopped daemon" "No daemon is running" "$out"
# A namespace deleted while its daemons run: they stop before its
# devices go (else "waiting for lo to become free" for ever, and the
# module stays in use), which the unloading at the end checks.
on "$DIRECTOR" ipvsadm --start-daemon master --mcast-interface syncm --syncid 7
on "$BACKUP" ipvsadm --start-daemon backup --mcast-interface syncb --syncid 7
echo "sync: the master's connection reached the backup ($master), then its close ($state)"
