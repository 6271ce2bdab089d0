"""A bounded soak of the servers themselves (issue 12, item 15): attackers on 127.0.0.2-11 while a well-behaved client on 127.0.0.1 must be served within a second, and RSS stays under a stated bound.

One `mxlab serve` (DNS, SMTP 25/587/465, POP3 110/995 on free loopback
ports) with `[limits] connections_per_client = 20` (DESIGN.md section 3;
README "Limits and defences": per client address, each protocol, counted at
accept before any TLS). For 45 s, each attacker in its own process
(soak_util.py), from its own source address (all of 127.0.0.0/8 is loopback
on Linux), every loop bounded in count and time:

  127.0.0.2   resets: bursts of 50 connections reset (SO_LINGER 0) right after
              connect, 1000 against DNS over TCP, 400 each against SMTP and POP3;
  127.0.0.3-6, .11  silent connections, 30 (the limit + 10) each to 25, 110,
              465, 995 and DNS over TCP, held until t=40 s;
  127.0.0.7   a flood from one address: connect-and-close as fast as it can
              (30000 in all) to SMTP, POP3 and DNS, then at t=20 s 500 silent
              connections each to 465 and 995, held for 15 s;
  127.0.0.8   10 SMTP transactions whose header section never ends: header
              lines after DATA, never an empty line, 24 MiB each (under
              max_message_size) in 10 s, then held open until t=35 s;
  127.0.0.9   slow trickles: 2 SMTP and 2 POP3 connections getting one byte a
              second of a command line that never ends;
  127.0.0.10  command lines of 1 MiB without LF on 25, 587 and 110.

Meanwhile the good client on 127.0.0.1 loops: a DNS query over UDP and one
over TCP, a message over port 25 with smtplib, a POP3 login with poplib.

What must hold (each check is printed with its figures, then asserted):
- every operation of the good client completes within 1 s, during the attacks
  and once more after them (the distribution and the slowest are printed);
- past the per-client limit a connection is refused at accept, before any TLS:
  of the silent and flooding connections from one address, at most 20 per
  protocol stay open; on 25 and 110 every one that stays open was greeted; on
  465 and 995 the handshake deadline (20 s) and on DNS the idle deadline (10 s)
  closed the rest before the attacker let go;
- a 1 MiB command line gets one "500" on SMTP (RFC 5321 4.5.3.1.4) and the
  session goes on (a NOOP then gets 250); "-ERR" and a hang-up on POP3;
- every attacker stopped by itself; the daemon is alive, and stops cleanly;
- every message the good client sent is in the POP3 maildrop;
- the daemon's open descriptors stay at most FD_BOUND = 300 (measured: a peak
  of about 160; a server that counts connections only after TLS reaches its
  1024 during the flood);
- its RSS, sampled every 0.2 s (VmRSS), and its peak (VmHWM) stay under
  RSS_BOUND_MB = 200 MiB. Measured here: 24 MiB with the good client alone,
  35 MiB with every attacker but the header one, 124-128 MiB with it (a bounded
  header section is staged to the store like any message, so RocksDB's write
  buffers hold a share of it). A server that keeps a header section that
  never ends in memory holds the attack's 240 MiB on top: on d4d1ca5 (with
  its default limit of 50) 333 MiB before the flood, 402 MiB with it.

The daemon's whole log (at log_level debug) stays under LOG_BOUND_MB = 2 MiB:
refusals and lock-outs are logged once per client per minute with a count
(measured: 0.1 MiB); one line per refused connection would be 4 MiB for the
flood alone.

Under ASan + UBSan (MXLAB_SANITIZED=1, the build-asan run) the 1 s and RSS
bounds are printed, not asserted: ASan's quarantine keeps freed memory (VmHWM
860 MiB there) and its slowdown lets the flood overrun the listen queue, so
a SYN waits for its 1 s retransmission. Every operation must still succeed.

Trickles are not asserted on: a command may take 5 minutes (POP3: 10) before
its deadline, longer than this test; here they only hold slots.

The daemon runs with 1024 file descriptors (systemd's default soft limit, set
before it starts); the test process then raises its own soft limit within the
hard limit for the flood.
"""

import multiprocessing
import os
import poplib
import resource
import smtplib
import sys
import threading
import time
import unittest

import dns_util
import soak_util
from harness import SANITIZED, Mxlab, free_port

HOST = "127.0.0.1"
PER_CLIENT = 20          # [limits] connections_per_client
OVER = 10                # the silent attackers open PER_CLIENT + OVER per port
RSS_BOUND_MB = 200
FD_BOUND = 300           # the daemon's open descriptors (see the docstring)
LOG_BOUND_MB = 2         # the whole log of the run, at log_level debug (see the docstring)
ATTACK_SECONDS = 45      # the good client's loop during the attacks
GOOD_BOUND = 1.0         # seconds for each of the good client's operations
OP_TIMEOUT = 3.0         # a good-client operation that takes longer is cut off (and fails)
HEADER_CONNS = 10        # never-ending header sections, each HEADER_BYTES (under max_message_size, 25M)
HEADER_BYTES = 24 << 20
HEADER_RATE = HEADER_BYTES // 10  # bytes/s each: all of it in about 10 s
DAEMON_NOFILE = 1024
TEST_NOFILE = 4096

# What each silent attacker's port must do besides the per-client limit (README "Limits and defences").
SILENT_RULES = {
    "smtp": "each greeted",
    "pop3": "each greeted",
    "smtps": "refused before TLS; the rest closed by the 20 s handshake deadline",
    "pop3s": "refused before TLS; the rest closed by the 20 s handshake deadline",
    "dns": "the rest closed by the 10 s idle deadline (RFC 7766 6.2.3)",
}

LIMITS = f"""
[limits]
connections_per_client = {PER_CLIENT}
"""


def plans(ports):
    """The attackers: (name, function, plan). Each plan's times are seconds after t0."""
    hold = 500
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if 2 * hold + 200 > soft:  # a hard limit too low for the whole flood: as big as it allows
        hold = max(PER_CLIENT + OVER, (soft - 200) // 2)
    return [
        ("resets", soak_util.resets, {
            "src": "127.0.0.2", "burst": 50, "pause": 1.0, "until": 30,
            "targets": [("dns", ports["dns"], 1000), ("smtp", ports["smtp"], 400), ("pop3", ports["pop3"], 400)]}),
        ("silent", soak_util.silent, {
            "n": PER_CLIENT + OVER, "settle": 3.0, "until": 40,
            "targets": [("smtp", ports["smtp"], "127.0.0.3", b"220 "), ("pop3", ports["pop3"], "127.0.0.4", b"+OK"),
                        ("smtps", ports["smtps"], "127.0.0.5", None), ("pop3s", ports["pop3s"], "127.0.0.6", None),
                        ("dns", ports["dns"], "127.0.0.11", None)]}),
        ("flood", soak_util.flood, {
            "src": "127.0.0.7", "rate_count": 30000, "rate_until": 15, "hold_at": 20, "hold_until": 35, "settle": 3.0,
            "hold_count": hold,
            "rate_targets": [("smtp", ports["smtp"]), ("pop3", ports["pop3"]), ("dns", ports["dns"])],
            "hold_targets": [("smtps", ports["smtps"]), ("pop3s", ports["pop3s"])]}),
        ("header", soak_util.header_flood, {
            "src": "127.0.0.8", "port": ports["smtp"], "rcpt": "jack@sina.com", "conns": HEADER_CONNS, "bytes": HEADER_BYTES,
            "rate": HEADER_RATE,
            "until": 35}),
        ("trickle", soak_util.trickle, {
            "src": "127.0.0.9", "interval": 1.0, "until": 45, "per_target": 2,
            "targets": [("smtp", ports["smtp"], b"220"), ("pop3", ports["pop3"], b"+OK")]}),
        ("long_lines", soak_util.long_lines, {
            "src": "127.0.0.10", "size": 1 << 20, "rounds": 15, "pause": 1.5, "until": 40,
            "targets": [("smtp", ports["smtp"], "smtp"), ("submission", ports["submission"], "smtp"),
                        ("pop3", ports["pop3"], "pop3")]}),
    ]


def _child(fn, plan, t0, conn):
    conn.send(fn(plan, t0))
    conn.close()


class Attackers:
    """Each attacker in its own forked process (its own descriptors, no GIL shared with the good client)."""

    def __init__(self, t0, ports):
        ctx = multiprocessing.get_context("fork")
        self.procs = []
        for name, fn, plan in plans(ports):
            parent, child = ctx.Pipe(duplex=False)
            p = ctx.Process(target=_child, args=(fn, plan, t0, child), name=f"soak-{name}")
            p.start()
            child.close()
            self.procs.append((name, p, parent))

    def join(self, deadline):
        """{name: result}; an attacker still running at `deadline` is ended by its PID and reported."""
        results = {}
        for name, p, conn in self.procs:
            if conn.poll(max(0.0, deadline - time.monotonic())):
                try:
                    results[name] = conn.recv()
                except EOFError:
                    results[name] = {"error": "exited without a result"}
            else:
                results[name] = {"error": "did not stop by itself"}
            p.join(max(0.1, deadline - time.monotonic()))
            if p.is_alive():
                p.terminate()
                p.join(5)
                results[name].setdefault("error", "did not exit by itself")
            conn.close()
        return results


class DaemonSampler(threading.Thread):
    """The daemon's VmRSS and open descriptors every 0.2 s, with their peaks; VmHWM and CPU time when asked."""

    def __init__(self, pid, t0):
        super().__init__(daemon=True)
        self.pid, self.t0 = pid, t0
        self.peak_kb, self.peak_at = 0, 0.0
        self.peak_fds, self.peak_fds_at = 0, 0.0
        self.timeline = []  # (t, kB, fds) about once a second
        self.stop_event = threading.Event()

    def status(self):
        fields = {}
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM", "Threads"):
                    fields[k] = int(v.split()[0])
        return fields

    def cpu_seconds(self):
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def run(self):
        last = -1.0
        while not self.stop_event.wait(0.2):
            try:
                rss = self.status()["VmRSS"]
                fds = len(os.listdir(f"/proc/{self.pid}/fd"))
            except (OSError, KeyError):
                return
            t = time.monotonic() - self.t0
            if rss > self.peak_kb:
                self.peak_kb, self.peak_at = rss, t
            if fds > self.peak_fds:
                self.peak_fds, self.peak_fds_at = fds, t
            if t - last >= 1.0:
                self.timeline.append((round(t), rss, fds))
                last = t


class GoodClient:
    """The well-behaved client on 127.0.0.1: each operation timed from its first packet to its last reply."""

    OPS = ("dns_udp", "dns_tcp", "smtp", "pop3")

    def __init__(self, lab, t0):
        self.lab, self.t0 = lab, t0
        self.samples = {op: [] for op in self.OPS}  # (t, seconds, error or None)
        self.sent = []  # Subjects of the messages that got 250
        self.n = 0

    def timed(self, op, fn, phase):
        start = time.monotonic()
        try:
            fn()
            err = None
        except Exception as e:
            err = f"{type(e).__name__}: {e}"[:160]
        self.samples[op].append((round(start - self.t0, 2), time.monotonic() - start, err, phase))

    def dns(self, query):
        m = query(self.lab.ports["dns"], "www.sina.com", "A", timeout=OP_TIMEOUT)
        if m is None:
            raise ConnectionError("no reply (UDP: none in time; TCP: the server closed)")
        got = [rr.rdata for rr in m.answer if rr.type == 1]
        if m.rcode != 0 or got != ["10.0.1.20"]:
            raise AssertionError(f"rcode {m.rcode_name}, answer {got}")

    def smtp(self):
        self.n += 1
        subject = f"soak-{self.n}"
        msg = (f"From: wfisk@bigsky.com\r\nTo: bob@sina.com\r\nSubject: {subject}\r\n"
               f"Message-ID: <{subject}@bigsky.com>\r\n\r\nround {self.n}\r\n").encode()
        with smtplib.SMTP(HOST, self.lab.ports["smtp"], timeout=OP_TIMEOUT, source_address=(HOST, 0)) as s:
            s.ehlo("good.example.org")
            refused = s.sendmail("wfisk@bigsky.com", ["bob@sina.com"], msg)
            if refused:
                raise AssertionError(f"refused {refused}")
            self.sent.append(subject)
            s.quit()

    def pop3(self):
        p = poplib.POP3(HOST, self.lab.ports["pop3"], timeout=OP_TIMEOUT)
        try:
            p.user("bob@sina.com")
            p.pass_("bob123")
            p.stat()
            p.quit()
        finally:
            p.close()

    def round(self, phase):
        self.timed("dns_udp", lambda: self.dns(dns_util.udp_query), phase)
        self.timed("dns_tcp", lambda: self.dns(dns_util.tcp_query), phase)
        self.timed("smtp", self.smtp, phase)
        self.timed("pop3", self.pop3, phase)

    def subjects_in_maildrop(self):
        """The Subjects of every message in Bob's maildrop (TOP n 0)."""
        p = poplib.POP3(HOST, self.lab.ports["pop3"], timeout=30)
        try:
            p.user("bob@sina.com")
            p.pass_("bob123")
            count, _ = p.stat()
            subjects = set()
            for i in range(1, count + 1):
                for line in p.top(i, 0)[1]:
                    if line.startswith(b"Subject: "):
                        subjects.add(line[9:].decode())
            p.quit()
            return subjects
        finally:
            p.close()


def distribution(samples):
    took = sorted(s[1] for s in samples if s[2] is None)
    if not took:
        return "no successful sample"

    def q(f):
        return took[min(len(took) - 1, int(f * (len(took) - 1) + 0.5))] * 1000

    return (f"n={len(samples)} ok={len(took)} min={took[0] * 1000:.1f} p50={q(0.5):.1f} p90={q(0.9):.1f} "
            f"p99={q(0.99):.1f} max={took[-1] * 1000:.1f} ms")


class Soak(unittest.TestCase):
    def setUp(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        self.addCleanup(resource.setrlimit, resource.RLIMIT_NOFILE, (soft, hard))
        limit = lambda n: n if hard == resource.RLIM_INFINITY else min(n, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit(DAEMON_NOFILE), hard))  # the daemon inherits this
        ports = {k: free_port() for k in ("dns", "smtp", "submission", "smtps", "pop3", "pop3s")}
        self.lab = Mxlab(ports=ports, extra=LIMITS)
        self.addCleanup(self.lab.__exit__, None, None, None)
        self.lab.start()
        # The daemon raises its soft limit to the hard one at start (issue 14, item 7): hold it to DAEMON_NOFILE.
        resource.prlimit(self.lab.proc.pid, resource.RLIMIT_NOFILE, (limit(DAEMON_NOFILE), limit(DAEMON_NOFILE)))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit(TEST_NOFILE), hard))  # ours, for the flood
        self.checks = []  # (name, ok, detail)

    def check(self, name, ok, detail, bound=False):
        """`bound`: a memory or latency bound, asserted against the plain build only (harness.SANITIZED)."""
        if bound and SANITIZED:
            self.checks.append((name + " [not asserted under ASan; the plain build asserts it]", True,
                                ("holds: " if ok else "would fail: ") + detail))
            return
        self.checks.append((name, bool(ok), detail))

    def test_soak(self):
        lab = self.lab
        started = time.monotonic()
        self.assertTrue(dns_util.wait_answers(lab.ports["dns"]), "DNS does not answer before the soak")
        t0 = time.monotonic()
        rss = DaemonSampler(lab.proc.pid, t0)
        rss.start()
        cpu0 = rss.cpu_seconds()
        attackers = Attackers(t0, lab.ports)
        good = GoodClient(lab, t0)
        results = None
        try:
            time.sleep(0.5)
            while time.monotonic() < t0 + ATTACK_SECONDS:
                good.round("attack")
                time.sleep(0.2)
            results = attackers.join(t0 + ATTACK_SECONDS + 15)
            attack_cpu = rss.cpu_seconds() - cpu0
            good.round("after")
            alive = lab.proc.poll() is None
            try:
                subjects = good.subjects_in_maildrop() if alive else set()
            except (OSError, poplib.error_proto) as e:
                subjects = {f"(the maildrop could not be read: {e})"}
        finally:
            rss.stop_event.set()
            rss.join(2)
            if results is None:  # the good client failed outright: still end every attacker
                attackers.join(time.monotonic() + 20)
        status = rss.status() if lab.proc.poll() is None else {}
        hwm_kb = status.get("VmHWM", 0)

        self.judge_good_client(good)
        self.judge_attackers(results)
        self.check("daemon alive after the soak", alive, f"exit status {lab.proc.poll()}")
        missing = [s for s in good.sent if s not in subjects]
        self.check("every message the good client sent is in the POP3 maildrop", not missing,
                   f"{len(good.sent)} sent with 250, {len(subjects)} in the maildrop, missing {missing[:10]}")
        self.check(f"RSS (VmRSS sampled every 0.2 s) under {RSS_BOUND_MB} MiB", rss.peak_kb <= RSS_BOUND_MB * 1024,
                   f"peak {rss.peak_kb / 1024:.1f} MiB at t={rss.peak_at:.1f}s; MiB every 5 s: "
                   + " ".join(f"{t}s:{kb // 1024}" for t, kb, _ in rss.timeline[::5]), bound=True)
        self.check(f"open descriptors (sampled every 0.2 s) at most {FD_BOUND}", 0 < rss.peak_fds <= FD_BOUND,
                   f"peak {rss.peak_fds} at t={rss.peak_fds_at:.1f}s of the daemon's {DAEMON_NOFILE}; every 5 s: "
                   + " ".join(f"{t}s:{fds}" for t, _, fds in rss.timeline[::5]))
        self.check(f"peak RSS (VmHWM) under {RSS_BOUND_MB} MiB", 0 < hwm_kb <= RSS_BOUND_MB * 1024,
                   f"VmHWM {hwm_kb / 1024:.1f} MiB, threads {status.get('Threads')}, "
                   f"CPU {attack_cpu:.1f} s during the {ATTACK_SECONDS} s of attacks", bound=True)
        log_mb = os.path.getsize(lab.log_path) / 2**20 if os.path.exists(lab.log_path) else 0
        # Refusals and lock-outs log once per client per minute; what is left
        # is the good client's own lines (at log_level debug, as the harness runs it).
        self.check(f"the daemon's log stays under {LOG_BOUND_MB} MiB", log_mb <= LOG_BOUND_MB, f"{log_mb:.2f} MiB")
        code = lab.stop() if alive else lab.proc.returncode
        self.check("daemon stops cleanly (SIGTERM, exit 0)", code == 0, f"exit status {code}")
        self.report(time.monotonic() - started, log_mb)
        failed = [name for name, ok, _ in self.checks if not ok]
        self.assertEqual(failed, [], "failed checks (see the report above)")

    # --- judging -------------------------------------------------------------------

    def judge_good_client(self, good):
        for phase, words in (("attack", "during"), ("after", "after")):
            for op in good.OPS:
                samples = [s for s in good.samples[op] if s[3] == phase]
                failed = [s for s in samples if s[2] is not None]
                self.check(f"good client {op} served ({words} the attacks)", samples and not failed,
                           f"{len(samples)} tries, {len(failed)} failed: " + "; ".join(str(s[2]) for s in failed[:5]))
                bad = [s for s in samples if s[2] is not None or s[1] >= GOOD_BOUND]
                worst = max((s[1] for s in samples), default=0.0)
                detail = distribution(samples) + f"; worst {worst:.3f} s, {len(bad)} over {GOOD_BOUND} s or failed"
                for t, took, err, _ in bad[:8]:
                    detail += f"\n      t={t:5.1f}s {took:.3f}s {err or ''}"
                if len(bad) > 8:
                    detail += f"\n      ... {len(bad) - 8} more"
                if not bad and samples:
                    slowest = sorted(samples, key=lambda s: -s[1])[:3]
                    detail += "; slowest at " + ", ".join(f"t={t:.1f}s ({took * 1000:.0f} ms)" for t, took, _, _ in slowest)
                self.check(f"good client {op} within {GOOD_BOUND} s ({words} the attacks)", samples and not bad, detail,
                           bound=True)

    def judge_attackers(self, results):
        for name, r in results.items():
            self.check(f"attacker {name} ran and stopped by itself", "error" not in r,
                       r.get("error", f"ended at t={r.get('ended_at')}s").strip()[-1500:])
        r = results.get("resets", {})
        self.check("resets sent", "error" not in r,
                   ", ".join(f"{k}: {v['reset']} reset, {v['connect_failed']} failed to connect"
                             for k, v in r.items() if isinstance(v, dict)))
        r = results.get("silent", {})
        for port, what in SILENT_RULES.items():
            v = r.get(port)
            if not isinstance(v, dict):  # the attacker reported nothing for this port: that is a failure too
                self.check(f"silent {port}: the attacker reported", False, f"no result for {port}: {r}")
                continue
            ok = v["opened"] == PER_CLIENT + OVER and v["open"] <= PER_CLIENT and v["closed"] >= OVER
            if port in ("smtp", "pop3"):
                ok = ok and v["greeted"] == v["open"]
            else:  # no greeting to wait for: the server's own deadline must end them before the attacker does
                ok = ok and v.get("still_open_at_end") == 0
            self.check(f"silent {port} from {v['src']}: at most {PER_CLIENT} of {PER_CLIENT + OVER} stay open, {what}", ok,
                       f"opened {v['opened']} (in {v['open_seconds']} s), after 3 s: {v['closed']} closed by the server, "
                       f"{v['open']} open, {v['greeted']} greeted; first lines {v['first_lines']}; "
                       f"still open at t={r.get('ended_at')}s: {v.get('still_open_at_end')}")
        r = results.get("flood", {})
        rate = r.get("rate", {})
        self.check("flood: connect-and-close from one address", "error" not in r,
                   f"{rate.get('per_second')} connections/s until t={rate.get('ended_at')}s: "
                   + ", ".join(f"{k} {v['connected']} ok {v['failed']} failed" for k, v in rate.items() if isinstance(v, dict)))
        hold = r.get("hold") or {}
        self.check("flood: the hold phase reported on smtps and pop3s", set(hold) >= {"smtps", "pop3s"}, f"{sorted(hold)}")
        for port, v in hold.items():
            self.check(f"flood {port}: at most {PER_CLIENT} of {v['connected'] + v['still_connecting']} "
                       f"connections from one address stay open", v["open"] <= PER_CLIENT,
                       f"at t={v['started_at']}s: {v['connected']} connected, {v['still_connecting']} still connecting, "
                       f"{v['connect_failed']} failed; at t={v['checked_at']}s: {v['closed']} closed by the server, "
                       f"{v['open']} open")
        r = results.get("header", {})
        conns = r.get("conns") or []
        self.check("never-ending headers streamed", "error" not in r and conns,
                   "\n".join(f"      conn {i}: {c}" for i, c in enumerate(conns)))
        r = results.get("trickle", {})
        conns = r.get("conns") or []
        self.check("trickle connections were greeted (then trickled one byte a second)",
                   conns and all(c["greeting"][:3] in ("220", "+OK") for c in conns),
                   "\n".join(f"      {c}" for c in conns))
        r = results.get("long_lines", {})
        rounds = r.get("rounds") or []
        bad = []
        for rec in rounds:
            if rec["kind"] == "smtp":
                ok = rec.get("reply", "").startswith("500") and rec.get("noop", "").startswith("250")
            else:
                ok = rec.get("closed") and (rec.get("reply", "") == "" or rec["reply"].startswith("-ERR"))
            if not ok:
                bad.append(rec)
        self.check("1 MiB command lines: SMTP 500 then NOOP 250, POP3 -ERR and hang-up", rounds and not bad,
                   f"{len(rounds)} rounds, {len(bad)} wrong"
                   + "".join(f"\n      {rec}" for rec in (bad or rounds)[:6]))

    def report(self, elapsed, log_mb):
        print(f"\n=== soak report ({elapsed:.1f} s; the daemon's log grew to {log_mb:.1f} MiB) ===")
        for name, ok, detail in self.checks:
            print(f"{'PASS' if ok else 'FAIL'}  {name}\n      {detail}")
        sys.stdout.flush()


if __name__ == "__main__":
    unittest.main()
