# SPDX-License-Identifier: GPL-2.0
# LVS in Rust: one entry point for setup, build and tests.
#
#   make            install what is missing, build what is stale
#   make check      ... then unit tests and the VM tests
#   make demo       boot a guest and show the director at work
#
# The kernel is built once into a cache outside the repo
# (scripts/build-kernel.sh); set KDIR to build against another tree.

SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH):/sbin:/usr/sbin

KDIR ?= $(shell LVS_KERNEL=test scripts/build-kernel.sh --kdir)
# Kernel builds use Debian's rustc-web (it has rust-src) before rustup's.
KMAKE = PATH=/usr/bin:$(PATH) $(MAKE) -C $(KDIR) M=$(CURDIR) LLVM=1
# The release kernel (no checkers, as operators run it) and our modules
# built against it, in a copy of their sources: kbuild puts objects
# beside the sources, and the tree's own are the test kernel's.
RELEASE_KDIR = $(shell LVS_KERNEL=release scripts/build-kernel.sh --kdir)
RELEASE_TREE = $(CURDIR)/build/release

.PHONY: all setup kernel modules release-modules tools unit vmtest check demo clean

all: setup kernel modules tools

setup:
	@scripts/setup.sh

kernel: setup
	@LVS_KERNEL=test scripts/build-kernel.sh >/dev/null

# Objects built against one kernel tree are no good for another, and
# kbuild cannot tell (the commands and header paths read the same): a
# change of tree cleans first.
modules: kernel
	@if [ -f .kdir ] && [ "$$(cat .kdir)" != "$(KDIR)" ]; then $(KMAKE) clean >/dev/null; fi
	@echo "$(KDIR)" > .kdir
	+$(KMAKE) modules
	@scripts/check-frames.sh rust

release-modules: setup
	@LVS_KERNEL=release scripts/build-kernel.sh >/dev/null
	@mkdir -p $(RELEASE_TREE)
	@rsync -a --delete --exclude-from=.gitignore Kbuild rust $(RELEASE_TREE)/
	+PATH=/usr/bin:$(PATH) $(MAKE) -C $(RELEASE_KDIR) M=$(RELEASE_TREE) LLVM=1 modules
	@scripts/check-frames.sh $(RELEASE_TREE)/rust

# The userspace tools (ipvsadm), with the normal rustup toolchain.
tools: setup
	cargo build --release --manifest-path tools/Cargo.toml

unit:
	cargo test --quiet --manifest-path rust/logic/Cargo.toml
	cargo test --quiet --manifest-path tools/Cargo.toml

# Every scenario against our modules and against C IPVS (scripts/vmtest.sh
# says which kernel runs which).
vmtest: all release-modules
	scripts/vmtest.sh

check: all unit vmtest

demo: all
	scripts/demo.sh

clean:
	-+$(KMAKE) clean
	rm -rf .kdir build
	cargo clean --manifest-path rust/logic/Cargo.toml
	cargo clean --manifest-path tools/Cargo.toml
