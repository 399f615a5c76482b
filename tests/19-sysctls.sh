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
on "$CLIENT" python3 "$TESTS/tools/tcp_ack.py" 10.0.0.2 41000 "$VIP" 80
sleep 1
assert_eq "connections a bare ACK opens" 0 "$(entries 41000)"
set_vs sloppy_tcp 1
on "$CLIENT" python3 "$TESTS/tools/tcp_ack.py" 10.0.0.2 41001 "$VIP" 80
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
