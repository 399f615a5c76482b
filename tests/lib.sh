# Shared helpers for the guest scenario tests; source it first.
#
# A test is a bash script that exits 0 to pass, 77 to skip (last line of
# output says why), anything else to fail. LVS_IPVS says which IPVS the
# run exercises: "rust" (ours) or "c" (the kernel's own).
set -Eeuo pipefail
# A command that fails a test says so, with where (once: not again from
# each enclosing command substitution).
trap '[ "$BASH_SUBSHELL" != 0 ] || echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND (exit $?)" >&2' ERR

: "${LVS_IPVS:=rust}"
: "${LVS_REPO:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
TESTS=$LVS_REPO/tests

# Module names of the core and of a scheduler, for the IPVS under test.
ipvs_core() { [ "$LVS_IPVS" = c ] && echo ip_vs || echo lvs_ipvs; }
ipvs_sched() { [ "$LVS_IPVS" = c ] && echo "ip_vs_$1" || echo "lvs_ipvs_$1"; }

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "$*"; exit 77; }
only_rust() { [ "$LVS_IPVS" = rust ] || skip "ours only: $*"; }

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

# is_loaded MODULE
is_loaded() { [ -d "/sys/module/$1" ]; }

# netns_add NAME: a network namespace for this test, removed when it
# exits; prints its name (lvs-PID-NAME: callers run this in $(...), a
# subshell, so the name is what tells cleanup which are this test's).
netns_add() {
	local ns=lvs-$$-$1
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	echo "$ns"
}

# veth_link NS_A ADDR_A NS_B ADDR_B [ADDR6_A ADDR6_B]: a cable between two
# namespaces, with IPv4 (and IPv6) addresses in /24 (/64) prefixes.
veth_link() {
	local a=$1 addr_a=$2 b=$3 addr_b=$4 ia=v$RANDOM ib=v$RANDOM
	ip link add "$ia" netns "$a" type veth peer name "$ib" netns "$b"
	ip -n "$a" addr add "$addr_a/24" dev "$ia"
	ip -n "$b" addr add "$addr_b/24" dev "$ib"
	if [ $# -ge 6 ]; then
		ip -n "$a" addr add "$5/64" dev "$ia" nodad
		ip -n "$b" addr add "$6/64" dev "$ib" nodad
	fi
	ip -n "$a" link set "$ia" up
	ip -n "$b" link set "$ib" up
}

# use_sched NAME: loads scheduler NAME and the core, both unloaded when
# the test exits, so that the next test starts without IPVS.
LOADED=()
use_sched() {
	modprobe "$(ipvs_sched "$1")"
	LOADED+=("$(ipvs_sched "$1")" "$(ipvs_core)")
}

# unload MODULE: rmmod, retried for 30 s: namespaces, and the services
# that hold a scheduler, go away asynchronously. For our modules a
# module that stays is a leaked reference: the test fails. C IPVS frees
# a namespace's connections slowly under the test kernel: only a note.
unload() {
	local i
	for i in $(seq 150); do
		is_loaded "$1" || return 0
		rmmod "$1" 2>/dev/null && return 0
		sleep 0.2
	done
	if [ "$LVS_IPVS" = c ]; then
		echo "note: $1 still in use after 30 s" >&2
		return 0
	fi
	echo "FAIL: $1 cannot be unloaded: $(rmmod "$1" 2>&1)" >&2
	return 1
}

cleanup() {
	local rc=$? ns m
	for ns in $(ip netns list | awk -v p="lvs-$$-" 'index($1, p) == 1 {print $1}'); do
		# Whatever still runs there (servers started through a function
		# in the background escape `kill $!`) would keep it alive.
		ip netns pids "$ns" | xargs -r kill 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
	[ -n "${ON_EXIT:-}" ] && eval "$ON_EXIT" || true
	rm -f "${UDP_PORTS_USED:-}"
	# The schedulers first: they hold the core.
	for m in "${LOADED[@]}"; do [ "$m" = "$(ipvs_core)" ] || unload "$m" || rc=1; done
	for m in "${LOADED[@]}"; do
		if [ "$m" = "$(ipvs_core)" ]; then unload "$m" || rc=1; break; fi
	done
	exit $rc
}
trap cleanup EXIT

# cluster: a client, a director and three real servers, each in its own
# namespace, on IPv4 and IPv6. Sets CLIENT, DIRECTOR, RS[1..3], VIP
# (10.0.0.100) and VIP6 (fd00:ff::100), both on the director's loopback
# (VIP6 is off the client's link: IPv6 answers neighbour solicitations
# only for addresses of the asking link).
# Client 10.0.0.2 -- 10.0.0.1 director; director 10.0.N.1 -- 10.0.N.2 real
# server N, whose default route is the director (for VS/NAT replies); in
# IPv6 fd00::2 -- fd00::1 and fd00:N::1 -- fd00:N::2. For VS/DR each real
# server also has both virtual addresses on its loopback and does not
# answer ARP for the IPv4 one (IPv6 answers only for addresses of the
# asking link).
VIP=10.0.0.100
VIP6=fd00:ff::100
cluster() {
	CLIENT=$(netns_add client)
	DIRECTOR=$(netns_add director)
	veth_link "$CLIENT" 10.0.0.2 "$DIRECTOR" 10.0.0.1 fd00::2 fd00::1
	ip -n "$DIRECTOR" addr add "$VIP/32" dev lo
	ip -n "$DIRECTOR" addr add "$VIP6/128" dev lo
	ip -n "$CLIENT" route add default via 10.0.0.1
	ip -n "$CLIENT" -6 route add default via fd00::1
	# accept_local: VS/DR replies pass the director with the VIP as source.
	ip netns exec "$DIRECTOR" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.accept_local=1 \
		net.ipv6.conf.all.forwarding=1
	RS=("")
	local i
	for i in 1 2 3; do
		RS+=("$(netns_add "rs$i")")
		veth_link "$DIRECTOR" "10.0.$i.1" "${RS[$i]}" "10.0.$i.2" "fd00:$i::1" "fd00:$i::2"
		ip -n "${RS[$i]}" route add default via "10.0.$i.1"
		ip -n "${RS[$i]}" -6 route add default via "fd00:$i::1"
		ip -n "${RS[$i]}" addr add "$VIP/32" dev lo
		ip -n "${RS[$i]}" addr add "$VIP6/128" dev lo
		ip netns exec "${RS[$i]}" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
	done
}

# sync_pair: a second director, $BACKUP, for the sync daemons, linked to
# the director (syncm 10.9.0.1, syncb 10.9.0.2 on the backup).
sync_pair() {
	BACKUP=$(netns_add backup)
	ip link add syncm netns "$DIRECTOR" type veth peer name syncb netns "$BACKUP"
	ip -n "$DIRECTOR" addr add 10.9.0.1/24 dev syncm
	ip -n "$BACKUP" addr add 10.9.0.2/24 dev syncb
	ip -n "$DIRECTOR" link set syncm up
	ip -n "$BACKUP" link set syncb up
}

# backup_links: links of the backup's own, to the client (cb0 10.8.0.2 --
# bc0 10.8.0.1) and to rs1 (rb0 10.7.1.2 -- br0 10.7.1.1).
backup_links() {
	local link
	ip link add cb0 netns "$CLIENT" type veth peer name bc0 netns "$BACKUP"
	ip -n "$CLIENT" addr add 10.8.0.2/24 dev cb0
	ip -n "$BACKUP" addr add 10.8.0.1/24 dev bc0
	ip link add rb0 netns "${RS[1]}" type veth peer name br0 netns "$BACKUP"
	ip -n "${RS[1]}" addr add 10.7.1.2/24 dev rb0
	ip -n "$BACKUP" addr add 10.7.1.1/24 dev br0
	for link in "$CLIENT cb0" "$BACKUP bc0" "${RS[1]} rb0" "$BACKUP br0"; do
		set -- $link
		ip -n "$1" link set "$2" up
	done
}

# tunnel_endpoint NS: real server NS unwraps VS/TUN's IP-in-IP (tunl0)
# and IPv6-in-IPv6 (ip6tnl0) packets and takes the client's packets that
# come out of the tunnel.
tunnel_endpoint() {
	ip -n "$1" link set tunl0 up
	ip -n "$1" link set ip6tnl0 up
	ip netns exec "$1" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.tunl0.rp_filter=0
}

# http_servers DIR [--http11]: an HTTP server (tools/http_serve.py) on
# port 80 of each real server (all its addresses: the VIP too, for VS/DR),
# serving DIR/rsN; index.html names the server. HTTP/1.0 (a connection
# per request) unless --http11.
http_servers() {
	local dir=$1 i
	for i in 1 2 3; do
		mkdir -p "$dir/rs$i"
		echo "rs$i" > "$dir/rs$i/index.html"
		ip netns exec "${RS[$i]}" python3 "$TESTS/tools/http_serve.py" ${2:-} "$dir/rs$i" &
		ON_EXIT="${ON_EXIT:+$ON_EXIT; }kill $! 2>/dev/null"
	done
	for i in 1 2 3; do wait_port "${RS[$i]}" "10.0.$i.2" 80; done
}

# director_server DIR: the director serves HTTP on its own addresses too,
# as server "rs0" (DIR/rs0), for local-node real servers.
director_server() {
	mkdir -p "$1/rs0"
	echo rs0 > "$1/rs0/index.html"
	ip netns exec "$DIRECTOR" python3 "$TESTS/tools/http_serve.py" "$1/rs0" &
	ON_EXIT="${ON_EXIT:+$ON_EXIT; }kill $! 2>/dev/null"
	wait_port "$DIRECTOR" 10.0.0.1 80
}

# udp_echo_servers PORT: tests/tools/udp_echo.py on UDP PORT of each real
# server, answering as rsN on its addresses and on both VIPs.
udp_echo_servers() {
	local i
	for i in 1 2 3; do
		ip netns exec "${RS[$i]}" python3 "$TESTS/tools/udp_echo.py" serve "rs$i" "$1" \
			"10.0.$i.2" "fd00:$i::2" "$VIP" "$VIP6" &
		ON_EXIT="${ON_EXIT:+$ON_EXIT; }kill $! 2>/dev/null"
	done
	sleep 1  # they bind
}

# udp_echo_director PORT: the same on the director, as rs0 (its
# client-side addresses and the VIPs), for local-node real servers.
udp_echo_director() {
	ip netns exec "$DIRECTOR" python3 "$TESTS/tools/udp_echo.py" serve rs0 "$1" \
		10.0.0.1 fd00::1 "$VIP" "$VIP6" &
	ON_EXIT="${ON_EXIT:+$ON_EXIT; }kill $! 2>/dev/null"
	sleep 1  # it binds
}

# udp_ask ADDR PORT COUNT SIZE [SPORT]: COUNT datagrams of SIZE bytes
# from the client to ADDR:PORT, each echoed intact (udp_echo.py ask);
# prints "rsN=count ...". Without SPORT each comes from a source port of
# its own that no earlier udp_ask of the test used (20000 up): a random
# port could repeat one whose connection would take the datagram.
UDP_PORTS_USED=$(mktemp)
udp_ask() {
	local used first sport=${5:-}
	if [ -z "$sport" ]; then
		used=$(cat "$UDP_PORTS_USED")
		first=$((20000 + ${used:-0}))
		echo $((${used:-0} + $3)) > "$UDP_PORTS_USED"
		sport=$first+
	fi
	ip netns exec "$CLIENT" python3 "$TESTS/tools/udp_echo.py" ask "$1" "$2" "$3" "$4" "$sport" |
		sort | uniq -c | awk '{printf "%s=%s ", $2, $1}'
}

# from_a_server DIR FILE NAME N...: FILE is server N's copy DIR/rsN/NAME
# for one of the N given.
from_a_server() {
	local dir=$1 file=$2 name=$3 i
	shift 3
	for i in "$@"; do cmp -s "$file" "$dir/rs$i/$name" && return 0; done
	return 1
}

# wait_port NS ADDR PORT: until something listens there (10 s at most).
wait_port() {
	local n
	for n in $(seq 100); do
		ip netns exec "$1" bash -c "echo > /dev/tcp/$2/$3" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "nothing listens on $2:$3 in $1"
}

# on NS CMD...: run CMD in namespace NS.
on() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
