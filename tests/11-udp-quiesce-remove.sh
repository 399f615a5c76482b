#!/usr/bin/env bash
# UDP through one service that mixes VS/NAT and VS/DR real servers: round
# robin spreads new connections evenly and every datagram comes back
# intact from the virtual address; weight 0 quiesces a server (no new
# connections, its existing one continues); a removed server's existing
# connection is dropped, as upstream (expire_nodest_conn=0); a short UDP
# timeout (`ipvsadm --set`) drains the connection table.
. "$(dirname "$0")/lib.sh"

cluster
echo_py=$TESTS/tools/udp_echo.py
udp_echo_servers 5353
use_sched rr
svc=$VIP:5353
on "$DIRECTOR" ipvsadm -A -u "$svc" -s rr
on "$DIRECTOR" ipvsadm -a -u "$svc" -r 10.0.1.2:5353 -m
on "$DIRECTOR" ipvsadm -a -u "$svc" -r 10.0.2.2:5353 -g
on "$DIRECTOR" ipvsadm -a -u "$svc" -r 10.0.3.2:5353 -m

# ask COUNT SIZE [SPORT]: datagrams through the service.
ask() { udp_ask "$VIP" 5353 "$@"; }

assert_eq "30 connections" "rs1=10 rs2=10 rs3=10 " "$(ask 30 100)"
for size in 1 1000 1472; do
	assert_eq "$size-byte datagrams" "rs1=1 rs2=1 rs3=1 " "$(ask 3 "$size")"
done
want="IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
UDP  10.0.0.100:5353 rr
  -> 10.0.1.2:5353                Masq    1      0          13        
  -> 10.0.2.2:5353                Route   1      0          13        
  -> 10.0.3.2:5353                Masq    1      0          13        "
assert_eq "ipvsadm -Ln" "$want" "$(on "$DIRECTOR" ipvsadm -Ln)"

# One connection (fixed source port) sticks to its server, which then is
# quiesced: it keeps the connection, new ones go to the others.
first=$(ask 1 10 40000)
server=${first%%=*}
n=${server#rs}
assert_eq "one connection, many datagrams" "$server=5 " "$(ask 5 10 40000)"
on "$DIRECTOR" ipvsadm -e -u "$svc" -r "10.0.$n.2:5353" -w 0 "$([ "$n" = 2 ] && echo -g || echo -m)"
got=$(ask 30 10)
case "$got" in *"$server="*) fail "quiesced $server got new connections: $got" ;; esac
assert_eq "new connections after quiescing $server" "30" "$(echo "$got" | tr ' =' '\n ' | awk 'NF {s += $2} END {print s}')"
assert_eq "quiesced server's connection" "$server=3 " "$(ask 3 10 40000)"

# Removed: its connection's datagrams are dropped, not rescheduled.
on "$DIRECTOR" ipvsadm -d -u "$svc" -r "10.0.$n.2:5353"
if on "$CLIENT" python3 "$echo_py" ask "$VIP" 5353 1 10 40000 >/dev/null 2>&1; then
	fail "a removed server's connection still answered"
fi
got=$(ask 20 10)
case "$got" in *"$server="*) fail "removed $server got new connections: $got" ;; esac

# A 10-second UDP timeout (long enough for a busy guest to list them
# first): a new service's connections are gone within seconds of it (the
# others still have the 300 s they were given).
on "$DIRECTOR" ipvsadm -C
on "$DIRECTOR" ipvsadm --set 0 0 10
on "$DIRECTOR" ipvsadm -A -u "$VIP:5354" -s rr
on "$DIRECTOR" ipvsadm -a -u "$VIP:5354" -r 10.0.1.2:5353 -m
on "$CLIENT" python3 "$echo_py" ask "$VIP" 5354 5 10 >/dev/null
assert_eq "connections to the new service" 5 "$(on "$DIRECTOR" ipvsadm -Lnc | grep -c "$VIP:5354")"
assert_eq "timeout shown" "Timeout (tcp tcpfin udp): 900 120 10" "$(on "$DIRECTOR" ipvsadm -L --timeout)"
n=5
for _ in $(seq 15); do
	sleep 2
	n=$(on "$DIRECTOR" ipvsadm -Lnc | grep -c "$VIP:5354") || true
	[ "$n" = 0 ] && break
done
assert_eq "connections 30 s after the timeout was set" 0 "$n"
