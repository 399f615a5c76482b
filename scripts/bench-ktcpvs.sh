#!/usr/bin/env bash
# HTTP throughput of KTCPVS against HAProxy, in one guest.
#
#   scripts/bench-ktcpvs.sh [--duration SECONDS] [--connections N]
#                           [--sched rr|wlc] [--startservers N]
#                           [--kernel release|test]
#
# Boots the release kernel (scripts/build-kernel.sh with
# LVS_KERNEL=release: the test kernel without KASAN, lockdep, kmemleak;
# built once, about 15 minutes, into its own cache directory), with our
# modules built against it (make release-modules); or, with --kernel
# test, the test kernel with its costliest checks off (kmemleak, lockdep
# dependency tracking: as bench-ipvs.sh). With one client and the
# same three nginx real servers (tests/tools/bench_ktcpvs.sh), measures
# 1 KB and 100 KB objects, each two ways: requests/s over keep-alive
# connections (wrk) and connections/s, a new connection per request (ab
# without -k, HTTP/1.0). Each measurement runs straight to one real
# server (what the client and a server manage with no switch), then
# through HAProxy (mode http, roundrobin, a thread per vCPU, http-reuse
# safe, on the VIP's port 8080), then through KTCPVS (service "bench" on
# the VIP's port 80); at the end the guest's dmesg is searched for
# kernel complaints. Prints a table, KTCPVS / HAProxy per row against
# the target of 1.5 on 1 KB objects, and the connections the real
# servers accepted per request (whether a switch reuses them).
#
# A benchmark, not a test: it asserts nothing about the numbers, but it
# fails (exit 1, lines marked !!!) when a run had errors (failed or
# non-2xx requests, socket errors, a missing result) or the kernel
# complained, and says so when another guest ran meanwhile. Defaults:
# 10 s a measurement, 32 connections, rr, 2 KTCPVS threads (the guest
# has 2 vCPUs); about 4 minutes in all under TCG. Under TCG the absolute
# numbers mean little; the ratio is the point (Documentation/performance.md).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
duration=10 conns=32 sched=rr startservers=2 kernel=release
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=${2:?} ;;
	--duration) duration=${2:?} ;;
	--connections) conns=${2:?} ;;
	--sched) sched=${2:?} ;;
	--startservers) startservers=${2:?} ;;
	*) sed -n '2,/^set/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2 ;;
	esac
	shift 2
done
case $kernel in release|test) ;; *) echo "bench-ktcpvs: --kernel is release or test" >&2; exit 2 ;; esac
export LVS_KERNEL=$kernel
out=$(mktemp) foreign=$(mktemp) sampler=
trap '[ -z "$sampler" ] || kill $sampler 2>/dev/null || true; rm -f "$out" "$foreign"' EXIT
# Other guests share the host's cores, and the numbers would be theirs
# too: every 10 s, the qemu-system processes that are not ours.
others() {
	local p q
	for p in $(pgrep -f qemu-system); do
		q=$p
		while [ -n "$q" ] && [ "$q" -gt 1 ] && [ "$q" != $$ ]; do q=$(ps -o ppid= -p "$q" | tr -d ' '); done
		[ "$q" = $$ ] || echo "$p"
	done
}
[ -z "$(others)" ] || echo "bench-ktcpvs: note: other guests are running: the numbers will be off" >&2
while sleep 10; do others; done >> "$foreign" 2>/dev/null &
sampler=$!
status=0
# Which modules: the commit, and whether rust/ differs from it.
echo "bench-ktcpvs: $(date -u '+%F %H:%M UTC'), commit $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')$(
	[ -z "$(git -C "$repo" status --porcelain rust 2>/dev/null)" ] || echo ', rust/ with uncommitted changes')"
"$repo/scripts/qemu-test.sh" run --ipvs c -- env LVS_IPVS=rust \
	bash "$repo/tests/tools/bench_ktcpvs.sh" "$duration" "$conns" "$sched" "$startservers" |
	tee "$out" || status=$?
kill $sampler 2>/dev/null || true
foreign_pids=$(sort -un "$foreign" | tr '\n' ' ')

awk -v status="$status" -v duration="$duration" -v conns="$conns" -v foreign="$foreign_pids" '
	$1 == "result" { rate[$2, $3, $4] = $5; per[$2, $3, $4] = $7; if ($6 != 0) bad++ }
	$1 == "dmesg" { kernel++ }
	/^!!! lvs_ktcpvs could not be unloaded/ { stuck = 1 }
	function ratio(a, b) { return (a > 0 && b > 0) ? sprintf("%.2f", a / b) : "-" }
	function num(v) { return v == "" ? "-" : sprintf("%.0f", v) }
	END {
		printf "\n%s s a measurement, %s connections; rates per second\n", duration, conns
		printf "%-28s %10s %10s %10s %16s\n", "", "direct rs1", "HAProxy", "KTCPVS", "KTCPVS/HAProxy"
		split("1k 100k", obj, " "); split("1 KB 100 KB", size, " ")
		split("req conn", kind, " "); split("requests/s connections/s", what, " ")
		for (o = 1; o <= 2; o++) for (k = 1; k <= 2; k++) {
			h = rate["haproxy", kind[k], obj[o]]; t = rate["ktcpvs", kind[k], obj[o]]
			printf "%-28s %10s %10s %10s %16s\n", size[2 * o - 1] " " size[2 * o] ", " what[k],
				num(rate["direct", kind[k], obj[o]]), num(h), num(t), ratio(t, h)
			if (o == 1) target = target sprintf(" %s %s (%s);", what[k], ratio(t, h),
				ratio(t, h) == "-" ? "no result" : t >= 1.5 * h ? "met" : "not met")
		}
		printf "target KTCPVS >= 1.5 x HAProxy on 1 KB:%s\n", target
		printf "\nconnections the real servers accepted, per request\n"
		printf "%-28s %10s %10s %10s\n", "", "direct rs1", "HAProxy", "KTCPVS"
		for (o = 1; o <= 2; o++) for (k = 1; k <= 2; k++)
			printf "%-28s %10s %10s %10s\n", size[2 * o - 1] " " size[2 * o] ", " what[k],
				per["direct", kind[k], obj[o]], per["haproxy", kind[k], obj[o]], per["ktcpvs", kind[k], obj[o]]
		n = 0
		for (s = 1; s <= 3; s++) for (o = 1; o <= 2; o++) for (k = 1; k <= 2; k++) {
			sw = s == 1 ? "direct" : s == 2 ? "haproxy" : "ktcpvs"
			if (rate[sw, kind[k], obj[o]] == "") n++
		}
		if (foreign != "") printf "note: other guests ran meanwhile (qemu-system %s): the numbers are not reliable\n", foreign
		if (status != 0) printf "!!! the guest run failed (exit %s): see above\n", status
		if (n) printf "!!! %d of 12 measurements did not run\n", n
		if (bad) printf "!!! %d measurements had errors (failed or non-2xx requests, socket errors): see the !!! lines above\n", bad
		if (kernel) printf "!!! the kernel complained during or after the KTCPVS runs: see the dmesg lines above\n"
		if (stuck) printf "!!! lvs_ktcpvs could not be unloaded after the runs\n"
		exit (status != 0 || n || bad || kernel || stuck) ? 1 : 0
	}' "$out"
