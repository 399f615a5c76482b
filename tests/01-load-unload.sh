#!/usr/bin/env bash
# The core and a scheduler module load and unload cleanly 20 times in a
# row; the scheduler registers with the core, which cannot be unloaded
# while the scheduler module is loaded.
. "$(dirname "$0")/lib.sh"

core=$(ipvs_core)
rr=$(ipvs_sched rr)
is_loaded "$core" && fail "$core already loaded"

for round in $(seq 20); do
	modprobe "$rr"  # pulls the core in: it links to the core's symbols
	is_loaded "$core" || fail "round $round: $rr did not bring $core"
	if rmmod "$core" 2>/dev/null; then
		fail "round $round: $core unloaded under $rr"
	fi
	rmmod "$rr"
	rmmod "$core"
	is_loaded "$core" && fail "round $round: $core still loaded"
done

assert_eq "registrations" 20 "$(dmesg | grep -c '\[rr\] scheduler registered')"
assert_eq "unregistrations" 20 "$(dmesg | grep -c '\[rr\] scheduler unregistered')"
