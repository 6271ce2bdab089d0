#!/usr/bin/env python3
"""Load driver and helpers for tests/bench/imap/run.sh: fills the mailboxes of
both servers with the same messages, checks them, and times IMAP sessions.

  drive.py wait PORT TIMEOUT_S [PID]
      exit 0 once 127.0.0.1:PORT answers with a "* OK" greeting; 1 on timeout,
      2 if PID (the server) is gone first.

  drive.py fill PORT (--users N | --user NAME) --messages M --size S
      APPENDs M messages (S bytes of body each) to the INBOX of each of
      user1@sina.com .. userN@sina.com (or of NAME alone), the same bytes on
      every server. APPENDs go in windows of WINDOW commands with
      non-synchronizing literals (LITERAL+, which both servers announce), each
      its own command as a mail client sends it; one at a time if the server
      lacks LITERAL+.

  drive.py deliver PORT (--users N | --user NAME) --messages M --size S
      the same messages over SMTP instead (one transaction each): the way to
      fill mxlab if its APPEND fails; each message then has its Received:
      header, so the sizes differ a little from the APPENDed ones.

  drive.py check PORT (--users N | --user NAME) --messages M
      logs in as each user, EXAMINEs INBOX and checks M EXISTS; prints
      "ok: N users x M messages, B bytes each mailbox" (B: the sum of
      RFC822.SIZE) or what differs (exit 1).

  drive.py run PORT --clients C --duration D [--procs P] [--messages M]
      C clients (client K logs in as userK@sina.com), spread over P processes,
      each a single-threaded epoll loop. Each client, again and again: connect,
      greeting, LOGIN, SELECT INBOX, FETCH 1:* (FLAGS RFC822.SIZE ENVELOPE),
      FETCH m BODY.PEEK[], STORE m +FLAGS (\\Flagged), STORE m -FLAGS
      (\\Flagged), LOGOUT, close; m goes round 1..M, one message further each
      session. One command per round trip, as a real client sends them. A
      session counts once LOGOUT's tagged OK arrives within D seconds; sessions
      still open at D are finished but not counted. A tagged NO or BAD, SELECT
      without "* M EXISTS", a FETCH 1:* without M FETCH responses, a FETCH of
      the body without BODY[], a closed connection or a reply slower than
      --op-timeout is an error, and its dialog is printed (the first few
      different ones, each after the result line). Prints:
        sessions=S errors=E seconds=D rate=R driver_cpu=U driver_core=V busy=B procs=P
      as bench_util.run_sessions says (rate in sessions/s; the driver's CPU of
      the machine and the busiest driver process's of one core; the machine's
      busy share; all in percent).
"""
import argparse
import os
import re
import smtplib
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/bench
from bench_util import HOST, Client, add_wait_command, run_sessions, wait_banner  # noqa: E402  (after the path it needs)

DOMAIN = "sina.com"
PASSWORD = "pass"  # every user's, on both servers
WINDOW = 64        # APPENDs in flight at once while filling


def user_name(k):
    return f"user{k}@{DOMAIN}"


def users_of(args):
    return [args.user] if args.user else [user_name(k) for k in range(1, args.users + 1)]


# --- a small blocking IMAP client for the setup (and resync.py) ---------------------

LITERAL = re.compile(rb"\{(\d+)\+?\}$")


class Imap:
    """One plaintext IMAP connection on 127.0.0.1, reading whole responses
    (literals included) and counting every byte received."""

    def __init__(self, port, timeout=120):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.buf = b""
        self.received = 0
        self.n = 0
        self.greeting = self.line()
        if not self.greeting.startswith(b"* OK"):
            raise RuntimeError(f"greeting: {self.greeting[:200]!r}")

    def _more(self):
        data = self.sock.recv(262144)
        if not data:
            raise RuntimeError("the server closed the connection")
        self.received += len(data)
        self.buf += data

    def line(self):
        """One logical response line: literals inside it are kept in it."""
        start = 0
        while True:
            e = self.buf.find(b"\r\n", start)
            if e < 0:
                self._more()
                continue
            m = LITERAL.search(self.buf, max(start, e - 24), e)
            if m and m.end() == e:
                end = e + 2 + int(m.group(1))
                while len(self.buf) < end:
                    self._more()
                start = end
                continue
            out, self.buf = self.buf[:e], self.buf[e + 2:]
            return out

    def send(self, text):
        """Sends a command; returns its tag."""
        self.n += 1
        tag = f"c{self.n}"
        self.sock.sendall(f"{tag} {text}\r\n".encode())
        return tag

    def wait(self, tag):
        """The untagged lines up to `tag`'s reply, and that reply; RuntimeError unless OK."""
        lines = []
        t = tag.encode() + b" "
        while True:
            ln = self.line()
            if ln.startswith(t):
                if not ln[len(t):].startswith(b"OK"):
                    raise RuntimeError(f"{tag}: {ln[:300]!r}")
                return lines, ln
            lines.append(ln)

    def cmd(self, text):
        return self.wait(self.send(text))

    def login(self, user):
        return self.cmd(f'LOGIN "{user}" "{PASSWORD}"')

    def capabilities(self):
        lines, _ = self.cmd("CAPABILITY")
        for ln in lines:
            if ln.startswith(b"* CAPABILITY "):
                return set(ln[13:].upper().split())
        return set()

    def close(self):
        try:
            self.cmd("LOGOUT")
        except (OSError, RuntimeError):
            pass
        self.sock.close()


def message(i, size):
    """Message i (1-based) with `size` bytes of body, lines joined by CRLF."""
    head = [
        "From: Sender Example <sender@example.org>",
        f"To: user@{DOMAIN}",
        f"Subject: imap bench message {i}",
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


def fill(args):
    msgs = [message(i, args.size) for i in range(1, args.messages + 1)]
    for user in users_of(args):
        c = Imap(args.port)
        try:
            c.login(user)
            plus = b"LITERAL+" in c.capabilities()
            window = []
            for i, m in enumerate(msgs):
                if plus:
                    c.n += 1
                    tag = f"c{c.n}"
                    c.sock.sendall(f"{tag} APPEND INBOX {{{len(m)}+}}\r\n".encode() + m + b"\r\n")
                    window.append(tag)
                    if len(window) >= WINDOW or i == len(msgs) - 1:
                        for t in window:
                            c.wait(t)
                        window = []
                else:
                    tag = c.send(f"APPEND INBOX {{{len(m)}}}")
                    ln = c.line()
                    if not ln.startswith(b"+"):
                        raise RuntimeError(f"APPEND: {ln[:200]!r}")
                    c.sock.sendall(m + b"\r\n")
                    c.wait(tag)
        finally:
            c.close()
    return 0


def deliver(args):
    with smtplib.SMTP(HOST, args.port, local_hostname="client.example.org", timeout=60) as smtp:
        for user in users_of(args):
            for i in range(1, args.messages + 1):
                smtp.sendmail("sender@example.org", [user], message(i, args.size))
    return 0


def check(args):
    sizes, bad = set(), []
    for user in users_of(args):
        try:
            c = Imap(args.port)
            c.login(user)
            lines, _ = c.cmd("EXAMINE INBOX")
            exists = [int(ln.split()[1]) for ln in lines if ln.endswith(b" EXISTS")]
            total = 0
            if exists and exists[-1]:
                fetched, _ = c.cmd("FETCH 1:* (RFC822.SIZE)")
                total = sum(int(m) for m in re.findall(rb"RFC822\.SIZE (\d+)", b"\n".join(fetched)))
            c.close()
        except (OSError, RuntimeError) as e:
            bad.append(f"{user}: {e}")
            continue
        if not exists or exists[-1] != args.messages:
            bad.append(f"{user}: EXAMINE says {exists[-1] if exists else 'no'} EXISTS, not {args.messages}")
        sizes.add(total)
    if bad:
        print("; ".join(bad[:5]) + (f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""))
        return 1
    print(f"ok: {len(users_of(args))} user(s) x {args.messages} messages, "
          f"{'/'.join(str(s) for s in sorted(sizes))} bytes each mailbox")
    return 0


# --- the load -----------------------------------------------------------------------

# Client states: what the client waits for (the reply to cmds[state - 1]; the greeting first).
GREETING, LOGIN, SELECT, FETCH_ALL, FETCH_BODY, FLAG, UNFLAG, LOGOUT = range(8)
TAGS = [None] + [b"a%d " % i for i in range(1, 8)]


class ImapClient(Client):
    __slots__ = ("pos", "start", "msg")

    def __init__(self, k):
        super().__init__(k)
        self.pos = 0    # c.buf is scanned up to here (a line end not yet found, or a literal not yet whole)
        self.start = 0  # where the logical line being scanned starts
        self.msg = k    # the message of this session's FETCH and STORE, one further each session


def tagged_end(c):
    """Scans c.buf from c.pos for the reply's end: the end of the tagged line
    (for the greeting: of its line). Literals ({n}) are skipped whole, so their
    bytes are never read as lines. Returns the end offset, or -1 for more."""
    buf, pos, start = c.buf, c.pos, c.start
    tag = TAGS[c.state]
    while True:
        e = buf.find(b"\r\n", pos)
        if e < 0:
            c.pos, c.start = max(pos, len(buf) - 1), start
            return -1
        if buf[e - 1:e] == b"}":
            m = LITERAL.search(buf, max(start, e - 24), e)
            if m:
                end = e + 2 + int(m.group(1))
                if end > len(buf):
                    c.pos, c.start = e - 1, start  # the literal is not all here: this line end again then
                    return -1
                pos = end
                continue
        if tag is None or buf.startswith(tag, start):
            c.pos = c.start = 0
            return e + 2
        start = pos = e + 2


class Load:
    """The IMAP session for bench_util.session_load."""
    names = ["greeting", "LOGIN", "SELECT", "FETCH 1:*", "FETCH BODY.PEEK[]", "STORE +FLAGS", "STORE -FLAGS",
             "LOGOUT"]
    last = LOGOUT
    ending = "LOGOUT OK"

    def __init__(self, messages):
        self.messages = messages
        self.exists = b"* %d EXISTS\r\n" % messages

    def begin(self, c):
        m = (c.msg - 1) % self.messages + 1
        c.msg += 1
        c.pos = c.start = 0
        c.cmds = [f'a1 LOGIN "{user_name(c.k)}" "{PASSWORD}"\r\n'.encode(),
                  b"a2 SELECT INBOX\r\n",
                  b"a3 FETCH 1:* (FLAGS RFC822.SIZE ENVELOPE)\r\n",
                  b"a4 FETCH %d BODY.PEEK[]\r\n" % m,
                  b"a5 STORE %d +FLAGS (\\Flagged)\r\n" % m,
                  b"a6 STORE %d -FLAGS (\\Flagged)\r\n" % m,
                  b"a7 LOGOUT\r\n"]

    def reply(self, c):
        end = tagged_end(c)
        if end < 0:
            return end, None
        return end, self.wrong(c.state, c.buf[:end])

    def wrong(self, st, reply):
        """Why a whole reply is not what state st wants; None if it is."""
        if st == GREETING:
            return None if reply.startswith(b"* OK") else "the greeting is not * OK"
        last = reply.rfind(b"\r\n", 0, len(reply) - 2)  # the tagged line is the reply's last: "aN OK ..."
        last = 0 if last < 0 else last + 2
        if reply[last + len(TAGS[st]):last + len(TAGS[st]) + 2] != b"OK":
            return f"{self.names[st]} not OK"
        if st == SELECT and self.exists not in reply:
            return f"SELECT without * {self.messages} EXISTS"
        if st == FETCH_ALL and reply.count(b" FETCH (") != self.messages:
            return f"FETCH 1:* without {self.messages} FETCH responses"
        if st == FETCH_BODY and b"BODY[] {" not in reply:
            return "FETCH without BODY[] {...}"
        return None


def main():
    p = argparse.ArgumentParser(prog="drive.py")
    sub = p.add_subparsers(dest="cmd", required=True)
    add_wait_command(sub)
    f = sub.add_parser("fill")
    d = sub.add_parser("deliver")
    k = sub.add_parser("check")
    r = sub.add_parser("run")
    r.add_argument("--clients", type=int, default=20)
    r.add_argument("--duration", type=float, default=10.0)
    r.add_argument("--procs", type=int, default=1)
    r.add_argument("--op-timeout", type=float, default=10.0)
    for q in (f, d, k, r):
        q.add_argument("port", type=int)
        q.add_argument("--messages", type=int, default=50)
    for q in (f, d, k):
        who = q.add_mutually_exclusive_group(required=True)
        who.add_argument("--users", type=int)
        who.add_argument("--user")
    for q in (f, d):
        q.add_argument("--size", type=int, default=4096)
    args = p.parse_args()
    if args.cmd == "wait":
        return wait_banner(args.port, args.timeout, args.pid, b"* OK", b"a LOGOUT\r\n")
    if args.cmd == "fill":
        return fill(args)
    if args.cmd == "deliver":
        return deliver(args)
    if args.cmd == "check":
        return check(args)
    return run_sessions(Load(args.messages), ImapClient, args.port, args.clients, args.duration, args.procs,
                        args.op_timeout)


if __name__ == "__main__":
    sys.exit(main())
