#!/usr/bin/env bash
# Build, or reuse, the Rust-enabled test kernel in a cache outside the repo.
#
# The cache directory is keyed by the Debian linux-source version and the
# hash of scripts/kernel.config, so CI on the same machine reuses a kernel
# built by an earlier run and a config change builds a fresh one.
#
# LVS_KERNEL=release gives the same kernel without the fragment's last
# block (KASAN, lockdep, kmemleak and the other checkers), as operators
# run it: for benchmarks. It has its own cache directory.
#
#   scripts/build-kernel.sh          build if needed, print the kernel dir
#   scripts/build-kernel.sh --kdir   print the kernel dir only
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${KCACHE:-$HOME/.cache/lvs-rust}
tarball=${KSRC_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
# Debian's rustc-web (it ships rust-src) must win over the rustup toolchain.
export PATH=/usr/bin:$HOME/.cargo/bin:$PATH

fragment=$(mktemp)
trap 'rm -f "$fragment"' EXIT
case ${LVS_KERNEL:-test} in
test) cp "$here/kernel.config" "$fragment"; flavour= ;;
release)
	# tinyconfig's SLUB_TINY (no per-CPU caches) goes too.
	{ sed '/^## What a kernel developer tests with/,$d' "$here/kernel.config"
	  echo '# CONFIG_SLUB_TINY is not set'; } > "$fragment"
	flavour=release- ;;
*) echo "build-kernel: LVS_KERNEL is test or release" >&2; exit 2 ;;
esac

srcver=$(dpkg-query -W -f '${Version}' linux-source-6.12 2>/dev/null || echo unknown)
# Bump the suffix when this script's way of configuring changes.
key=$(cat "$fragment" <(echo "tinyconfig+merge v1") | sha256sum | cut -c1-12)
kdir=$cache/linux-$flavour$srcver-$key

if [ "${1:-}" = --kdir ]; then
	echo "$kdir"
	exit 0
fi

if [ -f "$kdir/.lvs-built" ]; then
	echo "$kdir"
	exit 0
fi

log() { echo "build-kernel: $*" >&2; }

if [ ! -f "$kdir/Makefile" ]; then
	log "unpacking $tarball into $kdir"
	rm -rf "$kdir.tmp"
	mkdir -p "$kdir.tmp"
	tar xf "$tarball" -C "$kdir.tmp" --strip-components=1
	mv "$kdir.tmp" "$kdir"
fi

cd "$kdir"
kmake() { make LLVM=1 -j"$(nproc)" "$@" >&2; }

kmake rustavailable
kmake tinyconfig
scripts/kconfig/merge_config.sh -m .config "$fragment" >&2
kmake olddefconfig

# Every line of the fragment must have survived olddefconfig: a silently
# dropped option (unmet dependency) would give a kernel that cannot run
# the tests, found out only much later.
missing=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qxF "$line" .config || { log "not applied: $line"; missing=1; } ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }; opt=${opt%% *}
		if grep -q "^$opt=" .config; then log "not applied: $line"; missing=1; fi ;;
	esac
done < "$fragment"
[ "$missing" = 0 ] || { log "config fragment not applied, see above"; exit 1; }

start=$(date +%s)
log "building $(make -s kernelversion) in $kdir (this takes a while once)"
kmake
kmake modules
log "kernel built in $(( $(date +%s) - start )) s"
touch .lvs-built
# Trees of older keys of the same flavour are dead weight (2 GB or more
# each).
for old in "$cache"/linux-"$flavour"[0-9]*; do
	[ "$old" = "$kdir" ] || rm -rf "$old"
done
echo "$kdir"
