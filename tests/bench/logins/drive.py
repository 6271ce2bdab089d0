#!/usr/bin/env python3
"""Store read latency during a burst of SHA512-CRYPT logins (issue 14, item 8); see run.sh.

  drive.py wait PORT TIMEOUT_S [PID]      the POP3 greeting (bench_util.wait_banner)
  drive.py deliver SMTP-PORT              one message of 4 KB to reader@sina.com
  drive.py measure POP3-PORT --burst N --seconds S
      A session logged in as reader does RETR 1 again and again, S seconds
      alone, then S seconds while N clients log in as burst1..burstN (each
      connect, USER, PASS, QUIT, again and again). Prints one line per phase:
      retr= count, p50= p95= max= in ms; logins= during the burst.
"""
import argparse
import os
import poplib
import smtplib
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from bench_util import HOST, add_wait_command, wait_banner  # noqa: E402


def deliver(args):
    body = "".join(f"line {i:04d} " + "x" * 60 + "\r\n" for i in range(56))
    msg = f"From: a@sina.com\r\nTo: reader@sina.com\r\nSubject: probe\r\n\r\n{body}"
    with smtplib.SMTP(HOST, args.port, timeout=10) as s:
        s.sendmail("a@sina.com", ["reader@sina.com"], msg)


def quantile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def measure(args):
    reader = poplib.POP3(HOST, args.port, timeout=30)
    reader.user("reader@sina.com")
    reader.pass_("reader123")

    def retr_for(seconds):
        took = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            t = time.monotonic()
            reader.retr(1)
            took.append((time.monotonic() - t) * 1000)
            time.sleep(0.005)  # a client reading, not a flood of its own
        return took

    quiet = retr_for(args.seconds)
    stop = threading.Event()
    logins = [0] * args.burst
    failures = [0] * args.burst

    def login_loop(k):
        while not stop.is_set():
            try:
                p = poplib.POP3(HOST, args.port, timeout=30)
                p.user(f"burst{k + 1}@sina.com")
                p.pass_("burst123")
                p.quit()
                logins[k] += 1
            except (poplib.error_proto, OSError):
                failures[k] += 1
                time.sleep(0.05)

    threads = [threading.Thread(target=login_loop, args=(k,), daemon=True) for k in range(args.burst)]
    for t in threads:
        t.start()
    time.sleep(0.5)  # the burst under way
    busy = retr_for(args.seconds)
    stop.set()
    for t in threads:
        t.join(35)
    reader.quit()
    for name, took in (("alone", quiet), ("burst", busy)):
        extra = f" logins={sum(logins)} refused={sum(failures)}" if name == "burst" else ""
        print(f"{name}: retr={len(took)} p50={quantile(took, 0.5):.1f} p95={quantile(took, 0.95):.1f} max={max(took):.1f}{extra}")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    add_wait_command(sub)
    d = sub.add_parser("deliver")
    d.add_argument("port", type=int)
    m = sub.add_parser("measure")
    m.add_argument("port", type=int)
    m.add_argument("--burst", type=int, default=40)
    m.add_argument("--seconds", type=float, default=5)
    args = ap.parse_args()
    if args.cmd == "wait":
        sys.exit(wait_banner(args.port, args.timeout, args.pid, b"+OK"))
    if args.cmd == "deliver":
        deliver(args)
    else:
        measure(args)


if __name__ == "__main__":
    main()
