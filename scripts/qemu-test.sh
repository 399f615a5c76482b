#!/usr/bin/env bash
# Boot the test kernel under virtme-ng and run things inside it.
#
#   scripts/qemu-test.sh [--ipvs rust|c] [TEST...]
#       run the scenario tests (tests/*.sh, or the ones named) in the
#       guest; PASS/FAIL per test, then "N passed, N failed"
#   scripts/qemu-test.sh [--ipvs rust|c] --queue DIR
#       run the tests listed in DIR/order that no other guest sharing
#       DIR has taken (see guest.sh)
#   scripts/qemu-test.sh run [--ipvs rust|c] -- CMD...
#       run CMD in the guest, our modules (or C IPVS) loadable by
#       modprobe, the host's file system visible; exit with CMD's status
#
# The guest boots the test kernel (KASAN, lockdep, kmemleak), or with
# LVS_KERNEL=release the release kernel (no checkers, as operators run
# it) and our modules built against it (make release-modules). It has
# LVS_GUEST_CPUS vCPUs (2 unless set). It runs under TCG
# (--disable-kvm): with KVM it hangs at boot on these machines. vng's own exit status is meaningless (255 even on
# success), so the guest writes its status to a shared directory.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
mode=test
[ "${1:-}" = run ] && { mode=run; shift; }
ipvs=rust
if [ "${1:-}" = --ipvs ]; then
	ipvs=${2:?--ipvs needs rust or c}
	shift 2
fi
case "$ipvs" in rust|c) ;; *) echo "qemu-test: --ipvs takes rust or c" >&2; exit 2 ;; esac
rwdirs=()
if [ "$mode" = test ] && [ "${1:-}" = --queue ]; then
	[ -d "${2:-}/taken" ] || { echo "qemu-test: --queue needs a directory with taken/ in it" >&2; exit 2; }
	rwdirs=(--rwdir "$2")
fi
if [ "$mode" = run ]; then
	[ "${1:-}" = -- ] && shift
	[ $# -gt 0 ] || { echo "qemu-test: run needs a command" >&2; exit 2; }
fi

export PATH=$HOME/.cargo/bin:$PATH:/sbin:/usr/sbin
make -s -C "$repo" --no-print-directory all
case ${LVS_KERNEL:=test} in
test) modules=$repo/rust ;;
release)
	make -s -C "$repo" --no-print-directory release-modules
	modules=$repo/build/release/rust ;;
*) echo "qemu-test: LVS_KERNEL is test or release" >&2; exit 2 ;;
esac
kdir=${KDIR:-$("$repo/scripts/build-kernel.sh" --kdir)}

shared=$(mktemp -d /tmp/lvs-vm.XXXXXX)
# LVS_RESULTS_TO=DIR keeps what the tests left in the guest's results.
trap '[ -z "${LVS_RESULTS_TO:-}" ] || [ ! -d "$shared/results" ] || cp -r "$shared/results/." "$LVS_RESULTS_TO"; rm -rf "$shared"' EXIT
# The command line travels as a file: no quoting through vng and qemu.
: > "$shared/argv"
[ $# -eq 0 ] || printf '%s\0' "$@" > "$shared/argv"

# The debug kernel checks our modules (lockdep, KASAN, kmemleak). C
# IPVS runs only to show what upstream does; its runs skip kmemleak and
# lockdep's dependency checking, which cost the most time under TCG
# (the release kernel has neither).
append="panic_on_oops=0 loglevel=4"
[ "$ipvs" = c ] && [ "$LVS_KERNEL" = test ] && append+=" kmemleak=off lockdep.prove_locking=0"

# Through a pipe: qemu reopens a regular-file stdout/stderr (O_TRUNC),
# which would wipe whatever the caller had logged before.
vng --run "$kdir" --disable-kvm --cpus "${LVS_GUEST_CPUS:-2}" --memory 3G --rwdir "$shared" "${rwdirs[@]}" \
	--append "$append" \
	--exec "bash $repo/scripts/guest.sh $mode $ipvs $shared $modules" </dev/null 2>&1 | cat || true

if [ ! -f "$shared/status" ]; then
	echo "qemu-test: the guest did not finish (no status): see the output above" >&2
	exit 1
fi
exit "$(cat "$shared/status")"
