#!/usr/bin/env bash
# Stress and teardown: for 60 s three clients open connections as fast as
# they can while services and real servers are added, edited and deleted
# and the table, the module parameters and the connection list are read;
# every request to the stable service succeeds. Then, with downloads
# still running, the services are flushed and the modules unloaded. The
# kernel must not complain (the runner checks dmesg and kmemleak).
. "$(dirname "$0")/lib.sh"

cluster
data=$(mktemp -d)
http_servers "$data"
for i in 1 2 3; do head -c 1048576 /dev/urandom > "$data/rs$i/blob"; done
use_sched rr
core=$(ipvs_core)
on "$DIRECTOR" ipvsadm -A -t "$VIP:80" -s rr
on "$DIRECTOR" ipvsadm -a -t "$VIP:80" -r 10.0.1.2:80 -m
on "$DIRECTOR" ipvsadm -a -t "$VIP:80" -r 10.0.2.2:80 -g

# clients N: N loops of requests to the stable service until $data/stop,
# each counting its failures into $data/fail.N.
clients() {
	local c
	for c in $(seq "$1"); do
		(
			fails=0
			while [ ! -e "$data/stop" ]; do
				on "$CLIENT" curl -sf -m 10 -o /dev/null "http://$VIP/" || fails=$((fails + 1))
			done
			echo "$fails" > "$data/fail.$c"
		) &
	done
}
clients 3

end=$((SECONDS + 60))
rounds=0
while [ $SECONDS -lt $end ]; do
	# A second service comes and goes, with servers of every method.
	on "$DIRECTOR" ipvsadm -A -t "$VIP:8080" -s rr
	on "$DIRECTOR" ipvsadm -a -t "$VIP:8080" -r 10.0.3.2:80 -m -w 2
	on "$DIRECTOR" ipvsadm -a -t "$VIP:8080" -r 10.0.2.2:80 -g
	on "$DIRECTOR" ipvsadm -a -u "$VIP:53" -r 10.0.1.2:53 -i 2>/dev/null && fail "a server added to a missing service"
	# The stable service gains, changes and loses a third server.
	on "$DIRECTOR" ipvsadm -a -t "$VIP:80" -r 10.0.3.2:80 -m
	on "$DIRECTOR" ipvsadm -e -t "$VIP:80" -r 10.0.3.2:80 -m -w 3
	on "$DIRECTOR" ipvsadm -Ln > /dev/null
	on "$DIRECTOR" cat /proc/net/ip_vs_conn > /dev/null
	cat /sys/module/"$core"/parameters/* > /dev/null 2>&1 || true
	on "$DIRECTOR" ipvsadm -d -t "$VIP:80" -r 10.0.3.2:80
	on "$DIRECTOR" ipvsadm -E -t "$VIP:8080" -s rr
	on "$DIRECTOR" ipvsadm -D -t "$VIP:8080"
	rounds=$((rounds + 1))
done
touch "$data/stop"
wait_clients() {
	local c
	for c in 1 2 3; do
		while [ ! -e "$data/fail.$c" ]; do sleep 0.2; done
	done
}
wait_clients
echo "$rounds rounds of configuration changes"
# Requests that met the third server as it was removed may fail (its
# connections are dropped, as upstream); the others must not.
total=$(cat "$data"/fail.* | awk '{s += $1} END {print s}')
[ "$total" -le $((rounds * 3)) ] || fail "$total failed requests in $rounds rounds"

# Teardown with live connections: slow downloads, then flush and unload.
downloads=()
for n in 1 2 3 4 5; do
	on "$CLIENT" curl -s -m 30 --limit-rate 20k -o /dev/null "http://$VIP/blob" &
	downloads+=($!)
done
# Until three are established, while any download runs (each stops
# after 30 s); on a slow guest one listing of the churn's thousands of
# closed connections takes seconds.
downloading() {
	local pid
	for pid in "${downloads[@]}"; do kill -0 "$pid" 2>/dev/null && return 0; done
	return 1
}
live=0
while downloading; do
	live=$(on "$DIRECTOR" ipvsadm -Lnc | grep -c ESTABLISHED) || true
	[ "$live" -ge 3 ] && break
	sleep 0.2
done
if [ "$live" -lt 3 ]; then
	on "$DIRECTOR" ipvsadm -Lnc | awk 'NR > 2 {n[$3]++} END {for (s in n) printf "%s %d\n", s, n[s]}' >&2
	fail "$live live connections before the teardown, want 3 or more (states above)"
fi
on "$DIRECTOR" ipvsadm -C
unload "$(ipvs_sched rr)"
unload "$core"
# Not a bare `wait`: the HTTP servers are background jobs too.
wait "${downloads[@]}" || true
rm -rf "$data"
