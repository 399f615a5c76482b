#!/usr/bin/env bash
# The /proc/sys/net/ipv4/vs sysctls the data plane obeys, as upstream:
# their defaults, one set per namespace, and what each changes.
#   conn_reuse_mode: 1, a client reusing a closed connection's port is
#     scheduled afresh; 0, it goes to the same server again.
#   expire_nodest_conn: 1, a datagram of a connection whose server was
#     removed is scheduled to another server instead of being dropped.
#   sloppy_tcp: 1, a bare ACK opens a connection; 0, only a SYN does.
#   pmtu_disc: 0, a DF datagram that fits the client's path but not the
#     IP-in-IP tunnel travels in a fragmented tunnel packet and is
#     answered; 1, it is refused (ICMP "fragmentation needed").
#   nat_icmp_send: 1, a datagram from a VS/NAT real server's port that
#     no connection explains is dropped and refused (ICMP "port
#     unreachable"); 0, it passes.
#   ignore_tunneled: 1, packets of tunnels are marked to be left alone
#     (the tunnel's end clears the mark: what comes out is balanced).
#   snat_reroute: 1, a VS/NAT reply is routed again once it comes from the
#     virtual address (policy routing by source applies); 0, it is not.
#   schedule_icmp: 1, an ICMP error about a packet of no connection, from
#     the virtual service to a client, opens it and reaches a real server.
. "$(dirname "$0")/lib.sh"

cluster
data=$(mktemp -d)
ON_EXIT="rm -rf $data"
http_servers "$data"
echo_py=$TESTS/tools/udp_echo.py
udp_echo_servers 5353
use_sched rr
vs() { echo "/proc/sys/net/ipv4/vs/$1"; }
# set NAME VALUE: the director's sysctl.
set_vs() { on "$DIRECTOR" sh -c "echo $2 > $(vs "$1")"; }

for pair in conn_reuse_mode=1 expire_nodest_conn=0 pmtu_disc=1 run_estimation=1 sloppy_tcp=0; do
	assert_eq "default ${pair%=*}" "${pair#*=}" "$(on "$DIRECTOR" cat "$(vs "${pair%=*}")")"
done
set_vs sloppy_tcp 1
assert_eq "sloppy_tcp in another namespace" 0 "$(on "$CLIENT" cat "$(vs sloppy_tcp)")"
set_vs sloppy_tcp 0

# conn_reuse_mode: three requests from client port 40000 in turn.
on "$DIRECTOR" ipvsadm -A -t "$VIP:80" -s rr
for i in 1 2 3; do on "$DIRECTOR" ipvsadm -a -t "$VIP:80" -r "10.0.$i.2:80" -m; done
# from_port: three requests in turn from client port 40000. Whichever
# side closes first keeps the port in TIME_WAIT: the client binds with
# SO_REUSEADDR and reuses the port a second later (tcp_tw_reuse).
on "$CLIENT" sysctl -qw net.ipv4.tcp_tw_reuse=1
get_from_40000='
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.0.0.2", 40000))
s.settimeout(10)
s.connect((sys.argv[1], 80))
s.sendall(b"GET / HTTP/1.0\r\n\r\n")
reply = b""
while chunk := s.recv(4096):
    reply += chunk
print(reply.split(b"\r\n\r\n", 1)[1].decode().strip())
'
from_port() {
	local n
	for n in 1 2 3; do
		on "$CLIENT" python3 -c "$get_from_40000" "$VIP" 2>&1 | tail -1
		sleep 2
	done | tr '\n' ' '
}
assert_eq "conn_reuse_mode 1" "rs3 rs2 rs1 " "$(from_port)"
set_vs conn_reuse_mode 0
# The last connection (to rs1) carries on.
assert_eq "conn_reuse_mode 0" "rs1 rs1 rs1 " "$(from_port)"
set_vs conn_reuse_mode 1

# sloppy_tcp: a bare ACK from client port 41000, then from 41001.
on "$DIRECTOR" ipvsadm -C
on "$DIRECTOR" ipvsadm -A -t "$VIP:80" -s rr
for i in 1 2 3; do on "$DIRECTOR" ipvsadm -a -t "$VIP:80" -r "10.0.$i.2:80" -g; done
entries() { on "$DIRECTOR" ipvsadm -Lnc | grep -c "10.0.0.2:$1 " || true; }
on "$CLIENT" python3 "$TESTS/tools/raw_packet.py" ack 10.0.0.2 41000 "$VIP" 80
sleep 1
assert_eq "connections a bare ACK opens" 0 "$(entries 41000)"
set_vs sloppy_tcp 1
on "$CLIENT" python3 "$TESTS/tools/raw_packet.py" ack 10.0.0.2 41001 "$VIP" 80
sleep 1
assert_eq "connections a bare ACK opens with sloppy_tcp" 1 "$(entries 41001)"
set_vs sloppy_tcp 0

# expire_nodest_conn: UDP from port 42000 (to rs3), rs3 is removed.
on "$DIRECTOR" ipvsadm -C
on "$DIRECTOR" ipvsadm -A -u "$VIP:5353" -s rr
for i in 1 2 3; do on "$DIRECTOR" ipvsadm -a -u "$VIP:5353" -r "10.0.$i.2:5353" -m; done
ask() { on "$CLIENT" python3 "$echo_py" ask "$VIP" 5353 1 100 "$1" 2>&1 | tr '\n' ' '; }
assert_eq "first datagram" "rs3 " "$(ask 42000)"
on "$DIRECTOR" ipvsadm -d -u "$VIP:5353" -r 10.0.3.2:5353
assert_eq "expire_nodest_conn 0" "datagram 0: no answer " "$(ask 42000)"
set_vs expire_nodest_conn 1
assert_eq "expire_nodest_conn 1" "rs2 " "$(ask 42000)"
set_vs expire_nodest_conn 0

# pmtu_disc: 1472-byte DF datagrams through IP-in-IP to rs1 (tunnel
# MTU 1480), each from a new port.
tunnel_endpoint "${RS[1]}"
on "$DIRECTOR" ipvsadm -C
on "$DIRECTOR" ipvsadm -A -u "$VIP:5353" -s rr
on "$DIRECTOR" ipvsadm -a -u "$VIP:5353" -r 10.0.1.2:5353 -i
big() { on "$CLIENT" python3 "$echo_py" ask "$VIP" 5353 1 1472 2>&1 | tr '\n' ' '; }
# First without path MTU discovery: then the client learns nothing.
set_vs pmtu_disc 0
assert_eq "pmtu_disc 0" "rs1 " "$(big)"
set_vs pmtu_disc 1
assert_eq "pmtu_disc 1" "datagram 0: no answer " "$(big)"

# nat_icmp_send: rs1 sends from its VS/NAT port 6000 to a client port no
# connection explains. At 0 the datagram passes (the client hears it); at
# 1 the director drops it and answers rs1 "port unreachable".
assert_eq "default nat_icmp_send" 0 "$(on "$DIRECTOR" cat "$(vs nat_icmp_send)")"
on "$DIRECTOR" ipvsadm -C
on "$DIRECTOR" ipvsadm -A -u "$VIP:6000" -s rr
on "$DIRECTOR" ipvsadm -a -u "$VIP:6000" -r 10.0.1.2:6000 -m
on "$CLIENT" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.0.0.2", 7777))
s.settimeout(15)
try:
    while True:
        print(s.recv(100).decode(), flush=True)
except socket.timeout:
    pass' > "$data/heard" &
listener=$!
sleep 1
unsolicited() {
	on "${RS[1]}" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.0.1.2", 6000))
s.connect(("10.0.0.2", 7777))
s.settimeout(3)
s.send(sys.argv[1].encode())
try:
    s.recv(100)
    print("answered")
except socket.timeout:
    print("no error")
except OSError as e:
    print(e.strerror)' "$1"
}
assert_eq "nat_icmp_send 0: rs1 hears" "no error" "$(unsolicited passed)"
set_vs nat_icmp_send 1
assert_eq "nat_icmp_send 1: rs1 hears" "Connection refused" "$(unsolicited dropped)"
set_vs nat_icmp_send 0
wait "$listener"
assert_eq "what the client heard" passed "$(cat "$data/heard")"

# ignore_tunneled: the client reaches the virtual service through an
# IP-in-IP tunnel ending on the director (as one director would reach
# another that is also its real server). At 1 the tunnel's packets are
# marked to be left alone, but since Linux 6.x the tunnel clears the mark
# from what comes out of it (skb_scrub_packet), so that is balanced all
# the same, on C IPVS as on ours.
assert_eq "default ignore_tunneled" 0 "$(on "$DIRECTOR" cat "$(vs ignore_tunneled)")"
tunnel_endpoint "$DIRECTOR"
ip -n "$CLIENT" link add tun9 type ipip local 10.0.0.2 remote 10.0.0.1
ip -n "$CLIENT" link set tun9 up
ip -n "$CLIENT" route add "$VIP/32" dev tun9 src 10.0.0.2
on "$DIRECTOR" ipvsadm -C
on "$DIRECTOR" ipvsadm -A -t "$VIP:80" -s rr
on "$DIRECTOR" ipvsadm -a -t "$VIP:80" -r 10.0.1.2:80 -m
through_tunnel() {
	local rc=0 got
	got=$(on "$CLIENT" curl -s -m 20 "http://$VIP/") || rc=$?
	echo "$got exit $rc"
}
assert_eq "ignore_tunneled 0" "rs1 exit 0" "$(through_tunnel)"
set_vs ignore_tunneled 1
assert_eq "ignore_tunneled 1" "rs1 exit 0" "$(through_tunnel)"
set_vs ignore_tunneled 0

# snat_reroute: the director routes what comes from the virtual address
# over a second link to the client (policy routing by source). At 1 a
# VS/NAT reply, once it comes from there, takes that link; at 0 it keeps
# the route it had as rs1's packet.
ip -n "$CLIENT" route del "$VIP/32" dev tun9
assert_eq "default snat_reroute" 1 "$(on "$DIRECTOR" cat "$(vs snat_reroute)")"
veth_link "$DIRECTOR" 10.6.0.1 "$CLIENT" 10.6.0.2
second=$(on "$CLIENT" ip -o -4 addr show to 10.6.0.2 | awk '{print $2}')
on "$CLIENT" sysctl -qw "net.ipv6.conf.$second.disable_ipv6=1"
on "$DIRECTOR" ip rule add from "$VIP" table 100
on "$DIRECTOR" ip route add 10.0.0.0/24 via 10.6.0.2 table 100
# What the second link brings from the virtual service (the link's own
# counter would also count the director's IPv6 neighbour discovery and
# MLD reports, which a fast guest's curl meets in the link's first
# seconds).
on "$CLIENT" nft -f - <<NFT
table ip second_link {
	chain prerouting {
		type filter hook prerouting priority raw;
		iifname "$second" ip saddr $VIP tcp sport 80 counter
	}
}
NFT
received() { on "$CLIENT" nft list chain ip second_link prerouting | grep -o 'packets [0-9]*' | cut -d' ' -f2; }
# over_second_link: curl's answer, and how many of the service's packets
# the second link brought meanwhile ("few" or "many").
over_second_link() {
	local before got
	before=$(received)
	got=$(on "$CLIENT" curl -s -m 20 "http://$VIP/") || got=failed
	[ $(($(received) - before)) -ge 3 ] && echo "$got many" || echo "$got few"
}
set_vs snat_reroute 0
assert_eq "snat_reroute 0" "rs1 few" "$(over_second_link)"
set_vs snat_reroute 1
assert_eq "snat_reroute 1" "rs1 many" "$(over_second_link)"

# schedule_icmp: the client's "fragmentation needed" about a packet of no
# connection (from the VIP's port 80 to its port 45000, as a director
# that shares clients by hashing might see): at 0 the director keeps it;
# at 1 it opens that connection and goes to the real server sh picks.
use_sched sh
on "$DIRECTOR" ipvsadm -C
on "$DIRECTOR" ipvsadm -A -t "$VIP:80" -s sh
for i in 1 2 3; do
	on "$DIRECTOR" ipvsadm -a -t "$VIP:80" -r "10.0.$i.2:80" -m
	on "${RS[$i]}" nft -f - <<NFT
table ip icmpwatch {
	chain input {
		type filter hook input priority filter;
		icmp type destination-unreachable counter
	}
}
NFT
done
icmp_at_servers() {
	local i sum=0
	for i in 1 2 3; do
		sum=$((sum + $(on "${RS[$i]}" nft list chain ip icmpwatch input | grep -o 'packets [0-9]*' | cut -d' ' -f2)))
	done
	echo "$sum"
}
frag_needed() {
	on "$CLIENT" python3 "$TESTS/tools/raw_packet.py" frag-needed 10.0.0.2 "$VIP" "$VIP" 80 10.0.0.2 45000
	sleep 1
}
assert_eq "default schedule_icmp" 0 "$(on "$DIRECTOR" cat "$(vs schedule_icmp)")"
frag_needed
assert_eq "schedule_icmp 0: errors at the real servers" 0 "$(icmp_at_servers)"
set_vs schedule_icmp 1
frag_needed
assert_eq "schedule_icmp 1: errors at the real servers" 1 "$(icmp_at_servers)"
set_vs schedule_icmp 0
