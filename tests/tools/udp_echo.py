#!/usr/bin/env python3
"""UDP echo for the scenario tests, server and client, IPv4 or IPv6.

    udp_echo.py serve NAME PORT ADDR...
        answer every datagram to ADDR:PORT with NAME, a space and the
        datagram, from the address it was sent to (one socket per
        address: a VS/DR real server answers from the virtual address)
    udp_echo.py ask ADDR PORT COUNT SIZE [SPORT | FIRST+]
        send COUNT datagrams of SIZE random bytes, each from a socket of
        its own: from a new source port each (a new IPVS connection), the
        kernel's choice or (FIRST+) FIRST, FIRST + 1, ...; or all from
        SPORT (one connection); print the NAME of each answer,
        one a line; exit 1 if an answer is missing or does not carry the
        datagram back intact
    udp_echo.py say ADDR PORT SPORT TEXT
        send TEXT (with its \\r and \\n made line ends) from SPORT; print
        the NAME of the answer, or "none" if none came within 3 s
    udp_echo.py refused ADDR PORT
        send a datagram from a connected socket; exit 0 if ADDR:PORT
        refuses it (an ICMP port unreachable that quotes the datagram as
        sent, so the socket gets ECONNREFUSED), 1 otherwise
"""
import os
import selectors
import socket
import sys


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def serve(name, port, addrs):
    sel = selectors.DefaultSelector()
    for addr in addrs:
        s = socket.socket(family(addr), socket.SOCK_DGRAM)
        s.bind((addr, port))
        sel.register(s, selectors.EVENT_READ)
    prefix = name.encode() + b" "
    while True:
        for key, _ in sel.select():
            data, peer = key.fileobj.recvfrom(65535)
            key.fileobj.sendto(prefix + data, peer)


def ask(addr, port, count, size, sport, successive):
    for n in range(count):
        payload = os.urandom(size)
        with socket.socket(family(addr), socket.SOCK_DGRAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("::" if family(addr) == socket.AF_INET6 else "0.0.0.0", sport + n if successive else sport))
            s.settimeout(5)
            s.sendto(payload, (addr, port))
            try:
                answer, peer = s.recvfrom(65535)
            except socket.timeout:
                sys.exit(f"datagram {n}: no answer")
        name, _, echoed = answer.partition(b" ")
        if peer[:2] != (addr, port):
            sys.exit(f"datagram {n}: answer from {peer}, not {(addr, port)}")
        if echoed != payload:
            sys.exit(f"datagram {n}: {name.decode()} echoed {len(echoed)} bytes, not the {size} sent")
        print(name.decode())


def say(addr, port, sport, text):
    payload = text.replace("\\r", "\r").replace("\\n", "\n").encode()
    with socket.socket(family(addr), socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::" if family(addr) == socket.AF_INET6 else "0.0.0.0", sport))
        s.settimeout(3)
        s.sendto(payload, (addr, port))
        try:
            answer = s.recv(65535)
        except socket.timeout:
            print("none")
            return
    name, _, echoed = answer.partition(b" ")
    if echoed != payload:
        sys.exit(f"{name.decode()} echoed {len(echoed)} bytes, not the {len(payload)} sent")
    print(name.decode())


def refused(addr, port):
    with socket.socket(family(addr), socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.connect((addr, port))
        s.send(b"anyone?")
        try:
            s.recv(65535)
        except ConnectionRefusedError:
            return
        except socket.timeout:
            sys.exit("no answer, no refusal")
        sys.exit("answered")


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
    elif len(sys.argv) in (6, 7) and sys.argv[1] == "ask":
        sport = sys.argv[6] if len(sys.argv) == 7 else "0"
        successive = sport.endswith("+")
        ask(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sport.rstrip("+")), successive)
    elif len(sys.argv) == 6 and sys.argv[1] == "say":
        say(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    elif len(sys.argv) == 4 and sys.argv[1] == "refused":
        refused(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
