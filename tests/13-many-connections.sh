#!/usr/bin/env bash
# Many connections through VS/NAT: 2,000 sequential HTTP connections are
# spread by round robin as upstream does (newest server first: 667 to
# rs3 and rs2, 666 to rs1), and 500 concurrent connections
# each receive a 64 KiB body intact; afterwards the connections are in
# the table, closed, and counted inactive on their servers.
. "$(dirname "$0")/lib.sh"

cluster
data=$(mktemp -d)
ON_EXIT="rm -rf $data"
http_servers "$data"
for i in 1 2 3; do head -c 65536 /dev/urandom > "$data/rs$i/blob"; done
use_sched rr
on "$DIRECTOR" ipvsadm -A -t "$VIP:80" -s rr
for i in 1 2 3; do on "$DIRECTOR" ipvsadm -a -t "$VIP:80" -r "10.0.$i.2:80" -m; done

# One curl, 2,000 URLs, a new connection for each ("Connection: close").
got=$(on "$CLIENT" curl -sf -m 600 -H "Connection: close" "http://$VIP/?[1-2000]" |
	sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')
# Upstream adds a real server at the head of its list and goes round
# from the head: rs3 first.
assert_eq "2000 sequential connections" "rs1=666 rs2=667 rs3=667 " "$got"

# 500 at once, each body compared with the servers' copies.
mkdir "$data/got"
on "$CLIENT" curl -sf --no-progress-meter -m 600 --parallel --parallel-max 500 -H "Connection: close" \
	-o "$data/got/#1" "http://$VIP/blob?[1-500]"
sums=$(md5sum "$data"/rs[123]/blob | cut -d' ' -f1)
bad=$(md5sum "$data"/got/* | cut -d' ' -f1 | grep -cvxF "$sums") || true
assert_eq "bodies of 500 concurrent connections" "500 files, 0 corrupted" \
	"$(ls "$data/got" | wc -l) files, $bad corrupted"

# Each server counts as inactive exactly the closed connections the
# table holds for it (a client port reused in the meantime replaced its
# old connection), and none as active. Entries only leave the table now
# (the oldest reach the end of TIME_WAIT on a slow guest): the counts
# must lie between the table's before and after them.
closed_per_server() {
	on "$DIRECTOR" ipvsadm -Lnc | awk 'NR > 2 {n[$6]++; if ($3 == "ESTABLISHED") a[$6]++}
		END {for (d in n) print d, a[d] + 0, n[d] - a[d]}' | sort
}
# C IPVS takes an expiring connection out of its table a moment before
# it takes it off its server's counters: a few more may be counted there.
slack=$([ "$LVS_IPVS" = c ] && echo 5 || echo 0)
before=$(closed_per_server)
counts=$(on "$DIRECTOR" ipvsadm -Ln | awk '/->  *10\.0\./ {print $2, $5, $6}' | sort)
after=$(closed_per_server)
rows=$(join <(echo "$before") <(echo "$counts") | join - <(echo "$after"))
bad=$(echo "$rows" | awk -v slack="$slack" '$2 != 0 || $4 != 0 || $6 != 0 || $5 > $3 + slack || $5 < $7' | wc -l)
[ "$bad" = 0 ] && [ "$(echo "$rows" | wc -l)" = 3 ] ||
	fail "active/inactive per server (server, table before, listed, table after): $rows"
