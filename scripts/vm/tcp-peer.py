#!/usr/bin/env python3
"""tcp-peer.py -- host-side TCP peers for guest-tcp.sh's half-close and reset checks.

Usage:
  tcp-peer.py answer-after-eof ADDR PORT FILE   [--conns N] [--lifetime S]
      For each connection: read until the client's FIN, answer with the sha256 (hex) of what
      came and a newline, wait half a second (the client has long stopped writing), then send
      FILE and close.
  tcp-peer.py reset-after ADDR PORT BYTES        [--conns N] [--lifetime S]
      For each connection: send BYTES random bytes, then close with SO_LINGER 0: a reset in the
      middle of the transfer (the client never gets a FIN).

Serves at most N connections (default 4), one at a time, and exits after S seconds (default
900) in any case. Binds ADDR only (the tests use 127.0.0.1 and ::1). Errors of one connection
are printed to stderr and do not stop the server.
"""
import argparse
import hashlib
import os
import socket
import struct
import sys
import time


def serve(args, handle):
    family = socket.AF_INET6 if ":" in args.addr else socket.AF_INET
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((args.addr, args.port))
    srv.listen(8)
    deadline = time.monotonic() + args.lifetime
    for _ in range(args.conns):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        srv.settimeout(left)
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            break
        conn.settimeout(max(1.0, deadline - time.monotonic()))
        try:
            handle(conn)
        except OSError as e:
            print(f"tcp-peer {args.mode} {args.addr}:{args.port}: {e}", file=sys.stderr)
        finally:
            conn.close()
    srv.close()


def answer_after_eof(args):
    with open(args.arg, "rb") as f:
        payload = f.read()

    def handle(conn):
        h = hashlib.sha256()
        while True:
            b = conn.recv(65536)
            if not b:
                break
            h.update(b)
        conn.sendall(h.hexdigest().encode() + b"\n")
        time.sleep(0.5)
        conn.sendall(payload)

    serve(args, handle)


def reset_after(args):
    n = int(args.arg)

    def handle(conn):
        conn.sendall(os.urandom(n))
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    serve(args, handle)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["answer-after-eof", "reset-after"])
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("arg", help="FILE (answer-after-eof) or BYTES (reset-after)")
    p.add_argument("--conns", type=int, default=4)
    p.add_argument("--lifetime", type=float, default=900)
    args = p.parse_args()
    (answer_after_eof if args.mode == "answer-after-eof" else reset_after)(args)


if __name__ == "__main__":
    main()
