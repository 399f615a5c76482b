#!/usr/bin/env bash
# KTCPVS under load and abuse: 1,000 clients at once each get a body
# whose checksum is right, while slow (slowloris), oversized and
# malformed clients are answered 408, 431 and 400 without disturbing
# them; then keep-alive clients go on with zero failed requests while a
# real server is killed. Ours only: KTCPVS has no C counterpart.
. "$(dirname "$0")/lib.sh"
only_rust "KTCPVS has no C counterpart"

tcpvsadm=$LVS_REPO/tools/target/release/tcpvsadm
load=$TESTS/tools/http_load.py
modprobe lvs_ktcpvs
LOADED+=(lvs_ktcpvs)
cluster
data=$(mktemp -d)
ON_EXIT="rm -rf $data"
http_servers "$data" --http11
head -c 10240 /dev/urandom > "$data/obj"
for i in 1 2 3; do cp "$data/obj" "$data/rs$i/obj"; done
sha=$(sha256sum < "$data/obj" | cut -d' ' -f1)
tv() { on "$DIRECTOR" "$tcpvsadm" "$@"; }

# Room for the 1,000 clients and the abusers at once.
cat > "$data/load.conf" <<CONF
virtual load {
    listen = $VIP:80
    scheduler = wlc
    startservers = 4
    maxclients = 2048
    server = 10.0.1.2:80 1
    server = 10.0.2.2:80 1
    server = 10.0.3.2:80 1
}
CONF
tv -f "$data/load.conf"
tv --start -i load
wait_port "$CLIENT" "$VIP" 80

# The abusers first: they hold their connections while the good clients
# come. The slow ones are cut after the switch's 60 s for a head.
on "$CLIENT" python3 "$load" abuse "$VIP" 80 50 20 20 100 > "$data/abuse" &
abuser=$!
sleep 3
on "$CLIENT" python3 "$load" fetch "$VIP" 80 /obj "$sha" 1000 > "$data/fetch" || { cat "$data/fetch"; fail "1,000 clients at once"; }
cat "$data/fetch"
wait "$abuser"
cat "$data/abuse"
want="20 bad: HTTP/1.1 400 Bad Request
20 big: HTTP/1.1 431 Request Header Fields Too Large
50 slow: HTTP/1.1 408 Request Timeout"
assert_eq "what the abusers got" "$want" "$(cat "$data/abuse")"

# Keep-alive clients (20 at once, 10 requests each) while rs2 is killed:
# requests it cannot answer go to the others, none fails.
on "$CLIENT" python3 "$load" fetch "$VIP" 80 /obj "$sha" 20 10 > "$data/fetch" &
fetcher=$!
sleep 2
kill "$(on "${RS[2]}" ss -Htlnp 'sport = :80' | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)"
wait "$fetcher" || { cat "$data/fetch"; fail "requests failed while rs2 was killed"; }
cat "$data/fetch"
on "$CLIENT" python3 "$load" fetch "$VIP" 80 /obj "$sha" 30 > "$data/fetch" || { cat "$data/fetch"; fail "after rs2 was killed"; }
tv -L -n --status
tv -F
