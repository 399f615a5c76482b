#!/usr/bin/env python3
"""Many UDP "connections" at once, for the connection-table tests.

    udp_flood.py COUNT DST PORT SRC...
        send COUNT datagrams to DST:PORT, each from its own source: the
        addresses SRC... in turn, and ports from 10000 up (50,000 per
        address), so each datagram opens a connection of its own on an
        IPVS director; print the seconds it took

The datagrams are built whole (raw socket, IP_HDRINCL; no UDP checksum)
so that no socket is bound per source.
"""
import socket
import struct
import sys
import time

PORTS = range(10000, 60000)


def main(count, dst, port, sources):
    if count > len(PORTS) * len(sources):
        sys.exit(f"udp_flood: {count} sources need more than {len(sources)} addresses")
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    daddr = socket.inet_aton(dst)
    payload = b"flood"
    udp_len = 8 + len(payload)
    # Total length, id and checksum are filled in by the kernel.
    headers = [struct.pack("!BBHHHBBH4s4s", 0x45, 0, 0, 0, 0, 64, socket.IPPROTO_UDP, 0,
                           socket.inet_aton(s), daddr) for s in sources]
    start = time.monotonic()
    sent = 0
    for sport in PORTS:
        udp = struct.pack("!HHHH", sport, port, udp_len, 0) + payload
        for ip in headers:
            if sent == count:
                break
            sock.sendto(ip + udp, (dst, 0))
            sent += 1
        if sent == count:
            break
    print(f"{time.monotonic() - start:.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4:])
