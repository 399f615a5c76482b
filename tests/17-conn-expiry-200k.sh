#!/usr/bin/env bash
# 200,000 idle connections expire on time with bounded CPU (thesis
# §5.2.2: one slow timer, no timer per connection): 200,000 UDP
# datagrams from as many client ports open as many connections, all of
# them listed at once; after the UDP timeout they all go, within a few
# seconds of it, and the kernel spends a small share of a CPU on it.
. "$(dirname "$0")/lib.sh"
# C IPVS gives each connection a kernel timer instead, which may fire up
# to 1/8 of the timeout late: a run of it here only cost the other guest
# ten minutes of CPU.
only_rust "the slow timer's bounded expiry is our design"

COUNT=200000
# Ample for the sending under TCG + KASAN (about 90 s from two senders,
# up to twice that while another guest runs beside this one): all of the
# connections must be there at once.
TIMEOUT=240

cluster
data=$(mktemp -d)
ON_EXIT="rm -rf $data"
# A larger table than the default 4,096 buckets, for both IPVS.
modprobe "$(ipvs_core)" conn_tab_bits=16
use_sched rr
on "$DIRECTOR" ipvsadm --set 0 0 "$TIMEOUT"
on "$DIRECTOR" ipvsadm -A -u "$VIP:9" -s rr
for i in 1 2 3; do on "$DIRECTOR" ipvsadm -a -u "$VIP:9" -r "10.0.$i.2" -g; done

# inactive: the connections the real servers count.
inactive() { on "$DIRECTOR" ipvsadm -Ln | awk '$1 == "->" {n += $6} END {print n + 0}'; }
# busy: jiffies the guest's CPUs spent in the kernel and softirqs, and
# all jiffies.
busy() { awk '$1 == "cpu" {print $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8}' /proc/stat; }

# Two senders, one per CPU, each from two client addresses.
t0=$(date +%s)
flood() { on "$CLIENT" python3 "$TESTS/tools/udp_flood.py" $((COUNT / 2)) "$VIP" 9 "$@"; }
flood 10.0.0.10 10.0.0.11 > "$data/took1" &
flood 10.0.0.12 10.0.0.13 > "$data/took2"
wait $!
took=$(( $(date +%s) - t0 ))
echo "sent $COUNT datagrams in $took s ($(cat "$data/took1") s and $(cat "$data/took2") s)"
assert_eq "connections after the flood" $COUNT "$(inactive)"

# Until the timeout of the last connection, plus 10 s.
read -r busy0 all0 < <(busy)
start=$(date +%s)
deadline=$((t0 + took + TIMEOUT + 10))
left=$COUNT
while [ "$left" -gt 0 ] && [ "$(date +%s)" -le "$deadline" ]; do
	sleep 5
	left=$(inactive)
done
read -r busy1 all1 < <(busy)
assert_eq "connections left after the timeout" 0 "$left"
used=$(( (busy1 - busy0) * 100 * $(nproc) / (all1 - all0) ))
echo "expiry over $(( $(date +%s) - start )) s used $used% of one CPU in the kernel (TCG, KASAN)"
# Idle expiry is cheap: even under emulation it must leave the CPU free.
[ "$used" -lt 50 ] || fail "expiry used $used% of a CPU"
