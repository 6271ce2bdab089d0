#!/usr/bin/env python3
# Writes the seeds of imap_session_fuzz in tests/fuzz/corpus/imap_session_fuzz/ (run it after changing the target's input format).
#
# Each seed is a realistic selected-state session in the input format of
# imap_session_fuzz.cpp: piece size, switches, the control bytes (the
# mailbox, then the store events before each command), then the client's
# lines. The files are checked in; run.sh fuzzes a copy.
import shutil
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "corpus" / "imap_session_fuzz"

CONDSTORE, QRESYNC, REV2, EXAMINE, SMALL_INLINE = 1, 2, 4, 8, 16
PLAIN, MIXED, NESTED, ODD, NO_BODY, DIGEST = range(6)
SEEN, ANSWERED, FLAGGED, DELETED, DRAFT, FORWARDED, JUNK, WORK = 1, 2, 4, 8, 16, 32, 64, 128
MORE, MINE = 16, 8


def mailbox(*messages):
    out = [len(messages)]
    for template, flags in messages:
        out += [template, flags]
    return out


def deliver(template, flags=0, mine=False, more=False):
    return [1 | (MINE if mine else 0) | (MORE if more else 0), template, flags]


def flag(pick, flags, more=False):
    return [3 | (MORE if more else 0), pick, flags]


def expunge(pick, more=False):
    return [5 | (MORE if more else 0), pick]


FORGET, EXPUNGE_DELETED, QUIET = [6], [7], [0]


def session(piece, switches, control, lines):
    control = bytes(sum(control, []))
    assert len(control) < 256
    text = b"".join((l if isinstance(l, bytes) else l.encode()) + b"\r\n" for l in lines)  # bytes: not UTF-8
    return bytes([piece, switches, len(control)]) + control + text


# Bare LFs, as a script might APPEND it: stored with CRLF.
OWN_MIME = ("Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Transfer-Encoding: base64\n\n"
            "aGVsbG8gd29ybGQ=\n--x\n\nsecond part here\n--x--")
ALL = mailbox((PLAIN, 0), (MIXED, SEEN), (NESTED, FLAGGED | WORK), (ODD, 0), (NO_BODY, DELETED), (DIGEST, JUNK))

seeds = {
    "fetch_sections": session(0, 0, [ALL], [
        "a1 FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)",
        "a2 FETCH 2 (BODY.PEEK[HEADER.FIELDS (From Subject)] BODY[1]<0.8> BODY[2.MIME] BINARY.PEEK[2] BINARY.SIZE[2])",
        "a3 UID FETCH 3 (BODY[2.HEADER] BODY[2.TEXT] BODY[2.1] BODY[1.HEADER.FIELDS.NOT (Content-Type)] BODY)",
        "a4 FETCH 4 (BINARY[1] BODY[] RFC822.HEADER RFC822.TEXT)",
        "a5 FETCH 6 (BODY[1] BODY[2.HEADER] BODY[2.1] BODYSTRUCTURE)",
        "a6 FETCH 5 FULL"]),
    "search_keys": session(0, 0, [ALL], [
        "s1 SEARCH UNSEEN NOT DELETED",
        "s2 SEARCH OR FROM bob SUBJECT lunch",
        "s3 UID SEARCH BODY \"caf\u00e9\" SINCE 1-Jan-2020",
        "s4 SEARCH CHARSET UTF-8 TEXT {5+}\r\ncaf\u00e9",
        "s5 SEARCH HEADER Message-ID <1@bigsky.com> LARGER 10 SMALLER 100000",
        "s6 SEARCH RETURN (MIN MAX COUNT SAVE) KEYWORD work",
        "s7 FETCH $ (UID FLAGS)",
        "s8 SEARCH SENTBEFORE 1-Jan-2030 UID 1:3,5 2:*"]),
    "store_expunge": session(0, CONDSTORE, [ALL, QUIET, QUIET, QUIET], [
        "t1 STORE 1:3 +FLAGS (\\Deleted $Junk)",
        "t2 UID STORE 2 -FLAGS.SILENT (\\Seen)",
        "t3 STORE 4 (UNCHANGEDSINCE 1) FLAGS (\\Answered work)",
        "t4 EXPUNGE",
        "t5 FETCH 1:* (FLAGS MODSEQ)"]),
    "others_change_during_fetch": session(7, CONDSTORE, [ALL, expunge(1, more=True), flag(3, SEEN | FLAGGED), deliver(MIXED, mine=True), expunge(0)], [
        "f1 FETCH 1:* (FLAGS)",
        "f2 STORE 1 +FLAGS (\\Seen)",
        "f3 UID FETCH 1:* (FLAGS)",
        "f4 SEARCH ALL",
        "f5 NOOP"]),
    "qresync_vanished": session(13, QRESYNC, [ALL, expunge(2, more=True), expunge(2), deliver(PLAIN), FORGET, expunge(0), QUIET], [
        "q1 FETCH 1:3 (UID)",
        "q2 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)",
        "q3 NOOP",
        "q4 UID EXPUNGE 1:2",
        "q5 CHECK"]),
    "deliveries_and_recent": session(64, 0, [mailbox((PLAIN, 0)), deliver(MIXED, mine=True, more=True), deliver(NESTED, mine=True),
                                             deliver(DIGEST), deliver(PLAIN, SEEN, mine=True)], [
        "r1 NOOP", "r2 FETCH * (FLAGS)", "r3 SEARCH RECENT NEW", "r4 IDLE", "DONE"]),
    "rev2_move_close": session(3, REV2, [ALL, QUIET, QUIET, deliver(ODD)], [
        "m1 ENABLE IMAP4rev2",
        "m2 UID MOVE 1:2 Trash",
        "m3 SEARCH RETURN () ALL",
        "m4 STORE 1:* +FLAGS (\\Deleted)",
        "m5 CLOSE",
        "m6 SELECT INBOX",
        "m7 FETCH 1:* (UID FLAGS)"]),
    "examine_read_only": session(1, EXAMINE, [ALL], [
        "e1 FETCH 1 (BODY[TEXT])",
        "e2 STORE 1 +FLAGS (\\Seen)",
        "e3 EXPUNGE",
        "e4 FETCH 1 FLAGS"]),
    "append_own_mime": session(5, SMALL_INLINE, [mailbox((PLAIN, 0))], [
        "p1 APPEND INBOX (\\Seen) {%d+}\r\n%s" % (len(OWN_MIME), OWN_MIME),
        "p2 FETCH 2 (BODYSTRUCTURE BINARY[1] BODY[2] BODY[]<4.40>)",
        "p3 UID SEARCH TEXT hello"]),
    "binary_decoded": session(9, 0, [ALL, QUIET, deliver(MIXED, SEEN)], [
        "d1 FETCH 2:3 (BINARY.PEEK[] BINARY.SIZE[] BINARY.PEEK[1] BINARY[2]<0.5> BINARY.SIZE[2])",
        "d2 UID FETCH 7 (BINARY.PEEK[2.1] BINARY.PEEK[2.HEADER] RFC822.SIZE)",
        b"d3 SEARCH CHARSET ISO-8859-1 BODY {4+}\r\ncaf\xe9 SENTSINCE 1-Dec-2026 SENTON 8-Dec-2026",
        "d4 UID SEARCH OR HEADER Content-Type html CC undisclosed"]),
    "partials_streamed": session(11, SMALL_INLINE | CONDSTORE, [ALL], [
        "b1 FETCH 1:* (BODY.PEEK[]<0.50> BODY.PEEK[TEXT]<2.3> RFC822.SIZE)",
        "b2 FETCH 2 (BINARY.PEEK[1]<1.4> BINARY.PEEK[2]<0.100>)",
        "b3 FETCH 3 BODY[2.1.MIME]"]),
    "enable_qresync_midway": session(2, 0, [ALL, expunge(0), QUIET, expunge(0), deliver(PLAIN, mine=True)], [
        "x1 FETCH 1:* FLAGS",
        "x2 ENABLE QRESYNC",
        "x3 UID FETCH * (UID)",
        "x4 SEARCH MODSEQ 2",
        "x5 LOGOUT"]),
    "bad_sets_and_literals": session(1, 0, [ALL], [
        "z1 FETCH 9 FLAGS",
        "z2 FETCH 0:4 FLAGS",
        "z3 UID FETCH 4000000000:* (FLAGS)",
        "z4 FETCH 1 (BODY[HEADER.FIELDS ({4}\r\nFROM)])",
        "z5 STORE 2:1 -FLAGS (\\Recent)",
        "z6 SEARCH NOT (OR SEEN (UNSEEN FLAGGED)) 1:*"]),
}

if __name__ == "__main__":
    shutil.rmtree(FOLDER, ignore_errors=True)
    FOLDER.mkdir(parents=True)
    for name, data in seeds.items():
        (FOLDER / name).write_bytes(data)
    print(f"imap_session_fuzz: {len(seeds)} seeds, {sum(map(len, seeds.values()))} bytes")
