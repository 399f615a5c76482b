#!/usr/bin/env bash
# cache_bypass: the director as a transparent cache cluster's front, as
# upstream's documentation sets one up. nftables marks the client's web
# traffic to a network (rs1's, 10.0.1.0/24) with 1, and a routing
# rule delivers marked packets locally, to firewall-mark service 1.
#   - no real server, cache_bypass 0: the connection gets nowhere (the
#     ICMP port unreachable IPVS answers with would come from rs1's
#     address, which is not the director's: it cannot be routed, on C
#     IPVS as on ours);
#   - cache_bypass 1: it goes on to rs1 as routed, in a connection with
#     no real server ("0.0.0.0:0" in the table), counted nowhere,
#     which a sync master sends and a backup takes over as it is;
#   - a real server (rs2, VS/NAT): the "cache" answers;
#   - that server quiesced (weight 0): the next connection bypasses;
#   - a TCP service (no firewall mark) with no server is refused still.
# Each time no server takes a connection, the kernel log says so, as
# upstream's schedulers do (rate-limited).
. "$(dirname "$0")/lib.sh"

cluster
sync_pair
data=$(mktemp -d)
ON_EXIT="rm -rf $data"
http_servers "$data"
use_sched rr
set_vs() { on "$DIRECTOR" sh -c "echo $2 > /proc/sys/net/ipv4/vs/$1"; }

assert_eq "default cache_bypass" 0 "$(on "$DIRECTOR" cat /proc/sys/net/ipv4/vs/cache_bypass)"
on "$DIRECTOR" nft -f - <<EOF
table ip cache {
	chain pre {
		type filter hook prerouting priority mangle;
		ip daddr 10.0.1.0/24 tcp dport 80 meta mark set 1
	}
}
EOF
on "$DIRECTOR" ip rule add fwmark 1 lookup 100
on "$DIRECTOR" ip route add local 0.0.0.0/0 dev lo table 100
on "$DIRECTOR" ipvsadm -A -f 1 -s rr
# ask [URL [SECONDS]]: one request (for rs1's page), through the
# director; a failure shows as curl's exit code (7: refused, 28: no
# answer in SECONDS, 10 by default).
ask() { on "$CLIENT" curl -s -m "${2:-10}" "${1:-http://10.0.1.2/}" || echo "exit $?"; }

assert_eq "no server, no bypass" "exit 28" "$(ask http://10.0.1.2/ 4)"
# bypass NS: the namespace's connections to rs1's address (protocol,
# client address, virtual, real server).
bypass() { on "$1" ipvsadm -Lnc | awk '$5 == "10.0.1.2:80" {sub(/:[0-9]+$/, "", $4); print $1, $4, $5, $6}'; }

set_vs cache_bypass 1
on "$DIRECTOR" ipvsadm --start-daemon master --mcast-interface syncm --syncid 3
on "$BACKUP" ipvsadm --start-daemon backup --mcast-interface syncb --syncid 3
assert_eq "bypassed to the origin" "rs1" "$(ask)"
assert_eq "the bypass connection" "TCP 10.0.0.2 10.0.1.2:80 0.0.0.0:0" "$(bypass "$DIRECTOR")"
stats=$(on "$DIRECTOR" ipvsadm -Ln --stats | awk '$1 == "FWM" {print $3, $4}')
assert_eq "bypass counted nowhere (conns, in packets)" "0 0" "$stats"
for _ in $(seq 20); do
	[ -n "$(bypass "$BACKUP")" ] && break
	sleep 0.5
done
assert_eq "the bypass connection on the backup" "TCP 10.0.0.2 10.0.1.2:80 0.0.0.0:0" "$(bypass "$BACKUP")"

on "$DIRECTOR" ipvsadm -a -f 1 -r 10.0.2.2:80 -m
assert_eq "with a cache" "rs2" "$(ask)"
on "$DIRECTOR" ipvsadm -e -f 1 -r 10.0.2.2:80 -m -w 0
assert_eq "the cache quiesced" "rs1" "$(ask)"

on "$DIRECTOR" ipvsadm -A -t "$VIP:80" -s rr
assert_eq "a TCP service without servers" "exit 7" "$(ask "http://$VIP/")"

# What the log said (upstream's "IPVS: " prefix is our module's name).
said() { dmesg | grep -F -- "$1" | sed 's/.*: rr: /rr: /' | sort -u; }
for what in "FWM 1 0x00000001" "TCP $VIP:80"; do
	assert_eq "logged: $what" "rr: $what - no destination available" "$(said "rr: $what - ")"
done
