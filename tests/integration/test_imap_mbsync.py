"""mbsync (isync 1.4) keeps a local Maildir and bob's IMAP account in step both ways: new mail, flags, deletions and folders (issue 15, item 4).

The channel syncs everything (Sync All: new messages, flags and deletions
both ways, RFC 9051 sections 6.4.5 FETCH BODY.PEEK, 6.3.12 APPEND, 6.4.6
STORE, 6.4.3 EXPUNGE), creates folders on either side (Create Both) and
expunges on both (Expunge Both). Maildir flags are the letters after ":2,"
in a file's name (F flagged, R answered, S seen, T trashed), as mbsync reads
and writes them. mbsync gets its own configuration file (-c) and state in the
test's directory, never ~/.mbsyncrc. It connects by address and checks names
only against DNS names in the certificate, so its CertificateFile holds the
lab CA and the certificate the lab presents: a certificate listed there is
trusted as it is, the way mbsync's manual tells a user to take a
self-signed one (test_tls_ca.py checks the names against the CA).
"""

import email
import email.policy
import glob
import imaplib
import os
import re
import ssl
import subprocess
import unittest

from mail_util import client_env, client_tls, dump, lab_ca, mail_lab, send_all

HOST = "127.0.0.1"
USER, PASSWORD = "bob@sina.com", "bob123"


def message(subject):
    return (f"From: Wally Fisk <wfisk@bigsky.com>\r\nTo: bob@sina.com\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '.')}@bigsky.com>\r\n\r\nThis is {subject}.\r\n").encode()


def without_tuid(data):
    return re.sub(rb"(?m)^X-TUID: [^\r\n]*\r\n", b"", data)


def subject_of(data):
    return email.message_from_bytes(data, policy=email.policy.default)["Subject"]


# --- the Maildir side ------------------------------------------------------

def local_messages(folder):
    """{subject: path} of a Maildir folder's messages (new/ and cur/)."""
    out = {}
    for path in glob.glob(os.path.join(folder, "new", "*")) + glob.glob(os.path.join(folder, "cur", "*")):
        with open(path, "rb") as f:
            out[subject_of(f.read())] = path
    return out


def local_flags(path):
    name = os.path.basename(path)
    return set(name.split(":2,", 1)[1]) if ":2," in name else set()


def set_local_flags(path, flags):
    """What a Maildir reader does to flag a message: the file goes to cur/ with the letters, in ASCII order, after ':2,'."""
    folder = os.path.dirname(os.path.dirname(path))
    base = os.path.basename(path).split(":2,", 1)[0]
    os.rename(path, os.path.join(folder, "cur", f"{base}:2,{''.join(sorted(flags))}"))


def write_local(folder, name, data, flags=""):
    """A message a Maildir reader put there itself (delivered to tmp/, then renamed, as Maildir requires)."""
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
    tmp = os.path.join(folder, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(data.replace(b"\r\n", b"\n"))
    os.rename(tmp, os.path.join(folder, "cur", f"{name}:2,{flags}"))


# --- the IMAP side ---------------------------------------------------------

IMAP_FLAGS = {b"\\Flagged": "F", b"\\Answered": "R", b"\\Seen": "S", b"\\Deleted": "T", b"\\Draft": "D"}


def imap(lab):
    c = imaplib.IMAP4_SSL(HOST, lab.ports["imaps"], ssl_context=client_tls(), timeout=30)
    c.login(USER, PASSWORD)
    return c


def remote_messages(lab, mailbox="INBOX"):
    """{subject: (uid, Maildir letters of its IMAP flags, message bytes)} of a mailbox, read with BODY.PEEK.
    Two FETCHes, so that no parsing depends on the order of the items in a FETCH response."""
    c = imap(lab)
    try:
        typ, data = c.select(mailbox)
        assert typ == "OK", (mailbox, typ, data)
        if data[0] == b"0":
            return {}
        typ, data = c.fetch("1:*", "(UID FLAGS)")
        assert typ == "OK", data
        state = {}
        for line in data:
            m = re.fullmatch(rb"(\d+) \((.*)\)", line)
            flags = re.search(rb"FLAGS \(([^)]*)\)", m[2])[1].split()
            state[m[1]] = (int(re.search(rb"UID (\d+)", m[2])[1]), {IMAP_FLAGS[f] for f in flags if f in IMAP_FLAGS})
        typ, data = c.fetch("1:*", "(BODY.PEEK[])")
        assert typ == "OK", data
        out = {}
        for item in data:
            if isinstance(item, tuple):
                out[subject_of(item[1])] = (*state[item[0].split()[0]], item[1])
        assert len(out) == len(state), (state, data)
        return out
    finally:
        c.logout()


# --- mbsync ----------------------------------------------------------------

class Mbsync:
    """One mbsync channel between bob's account and workdir/mail, over 993 (IMAPS) or 143 with STARTTLS."""

    def __init__(self, lab, ssl_type="IMAPS"):
        self.lab, self.home = lab, os.path.join(lab.workdir, "mbsync")
        self.maildir = os.path.join(self.home, "mail")
        os.makedirs(self.maildir, exist_ok=True)
        port = lab.ports["imaps" if ssl_type == "IMAPS" else "imap"]
        certs = os.path.join(self.home, "certs.pem")
        with open(lab_ca(lab)) as ca, open(certs, "w") as f:
            f.write(ca.read() + ssl.get_server_certificate((HOST, lab.ports["imaps"])))
        self.rc = os.path.join(self.home, "mbsyncrc")
        with open(self.rc, "w") as f:
            f.write(f"""IMAPAccount lab
Host {HOST}
Port {port}
User {USER}
Pass {PASSWORD}
SSLType {ssl_type}
CertificateFile {certs}
SystemCertificates no
AuthMechs LOGIN
Timeout 20

IMAPStore lab-far
Account lab

MaildirStore lab-near
Path {self.maildir}/
Inbox {self.maildir}/INBOX
SubFolders Verbatim

Channel lab
Far :lab-far:
Near :lab-near:
Patterns *
Sync All
Create Both
Remove None
Expunge Both
SyncState *
""")
        os.chmod(self.rc, 0o600)

    def folder(self, name="INBOX"):
        return os.path.join(self.maildir, name)

    def sync(self):
        r = subprocess.run(["mbsync", "-c", self.rc, "lab"], capture_output=True, text=True, timeout=120,
                           stdin=subprocess.DEVNULL, env=client_env(self.home))
        assert r.returncode == 0, f"mbsync exited with {r.returncode}:\n{r.stdout}{r.stderr}\n{self.lab.log()[-3000:]}"
        return r


class MbsyncChecks(unittest.TestCase):
    def lab(self):
        lab = mail_lab(ports=("smtp", "imap", "imaps"))
        self.addCleanup(lab.__exit__, None, None, None)
        lab.start()
        return lab

    def assertSame(self, local_path, remote_bytes):
        """mbsync writes LF line ends into the Maildir, the IMAP message has CRLF (RFC 9051 section 2.3.1), and
        each copy mbsync made carries its X-TUID header (how it finds the copy again)."""
        with open(local_path, "rb") as f:
            self.assertEqual(without_tuid(f.read().replace(b"\n", b"\r\n")), without_tuid(remote_bytes))

    def assertInSync(self, sync, mailbox="INBOX"):
        """Both sides hold the same messages (subject, bytes) and the same flags."""
        local, remote = local_messages(sync.folder(mailbox)), remote_messages(sync.lab, mailbox)
        self.assertEqual(sorted(local), sorted(remote), mailbox)
        for subject, path in local.items():
            self.assertEqual(local_flags(path), remote[subject][1], f"{mailbox}: {subject}")
            self.assertSame(path, remote[subject][2])


class MbsyncBothWays(MbsyncChecks):
    # New mail, flags set on either side, deletions on either side and a
    # message put into the Maildir by hand: each reaches the other side on the
    # next run, and a run with nothing new changes nothing.
    def test_messages_flags_and_deletions_sync_both_ways(self):
        lab = self.lab()
        send_all(lab, USER, [message(s) for s in ("alpha", "bravo", "charlie")])
        sync = Mbsync(lab)
        sync.sync()
        local = local_messages(sync.folder())
        self.assertEqual(sorted(local), ["alpha", "bravo", "charlie"])
        # BODY.PEEK (RFC 9051 section 6.4.5) leaves the messages unread on both sides.
        self.assertEqual({s: local_flags(p) for s, p in local.items()}, {"alpha": set(), "bravo": set(), "charlie": set()})
        self.assertInSync(sync)
        remote = remote_messages(lab)
        self.assertTrue(remote["alpha"][2].startswith(b"Received: from client.example.org"), remote["alpha"][2][:200])
        self.assertTrue(remote["alpha"][2].endswith(message("alpha")))

        # Flagged and read in the Maildir: \Flagged \Seen over IMAP.
        set_local_flags(local["alpha"], "FS")
        # Answered and read over IMAP: R and S in the Maildir.
        c = imap(lab)
        c.select("INBOX")
        typ, _ = c.uid("STORE", str(remote["bravo"][0]), "+FLAGS", "(\\Answered \\Seen)")
        self.assertEqual(typ, "OK")
        c.logout()
        send_all(lab, USER, [message("delta")])
        sync.sync()
        self.assertEqual(remote_messages(lab)["alpha"][1], {"F", "S"})
        local = local_messages(sync.folder())
        self.assertEqual(local_flags(local["bravo"]), {"R", "S"})
        self.assertIn("delta", local)
        self.assertInSync(sync)

        # Deleted in the Maildir (the file removed): gone over IMAP. Deleted
        # over IMAP (\Deleted, EXPUNGE): the file goes.
        os.unlink(local["charlie"])
        c = imap(lab)
        c.select("INBOX")
        c.uid("STORE", str(remote_messages(lab)["bravo"][0]), "+FLAGS", "(\\Deleted)")
        typ, data = c.expunge()
        self.assertEqual(typ, "OK", data)
        c.logout()
        sync.sync()
        self.assertEqual(sorted(remote_messages(lab)), ["alpha", "delta"])
        self.assertEqual(sorted(local_messages(sync.folder())), ["alpha", "delta"])

        # Written into the Maildir by a local reader, already read: APPENDed
        # (RFC 9051 section 6.3.12) with \Seen, the bytes kept.
        write_local(sync.folder(), "1700000000.local.host", message("echo"), "S")
        sync.sync()
        self.assertEqual(remote_messages(lab)["echo"][1], {"S"})
        self.assertEqual(without_tuid(remote_messages(lab)["echo"][2]), message("echo"))
        self.assertInSync(sync)

        before = {os.path.basename(p) for p in local_messages(sync.folder()).values()}
        r = sync.sync()
        self.assertEqual({os.path.basename(p) for p in local_messages(sync.folder()).values()}, before, r.stdout)
        self.assertInSync(sync)
        messages, _ = dump(lab, USER)
        self.assertEqual(sorted(subject_of(m["message"]) for m in messages if m["mailbox"] == "INBOX"),
                         ["alpha", "delta", "echo"])


class MbsyncFolders(MbsyncChecks):
    # A folder made over IMAP (CREATE, APPEND) appears in the Maildir with its
    # message; a folder made in the Maildir appears over IMAP (mbsync CREATEs
    # it and APPENDs) with its message; the special-use folders every user
    # has (DESIGN.md section 5) come down too. Over 143 with STARTTLS.
    def test_new_folders_sync_both_ways_over_starttls(self):
        lab = self.lab()
        send_all(lab, USER, [message("inbox mail")])
        c = imap(lab)
        self.assertEqual(c.create("Projects")[0], "OK")
        self.assertEqual(c.append("Projects", "(\\Flagged)", None, message("project plan"))[0], "OK")
        c.logout()
        sync = Mbsync(lab, ssl_type="STARTTLS")
        write_local(sync.folder("Notes"), "1700000001.local.host", message("a note"), "")
        sync.sync()

        for name in ("INBOX", "Sent", "Drafts", "Trash", "Junk", "Projects", "Notes"):
            self.assertTrue(os.path.isdir(os.path.join(sync.folder(name), "cur")), name)
        self.assertEqual(sorted(local_messages(sync.folder("Projects"))), ["project plan"])
        self.assertEqual(local_flags(local_messages(sync.folder("Projects"))["project plan"]), {"F"})
        c = imap(lab)
        typ, listing = c.list()
        c.logout()
        self.assertEqual(typ, "OK")
        self.assertTrue(any(line.endswith(b' "Notes"') or line.endswith(b" Notes") for line in listing), listing)
        self.assertEqual(sorted(remote_messages(lab, "Notes")), ["a note"])
        for mailbox in ("INBOX", "Projects", "Notes"):
            self.assertInSync(sync, mailbox)


if __name__ == "__main__":
    unittest.main(verbosity=2)
