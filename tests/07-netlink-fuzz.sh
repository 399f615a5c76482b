#!/usr/bin/env bash
# Hostile netlink input: tests/tools/nl_fuzz.py sends 100,000 random and
# mutated "IPVS" generic-netlink messages (NL_FUZZ_COUNT; NL_FUZZ_SEED
# repeats a run) from two processes in a namespace of their own, with a
# reader of the table beside them. The kernel must not complain (the
# fuzzer reads the kernel log after every send; scripts/guest.sh checks
# dmesg too), every reply must be well formed, the same configuration in
# another namespace must list byte for byte as before, the fuzzed
# namespace must take a fresh configuration and list it as that one, and
# the modules must unload afterwards (lib.sh's cleanup; kmemleak after
# the run).
#
# Against C IPVS it passes too, which validates the fuzzer: about 75 s
# there, 100 s on ours (the debug checks cost), with the machine to
# itself.
. "$(dirname "$0")/lib.sh"

ipvsadm=/usr/sbin/ipvsadm
[ -x "$ipvsadm" ] || skip "Debian's ipvsadm is not installed"
scheds=(rr wrr lc sh)
for s in "${scheds[@]}"; do use_sched "$s"; done
tmp=$(mktemp -d)
# Errors of the table (weights below zero...) are logged at KERN_ERR:
# thousands of them would crawl over the emulated serial console. Each
# change of our table waits for an RCU grace period, some 200 ms under
# TCG: expedited grace periods make the thousand-odd changes affordable
# (the same guarantees, other timing). An unknown scheduler name makes
# IPVS run modprobe, half a second each time: while the fuzzer runs,
# there is no modprobe (request_module fails at once), and no module
# the fuzzer names loads (C IPVS would load the SIP persistence engine).
read -r console_level _ < /proc/sys/kernel/printk
expedited=$(cat /sys/kernel/rcu_expedited)
modprobe_path=$(cat /proc/sys/kernel/modprobe)
dmesg -n 1
echo 1 > /sys/kernel/rcu_expedited
ON_EXIT="dmesg -n $console_level; echo $expedited > /sys/kernel/rcu_expedited"
ON_EXIT+="; echo $modprobe_path > /proc/sys/kernel/modprobe; rm -rf $tmp"

REF=$(netns_add ref)
FUZZ=$(netns_add fuzz)

# config NS: the reference configuration, with Debian's ipvsadm (one
# process for all: each costs under TCG).
config() {
	on "$1" "$ipvsadm" -R <<-EOF || fail "ipvsadm -R in $1"
		-A -t 10.0.0.1:80 -s rr
		-a -t 10.0.0.1:80 -r 10.1.0.1:80 -m -w 3
		-a -t 10.0.0.1:80 -r 10.1.0.2:8080 -g -w 0
		-a -t 10.0.0.1:80 -r 10.1.0.3 -i -x 100 -y 10
		-a -t 10.0.0.1:80 -r 10.1.0.4 -i --tun-type gue --tun-port 6080
		-A -u 10.0.0.2:53 -s wrr -p 120 -M 255.255.255.0
		-a -u 10.0.0.2:53 -r 10.1.1.1:53 -m -w 5
		-A -t [2001:db8::1]:443 -s lc -p 300 -M 64
		-a -t [2001:db8::1]:443 -r [2001:db8::10]:443 -m
		-a -t [2001:db8::1]:443 -r 10.1.2.2 -i
		-A -f 7 -s sh -b sh-port
		-a -f 7 -r 10.1.3.1 -g -w 2
		-A --sctp-service 10.0.0.4:9 -s rr
	EOF
	on "$1" "$ipvsadm" --set 100 20 30
}
# snapshot NS: everything the namespace's table shows. C IPVS lists
# services in the order of a hash that differs between namespaces:
# /proc/net/ip_vs's services (each with its real servers, whose order
# is the same) are sorted.
snapshot() {
	on "$1" "$ipvsadm" -Ln --thresholds
	on "$1" "$ipvsadm" -Ln --tun-info
	on "$1" "$ipvsadm" -L --timeout
	on "$1" "$ipvsadm" -Sn
	on "$1" cat /proc/net/ip_vs | awk 'NR <= 3 { print; next }
		/^  ->/ { svc = svc "|" $0; next }
		{ if (svc != "") print svc | "sort"; svc = $0 }
		END { if (svc != "") print svc | "sort"; fflush(); close("sort") }'
}

config "$REF"
snapshot "$REF" > "$tmp/ref.before"
grep -q "10.1.0.4:80 .*gue:6080" "$tmp/ref.before" || fail "the reference configuration does not list as expected"

# A reader of the fuzzed table while it changes: /proc/net/ip_vs, and a
# netlink dump now and then (few: each costs a process under TCG).
reader() {
	local n=0
	while :; do
		on "$FUZZ" cat /proc/net/ip_vs > /dev/null 2>&1
		[ $((n++ % 5)) -ne 0 ] || on "$FUZZ" "$ipvsadm" -Ln > /dev/null 2>&1
		sleep 1
	done
}
reader &
readers=$!
ON_EXIT="kill $readers 2>/dev/null; $ON_EXIT"

start=$(date +%s)
rc=0
echo > /proc/sys/kernel/modprobe
on "$FUZZ" timeout -k 10 900 python3 "$TESTS/tools/nl_fuzz.py" --scheds "$(IFS=,; echo "${scheds[*]}")" \
	--out "$tmp" || rc=$?
kill $readers 2>/dev/null || true
wait 2>/dev/null || true
echo "$modprobe_path" > /proc/sys/kernel/modprobe
echo "fuzzing took $(( $(date +%s) - start )) s"
[ $rc -ne 124 ] || fail "the fuzzer did not finish in 15 minutes (a hang?)"
[ $rc -eq 0 ] || fail "the fuzzer failed (exit $rc): see above"

snapshot "$REF" > "$tmp/ref.after"
diff -u "$tmp/ref.before" "$tmp/ref.after" >&2 || fail "the reference namespace changed"

# The fuzzed namespace still works: emptied and configured anew, it lists
# as the reference.
on "$FUZZ" "$ipvsadm" -C
assert_eq "services after a flush of the fuzzed namespace" "" "$(on "$FUZZ" "$ipvsadm" -Sn)"
config "$FUZZ"
snapshot "$FUZZ" > "$tmp/fuzz.after"
diff -u "$tmp/ref.after" "$tmp/fuzz.after" >&2 || fail "the fuzzed namespace lists the configuration differently"

# A scheduler the fuzzer made IPVS load (any known name is fair game)
# must unload with the others: cleanup unloads it first.
for m in $(lsmod | awk -v p="$(ipvs_sched "")" 'index($1, p) == 1 {print $1}'); do
	[[ " ${LOADED[*]} " == *" $m "* ]] || { echo "note: the fuzzing loaded $m"; LOADED=("$m" "${LOADED[@]}"); }
done
