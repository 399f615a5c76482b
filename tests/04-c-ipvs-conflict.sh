#!/usr/bin/env bash
# Ours and C IPVS are alternatives: loading one while the other is loaded
# fails, ours with a message that says why.
. "$(dirname "$0")/lib.sh"
only_rust "it loads both anyway"

modprobe ip_vs
ON_EXIT="rmmod ip_vs lvs_ipvs 2>/dev/null"
if modprobe lvs_ipvs 2>/dev/null; then fail "lvs_ipvs loaded beside ip_vs"; fi
dmesg | grep -q "C IPVS (ip_vs) is loaded; unload it first" || fail "no message saying why"
rmmod ip_vs

modprobe lvs_ipvs
# ip_vs's init fails on the taken family, though modprobe may exit 0.
modprobe ip_vs 2>/dev/null || true
is_loaded ip_vs && fail "ip_vs loaded beside lvs_ipvs"
dmesg | grep -q "IPVS: cannot register Generic Netlink interface" || fail "ip_vs did not say why"
rmmod lvs_ipvs
