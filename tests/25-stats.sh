#!/usr/bin/env bash
# Traffic statistics and rates (thesis §5.2.8), as C IPVS keeps them:
# after 12 downloads of 100 kB through a VS/NAT service of three real
# servers, `ipvsadm -Ln --stats` counts 12 connections (4 per server) and
# the packets and bytes both ways, the service the sum of its servers;
# /proc/net/ip_vs_stats and ip_vs_stats_percpu show the namespace's
# totals; `-Z` of an idle service leaves the busy one alone, `-Z` of the
# busy one zeroes it and its servers (not the totals), `-Z` alone zeroes
# everything; `--rate` shows traffic per second while it flows, and
# stays as it was with the run_estimation sysctl off.
. "$(dirname "$0")/lib.sh"

cluster
data=$(mktemp -d)
ON_EXIT="rm -rf $data"
http_servers "$data"
for i in 1 2 3; do head -c 100000 /dev/urandom > "$data/rs$i/blob"; done
use_sched rr

ipvs() { on "$DIRECTOR" ipvsadm "$@"; }
ipvs -A -t "$VIP:80" -s rr
ipvs -A -t "$VIP:81" -s rr
for i in 1 2 3; do
	ipvs -a -t "$VIP:80" -r "10.0.$i.2:80" -m
	ipvs -a -t "$VIP:81" -r "10.0.$i.2:80" -m
done
for _ in $(seq 12); do
	on "$CLIENT" curl -sf -m 20 -o /dev/null "http://$VIP/blob" || fail "a download failed"
done
# C IPVS refreshes what it shows every two seconds; at least one rate
# sample falls after the traffic.
sleep 2.5

# stats_of OPTION ADDR: the numbers of the line of ADDR (a service or a
# real server) in `ipvsadm -Ln OPTION --exact` of service VIP:80.
stats_of() {
	ipvs -Ln "$1" --exact -t "$VIP:80" | awk -v a="$2" '$1 == "TCP" && $2 == a || $1 == "->" && $2 == a {
		$1 = ""; $2 = ""; print substr($0, 3) }'
}
listing=$(ipvs -Ln --stats --exact)
echo "$listing"
read -r conns inpkts outpkts inbytes outbytes <<< "$(stats_of --stats "$VIP:80")"
assert_eq "the service's connections" 12 "$conns"
sum=(0 0 0 0 0)
for i in 1 2 3; do
	read -r -a rs <<< "$(stats_of --stats "10.0.$i.2:80")"
	assert_eq "server $i's connections" 4 "${rs[0]}"
	[ "${rs[1]}" -ge 12 ] || fail "server $i: ${rs[1]} packets in for 4 connections"
	[ "${rs[4]}" -ge 400000 ] || fail "server $i: ${rs[4]} bytes out for 4 x 100 kB"
	for f in 0 1 2 3 4; do sum[f]=$((sum[f] + rs[f])); done
done
assert_eq "the service is the sum of its servers" "${sum[*]}" "$conns $inpkts $outpkts $inbytes $outbytes"
[ "$inbytes" -gt "$inpkts" ] || fail "$inbytes bytes in $inpkts packets"
[ "$outpkts" -ge 12 ] || fail "$outpkts packets out"
# The idle service counts nothing.
idle=$(echo "$listing" | awk -v a="$VIP:81" '$1 == "TCP" && $2 == a {print $3, $4, $5, $6, $7}')
assert_eq "the idle service" "0 0 0 0 0" "$idle"

# /proc/net/ip_vs_stats: the namespace's totals, in hexadecimal.
hex() { printf '%X' "$1"; }
totals=$(on "$DIRECTOR" cat /proc/net/ip_vs_stats)
echo "$totals"
assert_eq "/proc/net/ip_vs_stats counters" \
	"$(hex "$conns") $(hex "$inpkts") $(hex "$outpkts") $(hex "$inbytes") $(hex "$outbytes")" \
	"$(echo "$totals" | sed -n 3p | xargs)"
head1="   Total Incoming Outgoing         Incoming         Outgoing"
head2="   Conns  Packets  Packets            Bytes            Bytes"
head3=" Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s"
assert_eq "/proc/net/ip_vs_stats layout" "$head1|$head2||$head3" "$(echo "$totals" | sed -n '1p;2p;4p;5p' | paste -sd'|')"
percpu=$(on "$DIRECTOR" cat /proc/net/ip_vs_stats_percpu)
echo "$percpu"
# Its CPU rows add up to the "~" row, which is the total.
sums=(0 0 0 0 0)
while read -r -a row; do
	for f in 0 1 2 3 4; do sums[f]=$((sums[f] + 16#${row[f + 1]})); done
done < <(echo "$percpu" | awk 'NR > 2 && NF == 6 && $1 ~ /^[0-9A-F]+$/')
cpus=$(printf '%X %X %X %X %X' "${sums[@]}")
tilde=$(echo "$percpu" | awk '$1 == "~" {print $2, $3, $4, $5, $6}')
assert_eq "per-CPU rows' sum" "$tilde" "$cpus"
assert_eq "per-CPU total" "$(hex "$conns") $(hex "$inpkts") $(hex "$outpkts") $(hex "$inbytes") $(hex "$outbytes")" "$tilde"

# Zeroing.
ipvs -Z -t "$VIP:81"
assert_eq "zeroing the idle service" "$conns" "$(stats_of --stats "$VIP:80" | awk '{print $1}')"
ipvs -Z -t "$VIP:80"
assert_eq "the zeroed service" "0 0 0 0 0" "$(stats_of --stats "$VIP:80" | xargs)"
assert_eq "its zeroed rates" "0 0 0 0 0" "$(stats_of --rate "$VIP:80" | xargs)"
for i in 1 2 3; do
	assert_eq "zeroed server $i" "0 0 0 0 0" "$(stats_of --stats "10.0.$i.2:80" | xargs)"
done
[ "$(on "$DIRECTOR" sed -n 3p /proc/net/ip_vs_stats | awk '{print $1}')" = "$(hex "$conns")" ] ||
	fail "zeroing a service zeroed the totals"
ipvs -Z
assert_eq "zeroed totals" "0 0 0 0 0" "$(on "$DIRECTOR" sed -n 3p /proc/net/ip_vs_stats | xargs)"
assert_eq "zeroed per-CPU total" "0 0 0 0 0" \
	"$(on "$DIRECTOR" awk '$1 == "~" {print $2, $3, $4, $5, $6}' /proc/net/ip_vs_stats_percpu)"

# Counting goes on after zeroing; with run_estimation off rates stay.
# (C IPVS also stops refreshing the counters it shows while estimation
# is off, ours shows them as they are: both count the connection once
# estimation is back.)
on "$DIRECTOR" sysctl -qw net.ipv4.vs.run_estimation=0
on "$CLIENT" curl -sf -m 20 -o /dev/null "http://$VIP/blob" || fail "a download after zeroing failed"
sleep 4.5
assert_eq "rates without run_estimation" "0 0 0 0 0" "$(stats_of --rate "$VIP:80" | xargs)"
on "$DIRECTOR" sysctl -qw net.ipv4.vs.run_estimation=1
for _ in $(seq 20); do
	after=$(stats_of --stats "$VIP:80" | awk '{print $1}')
	[ "$after" = 0 ] || break
	sleep 0.5
done
assert_eq "one connection after zeroing" 1 "$after"
# Rates, while downloads go on (they fade within seconds after).
on "$CLIENT" bash -c "while curl -sf -m 20 -o /dev/null http://$VIP/blob; do :; done" &
downloads=$!
sleep 6
read -r cps inpps outpps inbps outbps <<< "$(stats_of --rate "$VIP:80")"
kill "$downloads"
wait "$downloads" || true
[ "$inpps" -gt 0 ] && [ "$outpps" -gt 0 ] && [ "$inbps" -gt 0 ] && [ "$outbps" -gt 0 ] ||
	fail "rates during downloads: $cps $inpps $outpps $inbps $outbps"
echo "statistics: 12 connections counted as C IPVS counts them; zeroing and rates work"
