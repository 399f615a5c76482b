#!/usr/bin/env bash
# Every scenario test against our modules and against C IPVS, in two
# guests at once: the tests spend much of their time waiting (timeouts,
# servers starting, the emulated network), which the other guest fills.
# Our run, with the kernel's checkers on, takes the longest: once the C
# guest is done, a second guest of ours takes over the tests in LATE
# (when no tests are named). Prints each run's report when all are done,
# then compares what test 06 recorded in both guests; fails if any failed.
#
#   scripts/vmtest.sh [TEST...]
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
make -s -C "$repo" --no-print-directory all || exit 1
kdir=$("$repo/scripts/build-kernel.sh" --kdir)
logs=$(mktemp -d /tmp/lvs-vmtest.XXXXXX)
trap 'rm -rf "$logs"' EXIT

# Tests of ours the second guest runs, when all run: the schedulers'
# and the statistics' (about a quarter of our run).
late=(20-schedulers 21-persistence-fwmark 22-load-schedulers 23-global-server 25-stats)
early=("$@")
if [ $# -eq 0 ]; then
	for t in "$repo"/tests/[0-9]*.sh; do
		t=$(basename "$t" .sh)
		[[ " ${late[*]} " == *" $t "* ]] || early+=("$t")
	done
fi

mkdir "$logs/results-rust" "$logs/results-c"
LVS_RESULTS_TO=$logs/results-rust "$repo/scripts/qemu-test.sh" --ipvs rust "${early[@]}" > "$logs/rust" 2>&1 &
rust=$!
# vng prepares the kernel's module tree on its first boot of a new
# kernel: let the first guest do that alone.
for _ in $(seq 120); do
	[ "$kdir/.virtme_mods/lib/modules/0.0.0/modules.dep" -nt "$kdir/modules.order" ] && break
	sleep 1
done
LVS_RESULTS_TO=$logs/results-c "$repo/scripts/qemu-test.sh" --ipvs c "$@" > "$logs/c" 2>&1
c_status=$?
rust_late_status=0
reports=(rust c)
if [ $# -eq 0 ]; then
	"$repo/scripts/qemu-test.sh" --ipvs rust "${late[@]}" > "$logs/rust-late" 2>&1
	rust_late_status=$?
	reports+=(rust-late)
fi
wait "$rust"
rust_status=$?

for report in "${reports[@]}"; do
	case $report in
	c) echo "=== C IPVS" ;;
	rust) echo "=== ours" ;;
	rust-late) echo "=== ours, second guest" ;;
	esac
	cat "$logs/$report"
done
[ $rust_late_status = 0 ] || rust_status=1

# Debian's ipvsadm on ours and on C IPVS: the same transcript for every
# script of test 06 that both guests ran.
across_status=0
ours_runs=$logs/results-rust/06-ipvsadm-change
c_runs=$logs/results-c/06-ipvsadm-change
if [ -d "$ours_runs" ] && [ -d "$c_runs" ]; then
	echo "=== across the guests"
	compared=0 differ=0
	for run in "$ours_runs"/*; do
		name=$(basename "$run")
		[ -f "$c_runs/$name" ] || continue
		compared=$((compared + 1))
		diff -u --label "C IPVS: $name" --label "ours: $name" "$c_runs/$name" "$run" || differ=$((differ + 1))
	done
	if [ $compared -gt 0 ] && [ $differ -eq 0 ]; then
		echo "PASS 06-ipvsadm-change across the guests: $compared scripts, Debian's ipvsadm the same on C IPVS and ours"
	else
		echo "FAIL 06-ipvsadm-change across the guests: $differ of $compared scripts differ"
		across_status=1
	fi
fi
echo "vmtest: ours $([ $rust_status = 0 ] && echo passed || echo FAILED), C IPVS $([ $c_status = 0 ] && echo passed || echo FAILED), across $([ $across_status = 0 ] && echo passed || echo FAILED)"
[ $rust_status = 0 ] && [ $c_status = 0 ] && [ $across_status = 0 ]
