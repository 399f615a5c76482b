#!/usr/bin/env bash
# KTCPVS end to end: a virtual service on the director's VIP, configured
# by tcpvsadm, relays HTTP to three python servers. Round robin spreads
# 30 requests 10/10/10, wrr by weight; 1 MB and 10 MB downloads and a
# 10 MB upload arrive intact; the http scheduler routes by rule, lblc by
# locality, wlc to the server with the fewest connections; a malformed request
# gets 400 without disturbing the service; a real server that refuses
# connections is taken out with no failed request (the request goes to
# another server); a config file sets the same service up; the thread
# pool grows while its threads hold clients and shrinks after them;
# stopping and unloading with clients in flight is clean; one keep-alive
# connection's requests go where each one's rule says; a server that
# drops SYNs is passed over after a connect timeout, and one that accepts
# and stays silent costs its client a 504, not a hang. KTCPVS has no C
# counterpart: ours only.
. "$(dirname "$0")/lib.sh"
only_rust "KTCPVS has no C counterpart"

tcpvsadm=$LVS_REPO/tools/target/release/tcpvsadm
modprobe lvs_ktcpvs
LOADED+=(lvs_ktcpvs)
cluster
data=$(mktemp -d)
ON_EXIT="rm -rf $data"
http_servers "$data" --http11
for i in 1 2 3; do
	head -c 1048576 /dev/urandom > "$data/rs$i/blob1m"
	head -c 10485760 /dev/urandom > "$data/rs$i/blob10m"
	mkdir -p "$data/rs$i/images"
	echo "image from rs$i" > "$data/rs$i/images/a.txt"
done
tv() { on "$DIRECTOR" "$tcpvsadm" "$@"; }

# count N: N requests for / from the client, a connection each; prints
# "rsN=count ..." (failed requests show as "fail").
count() {
	local i
	for i in $(seq "$1"); do on "$CLIENT" curl -sf -m 10 "http://$VIP/" || echo fail; done |
		sort | uniq -c | awk '{printf "%s=%s ", $2, $1}'
}

tv -A -i web -s rr -l "$VIP:80"
for i in 1 2 3; do tv -a -i web -r "10.0.$i.2:80"; done
tv --start -i web
wait_port "$CLIENT" "$VIP" 80
assert_eq "rr: requests per server" "rs1=10 rs2=10 rs3=10 " "$(count 30)"

# Servers that never answer, on a second service: rs1's port 82 drops
# SYNs, rs2's port 81 accepts and stays silent. Two requests at once,
# one to each (rr): the first is sent on to rs2 after the switch's 10 s
# connect timeout; both get 504 after 120 s of rs2's silence. They run
# while the rest of the test goes on (checked before the config file
# replaces the table); without the connect timeout the first would take
# two minutes more (SYN retries), without the other, curl's limit.
on "${RS[1]}" nft add table inet hang
on "${RS[1]}" nft add chain inet hang input '{ type filter hook input priority 0; }'
on "${RS[1]}" nft add rule inet hang input tcp dport 82 drop
on "${RS[2]}" socat TCP-LISTEN:81,fork,reuseaddr SYSTEM:'sleep 600' &
tv -A -i hang -s rr -l "$VIP:8081"
tv -a -i hang -r 10.0.1.2:82
tv -a -i hang -r 10.0.2.2:81
tv --start -i hang
wait_port "$CLIENT" "$VIP" 8081
wait_port "${RS[2]}" 10.0.2.2 81
silent=()
for n in 1 2; do
	on "$CLIENT" curl -s -m 300 -o /dev/null -w '%{http_code} %{time_total}' "http://$VIP:8081/" > "$data/silent$n" &
	silent+=($!)
done

# Downloads.
for blob in blob1m blob10m; do
	for n in 1 2 3; do
		on "$CLIENT" curl -sf -m 60 -o "$data/got" "http://$VIP/$blob" || fail "GET $blob"
		from_a_server "$data" "$data/got" "$blob" 1 2 3 || fail "$blob arrived corrupted ($(stat -c %s "$data/got") bytes)"
	done
done
# An upload: the servers answer a POST with its body's SHA-256.
head -c 10485760 /dev/urandom > "$data/up"
got=$(on "$CLIENT" curl -sf -m 60 -H 'Expect:' --data-binary "@$data/up" "http://$VIP/") || fail "POST 10 MB"
assert_eq "POST 10 MB intact" "$(sha256sum < "$data/up" | cut -d' ' -f1)" "$got"

# A malformed request: 400 and a close; the service goes on.
got=$(printf 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n' | on "$CLIENT" socat -t 5 - "TCP:$VIP:80" | head -1 | tr -d '\r')
assert_eq "malformed request" "HTTP/1.1 400 Bad Request" "$got"
assert_eq "after the malformed one" "rs1=1 rs2=1 rs3=1 " "$(count 3)"

# Weighted round robin, weights 3 1 1: rs1 takes three in five.
tv -E -i web -s wrr
tv -e -i web -r 10.0.1.2:80 -w 3
assert_eq "wrr: requests per server" "rs1=6 rs2=2 rs3=2 " "$(count 10)"
tv -e -i web -r 10.0.1.2:80 -w 1

# Content rules: /images/ to rs1, the rest to rs2 and rs3.
tv -E -i web -s http
tv --add-rule -i web -p '^/images/' -r 10.0.1.2:80
tv --add-rule -i web -p '.*' -r 10.0.2.2:80
tv --add-rule -i web -p '.*' -r 10.0.3.2:80
for n in 1 2 3; do
	assert_eq "/images/ by rule" "image from rs1" "$(on "$CLIENT" curl -sf -m 10 "http://$VIP/images/a.txt")"
done
got=$(count 6)
[[ "$got" != *rs1* && "$got" != *fail* ]] || fail "default rule: $got"

# One client connection, three requests: each scheduled on its own by
# the rules (thesis §6.5), answered in order, and the connections to the
# servers kept for the next requests, then closed when idle.
mapfile -t got < <(on "$CLIENT" curl -sf -m 10 -w '%{num_connects}\n' \
	"http://$VIP/images/a.txt" "http://$VIP/" "http://$VIP/images/a.txt")
assert_eq "keep-alive: 1st" "image from rs1|1" "${got[0]}|${got[1]}"
[[ "${got[2]}" == rs[23] ]] || fail "keep-alive: 2nd answered by ${got[2]}"
assert_eq "keep-alive: 2nd, 3rd on the same connection" "0|image from rs1|0" "${got[3]}|${got[4]}|${got[5]}"
kept() { on "${RS[1]}" ss -Htn state established '( sport = :80 )' | wc -l; }
[ "$(kept)" -ge 1 ] || fail "no connection to rs1 kept after the requests"
sleep 6
assert_eq "idle server connections closed" 0 "$(kept)"

# lblc: a target keeps its server; when that server is quiesced the
# target moves to another and stays there.
tv -E -i web -s lblc
first=$(count 4)
[[ "$first" =~ ^rs[123]=4\ $ ]] || fail "lblc: one target spread: $first"
quiesced=${first%%=*}
tv -e -i web -r "10.0.${quiesced#rs}.2:80" -w 0
second=$(count 4)
[[ "$second" =~ ^rs[123]=4\ $ && "$second" != "$first" ]] || fail "lblc after quiescing $quiesced: $second"
tv -e -i web -r "10.0.${quiesced#rs}.2:80" -w 1

# wlc: with a download held open on each of two servers (rs1, then rs2:
# ties go to the server named first), quick requests all go to the
# third, the one without a connection. The servers hold /hold open
# themselves: a client that reads slowly would not do, its download
# can end on the servers' side into the buffers on the way.
tv -E -i web -s wlc
held=()
for n in 1 2; do
	# Not through `on`: $! must be curl's pid, for the kill below. -N:
	# curl writes what came at once, not when its buffer fills.
	ip netns exec "$CLIENT" curl -s -N -m 120 -o "$data/held$n" "http://$VIP/hold" &
	held+=($!)
	for i in $(seq 100); do [ -s "$data/held$n" ] && break; sleep 0.1; done
	assert_eq "wlc: held download $n reached" "rs$n" "$(head -1 "$data/held$n")"
done
assert_eq "wlc: requests beside two held downloads" "rs3=3 " "$(count 3)"
kill "${held[@]}" 2>/dev/null || true
wait "${held[@]}" 2>/dev/null || true

# A server that refuses: its requests go elsewhere, none fails.
tv -E -i web -s rr
kill "$(on "${RS[3]}" ss -Htlnp 'sport = :80' | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)"
got=$(count 12)
[[ "$got" != *fail* && "$got" != *rs3* ]] || fail "with rs3 down: $got"
listing=$(tv -L -n)
echo "$listing"
grep -q "10.0.3.2:80" <<< "$listing" || fail "rs3 missing from the listing"

# Errors.
tv -A -i web -s rr -l "$VIP:81" 2>/dev/null && fail "a second service named web was added"
tv -a -i nosuch -r 10.0.1.2:80 2>/dev/null && fail "a server added to a missing service"
tv --add-rule -i web -p '(' -r 10.0.1.2:80 2>/dev/null && fail "a bad pattern was taken"
tv -A -i web2 -s nosuch -l "$VIP:82" 2>/dev/null && fail "an unknown scheduler was taken"

# The silent servers' requests (started at the beginning).
wait "${silent[@]}" || true
for n in 1 2; do
	read -r code secs < "$data/silent$n" || true
	assert_eq "silent server: status" 504 "$code"
	[ "${secs%.*}" -lt 200 ] || fail "silent server: 504 after $secs s"
done

# A config file replaces the table (as the original tcpvsadm's -f).
cat > "$data/web.conf" <<EOF
# one service
virtual files {
    listen = $VIP:8080
    scheduler = wlc
    startservers = 2
    maxclients = 64
    server = 10.0.1.2:80 1
    server = 10.0.2.2:80 1
}
virtual pool {
    listen = $VIP:8083
    scheduler = rr
    startservers = 2
    minspareservers = 2
    maxspareservers = 3
    server = 10.0.1.2:80 1
    server = 10.0.2.2:80 1
}
EOF
tv -f "$data/web.conf"
tv --start -i files
wait_port "$CLIENT" "$VIP" 8080
for n in 1 2 3 4; do
	got=$(on "$CLIENT" curl -sf -m 10 "http://$VIP:8080/") || fail "files: request $n"
	[[ $got == rs1 || $got == rs2 ]] || fail "files: answered by $got"
done
on "$CLIENT" curl -s -m 2 "http://$VIP/" >/dev/null && fail "web answered after the file replaced it"

# The thread pool (the file's second service): 2 threads start; while 3
# clients are held, fewer than 2 threads hold none, so threads are added
# (a second later) until 2 are spare again; once the clients go, spare
# threads beyond 3 retire, one a second, and the pool stays at 3.
threads() { cat /proc/[0-9]*/comm 2>/dev/null | grep -c '^ktcpvs/pool:' || true; }
# settle N WHEN: waits up to 20 s for N threads.
settle() {
	local i
	for i in $(seq 40); do [ "$(threads)" -eq "$1" ] && return; sleep 0.5; done
	fail "thread pool $2: $(threads) threads, not $1"
}
tv --start -i pool
wait_port "$CLIENT" "$VIP" 8083
settle 2 "at start"
held=()
for n in 1 2 3; do
	ip netns exec "$CLIENT" curl -s -N -m 120 -o "$data/pool$n" "http://$VIP:8083/hold" &
	held+=($!)
	for i in $(seq 100); do [ -s "$data/pool$n" ] && break; sleep 0.1; done
done
for i in $(seq 40); do [ "$(threads)" -ge 4 ] && break; sleep 0.5; done
[ "$(threads)" -ge 4 ] || fail "thread pool with 3 clients held: $(threads) threads, not 4 or more"
kill "${held[@]}" 2>/dev/null || true
wait "${held[@]}" 2>/dev/null || true
settle 3 "after the clients left"
got=$(for n in 1 2 3 4; do on "$CLIENT" curl -sf -m 10 "http://$VIP:8083/" || echo fail; done | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')
assert_eq "thread pool: requests after threads retired" "rs1=2 rs2=2 " "$got"
tv --stop -i pool

# Stop, then unload, with downloads in flight.
slow_downloads() {
	local n
	downloads=()
	for n in 1 2 3; do
		on "$CLIENT" curl -s -m 60 --limit-rate 100k -o /dev/null "http://$VIP:8080/blob10m" &
		downloads+=($!)
	done
	sleep 2
}
slow_downloads
tv --stop
on "$CLIENT" curl -s -m 2 "http://$VIP:8080/" >/dev/null && fail "a stopped service answered"
wait "${downloads[@]}" || true
tv --start -i files
wait_port "$CLIENT" "$VIP" 8080
slow_downloads
unload lvs_ktcpvs
wait "${downloads[@]}" || true
