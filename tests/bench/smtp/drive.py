#!/usr/bin/env python3
"""Load driver for tests/bench/smtp/run.sh: waits for an SMTP banner, and times
one smtp-source run until every message it sent is in a mailbox.

  drive.py wait PORT TIMEOUT_S [PID]
      exit 0 once 127.0.0.1:PORT answers with a 220 banner; 1 on timeout, 2 if
      PID (the server) is gone first.

  drive.py run --expect N --timeout S (--maildirs BASE | --log FILE --pattern RE)
               --out FILE -- SMTP-SOURCE-COMMAND...
      starts the command and polls every 20 ms how many messages arrived since
      it started: files in BASE/*/*/new (Maildirs two levels below BASE), or
      lines of FILE matching the regular expression RE (only lines written
      after the start count). Stops when the command has exited and N arrived,
      on the timeout, or when the command has exited and the count has not
      moved for --stall seconds. Prints one line:
        rc=RC accepted_s=T1 delivered_s=T2 count=C
      RC is the command's exit status (-1: killed on the timeout); T1 the time
      from its start to its exit; T2 the time from its start until N had
      arrived, "n/a" if they never did. The command's output goes to --out.
"""
import argparse
import glob
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/bench
from bench_util import wait_banner  # noqa: E402  (after the path it needs)

POLL_S = 0.02


class MaildirCounter:
    """Files in the new/ folder of every Maildir at BASE/<domain>/<user>/."""

    def __init__(self, base):
        self.pattern = os.path.join(base, "*", "*", "new")

    def count(self):
        n = 0
        for d in glob.glob(self.pattern):
            try:
                n += sum(1 for e in os.scandir(d) if not e.name.startswith("."))
            except FileNotFoundError:
                pass
        return n


class LogCounter:
    """Lines of a growing log file that match a regular expression; only lines
    written after the counter was made."""

    def __init__(self, path, pattern):
        self.re = re.compile(pattern)
        self.f = open(path, "rb")
        self.f.seek(0, os.SEEK_END)
        self.partial = b""
        self.n = 0

    def count(self):
        chunk = self.f.read()
        if chunk:
            lines = (self.partial + chunk).split(b"\n")
            self.partial = lines.pop()
            self.n += sum(1 for l in lines if self.re.search(l.decode("utf-8", "replace")))
        return self.n


def run(args):
    counter = MaildirCounter(args.maildirs) if args.maildirs else LogCounter(args.log, args.pattern)
    base = counter.count()
    out = open(args.out, "ab")
    start = time.monotonic()
    child = subprocess.Popen(args.command, stdout=out, stderr=subprocess.STDOUT)

    def on_term(signum, frame):  # the script's trap ends us: take smtp-source along
        child.kill()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)

    rc = None
    accepted = delivered = None
    last_n, last_change = 0, start
    while True:
        now = time.monotonic()
        n = counter.count() - base
        if n != last_n:
            last_n, last_change = n, now
        if delivered is None and n >= args.expect:
            delivered = now - start
        if rc is None:
            rc = child.poll()
            if rc is not None:
                accepted = now - start
        if rc is not None and delivered is not None:
            break
        if now - start > args.timeout:
            break
        if rc is not None and now - max(last_change, start + accepted) > args.stall:
            break
        time.sleep(POLL_S)
    if rc is None:
        child.kill()
        child.wait()
        rc = -1
    fmt = lambda t: "n/a" if t is None else f"{t:.3f}"
    print(f"rc={rc} accepted_s={fmt(accepted)} delivered_s={fmt(delivered)} count={last_n}")
    return 0


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "wait":
        if len(sys.argv) not in (4, 5):
            sys.exit("usage: drive.py wait PORT TIMEOUT_S [PID]")
        pid = int(sys.argv[4]) if len(sys.argv) == 5 else None
        return wait_banner(int(sys.argv[2]), float(sys.argv[3]), pid, b"220")
    argv = sys.argv[2:] if len(sys.argv) >= 2 and sys.argv[1] == "run" else ["-h"]
    cut = argv.index("--") if "--" in argv else len(argv)
    p = argparse.ArgumentParser(prog="drive.py run", usage="%(prog)s OPTIONS -- COMMAND...")
    p.add_argument("--expect", type=int, required=True)
    p.add_argument("--timeout", type=float, required=True)
    p.add_argument("--stall", type=float, default=15.0)
    p.add_argument("--maildirs")
    p.add_argument("--log")
    p.add_argument("--pattern")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv[:cut])
    args.command = argv[cut + 1:]
    if not args.command or bool(args.maildirs) == bool(args.log) or (args.log and not args.pattern):
        p.error("a command, and either --maildirs or --log with --pattern")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
