"""SMTP receiving with real clients (swaks, Python smtplib, curl) against a started mxlab: local delivery into the store, relay policy, AUTH, TLS on 587 and 465."""

import base64
import os
import smtplib
import socket
import tempfile
import time
import unittest

from harness import run
from mail_util import blob_counts, body_of, client_tls, dump, inbox, mail_lab, smtp, smtp_raw


class SmtpReceive(unittest.TestCase):
    def setUp(self):
        self.lab = mail_lab()
        self.addCleanup(self.lab.__exit__, None, None, None)
        self.lab.start()

    def swaks(self, *args):
        return run("swaks", "--server", "127.0.0.1", "--helo", "client.example.org", "--timeout", "10", *args)

    # RFC 5321 section 3.3 and DESIGN.md section 5: mail to a local user is
    # accepted on port 25 without AUTH and lands in the user's INBOX intact.
    def test_swaks_plain_delivers_to_inbox(self):
        r = self.swaks("--port", str(self.lab.ports["smtp"]), "--from", "wfisk@bigsky.com", "--to", "Bob@Sina.com",
                       "--header", "Subject: lab test", "--body", "hello from swaks")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"<-  250 2\.0\.0 Ok: queued as \w+")
        self.lab.wait_log(r"event=smtp.delivered .*to=\"?<bob@sina.com>")
        msgs, queue = dump(self.lab, "bob@sina.com")
        got = inbox(msgs, "bob@sina.com")
        self.assertEqual(len(got), 1)
        raw = got[0]["message"]
        self.assertTrue(raw.startswith(b"Received: from client.example.org ([127.0.0.1])\r\n\tby mail.sina.com (mxlab) with ESMTP id "), raw[:200])
        self.assertIn(b"Subject: lab test\r\n", raw)
        self.assertIn(b"\r\n\r\nhello from swaks\r\n", raw)
        self.assertEqual(queue, [])

    # RFC 3207 + RFC 4954 on port 587: STARTTLS, then AUTH PLAIN; a relayed
    # message goes to the queue in the same write (DESIGN.md section 5).
    def test_swaks_starttls_auth_submission_relays_to_queue(self):
        r = self.swaks("--port", str(self.lab.ports["submission"]), "-tls", "--auth", "PLAIN", "--auth-user", "bob@sina.com",
                       "--auth-password", "bob123", "--from", "bob@sina.com", "--to", "wfisk@bigsky.com,jack@sina.com")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("<-  220 2.0.0 Ready to start TLS", r.stdout)
        self.assertIn("=== TLS started with cipher TLSv1.", r.stdout)
        self.assertIn("235 2.7.0 Authentication successful", r.stdout)
        msgs, queue = dump(self.lab, "jack@sina.com")
        self.assertEqual(len(inbox(msgs, "jack@sina.com")), 1)
        self.assertEqual(len(queue), 1)
        self.assertEqual(queue[0]["recipients"], ["wfisk@bigsky.com"])
        self.assertEqual(queue[0]["sender"], "bob@sina.com")
        self.assertEqual(queue[0]["message"], inbox(msgs, "jack@sina.com")[0]["message"])
        received = queue[0]["message"].split(b"\r\n\r\n")[0]
        self.assertIn(b"with ESMTPSA id", received)

    # Port 465, implicit TLS (RFC 8314 section 3.3) with AUTH LOGIN.
    def test_swaks_implicit_tls_auth_login(self):
        r = self.swaks("--port", str(self.lab.ports["smtps"]), "--tlsc", "--auth", "LOGIN", "--auth-user", "jack",
                       "--auth-password", "jack123", "--from", "jack@sina.com", "--to", "bob@sina.com")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("TLS started", r.stdout)
        msgs, _ = dump(self.lab, "bob@sina.com")
        self.assertEqual(len(inbox(msgs, "bob@sina.com")), 1)

    # Port 587 requires AUTH before MAIL (530 5.7.0) and the sender must be the
    # user's own address or alias (553 5.7.1).
    def test_submission_rules_with_smtplib(self):
        with smtp(self.lab, "submission") as s:
            s.ehlo("client.example.org")
            code, msg = s.mail("bob@sina.com")
            self.assertEqual((code, msg), (530, b"5.7.0 Authentication required"))
            s.starttls(context=client_tls())
            s.ehlo("client.example.org")
            s.login("Bob@sina.com", "bob123")
            code, msg = s.mail("jack@sina.com")
            self.assertEqual(code, 553, msg)
            self.assertIn(b"5.7.1", msg)
            s.rset()
            refused = s.sendmail("bob-alias@sina.com", ["jack@sina.com"], b"Subject: via alias\r\n\r\nhi\r\n")
            self.assertEqual(refused, {})
        msgs, _ = dump(self.lab, "jack@sina.com")
        raw = inbox(msgs, "jack@sina.com")[0]["message"]
        headers = raw.split(b"\r\n\r\n")[0]
        self.assertIn(b"\r\nDate: ", headers, "RFC 6409 section 8.3: the submission server adds a missing Date")
        self.assertIn(b"\r\nMessage-ID: <", headers, "RFC 6409 section 8.2: and a missing Message-ID")

    # DESIGN.md section 5: unauthenticated relaying is refused (relay =
    # "authenticated"); unknown local users get 550 5.1.1; a list reaches
    # each member once and queues the remote one; a wrong password gets 535.
    def test_recipients_relay_and_lists_with_smtplib(self):
        with smtp(self.lab) as s:
            s.ehlo("c")
            with self.assertRaises(smtplib.SMTPRecipientsRefused) as e:
                s.sendmail("x@example.net", ["wfisk@bigsky.com"], b"Subject: relay\r\n\r\nno\r\n")
            self.assertEqual(e.exception.recipients["wfisk@bigsky.com"][0], 550)
            self.assertIn(b"5.7.1", e.exception.recipients["wfisk@bigsky.com"][1])
            refused = s.sendmail("x@example.net", ["nobody@sina.com", "staff@sina.com", "bob@sina.com"],
                                 b"Subject: list\r\n\r\nto the staff\r\n")
            self.assertEqual(list(refused), ["nobody@sina.com"])
            self.assertEqual(refused["nobody@sina.com"][0], 550)
            with self.assertRaises(smtplib.SMTPAuthenticationError) as e:
                s.login("bob@sina.com", "wrong")
            self.assertEqual(e.exception.smtp_code, 535)
        msgs, queue = dump(self.lab, "bob@sina.com", "jack@sina.com")
        self.assertEqual(len(inbox(msgs, "bob@sina.com")), 1, "bob is on the list and a direct recipient: one copy")
        self.assertEqual(len(inbox(msgs, "jack@sina.com")), 1)
        self.assertEqual([q["recipients"] for q in queue], [["wfisk@bigsky.com"]])

    # curl speaks SMTP too (smtp:// and smtps:// with --user).
    def test_curl_smtp_and_smtps(self):
        with tempfile.NamedTemporaryFile("wb", suffix=".eml", delete=False) as f:
            f.write(b"From: wfisk@bigsky.com\r\nTo: bob@sina.com\r\nSubject: curl\r\n\r\nsent by curl\r\n")
            path = f.name
        self.addCleanup(os.unlink, path)
        r = run("curl", "-sS", "--url", f"smtp://127.0.0.1:{self.lab.ports['smtp']}", "--mail-from", "wfisk@bigsky.com",
                "--mail-rcpt", "bob@sina.com", "--upload-file", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = run("curl", "-sS", "-k", "--url", f"smtps://127.0.0.1:{self.lab.ports['smtps']}", "--user", "bob@sina.com:bob123",
                "--mail-from", "bob@sina.com", "--mail-rcpt", "jack@sina.com", "--upload-file", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        msgs, _ = dump(self.lab, "bob@sina.com", "jack@sina.com")
        for user in ("bob@sina.com", "jack@sina.com"):
            got = inbox(msgs, user)
            self.assertEqual(len(got), 1, user)
            self.assertTrue(body_of(got[0]["message"]).endswith(b"Subject: curl\r\n\r\nsent by curl\r\n"))

    # The stored bytes are exactly the client's (dot-stuffing undone, 8-bit kept).
    def test_dot_lines_and_8bit_are_exact(self):
        body = ("Subject: =?UTF-8?B?5rWL6K+V?=\r\nContent-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n\r\n.starts with a dot\r\n..two dots\r\n中文 text\r\n.\r\n").encode()
        body = body[:-3]  # smtplib adds the terminator and does the stuffing
        with smtp(self.lab) as s:
            s.ehlo("c")
            s.sendmail("x@example.net", ["bob@sina.com"], body, mail_options=["BODY=8BITMIME"])
        msgs, _ = dump(self.lab, "bob@sina.com")
        self.assertEqual(body_of(inbox(msgs, "bob@sina.com")[0]["message"]), body)

    # A message over 1 MiB goes to the store in parts as it arrives. A client
    # that drops in the middle stores nothing; one whose data hides a smuggled
    # end is refused whole after parts went out; the next message, 5 MB with
    # dot lines all through it, is stored byte for byte.
    def test_big_messages_dropped_refused_and_exact(self):
        body = b"Subject: big\r\n\r\n" + b"".join(b".%07d" % i + b"x" * 60 + b"\r\n" for i in range(75000))
        wire = body.replace(b"\r\n.", b"\r\n..")  # RFC 5321 section 4.5.2

        def start_data(c, f):
            f.readline()
            c.sendall(b"EHLO c\r\nMAIL FROM:<x@example.net>\r\nRCPT TO:<bob@sina.com>\r\nDATA\r\n")
            while not f.readline().startswith(b"354 "):
                pass

        with socket.create_connection(("127.0.0.1", self.lab.ports["smtp"]), timeout=30) as c:
            start_data(c, c.makefile("rb"))
            c.sendall(wire[:3_000_000])
        with socket.create_connection(("127.0.0.1", self.lab.ports["smtp"]), timeout=30) as c:
            f = c.makefile("rb")
            start_data(c, f)
            c.sendall(wire[:3_000_000] + b"\r\n\n.\r\nMAIL FROM:<evil@x>\r\n" + wire[3_000_000:] + b"\r\n.\r\n")
            self.assertTrue(f.readline().startswith(b"550 5.5.2 "))
        with smtp(self.lab, timeout=60) as s:
            s.sendmail("x@example.net", ["bob@sina.com"], body)
        msgs, _ = dump(self.lab, "bob@sina.com")
        got = inbox(msgs, "bob@sina.com")
        self.assertEqual(len(got), 1)
        self.assertEqual(body_of(got[0]["message"]), body)
        self.assertNotIn("smtp.store.failed", self.lab.log())
        # What the dropped and the refused transfer staged is gone: every chunk left belongs to the one message.
        counts = blob_counts(self.lab)
        self.assertEqual((counts["blobs"], counts["orphan_chunks"]), (1, 0), counts)
        self.assertEqual(counts["chunks"], -(-got[0]["size"] // (256 * 1024)), counts)
        # Its MIME structure, parsed as the parts went to the store, is kept beside it, and only its.
        self.assertEqual((counts["structures"], counts["orphan_structures"]), (1, 0), counts)

    # SMTP smuggling: a message with "\n.\n" inside is refused whole, and the
    # smuggled second message is not delivered.
    def test_smuggling_refused(self):
        c, f = smtp_raw(self.lab)
        with c:
            c.sendall(b"MAIL FROM:<x@example.net>\r\nRCPT TO:<bob@sina.com>\r\nDATA\r\n")
            replies = [f.readline() for _ in range(3)]
            self.assertTrue(replies[2].startswith(b"354"), replies)
            c.sendall(b"Subject: one\r\n\r\nfirst\n.\nMAIL FROM:<admin@sina.com>\r\nRCPT TO:<jack@sina.com>\r\nDATA\r\n"
                      b"Subject: forged\r\n\r\nsmuggled\r\n.\r\nQUIT\r\n")
            reply = f.readline()
            self.assertTrue(reply.startswith(b"550 5.5.2"), reply)
            self.assertTrue(f.readline().startswith(b"221"))
        msgs, _ = dump(self.lab, "bob@sina.com", "jack@sina.com")
        self.assertEqual(msgs, [])

    # Issue 13, item 6: lines as a student types them in telnet, one at a time
    # (a space after the colon, no angle brackets), on 25 and on 587 after
    # AUTH, are taken as Postfix takes them; "two addresses" is refused.
    def test_hand_typed_envelope_over_telnet(self):
        plain_bob = base64.b64encode(b"\0bob@sina.com\0bob123").decode()
        for port, auth in (("smtp", []), ("submission", [f"AUTH PLAIN {plain_bob}"])):
            with socket.create_connection(("127.0.0.1", self.lab.ports[port]), timeout=10) as c:
                f = c.makefile("rb")

                def typed(line):
                    c.sendall(line.encode() + b"\r\n")
                    reply = f.readline()
                    while reply[3:4] == b"-":
                        reply = f.readline()
                    return reply.decode().rstrip("\r\n")

                self.assertTrue(f.readline().startswith(b"220 "))
                self.assertTrue(typed("ehlo pc07").startswith("250 "))
                for line in auth:
                    self.assertEqual(typed(line), "235 2.7.0 Authentication successful")
                self.assertEqual(typed("MAIL FROM: bob@sina.com"), "250 2.1.0 Ok")
                self.assertEqual(typed("RCPT TO: jack@sina.com wfisk@bigsky.com"), "501 5.1.3 Bad recipient address syntax")
                self.assertEqual(typed("RCPT TO: jack@sina.com"), "250 2.1.5 Ok")
                self.assertTrue(typed("DATA").startswith("354 "))
                c.sendall(f"Subject: typed on {port}\r\n\r\nhello\r\n".encode())
                self.assertRegex(typed("."), r"^250 2\.0\.0 Ok: queued as \w+$")
                self.assertEqual(typed("QUIT"), "221 2.0.0 Bye")
        msgs, _ = dump(self.lab, "jack@sina.com")
        got = inbox(msgs, "jack@sina.com")
        self.assertEqual(sorted(m["message"].split(b"Subject: ")[1].split(b"\r\n")[0] for m in got),
                         [b"typed on smtp", b"typed on submission"])

    # SIGHUP: a user added to the TOML receives mail without a restart.
    def test_reload_adds_user(self):
        with smtp(self.lab) as s:
            s.ehlo("c")
            self.assertEqual(s.rcpt("carol@sina.com")[0], 503)  # no MAIL yet: sequence first
            s.mail("x@example.net")
            self.assertEqual(s.rcpt("carol@sina.com")[0], 550)
        with open(self.lab.config_path) as f:
            text = f.read()
        self.lab.write_config(text.replace('Jack = "jack123"', 'Jack = "jack123"\nCarol = "carol123"'))
        self.lab.reload()
        with smtp(self.lab) as s:
            s.ehlo("c")
            self.assertEqual(s.sendmail("x@example.net", ["carol@sina.com"], b"Subject: new\r\n\r\nwelcome\r\n"), {})
        msgs, _ = dump(self.lab, "carol@sina.com")
        self.assertEqual(len(inbox(msgs, "carol@sina.com")), 1)

    # Connections per client address are limited (50, as Postfix's
    # smtpd_client_connection_count_limit): the next one gets 421 (RFC 5321
    # section 3.8) and is closed; a freed slot can be used again.
    def test_connections_per_client_limited(self):
        conns = []
        try:
            for _ in range(50):
                c = socket.create_connection(("127.0.0.1", self.lab.ports["smtp"]), timeout=10)
                conns.append(c)
                self.assertTrue(c.makefile("rb").readline().startswith(b"220 "))
            with socket.create_connection(("127.0.0.1", self.lab.ports["smtp"]), timeout=10) as extra:
                f = extra.makefile("rb")
                self.assertEqual(f.readline(), b"421 4.7.0 mail.sina.com Error: too many connections from 127.0.0.1; try again later\r\n")
                self.assertEqual(f.readline(), b"", "and the server closes it")
            conns.pop().close()
            deadline = time.monotonic() + 5
            while True:
                with socket.create_connection(("127.0.0.1", self.lab.ports["smtp"]), timeout=10) as again:
                    if again.makefile("rb").readline().startswith(b"220 "):
                        break
                self.assertLess(time.monotonic(), deadline, "the freed slot was never given back")
                time.sleep(0.05)
        finally:
            for c in conns:
                c.close()

    # A message acknowledged just before SIGTERM is in the store after the stop.
    def test_ack_then_stop_keeps_message(self):
        s = smtp(self.lab)
        s.ehlo("c")
        self.assertEqual(s.sendmail("x@example.net", ["bob@sina.com"], b"Subject: last\r\n\r\nbefore stop\r\n"), {})
        msgs, _ = dump(self.lab, "bob@sina.com")  # stops the daemon while the session is still open
        s.close()
        self.assertEqual(len(inbox(msgs, "bob@sina.com")), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
