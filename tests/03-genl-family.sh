#!/usr/bin/env bash
# The "IPVS" generic-netlink family resolves and answers GET_INFO as C
# IPVS does, in every namespace, sized by conn_tab_bits, for
# CAP_NET_ADMIN only.
. "$(dirname "$0")/lib.sh"

core=$(ipvs_core)
info() { python3 "$TESTS/tools/ipvs_info.py"; }

modprobe "$core"
ON_EXIT="rmmod $core"
genl ctrl get name IPVS | grep -q "Name: IPVS" || fail "genl does not resolve IPVS"
assert_eq "GET_INFO" "version=1.2.1 size=4096" "$(info)"
ns=$(netns_add other)
assert_eq "GET_INFO in another namespace" "version=1.2.1 size=4096" "$(ip netns exec "$ns" python3 "$TESTS/tools/ipvs_info.py")"
assert_eq "GET_INFO without CAP_NET_ADMIN" "error=EPERM" \
	"$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all python3 "$TESTS/tools/ipvs_info.py" || true)"

rmmod "$core"
modprobe "$core" conn_tab_bits=10
assert_eq "GET_INFO, conn_tab_bits=10" "version=1.2.1 size=1024" "$(info)"
rmmod "$core"
modprobe "$core" conn_tab_bits=30
assert_eq "GET_INFO, conn_tab_bits=30" "version=1.2.1 size=4096" "$(info)"
dmesg | grep -q "conn_tab_bits not in \[8, [0-9]*\]. Using default value" || fail "no message for conn_tab_bits=30"
