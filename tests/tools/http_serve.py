#!/usr/bin/env python3
"""HTTP/1.0 file server for the scenario tests: python's http.server, with
a listen backlog deep enough for hundreds of simultaneous connections.
A POST is answered with the SHA-256 of its body (hex), so uploads can be
checked. A GET of /hold answers with DIR's index.html (which names the
server) and then holds the response open, a byte every half second for
up to five minutes: a download in flight for as long as a test needs,
whatever the buffers between server and client hold.

Responses are buffered and leave in one write when the request is
done (a /hold body byte by byte, as it flushes): a server killed
mid-run has sent a response whole or not at all. (Unbuffered, the head
went out before the body, and a kill between the two cut a response
that had started: no switch can hide that from its client. The kill
test is about requests the dead server never answered.)

    http_serve.py [--http11] DIR [PORT]
        serve DIR on PORT (80), every address (IPv4 and IPv6); with
        --http11, HTTP/1.1 with keep-alive connections
"""
import functools
import hashlib
import http.server
import socket
import sys
import time


class Server(http.server.ThreadingHTTPServer):
    # IPv6 and IPv4 alike (a dual-stack socket).
    address_family = socket.AF_INET6
    request_queue_size = 1024


class Quiet(http.server.SimpleHTTPRequestHandler):
    # Head and body in one write, flushed after each request; larger
    # bodies go out in pieces of this size.
    wbufsize = 1 << 16

    def log_message(self, *args):
        pass

    def do_POST(self):
        left = int(self.headers.get("Content-Length", 0))
        digest = hashlib.sha256()
        while left > 0:
            chunk = self.rfile.read(min(left, 65536))
            if not chunk:
                break
            digest.update(chunk)
            left -= len(chunk)
        body = (digest.hexdigest() + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


    def do_GET(self):
        if self.path != "/hold":
            return super().do_GET()
        with open(self.translate_path("/index.html"), "rb") as f:
            name = f.read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(name) + 600))
        self.end_headers()
        try:
            self.wfile.write(name)
            self.wfile.flush()
            for _ in range(600):
                time.sleep(0.5)
                self.wfile.write(b".")
                self.wfile.flush()
        except OSError:
            pass
        self.close_connection = True


class KeepAlive(Quiet):
    protocol_version = "HTTP/1.1"


def main():
    args = sys.argv[1:]
    handler_class = Quiet
    if args[:1] == ["--http11"]:
        handler_class = KeepAlive
        args = args[1:]
    if len(args) not in (1, 2):
        sys.exit(__doc__)
    port = int(args[1]) if len(args) == 2 else 80
    handler = functools.partial(handler_class, directory=args[0])
    Server(("::", port), handler).serve_forever()


if __name__ == "__main__":
    main()
