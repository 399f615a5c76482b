#!/usr/bin/env bash
# The `conntrack` sysctl, as kube-proxy uses it: the director source-NATs
# what goes to the real servers' networks (nftables snat rules, as
# kube-proxy's masquerading). With conntrack 0 (the default) IPVS's
# packets are untracked both ways: no NAT rule touches them and the real
# server sees the client's address. With 1, connection tracking follows
# them, one entry per connection: the rule applies, the real server sees
# the director's address, the replies (matched to the entry) reach the
# client from the virtual service, and a client reusing its port
# reaches the next server.
. "$(dirname "$0")/lib.sh"

cluster
use_sched rr
vs_conntrack=/proc/sys/net/ipv4/vs/conntrack
assert_eq "conntrack default" 0 "$(on "$DIRECTOR" cat "$vs_conntrack")"
# Servers that answer each connection with the address it came from.
for i in 1 2; do
	on "${RS[$i]}" socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR' &
	wait_port "${RS[$i]}" "10.0.$i.2" 80
done
on "$DIRECTOR" ipvsadm -A -t "$VIP:80" -s rr
for i in 1 2; do on "$DIRECTOR" ipvsadm -a -t "$VIP:80" -r "10.0.$i.2:80" -m; done
# The NAT, and counters of how conntrack saw the packets leaving: to the
# servers, and to the client.
on "$DIRECTOR" nft -f - <<EOF
table ip masq {
	chain postrouting {
		type nat hook postrouting priority srcnat;
		ip daddr 10.0.1.0/24 snat to 10.0.1.1
		ip daddr 10.0.2.0/24 snat to 10.0.2.1
	}
}
table ip watch {
	counter up_untracked { }
	counter down_untracked { }
	counter down_established { }
	chain postrouting {
		type filter hook postrouting priority filter;
		tcp dport 80 ct state untracked counter name up_untracked
		ip saddr $VIP tcp sport 80 ct state untracked counter name down_untracked
		ip saddr $VIP tcp sport 80 ct state established counter name down_established
	}
}
EOF
# packets NAME: packets counted so far.
packets() { on "$DIRECTOR" nft list counter ip watch "$1" | awk '/packets/ {print $2}'; }
# seen [PORT]: what the real server saw as the client's address (through
# the virtual service, so the reply came back from it).
seen() { on "$CLIENT" socat -t 5 - "TCP:$VIP:80${1:+,sourceport=$1,reuseaddr}" < /dev/null; }
# sorted WORDS...: the words in order (rr's first server differs: C IPVS
# lists the server added last first).
sorted() { printf '%s\n' "$@" | sort | xargs; }

got=$(seen; seen)
assert_eq "conntrack 0: the real servers see" "10.0.0.2 10.0.0.2" "$(echo $got)"
# (Packets conntrack found invalid on the way in, a reply's SYN-ACK
# say, carry no entry to untrack: upstream leaves them, and so do we.)
assert_eq "conntrack 0: replies matched to an entry" 0 "$(packets down_established)"
[ "$(packets up_untracked)" -gt 0 ] && [ "$(packets down_untracked)" -gt 0 ] ||
	fail "conntrack 0: untracked packets up $(packets up_untracked), down $(packets down_untracked)"
assert_eq "conntrack in another namespace" 0 "$(on "$CLIENT" cat "$vs_conntrack")"

on "$DIRECTOR" sh -c "echo 1 > $vs_conntrack"
replies=$(packets down_established)
got=$(seen; seen)
assert_eq "conntrack 1: the real servers see" "10.0.1.1 10.0.2.1" "$(sorted $got)"
[ "$(packets down_established)" -gt "$replies" ] || fail "conntrack 1: no reply matched an entry"
# One client port twice: the second connection reopens the first's
# (conn_reuse_mode) and goes to the next server, through the NAT too.
# The client reuses its port from TIME_WAIT (tcp_tw_reuse, a second on).
on "$CLIENT" sysctl -qw net.ipv4.tcp_tw_reuse=1
got=$(seen 40000; sleep 2; seen 40000)
assert_eq "conntrack 1, one client port: the real servers see" "10.0.1.1 10.0.2.1" "$(sorted $got)"

on "$DIRECTOR" sh -c "echo 0 > $vs_conntrack"
assert_eq "conntrack 0 again" 10.0.0.2 "$(seen)"
