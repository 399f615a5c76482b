#!/usr/bin/env bash
# Guest side of scripts/bench-ipvs.sh: COUNT datagrams through the
# director of the IPVS that LVS_IPVS names, three ways; prints
# "result IPVS PHASE SECONDS" lines.
. "$(dirname "$0")/../lib.sh"
count=$1
cluster
use_sched rr
# One source address per 50,000 datagrams (a port each).
sources=()
for i in $(seq $(((count + 49999) / 50000))); do sources+=("10.9.$i.1"); done
flood() { on "$CLIENT" python3 "$TESTS/tools/udp_flood.py" "$count" "$VIP" 9000 "${sources[@]}"; }
echo "result $LVS_IPVS baseline $(flood)"
on "$DIRECTOR" ipvsadm -A -u "$VIP:9000" -s rr
for i in 1 2 3; do on "$DIRECTOR" ipvsadm -a -u "$VIP:9000" -r "10.0.$i.2" -g; done
echo "result $LVS_IPVS new $(flood)"
echo "result $LVS_IPVS existing $(flood)"
on "$DIRECTOR" ipvsadm -Ln --stats
