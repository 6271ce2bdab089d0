#!/usr/bin/env python3
"""Idle POP3 and IMAP connections for tests/bench/idle/run.sh (issue 14, item 6; issue 15, item 5).

  drive.py [--imap] wait PORT TIMEOUT_S [PID]   the greeting (bench_util.wait_banner):
      "+OK", or "* OK" with --imap
  drive.py [--imap] hold PORT N [--tls | --starttls]   opens N connections,
      reads each greeting (over TLS from the first byte with --tls, as on 995
      and 993; with --starttls, after the greeting, STLS for POP3 or STARTTLS
      for IMAP, its OK, then the TLS handshake), prints "held N" and keeps them
      open, silent, until stdin closes; then closes them all.
"""
import argparse
import os
import resource
import socket
import ssl
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from bench_util import HOST, add_wait_command, wait_banner  # noqa: E402


def read_line(s, i):
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = s.recv(512)
        if not chunk:
            sys.exit(f"drive.py: connection {i + 1} closed before a whole line")
        data += chunk
    return data


def hold(args):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ok = b"* OK" if args.imap else b"+OK"
    starttls, started = (b"a STARTTLS\r\n", b"a OK") if args.imap else (b"STLS\r\n", b"+OK")
    held = []
    for i in range(args.n):
        s = socket.create_connection((HOST, args.port), timeout=30)
        if args.tls:
            s = ctx.wrap_socket(s)
        data = read_line(s, i)
        if not data.startswith(ok):
            sys.exit(f"drive.py: connection {i + 1}: {data[:100]!r}")
        if args.starttls:
            s.sendall(starttls)
            data = read_line(s, i)
            if not data.startswith(started):
                sys.exit(f"drive.py: connection {i + 1}: {starttls.decode().strip()}: {data[:100]!r}")
            s = ctx.wrap_socket(s)
        held.append(s)
    print(f"held {len(held)}", flush=True)
    sys.stdin.read()
    for s in held:
        s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--imap", action="store_true", help="IMAP, not POP3")
    sub = ap.add_subparsers(dest="cmd", required=True)
    add_wait_command(sub)
    h = sub.add_parser("hold")
    h.add_argument("port", type=int)
    h.add_argument("n", type=int)
    tls = h.add_mutually_exclusive_group()
    tls.add_argument("--tls", action="store_true")
    tls.add_argument("--starttls", action="store_true")
    args = ap.parse_args()
    if args.cmd == "wait":
        if args.imap:
            sys.exit(wait_banner(args.port, args.timeout, args.pid, b"* OK", b"a LOGOUT\r\n"))
        sys.exit(wait_banner(args.port, args.timeout, args.pid, b"+OK"))
    hold(args)


if __name__ == "__main__":
    main()
