#!/usr/bin/env bash
# A director and three real servers in a guest: 30 HTTP requests to the
# virtual address, then `ipvsadm -Ln` and which server answered each.
#
#   scripts/demo.sh [--ipvs rust|c]
#
# With --ipvs c the kernel's C IPVS does the balancing, as a reference.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

if [ "${1:-}" != --in-guest ]; then
	exec "$repo/scripts/qemu-test.sh" run "$@" -- bash "$repo/scripts/demo.sh" --in-guest
fi

. "$repo/tests/lib.sh"
vip=10.0.0.100

client=$(netns_add client)
director=$(netns_add director)
veth_link "$client" 10.0.0.2 "$director" 10.0.0.1
ip -n "$director" addr add "$vip/32" dev lo
ip -n "$client" route add default via 10.0.0.1
ip netns exec "$director" sysctl -qw net.ipv4.ip_forward=1
for i in 1 2 3; do
	rs=$(netns_add "rs$i")
	veth_link "$director" "10.0.$i.1" "$rs" "10.0.$i.2"
	ip -n "$rs" route add default via "10.0.$i.1"
	mkdir -p "/tmp/demo-rs$i"
	echo "real server $i (10.0.$i.2)" > "/tmp/demo-rs$i/index.html"
	ip netns exec "$rs" python3 -m http.server 80 --bind "10.0.$i.2" \
		--directory "/tmp/demo-rs$i" >/dev/null 2>&1 &
done
ON_EXIT="kill $(jobs -p | tr '\n' ' ') 2>/dev/null"

modprobe "$(ipvs_sched rr)"
echo "== IPVS: $LVS_IPVS ($(ipvs_core) loaded)"
genl ctrl get name IPVS | head -n 2
sleep 1  # let the servers bind

if ! ip netns exec "$director" ipvsadm -A -t "$vip:80" -s rr 2>/tmp/demo-err; then
	echo "== data plane not yet implemented in lvs_ipvs ($(cat /tmp/demo-err))"
	echo "== what works: the modules load, and the hooks see the traffic:"
	for _ in $(seq 30); do
		ip netns exec "$client" curl -s -m 2 -o /dev/null "http://10.0.0.1/" || true
	done
	ip netns exec "$director" cat /proc/net/lvs_ipvs_hooks
	exit 0
fi
for i in 1 2 3; do
	ip netns exec "$director" ipvsadm -a -t "$vip:80" -r "10.0.$i.2:80" -m
done
for n in $(seq 30); do
	printf 'request %2d: %s\n' "$n" "$(ip netns exec "$client" curl -s -m 5 "http://$vip/")"
done
ip netns exec "$director" ipvsadm -Ln
