#!/usr/bin/env python3
"""Send one hand-made IPv4 packet, with correct checksums.

    raw_packet.py ack SRC SPORT DST DPORT
        a bare TCP ACK from SRC:SPORT to DST:DPORT, as a connection's
        mid-stream packet would be; for an IPVS director, a packet that
        opens no connection unless sloppy_tcp is on
    raw_packet.py frag-needed SRC DST QSRC QSPORT QDST QDPORT
        an ICMP "fragmentation needed" (MTU 1200) from SRC to DST about
        a TCP packet from QSRC:QSPORT to QDST:QDPORT
    raw_packet.py sctp SRC SPORT DST DPORT CHUNK
        an SCTP packet from SRC:SPORT to DST:DPORT holding one empty
        chunk of type CHUNK (4: a HEARTBEAT, which opens no association
        unless sloppy_sctp is on)
"""
import socket
import struct
import sys

from sctp_check import PROTO_SCTP, crc32c


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def tcp_header(src, sport, dst, dport, flags):
    header = struct.pack("!HHIIBBHHH", sport, dport, 1000, 2000, 5 << 4, flags, 65535, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(header))
    return header[:16] + struct.pack("!H", checksum(pseudo + header)) + header[18:]


def send(src, dst, proto, payload):
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, proto) as s:
        s.bind((src, 0))
        s.sendto(payload, (dst, 0))


def ack(src, sport, dst, dport):
    send(src, dst, socket.IPPROTO_TCP, tcp_header(src, int(sport), dst, int(dport), 0x10))


def frag_needed(src, dst, qsrc, qsport, qdst, qdport):
    tcp = tcp_header(qsrc, int(qsport), qdst, int(qdport), 0x10)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, socket.IPPROTO_TCP, 0,
                     socket.inet_aton(qsrc), socket.inet_aton(qdst))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    # Type 3 (unreachable), code 4 (fragmentation needed), next-hop MTU.
    quoted = ip + tcp[:8]
    icmp = struct.pack("!BBHHH", 3, 4, 0, 0, 1200) + quoted
    icmp = icmp[:2] + struct.pack("!H", checksum(icmp)) + icmp[4:]
    send(src, dst, socket.IPPROTO_ICMP, icmp)


def sctp(src, sport, dst, dport, chunk):
    # Common header (verification tag 0, as an INIT's), one chunk header.
    packet = struct.pack("!HHII", int(sport), int(dport), 0, 0) + struct.pack("!BBH", int(chunk), 0, 4)
    packet = packet[:8] + struct.pack("<I", crc32c(packet)) + packet[12:]
    send(src, dst, PROTO_SCTP, packet)


KINDS = {"ack": (ack, 4), "frag-needed": (frag_needed, 6), "sctp": (sctp, 5)}

if __name__ == "__main__":
    kind = KINDS.get(sys.argv[1] if len(sys.argv) > 1 else "")
    if kind is None or len(sys.argv) != 2 + kind[1]:
        sys.exit(__doc__)
    kind[0](*sys.argv[2:])
