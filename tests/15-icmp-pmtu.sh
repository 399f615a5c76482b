#!/usr/bin/env bash
# ICMP errors about balanced connections (thesis §5.2.3). A VS/NAT real
# server's "port unreachable" reaches the client as if from the virtual
# service, so the client's connected UDP socket is refused. With a
# smaller MTU on the director's client-side link, 1 MB downloads through
# VS/NAT, VS/DR and VS/TUN still arrive: the director's "fragmentation
# needed" about a DR/TUN server's reply (sent from the VIP, which is the
# director's own address) is relayed to that server, which lowers its
# path MTU; without that the transfers would stall. All of it in IPv4,
# then in IPv6 (ICMPv6 "packet too big").
. "$(dirname "$0")/lib.sh"

cluster
data=$(mktemp -d)
ON_EXIT="rm -rf $data"
http_servers "$data"
for i in 1 2 3; do head -c 1048576 /dev/urandom > "$data/rs$i/blob"; done
tunnel_endpoint "${RS[3]}"
# The director is also the router whose link is too small, so its own
# "fragmentation needed" about a reply from the VIP comes from the VIP:
# the DR and TUN servers, which own the VIP too, must accept that source.
for i in 2 3; do on "${RS[$i]}" sysctl -qw net.ipv4.conf.all.accept_local=1; done
use_sched rr

# refused SERVICE REAL_SERVER: a VS/NAT service to a real server port
# where nothing listens refuses the client.
refused() {
	on "$DIRECTOR" ipvsadm -A -u "$1:5353" -s rr
	on "$DIRECTOR" ipvsadm -a -u "$1:5353" -r "$2:5353" -m
	on "$CLIENT" python3 "$TESTS/tools/udp_echo.py" refused "$3" 5353 ||
		fail "the real server's port unreachable did not reach the client as the VIP's ($3)"
}
refused "$VIP" 10.0.1.2 "$VIP"
refused "[$VIP6]" "[fd00:1::2]" "$VIP6"

# The director's link to the client carries at most 1400 bytes a packet.
dev=$(on "$DIRECTOR" ip -o -4 addr show to 10.0.0.1 | awk '{print $2}')
on "$DIRECTOR" ip link set "$dev" mtu 1400

# downloads SERVICE NAT DR TUN: through a service whose three servers
# are VS/NAT, VS/DR and VS/TUN, three downloads, one from each server
# (round robin), each intact.
downloads() {
	local svc=$1 servers= n i
	on "$DIRECTOR" ipvsadm -A -t "$svc" -s rr
	on "$DIRECTOR" ipvsadm -a -t "$svc" -r "$2" -m
	on "$DIRECTOR" ipvsadm -a -t "$svc" -r "$3" -g
	on "$DIRECTOR" ipvsadm -a -t "$svc" -r "$4" -i
	for n in 1 2 3; do
		on "$CLIENT" curl -gsf -m 30 -o "$data/got" "http://$svc/blob" || fail "$svc: download $n stalled"
		for i in 1 2 3; do
			if cmp -s "$data/got" "$data/rs$i/blob"; then servers+=" rs$i"; fi
		done
	done
	assert_eq "$svc: downloads came intact from" " rs1 rs2 rs3" \
		"$(echo $servers | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/^/ /; s/ $//')"
}
downloads "$VIP:80" 10.0.1.2:80 10.0.2.2:80 10.0.3.2:80
downloads "[$VIP6]:80" "[fd00:1::2]:80" "[fd00:2::2]:80" "[fd00:3::2]:80"
