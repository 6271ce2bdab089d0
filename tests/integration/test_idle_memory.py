"""What an idle POP3 connection costs the daemon in memory (issue 14, item 6): at most 16 KB of RSS in plaintext and 64 KB over TLS (after STLS).

Before the shared connection layer, every connection held a TLS stream from
the accept (two 17 KB staging vectors) and a 16 KB read buffer in its
coroutine: 59.5 KB idle in plaintext, 76 KB over TLS. tests/bench/idle/run.sh
measures 5,000 connections beside Dovecot; this test holds a few hundred.
"""

import resource
import socket
import time
import unittest

from harness import SANITIZED
from mail_util import client_tls, mail_lab

COUNT = 400


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def read_line(s):
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = s.recv(512)
        if not chunk:
            break
        data += chunk
    return data


@unittest.skipIf(SANITIZED, "a sanitizer's shadow memory is no connection's")
class IdleMemory(unittest.TestCase):
    def setUp(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
        self.held = []
        self.addCleanup(self.close_all)

    def close_all(self):
        for s in self.held:
            s.close()
        self.held = []

    def per_connection_kb(self, tls):
        lab = mail_lab(ports=("smtp", "pop3"),
                       extra=f"[limits]\npop3_connections = {COUNT + 50}\nconnections_per_client = {COUNT + 50}\n")
        self.addCleanup(lab.__exit__, None, None, None)
        lab.start()
        ctx = client_tls()

        def open_one():
            s = socket.create_connection(("127.0.0.1", lab.ports["pop3"]), timeout=10)
            self.assertTrue(read_line(s).startswith(b"+OK"))
            if tls:
                s.sendall(b"STLS\r\n")
                self.assertTrue(read_line(s).startswith(b"+OK"))
                s = ctx.wrap_socket(s, server_hostname="mail.sina.com")
                s.sendall(b"CAPA\r\n")  # a command over TLS, then silence
                while not s.recv(4096).endswith(b".\r\n"):
                    pass
            self.held.append(s)

        for _ in range(20):  # the threads' first allocations are no connection's
            open_one()
        time.sleep(0.3)
        before = rss_kb(lab.proc.pid)
        for _ in range(COUNT):
            open_one()
        time.sleep(0.5)
        after = rss_kb(lab.proc.pid)
        return (after - before) / COUNT

    def test_idle_plaintext_connection(self):
        kb = self.per_connection_kb(tls=False)
        self.assertLessEqual(kb, 16, f"{kb:.1f} KB per idle plaintext connection")

    def test_idle_tls_connection_after_stls(self):
        kb = self.per_connection_kb(tls=True)
        self.assertLessEqual(kb, 64, f"{kb:.1f} KB per idle TLS connection")


if __name__ == "__main__":
    unittest.main()
