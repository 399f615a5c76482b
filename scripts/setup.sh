#!/usr/bin/env bash
# Install what the build and the tests need, only what is missing:
# Debian packages, bindgen-cli and virtiofsd from crates.io, virtme-ng
# from PyPI.
set -euo pipefail

debs=(
	linux-source-6.12 rustc-web rust-web-src		# kernel + its Rust (1.96, with core source)
	clang lld llvm libclang-dev flex bison bc libelf-dev libssl-dev dwarves cpio kmod
	qemu-system-x86 udev					# the guest (vng needs udevd for its I/O ports)
	libseccomp-dev libcap-ng-dev				# to build virtiofsd
	iproute2 iputils-ping ipvsadm socat nftables python3 curl	# scenario tools, C IPVS's ipvsadm
	nginx haproxy wrk apache2-utils rsync			# bench-ktcpvs.sh: backends, HAProxy to compare, load generators, its tree copy
)
bindgen_version=0.73.2
virtiofsd_version=1.14.0
vng_version=1.42

missing=()
for p in "${debs[@]}"; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing Debian packages: ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

export PATH=$HOME/.cargo/bin:$PATH
# (Versions are read whole: `grep -q` on a pipe would break it, and
# pipefail would take that for a missing tool.)
if [ "$(bindgen --version 2>/dev/null)" != "bindgen $bindgen_version" ]; then
	echo "setup: installing bindgen-cli $bindgen_version"
	cargo install bindgen-cli --locked --version "$bindgen_version" --quiet
fi

# vng shares the host's root with the guest through virtiofsd when it
# finds the Rust one (bookworm's qemu has only the C daemon, which vng
# skips), else through 9p without a page cache, where every exec
# re-reads its binary and libraries: programs start twice as fast.
if [ "$(virtiofsd --version 2>/dev/null)" != "virtiofsd $virtiofsd_version" ]; then
	echo "setup: installing virtiofsd $virtiofsd_version"
	cargo install virtiofsd --locked --version "$virtiofsd_version" --quiet
fi

if [ "$(python3 -m pip show virtme-ng 2>/dev/null | sed -n 's/^Version: //p')" != "$vng_version" ]; then
	echo "setup: installing virtme-ng $vng_version"
	python3 -m pip install --quiet --root-user-action=ignore "virtme-ng==$vng_version"
fi
