"""The attackers of test_soak.py: each a function run in its own process, bounded in count and time, that returns what it saw.

Every attacker takes a plan (a dict: ports, its source address, its limits)
and `t0` (time.monotonic() of the test's start; CLOCK_MONOTONIC is shared by
processes), stops by itself at its deadlines, closes every socket it opened,
and returns a dict of plain values. Times in results are seconds after t0.
Nothing here asserts: test_soak.py judges the results, so one run reports
every check.
"""

import errno
import select
import socket
import struct
import threading
import time
import traceback

HOST = "127.0.0.1"
IP_BIND_ADDRESS_NO_PORT = 24  # Linux: pick the source port at connect, so a source address is not limited to ~28k ports


def since(t0):
    return round(time.monotonic() - t0, 2)


def tcp_from(src, port, timeout=2.0, blocking=True):
    """A TCP socket bound to source address `src`, connected (or, non-blocking, connecting) to HOST:port."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        s.bind((src, 0))
        if blocking:
            s.settimeout(timeout)
            s.connect((HOST, port))
        else:
            s.setblocking(False)
            err = s.connect_ex((HOST, port))
            if err not in (0, errno.EINPROGRESS):
                raise OSError(err, errno.errorcode.get(err, str(err)))
    except BaseException:
        s.close()
        raise
    return s


def reset_close(s):
    """Close with SO_LINGER 0: the peer gets a RST, not a FIN."""
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    s.close()


def peer_state(s):
    """("closed" or "open", the bytes that were waiting) of a connected socket, without blocking."""
    data = b""
    timeout = s.gettimeout()
    s.setblocking(False)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return "closed", data
            data += chunk
    except (BlockingIOError, InterruptedError):
        return "open", data
    except OSError:  # ECONNRESET and friends: closed by the server
        return "closed", data
    finally:
        s.settimeout(timeout)


def read_line(s, timeout):
    """One line (up to LF) within `timeout`, or what came before the server closed or time ran out."""
    s.settimeout(timeout)
    buf = b""
    deadline = time.monotonic() + timeout
    try:
        while not buf.endswith(b"\n") and time.monotonic() < deadline:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = s.recv(1)
            if not chunk:
                break
            buf += chunk
    except (socket.timeout, OSError):
        pass
    return buf


def read_reply(s, timeout):
    """An SMTP reply (its last line, "250 ..."; continuation lines "250-" skipped), or what came in time."""
    deadline = time.monotonic() + timeout
    line = b""
    while time.monotonic() < deadline:
        line = read_line(s, max(0.01, deadline - time.monotonic()))
        if len(line) < 4 or line[3:4] != b"-":
            return line
    return line


def guarded(fn):
    """Runs an attacker; an exception becomes {"error": traceback} so the test reports it instead of losing it."""
    def run(plan, t0):
        try:
            return fn(plan, t0)
        except Exception:
            return {"error": traceback.format_exc()}
    run.__name__ = fn.__name__
    return run


# --- resets ------------------------------------------------------------------------------

@guarded
def resets(plan, t0):
    """Bursts of connections, each reset (SO_LINGER 0) right after connect: most RSTs arrive while the
    connection still waits in the listen queue, so the server's accept() returns an already reset socket."""
    out = {}
    deadline = t0 + plan["until"]
    burst = plan["burst"]
    todo = [(name, port, n) for name, port, n in plan["targets"]]
    while todo and time.monotonic() < deadline:
        for i, (name, port, left) in enumerate(todo):
            stats = out.setdefault(name, {"reset": 0, "connect_failed": 0})
            socks = []
            for _ in range(min(burst, left)):
                try:
                    socks.append(tcp_from(plan["src"], port, timeout=1.0))
                except OSError:
                    stats["connect_failed"] += 1
            for s in socks:
                reset_close(s)
            stats["reset"] += len(socks)
            todo[i] = (name, port, left - min(burst, left))
        todo = [t for t in todo if t[2] > 0]
        time.sleep(plan["pause"])
    out["ended_at"] = since(t0)
    return out


# --- silent connections, up to and over the per-client limit --------------------------------

def open_silent(src, port, n, timeout=2.0):
    socks, failed = [], 0
    for _ in range(n):
        try:
            socks.append(tcp_from(src, port, timeout=timeout))
        except OSError:
            failed += 1
    return socks, failed


def classify(socks, greeting=None):
    """Counts of a set of connected sockets: closed by the server, open, open with `greeting` (None: none
    expected), and the first lines seen."""
    closed = open_ = greeted = 0
    lines = {}
    for s in socks:
        state, data = peer_state(s)
        if state == "closed":
            closed += 1
        else:
            open_ += 1
            if greeting is not None and data.startswith(greeting):
                greeted += 1
        first = data.split(b"\r\n", 1)[0][:60].decode("latin-1") if data else "(nothing)"
        lines[first] = lines.get(first, 0) + 1
    return {"closed": closed, "open": open_, "greeted": greeted, "first_lines": lines}


@guarded
def silent(plan, t0):
    """Per target (name, port, source, greeting): opens n connections from that source and sends nothing;
    after `settle` seconds counts what the server closed; holds the rest until `until`, then closes them."""
    held, out = [], {}
    try:
        for name, port, src, greeting in plan["targets"]:
            started = time.monotonic()
            socks, failed = open_silent(src, port, plan["n"])
            held.append((name, socks, greeting))
            out[name] = {"src": src, "opened": len(socks), "connect_failed": failed,
                         "open_seconds": round(time.monotonic() - started, 2)}
        time.sleep(plan["settle"])
        for name, socks, greeting in held:
            out[name].update(classify(socks, greeting), checked_at=since(t0))
        while time.monotonic() < t0 + plan["until"]:
            time.sleep(0.2)
        for name, socks, greeting in held:
            out[name]["still_open_at_end"] = sum(peer_state(s)[0] == "open" for s in socks)
    finally:
        for _, socks, _ in held:
            for s in socks:
                s.close()
    out["ended_at"] = since(t0)
    return out


# --- floods from one address --------------------------------------------------------------

def connect_many(src, port, n, within):
    """n non-blocking connects; returns (connected sockets, sockets still connecting, failures) after at most `within` s."""
    pending, failed = {}, 0
    for _ in range(n):
        try:
            s = tcp_from(src, port, blocking=False)
            pending[s.fileno()] = s
        except OSError:
            failed += 1
    connected = []
    poller = select.poll()
    for fd in pending:
        poller.register(fd, select.POLLOUT)
    deadline = time.monotonic() + within
    while pending and time.monotonic() < deadline:
        for fd, _ in poller.poll(100):
            s = pending.pop(fd, None)
            if s is None:
                continue
            poller.unregister(fd)
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                connected.append(s)
            else:
                failed += 1
                s.close()
    return connected, list(pending.values()), failed


@guarded
def flood(plan, t0):
    """From one address: first a rate flood (connect, close, again) against several ports until `rate_until`,
    then a hold flood (many silent connections to the TLS ports) from `hold_at` to `hold_until`."""
    src = plan["src"]
    out = {"rate": {}, "hold": {}}
    rate_deadline = t0 + plan["rate_until"]
    left = plan["rate_count"]
    started = time.monotonic()
    while left > 0 and time.monotonic() < rate_deadline:
        for name, port in plan["rate_targets"]:
            stats = out["rate"].setdefault(name, {"connected": 0, "failed": 0})
            try:
                s = tcp_from(src, port, timeout=1.0)
                s.close()
                stats["connected"] += 1
            except OSError:
                stats["failed"] += 1
            left -= 1
    elapsed = time.monotonic() - started
    total = sum(v["connected"] for v in out["rate"].values())
    out["rate"]["per_second"] = round(total / elapsed) if elapsed > 0 else 0
    out["rate"]["ended_at"] = since(t0)

    while time.monotonic() < t0 + plan["hold_at"]:
        time.sleep(0.1)
    held = []
    try:
        for name, port in plan["hold_targets"]:
            connected, pending, failed = connect_many(src, port, plan["hold_count"], within=plan["settle"])
            held.append((name, connected, pending))
            out["hold"][name] = {"started_at": since(t0), "connected": len(connected), "still_connecting": len(pending),
                                 "connect_failed": failed}
        time.sleep(plan["settle"])
        for name, connected, pending in held:
            out["hold"][name].update(classify(connected), checked_at=since(t0))
        while time.monotonic() < t0 + plan["hold_until"]:
            time.sleep(0.2)
    finally:
        for _, connected, pending in held:
            for s in connected + pending:
                s.close()
    out["ended_at"] = since(t0)
    return out


# --- message headers that never end ---------------------------------------------------------

def smtp_to_data(src, port, rcpt, timeout=5.0):
    """A connection from `src` that has had 354 to DATA; returns (socket, None) or (None, what went wrong)."""
    s = tcp_from(src, port, timeout=timeout)
    steps = [(None, b"220"), (b"EHLO soak.example.org\r\n", b"250"), (b"MAIL FROM:<wfisk@bigsky.com>\r\n", b"250"),
             (f"RCPT TO:<{rcpt}>\r\n".encode(), b"250"), (b"DATA\r\n", b"354")]
    for cmd, want in steps:
        if cmd:
            s.sendall(cmd)
        reply = read_reply(s, timeout)
        if not reply.startswith(want):
            s.close()
            return None, f"{cmd!r} -> {reply[:80]!r}"
    return s, None


def stream_header(s, total, rate, line, t0):
    """Sends header lines, never an empty line, at `rate` bytes/s until `total` bytes or the server stops taking them."""
    chunk = line * max(1, 65536 // len(line))
    sent = 0
    reply = b""
    ended = "sent all"
    s.settimeout(10)
    started = time.monotonic()
    while sent < total:
        ahead = sent / rate - (time.monotonic() - started)
        if ahead > 0:
            time.sleep(ahead)
        try:
            n = s.send(chunk[:total - sent])
        except socket.timeout:
            ended = "server stopped reading (10 s)"
            break
        except OSError as e:
            ended = f"send failed: {e.strerror or e}"
            break
        sent += n
        readable, _, _ = select.select([s], [], [], 0)
        if readable:
            state, data = peer_state(s)
            reply += data
            if state == "closed" or data:
                ended = "server replied" if state == "open" else "server closed"
                break
    return {"sent": sent, "ended": ended, "reply": reply[:120].decode("latin-1"), "at": since(t0)}


@guarded
def header_flood(plan, t0):
    """`conns` connections from one address, each in DATA streaming header lines (no empty line) up to
    `bytes` each at `rate` bytes/s, all at the same time; then all held open (so the server holds what it
    kept) until `until`."""
    results = [None] * plan["conns"]
    socks = [None] * plan["conns"]
    line = b"X-Soak-Filler: " + b"h" * 950 + b"\r\n"  # well under RFC 5321's 1000-octet line limit

    def one(i):
        try:
            s, err = smtp_to_data(plan["src"], plan["port"], plan["rcpt"])
            if s is None:
                results[i] = {"setup_failed": err}
                return
            socks[i] = s
            results[i] = stream_header(s, plan["bytes"], plan["rate"], line, t0)
        except Exception as e:
            results[i] = {"setup_failed": repr(e)}

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(plan["conns"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(1.0, t0 + plan["until"] - time.monotonic()))
    try:
        while time.monotonic() < t0 + plan["until"]:
            time.sleep(0.2)
        for i, s in enumerate(socks):
            if s is not None and results[i] is not None:
                results[i]["open_at_end"] = peer_state(s)[0] == "open"
    finally:
        for s in socks:
            if s is not None:
                reset_close(s)  # never ends: the message is abandoned, not finished
    return {"conns": results, "alive_threads": sum(t.is_alive() for t in threads), "ended_at": since(t0)}


# --- slow trickles ---------------------------------------------------------------------------

@guarded
def trickle(plan, t0):
    """Connections that get their greeting, then one byte every `interval` seconds of a command line
    that never ends, until `until`; records when (if ever) the server closed each."""
    conns = []
    try:
        for name, port, greeting in plan["targets"]:
            for _ in range(plan["per_target"]):
                rec = {"target": name, "greeting": "", "sent": 0, "closed_by_server_at": None}
                try:
                    # The greeting is this attack's precondition, not a latency check (the good client's is):
                    # a server slowed down by ASan under the flood may take more than a second or two.
                    s = tcp_from(plan["src"], port, timeout=10.0)
                    rec["greeting"] = read_line(s, 10.0)[:60].decode("latin-1")
                    conns.append((s, rec))
                except OSError as e:
                    rec["connect_failed"] = repr(e)
                    conns.append((None, rec))
        payload = b"NOOP " + b"t" * 10000
        opened = time.monotonic()
        while time.monotonic() < t0 + plan["until"]:
            for s, rec in conns:
                if s is None or rec["closed_by_server_at"] is not None:
                    continue
                state, _ = peer_state(s)
                if state == "open":
                    try:
                        s.send(payload[rec["sent"]:rec["sent"] + 1])
                        rec["sent"] += 1
                        continue
                    except OSError:
                        pass
                rec["closed_by_server_at"] = since(t0)
                rec["lived"] = round(time.monotonic() - opened, 1)
            time.sleep(plan["interval"])
    finally:
        for s, _ in conns:
            if s is not None:
                s.close()
    return {"conns": [rec for _, rec in conns], "ended_at": since(t0)}


# --- command lines over the limit -------------------------------------------------------------

def gather(s, timeout, done):
    """What the server sends within `timeout` s, until done(data) or it closes: ("open" or "closed", data)."""
    deadline = time.monotonic() + timeout
    data = b""
    while True:
        state, more = peer_state(s)
        data += more
        left = deadline - time.monotonic()
        if state == "closed" or done(data) or left <= 0:
            return state, data
        select.select([s], [], [], min(0.1, left))


def long_line_round(src, port, kind, size, t0):
    """One connection: a `size`-byte command line without LF, sent in pieces, reading between them.
    SMTP: the server should answer 500 and skip the line, then answer a NOOP; POP3: -ERR and hang up."""
    rec = {"kind": kind, "at": since(t0)}
    s = tcp_from(src, port, timeout=2.0)
    try:
        rec["greeting"] = read_line(s, 2.0)[:40].decode("latin-1")
        piece = b"A" * 65536
        sent, got, state = 0, b"", "open"
        started = time.monotonic()
        while sent < size and state == "open":
            try:
                s.settimeout(5)
                s.sendall(piece[:size - sent])
                sent += min(len(piece), size - sent)
            except OSError as e:
                rec["send_failed"] = e.strerror or repr(e)
            state, data = peer_state(s)
            got += data
            if got and "replied_after" not in rec:
                rec["replied_after"] = sent
            if "send_failed" in rec:
                state = "closed"
        if state == "open":
            state, more = gather(s, 2.0, (lambda d: b"\n" in d) if kind == "smtp" else (lambda d: False))
            got += more
        rec.update(sent=sent, seconds=round(time.monotonic() - started, 2), reply=got[:80].decode("latin-1"),
                   closed=state == "closed")
        if kind == "smtp" and state == "open":
            s.settimeout(2.0)
            try:
                s.sendall(b"\r\nNOOP\r\n")
                rec["noop"] = read_reply(s, 2.0)[:40].decode("latin-1")
            except OSError as e:
                rec["noop"] = f"failed: {e}"
    finally:
        s.close()
    return rec


@guarded
def long_lines(plan, t0):
    rounds = []
    i = 0
    while i < plan["rounds"] and time.monotonic() < t0 + plan["until"]:
        name, port, kind = plan["targets"][i % len(plan["targets"])]
        try:
            rounds.append(dict(long_line_round(plan["src"], port, kind, plan["size"], t0), target=name))
        except OSError as e:
            rounds.append({"target": name, "kind": kind, "at": since(t0), "connect_failed": repr(e)})
        i += 1
        time.sleep(plan["pause"])
    return {"rounds": rounds, "ended_at": since(t0)}
