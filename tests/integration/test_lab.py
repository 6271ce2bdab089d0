"""The lab on one machine: appliance A (sina.com) on 127.0.1.10 and B (bigsky.com) on 127.0.2.10, each on the standard ports and resolving through the other, exchanging mail found through MX records.

../shared/lab/README.md and DESIGN.md sections 4 and 5. Needs root (ports 25,
53, 110 and 587); CI runs as root. Each appliance binds only its own address, so
A's mail reaches B's port 25 exactly as between two lab machines.
"""

import os
import poplib
import smtplib
import sys
import time
import unittest

from harness import Mxlab, run
from mail_util import client_tls, dump, inbox

A_ADDR, B_ADDR = "127.0.1.10", "127.0.2.10"
PORTS = {"dns": 53, "smtp": 25, "submission": 587, "pop3": 110}

A_DOMAINS = """
[[domain]]
name = "sina.com"
[domain.users]
Bob = "bob123"
Jack = "jack123"
[domain.aliases]
postmaster = "Bob"
lab-list = ["Bob", "Jack", "WFisk@bigsky.com", "DAmeson@bigsky.com"]
"""

B_DOMAINS = """
[[domain]]
name = "bigsky.com"
[domain.users]
WFisk = "wfisk123"
DAmeson = "dameson123"
"""


def appliance(workdir, hostname, address, peer, domains, relay="authenticated"):
    extra = f"""
[dns]
resolvers = ["{peer}"]

[smtp]
relay = "{relay}"
retry_interval = "10m"
"""
    return Mxlab(ports=PORTS, workdir=workdir, hostname=hostname, addresses=(address,), listen=(address,),
                 extra=extra, domains=domains)


def submit(host, user, password, sender, rcpts, subject, body="hello across the lab"):
    """A mail client: STARTTLS on 587, AUTH, one message."""
    msg = f"From: <{sender}>\r\nTo: {', '.join('<%s>' % r for r in rcpts)}\r\nSubject: {subject}\r\n\r\n{body}\r\n"
    with smtplib.SMTP(host, 587, local_hostname="client.lab", timeout=20) as s:
        s.starttls(context=client_tls())
        s.login(user, password)
        s.sendmail(sender, rcpts, msg)


def subjects(messages, user):
    out = []
    for m in inbox(messages, user):
        for line in m["message"].split(b"\r\n"):
            if line.startswith(b"Subject: "):
                out.append(line[9:].decode())
                break
    return out


@unittest.skipUnless(os.geteuid() == 0, "the two-appliance lab binds ports 25, 53 and 587 on 127.0.1.10/127.0.2.10: run as root")
class TwoAppliances(unittest.TestCase):
    def setUp(self):
        import tempfile
        self.tmp = tempfile.TemporaryDirectory(prefix="mxlab-lab-")
        self.addCleanup(self.tmp.cleanup)
        self.a = self.make_a()
        self.b = self.make_b()
        for lab in (self.a, self.b):
            self.addCleanup(lab.__exit__, None, None, None)
        self.a.start()
        self.b.start()

    def make_a(self):
        os.makedirs(os.path.join(self.tmp.name, "a"), exist_ok=True)
        return appliance(os.path.join(self.tmp.name, "a"), "mail.sina.com", A_ADDR, B_ADDR, A_DOMAINS)

    def make_b(self, relay="authenticated"):
        os.makedirs(os.path.join(self.tmp.name, "b"), exist_ok=True)
        return appliance(os.path.join(self.tmp.name, "b"), "mail.bigsky.com", B_ADDR, A_ADDR, B_DOMAINS, relay)

    def restart_b(self, relay):
        self.assertEqual(self.b.stop(), 0, self.b.log()[-2000:])
        self.b = self.make_b(relay)
        self.addCleanup(self.b.__exit__, None, None, None)
        self.b.start()

    def queue_list(self, lab):
        r = lab.run_cli("queue", "list")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout

    # The lab's first lesson: the sender's server finds the recipient domain's
    # mail server through its MX record and that host's A record (here asked of B's DNS).
    def test_dns_of_each_appliance_answers_for_its_domain(self):
        r = run("dig", f"@{B_ADDR}", "+short", "bigsky.com", "MX")
        self.assertEqual(r.stdout.strip(), "10 mail.bigsky.com.")
        r = run("dig", f"@{B_ADDR}", "+short", "mail.bigsky.com", "A")
        self.assertEqual(r.stdout.strip(), B_ADDR)
        r = run("dig", f"@{A_ADDR}", "+short", "sina.com", "MX")
        self.assertEqual(r.stdout.strip(), "10 mail.sina.com.")

    # Bob@sina.com submits on A's 587; A looks up bigsky.com's MX through B's
    # DNS and hands the message to B's port 25; WFisk@bigsky.com reads it on B over POP3.
    # Then the reverse direction.
    def test_mail_crosses_both_ways(self):
        submit(A_ADDR, "bob@sina.com", "bob123", "bob@sina.com", ["WFisk@bigsky.com"], "A to B")
        self.a.wait_log(r"event=queue.delivery .*to=\"?<WFisk@bigsky.com>\"? relay=mail.bigsky.com\[127.0.2.10\]:25 .*status=sent", 30)
        self.b.wait_log(r"event=smtp.delivered .*to=\"?<wfisk@bigsky.com>", 10)
        # WFisk reads it with a POP3 client on B (port 110, STLS), and leaves it there.
        pop = poplib.POP3(B_ADDR, 110, timeout=20)
        pop.stls(context=client_tls())
        pop.user("WFisk")
        pop.pass_("wfisk123")
        self.assertEqual(pop.stat()[0], 1)
        self.assertIn(b"Subject: A to B", pop.retr(1)[1])
        pop.quit()
        submit(B_ADDR, "wfisk@bigsky.com", "wfisk123", "wfisk@bigsky.com", ["bob@sina.com"], "B to A")
        self.b.wait_log(r"event=queue.delivery .*relay=mail.sina.com\[127.0.1.10\]:25 .*status=sent", 30)
        self.a.wait_log(r"event=smtp.delivered .*to=\"?<bob@sina.com>", 10)
        self.assertIn("Mail queue is empty", self.queue_list(self.a))
        b_msgs, b_queue = dump(self.b, "wfisk@bigsky.com")
        a_msgs, a_queue = dump(self.a, "bob@sina.com")
        self.assertEqual(subjects(b_msgs, "wfisk@bigsky.com"), ["A to B"])
        self.assertEqual(subjects(a_msgs, "bob@sina.com"), ["B to A"])
        self.assertEqual((a_queue, b_queue), ([], []))
        # Each hop added its Received header: B's names A as the client.
        raw = inbox(b_msgs, "wfisk@bigsky.com")[0]["message"]
        self.assertIn(b"Received: from mail.sina.com ([127.0.1.10])", raw)

    # The lab's closing question: B installed with "no mail relay". A -> B
    # works (B accepts mail for its own domain: receiving is not relaying);
    # B -> A is refused at B with 5.7.1, even for B's authenticated user.
    def test_relay_none_at_b_answers_the_closing_question(self):
        self.restart_b("none")
        submit(A_ADDR, "bob@sina.com", "bob123", "bob@sina.com", ["wfisk@bigsky.com"], "A to B, B relays nothing")
        self.b.wait_log(r"event=smtp.delivered .*to=\"?<wfisk@bigsky.com>", 30)
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as refused:
            submit(B_ADDR, "wfisk@bigsky.com", "wfisk123", "wfisk@bigsky.com", ["bob@sina.com"], "B to A")
        code, text = refused.exception.recipients["bob@sina.com"]
        self.assertEqual(code, 550)
        self.assertTrue(text.startswith(b"5.7.1"), text)
        self.assertIn("Mail queue is empty", self.queue_list(self.b))
        # And B's log says so (issue 13, item 1), as Postfix's "reject:" line would.
        self.b.wait_log(r"level=info event=smtp.rejected stage=rcpt client=\S+ helo=\S+ from=<wfisk@bigsky.com> "
                        r"to=<bob@sina.com> reply=\"550 5\.7\.1 <bob@sina.com>: Relaying denied\"")

    # Sending is asynchronous: with B down the message waits in A's queue,
    # and `mxlab queue list` says why; once B is back, `mxlab queue retry`
    # delivers it.
    def test_message_waits_in_the_queue_until_b_is_back(self):
        self.assertEqual(self.b.stop(), 0)
        submit(A_ADDR, "bob@sina.com", "bob123", "bob@sina.com", ["wfisk@bigsky.com"], "while B was down")
        self.a.wait_log(r"event=queue.delivery .*status=deferred", 30)
        # The delivery line is logged as the attempt ends; its store update follows a moment later.
        deadline = time.monotonic() + 10
        while "attempts 1" not in (listing := self.queue_list(self.a)) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertIn("from <bob@sina.com>", listing)
        self.assertIn("to <wfisk@bigsky.com>: pending", listing)
        # A cannot even look the MX up while B (its resolver) is down, or cannot connect.
        self.assertRegex(listing, r"last error: .*(Connection refused|lookup failed)")
        self.assertIn("attempts 1", listing)

        self.b = self.make_b()
        self.addCleanup(self.b.__exit__, None, None, None)
        self.b.start()
        r = self.a.run_cli("queue", "retry")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("1 message will be tried now", r.stdout)
        self.b.wait_log(r"event=smtp.delivered .*to=\"?<wfisk@bigsky.com>", 30)
        self.a.wait_log(r"event=queue.delivery .*status=sent", 10)
        deadline = time.monotonic() + 10
        while "Mail queue is empty" not in self.queue_list(self.a) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertIn("Mail queue is empty", self.queue_list(self.a))

    # An unknown user at B: B answers RCPT with 550 5.1.1, and Bob gets an
    # RFC 3464 bounce from MAILER-DAEMON in his INBOX on A.
    def test_unknown_user_at_b_bounces_to_bob(self):
        submit(A_ADDR, "bob@sina.com", "bob123", "bob@sina.com", ["nobody@bigsky.com"], "to nobody")
        self.a.wait_log(r"event=queue.delivery .*to=\"?<nobody@bigsky.com>\"? .*status=bounced .*550 5\.1\.1", 30)
        self.a.wait_log(r"event=queue.bounce .*to=\"?<bob@sina.com>", 10)
        self.b.wait_log(r"level=info event=smtp.rejected stage=rcpt client=\S+ helo=mail.sina.com from=<bob@sina.com> "
                        r"to=<nobody@bigsky.com> reply=\"550 5\.1\.1 <nobody@bigsky.com>: Recipient address rejected")
        msgs, queue = dump(self.a, "bob@sina.com")
        self.assertEqual(queue, [])
        got = inbox(msgs, "bob@sina.com")
        self.assertEqual(len(got), 1)
        raw = got[0]["message"]
        import email
        m = email.message_from_bytes(raw)
        self.assertIn("MAILER-DAEMON@mail.sina.com", m["From"])
        self.assertEqual(m.get_content_type(), "multipart/report")
        self.assertEqual(m.get_param("report-type"), "delivery-status")
        status = [p for p in m.walk() if p.get_content_type() == "message/delivery-status"][0]
        blocks = status.get_payload()
        recipient = blocks[1]
        self.assertEqual(recipient["Final-Recipient"], "rfc822; nobody@bigsky.com")
        self.assertEqual(recipient["Action"], "failed")
        self.assertEqual(recipient["Status"], "5.1.1")
        self.assertIn("550 5.1.1", recipient["Diagnostic-Code"])
        headers = [p for p in m.walk() if p.get_content_type() == "text/rfc822-headers"][0]
        self.assertIn("Subject: to nobody", headers.get_payload())

    # A mailing list on A with members on both domains: A's members get their
    # copy at once, B's members through one SMTP transaction to B.
    def test_list_on_a_reaches_members_on_both_domains(self):
        with smtplib.SMTP(A_ADDR, 25, local_hostname="client.lab", timeout=20) as s:
            s.sendmail("someone@example.org", ["lab-list@sina.com"],
                       "From: <someone@example.org>\r\nSubject: to the list\r\n\r\nhello, list\r\n")
        self.b.wait_log(r"event=smtp.accepted .*nrcpt=2", 30)
        self.a.wait_log(r"event=queue.delivery .*to=\"?<DAmeson@bigsky.com>\"? .*status=sent", 10)
        b_msgs, _ = dump(self.b, "wfisk@bigsky.com", "dameson@bigsky.com")
        a_msgs, _ = dump(self.a, "bob@sina.com", "jack@sina.com")
        for msgs, user in ((a_msgs, "bob@sina.com"), (a_msgs, "jack@sina.com"),
                           (b_msgs, "wfisk@bigsky.com"), (b_msgs, "dameson@bigsky.com")):
            self.assertEqual(subjects(msgs, user), ["to the list"], user)


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("test_lab: SKIPPED: needs root for ports 25, 53 and 587 (CI runs as root)", file=sys.stderr)
    unittest.main(verbosity=2)
