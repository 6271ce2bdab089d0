"""A data_dir whose store mxlab wrote before schema 2 (tests/unit/store/fixtures/schema1): `mxlab serve` upgrades it in place once, logs it, and POP3 serves every message with the UIDLs it had (issue 14, item 2).

The fixture's users are wfisk@bigsky.com and jack@bigsky.com (see
fixtures/make_schema1_store.cpp); bigsky.com is this lab's domain. Its queue
entry for remote@sina.com stays deferred: dns.resolvers is empty.
"""

import os
import poplib
import shutil
import unittest

from harness import free_port
from mail_util import mail_lab

HOST = "127.0.0.1"
SOURCE = os.environ.get("MXLAB_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURE = os.path.join(SOURCE, "tests", "unit", "store", "fixtures", "schema1")
DOMAINS = """
[[domain]]
name = "bigsky.com"
[domain.users]
wfisk = "wfisk123"
jack = "jack123"
"""
# What schema 1 held (make_schema1_store.cpp): wfisk's INBOX, UIDVALIDITY 1796684525.
WFISK_INBOX = [
    ("1796684525.1", b"Subject: one\r\n\r\nbody one\r\n"),
    ("1796684525.3", b"Subject: three\r\n\r\nbody three\r\n"),
    ("1796684525.4", b"Subject: list\r\n\r\nto everyone\r\n"),
]


def upgraded_lines(lab):
    return [l for l in lab.log().splitlines() if "event=store.upgraded" in l]


class StoreUpgrade(unittest.TestCase):
    def test_schema1_store_is_upgraded_once_and_served(self):
        lab = mail_lab(domains=DOMAINS, ports=("smtp", "pop3"))
        self.addCleanup(lab.__exit__, None, None, None)
        os.makedirs(lab.data_dir, mode=0o700)
        shutil.copytree(FIXTURE, os.path.join(lab.data_dir, "store"))
        lab.start()
        lines = upgraded_lines(lab)
        self.assertEqual(len(lines), 2, lab.log()[-3000:])
        self.assertIn("schema 1 -> 2: 13 mailboxes, 6 messages", lines[0])
        self.assertIn("schema 2 -> 3: 5 messages (159 bytes) parsed for their MIME structure", lines[1])

        pop = poplib.POP3(HOST, lab.ports["pop3"], timeout=10)
        pop.user("wfisk@bigsky.com")
        pop.pass_("wfisk123")
        self.assertEqual(pop.stat()[0], 3)
        uidls = [l.split()[1].decode() for l in pop.uidl()[1]]
        self.assertEqual(uidls, [u for u, _ in WFISK_INBOX])
        for i, (_, body) in enumerate(WFISK_INBOX, start=1):
            self.assertEqual(b"\r\n".join(pop.retr(i)[1]) + b"\r\n", body)
        pop.dele(1)
        pop.quit()
        self.assertEqual(lab.stop(), 0)

        # Started again: schema 3 already, no second upgrade; the deletion held.
        lab.start()
        self.assertEqual(len(upgraded_lines(lab)), 2)
        pop = poplib.POP3(HOST, lab.ports["pop3"], timeout=10)
        pop.user("jack@bigsky.com")
        pop.pass_("jack123")
        self.assertEqual(b"\r\n".join(pop.retr(1)[1]) + b"\r\n", WFISK_INBOX[2][1])
        pop.quit()
        pop = poplib.POP3(HOST, lab.ports["pop3"], timeout=10)
        pop.user("wfisk@bigsky.com")
        pop.pass_("wfisk123")
        self.assertEqual([l.split()[1].decode() for l in pop.uidl()[1]], [u for u, _ in WFISK_INBOX[1:]])
        pop.quit()


if __name__ == "__main__":
    unittest.main()
