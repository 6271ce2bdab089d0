"""Python helpers the benchmark drivers share (the drive.py of each bench).

The drivers run as scripts, so each puts this folder (its parent) on sys.path
before `from bench_util import ...`.
"""
import errno
import os
import resource
import select
import socket
import time

HOST = "127.0.0.1"  # the only address a benchmark talks to


def wait_banner(port, timeout_s, pid, banner, bye=b"QUIT\r\n"):
    """Waits until HOST:port greets with a line starting with `banner` (bytes:
    b"220" for SMTP, b"+OK" for POP3, b"* OK" for IMAP; or a tuple of them),
    then says `bye` (QUIT; b"a LOGOUT\r\n" for IMAP). Returns 0 then; 1 on the
    timeout; 2 if `pid` (the server; None: not watched) is gone first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pid is not None:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return 2
        try:
            with socket.create_connection((HOST, port), timeout=2) as s:
                s.settimeout(2)
                if s.recv(512).startswith(banner):
                    s.sendall(bye)
                    try:
                        s.recv(512)
                    except OSError:
                        pass
                    return 0
        except OSError:
            pass
        time.sleep(0.1)
    return 1


def add_wait_command(sub):
    """The drivers' "wait PORT TIMEOUT_S [PID]" subcommand, which proc.sh's serve_waiting runs; see wait_banner.
    Returns its parser."""
    w = sub.add_parser("wait")
    w.add_argument("port", type=int)
    w.add_argument("timeout", type=float)
    w.add_argument("pid", type=int, nargs="?")
    return w


# --- a load of whole sessions, one epoll loop per process ---------------------------

MAX_DIALOGS = 3  # error dialogs printed per process


class Client:
    """One load client: client k, on its own connection, one session after another."""
    __slots__ = ("k", "sock", "fd", "state", "buf", "since", "replies", "cmds", "quit_at", "gap")

    def __init__(self, k):
        self.k = k
        self.sock = None
        self.fd = -1
        self.state = 0      # which reply it waits for: 0 the greeting, N the reply to cmds[N - 1]
        self.buf = b""
        self.since = 0.0
        self.replies = []   # this session's replies so far (the commands are cmds[:state])
        self.cmds = []      # this session's commands, each sent after the reply before it
        self.quit_at = None  # when this client's last session ended well
        self.gap = None      # from then to this session's connect, in seconds


def shown(data, limit=300):
    text = data.decode("utf-8", "replace")
    if len(text) > limit:
        text = text[:limit // 2] + f" [... {len(text) - limit} more ...] " + text[-limit // 2:]
    return text.replace("\r", "\\r").replace("\n", "\\n")


def dialog(c, port, last, why, ending):
    """The failed session as one line: what was sent and received, then why it failed."""
    after = "" if c.gap is None else f" ({c.gap * 1000:.2f} ms after this client's previous {ending})"
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


def session_load(proto, port, clients, duration, op_timeout, start_at, out):
    """One process's share of a load: `clients` (Client objects), each running
    sessions again and again for `duration` s; writes its result to the pipe fd
    out. `proto` holds the protocol: names (of the replies, by state), last (the
    state of the session's last reply), ending (what ends a session well, for
    dialogs), begin(c) (sets c.cmds for a new session) and reply(c) ->
    (end, why): the offset in c.buf where the awaited reply ends (-1: not all
    here), and why it is wrong (None if it is not)."""
    ep = select.epoll()
    by_fd = {}
    addr = (HOST, port)
    sessions = errors = 0
    dialogs = []
    names = proto.names
    waits = [0.0] * len(names)  # the time each reply took, summed over the replies that came whole
    counts = [0] * len(names)
    now = time.monotonic()
    if start_at > now:
        time.sleep(start_at - now)
    t0 = time.monotonic()
    deadline = t0 + duration
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)

    def fail(c, last, why):
        nonlocal errors
        errors += 1
        c.quit_at = None  # the next session's gap counts from a good ending only
        if len(dialogs) < MAX_DIALOGS:
            d = dialog(c, port, last, why, proto.ending)
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
        c.state, c.buf, c.replies = 0, b"", []
        proto.begin(c)
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
                data = recv(c.sock, 262144)
            except OSError as e:
                fail(c, c.buf, f"waiting for the {names[st]} reply: {e.strerror or e}")
                idle.append(c)
                continue
            if not data:
                fail(c, c.buf, f"connection closed while waiting for the {names[st]} reply")
                idle.append(c)
                continue
            c.buf = c.buf + data if c.buf else data
            end, why = proto.reply(c)
            if end < 0:
                continue
            reply, c.buf = c.buf[:end], c.buf[end:]  # what is left: data the server sent unasked
            if why:
                fail(c, reply, why)
                idle.append(c)
                continue
            waits[st] += now - c.since
            counts[st] += 1
            c.since = now
            if st == proto.last:
                if now <= deadline:
                    sessions += 1
                c.quit_at = now
                del by_fd[c.fd]
                c.sock.close()  # also leaves the epoll set
                c.sock, c.fd = None, -1
                idle.append(c)
                continue
            c.replies.append(reply)
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
                    fail(c, c.buf, f"no {names[c.state]} reply within {op_timeout:g} s")
                    idle.append(c)
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    lines = [f"result {sessions} {errors} {cpu:.4f} {time.monotonic() - t0:.4f}"]
    lines += [f"wait {st} {waits[st]:.6f} {counts[st]}" for st in range(len(names))]
    lines += ["dialog " + d for d in dialogs]
    os.write(out, ("\n".join(lines) + "\n").encode())


def run_sessions(proto, make_client, port, clients, duration, procs, op_timeout):
    """The load of session_load over `procs` forked processes, clients 1..`clients`
    (make_client(k) each) dealt among them, all starting together. Prints
      sessions=S errors=E seconds=D rate=R driver_cpu=U driver_core=V busy=B procs=P
      waits=NAME=MS,...
    rate in sessions/s; driver_cpu the driver's CPU time (user and system: the
    kernel's work for the client's side of loopback TCP counts here) as a share
    of the whole machine (all cores) over the round; driver_core the busiest
    driver process's share of one core (near 100: the driver is the
    bottleneck); busy the machine's, from /proc/stat; all in percent; waits
    the mean time in ms each reply took, from the command sent (the greeting:
    from the connect) to the reply whole, by proto.names (spaces as _). Then
    the dialogs of the first few different failed sessions."""
    procs = max(1, min(procs, clients))
    start_at = time.monotonic() + 0.2  # all processes start together, once forked
    children = []
    for p in range(procs):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            code = 0
            try:
                mine = [make_client(k) for k in range(p + 1, clients + 1, procs)]
                session_load(proto, port, mine, duration, op_timeout, start_at, w)
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
    waits, counts = [0.0] * len(proto.names), [0] * len(proto.names)
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
            elif line.startswith("wait "):
                st, w, n = line.split()[1:]
                waits[int(st)] += float(w)
                counts[int(st)] += int(n)
            elif line.startswith("dialog "):
                dialogs.append(line[7:])
            elif line.startswith("fail "):
                failed.append(line[5:])
    busy1 = cpu_busy()
    cores = os.cpu_count() or 1
    busy = 100.0 * (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])
    wall = max(walls, default=0.0) or 1.0
    driver = 100.0 * sum(cpus) / (wall * cores)
    core = 100.0 * max((c / w for c, w in zip(cpus, walls) if w > 0), default=0.0)
    if failed:
        errors += len(failed)
        dialogs += [f"driver process failed: {f}" for f in failed]
    print(f"sessions={sessions} errors={errors} seconds={duration:g} rate={sessions / duration:.1f}"
          f" driver_cpu={driver:.1f} driver_core={core:.1f} busy={busy:.1f} procs={procs} waits="
          + ",".join(f"{name.replace(' ', '_')}={1000 * w / max(n, 1):.2f}"
                     for name, w, n in zip(proto.names, waits, counts)))
    for d in list(dict.fromkeys(dialogs))[:MAX_DIALOGS]:  # the first few different ones
        print("  dialog: " + d)
    return 0
