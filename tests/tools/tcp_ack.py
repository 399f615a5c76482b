#!/usr/bin/env python3
"""Send one bare TCP ACK, as a connection's mid-stream packet would be.

    tcp_ack.py SRC SPORT DST DPORT
        from SRC:SPORT to DST:DPORT (IPv4), with a correct checksum; for
        an IPVS director, a packet that opens no connection unless
        sloppy_tcp is on
"""
import socket
import struct
import sys


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def main(src, sport, dst, dport):
    ack = 0x10
    header = struct.pack("!HHIIBBHHH", sport, dport, 1000, 2000, 5 << 4, ack, 65535, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(header))
    header = header[:16] + struct.pack("!H", checksum(pseudo + header)) + header[18:]
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP) as s:
        s.bind((src, 0))
        s.sendto(header, (dst, 0))


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
