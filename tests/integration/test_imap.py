"""IMAP with real clients (Python imaplib, curl) against a started mxlab: what SMTP delivered reads back byte for byte on 143 (with STARTTLS) and 993, flags and UIDs persist, folders work, an IDLE session learns of new mail within a second, two sessions on one mailbox stay consistent, and bad input harms nothing (issue 15).

RFC 9051 (IMAP4rev2), RFC 3501 (IMAP4rev1), RFC 2177 (IDLE), RFC 4315
(UIDPLUS), RFC 6851 (MOVE), RFC 6154 (SPECIAL-USE) and DESIGN.md section 5.
Messages go in over SMTP (port 25) first; the store adds one Received header
on top, which mail_util.body_of() takes off again.
"""

import imaplib
import re
import smtplib
import socket
import ssl
import subprocess
import time
import unittest

from mail_util import body_of, client_tls, mail_lab

HOST = "127.0.0.1"


def message(n, subject=None, to="bob@sina.com"):
    subject = subject or f"message {n}"
    return (f"From: Wally Fisk <wfisk@bigsky.com>\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: <m{n}@bigsky.com>\r\nDate: Mon, 7 Dec 2026 10:00:00 +0800\r\n\r\nbody of {n}\r\n").encode()


def deliver(lab, user, messages):
    """Each message to `user` over port 25; each got 250, so it is in the store."""
    with smtplib.SMTP(HOST, lab.ports["smtp"], timeout=60) as s:
        s.ehlo("client.example.org")
        for m in messages:
            assert s.sendmail("wfisk@bigsky.com", [user], m) == {}


def imap(lab, user="bob@sina.com", password="bob123", tls=False):
    c = imaplib.IMAP4(HOST, lab.ports["imap"], timeout=30)
    if tls:
        c.starttls(ssl_context=client_tls())
    if user:
        c.login(user, password)
    return c


def imaps(lab, user="bob@sina.com", password="bob123"):
    c = imaplib.IMAP4_SSL(HOST, lab.ports["imaps"], ssl_context=client_tls(), timeout=30)
    if user:
        c.login(user, password)
    return c


class Raw:
    """A plain socket, for exact bytes and for IDLE (imaplib has no IDLE before Python 3.14)."""

    def __init__(self, lab, timeout=10):
        self.s = socket.create_connection((HOST, lab.ports["imap"]), timeout=timeout)
        self.f = self.s.makefile("rb")
        self.greeting = self.line()

    def send(self, data):
        self.s.sendall(data if isinstance(data, bytes) else data.encode())

    def line(self):
        return self.f.readline()

    def until(self, tag):
        """Lines up to and including the one starting with `tag ` (b"a1")."""
        lines = []
        while True:
            line = self.line()
            if not line:
                raise AssertionError(f"connection closed; got {lines!r}")
            lines.append(line)
            if line.startswith(tag + b" "):
                return lines

    def cmd(self, tag, text):
        self.send(f"{tag} {text}\r\n")
        return self.until(tag.encode())

    def close(self):
        self.s.close()


class ImapClients(unittest.TestCase):
    """One lab; messages for bob over SMTP; every client reads them back exactly."""

    @classmethod
    def setUpClass(cls):
        cls.lab = mail_lab(ports=("smtp", "imap", "imaps", "pop3"))
        cls.addClassCleanup(cls.lab.__exit__, None, None, None)
        cls.lab.start()

    def test_greeting_and_capabilities(self):
        r = Raw(self.lab)
        self.assertTrue(r.greeting.startswith(b"* OK [CAPABILITY IMAP4rev1 "), r.greeting)
        self.assertIn(b"STARTTLS", r.greeting)
        self.assertIn(b"AUTH=PLAIN", r.greeting)
        lines = r.cmd("a1", "CAPABILITY")
        self.assertTrue(lines[0].startswith(b"* CAPABILITY IMAP4rev1"), lines)
        self.assertEqual(lines[-1], b"a1 OK Capability completed.\r\n")
        r.cmd("a2", "LOGOUT")
        r.close()

    def test_imaplib_reads_what_smtp_delivered(self):
        sent = [message(1), message(2, "second"), message(3, "=?UTF-8?B?5rWL6K+V?=")]
        before = imap(self.lab)
        _, [n] = before.select("INBOX")
        base = int(n)
        before.logout()
        deliver(self.lab, "bob@sina.com", sent)
        for how in ("plain", "starttls", "imaps"):
            with self.subTest(how=how):
                c = imaps(self.lab) if how == "imaps" else imap(self.lab, tls=how == "starttls")
                typ, data = c.select("INBOX", readonly=True)
                self.assertEqual(typ, "OK")
                self.assertEqual(int(data[0]), base + 3)
                for i, want in enumerate(sent):
                    typ, data = c.fetch(str(base + i + 1), "(UID RFC822.SIZE BODY.PEEK[])")
                    self.assertEqual(typ, "OK")
                    got = data[0][1]
                    self.assertEqual(body_of(got), want)
                    size = int(re.search(rb"RFC822\.SIZE (\d+)", data[0][0]).group(1))
                    self.assertEqual(size, len(got))
                typ, data = c.fetch(f"{base + 2}", "(ENVELOPE)")
                self.assertIn(b'"second"', data[0])
                self.assertIn(b'(("Wally Fisk" NIL "wfisk" "bigsky.com"))', data[0])
                c.logout()

    def test_flags_persist_and_search_finds_them(self):
        deliver(self.lab, "jack@sina.com", [message(10, "flag me", "jack@sina.com")])
        c = imap(self.lab, "jack@sina.com", "jack123")
        _, [n] = c.select("INBOX")
        last = int(n)
        typ, data = c.store(str(last), "+FLAGS", "(\\Flagged $Work)")
        self.assertEqual(typ, "OK")
        self.assertIn(b"\\Flagged", data[0])
        self.assertIn(b"$Work", data[0])
        typ, data = c.search(None, "FLAGGED", "KEYWORD", "$Work")
        self.assertEqual(data[0].split()[-1], str(last).encode())
        c.logout()
        c = imap(self.lab, "jack@sina.com", "jack123")
        c.select("INBOX", readonly=True)
        typ, data = c.fetch(str(last), "(FLAGS)")
        self.assertIn(b"\\Flagged", data[0])
        self.assertIn(b"$Work", data[0])
        typ, data = c.uid("SEARCH", None, "SUBJECT", "\"flag me\"")
        self.assertTrue(data[0], data)
        c.logout()

    def test_reading_sets_seen_but_peek_does_not(self):
        deliver(self.lab, "jack@sina.com", [message(20, "seen test", "jack@sina.com")])
        c = imap(self.lab, "jack@sina.com", "jack123")
        _, [n] = c.select("INBOX")
        n = n.decode()
        _, data = c.fetch(n, "(BODY.PEEK[TEXT] FLAGS)")
        self.assertNotIn(b"\\Seen", data[-1] if isinstance(data[-1], bytes) else data[0][0])
        _, data = c.fetch(n, "(BODY[TEXT])")
        flat = b" ".join(x if isinstance(x, bytes) else x[0] for x in data)
        self.assertIn(b"\\Seen", flat)  # RFC 9051 6.4.5: the FETCH reports the FLAGS it changed
        _, data = c.search(None, "UNSEEN")
        self.assertNotIn(n.encode(), data[0].split())
        c.logout()

    def test_folders_append_copy_move(self):
        c = imap(self.lab, "jack@sina.com", "jack123")
        typ, data = c.list()
        self.assertEqual(typ, "OK")
        listing = b"\n".join(data)
        for name, use in ((b"Sent", b"\\Sent"), (b"Drafts", b"\\Drafts"), (b"Trash", b"\\Trash"), (b"Junk", b"\\Junk")):
            self.assertRegex(listing, rb"\(.*" + re.escape(use) + rb".*\) \"/\" " + name)
        self.assertIn(b'"/" INBOX', listing)
        typ, data = c.create("Lab/Week1")
        self.assertEqual(typ, "OK", data)
        typ, data = c.create("Lab/Week1")
        self.assertEqual(typ, "NO")
        self.assertIn(b"ALREADYEXISTS", data[0])
        typ, data = c.append("Lab/Week1", "(\\Seen)", None, message(30, "appended", "jack@sina.com"))
        self.assertEqual(typ, "OK", data)
        self.assertRegex(data[0], rb"^\[APPENDUID \d+ 1\]")
        c.select("Lab/Week1")
        typ, data = c.copy("1", "Trash")
        self.assertRegex(data[0], rb"^\[COPYUID \d+ 1 \d+\]")
        typ, data = c._simple_command("MOVE", "1", "Drafts")
        self.assertEqual(typ, "OK")
        _, data = c.select("Lab/Week1")
        self.assertEqual(data[0], b"0")
        _, data = c.status("Drafts", "(MESSAGES UIDNEXT)")
        self.assertRegex(data[0], rb"MESSAGES [1-9]")
        typ, data = c.append("Nowhere", None, None, message(31))
        self.assertEqual(typ, "NO")
        self.assertIn(b"TRYCREATE", data[0])
        c.select("INBOX")
        c.delete("Lab/Week1")
        c.logout()

    def test_big_append_streams_into_the_store_and_reads_back(self):
        # A 6 MB APPEND is staged into the store a part at a time (never held whole) and reads back exactly;
        # bare LFs become CRLF (RFC 9051 6.3.12), as SMTP's side stores them.
        import random
        body = b"".join(b"%08d " % i + random.Random(i).randbytes(30).hex().encode() + b"\r\n" for i in range(90000))
        raw = b"From: jack@sina.com\r\nTo: jack@sina.com\r\nSubject: big append\r\n\r\n" + body
        c = imap(self.lab, "jack@sina.com", "jack123")
        typ, data = c.append("Drafts", None, None, raw)
        self.assertEqual(typ, "OK", data)
        uid = re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1).decode()
        typ, data = c.append("Drafts", None, None, b"Subject: bare\n\nline one\nline two\n")
        self.assertEqual(typ, "OK", data)
        bare_uid = re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1).decode()
        c.select("Drafts", readonly=True)
        typ, data = c.uid("FETCH", uid, "(RFC822.SIZE BODY.PEEK[])")
        self.assertEqual(data[0][1], raw)
        self.assertIn(b"RFC822.SIZE %d" % len(raw), data[0][0])
        typ, data = c.uid("FETCH", bare_uid, "(BODY.PEEK[])")
        self.assertEqual(data[0][1], b"Subject: bare\r\n\r\nline one\r\nline two\r\n")
        c.logout()

    def test_fetch_of_many_bodies_comes_back_whole_and_in_order(self):
        # 120 messages of ~20 KB: more than one trip's worth (about 1 MB rendered at a time); every body back, in order.
        c = imap(self.lab, "jack@sina.com", "jack123")
        c.create("Many")
        sent = []
        for i in range(120):
            raw = (f"Subject: many {i}\r\n\r\n".encode() + (b"%04d " % i) * 4000 + b"\r\n")
            sent.append(raw)
            typ, _ = c.append("Many", None, None, raw)
            self.assertEqual(typ, "OK")
        c.select("Many", readonly=True)
        typ, data = c.fetch("1:*", "(UID BODY.PEEK[])")
        self.assertEqual(typ, "OK")
        bodies = [d[1] for d in data if isinstance(d, tuple)]
        self.assertEqual(bodies, sent)
        c.logout()

    def test_curl_reads_and_lists(self):
        deliver(self.lab, "jack@sina.com", [message(40, "curl me", "jack@sina.com")])
        port = self.lab.ports["imap"]
        out = subprocess.run(["curl", "-sS", "--max-time", "30", f"imap://{HOST}:{port}/", "--user", "jack@sina.com:jack123"],
                             capture_output=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(b"INBOX", out.stdout)
        self.assertIn(b"Sent", out.stdout)
        c = imap(self.lab, "jack@sina.com", "jack123")
        _, [n] = c.select("INBOX")
        _, data = c.fetch(n, "(UID)")
        uid = re.search(rb"UID (\d+)", data[0]).group(1).decode()
        c.logout()
        for scheme, key in (("imap", "imap"), ("imaps", "imaps")):
            out = subprocess.run(["curl", "-sS", "--max-time", "30", "--insecure",
                                  f"{scheme}://{HOST}:{self.lab.ports[key]}/INBOX;UID={uid}",
                                  "--user", "jack@sina.com:jack123"], capture_output=True, timeout=60)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertIn(b"Subject: curl me", out.stdout)
            self.assertIn(b"body of 40", out.stdout)

    def test_idle_sees_smtp_delivery_within_a_second(self):
        r = Raw(self.lab)
        r.cmd("a1", "LOGIN bob@sina.com bob123")
        lines = r.cmd("a2", "SELECT INBOX")
        exists = [int(l.split()[1]) for l in lines if l.endswith(b" EXISTS\r\n")][0]
        r.send("a3 IDLE\r\n")
        self.assertEqual(r.line(), b"+ idling\r\n")
        start = time.monotonic()
        deliver(self.lab, "bob@sina.com", [message(50, "while idle")])
        line = r.line()
        took = time.monotonic() - start
        self.assertEqual(line, f"* {exists + 1} EXISTS\r\n".encode())
        self.assertLess(took, 1.0)
        r.send("DONE\r\n")
        rest = r.until(b"a3")
        self.assertEqual(rest[-1], b"a3 OK Idle completed.\r\n")
        r.cmd("a4", "LOGOUT")
        r.close()

    def test_two_sessions_see_each_others_changes(self):
        deliver(self.lab, "jack@sina.com", [message(60 + i, f"pair {i}", "jack@sina.com") for i in range(3)])
        a, b = Raw(self.lab), Raw(self.lab)
        for r in (a, b):
            r.cmd("l", "LOGIN jack@sina.com jack123")
        la = a.cmd("s", "SELECT INBOX")
        b.cmd("s", "SELECT INBOX")
        n = [int(l.split()[1]) for l in la if l.endswith(b" EXISTS\r\n")][0]
        a.cmd("f", f"STORE {n} +FLAGS (\\Flagged)")
        lines = b.cmd("n", "NOOP")
        self.assertTrue(any(re.match(rb"\* %d FETCH \(UID \d+ FLAGS \(\\Flagged\)\)" % n, l) for l in lines), lines)
        a.cmd("d", f"STORE {n - 1} +FLAGS.SILENT (\\Deleted)")
        a.cmd("e", "EXPUNGE")
        # RFC 9051 7.5.1: not during FETCH by sequence number, but at the next command that allows it.
        lines = b.cmd("f", f"FETCH {n} (FLAGS)")
        self.assertFalse(any(l.endswith(b" EXPUNGE\r\n") for l in lines), lines)
        lines = b.cmd("n2", "NOOP")
        self.assertIn(f"* {n - 1} EXPUNGE\r\n".encode(), lines)
        lines = b.cmd("f2", f"FETCH {n - 1} (FLAGS)")
        self.assertIn(b"\\Flagged", lines[0])  # the message that was n is now n - 1
        for r in (a, b):
            r.cmd("o", "LOGOUT")
            r.close()

    def test_copy_by_number_names_the_message_the_client_means(self):
        # Another session expunges message 3; B's "COPY 4" still means what B calls 4 (RFC 9051 7.5.1:
        # no EXPUNGE may renumber the set before it is resolved); the EXPUNGE comes after.
        c = imap(self.lab, "jack@sina.com", "jack123")
        c.create("CopyBox")
        c.create("CopyTarget")
        for i in range(5):
            c.append("CopyBox", None, None, f"Subject: copy {i}\r\n\r\nbody {i}\r\n".encode())
        a, b = Raw(self.lab), Raw(self.lab)
        for r in (a, b):
            r.cmd("l", "LOGIN jack@sina.com jack123")
            r.cmd("s", "SELECT CopyBox")
        a.cmd("d", "STORE 3 +FLAGS.SILENT (\\Deleted)")
        a.cmd("e", "EXPUNGE")
        lines = b.cmd("c", "COPY 4 CopyTarget")
        self.assertEqual(lines[-1][:5], b"c OK ", lines)
        lines = b.cmd("n", "NOOP")
        self.assertIn(b"* 3 EXPUNGE\r\n", lines)
        c.select("CopyTarget", readonly=True)
        _, data = c.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertIn(b"Subject: copy 3", data[0][1])  # the 4th message, as B numbered it
        for r in (a, b):
            r.close()
        c.logout()

    def test_nul_never_goes_out_in_a_literal_even_a_streamed_one(self):
        # RFC 9051 4.3: a literal may not hold NUL; a message that does gets 0x80 in its place (as Dovecot),
        # in a big BODY[] that is streamed as much as in a small one.
        c = imap(self.lab, "jack@sina.com", "jack123")
        raw = b"Subject: nul\r\n\r\na\x00b\r\n" + b"x" * 78 + b"\r\n" + (b"y" * 78 + b"\r\n") * 1000
        typ, data = c.append("Drafts", None, None, raw)
        uid = re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1).decode()
        c.select("Drafts", readonly=True)
        for what in ("BODY.PEEK[]", "BODY.PEEK[]<0.1000>"):
            _, data = c.uid("FETCH", uid, f"({what})")
            self.assertNotIn(b"\x00", data[0][1], what)
            self.assertIn(b"a\x80b", data[0][1], what)
        c.logout()

    def test_idle_session_hears_bye_when_its_mailbox_is_deleted(self):
        c = imap(self.lab, "jack@sina.com", "jack123")
        c.create("Doomed")
        r = Raw(self.lab)
        r.cmd("l", "LOGIN jack@sina.com jack123")
        r.cmd("s", "SELECT Doomed")
        r.send("i IDLE\r\n")
        self.assertEqual(r.line(), b"+ idling\r\n")
        c.delete("Doomed")
        self.assertTrue(r.line().startswith(b"* BYE "))
        self.assertEqual(r.line(), b"")
        r.close()
        c.logout()

    def test_pop3_and_imap_see_the_same_inbox(self):
        import poplib
        deliver(self.lab, "jack@sina.com", [message(70, "both ways", "jack@sina.com")])
        p = poplib.POP3(HOST, self.lab.ports["pop3"], timeout=30)
        p.user("jack@sina.com")
        p.pass_("jack123")
        count, _ = p.stat()
        _, uidls, _ = p.uidl()
        p.quit()
        c = imap(self.lab, "jack@sina.com", "jack123")
        _, [n] = c.select("INBOX", readonly=True)
        self.assertEqual(int(n), count)
        _, data = c.fetch(n, "(UID)")
        uid = re.search(rb"UID (\d+)", data[0]).group(1)
        self.assertTrue(uidls[-1].endswith(b"." + uid), (uidls[-1], uid))
        c.logout()

    def test_bad_input_gets_bad_and_harms_nothing(self):
        r = Raw(self.lab)
        self.assertEqual(r.cmd("a1", "FROBNICATE")[-1][:6], b"a1 BAD")
        self.assertEqual(r.cmd("a2", "SELECT INBOX")[-1][:6], b"a2 BAD")  # not logged in
        self.assertEqual(r.cmd("a3", "LOGIN bob@sina.com wrong")[-1][:25], b"a3 NO [AUTHENTICATIONFAIL")
        r.cmd("a4", "LOGIN bob@sina.com bob123")
        self.assertEqual(r.cmd("a5", "FETCH 1 (FLAGS)")[-1][:6], b"a5 BAD")  # nothing selected
        r.cmd("a6", "SELECT INBOX")
        self.assertEqual(r.cmd("a7", "FETCH 1:x (FLAGS)")[-1][:6], b"a7 BAD")
        self.assertEqual(r.cmd("a8", "FETCH 99999 (FLAGS)")[-1][:6], b"a8 BAD")
        self.assertEqual(r.cmd("a9", "UID FETCH 99999 (FLAGS)")[-1], b"a9 OK Fetch completed.\r\n")
        r.send("b1 APPEND INBOX {999999999999}\r\n")
        self.assertIn(b"b1 NO", r.line())
        self.assertEqual(r.cmd("b2", "NOOP")[-1], b"b2 OK NOOP completed.\r\n")
        r.close()
        # 20 bad commands in a row end the session (as Dovecot's imap_max_bad_commands)
        r = Raw(self.lab)
        for i in range(19):
            self.assertEqual(r.cmd(f"x{i}", "NONSENSE")[-1][:len(f"x{i} BAD")], f"x{i} BAD".encode())
        r.send("x19 NONSENSE\r\n")
        self.assertTrue(r.line().startswith(b"x19 BAD"))
        self.assertEqual(r.line(), b"* BYE Too many invalid IMAP commands.\r\n")
        self.assertEqual(r.line(), b"")
        r.close()


if __name__ == "__main__":
    unittest.main()
