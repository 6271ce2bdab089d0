"""Shared by the mail integration tests: a started mxlab with its SMTP listeners, and what its store holds once stopped."""

import json
import os
import smtplib
import socket
import ssl
import subprocess

from harness import Mxlab, free_port

STORE_DUMP = os.environ.get("MXLAB_STORE_DUMP", "store_dump")

MAIL_DOMAINS = """
[[domain]]
name = "sina.com"
[domain.users]
Bob = "bob123"
Jack = "jack123"
[domain.aliases]
postmaster = "Bob"
bob-alias = "Bob"
staff = ["Bob", "Jack", "wfisk@bigsky.com"]
"""
# bigsky.com is not served here and dns.resolvers is empty, so mail queued for
# it stays in the queue (deferred: "no resolver configured") for the test to see.


def mail_lab(extra="", domains=MAIL_DOMAINS, ports=("smtp", "submission", "smtps"), **kw):
    """An Mxlab (not started) with the mail listeners on free ports; lab.ports[name] gives each."""
    return Mxlab(ports={p: free_port() for p in ports}, extra=extra, domains=domains, **kw)


def stop_for_dump(lab):
    if lab.proc is not None and lab.proc.poll() is None:
        code = lab.stop()
        assert code == 0, f"mxlab exited with {code}:\n{lab.log()[-3000:]}"


def dump(lab, *users):
    """Stops `lab` if it runs, then returns (messages, queue) from its store: lists of dicts, message bytes exact."""
    stop_for_dump(lab)
    out = subprocess.run([STORE_DUMP, lab.data_dir, *users], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    messages, queue = [], []
    for line in out.stdout.splitlines():
        rec = json.loads(line)
        rec["message"] = rec["message"].encode("latin-1")
        (queue if "queue_id" in rec else messages).append(rec)
    return messages, queue


def blob_counts(lab):
    """Stops `lab` if it runs, then returns {"blobs", "chunks", "orphan_chunks", "structures", "orphan_structures"}
    of its store's message bodies and the MIME structures kept beside them."""
    stop_for_dump(lab)
    out = subprocess.run([STORE_DUMP, "--blobs", lab.data_dir], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def inbox(messages, user):
    return [m for m in messages if m["user"] == user and m["mailbox"] == "INBOX"]


def body_of(raw):
    """The message as the client sent it: without the Received header (and its folded lines) we put first."""
    assert raw.startswith(b"Received: "), raw[:200]
    lines = raw.split(b"\r\n")
    i = 1
    while lines[i][:1] in (b" ", b"\t"):
        i += 1
    return b"\r\n".join(lines[i:])


def client_tls():
    """A client not told to trust the lab CA (test_tls_ca.py is about that): accept any certificate, as a student's client would after a warning."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def smtp(lab, port_name="smtp", timeout=10):
    return smtplib.SMTP("127.0.0.1", lab.ports[port_name], timeout=timeout)


def smtp_raw(lab, port_name="smtp", helo="c", timeout=10):
    """A plain socket past the greeting and EHLO, for lines a library would not send: (socket, a file to read replies)."""
    c = socket.create_connection(("127.0.0.1", lab.ports[port_name]), timeout=timeout)
    f = c.makefile("rb")
    f.readline()
    c.sendall(f"EHLO {helo}\r\n".encode())
    while f.readline()[3:4] == b"-":
        pass
    return c, f


def send_all(lab, user, messages, port_name="smtp"):
    """Each message to `user` over one SMTP session; each got 250, so each is in the store (DESIGN.md section 5)."""
    with smtplib.SMTP("127.0.0.1", lab.ports[port_name], timeout=60) as s:
        s.ehlo("client.example.org")
        for m in messages:
            assert s.sendmail("wfisk@bigsky.com", [user], m) == {}


def lab_ca(lab):
    """`mxlab tls ca` written to the lab's directory (test_tls_ca.py); returns the file's path."""
    r = lab.run_cli("tls", "ca")
    assert r.returncode == 0 and r.stdout.startswith("-----BEGIN CERTIFICATE-----\n"), r.stderr
    path = os.path.join(lab.workdir, "ca.pem")
    with open(path, "w") as f:
        f.write(r.stdout)
    return path


def client_env(home):
    """HOME and the XDG places inside the test's directory, C locale: a client reads none of the user's configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "MAIL", "MBOX", "NAIL"))}
    env.update(HOME=home, XDG_CONFIG_HOME=home, XDG_DATA_HOME=home, XDG_STATE_HOME=home, LC_ALL="C")
    return env
