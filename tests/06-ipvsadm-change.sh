#!/usr/bin/env bash
# Our ipvsadm changes the table as Debian's ipvsadm 1.31 does: every
# script of tests/corpus/ipvsadm-change.txt (adding, editing and deleting
# services and real servers of every kind, flush, zero, timeouts, tunnel
# types, and the errors: duplicates, missing objects, bad addresses,
# ports, weights, thresholds, timeouts, conflicting options) runs once
# with each, in a fresh network namespace of its own; every command must
# print the same stdout and stderr and exit with the same status, and
# the table must end up the same (listed by Debian's ipvsadm and by
# ours). Run against our module and against C IPVS, this covers the four
# ways: either ipvsadm on either IPVS.
. "$(dirname "$0")/lib.sh"

theirs=/usr/sbin/ipvsadm
ours=$LVS_REPO/tools/target/release/ipvsadm
corpus=$TESTS/corpus/ipvsadm-change.txt
[ -x "$theirs" ] || skip "Debian's ipvsadm is not installed"
[ -x "$ours" ] || fail "$ours is not built (make tools)"

tmp=$(mktemp -d)
ON_EXIT="rm -rf $tmp"
# Both run as "ipvsadm", for the messages that name it.
mkdir "$tmp/theirs" "$tmp/ours"
ln -s "$theirs" "$tmp/theirs/ipvsadm"
install -m 755 "$ours" "$tmp/ours/ipvsadm"
for s in rr wrr lc wlc sh mh; do use_sched $s; done

# run WHO NS SCRIPT: each command of SCRIPT (a file) with WHO's ipvsadm
# in NS: the command, its stdout, stderr and status; then the table as
# Debian's and our ipvsadm list it.
run() {
	local who=$1 ns=$2 line rc
	while IFS= read -r line; do
		echo "\$ ipvsadm $line"
		rc=0
		# shellcheck disable=SC2086 # the words of $line are the arguments
		ip netns exec "$ns" env PATH="$tmp/$who:$PATH" ipvsadm $line < /dev/null 2> "$tmp/err" || rc=$?
		sed 's/^/stderr: /' "$tmp/err"
		echo "exit $rc"
	done < "$3"
	echo "--- Debian's -Ln"
	ip netns exec "$ns" "$theirs" -Ln 2>&1
	echo "--- our -Ln"
	ip netns exec "$ns" "$tmp/ours/ipvsadm" -Ln 2>&1
}

# The scripts, one file each.
awk -v dir="$tmp" '
	/^## / {n++; file = sprintf("%s/script%03d", dir, n); sub(/^## /, ""); print > (file ".name"); next}
	/^#/ || /^[[:space:]]*$/ {next}
	n {print > file}
' "$corpus"

scripts=0 differ=0
for script in "$tmp"/script[0-9][0-9][0-9]; do
	name=$(cat "$script.name")
	a=$(netns_add theirs) b=$(netns_add ours)
	run theirs "$a" "$script" > "$script.theirs"
	run ours "$b" "$script" > "$script.ours"
	ip netns del "$a"
	ip netns del "$b"
	scripts=$((scripts + 1))
	if ! diff -u --label "Debian: $name" --label "ours: $name" "$script.theirs" "$script.ours" >&2; then
		differ=$((differ + 1))
	fi
done
[ "$scripts" -ge 25 ] || fail "only $scripts scripts in $corpus"
[ "$differ" -eq 0 ] || fail "$differ of $scripts scripts differ (diffs above)"
echo "$scripts scripts: the same output and table from both ipvsadms"
