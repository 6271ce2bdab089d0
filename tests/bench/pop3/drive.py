#!/usr/bin/env python3
"""Load driver and helpers for tests/bench/pop3/run.sh: fills the mailboxes of
both servers with the same messages, checks them, and times POP3 sessions.

  drive.py wait PORT TIMEOUT_S [PID]
      exit 0 once 127.0.0.1:PORT answers with a "+OK" greeting; 1 on timeout,
      2 if PID (the server) is gone first.

  drive.py deliver PORT --users N --messages M --size S
      sends M messages (S bytes of body each) over SMTP to each of
      user1@sina.com .. userN@sina.com, one message per transaction.

  drive.py maildir BASE --users N (--like PORT | --messages M --size S)
      writes the messages into the Maildir BASE/userK/Maildir/new of each
      user, as files with LF line ends named the way Dovecot names its own
      (",S=size,W=size-with-CRLF"). --like PORT copies the bytes userK gets
      from RETR 1..M on the POP3 server at PORT (mxlab, with its Received:
      header), so both servers hand out the same bytes; otherwise the messages
      of "deliver" with a Received: header like mxlab's.

  drive.py stat PORT --users N --messages M
      logs in as each user and checks that STAT says M messages; prints
      "ok: N users x M messages, B bytes each mailbox" or what differs (exit 1).

  drive.py run PORT --clients C --duration D [--procs P]
      C clients (client K logs in as userK@sina.com), spread over P processes,
      each a single-threaded epoll loop. Each client, again and again: connect,
      greeting, USER, PASS, STAT, RETR 1 (to the terminating "."), QUIT, close;
      one command per round trip, as a real client sends them. A session counts
      once QUIT's +OK arrives within D seconds; sessions still open at D are
      finished but not counted. Any -ERR, unexpected reply, closed connection
      or reply slower than --op-timeout is an error, and its dialog is printed
      (the first few different ones, each after the result line). Prints:
        sessions=S errors=E seconds=D rate=R driver_cpu=U driver_core=V busy=B procs=P
      rate in sessions/s; driver_cpu the driver's CPU time (user and system:
      the kernel's work for the client's side of loopback TCP counts here) as
      a share of the whole machine (all cores) over the round; driver_core the
      busiest driver process's share of one core (near 100: the driver is the
      bottleneck); busy the machine's, from /proc/stat; all in percent.
"""
import argparse
import os
import poplib
import smtplib
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/bench
from bench_util import HOST, Client, run_sessions, wait_banner  # noqa: E402  (after the path it needs)

DOMAIN = "sina.com"
PASSWORD = "pass"  # every user's, on both servers


def user_name(k):
    return f"user{k}@{DOMAIN}"


# --- setup helpers ------------------------------------------------------------------

def message(i, size):
    """Message i (1-based) with `size` bytes of body, lines joined by CRLF."""
    head = [
        "From: sender@example.org",
        f"To: user@{DOMAIN}",
        f"Subject: pop3 bench message {i}",
        f"Message-ID: <bench-{i}@example.org>",
        "Date: Mon, 01 Jan 2024 00:00:00 +0000",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
    ]
    line = "The quick brown fox jumps over the lazy dog; 0123456789 abcdefghij."  # 68 + CRLF = 70
    body, n = [], 0
    while n < size:
        take = min(len(line), max(size - n - 2, 1))
        body.append(line[:take])
        n += take + 2
    return ("\r\n".join(head) + "\r\n\r\n" + "\r\n".join(body) + "\r\n").encode()


def deliver(args):
    with smtplib.SMTP(HOST, args.port, local_hostname="client.example.org", timeout=60) as smtp:
        for k in range(1, args.users + 1):
            for i in range(1, args.messages + 1):
                smtp.sendmail("sender@example.org", [user_name(k)], message(i, args.size))
    return 0


def fetch_all(port, user, count):
    pop = poplib.POP3(HOST, port, timeout=30)
    try:
        pop.user(user)
        pop.pass_(PASSWORD)
        return [b"\n".join(pop.retr(i)[1]) + b"\n" for i in range(1, count + 1)]
    finally:
        pop.quit()


def fill_maildirs(args):
    host = socket.gethostname()
    now = int(time.time())
    for k in range(1, args.users + 1):
        if args.like:
            msgs = fetch_all(args.like, user_name(k), args.messages)
        else:  # a Received: header of the shape mxlab adds, so the sizes are alike
            received = ("Received: from client.example.org (localhost [127.0.0.1])\r\n"
                        "\tby mail.sina.com (mxlab) with ESMTP id 0000000000000000\r\n"
                        f"\tfor <{user_name(k)}>; Mon, 01 Jan 2024 00:00:00 +0000\r\n").encode()
            msgs = [(received + message(i, args.size)).replace(b"\r\n", b"\n") for i in range(1, args.messages + 1)]
        base = os.path.join(args.base, f"user{k}", "Maildir")
        for sub in ("new", "cur", "tmp"):
            os.makedirs(os.path.join(base, sub), exist_ok=True)
        for i, m in enumerate(msgs, 1):
            vsize = len(m) + m.count(b"\n")  # the size with CRLF line ends, as POP3 sends it
            name = f"{now}.M{i}P{os.getpid()}.{host},S={len(m)},W={vsize}"
            with open(os.path.join(base, "new", name), "wb") as f:
                f.write(m)
    return 0


def check_stat(args):
    sizes = set()
    bad = []
    for k in range(1, args.users + 1):
        try:
            pop = poplib.POP3(HOST, args.port, timeout=30)
            pop.user(user_name(k))
            pop.pass_(PASSWORD)
            n, size = pop.stat()
            pop.quit()
        except (OSError, poplib.error_proto) as e:
            bad.append(f"{user_name(k)}: {e}")
            continue
        if n != args.messages:
            bad.append(f"{user_name(k)}: STAT says {n} messages, not {args.messages}")
        sizes.add(size)
    if bad:
        print("; ".join(bad[:5]) + (f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""))
        return 1
    print(f"ok: {args.users} users x {args.messages} messages, "
          f"{'/'.join(str(s) for s in sorted(sizes))} bytes each mailbox")
    return 0


# --- the load -----------------------------------------------------------------------

# Client states: what the client waits for.
GREETING, USER, PASS, STAT, RETR, QUIT = range(6)


class Load:
    """The POP3 session for bench_util.session_load."""
    names = ["greeting", "USER", "PASS", "STAT", "RETR 1", "QUIT"]
    last = QUIT
    ending = "QUIT +OK"

    def __init__(self, messages):
        self.stat_ok = b"+OK %d " % messages

    def begin(self, c):
        c.cmds = [f"USER {user_name(c.k)}\r\n".encode(), f"PASS {PASSWORD}\r\n".encode(),
                  b"STAT\r\n", b"RETR 1\r\n", b"QUIT\r\n"]

    def reply(self, c):
        buf, st = c.buf, c.state
        if st == RETR and not buf.startswith(b"-"):
            if not buf.endswith(b"\r\n.\r\n"):  # the server sends nothing unasked: the end is the buffer's
                return -1, None
            return len(buf), None if buf.startswith(b"+OK") else "RETR 1: not +OK"
        end = buf.find(b"\r\n")
        if end < 0:
            return -1, None
        if st == RETR:
            return end + 2, "RETR 1 refused"
        want = self.stat_ok if st == STAT else b"+OK"
        if not buf.startswith(want):
            return end + 2, f"unexpected {self.names[st]} reply" + (f" (want {want.decode()}...)" if st == STAT else "")
        return end + 2, None


def main():
    p = argparse.ArgumentParser(prog="drive.py")
    sub = p.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("wait")
    w.add_argument("port", type=int)
    w.add_argument("timeout", type=float)
    w.add_argument("pid", type=int, nargs="?")
    d = sub.add_parser("deliver")
    d.add_argument("port", type=int)
    m = sub.add_parser("maildir")
    m.add_argument("base")
    m.add_argument("--like", type=int)
    s = sub.add_parser("stat")
    s.add_argument("port", type=int)
    r = sub.add_parser("run")
    r.add_argument("port", type=int)
    r.add_argument("--clients", type=int, default=20)
    r.add_argument("--duration", type=float, default=10.0)
    r.add_argument("--procs", type=int, default=1)
    r.add_argument("--op-timeout", type=float, default=10.0)
    for q in (d, m, s, r):
        q.add_argument("--messages", type=int, default=10)
    for q in (d, m, s):
        q.add_argument("--users", type=int, required=True)
    for q in (d, m):
        q.add_argument("--size", type=int, default=4096)
    args = p.parse_args()
    if args.cmd == "wait":
        return wait_banner(args.port, args.timeout, args.pid, b"+OK")
    if args.cmd == "deliver":
        return deliver(args)
    if args.cmd == "maildir":
        return fill_maildirs(args)
    if args.cmd == "stat":
        return check_stat(args)
    return run_sessions(Load(args.messages), Client, args.port, args.clients, args.duration, args.procs,
                        args.op_timeout)


if __name__ == "__main__":
    sys.exit(main())
