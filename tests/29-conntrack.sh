#!/usr/bin/env bash
# The `conntrack` sysctl, as kube-proxy uses it: the director source-NATs
# what goes to the real servers' network (an nftables snat rule, as
# kube-proxy's masquerading). With conntrack 0 (the default) IPVS's
# packets are untracked: no NAT rule touches them and the real server
# sees the client's address. With 1, connection tracking follows them:
# the rule applies, the real server sees the director's address, and
# the replies still reach the client from the virtual service.
. "$(dirname "$0")/lib.sh"

cluster
use_sched rr
vs_conntrack=/proc/sys/net/ipv4/vs/conntrack
assert_eq "conntrack default" 0 "$(on "$DIRECTOR" cat "$vs_conntrack")"
# A server that answers each connection with the address it came from.
on "${RS[1]}" socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR' &
wait_port "${RS[1]}" 10.0.1.2 80
on "$DIRECTOR" ipvsadm -A -t "$VIP:80" -s rr
on "$DIRECTOR" ipvsadm -a -t "$VIP:80" -r 10.0.1.2:80 -m
on "$DIRECTOR" nft -f - <<EOF
table ip masq {
	chain postrouting {
		type nat hook postrouting priority srcnat;
		ip daddr 10.0.1.0/24 snat to 10.0.1.1
	}
}
EOF

# seen: what the real server saw as the client's address (through the
# virtual service, so the reply came back from it).
seen() { on "$CLIENT" socat -t 5 - "TCP:$VIP:80" < /dev/null; }

assert_eq "conntrack 0: the real server sees" 10.0.0.2 "$(seen)"
assert_eq "conntrack in another namespace" 0 "$(on "$CLIENT" cat "$vs_conntrack")"
on "$DIRECTOR" sh -c "echo 1 > $vs_conntrack"
assert_eq "conntrack 1: the real server sees" 10.0.1.1 "$(seen)"
assert_eq "conntrack 1, again" 10.0.1.1 "$(seen)"

on "$DIRECTOR" sh -c "echo 0 > $vs_conntrack"
assert_eq "conntrack 0 again" 10.0.0.2 "$(seen)"
