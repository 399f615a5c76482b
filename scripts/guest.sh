#!/usr/bin/env bash
# Inside the guest (started by qemu-test.sh): make our modules loadable
# by modprobe, then run the tests or the command.
#
#   guest.sh test|run rust|c SHARED MODULES
#
# SHARED is a host directory the guest may write: it holds the command
# line (argv, NUL-separated) and receives the exit status (status).
# MODULES is the directory of our modules built for the running kernel.
set -uo pipefail

mode=$1
export LVS_IPVS=$2
shared=$3
modules=$4
repo=$(cd "$(dirname "$0")/.." && pwd)
export LVS_REPO=$repo
export PATH=$PATH:/sbin:/usr/sbin
echo 1 > "$shared/status"
mapfile -d '' argv < "$shared/argv"

# /lib/modules/$(uname -r) is virtme's read-only view of the kernel's
# modules: overlay it with a copy that also has ours in extra/.
install_our_modules() {
	local kver orig dst m
	kver=$(uname -r)
	orig=$(realpath "/lib/modules/$kver")
	dst=/tmp/lvs-modroot/lib/modules/$kver
	mkdir -p "$dst/extra"
	# Links to the real files: the mount below hides $orig itself.
	(cd "$orig" && find kernel -name '*.ko') | while read -r m; do
		mkdir -p "$dst/$(dirname "$m")"
		ln -s "$(realpath "$orig/$m")" "$dst/$m"
	done
	cp "$orig"/modules.order "$orig"/modules.builtin "$orig"/modules.builtin.modinfo "$dst/"
	# Copies, not links: rebuilding on the host during a run must not
	# change the modules under the running tests.
	find "$modules" -name '*.ko' -exec cp {} "$dst/extra/" \;
	depmod -b /tmp/lvs-modroot "$kver" && mount --bind "$dst" "/lib/modules/$kver"
}

if ! install_our_modules; then
	echo "guest: could not install our modules" >&2
	exit 1
fi

if [ "$mode" = run ]; then
	"${argv[@]}"
	echo $? > "$shared/status"
	exit 0
fi

# Test mode: every test in a clean dmesg; any kernel complaint fails it.
# A test may leave results for the host in $LVS_RESULTS/NAME (vmtest
# compares the guests').
export LVS_RESULTS=$shared/results
mkdir -p "$LVS_RESULTS"
# (The release kernel has no debugfs, and no kmemleak.)
[ ! -d /sys/kernel/debug ] || mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
kmemleak=/sys/kernel/debug/kmemleak
[ -w "$kmemleak" ] && echo clear > "$kmemleak"

# The tests: those named, or all; or, with "--queue DIR", those of
# DIR/order that no other guest has taken yet. A guest takes a test by
# creating DIR/taken/NAME: mkdir on the host's file system succeeds for
# one guest only.
queue=
if [ "${argv[0]:-}" = --queue ]; then
	queue=${argv[1]}
	mapfile -t tests < "$queue/order"
elif [ ${#argv[@]} -gt 0 ]; then
	tests=("${argv[@]%.sh}")
else
	tests=()
	for t in "$repo"/tests/[0-9]*.sh; do tests+=("$(basename "$t" .sh)"); done
fi

# What the kernel prints when something is wrong.
bad='WARNING:|BUG:|Oops|KASAN|UBSAN|general protection|possible circular locking|possible recursive locking|inconsistent lock state|lock held when returning|sleeping function called from invalid context|INFO: task .* blocked|soft lockup|rcu_sched self-detected|Slab cache still has objects|kmemleak|refcount_t|list_add corruption|list_del corruption|Call Trace'

passed=0 failed=0 skipped=0
logs=/tmp/lvs-test-logs
mkdir -p "$logs"
for name in "${tests[@]}"; do
	[ -z "$queue" ] || mkdir "$queue/taken/$name" 2>/dev/null || continue
	t=$repo/tests/$name.sh
	dmesg -C
	start=$(date +%s)
	# 30 minutes: the 200,000-connection test alone took 13 on a slow
	# day, and 06 over 20 with four guests on two cores.
	timeout 1800 bash "$t" > "$logs/$name.log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	dmesg > "$logs/$name.dmesg"
	if [ $rc -eq 0 ] && grep -Eq "$bad" "$logs/$name.dmesg"; then
		echo "kernel complained during the test:" >> "$logs/$name.log"
		rc=1
	fi
	# Debian's ipvsadm loads C IPVS when it finds no IPVS: in a run of
	# ours that means a test ran it without our module, and C IPVS would
	# keep ours from loading in every later test.
	if [ "$LVS_IPVS" = rust ] && [ -d /sys/module/ip_vs ]; then
		echo "C IPVS got loaded during the test (ipvsadm without our module?)" >> "$logs/$name.log"
		[ $rc -eq 77 ] || rc=1
		for m in $(lsmod | awk '$1 ~ /^ip_vs_/ {print $1}') ip_vs; do rmmod "$m"; done
	fi
	case $rc in
	0) echo "PASS $name (${secs}s)"; passed=$((passed + 1)) ;;
	77) echo "SKIP $name: $(tail -n1 "$logs/$name.log")"; skipped=$((skipped + 1)) ;;
	*)
		echo "FAIL $name (exit $rc, ${secs}s)"
		sed 's/^/    | /' "$logs/$name.log" | tail -n 40
		if grep -Eq "$bad" "$logs/$name.dmesg"; then
			grep -E -A25 "$bad" "$logs/$name.dmesg" | head -n 60 | sed 's/^/    dmesg| /'
		else
			tail -n 15 "$logs/$name.dmesg" | sed 's/^/    dmesg| /'
		fi
		failed=$((failed + 1)) ;;
	esac
done

# Leaks show up only after the objects age: wait, then scan twice. A
# guest booted with kmemleak=off refuses the scan: no result to report.
if [ -w "$kmemleak" ] && sleep 6 && (echo scan > "$kmemleak") 2>/dev/null; then
	echo scan > "$kmemleak"
	if grep -q unreferenced "$kmemleak"; then
		echo "FAIL kmemleak: unreferenced objects after the tests"
		head -n 60 "$kmemleak" | sed 's/^/    | /'
		failed=$((failed + 1))
	else
		echo "PASS kmemleak"
		passed=$((passed + 1))
	fi
else
	echo "SKIP kmemleak: off in this guest"
	skipped=$((skipped + 1))
fi

echo "$passed passed, $failed failed, $skipped skipped (ipvs=$LVS_IPVS)"
[ $failed -eq 0 ] && echo 0 > "$shared/status"
exit 0
