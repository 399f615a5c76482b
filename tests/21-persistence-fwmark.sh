#!/usr/bin/env bash
# Persistence (thesis §5.2.6) and firewall-mark services, through VS/NAT
# services of rs1, rs2, rs3 with round robin (newest server first: rs3,
# then rs2, then rs1):
#   - `-p`: 100 connections of one client all reach one server; its
#     template shows in the connection table, ASSURED;
#   - `-M 255.255.255.0`: two clients of one /24 share a server; with
#     the default mask, they don't;
#   - the template expires after the client's connections (UDP, short
#     timeouts) and the client moves on to the next server;
#   - expire_quiescent_template: a quiesced server keeps its persistent
#     clients, unless the sysctl says otherwise;
#   - port zero: one persistent service for every port of the address;
#   - FTP (port 21): the client's data connections (port 40000) follow
#     its control connection;
#   - `-f`: marks set by nftables group ports 80 and 8080 of the IPv4
#     and of the IPv6 virtual address; persistent, one server for both.
# Templates outlive their services while their connections live: each
# part has a virtual address of its own (10.0.0.100 to .105), so that
# it finds none of another part's.
. "$(dirname "$0")/lib.sh"

cluster
data=$(mktemp -d)
ON_EXIT="rm -rf $data"
http_servers "$data"
# More ports on every real server: 8080, FTP's 21 and a data port.
for i in 1 2 3; do
	for port in 8080 21 40000; do
		ip netns exec "${RS[$i]}" python3 "$TESTS/tools/http_serve.py" "$data/rs$i" "$port" &
		ON_EXIT="${ON_EXIT:+$ON_EXIT; }kill $! 2>/dev/null"
	done
done
for i in 1 2 3; do for port in 8080 21 40000; do wait_port "${RS[$i]}" "10.0.$i.2" "$port"; done; done
udp_echo_servers 5353
# A second client address, in the first one's /24.
ip -n "$CLIENT" addr add 10.0.0.3/24 dev "$(ip -n "$CLIENT" -o link show type veth | awk -F'[:@ ]+' '{print $2; exit}')"
for n in 1 2 3 4 5; do ip -n "$DIRECTOR" addr add "10.0.0.10$n/32" dev lo; done
use_sched rr

# service SPEC OPTS...: a fresh service SPEC ("-t ADDR:PORT", "-f MARK")
# with rs1..rs3 by VS/NAT on port PORT (none for port 0 and marks).
service() {
	local spec=$1 port i
	shift
	on "$DIRECTOR" ipvsadm -C
	# shellcheck disable=SC2086 # "-t ADDR:PORT"
	on "$DIRECTOR" ipvsadm -A $spec -s rr "$@"
	case $spec in
	*:0 | -f*) port= ;;
	*) port=:${spec##*:} ;;
	esac
	for i in 1 2 3; do
		# shellcheck disable=SC2086
		on "$DIRECTOR" ipvsadm -a ${spec%% *} ${spec#* } -r "10.0.$i.2$port" -m
	done
}
# ask URL [CURL OPTS...]: one request, a new connection; the server's name.
ask() { local url=$1; shift; on "$CLIENT" curl -gsSf -m 10 "$@" "$url"; }
# count N URL: N requests, each a new connection; "rsN=count ...".
count() {
	on "$CLIENT" curl -sf -m 600 -H "Connection: close" "$2?[1-$1]" |
		sort | uniq -c | awk '{printf "%s=%s ", $2, $1}'
}

# -p: one server for all 100.
service "-t $VIP:80" -p 300
assert_eq "100 connections, persistent" "rs3=100 " "$(count 100 "http://$VIP/")"
tpl=$(on "$DIRECTOR" ipvsadm -Lnc | awk '$4 ~ /:0$/ {print $1, $3, $4, $5, $6}')
assert_eq "the template" "TCP ASSURED 10.0.0.2:0 10.0.0.100:80 10.0.3.2:80" "$tpl"
persist=$(on "$DIRECTOR" ipvsadm -Ln --persistent-conn | awk '/->  *10\.0\./ {print $2 "=" $4}' | tr '\n' ' ')
assert_eq "persistent connections per server" "10.0.1.2:80=0 10.0.2.2:80=0 10.0.3.2:80=1 " "$persist"
# Another client address: a template of its own, on the next server.
assert_eq "a second client" "rs2" "$(ask "http://$VIP/" --interface 10.0.0.3)"

# -M: a /24 shares one template.
service "-t 10.0.0.101:80" -p 300 -M 255.255.255.0
assert_eq "first client of the /24" "rs3" "$(ask "http://10.0.0.101/")"
assert_eq "second client of the /24" "rs3" "$(ask "http://10.0.0.101/" --interface 10.0.0.3)"
tpl=$(on "$DIRECTOR" ipvsadm -Lnc | awk '$4 ~ /:0$/ && $5 == "10.0.0.101:80" {print $4}' | tr '\n' ' ')
assert_eq "one template for the /24" "10.0.0.0:0 " "$tpl"

# Expiry: UDP connections of 2 s, templates of 10 s (the client starts
# a process per datagram: seconds apart on a busy guest). While the
# client comes back within the timeout, it stays; after both expired, it
# is scheduled afresh (round robin's next server).
service "-u $VIP:5353" -p 10
on "$DIRECTOR" ipvsadm --set 0 0 2
got=$(for n in 1 2 3 4 5 6; do udp_ask "$VIP" 5353 1 100; done)
assert_eq "six datagrams from six ports, persistent" "rs3=1 rs3=1 rs3=1 rs3=1 rs3=1 rs3=1 " "$got"
# udp_template: the client's UDP template, as listed.
udp_template() { on "$DIRECTOR" ipvsadm -Lnc | awk '$1 == "UDP" && $4 == "10.0.0.2:0"'; }
[ -n "$(udp_template)" ] || fail "no UDP template"
for n in $(seq 30); do
	[ -n "$(udp_template)" ] || break
	sleep 1
done
[ -z "$(udp_template)" ] || fail "the template did not expire in 30 s: $(udp_template)"
assert_eq "after the template expired" "rs2=1 " "$(udp_ask "$VIP" 5353 1 100)"
on "$DIRECTOR" ipvsadm --set 0 0 300

# expire_quiescent_template: weight 0 keeps persistent clients by
# default; with the sysctl, they move.
service "-t 10.0.0.102:80" -p 300
assert_eq "before quiescing" "rs3" "$(ask "http://10.0.0.102/")"
on "$DIRECTOR" ipvsadm -e -t 10.0.0.102:80 -r 10.0.3.2:80 -m -w 0
assert_eq "quiesced, template kept" "rs3" "$(ask "http://10.0.0.102/")"
on "$DIRECTOR" sysctl -qw net.ipv4.vs.expire_quiescent_template=1
assert_eq "quiesced, template expired" "rs2" "$(ask "http://10.0.0.102/")"
assert_eq "and the new template holds" "rs2" "$(ask "http://10.0.0.102/")"

# Port zero: every port of the address, one server per client; without
# persistence, ipvsadm refuses a port-zero service.
service "-t 10.0.0.103:0" -p 300
assert_eq "port 80" "rs3" "$(ask "http://10.0.0.103/")"
assert_eq "port 8080" "rs3" "$(ask "http://10.0.0.103:8080/")"
err=$(on "$DIRECTOR" ipvsadm -A -t 10.0.0.104:0 -s rr 2>&1) && fail "a port-zero service without persistence was added"
assert_eq "port zero without persistence" "Zero port specified for non-persistent service" "$err"

# FTP: data connections to unprivileged ports follow the control one.
service "-t 10.0.0.105:21" -p 300
assert_eq "control connection" "rs3" "$(ask "http://10.0.0.105:21/")"
assert_eq "data connection" "rs3" "$(ask "http://10.0.0.105:40000/")"
assert_eq "data connection, again" "rs3" "$(ask "http://10.0.0.105:40000/")"
tpl=$(on "$DIRECTOR" ipvsadm -Lnc | awk '$4 == "10.0.0.2:0" && $5 ~ /^10.0.0.105:/ {print $5, $6}')
assert_eq "FTP template (no ports)" "10.0.0.105:0 10.0.3.2:0" "$tpl"

# Firewall marks from nftables: 1 for ports 80 and 8080 of the IPv4
# address, 2 for those of the IPv6 one.
on "$DIRECTOR" nft -f - <<EOF
table inet lvs {
	chain pre {
		type filter hook prerouting priority mangle;
		ip daddr $VIP tcp dport { 80, 8080 } meta mark set 1
		ip6 daddr $VIP6 tcp dport { 80, 8080 } meta mark set 2
	}
}
EOF
service "-f 1" -p 300
assert_eq "mark 1, port 80" "rs3" "$(ask "http://$VIP/")"
assert_eq "mark 1, port 8080" "rs3" "$(ask "http://$VIP:8080/")"
tpl=$(on "$DIRECTOR" ipvsadm -Lnc | awk '$4 == "10.0.0.2:0" && $5 == "0.0.0.1:0" {print $1, $5, $6}')
assert_eq "firewall-mark template" "IP 0.0.0.1:0 10.0.3.2:0" "$tpl"
# Without persistence, each connection is scheduled: both ports, all
# servers, in round robin.
service "-f 1"
got=$(for port in 80 8080 80 8080 80 8080; do ask "http://$VIP:$port/"; done | tr '\n' ' ')
assert_eq "mark 1, no persistence" "rs3 rs2 rs1 rs3 rs2 rs1 " "$got"
# IPv6.
on "$DIRECTOR" ipvsadm -C
on "$DIRECTOR" ipvsadm -A -f 2 -6 -s rr -p 300
for i in 1 2 3; do on "$DIRECTOR" ipvsadm -a -f 2 -6 -r "fd00:$i::2" -m; done
assert_eq "mark 2, port 80" "rs3" "$(ask "http://[$VIP6]/")"
assert_eq "mark 2, port 8080" "rs3" "$(ask "http://[$VIP6]:8080/")"
# Unmarked traffic to the address is not the service's.
ask "http://[$VIP6]:40000/" -m 3 >/dev/null 2>&1 && fail "an unmarked connection reached a firewall-mark service"
true
