#!/usr/bin/env bash
# Ours and C IPVS are alternatives: loading one while the other is loaded
# fails, with the module loader's message naming the other, before the
# new module's init runs (both export ip_vs_proto_name).
. "$(dirname "$0")/lib.sh"
only_rust "it loads both anyway"

modprobe ip_vs
ON_EXIT="rmmod ip_vs lvs_ipvs 2>/dev/null"
if modprobe lvs_ipvs 2>/dev/null; then fail "lvs_ipvs loaded beside ip_vs"; fi
dmesg | grep -q "lvs_ipvs: exports duplicate symbol ip_vs_proto_name (owned by ip_vs)" || fail "no message saying why"
rmmod ip_vs

modprobe lvs_ipvs
# The loader refuses ip_vs before its init can touch anything.
if modprobe ip_vs 2>/dev/null; then fail "ip_vs loaded beside lvs_ipvs"; fi
is_loaded ip_vs && fail "ip_vs is there beside lvs_ipvs"
dmesg | grep -q "ip_vs: exports duplicate symbol ip_vs_proto_name (owned by lvs_ipvs)" || fail "the loader did not say why"
rmmod lvs_ipvs
