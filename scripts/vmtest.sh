#!/usr/bin/env bash
# Every scenario test against our modules and against C IPVS. Two
# workers, one per core, each boot guests in turn: the first starts
# with a guest of ours, the second with one of C IPVS. A guest takes
# tests from its kind's queue, slowest first, until the queue is empty;
# its worker then boots a guest of the other kind if that queue still
# has tests, so neither core idles while the other has work. Our guests
# run with the kernel's checkers on and take the longest. Tests that
# need the whole machine (SOLO) run last, in a guest of ours alone.
# Prints each guest's report when all are done, then compares what test
# 06 recorded on both kinds; fails if any failed.
#
#   scripts/vmtest.sh [TEST...]
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
make -s -C "$repo" --no-print-directory all || exit 1
kdir=$("$repo/scripts/build-kernel.sh" --kdir)
logs=$(mktemp -d /tmp/lvs-vmtest.XXXXXX)
trap 'rm -rf "$logs"' EXIT

# The slowest tests, slowest first (measured on ours); the rest follow
# in name order. Starting the long ones early keeps the end even.
slow=(06-ipvsadm-change 40-ktcpvs 18-ipv6 10-nat-dr-tcp 28-sync-sysctls
	07-netlink-fuzz 27-sync 05-ipvsadm-list 26-defense)
# Tests of ours that run alone, in a last guest with two vCPUs: the
# 200,000-connection flood took about 100-350 s so, 600-870 s beside
# another guest; KTCPVS's 1,000 clients at once on one vCPU waited over
# a minute for some answers. (C IPVS skips both, in its queue.)
solo=(30-conn-expiry-200k 41-ktcpvs-load)
order=("$@")
if [ $# -eq 0 ]; then
	order=("${slow[@]}")
	for t in "$repo"/tests/[0-9]*.sh; do
		t=$(basename "$t" .sh)
		[[ " ${slow[*]} ${solo[*]} " == *" $t "* ]] || order+=("$t")
	done
	order+=("${solo[@]}")
fi
for kind in rust c; do
	mkdir -p "$logs/queue-$kind/taken" "$logs/results-$kind"
	for t in "${order[@]%.sh}"; do
		[ $# -gt 0 ] || [ "$kind" = c ] || [[ " ${solo[*]} " != *" $t "* ]] || continue
		echo "$t"
	done > "$logs/queue-$kind/order"
done

# queue_left KIND: whether some test of KIND's queue is not taken yet.
queue_left() {
	local name
	while read -r name; do
		[ -d "$logs/queue-$1/taken/$name" ] || return 0
	done < "$logs/queue-$1/order"
	return 1
}

# guest KIND REPORT CPUS: one guest of KIND with CPUS vCPUs working on
# KIND's queue. Two guests at once get one each: more emulated CPUs
# than the host's cores made every test two to three times slower (06
# took 250 s alone, 880 s beside another two-vCPU guest), vCPUs spinning
# on locks whose holder's thread was not running.
guest() {
	LVS_GUEST_CPUS=$3 LVS_RESULTS_TO=$logs/results-$1 "$repo/scripts/qemu-test.sh" --ipvs "$1" \
		--queue "$logs/queue-$1" > "$logs/$2" 2>&1
	echo $? > "$logs/$2.status"
}

# worker FIRST SECOND N: a guest of FIRST, then one of SECOND if needed.
worker() {
	guest "$1" "$3-1-$1" 1
	queue_left "$2" && guest "$2" "$3-2-$2" 1
}

worker rust c 1 &
first=$!
# vng prepares the kernel's module tree on its first boot of a new
# kernel: let the first guest do that alone.
for _ in $(seq 120); do
	[ "$kdir/.virtme_mods/lib/modules/0.0.0/modules.dep" -nt "$kdir/modules.order" ] && break
	sleep 1
done
worker c rust 2
wait "$first"
if [ $# -eq 0 ]; then
	printf '%s\n' "${solo[@]}" >> "$logs/queue-rust/order"
	guest rust 3-1-rust 2
fi

declare -A failed=([rust]=0 [c]=0)
for status in "$logs"/*.status; do
	report=${status%.status}
	kind=${report##*-}
	case $kind in rust) echo "=== ours (guest ${report#$logs/})" ;; c) echo "=== C IPVS (guest ${report#$logs/})" ;; esac
	cat "$report"
	[ "$(cat "$status")" = 0 ] || failed[$kind]=1
done
# Every test ran on both kinds.
for kind in rust c; do
	while read -r name; do
		[ -d "$logs/queue-$kind/taken/$name" ] && continue
		echo "vmtest: $name never ran on $kind"
		failed[$kind]=1
	done < "$logs/queue-$kind/order"
done

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
verdict() { [ "$1" = 0 ] && echo passed || echo FAILED; }
echo "vmtest: ours $(verdict "${failed[rust]}"), C IPVS $(verdict "${failed[c]}"), across $(verdict $across_status)"
[ "${failed[rust]}" = 0 ] && [ "${failed[c]}" = 0 ] && [ $across_status = 0 ]
