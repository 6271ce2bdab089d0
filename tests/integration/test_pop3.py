"""POP3 with real clients (Python poplib, curl, mpop, fetchmail) against a started mxlab: what SMTP delivered comes back byte for byte on 110 (with STLS) and 995, UIDLs stay put, deletions happen only at QUIT, one session per maildrop, and bad input harms nothing (issue 6, part 2).

RFC 1939 (POP3), RFC 2449 (CAPA, response codes), RFC 2595 (STLS), RFC 5034
(AUTH) and DESIGN.md section 5. Messages go in over SMTP (port 25) first; the
store adds one Received header on top, which mail_util.body_of() takes off
again, so every client must hand back exactly the bytes smtplib sent.
Failed logins share one throttle (3 free failures): no lab here sees more
than 2. mpop and fetchmail get their configuration file, HOME and state files
in the lab's temporary directory, never the user's ~/.mpoprc or ~/.fetchmailrc.
"""

import base64
import email.message
import email.policy
import glob
import hashlib
import os
import poplib
import pwd
import random
import re
import smtplib
import socket
import subprocess
import time
import unittest

from mail_util import body_of, client_tls, dump, inbox, mail_lab

HOST = "127.0.0.1"
GREETING = b"+OK mail.sina.com ready."
PLAINTEXT_REFUSED = b"-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections."

# RFC 1939 section 3: a line that starts with "." goes out with another "."
# in front; a line that is just "." or ".." must not end the message early.
DOTS = (b"From: Wally Fisk <wfisk@bigsky.com>\r\nTo: Bob <bob@sina.com>\r\nSubject: dots\r\n"
        b"Message-ID: <dots@bigsky.com>\r\n\r\n"
        b".starts with a dot\r\n..\r\n.\r\nbetween\r\n...three dots\r\n. space\r\nlast line\r\n")
# Sent with BODY=8BITMIME (RFC 6152): the raw UTF-8 bytes must survive.
EIGHT_BIT = ("From: wfisk@bigsky.com\r\nTo: bob@sina.com\r\nSubject: =?UTF-8?B?5rWL6K+V?=\r\n"
             "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
             "中文 text, café, Grüße, 😀\r\n.中 after a dot\r\n").encode()


def big_message():
    """About 13.7 MB: a text part and 10 MiB of (seeded) random bytes in base64, CRLF line ends."""
    m = email.message.EmailMessage()
    m["From"] = "Wally Fisk <wfisk@bigsky.com>"
    m["To"] = "bob@sina.com"
    m["Subject"] = "10 MiB attachment"
    m["Message-ID"] = "<big@bigsky.com>"
    m.set_content("The attachment is 10 MiB of random bytes.\n")
    m.add_attachment(random.Random(20261127).randbytes(10 * 2**20), maintype="application",
                     subtype="octet-stream", filename="random.bin")
    m.set_boundary("mxlab-pop3-test-boundary")
    raw = m.as_bytes(policy=email.policy.SMTP)
    assert raw.count(b"\n") == raw.count(b"\r\n") and raw.endswith(b"\r\n")
    return raw


def sha(data):
    return hashlib.sha256(data).hexdigest()


def deliver(lab, user, messages):
    """Sends each message to `user` over port 25; each got 250, so it is in the store (DESIGN.md section 5)."""
    with smtplib.SMTP(HOST, lab.ports["smtp"], timeout=60) as s:
        s.ehlo("client.example.org")
        for m in messages:
            refused = s.sendmail("wfisk@bigsky.com", [user], m, mail_options=["BODY=8BITMIME"])
            assert refused == {}, refused


def small(n):
    return f"From: wfisk@bigsky.com\r\nTo: bob@sina.com\r\nSubject: message {n}\r\n\r\nbody of {n}\r\n".encode()


# --- poplib --------------------------------------------------------------

def pop3(lab, user=None, password=None, stls=False):
    """poplib on the plain port; STLS first when asked; logged in when a user is given."""
    p = poplib.POP3(HOST, lab.ports["pop3"], timeout=30)
    if stls:
        p.stls(context=client_tls())
    if user is not None:
        p.user(user)
        p.pass_(password)
    return p


def pop3s(lab, user=None, password=None):
    p = poplib.POP3_SSL(HOST, lab.ports["pop3s"], context=client_tls(), timeout=30)
    if user is not None:
        p.user(user)
        p.pass_(password)
    return p


def retr(p, n):
    """RETR n as bytes, dot-stuffing undone by poplib, CRLF line ends."""
    _, lines, _ = p.retr(n)
    return b"".join(line + b"\r\n" for line in lines)


def pairs(lines):
    """'n value' lines of LIST or UIDL -> [(n, value)]."""
    out = []
    for line in lines:
        n, value = line.split(b" ")
        out.append((int(n), value))
    return out


def quit_and_wait(p):
    """QUIT, then wait until the server closes: RFC 1939 section 6 releases the maildrop before that."""
    resp = p._shortcmd("QUIT")
    rest = p.file.read()
    p.close()
    assert rest == b"", rest[:200]
    return resp


# --- a raw dialog, for the exact bytes on the wire -------------------------

class Dialog:
    """One POP3 connection spoken to line by line."""

    def __init__(self, lab, port_name="pop3", timeout=30, source=None):
        self.sock = socket.create_connection((HOST, lab.ports[port_name]), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        if port_name == "pop3s":
            self.sock = client_tls().wrap_socket(self.sock)
        self.f = self.sock.makefile("rb")
        self.greeting = self.f.readline()

    def send(self, data):
        self.sock.sendall(data)

    def line(self):
        return self.f.readline()

    def cmd(self, text):
        self.send(text + b"\r\n")
        return self.line()

    def multi(self):
        """The lines of a multi-line reply up to (without) the terminating '.', still byte-stuffed."""
        lines = []
        while True:
            line = self.f.readline()
            assert line.endswith(b"\r\n"), (line, lines[-3:])
            if line == b".\r\n":
                return lines
            lines.append(line)

    def login(self, user, password):
        reply = self.cmd(b"USER " + user.encode())
        assert reply == b"+OK\r\n", reply
        return self.cmd(b"PASS " + password.encode())

    def stls(self):
        reply = self.cmd(b"STLS")
        assert reply.startswith(b"+OK"), reply
        self.f.close()
        self.sock = client_tls().wrap_socket(self.sock)
        self.f = self.sock.makefile("rb")

    def rest(self):
        """Everything until the server closes (a reset counts as closed)."""
        data = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return data
                data += chunk
        except ConnectionResetError:
            return data

    def quit_and_wait(self):
        reply = self.cmd(b"QUIT")
        rest = self.f.read()
        self.close()
        assert rest == b"", rest[:200]
        return reply

    def close(self):
        """Closes the socket; without a QUIT this is a dropped connection. Closing twice is harmless."""
        self.f.close()
        self.sock.close()


def stuffed(raw):
    """RFC 1939 section 3 byte-stuffing of a CRLF message, as it must appear on the wire."""
    return re.sub(rb"(?m)^\.", b"..", raw)


# --- external clients ----------------------------------------------------

def client(args, env=None, timeout=120):
    """Runs a client program; returns CompletedProcess with bytes output (killed on timeout)."""
    return subprocess.run(args, capture_output=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL)


def isolated_env(home):
    """HOME and the config locations point into the test's directory: no ~/.mpoprc or ~/.fetchmailrc is read."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "FETCHMAIL", "MPOP"))}
    env.update(HOME=home, XDG_CONFIG_HOME=home, FETCHMAILHOME=home, LC_ALL="C",
               # fetchmail running as root runs its MDA as $FETCHMAILUSER: the owner of the test directory.
               FETCHMAILUSER=pwd.getpwuid(os.getuid()).pw_name)
    return env


def curl(lab, url_path, user="bob@sina.com:bob123", scheme="pop3", *extra):
    port = lab.ports[scheme]
    return client(["curl", "-sS", "--max-time", "60", "--insecure", f"{scheme}://{HOST}:{port}/{url_path}",
                   "--user", user, *extra])


def run_mpop(lab, workdir, user, password, keep=True, auth="plain"):
    """mpop over STLS on the plain port into workdir/Maildir; returns (CompletedProcess, {file name: bytes})."""
    maildir = os.path.join(workdir, "Maildir")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(maildir, sub), exist_ok=True)
    rc = os.path.join(workdir, "mpoprc")
    with open(rc, "w") as f:
        f.write(f"""defaults
tls on
tls_starttls on
tls_certcheck off
account lab
host {HOST}
port {lab.ports["pop3"]}
user {user}
password {password}
auth {auth}
keep {"on" if keep else "off"}
only_new on
received_header off
uidls_file {workdir}/uidls
delivery maildir {maildir}
""")
    os.chmod(rc, 0o600)  # mpop refuses a readable file that holds a password
    r = client(["mpop", "--half-quiet", "-C", rc, "lab"], env=isolated_env(workdir))
    got = {}
    for path in glob.glob(os.path.join(maildir, "new", "*")) + glob.glob(os.path.join(maildir, "cur", "*")):
        with open(path, "rb") as f:
            got[os.path.basename(path)] = f.read()
    return r, got


def from_maildir(data):
    """mpop writes maildir files with LF line ends, as maildir readers expect: back to CRLF (every sent line ends in CRLF)."""
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def run_fetchmail(lab, workdir, user, password):
    """fetchmail over implicit TLS (995), keeping the mail, each message through an MDA into workdir/out/N.eml."""
    out = os.path.join(workdir, "out")
    os.makedirs(out, exist_ok=True)
    mda = os.path.join(workdir, "deliver.sh")
    with open(mda, "w") as f:
        f.write(f'#!/bin/sh\nn=$(ls "{out}" | wc -l)\nexec cat > "{out}/$n.eml"\n')
    rc = os.path.join(workdir, "fetchmailrc")
    with open(rc, "w") as f:
        # invisible: no Received header of fetchmail's; no rewrite, no stripcr: the bytes as served.
        f.write(f"""set no syslog
set invisible
poll {HOST} with service {lab.ports["pop3s"]} protocol POP3 auth password
  user "{user}" there with password "{password}"
  options ssl no sslcertck keep fetchall no rewrite no stripcr
  mda "/bin/sh {mda}"
""")
    os.chmod(rc, 0o600)  # fetchmail refuses an rc file others can read
    r = client(["fetchmail", "-f", rc, "--idfile", os.path.join(workdir, "fetchids"),
                "--pidfile", os.path.join(workdir, "fetchmail.pid"), "--nodetach", "--nosyslog", "-v"],
               env=isolated_env(workdir))
    got = []
    for name in sorted(os.listdir(out), key=lambda n: int(n.split(".")[0])):
        with open(os.path.join(out, name), "rb") as f:
            got.append(f.read())
    return r, got


class Checks(unittest.TestCase):
    def assertOk(self, reply, what=""):
        """A positive reply (RFC 1939 section 3); the reply itself in the failure message."""
        self.assertTrue(reply.startswith(b"+OK"), f"{what} {reply!r}")

    def dialog(self, lab, port_name="pop3", source=None):
        """A Dialog that is closed when the test ends, however it ends; from the local address `source` when given."""
        d = Dialog(lab, port_name, source=source)
        self.addCleanup(d.close)
        return d

    def login_when_free(self, lab, user, password, timeout=5):
        """A Dialog logged in to `user`, retrying while the server still reports [IN-USE] (it notices a drop only when it reads)."""
        deadline = time.monotonic() + timeout
        while True:
            d = self.dialog(lab)
            reply = d.login(user, password)
            if reply.startswith(b"+OK"):
                return d
            d.close()
            self.assertTrue(reply.startswith(b"-ERR [IN-USE] "), reply)
            self.assertLess(time.monotonic(), deadline, f"maildrop of {user} still locked after {timeout}s: {reply!r}")
            time.sleep(0.1)

    def assertSameMessage(self, got, want, what=""):
        """Exact bytes; a big message is compared by length and SHA-256 so a failure stays readable."""
        if len(want) > 100_000:
            self.assertEqual((len(got), sha(got)), (len(want), sha(want)), what)
        else:
            self.assertEqual(got, want, what)

    def assertSameMessages(self, got, want, what=""):
        """The same messages in any order (a maildir has no order)."""
        self.assertEqual(sorted((len(m), sha(m)) for m in got), sorted((len(m), sha(m)) for m in want), what)


class Pop3Clients(Checks):
    """One lab, three messages for bob (dots, 8-bit, 10 MiB): every client must get them back exactly. No test here changes the maildrop."""

    @classmethod
    def setUpClass(cls):
        cls.lab = mail_lab(ports=("smtp", "pop3", "pop3s"))
        cls.addClassCleanup(cls.lab.__exit__, None, None, None)
        cls.lab.start()
        cls.sent = [DOTS, EIGHT_BIT, big_message()]
        deliver(cls.lab, "bob@sina.com", cls.sent)

    def check_maildrop(self, p, what):
        """STAT, LIST, RETR, UIDL on a logged-in poplib session; returns the UIDL values."""
        count, octets = p.stat()
        self.assertEqual(count, 3, what)
        resp, lines, _ = p.list()
        sizes = pairs(lines)
        self.assertEqual([n for n, _ in sizes], [1, 2, 3], what)
        sizes = [int(v) for _, v in sizes]
        # RFC 1939 section 5: STAT's octets are the sum of the LIST sizes.
        self.assertEqual(sum(sizes), octets, what)
        self.assertEqual(resp, b"+OK 3 messages (%d octets)" % octets, what)
        for n, want in enumerate(self.sent, 1):
            self.assertEqual(p.list(n), b"+OK %d %d" % (n, sizes[n - 1]), what)
            resp, lines, _ = p.retr(n)
            raw = b"".join(line + b"\r\n" for line in lines)
            # The size LIST gives is the exact size of what RETR sends (before stuffing).
            self.assertEqual(resp, b"+OK %d octets" % len(raw), what)
            self.assertEqual(len(raw), sizes[n - 1], f"{what}: LIST {n}")
            self.assertTrue(raw.startswith(b"Received: from client.example.org ([127.0.0.1])\r\n"), raw[:200])
            self.assertSameMessage(body_of(raw), want, f"{what}: RETR {n}")
        _, lines, _ = p.uidl()
        uidls = pairs(lines)
        self.assertEqual([n for n, _ in uidls], [1, 2, 3], what)
        for n, u in uidls:
            self.assertEqual(p.uidl(n), b"+OK %d %s" % (n, u), what)
        return [u for _, u in uidls]

    def reference(self):
        """LIST sizes and UIDLs as poplib sees them on the plain port."""
        p = pop3(self.lab, "bob@sina.com", "bob123")
        sizes = [int(v) for _, v in pairs(p.list()[1])]
        uidls = [u for _, u in pairs(p.uidl()[1])]
        quit_and_wait(p)
        return sizes, uidls

    # RFC 1939 sections 4-7 with USER/PASS on port 110, then again after STLS
    # (RFC 2595 section 4) with the bare local part in capitals: the same
    # messages, sizes and UIDLs.
    def test_poplib_plain_then_stls(self):
        p = pop3(self.lab)
        self.assertEqual(p.getwelcome(), GREETING)
        caps = p.capa()
        for cap in ("TOP", "UIDL", "USER", "SASL", "RESP-CODES", "PIPELINING", "STLS"):
            self.assertIn(cap, caps, "RFC 2449 section 5 / RFC 2595 section 4")
        self.assertIn("PLAIN", caps["SASL"])
        p.user("bob@sina.com")
        self.assertOk(p.pass_("bob123"))
        first = self.check_maildrop(p, "plain")
        self.assertEqual(quit_and_wait(p), b"+OK Logging out.")

        p = pop3(self.lab, stls=True)
        caps = p.capa()
        self.assertNotIn("STLS", caps, "RFC 2595 section 4: not offered once TLS is on")
        self.assertIn("USER", caps)
        p.user("BOB")
        p.pass_("bob123")
        second = self.check_maildrop(p, "stls")
        self.assertEqual(quit_and_wait(p), b"+OK Logging out.")

        # RFC 1939 section 7: unique in the maildrop and the same in every session.
        self.assertEqual(first, second)
        self.assertEqual(len(set(first)), 3)
        for u in first:
            self.assertRegex(u, rb"^\d+\.\d+$", "names.cpp uidl(): <uidvalidity>.<uid>")

    # RFC 8314 section 3.3 on 995: implicit TLS, full address in mixed case.
    def test_poplib_pop3s(self):
        p = pop3s(self.lab)
        self.assertEqual(p.getwelcome(), GREETING)
        caps = p.capa()
        self.assertNotIn("STLS", caps)
        self.assertIn("USER", caps)
        p.user("Bob@Sina.COM")
        p.pass_("bob123")
        uidls = self.check_maildrop(p, "pop3s")
        quit_and_wait(p)
        self.assertEqual(uidls, self.reference()[1])

    # RFC 1939 section 7 TOP msg n: the header section, the blank line and n
    # body lines; and section 3 byte-stuffing as it is on the wire, for RETR and TOP.
    def test_top_and_wire_stuffing(self):
        p = pop3(self.lab, "bob", "bob123")
        raw1 = retr(p, 1)
        head, body = raw1.split(b"\r\n\r\n", 1)
        head_lines = head.split(b"\r\n")
        body_lines = body.split(b"\r\n")[:-1]
        self.assertEqual(p.top(1, 0)[1], head_lines + [b""])
        self.assertEqual(p.top(1, 3)[1], head_lines + [b""] + body_lines[:3])
        self.assertEqual(p.top(1, 3)[1][-3:], [b".starts with a dot", b"..", b"."])
        self.assertEqual(p.top(1, 1000)[1], head_lines + [b""] + body_lines, "fewer lines than asked: all of them")
        raw2 = retr(p, 2)
        self.assertEqual(p.top(2, 1)[1], raw2.split(b"\r\n\r\n")[0].split(b"\r\n") + [b"", "中文 text, café, Grüße, 😀".encode()])
        # TOP on the 10 MiB message: just its header section, quickly.
        started = time.monotonic()
        resp, lines, octets = p.top(3, 0)
        self.assertEqual(resp, b"+OK")
        self.assertEqual(lines[-1], b"")
        self.assertIn(b"Subject: 10 MiB attachment", lines)
        self.assertLess(octets, 2000)
        self.assertLess(time.monotonic() - started, 10)
        quit_and_wait(p)

        d = self.dialog(self.lab)
        self.assertOk(d.login("bob@sina.com", "bob123"))
        self.assertEqual(d.cmd(b"RETR 1"), b"+OK %d octets\r\n" % len(raw1))
        self.assertEqual(b"".join(d.multi()), stuffed(raw1))
        self.assertEqual(d.cmd(b"TOP 1 4"), b"+OK\r\n")
        self.assertEqual(d.multi()[-4:], [b"..starts with a dot\r\n", b"...\r\n", b"..\r\n", b"between\r\n"])
        self.assertEqual(d.quit_and_wait(), b"+OK Logging out.\r\n")

    # curl: pop3:// (AUTH PLAIN, and AUTH LOGIN), pop3s:// (AUTH PLAIN with an
    # initial response, RFC 5034 section 4) and pop3:// with --ssl-reqd (STLS);
    # RETR by message number and the LIST form.
    def test_curl(self):
        sizes, uidls = self.reference()
        listing = b"".join(b"%d %d\r\n" % (n, s) for n, s in enumerate(sizes, 1))
        for scheme, extra in (("pop3", ()), ("pop3", ("--login-options", "AUTH=LOGIN")),
                              ("pop3s", ("--sasl-ir",)), ("pop3", ("--ssl-reqd",))):
            what = f"curl {scheme} {' '.join(extra)}"
            for n, want in enumerate(self.sent, 1):
                r = curl(self.lab, str(n), "bob@sina.com:bob123", scheme, *extra)
                self.assertEqual(r.returncode, 0, f"{what} /{n}: {r.stderr.decode(errors='replace')}")
                self.assertEqual(len(r.stdout), sizes[n - 1], f"{what} /{n}")
                self.assertSameMessage(body_of(r.stdout), want, f"{what} /{n}")
            r = curl(self.lab, "", "bob:bob123", scheme, *extra)
            self.assertEqual(r.returncode, 0, f"{what} LIST: {r.stderr.decode(errors='replace')}")
            self.assertEqual(r.stdout, listing, f"{what} LIST")
        r = curl(self.lab, "", "bob@sina.com:bob123", "pop3", "-X", "UIDL")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b"".join(b"%d %s\r\n" % (n, u) for n, u in enumerate(uidls, 1)))

    # mpop: STLS, AUTH PLAIN, PIPELINING, UIDL-based "only new" into a maildir;
    # a second run finds nothing new, since the UIDLs did not change.
    def test_mpop_stls_to_maildir(self):
        work = os.path.join(self.lab.workdir, "mpop")
        os.makedirs(work)
        r, got = run_mpop(self.lab, work, "bob", "bob123")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(len(got), 3, got.keys())
        self.assertSameMessages([body_of(from_maildir(m)) for m in got.values()], self.sent, "mpop")
        r, again = run_mpop(self.lab, work, "bob", "bob123")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(again.keys(), got.keys(), "RFC 1939 section 7: same UIDLs, nothing new to fetch")
        self.assertEqual(len(self.reference()[1]), 3, "keep on: nothing deleted")

    # fetchmail: implicit TLS on 995, USER/PASS, RETR of each message into an MDA.
    def test_fetchmail_pop3s(self):
        work = os.path.join(self.lab.workdir, "fetchmail")
        os.makedirs(work)
        r, got = run_fetchmail(self.lab, work, "bob@sina.com", "bob123")
        self.assertEqual(r.returncode, 0, (r.stdout + r.stderr).decode(errors="replace"))
        self.assertEqual(len(got), 3)
        for n, (m, want) in enumerate(zip(got, self.sent), 1):
            self.assertSameMessage(body_of(m), want, f"fetchmail message {n}")
        self.assertEqual(len(self.reference()[1]), 3, "keep: nothing deleted")

    # RFC 3206 section 4: a wrong password gets -ERR [AUTH]; the session stays
    # in AUTHORIZATION (RFC 1939 section 4) and the next try may succeed,
    # by USER/PASS or by AUTH LOGIN (RFC 5034). Two failures: under the throttle.
    def test_wrong_password_then_retry(self):
        p = pop3(self.lab)
        p.user("bob@sina.com")
        with self.assertRaises(poplib.error_proto) as e:
            p.pass_("wrong")
        self.assertTrue(e.exception.args[0].startswith(b"-ERR [AUTH] "), e.exception.args)
        p.user("bob@sina.com")
        self.assertOk(p.pass_("bob123"))
        self.assertEqual(p.stat()[0], 3)
        quit_and_wait(p)

        d = self.dialog(self.lab)
        b64 = lambda s: base64.b64encode(s.encode())
        reply = d.cmd(b"AUTH PLAIN " + b64("\0jack@sina.com\0bob123"))
        self.assertTrue(reply.startswith(b"-ERR [AUTH] "), reply)
        self.assertTrue(d.cmd(b"AUTH LOGIN").startswith(b"+ "))
        self.assertTrue(d.cmd(b64("jack")).startswith(b"+ "))
        self.assertOk(d.cmd(b64("jack123")))
        self.assertEqual(d.cmd(b"STAT"), b"+OK 0 0\r\n", "jack's INBOX is empty")
        self.assertEqual(d.quit_and_wait(), b"+OK Logging out.\r\n")

    # DESIGN.md section 3 [limits]: failed logins are throttled per client
    # address and login, one count for SMTP, POP3 and IMAP. Three failures go
    # free; the fourth attempt at that login from that address waits 0.5 s
    # before its answer, even with the right password and over SMTP.
    # 127.0.0.7 keeps the other tests' 127.0.0.1 clear.
    def test_failed_logins_slow_the_next_attempt_from_that_address(self):
        source = "127.0.0.7"
        for _ in range(3):
            reply = self.dialog(self.lab, source=source).login("bob@sina.com", "wrong")
            self.assertTrue(reply.startswith(b"-ERR [AUTH] "), reply)
        with smtplib.SMTP(HOST, self.lab.ports["smtp"], timeout=30, source_address=(source, 0)) as s:
            s.ehlo("throttled.example")
            started = time.monotonic()
            code, _ = s.docmd("AUTH", "PLAIN " + base64.b64encode(b"\0bob@sina.com\0bob123").decode())
            waited = time.monotonic() - started
            self.assertEqual(code, 235)
        self.assertGreaterEqual(waited, 0.45, "the 4th attempt is answered after the throttle's 0.5 s")
        # A success forgets the failures: the next wrong password is free again, and refused as usual.
        reply = self.dialog(self.lab, source=source).login("bob@sina.com", "wrong")
        self.assertTrue(reply.startswith(b"-ERR [AUTH] "), reply)


class Pop3Maildrop(Checks):
    """Deletions, locking and UIDLs on a small maildrop: a fresh lab with three messages for bob per test."""

    def setUp(self):
        self.lab = mail_lab(ports=("smtp", "pop3", "pop3s"))
        self.addCleanup(self.lab.__exit__, None, None, None)
        self.lab.start()
        self.sent = [small(1), small(2), small(3)]
        deliver(self.lab, "bob@sina.com", self.sent)

    def listing(self, d):
        """(LIST, UIDL) of a logged-in Dialog as [(n, value)]."""
        self.assertTrue(d.cmd(b"LIST").startswith(b"+OK "))
        sizes = [(n, int(v)) for n, v in pairs(line.rstrip(b"\r\n") for line in d.multi())]
        self.assertEqual(d.cmd(b"UIDL"), b"+OK\r\n")
        uidls = pairs(line.rstrip(b"\r\n") for line in d.multi())
        return sizes, uidls

    # RFC 1939 sections 5 and 6: DELE only marks; QUIT applies the deletions
    # durably; the next session and the store after stop no longer have the
    # message, and the others keep their UIDLs and sizes. mpop without keep
    # (STLS, USER/PASS) empties jack's maildrop the same way.
    def test_dele_quit_removes_durably(self):
        deliver(self.lab, "jack@sina.com", [small("j1"), small("j2")])
        d = self.dialog(self.lab)
        self.assertEqual(d.greeting, GREETING + b"\r\n")
        self.assertEqual(d.login("bob@sina.com", "bob123"), b"+OK Logged in.\r\n")
        sizes, uidls = self.listing(d)
        self.assertEqual(d.cmd(b"DELE 2"), b"+OK message 2 deleted\r\n")
        self.assertEqual(d.cmd(b"STAT"), b"+OK 2 %d\r\n" % (sizes[0][1] + sizes[2][1]))
        self.assertTrue(d.cmd(b"RETR 2").startswith(b"-ERR "), "RFC 1939 section 5: a deleted message may not be referred to")
        self.assertEqual(d.quit_and_wait(), b"+OK Logging out, 1 message deleted.\r\n")

        d = self.dialog(self.lab)
        self.assertOk(d.login("bob", "bob123"))
        sizes2, uidls2 = self.listing(d)
        self.assertEqual(sizes2, [(1, sizes[0][1]), (2, sizes[2][1])], "renumbered in the new session")
        self.assertEqual(uidls2, [(1, uidls[0][1]), (2, uidls[2][1])], "the survivors keep their UIDLs")
        self.assertEqual(d.cmd(b"RETR 2"), b"+OK %d octets\r\n" % sizes[2][1])
        self.assertEqual(body_of(b"".join(d.multi())), self.sent[2])
        self.assertEqual(d.quit_and_wait(), b"+OK Logging out.\r\n")

        work = os.path.join(self.lab.workdir, "mpop")
        os.makedirs(work)
        r, got = run_mpop(self.lab, work, "Jack@sina.com", "jack123", keep=False, auth="user")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertSameMessages([body_of(from_maildir(m)) for m in got.values()], [small("j1"), small("j2")], "mpop")
        p = pop3(self.lab, "jack", "jack123")
        self.assertEqual(p.stat(), (0, 0), "mpop deleted what it fetched")
        quit_and_wait(p)

        msgs, _ = dump(self.lab, "bob@sina.com", "jack@sina.com")
        stored = inbox(msgs, "bob@sina.com")
        self.assertEqual([m["uidl"].encode() for m in stored], [uidls[0][1], uidls[2][1]])
        self.assertEqual([m["size"] for m in stored], [sizes[0][1], sizes[2][1]])
        self.assertEqual([body_of(m["message"]) for m in stored], [self.sent[0], self.sent[2]])
        self.assertEqual(inbox(msgs, "jack@sina.com"), [])

    # RFC 1939 section 6: a session that ends without QUIT never enters UPDATE
    # (also with a command cut in half); RSET unmarks everything (section 5);
    # a QUIT after RSET deletes nothing.
    def test_drop_and_rset_delete_nothing(self):
        d = self.dialog(self.lab)
        self.assertOk(d.login("bob@sina.com", "bob123"))
        sizes, uidls = self.listing(d)
        total = sum(s for _, s in sizes)
        self.assertEqual(d.cmd(b"DELE 1"), b"+OK message 1 deleted\r\n")
        self.assertEqual(d.cmd(b"DELE 3"), b"+OK message 3 deleted\r\n")
        self.assertEqual(d.cmd(b"STAT"), b"+OK 1 %d\r\n" % sizes[1][1])
        d.send(b"DELE 2\r\nQU")  # the connection drops in the middle of the QUIT
        self.assertEqual(d.line(), b"+OK message 2 deleted\r\n")
        d.close()

        d = self.login_when_free(self.lab, "bob@sina.com", "bob123")
        self.assertEqual(d.cmd(b"STAT"), b"+OK 3 %d\r\n" % total, "the drop deleted nothing")
        self.assertEqual(self.listing(d), (sizes, uidls))
        self.assertEqual(d.cmd(b"DELE 2"), b"+OK message 2 deleted\r\n")
        self.assertEqual(d.cmd(b"DELE 3"), b"+OK message 3 deleted\r\n")
        self.assertEqual(d.cmd(b"RSET"), b"+OK maildrop has 3 messages (%d octets)\r\n" % total)
        self.assertEqual(d.cmd(b"STAT"), b"+OK 3 %d\r\n" % total)
        self.assertEqual(d.quit_and_wait(), b"+OK Logging out.\r\n")

        p = pop3(self.lab, "bob", "bob123")
        self.assertEqual(p.stat(), (3, total))
        for n, want in enumerate(self.sent, 1):
            self.assertEqual(body_of(retr(p, n)), want)
        quit_and_wait(p)
        msgs, _ = dump(self.lab, "bob@sina.com")
        self.assertEqual([body_of(m["message"]) for m in inbox(msgs, "bob@sina.com")], self.sent)

    # RFC 2449 section 8.1.2: while one session holds bob's maildrop, a login
    # to it (any spelling, either port) gets -ERR [IN-USE] and stays in
    # AUTHORIZATION; jack is not affected. The maildrop is free again once the
    # holder QUITs, and once the holder's connection drops.
    def test_in_use_until_quit_or_drop(self):
        holder = self.dialog(self.lab, "pop3s")
        self.assertOk(holder.login("bob@sina.com", "bob123"))
        self.assertEqual(holder.cmd(b"DELE 1"), b"+OK message 1 deleted\r\n")

        other = self.dialog(self.lab)
        for name in ("bob@sina.com", "BOB", "Bob@Sina.Com"):
            reply = other.login(name, "bob123")
            self.assertTrue(reply.startswith(b"-ERR [IN-USE] "), (name, reply))
        self.assertTrue(other.cmd(b"STAT").startswith(b"-ERR "), "still in AUTHORIZATION")
        self.assertOk(other.login("jack@sina.com", "jack123"), "another user's maildrop is free")
        self.assertEqual(other.quit_and_wait(), b"+OK Logging out.\r\n")

        p = pop3s(self.lab)
        p.user("bob")
        with self.assertRaises(poplib.error_proto) as e:
            p.pass_("bob123")
        self.assertTrue(e.exception.args[0].startswith(b"-ERR [IN-USE] "), e.exception.args)
        p.quit()

        self.assertEqual(holder.cmd(b"STAT")[:6], b"+OK 2 ", "the holder's session goes on undisturbed")
        self.assertEqual(holder.quit_and_wait(), b"+OK Logging out, 1 message deleted.\r\n")

        # Free as soon as the holder's connection is closed by the server.
        second = self.dialog(self.lab)
        self.assertEqual(second.login("bob", "bob123"), b"+OK Logged in.\r\n")
        self.assertEqual(second.cmd(b"STAT")[:6], b"+OK 2 ")
        second.close()  # dropped, no QUIT

        third = self.login_when_free(self.lab, "Bob@sina.com", "bob123")
        self.assertEqual(third.cmd(b"STAT")[:6], b"+OK 2 ")
        self.assertEqual(third.quit_and_wait(), b"+OK Logging out.\r\n")

        # RFC 1939 section 6: the lock is released before the connection is
        # closed, so a client that polls right after another one ended (mpop
        # just after curl) is never told [IN-USE]; on either port.
        for i in range(20):
            for port in ("pop3", "pop3s"):
                d = self.dialog(self.lab, port)
                self.assertOk(d.login("bob", "bob123"), f"round {i} on {port}, right after the last session's QUIT and close:")
                self.assertEqual(d.quit_and_wait(), b"+OK Logging out.\r\n")

    # RFC 1939 section 7: a UIDL is stable across sessions and across a
    # restart of mxlab, and unique; LIST and STAT give the stored sizes.
    def test_uidl_stable_across_restart(self):
        seen = []
        for session in range(3):
            if session == 2:
                self.assertEqual(self.lab.stop(), 0)
                self.lab.start()
            d = self.dialog(self.lab)
            self.assertOk(d.login("bob@sina.com", "bob123"))
            seen.append(self.listing(d))
            total = sum(s for _, s in seen[-1][0])
            self.assertEqual(d.cmd(b"STAT"), b"+OK 3 %d\r\n" % total)
            self.assertEqual(d.quit_and_wait(), b"+OK Logging out.\r\n")
        self.assertEqual(seen[0], seen[1], "across sessions")
        self.assertEqual(seen[0], seen[2], "across a restart")
        sizes, uidls = seen[0]
        self.assertEqual(len({u for _, u in uidls}), 3, "unique")
        for _, u in uidls:
            self.assertRegex(u, rb"^\d+\.\d+$")
        msgs, _ = dump(self.lab, "bob@sina.com")
        stored = inbox(msgs, "bob@sina.com")
        self.assertEqual([m["uidl"].encode() for m in stored], [u for _, u in uidls])
        self.assertEqual([m["size"] for m in stored], [s for _, s in sizes])
        self.assertEqual([len(m["message"]) for m in stored], [s for _, s in sizes])


class Pop3RequireTls(Checks):
    # [tls] require_for_auth = true (DESIGN.md section 3): before STLS, CAPA
    # lists neither USER nor SASL (RFC 2449 sections 6.8, 6.3) and USER, PASS
    # and AUTH get [AUTH] (RFC 3206 section 4, Dovecot's wording); after STLS
    # (RFC 2595 section 4) and on 995 the login works.
    def test_require_for_auth(self):
        lab = mail_lab(extra="[tls]\nrequire_for_auth = true\n", ports=("smtp", "pop3", "pop3s"))
        self.addCleanup(lab.__exit__, None, None, None)
        lab.start()
        deliver(lab, "bob@sina.com", [DOTS])

        p = pop3(lab)
        caps = p.capa()
        self.assertIn("STLS", caps)
        self.assertNotIn("USER", caps)
        self.assertNotIn("SASL", caps)
        with self.assertRaises(poplib.error_proto) as e:
            p.user("bob@sina.com")
        self.assertEqual(e.exception.args[0], PLAINTEXT_REFUSED)
        with self.assertRaises(poplib.error_proto) as e:
            p.pass_("bob123")
        self.assertEqual(e.exception.args[0], PLAINTEXT_REFUSED)
        with self.assertRaises(poplib.error_proto) as e:
            p._shortcmd("AUTH PLAIN " + base64.b64encode(b"\0bob\0bob123").decode())
        self.assertEqual(e.exception.args[0], PLAINTEXT_REFUSED)
        p.stls(context=client_tls())
        self.assertIn("USER", p.capa())
        p.user("bob@sina.com")
        self.assertOk(p.pass_("bob123"))
        self.assertEqual(body_of(retr(p, 1)), DOTS)
        quit_and_wait(p)

        p = pop3s(lab, "bob", "bob123")
        self.assertEqual(body_of(retr(p, 1)), DOTS)
        quit_and_wait(p)

        r = curl(lab, "1", "bob@sina.com:bob123", "pop3", "--ssl-reqd")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(body_of(r.stdout), DOTS)
        msgs, _ = dump(lab, "bob@sina.com")
        self.assertEqual(len(inbox(msgs, "bob@sina.com")), 1)


class Pop3BadInput(Checks):
    # Garbage, NUL bytes, overlong lines, a flood of bad commands, a huge
    # pipelined burst, broken TLS: each gets -ERR or a hang-up, never a crash;
    # the maildrop is untouched, a new connection is served, and mxlab stops
    # with 0.
    def test_bad_input_never_crashes(self):
        lab = mail_lab(ports=("smtp", "pop3", "pop3s"))
        self.addCleanup(lab.__exit__, None, None, None)
        lab.start()
        deliver(lab, "bob@sina.com", [DOTS])

        # NUL bytes: -ERR, and the session goes on (RFC 1939 section 3 commands are printable).
        d = self.dialog(lab)
        self.assertTrue(d.cmd(b"CA\x00PA").startswith(b"-ERR "))
        self.assertTrue(d.cmd(b"USER bob\x00@sina.com").startswith(b"-ERR "))
        self.assertEqual(d.cmd(b"CAPA"), b"+OK Capability list follows\r\n")
        self.assertIn(b"UIDL\r\n", d.multi())
        self.assertOk(d.cmd(b"USER bob"))
        self.assertTrue(d.cmd(b"PASS bob\x00123").startswith(b"-ERR "), "NUL in a password is refused before any check")
        self.assertOk(d.login("bob", "bob123"))
        self.assertEqual(d.quit_and_wait(), b"+OK Logging out.\r\n")

        # In TRANSACTION (a new session: bad commands count per session): each
        # bad line gets exactly one -ERR; nothing is marked deleted.
        d = self.dialog(lab)
        self.assertOk(d.login("bob", "bob123"))
        garbage = [b"RETR", b"RETR x", b"RETR -1", b"TOP 1", b"TOP 1 x", b"DELE 0", b"LIST 99999999999999999999999",
                   b"\xff\xfe\xfd garbage", b"\x00\x00\x00", b"RETR\t1", b"STLS", b"USER bob", b"AUTH PLAIN",
                   b"", b"   ", b"NOOP extra", b"\x1b[2J\x07\x08"]
        # A NOOP after nine: ten refused commands in a row would end the session (issue 14, item 9).
        d.send(b"".join(g + b"\r\n" for g in garbage[:9]) + b"NOOP\r\n" +
               b"".join(g + b"\r\n" for g in garbage[9:]) + b"QUIT\r\n")
        replies = d.rest().split(b"\r\n")
        self.assertEqual(replies[-2:], [b"+OK Logging out.", b""], replies)
        self.assertEqual(len(replies), len(garbage) + 3, replies)
        self.assertEqual(replies[9], b"+OK", replies)
        for g, r in zip(garbage, replies[:9] + replies[10:]):
            self.assertTrue(r.startswith(b"-ERR "), (g, r))
        d.close()

        # A flood of unknown commands: -ERR each, then (as chasquid, after 10 in a row) a hang-up.
        d = self.dialog(lab)
        d.send(b"BOGUS\r\n" * 20)
        replies = d.rest().split(b"\r\n")
        self.assertEqual(replies[-2:], [b"-ERR Too many bad commands.", b""], replies[-3:])
        self.assertTrue(all(r.startswith(b"-ERR ") for r in replies[:-1]), replies)
        d.close()

        # An overlong line (no end in sight, then 1 MB): -ERR and hang-up, or a reset; never +OK.
        for data in (b"USER " + b"a" * 5000, b"X" * 2**20 + b"\r\nCAPA\r\n"):
            d = self.dialog(lab)
            try:
                d.send(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
            rest = d.rest()
            self.assertNotIn(b"+OK", rest)
            self.assertTrue(rest == b"" or rest.startswith(b"-ERR "), rest[:200])
            d.close()

        # A huge pipelined burst is answered in order (RFC 2449 section 6.6).
        d = self.dialog(lab)
        self.assertOk(d.login("bob@sina.com", "bob123"))
        d.send(b"NOOP\r\n" * 5000 + b"LIST\r\n" * 500 + b"STAT\r\n")
        for _ in range(5000):
            self.assertEqual(d.line(), b"+OK\r\n")
        for _ in range(500):
            self.assertTrue(d.line().startswith(b"+OK 1 message"))
            self.assertEqual(len(d.multi()), 1)
        self.assertTrue(d.line().startswith(b"+OK 1 "))
        d.close()  # dropped while logged in

        # Broken TLS: plain text or junk on 995, junk after STLS, and connections closed at once.
        for data in (b"CAPA\r\n", b"\x16\x03\x01\x02\x00" + random.Random(7).randbytes(600), b""):
            with socket.create_connection((HOST, lab.ports["pop3s"]), timeout=30) as s:
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
                try:
                    while s.recv(65536):
                        pass
                except ConnectionResetError:
                    pass
        d = self.dialog(lab)
        self.assertEqual(d.cmd(b"STLS"), b"+OK Begin TLS negotiation\r\n")
        d.send(b"USER bob\r\nPASS bob123\r\n" + random.Random(8).randbytes(300))
        self.assertNotIn(b"+OK", d.rest())
        d.close()
        d = self.dialog(lab)
        d.send(b"AUTH PLAIN\r\n")
        self.assertEqual(d.line(), b"+ \r\n")
        self.assertTrue(d.cmd(b"!!! not base64 !!!").startswith(b"-ERR "))
        self.assertTrue(d.cmd(b"AUTH LOGIN").startswith(b"+ "))
        self.assertTrue(d.cmd(b"*").startswith(b"-ERR "), "RFC 5034 section 4: * cancels")
        d.close()

        # Still serving, and the message is intact.
        p = self.login_when_free(lab, "bob@sina.com", "bob123")
        self.assertEqual(p.greeting, GREETING + b"\r\n")
        self.assertEqual(p.cmd(b"STAT")[:6], b"+OK 1 ")
        self.assertEqual(p.quit_and_wait(), b"+OK Logging out.\r\n")
        p = pop3s(lab, "bob", "bob123")
        self.assertEqual(body_of(retr(p, 1)), DOTS)
        quit_and_wait(p)
        msgs, _ = dump(lab, "bob@sina.com")  # asserts that mxlab stops with 0
        self.assertEqual([body_of(m["message"]) for m in inbox(msgs, "bob@sina.com")], [DOTS])


if __name__ == "__main__":
    unittest.main(verbosity=2)
