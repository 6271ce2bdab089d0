"""Message ids that two appliances started in the same second never share (issue 13, item 7): the 250 reply and the Received header."""

import re
import unittest

from mail_util import dump, inbox, mail_lab, smtp

BIGSKY = """
[[domain]]
name = "bigsky.com"
[domain.users]
WFisk = "wfisk123"
"""


class TwoAppliances(unittest.TestCase):
    # Both lab appliances, started together, used to say "queued as
    # 6B16F105000001": the id was the start second and a counter.
    def test_ids_differ_when_started_in_the_same_second(self):
        a = mail_lab(ports=("smtp",))
        b = mail_lab(ports=("smtp",), hostname="mail.bigsky.com", domains=BIGSKY)
        self.addCleanup(a.__exit__, None, None, None)
        self.addCleanup(b.__exit__, None, None, None)
        a.start(expect_ready=False)
        b.start(expect_ready=False)
        a.wait_notify("READY=1")
        b.wait_notify("READY=1")
        ids = []
        for lab, to in ((a, "bob@sina.com"), (b, "wfisk@bigsky.com")):
            with smtp(lab) as s:
                s.ehlo("client.example.org")
                self.assertEqual(s.mail("x@example.net")[0], 250)
                self.assertEqual(s.rcpt(to)[0], 250)
                code, msg = s.data(b"Subject: id\r\n\r\nwhich id?\r\n")
            self.assertEqual(code, 250, msg)
            m = re.fullmatch(rb"2\.0\.0 Ok: queued as ([0-9A-F]+)", msg)
            self.assertIsNotNone(m, msg)
            ids.append(m.group(1))
            msgs, _ = dump(lab, to)
            received = inbox(msgs, to)[0]["message"].split(b"\r\n\r\n")[0]
            self.assertIn(b" id " + m.group(1) + b"\r\n", received)
        self.assertNotEqual(ids[0], ids[1])
        # bounce.cpp takes at most 32 characters as a queue id.
        self.assertLessEqual(max(len(i) for i in ids), 32)


if __name__ == "__main__":
    unittest.main(verbosity=2)
