#!/usr/bin/env python3
"""Ask the "IPVS" generic-netlink family for IPVS_CMD_GET_INFO.

Prints "version=X.Y.Z size=N", as both C IPVS and ours should answer, or
the errno the kernel returned. A deliberately independent client (raw
sockets, nothing shared with our code) to check the wire protocol.
"""
import errno
import os
import socket
import struct
import sys

NETLINK_GENERIC = 16
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
NLM_F_REQUEST = 1
NLMSG_ERROR = 2
IPVS_CMD_GET_INFO = 15
IPVS_INFO_ATTR_VERSION = 1
IPVS_INFO_ATTR_CONN_TAB_SIZE = 2


def attrs(data):
    out = {}
    while len(data) >= 4:
        length, kind = struct.unpack_from("HH", data)
        out[kind & 0x3FFF] = data[4:length]
        data = data[(length + 3) & ~3:]
    return out


def request(sock, family, cmd, payload=b""):
    msg = struct.pack("BBxx", cmd, 1) + payload
    sock.send(struct.pack("IHHII", 16 + len(msg), family, NLM_F_REQUEST, 1, 0) + msg)
    reply = sock.recv(65536)
    length, kind = struct.unpack_from("IH", reply)
    if kind == NLMSG_ERROR:
        (err,) = struct.unpack_from("i", reply, 16)
        if err:
            raise OSError(-err, os.strerror(-err))
    return attrs(reply[20:length])


def main():
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    name = b"IPVS\0"
    nla = struct.pack("HH", 4 + len(name), CTRL_ATTR_FAMILY_NAME) + name
    nla += b"\0" * ((4 - len(nla) % 4) % 4)
    try:
        ctrl = request(sock, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, nla)
        (family,) = struct.unpack("H", ctrl[CTRL_ATTR_FAMILY_ID][:2])
        info = request(sock, family, IPVS_CMD_GET_INFO)
    except OSError as e:
        print(f"error={errno.errorcode.get(e.errno, e.errno)}")
        return 1
    (version,) = struct.unpack("I", info[IPVS_INFO_ATTR_VERSION])
    (size,) = struct.unpack("I", info[IPVS_INFO_ATTR_CONN_TAB_SIZE])
    print(f"version={version >> 16}.{(version >> 8) & 0xFF}.{version & 0xFF} size={size}")
    return 0


sys.exit(main())
