#!/usr/bin/env bash
# A director and three real servers in a guest: 30 HTTP requests to the
# virtual address, which server answered each, then `ipvsadm -Ln`.
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
cluster
www=$(mktemp -d)
ON_EXIT="rm -rf $www"
http_servers "$www"
use_sched rr
echo "== IPVS: $LVS_IPVS ($(ipvs_core) loaded); client 10.0.0.2, director 10.0.0.1, VIP $VIP"
on "$DIRECTOR" ipvsadm -A -t "$VIP:80" -s rr
on "$DIRECTOR" ipvsadm -a -t "$VIP:80" -r 10.0.1.2:80 -m
on "$DIRECTOR" ipvsadm -a -t "$VIP:80" -r 10.0.2.2:80 -g
on "$DIRECTOR" ipvsadm -a -t "$VIP:80" -r 10.0.3.2:80 -m
for n in $(seq 30); do
	printf 'request %2d answered by %s\n' "$n" "$(on "$CLIENT" curl -s -m 5 "http://$VIP/")"
done
on "$DIRECTOR" ipvsadm -Ln
