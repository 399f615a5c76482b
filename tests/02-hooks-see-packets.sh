#!/usr/bin/env bash
# The core's hooks see the packets of their own namespace: LOCAL_IN for
# the director's addresses, FORWARD for routed ones, IPv4 and IPv6, in
# namespaces made before and after the module loaded.
. "$(dirname "$0")/lib.sh"
only_rust "the hook counters are a file of our module"

client=$(netns_add client)
director=$(netns_add director)
server=$(netns_add server)
veth_link "$client" 10.0.1.2 "$director" 10.0.1.1 fd01::2 fd01::1
veth_link "$director" 10.0.2.1 "$server" 10.0.2.2 fd02::1 fd02::2
ip -n "$client" route add default via 10.0.1.1
ip -n "$client" -6 route add default via fd01::1
ip -n "$server" route add default via 10.0.2.1
ip -n "$server" -6 route add default via fd02::1
ip netns exec "$director" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

modprobe lvs_ipvs
ON_EXIT="rmmod lvs_ipvs"

# count NS FAMILY HOOK: packets the hook has seen in NS
count() {
	ip netns exec "$1" cat /proc/net/lvs_ipvs_hooks |
		awk -v f="$2" -v h="$3" '$1 == f && $2 == h { print $3 }'
}
# delta_at_least NS FAMILY HOOK MIN BEFORE
at_least() {
	local now
	now=$(count "$1" "$2" "$3")
	[ $((now - $5)) -ge "$4" ] || fail "$2 $3 in $1: saw $((now - $5)) packets, want >= $4"
}

ping_ok() { ip netns exec "$1" ping -q -c 10 -i 0.1 -W 2 "$2" >/dev/null || fail "ping $2 from $1"; }

b4=$(count "$director" IPv4 LOCAL_IN)
bf4=$(count "$director" IPv4 FORWARD)
b6=$(count "$director" IPv6 LOCAL_IN)
bf6=$(count "$director" IPv6 FORWARD)
ping_ok "$client" 10.0.1.1
at_least "$director" IPv4 LOCAL_IN 10 "$b4"
ping_ok "$client" 10.0.2.2
at_least "$director" IPv4 FORWARD 20 "$bf4"   # requests and replies
ping_ok "$client" fd01::1
at_least "$director" IPv6 LOCAL_IN 10 "$b6"
ping_ok "$client" fd02::2
at_least "$director" IPv6 FORWARD 20 "$bf6"

# A namespace made after loading has its own counters; its traffic does
# not show up in the director's.
late=$(netns_add late)
assert_eq "fresh namespace" 0 "$(count "$late" IPv4 LOCAL_IN)"
d4=$(count "$director" IPv4 LOCAL_IN)
ping_ok "$late" 127.0.0.1
at_least "$late" IPv4 LOCAL_IN 20 0
assert_eq "director after another namespace's traffic" "$d4" "$(count "$director" IPv4 LOCAL_IN)"
