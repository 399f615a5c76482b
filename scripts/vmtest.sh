#!/usr/bin/env bash
# Every scenario test against our modules and against C IPVS, in two
# guests at once: the tests spend much of their time waiting (timeouts,
# servers starting, the emulated network), which the other guest fills.
# Prints each run's report when both are done; fails if either failed.
#
#   scripts/vmtest.sh [TEST...]
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
make -s -C "$repo" --no-print-directory all || exit 1
kdir=$("$repo/scripts/build-kernel.sh" --kdir)
logs=$(mktemp -d /tmp/lvs-vmtest.XXXXXX)
trap 'rm -rf "$logs"' EXIT

"$repo/scripts/qemu-test.sh" --ipvs rust "$@" > "$logs/rust" 2>&1 &
rust=$!
# vng prepares the kernel's module tree on its first boot of a new
# kernel: let the first guest do that alone.
for _ in $(seq 120); do
	[ "$kdir/.virtme_mods/lib/modules/0.0.0/modules.dep" -nt "$kdir/modules.order" ] && break
	sleep 1
done
"$repo/scripts/qemu-test.sh" --ipvs c "$@" > "$logs/c" 2>&1
c_status=$?
wait "$rust"
rust_status=$?

for mode in rust c; do
	echo "=== scripts/qemu-test.sh --ipvs $mode"
	cat "$logs/$mode"
done
echo "vmtest: ours $([ $rust_status = 0 ] && echo passed || echo FAILED), C IPVS $([ $c_status = 0 ] && echo passed || echo FAILED)"
[ $rust_status = 0 ] && [ $c_status = 0 ]
