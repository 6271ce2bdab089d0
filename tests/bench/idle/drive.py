#!/usr/bin/env python3
"""Idle POP3 connections for tests/bench/idle/run.sh (issue 14, item 6).

  drive.py wait PORT TIMEOUT_S [PID]   the POP3 greeting (bench_util.wait_banner)
  drive.py hold PORT N [--tls]         opens N connections, reads each greeting
      (over TLS from the first byte with --tls, as on 995), prints "held N" and
      keeps them open, silent, until stdin closes; then closes them all.
"""
import argparse
import os
import resource
import socket
import ssl
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from bench_util import HOST, add_wait_command, wait_banner  # noqa: E402


def hold(args):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    held = []
    for i in range(args.n):
        s = socket.create_connection((HOST, args.port), timeout=30)
        if args.tls:
            s = ctx.wrap_socket(s)
        data = b""
        while not data.endswith(b"\r\n"):
            chunk = s.recv(512)
            if not chunk:
                sys.exit(f"drive.py: connection {i + 1} closed before the greeting")
            data += chunk
        if not data.startswith(b"+OK"):
            sys.exit(f"drive.py: connection {i + 1}: {data[:100]!r}")
        held.append(s)
    print(f"held {len(held)}", flush=True)
    sys.stdin.read()
    for s in held:
        s.close()


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    add_wait_command(sub)
    h = sub.add_parser("hold")
    h.add_argument("port", type=int)
    h.add_argument("n", type=int)
    h.add_argument("--tls", action="store_true")
    args = ap.parse_args()
    if args.cmd == "wait":
        sys.exit(wait_banner(args.port, args.timeout, args.pid, b"+OK"))
    hold(args)


if __name__ == "__main__":
    main()
