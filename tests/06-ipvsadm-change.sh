#!/usr/bin/env bash
# Our ipvsadm changes the table as Debian's ipvsadm 1.31 does: every
# script of tests/corpus/ipvsadm-change.txt (adding, editing and deleting
# services and real servers of every kind, flush, zero, timeouts, tunnel
# types, sync daemons, -S and -R and their round trips, the listings of
# statistics, rates, timeouts, daemons and connections, names, and the
# errors: duplicates, missing objects, bad addresses, ports, weights,
# thresholds, timeouts, conflicting options, bad restore lines) runs once
# with each, in a fresh network namespace of its own; every command must
# print the same stdout and stderr and exit with the same status, and
# the table must end up the same. Run against our module and against C
# IPVS, this covers the four ways: either ipvsadm on either IPVS
# (scripts/vmtest.sh compares the two guests' runs).
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
# Every scheduler the corpus names, loaded (and unloaded) by the test.
for s in rr wrr lc wlc sed nq dh sh mh lblc lblcr fo ovf twos; do use_sched $s; done
# C IPVS's SIP persistence engine is a module too, which holds the core.
if [ "$LVS_IPVS" = c ]; then
	modprobe ip_vs_pe_sip
	LOADED=(ip_vs_pe_sip "${LOADED[@]}")
fi

# The scripts, one file each (scriptNNN, its name in scriptNNN.name).
awk -v dir="$tmp" '
	/^## / {n++; file = sprintf("%s/script%03d", dir, n); sub(/^## /, ""); print > (file ".name"); next}
	/^#/ || /^[[:space:]]*$/ {next}
	n {print > file}
' "$corpus"

dups=$(cat "$tmp"/script[0-9][0-9][0-9].name | sort | uniq -d)
[ -z "$dups" ] || fail "scripts of the same name in $corpus: $dups"

# runner TMP WHO THEIRS: every script with one ipvsadm (the first in
# PATH), in the namespace it runs in, into scriptNNN.WHO: each command,
# its stdout, stderr and status; then the table as Debian's ipvsadm
# lists it (test 05 compares the listings). A line is shell words after
# "ipvsadm", eval'd so that it may redirect (`-R < $SAVED`); its stdin is
# /dev/null unless it says otherwise, and $SAVED is a scratch file of
# the namespace's own, emptied for each script. Between scripts the
# table is emptied (timeouts stay: both sides run the same scripts in
# the same order). One `ip netns exec` for all and no other programs
# than the two ipvsadms: under emulation each start costs more than the
# command.
cat > "$tmp/runner" <<'RUNNER'
tmp=$1 who=$2 theirs=$3
SAVED=$tmp/saved.$who
for script in "$tmp"/script[0-9][0-9][0-9]; do
	: > "$SAVED"
	while IFS= read -r line; do
		echo "\$ ipvsadm $line"
		rc=0
		eval "ipvsadm $line" < /dev/null 2> "$tmp/err.$who" || rc=$?
		while IFS= read -r err || [ -n "$err" ]; do echo "stderr: $err"; done < "$tmp/err.$who"
		echo "exit $rc"
	done < "$script" > "$script.$who"
	{
		echo "--- the table"
		"$theirs" -Ln 2>&1
	} >> "$script.$who"
	"$theirs" -C
done
RUNNER
# Side by side on ours. One after the other on C IPVS: its service table
# is one for all namespaces, and a dump resumes at a position counted
# over all of them, so a service added in one namespace between two
# parts of a dump in the other shows a service there twice.
for who in theirs ours; do
	ns=$(netns_add "$who")
	ip netns exec "$ns" env PATH="$tmp/$who:$PATH" bash "$tmp/runner" "$tmp" "$who" "$theirs" &
	[ "$LVS_IPVS" = rust ] || wait
done
wait

scripts=0 differ=0
for script in "$tmp"/script[0-9][0-9][0-9]; do
	name=$(cat "$script.name")
	scripts=$((scripts + 1))
	if ! diff -u --label "Debian: $name" --label "ours: $name" "$script.theirs" "$script.ours" >> "$tmp/diffs"; then
		differ=$((differ + 1))
	fi
done
[ "$differ" -eq 0 ] || cat "$tmp/diffs" >&2
# What Debian's ipvsadm did, for vmtest to compare across the guests
# (Debian's on C IPVS with Debian's on ours: the last two of four ways).
if [ -n "${LVS_RESULTS:-}" ]; then
	keep=$LVS_RESULTS/06-ipvsadm-change
	mkdir -p "$keep"
	for script in "$tmp"/script[0-9][0-9][0-9]; do
		cp "$script.theirs" "$keep/$(tr -c 'A-Za-z0-9,.+-' _ < "$script.name")"
	done
fi
[ "$scripts" -ge 150 ] || fail "only $scripts scripts in $corpus"
[ "$differ" -eq 0 ] || fail "$differ of $scripts scripts differ (diffs above)"
echo "$scripts scripts: the same output and table from both ipvsadms"
