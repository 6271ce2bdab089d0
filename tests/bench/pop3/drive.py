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
import errno
import os
import poplib
import resource
import select
import smtplib
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/bench
from bench_util import HOST, wait_banner  # noqa: E402  (after the path it needs)

DOMAIN = "sina.com"
PASSWORD = "pass"  # every user's, on both servers
MAX_DIALOGS = 3    # error dialogs printed per process


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
NAMES = ["greeting", "USER", "PASS", "STAT", "RETR 1", "QUIT"]


class Client:
    __slots__ = ("k", "sock", "fd", "state", "buf", "since", "replies", "cmds", "stat_ok", "quit_at", "gap")

    def __init__(self, k, messages):
        self.k = k
        self.sock = None
        self.fd = -1
        self.state = GREETING
        self.buf = b""
        self.since = 0.0
        self.replies = []   # this session's replies so far (the commands are cmds[:state])
        # The command sent after each reply: USER after the greeting, and so on.
        self.cmds = [f"USER {user_name(k)}\r\n".encode(), f"PASS {PASSWORD}\r\n".encode(),
                     b"STAT\r\n", b"RETR 1\r\n", b"QUIT\r\n"]
        self.stat_ok = b"+OK %d " % messages
        self.quit_at = None  # when this client's last session got QUIT's +OK
        self.gap = None      # from then to this session's connect, in seconds


def shown(data, limit=300):
    text = data.decode("utf-8", "replace")
    if len(text) > limit:
        text = text[:limit // 2] + f" [... {len(text) - limit} more ...] " + text[-limit // 2:]
    return text.replace("\r", "\\r").replace("\n", "\\n")


def dialog(c, port, last, why):
    """The failed session as one line: what was sent and received, then why it failed."""
    after = "" if c.gap is None else f" ({c.gap * 1000:.2f} ms after this client's previous QUIT +OK)"
    parts = [f"connect 127.0.0.1:{port}{after}"]
    for i, reply in enumerate(c.replies):
        parts.append("S: " + shown(reply, 120))
        parts.append("C: " + c.cmds[i].decode().rstrip())
    if last is not None:
        parts.append("S: " + (shown(last) if last else "(nothing)"))
    return " | ".join(parts + [f"ERROR: {why}"])


def cpu_busy():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return sum(v[:8]) - idle, sum(v[:8])


def load(port, ks, messages, duration, op_timeout, start_at, out):
    """One process's share of the load: clients ks; writes its result to the pipe fd out."""
    ep = select.epoll()
    clients = [Client(k, messages) for k in ks]
    by_fd = {}
    addr = (HOST, port)
    sessions = errors = 0
    dialogs = []
    now = time.monotonic()
    if start_at > now:
        time.sleep(start_at - now)
    t0 = time.monotonic()
    deadline = t0 + duration
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)

    def fail(c, last, why):
        nonlocal errors
        errors += 1
        c.quit_at = None  # the next session's gap counts from a good QUIT only
        if len(dialogs) < MAX_DIALOGS:
            d = dialog(c, port, last, why)
            if d not in dialogs:
                dialogs.append(d)
        if c.sock is not None:
            del by_fd[c.fd]
            c.sock.close()
            c.sock, c.fd = None, -1

    def start(c):  # True once connecting; a failed connect is an error
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        err = s.connect_ex(addr)
        c.since = time.monotonic()
        c.gap = None if c.quit_at is None else c.since - c.quit_at
        c.state, c.buf, c.replies = GREETING, b"", []
        if err not in (0, errno.EINPROGRESS):
            s.close()
            fail(c, None, f"connect: {os.strerror(err)}")
            return False
        c.sock, c.fd = s, s.fileno()
        by_fd[c.fd] = c
        ep.register(c.fd, select.EPOLLIN)  # a failed connect shows as EPOLLERR/EPOLLHUP, then recv says why
        return True

    idle = [c for c in clients if not start(c)]  # clients to (re)start
    recv = socket.socket.recv
    last_scan = t0
    stopping = False
    while by_fd or (idle and not stopping):
        events = ep.poll(0.2)
        now = time.monotonic()
        for fd, _ in events:
            c = by_fd.get(fd)
            if c is None:
                continue
            st = c.state
            try:
                data = recv(c.sock, 65536)
            except OSError as e:
                fail(c, c.buf, f"waiting for the {NAMES[st]} reply: {e.strerror or e}")
                idle.append(c)
                continue
            if not data:
                fail(c, c.buf, f"connection closed while waiting for the {NAMES[st]} reply")
                idle.append(c)
                continue
            buf = c.buf + data if c.buf else data
            if st == RETR:
                if not buf.endswith(b"\r\n.\r\n"):
                    if buf.startswith(b"-") and buf.endswith(b"\r\n"):
                        fail(c, buf, "RETR 1 refused")
                        idle.append(c)
                    else:
                        c.buf = buf
                    continue
                if not buf.startswith(b"+OK"):
                    fail(c, buf, "RETR 1: not +OK")
                    idle.append(c)
                    continue
            elif not buf.endswith(b"\r\n"):
                c.buf = buf
                continue
            elif not buf.startswith(c.stat_ok if st == STAT else b"+OK") or buf.find(b"\r\n") != len(buf) - 2:
                # Not +OK (STAT: not MESSAGES messages), or more than one line: the server ran ahead.
                fail(c, buf, f"unexpected {NAMES[st]} reply" + (f" (want {c.stat_ok.decode()}...)" if st == STAT else ""))
                idle.append(c)
                continue
            c.buf = b""
            c.since = now
            if st == QUIT:
                if now <= deadline:
                    sessions += 1
                c.quit_at = now
                del by_fd[c.fd]
                c.sock.close()  # also leaves the epoll set
                c.sock, c.fd = None, -1
                idle.append(c)
                continue
            c.replies.append(buf)
            try:
                c.sock.send(c.cmds[st])  # a few bytes: the socket buffer always takes them
            except OSError as e:
                fail(c, None, f"sending {c.cmds[st].decode().rstrip()}: {e.strerror or e}")
                idle.append(c)
                continue
            c.state = st + 1
        if now > deadline:
            stopping = True
        if idle and not stopping:
            idle = [c for c in idle if not start(c)]
            if idle:
                time.sleep(0.01)  # connects failing: do not spin
        if now - last_scan >= 0.5:
            last_scan = now
            for c in list(by_fd.values()):
                if now - c.since > op_timeout:
                    fail(c, c.buf, f"no {NAMES[c.state]} reply within {op_timeout:g} s")
                    idle.append(c)
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    lines = [f"result {sessions} {errors} {cpu:.4f} {time.monotonic() - t0:.4f}"]
    lines += ["dialog " + d for d in dialogs]
    os.write(out, ("\n".join(lines) + "\n").encode())


def run_load(args):
    procs = max(1, min(args.procs, args.clients))
    start_at = time.monotonic() + 0.2  # all processes start together, once forked
    children = []
    for p in range(procs):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            code = 0
            try:
                ks = range(p + 1, args.clients + 1, procs)
                load(args.port, ks, args.messages, args.duration, args.op_timeout, start_at, w)
            except BaseException as e:  # noqa: BLE001 - report anything to the parent
                os.write(w, f"fail {type(e).__name__}: {e}\n".encode())
                code = 1
            os._exit(code)
        os.close(w)
        children.append((pid, r))
    time.sleep(max(0.0, start_at - time.monotonic()))
    busy0 = cpu_busy()
    sessions = errors = 0
    cpus, walls, dialogs, failed = [], [], [], []
    for pid, r in children:
        chunks = []
        while True:
            b = os.read(r, 65536)
            if not b:
                break
            chunks.append(b)
        os.close(r)
        os.waitpid(pid, 0)
        for line in b"".join(chunks).decode().splitlines():
            if line.startswith("result "):
                s, e, cpu, wall = line.split()[1:]
                sessions += int(s)
                errors += int(e)
                cpus.append(float(cpu))
                walls.append(float(wall))
            elif line.startswith("dialog "):
                dialogs.append(line[7:])
            elif line.startswith("fail "):
                failed.append(line[5:])
    busy1 = cpu_busy()
    cores = os.cpu_count() or 1
    busy = 100.0 * (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])
    # The driver's CPU over its time (the start to its last session closed), of all cores;
    # and the busiest process's share of one core.
    wall = max(walls, default=0.0) or 1.0
    driver = 100.0 * sum(cpus) / (wall * cores)
    core = 100.0 * max((c / w for c, w in zip(cpus, walls) if w > 0), default=0.0)
    if failed:
        errors += len(failed)
        dialogs += [f"driver process failed: {f}" for f in failed]
    print(f"sessions={sessions} errors={errors} seconds={args.duration:g} rate={sessions / args.duration:.1f}"
          f" driver_cpu={driver:.1f} driver_core={core:.1f} busy={busy:.1f} procs={procs}")
    for d in list(dict.fromkeys(dialogs))[:MAX_DIALOGS]:  # the first few different ones
        print("  dialog: " + d)
    return 0


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
    return run_load(args)


if __name__ == "__main__":
    sys.exit(main())
