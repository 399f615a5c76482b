#!/usr/bin/env bash
# The "IPVS" generic-netlink family resolves and answers GET_INFO as C
# IPVS does, in every namespace, for CAP_NET_ADMIN only; the table size
# follows conn_tab_bits, clamped as upstream clamps it.
. "$(dirname "$0")/lib.sh"

core=$(ipvs_core)
info() { python3 "$TESTS/tools/ipvs_info.py"; }

modprobe "$core"
ON_EXIT="rmmod $core"
genl ctrl get name IPVS | grep -q "Name: IPVS" || fail "genl does not resolve IPVS"
assert_eq "GET_INFO" "version=1.2.1 size=4096" "$(info)"
ns=$(netns_add other)
assert_eq "GET_INFO in another namespace" "version=1.2.1 size=4096" "$(ip netns exec "$ns" python3 "$TESTS/tools/ipvs_info.py")"
# As nobody, from a copy nobody can read even when only root reads the checkout.
public=$(mktemp -d)
ON_EXIT="rm -rf $public; rmmod $core"
install -m 644 "$TESTS/tools/ipvs_info.py" "$public/"
chmod 755 "$public"
assert_eq "GET_INFO without CAP_NET_ADMIN" "error=EPERM" \
	"$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all python3 "$public/ipvs_info.py" || true)"

rmmod "$core"
modprobe "$core" conn_tab_bits=10
assert_eq "GET_INFO, conn_tab_bits=10" "version=1.2.1 size=1024" "$(info)"
rmmod "$core"
modprobe "$core" conn_tab_bits=3
assert_eq "GET_INFO, conn_tab_bits=3" "version=1.2.1 size=256" "$(info)"

# Upstream's ceiling: half the RAM at about four entries per bucket, so it
# depends on the entry size: 288 bytes in C IPVS (order 9), 128 in ours.
entry_order=$([ "$LVS_IPVS" = c ] && echo 9 || echo 7)
ram_kib=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
ram_order=$(python3 -c "print((($ram_kib * 1024) - 1).bit_length())")
max_bits=$(( ram_order - 3 - entry_order ))
[ $max_bits -gt 27 ] && max_bits=27
rmmod "$core"
modprobe "$core" conn_tab_bits=30
assert_eq "GET_INFO, conn_tab_bits=30" "version=1.2.1 size=$((1 << max_bits))" "$(info)"
