#!/usr/bin/env bash
# The SIP persistence engine (`--pe sip`): a persistent UDP service
# (VS/NAT, rr: rs3 first) whose templates are keyed by the SIP Call-ID
# as well as by the client's address.
#   - one call's messages reach one server from whatever client port;
#     another call of the same client goes to the next server;
#   - the templates show the engine and the Call-ID in
#     /proc/net/ip_vs_conn, ASSURED once a server answered;
#   - a datagram without a Call-ID is dropped;
#   - a sync master sends the engine's templates with their Call-ID: a
#     backup holds the same template;
#   - `ipvsadm -Ln` shows the engine; an edit without `--pe` takes it
#     away: the client's next message gets an ordinary template.
. "$(dirname "$0")/lib.sh"

cluster
udp_echo_servers 5060
use_sched rr
# C IPVS loads its engine as a module, which holds the core.
[ "$LVS_IPVS" = c ] && LOADED=(ip_vs_pe_sip "${LOADED[@]}")

on "$DIRECTOR" ipvsadm -A -u "$VIP:5060" -s rr -p 300 --pe sip
for i in 1 2 3; do on "$DIRECTOR" ipvsadm -a -u "$VIP:5060" -r "10.0.$i.2:5060" -m; done
assert_eq "the service" "UDP  $VIP:5060 rr persistent 300 pe sip" "$(on "$DIRECTOR" ipvsadm -Ln | grep '^UDP')"

# say SPORT TEXT: TEXT from client port SPORT; the server that answered.
say() { on "$CLIENT" python3 "$TESTS/tools/udp_echo.py" say "$VIP" 5060 "$1" "$2"; }
# invite CALL-ID: a SIP request of that call.
invite() { echo "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.2\r\nCall-ID: $1\r\nCSeq: 1 INVITE\r\n\r\n"; }

got=$(for port in 30001 30002 30003; do say $port "$(invite a84b4c76e66710@pc33)"; done | tr '\n' ' ')
assert_eq "one call, three client ports" "rs3 rs3 rs3 " "$got"
assert_eq "another call" "rs2" "$(say 30004 "$(invite 1234-xyz)")"
assert_eq "the first call again" "rs3" "$(say 30005 "$(invite a84b4c76e66710@pc33)")"
assert_eq "no Call-ID" "none" "$(say 30006 "OPTIONS sip:bob@example.com SIP/2.0\r\nCSeq: 2 OPTIONS\r\n\r\n")"

# Templates (client port 0000): server, state, engine, key.
templates=$(on "$DIRECTOR" awk '$3 == "0000" {print $6, $8, $10, $11}' /proc/net/ip_vs_conn | sort | tr '\n' ';')
assert_eq "templates" "0A000202 ASSURED sip 1234-xyz;0A000302 ASSURED sip a84b4c76e66710@pc33;" "$templates"

# Sync: a backup with the same service takes a new call's template, key
# and all (synced at the third message of the call).
sync_pair
on "$BACKUP" ipvsadm -A -u "$VIP:5060" -s rr -p 300 --pe sip
for i in 1 2 3; do on "$BACKUP" ipvsadm -a -u "$VIP:5060" -r "10.0.$i.2:5060" -m; done
on "$DIRECTOR" ipvsadm --start-daemon master --mcast-interface syncm --syncid 5
on "$BACKUP" ipvsadm --start-daemon backup --mcast-interface syncb --syncid 5
sleep 1
got=$(for port in 30011 30012 30013; do say $port "$(invite synced-call)"; done | tr '\n' ' ')
assert_eq "a new call" "rs1 rs1 rs1 " "$got"
# template NS: the synced call's template there: server, engine, key.
template() { on "$1" awk '$3 == "0000" && $11 == "synced-call" {print $6, $10, $11}' /proc/net/ip_vs_conn; }
for _ in $(seq 20); do
	[ -n "$(template "$BACKUP")" ] && break
	sleep 0.5
done
assert_eq "the template on the backup" "0A000102 sip synced-call" "$(template "$BACKUP")"
on "$DIRECTOR" ipvsadm --stop-daemon master
on "$BACKUP" ipvsadm --stop-daemon backup

on "$DIRECTOR" ipvsadm -E -u "$VIP:5060" -s rr -p 300
assert_eq "the service without engine" "UDP  $VIP:5060 rr persistent 300" "$(on "$DIRECTOR" ipvsadm -Ln | grep '^UDP')"
assert_eq "an ordinary template now" "rs3" "$(say 30007 "OPTIONS sip:bob@example.com SIP/2.0\r\nCSeq: 3 OPTIONS\r\n\r\n")"
assert_eq "and it persists" "rs3" "$(say 30008 "$(invite 1234-xyz)")"
