#!/usr/bin/env python3
"""Checks the CRC32c of the SCTP packets a namespace receives: what a
director rewrote (VS/NAT changes ports, so the checksum must be computed
anew) is checked on the wire, whatever the receiving stack would skip (a
veth keeps the sender's "checksum verified" mark).

    sctp_check.py READY STOP
        reads every SCTP packet (IPv4 or IPv6) arriving on the
        namespace's interfaces until the file STOP exists (two minutes
        at most), then prints "N packets, M bad"; creates the file
        READY once it reads
"""
import os
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
PROTO_SCTP = 132


def crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


TABLE = crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def sctp_of(frame):
    """The SCTP packet in an Ethernet frame, if it carries one."""
    ethertype = struct.unpack("!H", frame[12:14])[0]
    ip = frame[14:]
    if ethertype == 0x0800 and len(ip) >= 20 and ip[9] == PROTO_SCTP:
        total = struct.unpack("!H", ip[2:4])[0]
        return ip[(ip[0] & 0x0F) * 4:total]
    if ethertype == 0x86DD and len(ip) >= 40 and ip[6] == PROTO_SCTP:
        return ip[40:40 + struct.unpack("!H", ip[4:6])[0]]
    return None


def good(sctp):
    stored = struct.unpack("<I", sctp[8:12])[0]
    return crc32c(sctp[:8] + b"\0\0\0\0" + sctp[12:]) == stored


def check(ready, stop):
    end = time.monotonic() + 120
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    open(ready, "w").close()
    packets = bad = 0
    # What arrived before STOP was made is read before it is seen.
    while time.monotonic() < end:
        if not select.select([sock], [], [], 0.2)[0]:
            if os.path.exists(stop):
                break
            continue
        frame, addr = sock.recvfrom(65535)
        # What this namespace sends may leave its sum to the "device".
        if addr[2] == PACKET_OUTGOING:
            continue
        sctp = sctp_of(frame)
        if sctp is None or len(sctp) < 12:
            continue
        packets += 1
        bad += not good(sctp)
    print(f"{packets} packets, {bad} bad")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    check(*sys.argv[1:])
