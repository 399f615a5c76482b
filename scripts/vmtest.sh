#!/usr/bin/env bash
# Every scenario test against our modules and against C IPVS, in guests
# of three kinds, each with its own queue of tests:
#   rust          ours on the test kernel (KASAN, lockdep, kmemleak):
#                 the tests that drive the most of our kernel code
#   rust-release  ours on the release kernel, the other tests
#   c             C IPVS on the release kernel, every test that applies
# Under TCG the checkers make a guest three to five times slower, and the
# whole suite on the test kernel took hours on slow hosts: the checked
# set is what they are worth most on (module lifetime, the packet path,
# netlink fuzzing, sync, KTCPVS).
# Two workers, one per core, boot one-vCPU guests in turn, each from the
# first kind on its own list whose queue still has tests; a guest takes
# tests from its kind's queue, slowest first, until the queue is empty.
# Tests that need the whole machine (SOLO) run last, in a guest of ours
# alone with two vCPUs. Prints each guest's report when all are done,
# then compares what test 06 recorded on ours and on C IPVS; fails if
# any failed.
#
#   scripts/vmtest.sh [TEST...]    (named tests: on the test kernel and C)
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
make -s -C "$repo" --no-print-directory all release-modules || exit 1
logs=$(mktemp -d /tmp/lvs-vmtest.XXXXXX)
trap 'rm -rf "$logs"' EXIT

# The slowest tests, slowest first (measured on ours); the rest follow
# in name order. Starting the long ones early keeps the end even.
slow=(06-ipvsadm-change 40-ktcpvs 18-ipv6 10-nat-dr-tcp 28-sync-sysctls
	07-netlink-fuzz 27-sync 05-ipvsadm-list 26-defense)
# Ours on the test kernel: these (see above).
checked=(01-load-unload 02-hooks-see-packets 03-genl-family 07-netlink-fuzz
	14-churn-teardown 27-sync 40-ktcpvs)
# Tests of ours that run alone, in a last guest with two vCPUs: the
# 200,000-connection flood took about 100-350 s so, 600-870 s beside
# another guest; KTCPVS's 1,000 clients at once on one vCPU waited over
# a minute for some answers. (C IPVS skips both, in its queue.)
solo=(30-conn-expiry-200k 41-ktcpvs-load)
kinds=(rust rust-release c)
order=("$@")
if [ $# -eq 0 ]; then
	order=("${slow[@]}")
	for t in "$repo"/tests/[0-9]*.sh; do
		t=$(basename "$t" .sh)
		[[ " ${slow[*]} ${solo[*]} " == *" $t "* ]] || order+=("$t")
	done
	order+=("${solo[@]}")
fi
# listed LIST... -- NAME: whether NAME is one of LIST.
listed() {
	local name=${*: -1}
	[[ " ${*:1:$#-2} " == *" $name "* ]]
}
for kind in "${kinds[@]}"; do
	mkdir -p "$logs/queue-$kind/taken" "$logs/results-$kind"
	for t in "${order[@]%.sh}"; do
		if [ $# -gt 0 ]; then
			[ "$kind" != rust-release ] && echo "$t"
			continue
		fi
		case $kind in
		rust) listed "${checked[@]}" -- "$t" && echo "$t" ;;
		rust-release) listed "${checked[@]}" "${solo[@]}" -- "$t" || echo "$t" ;;
		c) echo "$t" ;;
		esac
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
	local ipvs=${1%-release} kernel=test
	[ "$1" = rust ] || kernel=release
	LVS_KERNEL=$kernel LVS_GUEST_CPUS=$3 LVS_RESULTS_TO=$logs/results-$1 \
		"$repo/scripts/qemu-test.sh" --ipvs "$ipvs" --queue "$logs/queue-$1" > "$logs/$2" 2>&1
	echo $? > "$logs/$2.status"
}

# worker N KIND...: guests of the first KIND with tests left, until
# none has. The workers start with kinds of different kernels: vng
# prepares a kernel's module tree on its first boot, and two first
# boots of one kernel at once would both do it.
worker() {
	local n=$1 boots=0 kind
	shift
	while :; do
		for kind in "$@"; do
			queue_left "$kind" && break
			kind=
		done
		[ -n "$kind" ] || return 0
		boots=$((boots + 1))
		guest "$kind" "$n-$boots-$kind" 1
	done
}

worker 1 rust rust-release c &
first=$!
worker 2 c rust-release rust
wait "$first"
if [ $# -eq 0 ]; then
	printf '%s\n' "${solo[@]}" >> "$logs/queue-rust-release/order"
	guest rust-release 3-1-rust-release 2
fi

declare -A failed=([rust]=0 [rust-release]=0 [c]=0)
declare -A what=([rust]="ours, test kernel" [rust-release]="ours, release kernel" [c]="C IPVS, release kernel")
for status in "$logs"/*.status; do
	report=${status%.status}
	guest=${report#$logs/}
	kind=${guest#*-*-}
	echo "=== ${what[$kind]} (guest $guest)"
	cat "$report"
	[ "$(cat "$status")" = 0 ] || failed[$kind]=1
done
# Every test ran in its queue's kind.
for kind in "${kinds[@]}"; do
	while read -r name; do
		[ -d "$logs/queue-$kind/taken/$name" ] && continue
		echo "vmtest: $name never ran (${what[$kind]})"
		failed[$kind]=1
	done < "$logs/queue-$kind/order"
done

# Debian's ipvsadm on ours and on C IPVS: the same transcript for every
# script of test 06 that both guests ran.
across_status=0
ours_runs=$(ls -d "$logs"/results-rust*/06-ipvsadm-change 2>/dev/null | head -n1)
c_runs=$logs/results-c/06-ipvsadm-change
if [ -n "$ours_runs" ] && [ -d "$c_runs" ]; then
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
ours=$((failed[rust] + failed[rust-release]))
echo "vmtest: ours $(verdict $ours), C IPVS $(verdict "${failed[c]}"), across $(verdict $across_status)"
[ $ours = 0 ] && [ "${failed[c]}" = 0 ] && [ $across_status = 0 ]
