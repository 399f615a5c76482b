#!/usr/bin/env bash
# Our ipvsadm lists byte for byte as Debian's ipvsadm 1.31: the same
# stdout, stderr and exit status for the same command line, on an empty
# table, on a table of TCP/UDP/SCTP/fwmark services (IPv4 and IPv6,
# several schedulers, persistence with netmasks, real servers of every
# forwarding method) configured with Debian's ipvsadm, for the usual
# command-line errors, without IPVS, and without root.
#
# Our module cannot add services yet: when Debian's `ipvsadm -A` (or
# `-a`) fails under LVS_IPVS=rust, the test compares what there is and
# passes; it covers more by itself as the module learns.
. "$(dirname "$0")/lib.sh"

theirs=/usr/sbin/ipvsadm
ours=$LVS_REPO/tools/target/release/ipvsadm
[ -x "$theirs" ] || skip "Debian's ipvsadm is not installed"
[ -x "$ours" ] || fail "$ours is not built (make tools)"
if is_loaded ip_vs || is_loaded lvs_ipvs; then
	fail "an IPVS module is loaded before the test"
fi

tmp=$(mktemp -d)
# Both run as "ipvsadm" (found in PATH), for the messages that name it;
# ours as a copy, which nobody can run even from a checkout only root reads.
mkdir "$tmp/theirs" "$tmp/ours"
ln -s "$theirs" "$tmp/theirs/ipvsadm"
install -m 755 "$ours" "$tmp/ours/ipvsadm"
chmod 755 "$tmp" "$tmp/theirs" "$tmp/ours"
modules=()
modprobe_path=$(cat /proc/sys/kernel/modprobe)
unload() {
	local m i
	echo "$modprobe_path" > /proc/sys/kernel/modprobe
	for m in "${modules[@]}"; do
		# Namespaces go away asynchronously, with their services.
		for i in 1 2 3 4 5; do rmmod "$m" 2>/dev/null && break; sleep 1; done
	done
	rm -rf "$tmp"
}
ON_EXIT=unload

# RUN: how both ipvsadms are started (a prefix command line).
RUN=()
COMPARED=0
# compare ARGS...: Debian's ipvsadm and ours print the same stdout and
# stderr and exit with the same status.
compare() {
	local who rc f
	for who in theirs ours; do
		rc=0
		PATH=$tmp/$who:$PATH "${RUN[@]}" ipvsadm "$@" \
			> "$tmp/$who.out" 2> "$tmp/$who.err" || rc=$?
		echo "exit $rc" > "$tmp/$who.rc"
	done
	for f in out err rc; do
		diff -u --label "Debian: ipvsadm $* ($f)" --label "ours: ipvsadm $* ($f)" \
			"$tmp/theirs.$f" "$tmp/ours.$f" >&2 || fail "ipvsadm $*: $f differs"
	done
	COMPARED=$((COMPARED + 1))
}

# compare_each "ARGS"...: compare every command line.
compare_each() {
	local args
	for args in "$@"; do
		# shellcheck disable=SC2086 # the words of $args are the arguments
		compare $args
	done
}
# The listings compared on a populated table.
compare_listings() {
	compare_each "-Ln" "--list --numeric" "-Ln --nosort" "-Ln --thresholds" \
		"-Ln --persistent-conn" "-Ln --tun-info" "-Ln -t 10.0.0.1:80" \
		"-Ln -u [2001:db8::2]:53" "-Ln -f 7 -6" "-Ln --sctp-service 10.0.0.4:9" \
		"-Ln -t 10.0.0.9:1"
}

# Without IPVS: no module, and neither the kernel (for the genetlink
# family) nor ipvsadm (/sbin/modprobe -- ip_vs) may load one.
echo > /proc/sys/kernel/modprobe
RUN=(unshare -m sh -c 'mount --bind /bin/false "$(readlink -f /sbin/modprobe)" && exec "$@"' -)
compare -Ln
compare --foo
echo "$modprobe_path" > /proc/sys/kernel/modprobe

core=$(ipvs_core)
modprobe "$core"
modules=("$core")
ns=$(netns_add list)
RUN=(ip netns exec "$ns")

# An empty table, and command lines upstream refuses or answers alone.
compare_each "-Ln" "-Ln --nosort" "-Ln --tun-info" "-Ln -t 10.0.0.1:http" \
	"--foo" "-L --foo" "-Lq" "-n -L" "--num -L" "-L -L" "-Lnn" "-L -n foo" \
	"-L -- -n" "-Ln -t" "-Ln -tx" "-Ln -t 1.2.3.4:99999" "-Ln -f 0" "-Ln -6" \
	"-L -p 30" "-list" "-L -c -t 1.2.3.4:80" "-Ln --stats --timeout" \
	"-Ln -t 1.2.3.4:80 -u 1.2.3.4:53" "-L --numeric=x" "-L -n=x" "-h" "-v" \
	"--help -L" "-L -h" "-A -t 1.2.3.4:80 -w x" "--set 1 2" "-a -t 1.2.3.4:80" \
	"--start-daemon foo" "-A -t 1.2.3.4:80 -s rr -b sh-port"
RUN=(ip netns exec "$ns" setpriv --reuid=65534 --regid=65534 --clear-groups \
	--inh-caps=-all --bounding-set=-all)
compare -Ln
RUN=(ip netns exec "$ns")

# have_sched NAME: the scheduler's module loads (all do for C IPVS).
have_sched() {
	local m
	m=$(ipvs_sched "$1")
	if modprobe "$m" 2>/dev/null; then
		modules=("$m" "${modules[@]}")
		return 0
	fi
	[ "$LVS_IPVS" = rust ] || fail "modprobe $m"
	return 1
}
scheds=()
for s in rr wrr lc sh; do have_sched $s && scheds+=("$s"); done
debian() { ip netns exec "$ns" "$theirs" "$@" 2> "$tmp/add.err"; }

# Services: "scheduler|arguments" (one word list each).
services=(
	"rr|-A -t 10.0.0.1:80 -s rr"
	"wrr|-A -t 192.168.0.1:80 -s wrr"
	"rr|-A -t 1.0.0.1:80 -s rr"
	"lc|-A -t 10.0.0.2:443 -s lc -p 600 -M 255.255.255.0"
	"rr|-A -u 10.0.0.1:53 -s rr -p 100 -M 255.255.0.0 -o"
	"sh|-A -u 10.0.0.3:5060 -s sh -b sh-fallback,sh-port -p"
	"wrr|-A -t [2001:db8::1]:443 -s wrr -p 300 -M 64"
	"lc|-A -u [2001:db8::2]:53 -s lc"
	"rr|-A -f 1 -s rr"
	"rr|-A -f 4294967295 -s rr"
	"sh|-A -f 7 -6 -s sh"
	"rr|-A --sctp-service 10.0.0.4:9 -s rr"
)
added=0
for line in "${services[@]}"; do
	sched=${line%%|*}
	[[ " ${scheds[*]} " == *" $sched "* ]] || continue
	# shellcheck disable=SC2086
	if ! debian ${line#*|}; then
		if [ "$LVS_IPVS" = rust ] && [ $added -eq 0 ]; then
			echo "our module adds no service yet ($(cat "$tmp/add.err")):" \
				"compared $COMPARED command lines on an empty table"
			exit 0
		fi
		fail "ipvsadm ${line#*|}: $(cat "$tmp/add.err")"
	fi
	added=$((added + 1))
done

# Real servers, on the services that exist: "service|arguments".
dests=(
	"-t 10.0.0.1:80|-r 192.168.1.1:8080 -m -w 3"
	"-t 10.0.0.1:80|-r 10.1.1.1 -g -w 0"
	"-t 10.0.0.1:80|-r 172.16.1.1 -i -w 65535"
	"-t 10.0.0.1:80|-r 10.1.1.2:81 -m"
	"-t 10.0.0.1:80|-r 10.1.1.2:79 -m"
	"-t 10.0.0.1:80|-r 127.0.0.1 -g"
	"-t 10.0.0.2:443|-r 192.168.2.1 -g -w 2"
	"-t 10.0.0.2:443|-r 192.168.2.2 -g -w 5 -x 100 -y 10"
	"-t 10.0.0.2:443|-r 192.168.2.3 -i --tun-type gue --tun-port 6080 --tun-csum"
	"-t 10.0.0.2:443|-r 192.168.2.4 -i --tun-type gre"
	"-u 10.0.0.1:53|-r 10.9.0.1:53 -m"
	"-t [2001:db8::1]:443|-r [2001:db8::5]:80 -m"
	"-t [2001:db8::1]:443|-r [2001:db8::4]:443 -g -w 7"
	"-t [2001:db8::1]:443|-r 10.9.9.9 -i"
	"-f 1|-r 10.2.0.1 -g"
	"-f 7 -6|-r [2001:db8::9]:0 -g -w 4"
)
ip netns exec "$ns" "$theirs" -Sn > "$tmp/rules"
for line in "${dests[@]}"; do
	svc=${line%%|*}
	grep -qF -- "-A $svc " "$tmp/rules" || continue
	# shellcheck disable=SC2086
	if ! debian -a $svc ${line#*|}; then
		if [ "$LVS_IPVS" = rust ]; then
			compare_listings
			echo "our module adds no real server yet ($(cat "$tmp/add.err")):" \
				"compared $COMPARED command lines, $added services"
			exit 0
		fi
		fail "ipvsadm -a $svc ${line#*|}: $(cat "$tmp/add.err")"
	fi
done
compare_listings
ip netns exec "$ns" "$theirs" -C
echo "compared $COMPARED command lines, $added services with real servers"
