#!/usr/bin/env python3
"""QRESYNC resynchronisation (RFC 7162) for tests/bench/imap/run.sh: what a
client that was offline gets back when it reconnects, in bytes and time.

  resync.py PORT --user NAME [--rounds R] [--flags 60] [--expunge 40]

Each round, on NAME's INBOX (thousands of messages, filled before):
  1. client A: LOGIN, ENABLE QRESYNC, SELECT INBOX (bytes and time: the full
     SELECT), keeps UIDVALIDITY and HIGHESTMODSEQ, LOGOUT;
  2. session B: LOGIN, SELECT INBOX, UID FETCH 1:* (FLAGS) (its bytes: what a
     client without CONDSTORE/QRESYNC fetches to learn the same), picks 100
     messages spread over the mailbox with neither \\Flagged nor \\Deleted,
     sets \\Flagged on --flags of them and expunges the --expunge others
     (UID STORE +FLAGS.SILENT (\\Deleted), EXPUNGE), LOGOUT;
  3. client A reconnects: LOGIN, ENABLE QRESYNC, SELECT INBOX (QRESYNC
     (uidvalidity modseq)): the bytes received for that SELECT and its time
     are the figures. Every expunged UID must be in VANISHED (EARLIER) and
     every flagged one in a FETCH with \\Flagged, or the round fails.
Prints a line per round, then the medians:
  resync_bytes=B resync_ms=T session_ms=S select_bytes=F flags_bytes=G vanished=V fetched=N rounds=R
(session_ms: from connect to SELECT's OK; vanished: UIDs in VANISHED (EARLIER),
fetched: FETCH responses, both of the median round by bytes.)
"""
import argparse
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from drive import Imap  # noqa: E402  (after the path it needs)


def code(lines, name):
    """The number of a response code "[NAME n]" in untagged OK lines."""
    for ln in lines:
        m = re.match(rb"\* OK \[" + name + rb" (\d+)\]", ln)
        if m:
            return int(m.group(1))
    raise RuntimeError(f"no [{name.decode()}] in the SELECT reply")


def uid_set(text):
    """UIDs of an IMAP sequence set such as b"3:5,9"."""
    out = set()
    for part in text.split(b","):
        a, _, b = part.partition(b":")
        lo, hi = sorted((int(a), int(b or a)))
        out.update(range(lo, hi + 1))
    return out


def timed(c, command):
    """Runs command; (untagged lines, bytes received for it, seconds)."""
    before, t0 = c.received + 0, time.monotonic()
    lines, _ = c.cmd(command)
    return lines, c.received - before, time.monotonic() - t0


def one_round(args):
    a = Imap(args.port)
    a.login(args.user)
    a.cmd("ENABLE QRESYNC")
    lines, select_bytes, _ = timed(a, "SELECT INBOX")
    validity, modseq = code(lines, b"UIDVALIDITY"), code(lines, b"HIGHESTMODSEQ")
    a.close()

    b = Imap(args.port)
    b.login(args.user)
    b.cmd("SELECT INBOX")
    lines, flags_bytes, _ = timed(b, "UID FETCH 1:* (FLAGS)")
    free = []
    for ln in lines:
        m = re.search(rb"UID (\d+)", ln)
        f = re.search(rb"FLAGS \(([^)]*)\)", ln)
        if m and f and b"\\Flagged" not in f.group(1) and b"\\Deleted" not in f.group(1):
            free.append(int(m.group(1)))
    want = args.flags + args.expunge
    if len(free) < want:
        raise RuntimeError(f"only {len(free)} messages without \\Flagged or \\Deleted, {want} needed")
    picked = [free[i * len(free) // want] for i in range(want)]
    gone = {picked[j * want // args.expunge] for j in range(args.expunge)}  # spread among the flagged
    flagged = [u for u in picked if u not in gone][:args.flags]
    b.cmd("UID STORE " + ",".join(map(str, flagged)) + " +FLAGS.SILENT (\\Flagged)")
    if gone:
        b.cmd("UID STORE " + ",".join(map(str, sorted(gone))) + " +FLAGS.SILENT (\\Deleted)")
        b.cmd("EXPUNGE")
    b.close()

    t0 = time.monotonic()
    a = Imap(args.port)
    a.login(args.user)
    a.cmd("ENABLE QRESYNC")
    lines, resync_bytes, resync_s = timed(a, f"SELECT INBOX (QRESYNC ({validity} {modseq}))")
    session_s = time.monotonic() - t0
    a.close()
    vanished, fetched = set(), {}
    for ln in lines:
        m = re.match(rb"\* VANISHED \(EARLIER\) ([0-9:,]+)", ln)
        if m:
            vanished |= uid_set(m.group(1))
        elif re.match(rb"\* \d+ FETCH ", ln):
            u = re.search(rb"UID (\d+)", ln)
            if u:
                fetched[int(u.group(1))] = ln
    missing = sorted(gone - vanished)
    if missing:
        raise RuntimeError(f"{len(missing)} expunged UIDs not in VANISHED (EARLIER), e.g. {missing[:5]}")
    unflagged = [u for u in flagged if b"\\Flagged" not in fetched.get(u, b"")]
    if unflagged:
        raise RuntimeError(f"{len(unflagged)} flagged UIDs without a FETCH of \\Flagged, e.g. {unflagged[:5]}")
    return {"resync_bytes": resync_bytes, "resync_ms": resync_s * 1000, "session_ms": session_s * 1000,
            "select_bytes": select_bytes, "flags_bytes": flags_bytes, "vanished": len(vanished),
            "fetched": len(fetched)}


def line(r, rounds=None):
    out = (f"resync_bytes={r['resync_bytes']} resync_ms={r['resync_ms']:.1f} session_ms={r['session_ms']:.1f}"
           f" select_bytes={r['select_bytes']} flags_bytes={r['flags_bytes']} vanished={r['vanished']}"
           f" fetched={r['fetched']}")
    return out if rounds is None else out + f" rounds={rounds}"


def main():
    p = argparse.ArgumentParser(prog="resync.py")
    p.add_argument("port", type=int)
    p.add_argument("--user", required=True)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--flags", type=int, default=60)
    p.add_argument("--expunge", type=int, default=40)
    args = p.parse_args()
    rounds = []
    for i in range(args.rounds):
        try:
            r = one_round(args)
        except (OSError, RuntimeError) as e:
            print(f"round {i + 1}: FAILED: {e}")
            return 1
        print(f"round {i + 1}: " + line(r), flush=True)
        rounds.append(r)
    mid = sorted(rounds, key=lambda r: r["resync_bytes"])[len(rounds) // 2]
    median = dict(mid, resync_ms=statistics.median(r["resync_ms"] for r in rounds),
                  session_ms=statistics.median(r["session_ms"] for r in rounds))
    print(line(median, len(rounds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
