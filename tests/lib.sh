# Shared helpers for the guest scenario tests; source it first.
#
# A test is a bash script that exits 0 to pass, 77 to skip (last line of
# output says why), anything else to fail. LVS_IPVS says which IPVS the
# run exercises: "rust" (ours) or "c" (the kernel's own).
set -euo pipefail

: "${LVS_IPVS:=rust}"
: "${LVS_REPO:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
TESTS=$LVS_REPO/tests

# Module names of the core and of a scheduler, for the IPVS under test.
ipvs_core() { [ "$LVS_IPVS" = c ] && echo ip_vs || echo lvs_ipvs; }
ipvs_sched() { [ "$LVS_IPVS" = c ] && echo "ip_vs_$1" || echo "lvs_ipvs_$1"; }

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "$*"; exit 77; }
only_rust() { [ "$LVS_IPVS" = rust ] || skip "ours only: $*"; }

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

# is_loaded MODULE
is_loaded() { [ -d "/sys/module/$1" ]; }

# Network namespaces made by this test, removed when it exits.
NETNS=()
netns_add() {
	local ns=lvs-$$-$1
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	NETNS+=("$ns")
	echo "$ns"
}

# veth_link NS_A ADDR_A NS_B ADDR_B [ADDR6_A ADDR6_B]: a cable between two
# namespaces, with IPv4 (and IPv6) addresses in /24 (/64) prefixes.
veth_link() {
	local a=$1 addr_a=$2 b=$3 addr_b=$4 ia=v$RANDOM ib=v$RANDOM
	ip link add "$ia" netns "$a" type veth peer name "$ib" netns "$b"
	ip -n "$a" addr add "$addr_a/24" dev "$ia"
	ip -n "$b" addr add "$addr_b/24" dev "$ib"
	if [ $# -ge 6 ]; then
		ip -n "$a" addr add "$5/64" dev "$ia" nodad
		ip -n "$b" addr add "$6/64" dev "$ib" nodad
	fi
	ip -n "$a" link set "$ia" up
	ip -n "$b" link set "$ib" up
}

cleanup() {
	local ns
	for ns in "${NETNS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
	[ -n "${ON_EXIT:-}" ] && eval "$ON_EXIT" || true
}
trap cleanup EXIT
