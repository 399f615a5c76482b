#!/usr/bin/env bash
# Guest side of scripts/bench-ktcpvs.sh: HTTP through KTCPVS and through
# HAProxy (and, for reference, straight to one real server), the same
# client and the same three nginx real servers. Prints
#   result SWITCH MEASURE OBJECT RATE ERRORS SERVER_CONNS_PER_REQUEST
# lines (SWITCH direct|haproxy|ktcpvs, MEASURE req|conn, OBJECT 1k|100k,
# RATE per second, ERRORS failed or non-2xx requests and socket errors,
# then the connections the real servers accepted per request completed)
# and "dmesg LINE" for each kernel complaint from the runs (lvs_ktcpvs
# loaded throughout) to the module's unloading.
#
#   bench_ktcpvs.sh DURATION CONNECTIONS SCHEDULER STARTSERVERS
. "$(dirname "$0")/../lib.sh"
duration=$1 conns=$2 sched=$3 startservers=$4
tcpvsadm=$LVS_REPO/tools/target/release/tcpvsadm
ncpu=$(nproc)
# Each measurement: killed if it takes far longer than asked.
limit=$((duration * 3 + 60))

# What the kernel prints when something is wrong (as guest.sh).
# (Not the boot's command line, which has "kmemleak=off", nor its note.)
bad='WARNING:|BUG:|Oops|KASAN|UBSAN|general protection|possible circular locking|possible recursive locking|inconsistent lock state|lock held when returning|sleeping function called from invalid context|INFO: task .* blocked|soft lockup|rcu_sched self-detected|Slab cache still has objects|kmemleak|refcount_t|list_add corruption|list_del corruption|Call Trace'

# Descriptors for HAProxy's maxconn (twice over) and the load generators.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
cluster
data=$(mktemp -d)
ON_EXIT="rm -rf $data"
chmod 755 "$data"
# Ephemeral ports for a new connection per request, on the client and on
# the director (the switches' connections to the real servers).
for ns in "$CLIENT" "$DIRECTOR"; do
	on "$ns" sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1
done
# Room for a minute of TIME_WAIT at a thousand and more connections a
# second wherever connections are closed first (the servers, and the
# switches toward the client). A namespace's default is a small share
# of the machine's; once full, a closed socket is dropped at once, and
# the ACK that a client in CLOSE_WAIT sends while it reads the rest of
# the response is answered with a reset: ab counts it as an exception
# (TcpExt:TCPTimeWaitOverflow, seen on 30 s runs).
for ns in "$CLIENT" "$DIRECTOR" "${RS[1]}" "${RS[2]}" "${RS[3]}"; do
	on "$ns" sysctl -qw net.ipv4.tcp_max_tw_buckets=262144
done

# The objects: the same bytes on every real server.
head -c 1024 /dev/urandom > "$data/1k"
head -c 102400 /dev/urandom > "$data/100k"

# nginx on port 80 of each real server: one worker, static files,
# keep-alive, no access log; everything it writes in its own directory.
for i in 1 2 3; do
	d=$data/rs$i
	mkdir -p "$d/www" "$d/tmp"
	cp "$data/1k" "$data/100k" "$d/www/"
	cat > "$d/nginx.conf" <<-EOF
	user root;
	worker_processes 1;
	daemon off;
	pid $d/nginx.pid;
	error_log $d/error.log warn;
	events { worker_connections 4096; }
	http {
	    access_log off;
	    default_type application/octet-stream;
	    sendfile on;
	    tcp_nopush on;
	    tcp_nodelay on;
	    keepalive_timeout 65;
	    keepalive_requests 1000000;
	    open_file_cache max=16;
	    client_body_temp_path $d/tmp/body;
	    proxy_temp_path $d/tmp/proxy;
	    fastcgi_temp_path $d/tmp/fastcgi;
	    uwsgi_temp_path $d/tmp/uwsgi;
	    scgi_temp_path $d/tmp/scgi;
	    server {
	        listen 80 backlog=4096;
	        root $d/www;
	    }
	}
	EOF
	on "${RS[$i]}" nginx -p "$d" -e "$d/error.log" -c "$d/nginx.conf" &
done
for i in 1 2 3; do wait_port "${RS[$i]}" "10.0.$i.2" 80; done

# HAProxy in the director's namespace, on the VIP's port 8080 (started
# when its turn comes).
cat > "$data/haproxy.cfg" <<EOF
global
    nbthread $ncpu
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 60s
    http-reuse safe
frontend bench
    bind $VIP:8080
    default_backend realservers
backend realservers
    balance roundrobin
    server rs1 10.0.1.2:80
    server rs2 10.0.2.2:80
    server rs3 10.0.3.2:80
EOF

# KTCPVS: service "bench" on the VIP's port 80; a pool of startservers
# threads (no spare ones: each thread serves many clients), as HAProxy's
# nbthread.
cat > "$data/ktcpvs.conf" <<EOF
virtual bench {
    listen = $VIP:80
    scheduler = $sched
    startservers = $startservers
    minspareservers = 0
    maxclients = 4096
    server = 10.0.1.2:80 1
    server = 10.0.2.2:80 1
    server = 10.0.3.2:80 1
}
EOF

# check URL: one request arrives whole, or the run stops here.
check() {
	local obj=${1##*/} got
	got=$(on "$CLIENT" curl -sf -m 20 "$1" | cmp - "$data/$obj" 2>&1) || fail "GET $1: ${got:-curl failed}"
}

# opens: connections the real servers have accepted so far, all three.
opens() {
	local i n=0
	for i in 1 2 3; do n=$((n + $(on "${RS[$i]}" awk '$1 == "Tcp:" && $2 ~ /^[0-9]/ {print $7}' /proc/net/snmp))); done
	echo "$n"
}

# tcp_counters: every namespace's TCP counters, "NS Group:Name value" a
# line (/proc/net/snmp and /proc/net/netstat: a line of names, then one
# of values, per group).
tcp_counters() {
	local ns
	for ns in "$CLIENT" "$DIRECTOR" "${RS[1]}" "${RS[2]}" "${RS[3]}"; do
		on "$ns" awk -v ns="${ns##*-}" '
			$1 == group { for (i = 2; i <= NF; i++) print ns, $1 names[i], $i; group = ""; next }
			$1 ~ /^Tcp(Ext)?:$/ { group = $1; for (i = 2; i <= NF; i++) names[i] = $i }' \
			/proc/net/snmp /proc/net/netstat
	done
}

# trouble_counters BEFORE: the counters of resets, drops, failures and
# the like that moved since BEFORE (a tcp_counters output): what went
# wrong when a load generator saw errors.
trouble_counters() {
	tcp_counters | awk '
		NR == FNR { was[$1 " " $2] = $3; next }
		$2 ~ /Rst|Reset|Abort|Fail|Drop|Overflow|PAWS|TW|Timeout|Refused|Listen|Retrans/ && $3 != was[$1 " " $2] {
			printf "%s %s +%d\n", $1, $2, $3 - was[$1 " " $2] }' "$1" -
}

# report SWITCH MEASURE OBJECT RATE ERRORS REQUESTS SERVER_CONNS OUTPUT:
# the result line, with the connections the real servers accepted per
# request; the tool's whole output when something failed.
report() {
	local per
	per=$(awk -v r="${6:-0}" -v c="$7" 'BEGIN { if (r > 0) printf "%.3f", c / r; else print "-" }')
	echo "result $1 $2 $3 ${4:-0} $5 $per"
	if [ "$5" != 0 ] || [ -z "$4" ]; then
		echo "!!! $1 $2 $3: errors; the load generator said:"
		sed 's/^/!!!   /' <<< "$8"
		echo "!!! TCP counters of trouble that moved meanwhile (namespace, counter, increase):"
		trouble_counters "$data/counters" | sed 's/^/!!!   /'
	fi
}

# wrk_run SWITCH URL: requests/s over keep-alive connections.
wrk_run() {
	local out rate errs before
	before=$(opens)
	tcp_counters > "$data/counters"
	out=$(timeout "$limit" ip netns exec "$CLIENT" wrk -t "$ncpu" -c "$conns" -d "${duration}s" --timeout 20s "$2" 2>&1) || true
	rate=$(awk '/^Requests\/sec:/ {print $2}' <<< "$out")
	errs=$(awk '
		/Non-2xx or 3xx responses:/ { n += $NF }
		/Socket errors:/ { gsub(",", ""); n += $4 + $6 + $8 + $10 }
		END { print n + 0 }' <<< "$out")
	[ -n "$rate" ] || errs=$((errs + 1))
	echo "    wrk  $1 ${2##*/}: $(grep -E 'requests in|Latency ' <<< "$out" | tr -s ' ' | tr '\n' ' ' | sed 's/^ //')"
	report "$1" req "${2##*/}" "$rate" "$errs" "$(awk '/ requests in / {print $1}' <<< "$out")" $(($(opens) - before)) "$out"
}

# ab_run SWITCH URL: connections/s, a new connection per request (HTTP/1.0).
ab_run() {
	local out rate errs before
	before=$(opens)
	tcp_counters > "$data/counters"
	out=$(timeout "$limit" ip netns exec "$CLIENT" ab -q -r -s 20 -t "$duration" -n 2000000 -c "$conns" "$2" 2>&1) || true
	rate=$(awk '/^Requests per second:/ {print $4}' <<< "$out")
	errs=$(awk '
		/^Failed requests:/ || /^Non-2xx responses:/ { n += $NF }
		END { print n + 0 }' <<< "$out")
	[ -n "$rate" ] || errs=$((errs + 1))
	echo "    ab   $1 ${2##*/}: $(grep -E '^Complete requests|^Time per request.*\(mean\)$' <<< "$out" | tr -s ' ' | tr '\n' ' ')"
	report "$1" conn "${2##*/}" "$rate" "$errs" "$(awk '/^Complete requests:/ {print $3}' <<< "$out")" $(($(opens) - before)) "$out"
}

# warm SWITCH BASE_URL: one request of each object arrives whole (or the
# run stops here), then 2 s of load.
warm() {
	check "$2/1k"
	check "$2/100k"
	timeout 60 ip netns exec "$CLIENT" wrk -t "$ncpu" -c "$conns" -d 2s "$2/1k" > /dev/null 2>&1 || true
}

echo "== guest: $ncpu vCPUs, $(uname -r), $(grep -o 'kmemleak=[a-z]*\|lockdep[.a-z_]*=[0-9]*' /proc/cmdline | tr '\n' ' ')"
echo "== $duration s a measurement, $conns connections, wrk $ncpu threads"
# Complaints from before KTCPVS (the boot) are not its.
complaints() { dmesg | grep -E "$bad" | grep -v -i -E 'command line:|leak detector disabled'; }
complaints | sed 's/^/before KTCPVS: /' || true
dmesg -C

echo "== HAProxy $(haproxy -v | awk 'NR == 1 {print $3}'): mode http, roundrobin, nbthread $ncpu, http-reuse safe, $VIP:8080"
# (ip netns exec execs haproxy: $! is haproxy's.)
ip netns exec "$DIRECTOR" haproxy -db -f "$data/haproxy.cfg" > "$data/haproxy.log" 2>&1 &
haproxy_pid=$!
wait_port "$CLIENT" "$VIP" 8080

echo "== KTCPVS: service bench, scheduler $sched, startservers $startservers, $VIP:80"
modprobe lvs_ktcpvs
LOADED+=(lvs_ktcpvs)
on "$DIRECTOR" "$tcpvsadm" -f "$data/ktcpvs.conf"
on "$DIRECTOR" "$tcpvsadm" --start -i bench
wait_port "$CLIENT" "$VIP" 80

# Each measurement straight to rs1 (no switch: what the client and one
# server manage), then through HAProxy, then through KTCPVS: the two
# switches side by side in time, whatever the host does meanwhile. Both
# switches wait idle while the other is measured.
warm direct "http://10.0.1.2"
warm haproxy "http://$VIP:8080"
warm ktcpvs "http://$VIP"
for obj in 1k 100k; do
	for run in wrk_run ab_run; do
		$run direct "http://10.0.1.2/$obj"
		$run haproxy "http://$VIP:8080/$obj"
		$run ktcpvs "http://$VIP/$obj"
	done
done

kill "$haproxy_pid"
wait "$haproxy_pid" 2>/dev/null || true
on "$DIRECTOR" "$tcpvsadm" -L -n --status
on "$DIRECTOR" "$tcpvsadm" --stop
on "$DIRECTOR" "$tcpvsadm" -F
unload lvs_ktcpvs || echo "!!! lvs_ktcpvs could not be unloaded"
sleep 1
echo "== dmesg, from the first run to lvs_ktcpvs's unloading:"
complaints | sed 's/^/dmesg /' || echo "   no kernel complaint"
