#!/usr/bin/env bash
# Packet forwarding cost of our IPVS against C IPVS, in one guest.
#
#   scripts/bench-ipvs.sh [COUNT]
#
# Boots the test kernel with its costliest checks off (kmemleak, lockdep
# dependency tracking: as the C runs of the tests) and, for C IPVS and
# then ours, times COUNT UDP datagrams (default 10,000) from one sender
# through the director: with no service (the sender and the stack alone),
# to a VS/DR service opening a connection each, and the same datagrams
# again on the connections they opened. The director's share is the time
# beyond the baseline; the script prints each time and ours / C's share.
# A benchmark, not a test: it asserts nothing. Under TCG the absolute
# numbers mean little; the ratio is the point.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
count=${1:-10000}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$repo/scripts/qemu-test.sh" run --ipvs c -- bash -c "
	for ipvs in c rust; do LVS_IPVS=\$ipvs bash $repo/tests/tools/bench_flood.sh $count || exit 1; done
" | tee "$out"
awk '
	$1 == "result" { t[$2, $3] = $4 }
	END {
		printf "\n%-22s %10s %10s %8s\n", "datagrams, seconds", "C IPVS", "ours", "ours/C"
		split("baseline new existing", phase, " ")
		for (i = 1; i <= 3; i++) printf "%-22s %10.1f %10.1f\n", phase[i], t["c", phase[i]], t["rust", phase[i]]
		for (i = 2; i <= 3; i++) {
			c = t["c", phase[i]] - t["c", "baseline"]; r = t["rust", phase[i]] - t["rust", "baseline"]
			if (c > 0) printf "director share, %-8s %8.1f %10.1f %8.2f\n", phase[i], c, r, r / c
		}
	}' "$out"
