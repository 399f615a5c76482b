#!/usr/bin/env python3
"""HTTP clients for the KTCPVS load tests, good and bad, many at once.

    http_load.py fetch HOST PORT PATH SHA256 CONNS [REQUESTS]
        CONNS connections at once, each asking REQUESTS (1) times for PATH
        on one keep-alive connection; every body must have SHA256. Prints
        "ok N failed M" and one line per failure; exits 1 if any failed.
    http_load.py abuse HOST PORT SLOW BIG BAD SECONDS
        SLOW clients that send a head one byte a second (slowloris), BIG
        ones that send a 64 KiB head, BAD ones that send a malformed head;
        prints what each kind got back within SECONDS: the status lines
        (or "closed" / "nothing"), counted.
"""
import asyncio
import collections
import hashlib
import sys
import time


async def read_response(reader):
    """A response's status and body (Content-Length or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    fields = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            fields[name.strip().lower()] = value.strip()
    if "content-length" in fields:
        body = await reader.readexactly(int(fields["content-length"]))
    elif fields.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            body += await reader.readexactly(size)
            await reader.readexactly(2)
    else:
        body = await reader.read()
    return status, body


async def fetch_one(host, port, path, sha, requests, failures, delays):
    try:
        start = time.monotonic()
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 60)
        delays.append(time.monotonic() - start)
        try:
            for i in range(requests):
                last = i == requests - 1
                writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n"
                             f"Connection: {'close' if last else 'keep-alive'}\r\n\r\n".encode())
                status, body = await asyncio.wait_for(read_response(reader), 120)
                if status != 200 or hashlib.sha256(body).hexdigest() != sha:
                    failures.append(f"status {status}, {len(body)} bytes")
                    return False
        finally:
            writer.close()
        return True
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError, ValueError) as e:
        failures.append(f"{type(e).__name__}: {e}")
        return False


async def fetch(host, port, path, sha, conns, requests=1):
    failures, delays = [], []
    results = await asyncio.gather(*(fetch_one(host, port, path, sha, requests, failures, delays) for _ in range(conns)))
    print(f"ok {sum(results)} failed {len(results) - sum(results)}")
    print(f"  slowest connect: {max(delays, default=0):.1f} s")
    for f in collections.Counter(failures).most_common():
        print(f"  {f[1]} x {f[0]}")
    return all(results)


async def answer(reader, seconds):
    try:
        line = await asyncio.wait_for(reader.readline(), seconds)
        return line.decode("latin-1").strip() or "closed"
    except asyncio.TimeoutError:
        return "nothing"
    except OSError:
        return "closed"


async def slow(host, port, seconds):
    reader, writer = await asyncio.open_connection(host, port)
    head = f"GET / HTTP/1.1\r\nHost: {host}\r\nX-Slow: " + "a" * 600

    async def dribble():
        try:
            for ch in head:
                writer.write(ch.encode())
                await writer.drain()
                await asyncio.sleep(1)
        except OSError:
            pass

    task = asyncio.ensure_future(dribble())
    got = await answer(reader, seconds)
    task.cancel()
    writer.close()
    return "slow: " + got


async def send_head(kind, head, host, port, seconds):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(head)
        await writer.drain()
    except OSError:
        pass
    got = await answer(reader, seconds)
    writer.close()
    return f"{kind}: {got}"


async def abuse(host, port, n_slow, n_big, n_bad, seconds):
    big = f"GET / HTTP/1.1\r\nHost: {host}\r\nX-Big: ".encode() + b"b" * 65536 + b"\r\n\r\n"
    bad = b"GET / HTTP/1.1\r\nHost x\r\nNo colon here\r\n\r\n"
    tasks = [slow(host, port, seconds) for _ in range(n_slow)]
    tasks += [send_head("big", big, host, port, seconds) for _ in range(n_big)]
    tasks += [send_head("bad", bad, host, port, seconds) for _ in range(n_bad)]
    for result, count in sorted(collections.Counter(await asyncio.gather(*tasks)).items()):
        print(f"{count} {result}")
    return True


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "fetch" and len(args) in (5, 6):
        ok = asyncio.run(fetch(args[0], int(args[1]), args[2], args[3], int(args[4]), int(args[5]) if len(args) == 6 else 1))
    elif mode == "abuse" and len(args) == 6:
        ok = asyncio.run(abuse(args[0], int(args[1]), *map(int, args[2:])))
    else:
        sys.exit(__doc__)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
