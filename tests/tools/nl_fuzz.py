#!/usr/bin/env python3
"""Hostile input for the "IPVS" generic-netlink family.

    nl_fuzz.py [--count N] [--seed S] [--procs P] [--scheds rr,wrr,...] [--out DIR]
    nl_fuzz.py --replay FILE

Sends N messages (default 100000, or $NL_FUZZ_COUNT) built by a seeded
PRNG (--seed or $NL_FUZZ_SEED; random and printed otherwise, so that a
run can be repeated) to the IPVS family of the caller's network
namespace, from P processes at once (default 2, or $NL_FUZZ_PROCS;
process i uses seed + i). It first sets up a baseline of services and
real servers there, puts back what is missing of it every 5,000
messages, and flushes the table every 10,000. The messages are:

- commands of every number (services, real servers, sync daemons,
  config, info, zero, and numbers IPVS does not have), most with one to
  three mutations of their attribute tree: attributes dropped,
  duplicated, truncated, lengthened, retyped (nested and byte-order
  flags too), replaced by random bytes, by nests of garbage or by deep
  nests; huge or unterminated scheduler, persistence-engine and
  interface names; out-of-range families, protocols, ports, weights,
  thresholds, forwarding methods, tunnel settings, netmasks, flags,
  timeouts; nla_len below the header, past the message or the nest;
- mutations of the message itself: cut short, nlmsg_len wrong either
  way or shorter than the headers, random command and version, random
  flags (NLM_F_DUMP on anything, NLM_F_ACK, no NLM_F_REQUEST);
- messages sent before, sent again with a few bytes changed (lengths,
  types, command, flags, any byte; cheaper than new ones);
- random bytes (the netlink type kept to this family or to netlink's
  own control types, so that no other family is fuzzed);
- up to 16 messages in one send (only the last may have a false length);
  dumps read to the end, and dumps abandoned half-read on other sockets
  (some with extended or capped acks), closed, or read later while the
  table changes under them.

Replies are read without blocking (large receive buffer; ENOBUFS is
counted, not an error) and checked: every reply must be a well-formed
netlink message (errors in -4095..0, attribute streams and nests that
parse), and the dump of the services after each baseline must list
services that parse. After each send the kernel log (/dev/kmsg) is read:
a line like those scripts/guest.sh looks for (BUG, WARNING, KASAN,
lockdep...) is reported at once with the last sends, which are written
as hex to OUT/nl_fuzz-repro*.txt; --replay sends such a file again, one
send a line. Exits 1 if the kernel complained or a reply was malformed,
0 otherwise; prints counts, time, rate and the replies by command.
NL_FUZZ_PROFILE=1 sends one message a send and prints the time the
kernel took by command, and the slowest sends. Python standard library
only.
"""
import argparse
import errno
import os
import random
import re
import socket
import struct
import sys
import time

NETLINK_GENERIC = 16
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
NLMSG_NOOP, NLMSG_ERROR, NLMSG_DONE, NLMSG_OVERRUN = 1, 2, 3, 4
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK, NLM_F_ECHO = 1, 2, 4, 8
NLM_F_ROOT, NLM_F_MATCH, NLM_F_ATOMIC = 0x100, 0x200, 0x400
NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH
NLA_F_NESTED, NLA_F_NET_BYTEORDER = 0x8000, 0x4000
SOL_NETLINK = 270
NETLINK_EXT_ACK, NETLINK_CAP_ACK = 11, 10
SO_RCVBUFFORCE = 33

# include/uapi/linux/ip_vs.h
(CMD_UNSPEC, NEW_SERVICE, SET_SERVICE, DEL_SERVICE, GET_SERVICE, NEW_DEST, SET_DEST,
 DEL_DEST, GET_DEST, NEW_DAEMON, DEL_DAEMON, GET_DAEMON, SET_CONFIG, GET_CONFIG,
 SET_INFO, GET_INFO, ZERO, FLUSH) = range(18)
CMD_NAMES = ["UNSPEC", "NEW_SERVICE", "SET_SERVICE", "DEL_SERVICE", "GET_SERVICE",
             "NEW_DEST", "SET_DEST", "DEL_DEST", "GET_DEST", "NEW_DAEMON", "DEL_DAEMON",
             "GET_DAEMON", "SET_CONFIG", "GET_CONFIG", "SET_INFO", "GET_INFO", "ZERO", "FLUSH"]
A_SERVICE, A_DEST, A_DAEMON, A_TIMEOUT_TCP, A_TIMEOUT_TCP_FIN, A_TIMEOUT_UDP = range(1, 7)
(S_AF, S_PROTOCOL, S_ADDR, S_PORT, S_FWMARK, S_SCHED_NAME, S_FLAGS, S_TIMEOUT,
 S_NETMASK, S_STATS, S_PE_NAME, S_STATS64) = range(1, 13)
(D_ADDR, D_PORT, D_FWD_METHOD, D_WEIGHT, D_U_THRESH, D_L_THRESH, D_ACTIVE_CONNS,
 D_INACT_CONNS, D_PERSIST_CONNS, D_STATS, D_ADDR_FAMILY, D_STATS64, D_TUN_TYPE,
 D_TUN_PORT, D_TUN_FLAGS) = range(1, 16)
(DM_STATE, DM_MCAST_IFN, DM_SYNC_ID, DM_SYNC_MAXLEN, DM_MCAST_GROUP, DM_MCAST_GROUP6,
 DM_MCAST_PORT, DM_MCAST_TTL) = range(1, 9)
AF_INET, AF_INET6 = 2, 10
NOT_ALNUM = bytes(b for b in range(256) if not chr(b).isalnum())
TCP, UDP, SCTP = 6, 17, 132

# What the kernel prints when something is wrong (scripts/guest.sh's list).
BAD = re.compile(
    r"WARNING:|BUG:|Oops|KASAN|UBSAN|general protection|possible circular locking|"
    r"possible recursive locking|inconsistent lock state|lock held when returning|"
    r"sleeping function called from invalid context|INFO: task .* blocked|soft lockup|"
    r"rcu_sched self-detected|Slab cache still has objects|kmemleak|refcount_t|"
    r"list_add corruption|list_del corruption|Call Trace")


def u8(v):
    return struct.pack("=B", v & 0xFF)


def u16(v):
    return struct.pack("=H", v & 0xFFFF)


def be16(v):
    return struct.pack(">H", v & 0xFFFF)


def u32(v):
    return struct.pack("=I", v & 0xFFFFFFFF)


def ip4(s):
    return socket.inet_pton(socket.AF_INET, s)


def ip6(s):
    return socket.inet_pton(socket.AF_INET6, s)


# An attribute tree node: [type, payload (bytes, or a list of nodes for a
# nest), nla_len override or None]. Serialized as netlink does; an
# override writes a false length over the true one.
def node(t, v):
    return [t, v, None]


def encode(nodes):
    out = []
    for t, v, override in nodes:
        payload = encode(v) if isinstance(v, list) else v
        n = 4 + len(payload)
        out.append(struct.pack("=HH", (n if override is None else override) & 0xFFFF, t & 0xFFFF))
        out.append(payload)
        out.append(b"\0" * (-n & 3))
    return b"".join(out)


def nlmsg(family, flags, seq, cmd, body, version=1, reserved=0, pid=0):
    return struct.pack("=IHHIIBBH", 20 + len(body), family, flags, seq, pid, cmd, version, reserved) + body


# The baseline of the fuzzed namespace (set up first, what is missing again
# now and then): enough services for a dump of several 4 KiB parts, one
# service with enough real servers for the same, IPv6 and fwmark services.
# Small, since each change the kernel takes costs: ours waits for an RCU
# grace period on every change.
def baseline(scheds):
    svcs, dests = [], []
    for i in range(1, 21):
        key = ("v4", TCP if i % 3 else UDP, ip4(f"10.9.0.{i}"), 80 + i % 2)
        svcs.append((key, scheds[i % len(scheds)], 0 if i % 4 else 1, 300, 0xFFFFFFFF))
        for j in range(1, 2 + (17 if i == 1 else 0)):
            dests.append((key, AF_INET, ip4(f"10.8.{i}.{j}"), 8080, j % 4 if j % 4 != 1 else 0, j))
    for i in range(1, 4):
        key = ("v6", TCP, ip6(f"2001:db8::{i:x}"), 443)
        svcs.append((key, scheds[i % len(scheds)], 1, 600, 64))
        dests.append((key, AF_INET6, ip6(f"2001:db8:1::{i:x}"), 443, 0, 1))
        dests.append((key, AF_INET, ip4(f"10.7.0.{i}"), 443, 2, 1))  # mixed: tunnel only
    for i in (1, 2, 0xFFFFFFFF):
        key = ("fw", AF_INET, i)
        svcs.append((key, scheds[0], 0, 300, 0xFFFFFFFF))
        dests.append((key, AF_INET, ip4(f"10.6.0.{i & 0xFF}"), 0, 3, 2))
    return svcs, dests


class Fuzzer:
    def __init__(self, rng, family, scheds, out, kmsg, tag=""):
        self.rng = rng
        self.tag = tag
        self.family = family
        self.scheds = scheds
        self.out = out
        self.seq = 1
        self.sent_msgs = 0
        self.setup_msgs = 0
        self.sends = 0
        self.recent = []  # the last sends, for a reproducer
        self.errors = {}  # (command, errno) -> count
        self.cmd_of_seq = {}
        self.enobufs = 0
        self.truncated = 0
        self.anomalies = []
        self.complaints = []
        self.dumps_abandoned = 0
        self.dumps_resumed = 0
        self.kmsg_lost = 0
        self.sock = self.new_socket()
        self.side = []  # sockets with a dump in progress
        self.pool = []  # messages built so far (some), to send again changed
        # NL_FUZZ_PROFILE=1: one message a send, the time of each send by
        # command (what the kernel spends), printed at the end.
        self.profile = {} if os.environ.get("NL_FUZZ_PROFILE") else None
        self.slowest = []
        self.svcs, self.dests = baseline(scheds)
        self.svc_keys = [s[0] for s in self.svcs]
        # NL_FUZZ_KMSG_ANY=1: lines user space writes to /dev/kmsg count
        # too (to test the watcher: user space cannot write as the kernel).
        self.kmsg_any = bool(os.environ.get("NL_FUZZ_KMSG_ANY"))
        # The kernel log, read from where `kmsg` (an open /dev/kmsg) is.
        self.kmsg = kmsg
        self.quiet = False  # complaints counted, not reported
        self.context = 0  # lines of a complaint's report still to show
        self.printed = 0
        self.repro = []  # what report_complaint printed, again at the end

    def new_socket(self, rcvbuf=8 << 20):
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        try:
            s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, rcvbuf)
        except OSError:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        # Errors with extended acks (TLVs), and without the request.
        for opt in (NETLINK_EXT_ACK, NETLINK_CAP_ACK):
            if self.rng.random() < 0.5:
                s.setsockopt(SOL_NETLINK, opt, 1)
        s.bind((0, 0))
        s.setblocking(False)
        return s

    # ---- attribute values -------------------------------------------------

    def interesting(self, size):
        r = self.rng
        if size == 1:
            return u8(r.choice([0, 1, 2, 3, 0x7F, 0x80, 0xFF, r.getrandbits(8)]))
        if size == 2:
            return u16(r.choice([0, 1, 2, 10, 0x7FFF, 0x8000, 0xFFFF, r.getrandbits(16)]))
        if size == 4:
            return u32(r.choice([0, 1, 2, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 65535, 65536,
                                 r.getrandbits(32), -r.randrange(1, 1000)]))
        if size == 8:
            return struct.pack("=Q", r.choice([0, (1 << 64) - 1, r.getrandbits(64), 0xFFFFFFFF]))
        if size == 16:
            return r.choice([b"\0" * 16, b"\xff" * 16, r.randbytes(16)])
        return r.randbytes(size)

    def name(self, known):
        """A scheduler, engine or interface name: mostly a known one."""
        r = self.rng
        # A name of the right length that no module has makes IPVS run
        # modprobe (C IPVS for any such name, ours for alphanumeric ones),
        # which takes a second under TCG: those stay rare.
        x = r.random()
        if x < 0.94:
            return r.choice(known).encode() + b"\0"
        if x < 0.955:  # unterminated
            return r.choice(known).encode()
        if x < 0.98:  # huge
            return (r.choice([b"A", b"rr", b"\xff", b"%s%n"]) * r.randrange(8, 2000))[: r.randrange(16, 4000)] + (b"\0" if r.random() < 0.5 else b"")
        if x < 0.99:  # at the limits around 16 (15 fits, and then modprobe)
            return b"w" * r.choice([15, 16, 16, 16, 17, 17, 17, 31, 32, 64]) + b"\0"
        if x < 0.995:  # empty, NUL inside, not UTF-8
            return r.choice([b"\0", b"", b"r\0r\0", b"\0rr\0", b"\xc3(\0", b"\xff\xfe\0"])
        if x < 0.9995:  # not alphanumeric
            return r.choice([b"r-r\0", b"rr \0", b"../rr\0", b"wrr!\0", b"w.rr\0"])
        return b"nosuchsched\0"

    def svc_key(self):
        """The identifying attributes of a service: mostly the baseline's."""
        r = self.rng
        x = r.random()
        if x < 0.85:
            key = r.choice(self.svc_keys)
        elif x < 0.95:
            key = r.choice([("v4", r.choice([TCP, UDP, SCTP]), ip4(f"10.5.0.{r.randrange(1, 9)}"), r.choice([80, 0, 65535])),
                            ("v6", r.choice([TCP, UDP]), ip6(f"2001:db8:5::{r.randrange(1, 9)}"), 80),
                            ("fw", r.choice([AF_INET, AF_INET6]), r.choice([3, 4, 0, 0x7FFFFFFF]))])
        else:
            key = ("raw",)
        if key[0] == "v4":
            return [node(S_AF, u16(AF_INET)), node(S_PROTOCOL, u16(key[1])),
                    node(S_ADDR, key[2]), node(S_PORT, be16(key[3]))]
        if key[0] == "v6":
            return [node(S_AF, u16(AF_INET6)), node(S_PROTOCOL, u16(key[1])),
                    node(S_ADDR, key[2]), node(S_PORT, be16(key[3]))]
        if key[0] == "fw":
            return [node(S_AF, u16(key[1])), node(S_FWMARK, u32(key[2]))]
        # Out of range: family, protocol, address length, both fwmark and address.
        nodes = [node(S_AF, u16(r.choice([0, 1, 2, 10, 3, 0xFFFF, r.getrandbits(16)]))),
                 node(S_PROTOCOL, u16(r.choice([0, 1, 6, 17, 132, 50, 255, 0xFFFF]))),
                 node(S_ADDR, r.randbytes(r.choice([0, 1, 4, 15, 16, 17, 32]))),
                 node(S_PORT, be16(r.getrandbits(16)))]
        if r.random() < 0.5:
            nodes.append(node(S_FWMARK, u32(r.getrandbits(32))))
        return nodes

    def svc_full(self):
        r = self.rng
        nodes = self.svc_key()
        flags = r.choice([0, 1, 4, 8, 16, 0x18, 0x3F, r.getrandbits(32)])
        mask = r.choice([0xFFFFFFFF, 0, flags, r.getrandbits(32)])
        nodes += [node(S_SCHED_NAME, self.name(self.scheds)),
                  node(S_FLAGS, u32(flags) + u32(mask)),
                  node(S_TIMEOUT, u32(r.choice([0, 1, 300, 0x7FFFFFFF, 0xFFFFFFFF]))),
                  node(S_NETMASK, u32(r.choice([0xFFFFFFFF, 0xFFFFFF00, 0, 1, 64, 128, 129,
                                                r.getrandbits(32)])))]
        if r.random() < 0.1:
            # Never "sip": C IPVS would load ip_vs_pe_sip (and conntrack).
            nodes.append(node(S_PE_NAME, self.name(["nosuchpe", "x"])))
        if r.random() < 0.05:
            nodes.append(node(r.choice([S_STATS, S_STATS64]), self.garbage_nest(2)))
        r.shuffle(nodes)
        return nodes

    def dest_addr(self):
        r = self.rng
        x = r.random()
        if x < 0.6 and self.dests:
            d = r.choice(self.dests)
            return d[1], d[2], d[3]
        if x < 0.8:
            return AF_INET, ip4(f"10.4.0.{r.randrange(1, 9)}"), r.choice([80, 0])
        if x < 0.9:
            return AF_INET6, ip6(f"2001:db8:4::{r.randrange(1, 9)}"), 80
        return r.choice([0, 1, 3, 0xFFFF]), r.randbytes(r.choice([0, 3, 4, 16, 20])), r.getrandbits(16)

    def dest(self, full):
        r = self.rng
        af, addr, port = self.dest_addr()
        nodes = [node(D_ADDR, addr), node(D_PORT, be16(port))]
        if r.random() < 0.6:
            nodes.append(node(D_ADDR_FAMILY, u16(af if r.random() < 0.9 else r.choice([0, 2, 10, 7]))))
        if full:
            u = r.choice([0, 0, 10, 100, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF])
            low = r.choice([0, 0, 5, 10, 200, 0xFFFFFFFF])
            nodes += [node(D_FWD_METHOD, u32(r.choice([0, 1, 2, 3, 4, 5, 7, 0x102, r.getrandbits(32)]))),
                      node(D_WEIGHT, u32(r.choice([0, 1, 5, 100, 65535, 0x7FFFFFFF, -1, -5]))),
                      node(D_U_THRESH, u32(u)), node(D_L_THRESH, u32(low))]
            if r.random() < 0.4:
                nodes.append(node(D_TUN_TYPE, u8(r.choice([0, 1, 2, 3, 255]))))
            if r.random() < 0.4:
                nodes.append(node(D_TUN_PORT, be16(r.choice([0, 6080, 65535]))))
            if r.random() < 0.4:
                nodes.append(node(D_TUN_FLAGS, u16(r.choice([0, 1, 2, 3, 4, 7, 0xFFFF]))))
            if r.random() < 0.05:
                nodes.append(node(r.choice([D_ACTIVE_CONNS, D_INACT_CONNS, D_PERSIST_CONNS]),
                                  u32(r.getrandbits(32))))
        r.shuffle(nodes)
        return nodes

    def daemon(self, full):
        r = self.rng
        nodes = [node(DM_STATE, u32(r.choice([1, 2, 3, 0, 4, 0xFFFFFFFF])))]
        if full or r.random() < 0.3:
            # "lo" rarely: C IPVS would start a sync thread there.
            nodes += [node(DM_MCAST_IFN, self.name(["nosuchdev0"] * 30 + ["lo"])),
                      node(DM_SYNC_ID, u32(r.choice([0, 1, 255, 256, 0xFFFFFFFF])))]
            for t, v in ((DM_SYNC_MAXLEN, u16(r.choice([0, 1, 1500, 65535]))),
                         (DM_MCAST_GROUP, r.choice([ip4("224.0.0.81"), ip4("10.0.0.1"), b"\0\0\0\0"])),
                         (DM_MCAST_GROUP6, r.choice([ip6("ff02::1"), ip6("2001:db8::1")])),
                         (DM_MCAST_PORT, be16(r.choice([0, 8848, 65535]))),
                         (DM_MCAST_TTL, u8(r.choice([0, 1, 255])))):
                if r.random() < 0.3:
                    nodes.append(node(t, v))
        r.shuffle(nodes)
        return nodes

    def garbage_nest(self, depth):
        r = self.rng
        nodes = []
        for _ in range(r.randrange(0, 5)):
            t = r.randrange(0, 20) | r.choice([0, 0, NLA_F_NESTED, NLA_F_NET_BYTEORDER])
            if depth > 0 and r.random() < 0.3:
                nodes.append(node(t, self.garbage_nest(depth - 1)))
            else:
                nodes.append(node(t, r.randbytes(r.choice([0, 1, 2, 3, 4, 8, 16, 17, 40]))))
        return nodes

    # ---- commands ---------------------------------------------------------

    # No FLUSH: run() sends one now and then (each costs many changes).
    COMMANDS = ([NEW_SERVICE] * 8 + [SET_SERVICE] * 6 + [DEL_SERVICE] * 2 + [GET_SERVICE] * 8 +
                [NEW_DEST] * 10 + [SET_DEST] * 7 + [DEL_DEST] * 3 + [GET_DEST] * 6 +
                [NEW_DAEMON] * 2 + [DEL_DAEMON] * 2 + [GET_DAEMON] * 2 + [SET_CONFIG] * 4 +
                [GET_CONFIG] * 2 + [GET_INFO] * 2 + [ZERO] * 3 + [SET_INFO, CMD_UNSPEC])

    def attrs_for(self, cmd):
        r = self.rng
        if cmd in (NEW_SERVICE, SET_SERVICE):
            return [node(A_SERVICE, self.svc_full())]
        if cmd in (DEL_SERVICE, GET_SERVICE, GET_DEST):
            return [node(A_SERVICE, self.svc_key())]
        if cmd in (NEW_DEST, SET_DEST, DEL_DEST):
            return [node(A_SERVICE, self.svc_key()), node(A_DEST, self.dest(cmd != DEL_DEST))]
        if cmd in (NEW_DAEMON, DEL_DAEMON):
            return [node(A_DAEMON, self.daemon(cmd == NEW_DAEMON))]
        if cmd == SET_CONFIG:
            vals = [0, 1, 900, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]
            return [node(t, u32(r.choice(vals))) for t in (A_TIMEOUT_TCP, A_TIMEOUT_TCP_FIN, A_TIMEOUT_UDP)
                    if r.random() < 0.7]
        if cmd == ZERO and r.random() < 0.5:
            return [node(A_SERVICE, self.svc_key())]
        if r.random() < 0.2:
            return self.garbage_nest(2)
        return []

    def all_lists(self, nodes, acc):
        acc.append(nodes)
        for n in nodes:
            if isinstance(n[1], list):
                self.all_lists(n[1], acc)
        return acc

    def mutate(self, nodes):
        """One mutation of the attribute tree, in place."""
        r = self.rng
        lists = self.all_lists(nodes, [])
        where = r.choice(lists)
        if not where:
            where.append(node(r.randrange(0, 20), r.randbytes(r.randrange(0, 9))))
            return
        i = r.randrange(len(where))
        n = where[i]
        op = r.randrange(13)
        if op == 0:  # missing
            del where[i]
        elif op == 1:  # duplicate, same or another value
            dup = [n[0], n[1] if r.random() < 0.5 else self.interesting(r.choice([1, 2, 4, 8, 16])), None]
            where.insert(r.randrange(len(where) + 1), dup)
        elif op == 2:  # truncated
            if isinstance(n[1], bytes):
                n[1] = n[1][: r.randrange(len(n[1]) + 1)] if n[1] else b""
            else:
                n[1] = encode(n[1])[: r.randrange(1, 64)]
        elif op == 3:  # longer than its type
            n[1] = (n[1] if isinstance(n[1], bytes) else encode(n[1])) + r.randbytes(r.choice([1, 2, 3, 4, 13, 100]))
        elif op == 4:  # wrong type, flag bits
            n[0] = r.choice([0, n[0] + 1, max(n[0] - 1, 0), r.randrange(0, 40), 0x3FFF, 0xFFFF,
                             n[0] | NLA_F_NESTED, n[0] | NLA_F_NET_BYTEORDER])
        elif op == 5:  # random payload
            n[1] = r.randbytes(r.choice([0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 64, 300, 1000]))
        elif op == 6:  # out-of-range value of the same size
            if isinstance(n[1], bytes):
                n[1] = self.interesting(len(n[1]))
        elif op == 7:  # nested garbage where anything is
            n[1] = self.garbage_nest(3)
        elif op == 8:  # nla_len shorter than the header, or past the end
            n[2] = r.choice([0, 1, 2, 3, 4 + len(n[1]) + r.choice([1, 4, 100, 4000]) if isinstance(n[1], bytes) else 0xFFFF,
                             0xFFFF, r.getrandbits(16)])
        elif op == 9:  # deep nest
            deep = r.randbytes(4)
            for _ in range(r.randrange(2, 40)):
                deep = [node(r.choice([n[0], 1, 2]) | NLA_F_NESTED, deep)]
            n[1] = deep
        elif op == 10:  # extra unknown attributes
            where.append(node(r.randrange(0, 0x4000), r.randbytes(r.randrange(0, 20))))
        elif op == 11:  # reordered
            r.shuffle(where)
        else:  # a name where a name is
            n[1] = self.name(self.scheds)

    def build(self, last=True, cmd=None, mutations=None):
        """One message: (bytes, command). Only the `last` of a send may
        have a false nlmsg_len or be cut short (the kernel stops there)."""
        r = self.rng
        if cmd is None:
            cmd = r.choice(self.COMMANDS) if r.random() < 0.97 else r.choice([0, 14] + list(range(18, 256)))
        nodes = self.attrs_for(cmd) if cmd < 18 else self.garbage_nest(2)
        if mutations is None:
            mutations = 0 if r.random() < 0.35 else r.choice([1, 1, 1, 2, 2, 3])
        for _ in range(mutations):
            self.mutate(nodes)
        body = encode(nodes)
        flags = NLM_F_REQUEST | (NLM_F_ACK if r.random() < 0.6 else 0)
        # A dump of the baseline costs as much as 30 other messages: they
        # are about half a percent of the messages.
        if cmd in (GET_SERVICE, GET_DEST, GET_DAEMON) and r.random() < 0.05:
            flags |= NLM_F_DUMP
        x = r.random()
        if x < 0.003:
            flags |= NLM_F_DUMP
        elif x < 0.05:
            flags = r.getrandbits(16) & ~NLM_F_ROOT if r.random() < 0.9 else r.getrandbits(16)
        seq = self.seq = (self.seq + 1) & 0xFFFFFFFF
        self.cmd_of_seq[seq] = cmd
        version, reserved, family = 1, 0, self.family
        x = r.random()
        if x < 0.03:
            version = r.getrandbits(8)
        elif x < 0.05:
            reserved = r.getrandbits(16)
        elif x < 0.07:
            family = r.choice([NLMSG_NOOP, NLMSG_ERROR, NLMSG_DONE, NLMSG_OVERRUN, 0, 5, 0xF])
        msg = nlmsg(family, flags, seq, cmd, body, version, reserved, pid=r.choice([0, 0, 0, 1, os.getpid()]))
        x = r.random() if last else 1
        if x < 0.04:  # nlmsg_len smaller than the message or than its headers
            msg = struct.pack("=I", r.choice([0, 1, 15, 16, 17, 19, 20, max(20, len(msg) - r.randrange(1, 8))])) + msg[4:]
        elif x < 0.07:  # larger than what is sent
            msg = struct.pack("=I", len(msg) + r.choice([1, 4, 100, 1 << 16, 0xFFFFFFFF - len(msg)])) + msg[4:]
        elif x < 0.10:  # the bytes cut short (the length left as it was)
            msg = msg[: r.randrange(0, len(msg))]
        return msg, cmd

    def pooled(self, last):
        """A message built earlier, some bytes changed: cheaper than a new
        one, and it reaches what exact lengths and offsets guard."""
        r = self.rng
        msg, cmd = r.choice(self.pool)
        msg = bytearray(msg)
        n = len(msg)
        if n >= 20:
            seq = self.seq = (self.seq + 1) & 0xFFFFFFFF
            self.cmd_of_seq[seq] = cmd
            struct.pack_into("=I", msg, 8, seq)
        for _ in range(r.choice([1, 1, 1, 2, 3, 6])):
            x = r.random()
            if n <= 20 or (x < 0.1 and not last):
                break
            if x < 0.1:  # nlmsg_len
                struct.pack_into("=I", msg, 0, r.choice([0, 16, 19, 20, n - 1, n + 1, n + 4, 0xFFFF, r.getrandbits(32)]))
            elif x < 0.4:  # an nla_len or nla_type, where one may be
                off = 20 + 4 * r.randrange((n - 20) // 4) if n >= 24 else 20
                off += 2 * (r.random() < 0.3)
                if off + 2 <= n:
                    struct.pack_into("=H", msg, off, r.choice([0, 1, 3, 4, 5, 8, 0x7FFF, 0xFFFF, r.getrandbits(16)]))
            elif x < 0.5:  # the command (never FLUSH), the version
                msg[16 + (r.random() < 0.3)] = r.choice([0, 14, r.randrange(18, 256)] + self.COMMANDS)
            elif x < 0.6:  # the flags (rarely a dump: they cost)
                struct.pack_into("=H", msg, 6, (r.getrandbits(16) & ~NLM_F_ROOT) | NLM_F_REQUEST)
            else:  # any byte of the attributes (not a letter or digit,
                # which could make a scheduler name IPVS tries to load)
                msg[r.randrange(20, n)] = r.choice(NOT_ALNUM)
        if last and r.random() < 0.02:
            del msg[r.randrange(n):]
        return bytes(msg)

    def random_bytes(self):
        """A message of random bytes, still addressed to this family."""
        r = self.rng
        msg = bytearray(r.randbytes(r.choice([0, 1, 4, 15, 16, 19, 20, 21, 24, 32, 64, 200, 512, 2000])))
        if len(msg) >= 6 and r.random() < 0.95:
            msg[4:6] = u16(self.family if r.random() < 0.8 else r.randrange(0, 0x10))
        if len(msg) >= 4 and r.random() < 0.7:
            msg[0:4] = u32(len(msg))
        if len(msg) >= 8 and r.random() < 0.7:
            msg[6:8] = u16(NLM_F_REQUEST | (r.getrandbits(16) & ~NLM_F_DUMP if r.random() < 0.5 else NLM_F_ACK))
        if len(msg) >= 17 and r.random() < 0.5:
            msg[16] = r.randrange(0, 20)
        return bytes(msg)

    # ---- sending and receiving --------------------------------------------

    def send(self, sock, buf):
        self.recent.append(buf)
        del self.recent[:-16]
        self.sends += 1
        t = time.perf_counter() if self.profile is not None else 0
        try:
            sock.send(buf)
        except OSError as e:
            # The kernel refuses some buffers outright (an empty one).
            self.note(-1, e.errno)
        if self.profile is not None:
            if len(buf) >= 20:
                kind = (buf[16], struct.unpack_from("=H", buf, 6)[0] & NLM_F_DUMP == NLM_F_DUMP)
            else:
                kind = ("short", False)
            dt = time.perf_counter() - t
            n, total = self.profile.get(kind, (0, 0.0))
            self.profile[kind] = (n + 1, total + dt)
            self.slowest.append((dt, buf))
            if len(self.slowest) > 50:
                self.slowest.sort(key=lambda x: -x[0])
                del self.slowest[10:]
        self.check_kmsg()

    def note(self, cmd, err):
        k = (cmd, err)
        self.errors[k] = self.errors.get(k, 0) + 1

    def drain(self, sock, bufsize=65536, check=True, limit=100000):
        """Reads every reply there is, without blocking; returns them."""
        if self.profile is not None:
            t = time.perf_counter()
            replies = self._drain(sock, bufsize, check, limit)
            n, total = self.profile.get(("(reading replies)", False), (0, 0.0))
            self.profile[("(reading replies)", False)] = (n + 1, total + time.perf_counter() - t)
            return replies
        return self._drain(sock, bufsize, check, limit)

    def _drain(self, sock, bufsize, check, limit):
        replies = []
        for _ in range(limit):
            try:
                data, _, flags, _ = sock.recvmsg(bufsize)
            except BlockingIOError:
                break
            except OSError as e:
                if e.errno == errno.ENOBUFS:
                    self.enobufs += 1
                    continue
                raise
            if flags & socket.MSG_TRUNC:
                self.truncated += 1
                continue
            if check:
                self.check_reply(data, replies)
        return replies

    def anomaly(self, what, data):
        if len(self.anomalies) < 20:
            self.anomalies.append(f"{what}: {data[:200].hex()}")

    def check_reply(self, data, replies):
        off = 0
        while off < len(data):
            if len(data) - off < 16:
                return self.anomaly("reply shorter than a netlink header", data)
            n, kind, flags, seq, _ = struct.unpack_from("=IHHII", data, off)
            if n < 16 or off + n > len(data):
                return self.anomaly(f"reply nlmsg_len {n} at {off} of {len(data)}", data)
            msg = data[off:off + n]
            off += (n + 3) & ~3
            cmd = self.cmd_of_seq.get(seq, -2)
            if kind == NLMSG_ERROR:
                if n < 20:
                    return self.anomaly("error reply without errno", msg)
                (err,) = struct.unpack_from("=i", msg, 16)
                if err > 0 or err < -4095:
                    self.anomaly(f"error reply with errno {err}", msg)
                self.note(cmd, -err)
            elif kind == NLMSG_DONE:
                self.note(cmd, "done")
            elif kind == self.family:
                if n < 20:
                    self.anomaly("reply without a genetlink header", msg)
                    continue
                rcmd = msg[16]
                if rcmd not in (NEW_SERVICE, NEW_DEST, NEW_DAEMON, SET_CONFIG, SET_INFO):
                    self.anomaly(f"reply of command {rcmd}", msg)
                attrs = parse(msg[20:])
                if attrs is None:
                    self.anomaly("reply attributes do not parse", msg)
                    continue
                nest = {NEW_SERVICE: A_SERVICE, NEW_DEST: A_DEST, NEW_DAEMON: A_DAEMON}.get(rcmd)
                if nest is not None and (nest not in attrs or parse(attrs[nest]) is None):
                    self.anomaly(f"reply {CMD_NAMES[rcmd]} without a nest that parses", msg)
                replies.append((rcmd, attrs))
                self.note(cmd, f"reply{rcmd}")
            else:
                self.anomaly(f"reply of netlink type {kind}", msg)
        return None

    def check_kmsg(self):
        if self.kmsg is None:
            return
        while True:
            try:
                rec = os.read(self.kmsg, 8192)
            except BlockingIOError:
                return
            except BrokenPipeError:  # records overwritten before we read them
                self.kmsg_lost += 1
                continue
            except OSError as e:
                if e.errno == errno.EPIPE:
                    self.kmsg_lost += 1
                    continue
                raise
            if not rec:
                return
            head, _, text = rec.decode("utf-8", "replace").partition(";")
            prio = int(head.split(",")[0])
            if prio >> 3 != 0 and not self.kmsg_any:  # a user's /dev/kmsg write
                continue
            line = text.split("\n")[0]
            # A complaint, and the 40 lines after it (its report).
            if BAD.search(line):
                self.complaints.append(line)
                self.context = 40
                if len(self.complaints) == 1 and not self.quiet:
                    self.report_complaint(line)
                    continue
            elif self.context > 0:
                self.context -= 1
            else:
                continue
            self.printed += 1
            if not self.quiet and self.printed <= 100:
                print(f"    {self.tag}dmesg| {line}", flush=True)

    def report_complaint(self, line):
        print(f"{self.tag}KERNEL COMPLAINT after send {self.sends} (message {self.sent_msgs}): {line}", flush=True)
        path = os.path.join(self.out, "nl_fuzz-repro" + (f"-{self.tag.strip('[] ')}" if self.tag else "") + ".txt")
        try:
            with open(path, "w") as f:
                f.write(f"# family {self.family}; the last {len(self.recent)} sends, oldest first\n")
                for b in self.recent:
                    f.write(b.hex() + "\n")
            print(f"  the last {len(self.recent)} sends: {path} (nl_fuzz.py --replay {path})", flush=True)
        except OSError:
            pass
        self.repro = [f"{self.tag}the last sends before the first complaint (oldest first; family id {self.family}):"]
        self.repro += [f"    bytes.fromhex({b.hex()!r})" for b in self.recent[-4:]]
        print("\n".join(self.repro), flush=True)

    # ---- the run ----------------------------------------------------------

    def svc_msg(self, svc):
        key, sched, flags, timeout, netmask = svc
        if key[0] == "fw":
            nodes = [node(S_AF, u16(key[1])), node(S_FWMARK, u32(key[2]))]
        else:
            nodes = [node(S_AF, u16(AF_INET if key[0] == "v4" else AF_INET6)), node(S_PROTOCOL, u16(key[1])),
                     node(S_ADDR, key[2].ljust(16, b"\0")), node(S_PORT, be16(key[3]))]
        nodes += [node(S_SCHED_NAME, sched.encode() + b"\0"), node(S_FLAGS, u32(flags) + u32(0xFFFFFFFF)),
                  node(S_TIMEOUT, u32(timeout)), node(S_NETMASK, u32(netmask))]
        return nodes

    def setup(self, strict):
        """(Re)creates the baseline; with `strict`, every command must work."""
        msgs = []
        for svc in self.svcs:
            msgs.append((NEW_SERVICE, [node(A_SERVICE, self.svc_msg(svc))]))
        by_key = {s[0]: s for s in self.svcs}
        for key, af, addr, port, fwd, weight in self.dests:
            svc = self.svc_msg(by_key[key])[:4 if key[0] != "fw" else 2]
            d = [node(D_ADDR, addr.ljust(16, b"\0")), node(D_PORT, be16(port)), node(D_ADDR_FAMILY, u16(af)),
                 node(D_FWD_METHOD, u32(fwd)), node(D_WEIGHT, u32(weight)),
                 node(D_U_THRESH, u32(0)), node(D_L_THRESH, u32(0))]
            msgs.append((NEW_DEST, [node(A_SERVICE, svc), node(A_DEST, d)]))
        failed = []
        for i in range(0, len(msgs), 8):
            chunk = msgs[i:i + 8]
            buf = b""
            for cmd, nodes in chunk:
                self.seq += 1
                self.cmd_of_seq[self.seq] = cmd
                buf += nlmsg(self.family, NLM_F_REQUEST | NLM_F_ACK, self.seq, cmd, encode(nodes))
            self.send(self.sock, buf)
            self.setup_msgs += len(chunk)
            data = self.drain_raw(self.sock)
            for err in data:
                if err not in (0, errno.EEXIST):
                    failed.append(err)
        if strict and failed:
            sys.exit(f"nl_fuzz: setting up the baseline failed: errno {sorted(set(failed))}")

    def drain_raw(self, sock):
        """The errno of every ack or error waiting on `sock` (acks are
        queued before send returns)."""
        errs = []
        while True:
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                break
            off = 0
            while off + 20 <= len(data):
                n, kind = struct.unpack_from("=IH", data, off)
                if kind == NLMSG_ERROR:
                    errs.append(-struct.unpack_from("=i", data, off + 16)[0])
                off += max((n + 3) & ~3, 16)
        return errs

    def dump_services(self):
        """A full dump of the services; every one must parse."""
        self.seq += 1
        self.cmd_of_seq[self.seq] = GET_SERVICE
        self.send(self.sock, nlmsg(self.family, NLM_F_REQUEST | NLM_F_DUMP, self.seq, GET_SERVICE, b""))
        self.setup_msgs += 1
        replies = self.drain(self.sock)
        n = 0
        for rcmd, attrs in replies:
            if rcmd != NEW_SERVICE:
                continue
            svc = parse(attrs.get(A_SERVICE, b""))
            if svc is None or S_AF not in svc or S_SCHED_NAME not in svc:
                self.anomaly("dumped service without family or scheduler", attrs.get(A_SERVICE, b""))
            n += 1
        return n

    def abandoned_dump(self):
        """A dump on a side socket, read partly now, later, or never."""
        r = self.rng
        if len(self.side) >= 4 or (self.side and r.random() < 0.5):
            s = self.side.pop(r.randrange(len(self.side)))
            if r.random() < 0.5:
                self.drain(s, 4096)  # the rest, after changes in between
                self.dumps_resumed += 1
            s.close()
            self.dumps_abandoned += 1
            return
        s = self.new_socket(rcvbuf=r.choice([4096, 65536, 1 << 20]))
        cmd = r.choice([GET_SERVICE, GET_SERVICE, GET_DEST, GET_DAEMON])
        nodes = [node(A_SERVICE, self.svc_msg(self.svcs[0])[:4])] if cmd == GET_DEST else []
        self.seq += 1
        self.cmd_of_seq[self.seq] = cmd
        self.send(s, nlmsg(self.family, NLM_F_REQUEST | NLM_F_DUMP, self.seq, cmd, encode(nodes)))
        self.sent_msgs += 1
        if r.random() < 0.7:
            try:
                s.recv(4096)
            except OSError:
                pass
        self.side.append(s)

    def set_up_baseline(self):
        """The baseline, all of it: else the run is not worth much."""
        self.setup(strict=True)
        listed = self.dump_services()
        if listed != len(self.svcs):
            sys.exit(f"nl_fuzz: the baseline dump lists {listed} services, not {len(self.svcs)}")

    def run(self, count, progress):
        r = self.rng
        # A flush every 10,000 messages (the first at 7,500): mutated
        # commands add services and real servers, and a larger table makes
        # every change and dump cost more. What is missing of the baseline
        # comes back every 5,000.
        next_setup, next_flush, next_report = 5000, 7500, progress
        start = time.monotonic()
        while self.sent_msgs < count:
            if self.sent_msgs >= next_flush:
                next_flush += 10000
                self.seq += 1
                self.cmd_of_seq[self.seq] = FLUSH
                self.send(self.sock, nlmsg(self.family, NLM_F_REQUEST | NLM_F_ACK, self.seq, FLUSH, b""))
                self.sent_msgs += 1
                self.drain(self.sock)
            x = r.random()
            if x < 0.01:
                self.abandoned_dump()
            elif x < 0.04:
                self.send(self.sock, self.random_bytes())
                self.sent_msgs += 1
                self.drain(self.sock)
            else:
                n = 1 if r.random() < 0.2 or self.profile is not None else r.randrange(2, 17)
                parts = []
                for i in range(n):
                    if i == n - 1 and r.random() < 0.1:
                        parts.append(self.random_bytes())
                        continue
                    if r.random() < 0.7 and self.pool:
                        parts.append(self.pooled(i == n - 1))
                        continue
                    msg, cmd = self.build(i == n - 1)
                    parts.append(msg)
                    if len(self.pool) < 2000:
                        self.pool.append((msg, cmd))
                    else:
                        self.pool[r.randrange(2000)] = (msg, cmd)
                buf = b"".join(parts)
                self.send(self.sock, buf)
                self.sent_msgs += n
                self.drain(self.sock)
            if self.sent_msgs >= next_setup:
                next_setup += 5000
                self.setup(strict=False)
                self.dump_services()
            if self.sent_msgs >= next_report:
                next_report += progress
                t = time.monotonic() - start
                print(f"  {self.tag}{self.sent_msgs} messages, {t:.0f} s, {self.sent_msgs / t:.0f}/s", flush=True)
            if len(self.cmd_of_seq) > 4096:
                self.cmd_of_seq.clear()
        for s in self.side:
            s.close()
        self.side = []
        elapsed = time.monotonic() - start
        self.dump_services()
        time.sleep(0.5)
        self.check_kmsg()
        return elapsed


def parse(data):
    """Attributes by type (last one wins); None if the stream is malformed."""
    out = {}
    while len(data) >= 4:
        n, t = struct.unpack_from("=HH", data)
        if n < 4 or n > len(data):
            return None
        out[t & 0x3FFF] = data[4:n]
        data = data[(n + 3) & ~3:]
    return out


def open_kmsg():
    """/dev/kmsg, read from its end on; None if it cannot be read."""
    try:
        fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
        os.lseek(fd, 0, os.SEEK_END)
        return fd
    except OSError as e:
        print(f"nl_fuzz: cannot read /dev/kmsg ({e}): the kernel log is not checked", file=sys.stderr)
        return None


def resolve(sock):
    name = b"IPVS\0"
    attrs = encode([node(CTRL_ATTR_FAMILY_NAME, name)])
    sock.setblocking(True)
    sock.settimeout(10)
    sock.send(nlmsg(GENL_ID_CTRL, NLM_F_REQUEST, 1, CTRL_CMD_GETFAMILY, attrs))
    reply = sock.recv(65536)
    sock.setblocking(False)
    _, kind = struct.unpack_from("=IH", reply)
    if kind == NLMSG_ERROR:
        (err,) = struct.unpack_from("=i", reply, 16)
        sys.exit(f"nl_fuzz: no IPVS family: {os.strerror(-err)}")
    return struct.unpack("=H", parse(reply[20:])[CTRL_ATTR_FAMILY_ID][:2])[0]


def replay(path):
    """Sends each hex line of `path` (as written after a complaint)."""
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    family = resolve(sock)
    old = None
    with open(path) as f:
        lines = f.read().splitlines()
    for line in lines:
        if line.startswith("# family "):
            old = int(line.split()[2].rstrip(";"))
            continue
        if not line or line.startswith("#"):
            continue
        buf = bytearray(bytes.fromhex(line))
        off = 0
        while old is not None and off + 16 <= len(buf):  # this boot's family id
            n, kind = struct.unpack_from("=IH", buf, off)
            if kind == old:
                buf[off + 4:off + 6] = u16(family)
            if n < 16:
                break
            off += (n + 3) & ~3
        try:
            sock.send(bytes(buf))
        except OSError as e:
            print(f"send: {e}")
        time.sleep(0.05)
        while True:
            try:
                sock.recv(65536, socket.MSG_DONTWAIT)
            except OSError:
                break
    print(f"replayed {len(lines)} lines")


def summary(fz, elapsed):
    """Prints what worker `fz` did; returns its exit status."""
    w = fz.tag
    print(f"nl_fuzz: {w}{fz.sent_msgs} messages in {fz.sends} sends, {elapsed:.1f} s, "
          f"{fz.sent_msgs / elapsed:.0f} messages/s (plus {fz.setup_msgs} baseline and check messages)")
    print(f"nl_fuzz: {w}{fz.dumps_abandoned} dumps abandoned ({fz.dumps_resumed} read to the end later), "
          f"{fz.enobufs} ENOBUFS, {fz.truncated} truncated replies, {fz.kmsg_lost} kernel-log gaps; "
          "replies by command sent (ok: an ack; replyN: a message of command N; done: a dump's end):")
    by_cmd = {}
    for (cmd, err), n in fz.errors.items():
        if isinstance(cmd, int) and cmd > FLUSH:
            cmd = 99  # the numbers IPVS does not have, together
        by_cmd.setdefault(cmd, []).append((err, n))
    for cmd in sorted(by_cmd):
        name = CMD_NAMES[cmd] if 0 <= cmd < len(CMD_NAMES) else {-1: "send", -2: "unknown seq", 99: "18-255"}[cmd]
        merged = {}
        for e, n in by_cmd[cmd]:
            merged[e] = merged.get(e, 0) + n
        outcomes = ", ".join(f"{errno.errorcode.get(e, e) if isinstance(e, int) and e else ('ok' if e == 0 else e)}={n}"
                             for e, n in sorted(merged.items(), key=lambda x: -x[1]))
        print(f"  {w}{name}: {outcomes}")
    if fz.profile:
        print(f"nl_fuzz: {w}time in send (kernel) by command of the message, dump or not:")
        for (cmd, dump), (n, total) in sorted(fz.profile.items(), key=lambda x: -x[1][1])[:30]:
            name = CMD_NAMES[cmd] if isinstance(cmd, int) and cmd < len(CMD_NAMES) else cmd
            print(f"  {w}{name}{' dump' if dump else ''}: {n} sends, {total:.2f} s, {total / n * 1000:.2f} ms each")
        print(f"nl_fuzz: {w}the slowest sends:")
        for dt, buf in sorted(fz.slowest, key=lambda x: -x[0])[:8]:
            print(f"  {w}{dt * 1000:.0f} ms: {buf[:120].hex()}")
    rc = 0
    if fz.anomalies:
        print(f"nl_fuzz: {w}{len(fz.anomalies)} malformed replies, first ones:")
        for a in fz.anomalies:
            print(f"  {w}{a}")
        rc = 1
    if fz.complaints:
        print(f"nl_fuzz: {w}the kernel complained ({len(fz.complaints)} times), first: {fz.complaints[0]}")
        print("\n".join(fz.repro))
        rc = 1
    sys.stdout.flush()
    return rc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=int(os.environ.get("NL_FUZZ_COUNT", 100000)))
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--procs", type=int, default=int(os.environ.get("NL_FUZZ_PROCS", 2)),
                    help="processes fuzzing the namespace at once (worker i: seed + i)")
    ap.add_argument("--scheds", default="rr", help="schedulers loaded before the run (comma-separated)")
    ap.add_argument("--out", default=os.environ.get("TMPDIR", "/tmp"))
    ap.add_argument("--progress", type=int, default=20000)
    ap.add_argument("--replay", metavar="FILE")
    args = ap.parse_args()
    if args.replay:
        return replay(args.replay)
    seed = args.seed
    if seed is None:
        seed = int(os.environ["NL_FUZZ_SEED"]) if os.environ.get("NL_FUZZ_SEED") else int.from_bytes(os.urandom(4), "little")
    procs = max(1, args.procs)
    print(f"nl_fuzz: seed={seed} count={args.count} procs={procs} (NL_FUZZ_SEED={seed} "
          f"NL_FUZZ_PROCS={procs} repeats this run, as far as racing processes can)", flush=True)
    probe = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    family = resolve(probe)
    probe.close()
    scheds = args.scheds.split(",")
    # This process reads the kernel log from now to the end; each worker
    # from its start, to tell its own last sends when the kernel complains.
    first = Fuzzer(random.Random(seed), family, scheds, args.out, open_kmsg())
    first.set_up_baseline()
    start = time.monotonic()
    # Worker i sends its share with seed + i in a process of its own; each
    # prints what it did and tells its count through a pipe.
    children = []
    for i in range(procs):
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(rfd)
            rc = 2
            try:
                share = args.count // procs + (i < args.count % procs)
                fz = Fuzzer(random.Random(seed + i), family, scheds, args.out, open_kmsg(),
                            f"[w{i}] " if procs > 1 else "")
                elapsed = fz.run(share, max(1, args.progress // procs))
                rc = summary(fz, elapsed)
                os.write(wfd, f"{fz.sent_msgs}\n".encode())
            finally:
                sys.stdout.flush()
                os._exit(rc)
        os.close(wfd)
        children.append((pid, rfd))
    rc, total = 0, 0
    for pid, rfd in children:
        with os.fdopen(rfd) as f:
            sent = f.read().strip()
        total += int(sent or 0)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code:
            rc = max(rc, code if code > 0 else 3)
    elapsed = time.monotonic() - start
    print(f"nl_fuzz: in all {total} messages from {procs} processes in {elapsed:.1f} s, "
          f"{total / elapsed:.0f} messages/s")
    # Everything the kernel logged since the baseline, the workers' time
    # and after (what they saw, they reported).
    time.sleep(1)
    first.quiet = True
    first.check_kmsg()
    if first.complaints:
        print(f"nl_fuzz: the kernel complained ({len(first.complaints)} times), first: {first.complaints[0]}")
        rc = max(rc, 1)
    return rc


if __name__ == "__main__":
    sys.exit(main())
