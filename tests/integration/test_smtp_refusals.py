"""Every refused MAIL, RCPT, DATA/BDAT and AUTH leaves one Postfix-style info line in the log (issue 13, item 1): event=smtp.rejected with the stage, the client, the envelope and the reply as sent."""

import base64
import re
import smtplib
import unittest

from mail_util import client_tls, mail_lab, smtp, smtp_raw

FIELD = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')


def rejected_lines(log):
    """The smtp.rejected lines of `log`, each as a dict of its fields (quoted values unquoted)."""
    out = []
    for line in log.splitlines():
        if " event=smtp.rejected " not in line:
            continue
        fields = {}
        for key, value in FIELD.findall(line):
            if value.startswith('"'):
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            fields[key] = value
        out.append(fields)
    return out


class RefusalsLogged(unittest.TestCase):
    def setUp(self):
        # Three wrong passwords lock a login out: the throttle's growing delays stay short.
        self.lab = mail_lab(extra='[smtp]\nmax_message_size = "10K"\n[limits]\nlogin_failures_per_user = 3\n')
        self.addCleanup(self.lab.__exit__, None, None, None)
        self.lab.start()

    def test_each_stage_logged_with_its_fields(self):
        # MAIL without AUTH on 587 (RFC 4954 section 6: 530 5.7.0).
        with smtp(self.lab, "submission") as s:
            s.ehlo("pc07")
            self.assertEqual(s.mail("bob@sina.com")[0], 530)
            # AUTH with a wrong password (535 5.7.8), after STARTTLS as a mail client does.
            s.starttls(context=client_tls())
            s.ehlo("pc07")
            with self.assertRaises(smtplib.SMTPAuthenticationError):
                s.login("bob@sina.com", "not-the-password")
        # RCPT: relaying denied and an unknown user on 25; a message over max_message_size.
        with smtp(self.lab) as s:
            s.ehlo("pc07")
            self.assertEqual(s.mail("alice@example.net")[0], 250)
            self.assertEqual(s.rcpt("x@bigsky.com")[0], 550)
            self.assertEqual(s.rcpt("nobody@sina.com")[0], 550)
            self.assertEqual(s.rcpt("bob@sina.com")[0], 250)
            code, _ = s.data(b"Subject: big\r\n\r\n" + (b"x" * 70 + b"\r\n") * 200)
            self.assertEqual(code, 552)
            # DATA refused for a loop: 51 Received lines (Postfix's hopcount_limit is 50).
            self.assertEqual(s.mail("<>")[0], 250)
            self.assertEqual(s.rcpt("bob@sina.com")[0], 250)
            hops = b"".join(b"Received: from hop%d.example\r\n" % i for i in range(51))
            self.assertEqual(s.data(hops + b"\r\nlooping\r\n")[0], 554)
        # BDAT before any recipient, typed raw (smtplib has no BDAT).
        c, f = smtp_raw(self.lab, helo="pc07")
        with c:
            c.sendall(b"BDAT 2 LAST\r\nhiQUIT\r\n")
            self.assertTrue(f.readline().startswith(b"503 5.5.1"))

        want = [
            {"stage": "mail", "from": "<bob@sina.com>", "reply": "530 5.7.0 Authentication required"},
            # smtplib tries each mechanism offered: PLAIN, then LOGIN.
            {"stage": "auth", "user": "bob@sina.com", "reply": "535 5.7.8 Error: authentication failed"},
            {"stage": "auth", "user": "bob@sina.com", "reply": "535 5.7.8 Error: authentication failed"},
            {"stage": "rcpt", "from": "<alice@example.net>", "to": "<x@bigsky.com>",
             "reply": "550 5.7.1 <x@bigsky.com>: Relaying denied"},
            {"stage": "rcpt", "from": "<alice@example.net>", "to": "<nobody@sina.com>",
             "reply": "550 5.1.1 <nobody@sina.com>: Recipient address rejected: user unknown"},
            {"stage": "data", "from": "<alice@example.net>", "reply": "552 5.3.4 Error: message size exceeds fixed limit"},
            {"stage": "data", "from": "<>", "reply": "554 5.4.6 Error: too many hops (mail loop?)"},
            {"stage": "bdat", "from": "", "reply": "503 5.5.1 Error: need RCPT command"},
        ]
        self.lab.wait_log(r"event=smtp.rejected stage=bdat ")
        got = rejected_lines(self.lab.log())
        self.assertEqual(len(got), len(want), got)
        for line, expected in zip(got, want):
            self.assertEqual(line["level"], "info", line)
            self.assertEqual(line["client"], "127.0.0.1", line)
            self.assertEqual(line["helo"], "pc07", line)
            self.assertEqual({k: line.get(k) for k in expected}, expected, line)
        self.assertNotIn("not-the-password", self.lab.log())

    # A lock-out (the login throttle) is a refused AUTH too; the password never shows.
    def test_throttled_auth_logged(self):
        plain = base64.b64encode(b"\0jack@sina.com\0guess").decode()
        c, f = smtp_raw(self.lab, helo="pc07")
        with c:
            replies = []
            for _ in range(10):
                c.sendall(f"AUTH PLAIN {plain}\r\n".encode())
                replies.append(f.readline().decode())
                if replies[-1].startswith("454"):
                    break
        self.assertTrue(replies[-1].startswith("454 4.7.0 Error: too many failed logins; try again in "), replies)
        m = self.lab.wait_log(r"level=info event=smtp.rejected stage=auth client=127\.0\.0\.1 helo=pc07 "
                              r"user=jack@sina.com reply=\"(454 4\.7\.0 [^\"]*)\"")
        self.assertEqual(m.group(1), replies[-1].rstrip("\r\n"))
        self.assertNotIn("guess", self.lab.log())


if __name__ == "__main__":
    unittest.main(verbosity=2)
