"""The outbound queue on one appliance, without a peer: `mxlab queue list | retry | delete` through the control socket, survival across a restart, and the bounce at the end of smtp.queue_lifetime.

bigsky.com is not served here and dns.resolvers is empty, so every attempt
for it is deferred ("no resolver configured"): the queue keeps the message
for these commands to act on. Runs without root.
"""

import email
import os
import smtplib
import stat
import time
import unittest

from mail_util import dump, inbox, mail_lab

LIST_TO_BIGSKY = b"From: <jack@sina.com>\r\nSubject: for the staff\r\n\r\nhello staff\r\n"


class QueueCommands(unittest.TestCase):
    def start(self, extra=""):
        lab = mail_lab(extra=extra, ports=("smtp",))
        self.addCleanup(lab.__exit__, None, None, None)
        lab.start()
        return lab

    def queue_one(self, lab):
        """staff@sina.com has a member at bigsky.com: one queue entry; returns its id."""
        with smtplib.SMTP("127.0.0.1", lab.ports["smtp"], timeout=10) as s:
            s.sendmail("jack@sina.com", ["staff@sina.com"], LIST_TO_BIGSKY)
        m = lab.wait_log(r"event=queue.delivery queue_id=(\d+) .*to=\"?<wfisk@bigsky.com>\"? .*status=deferred", 20)
        return m.group(1)

    def cli(self, lab, *args):
        return lab.run_cli("queue", *args)

    # Issue 5 item 4: list shows id, sender, recipients, attempts, next try
    # and the last error while the daemon runs; the socket is owner-only.
    def test_list_retry_delete(self):
        lab = self.start()
        qid = self.queue_one(lab)
        sock = os.path.join(lab.data_dir, "control.sock")
        self.assertEqual(stat.S_IMODE(os.stat(sock).st_mode), 0o600)

        r = self.cli(lab, "list")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"queue id {qid}: from <jack@sina.com>", r.stdout)
        self.assertIn("attempts 1, next try ", r.stdout)
        self.assertIn("last error: Host or domain name lookup failed for bigsky.com: no resolver configured", r.stdout)
        self.assertIn("to <wfisk@bigsky.com>: pending (", r.stdout)
        self.assertIn("1 message in the queue", r.stdout)
        self.assertIn(f"queue id {qid}: from <jack@sina.com>", self.cli(lab).stdout, "`mxlab queue` alone lists")

        r = self.cli(lab, "retry", qid)
        self.assertEqual((r.returncode, r.stdout), (0, "1 message will be tried now\n"), r.stderr)
        lab.wait_log(rf"event=queue.delivery queue_id={qid} .*attempt=2 status=deferred", 20)
        deadline = time.monotonic() + 10
        while "attempts 2," not in self.cli(lab, "list").stdout and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertIn("attempts 2,", self.cli(lab, "list").stdout)

        r = self.cli(lab, "retry", "999999")
        self.assertEqual(r.returncode, 1)
        self.assertIn("queue id 999999", r.stderr)
        r = self.cli(lab, "delete", "x1")
        self.assertEqual(r.returncode, 1)
        self.assertIn("'x1' is not a queue id", r.stderr)
        r = self.cli(lab, "delete")
        self.assertEqual(r.returncode, 1, "delete needs an id: a usage error")

        r = self.cli(lab, "delete", qid)
        self.assertEqual((r.returncode, r.stdout), (0, f"queue id {qid} deleted\n"), r.stderr)
        self.assertEqual(self.cli(lab, "list").stdout, "Mail queue is empty\n")
        msgs, queue = dump(lab, "bob@sina.com", "jack@sina.com")
        self.assertEqual(queue, [])
        self.assertEqual(len(inbox(msgs, "bob@sina.com")), 1, "the local members got theirs at once")

        # No daemon: a clear message and exit status 2 (DESIGN.md section 2: a runtime failure).
        r = self.cli(lab, "list")
        self.assertEqual(r.returncode, 2)
        self.assertIn("no running mxlab answers on", r.stderr)
        self.assertFalse(os.path.exists(sock), "the daemon removes its socket when it stops")

    # A queued message survives a restart, and so does a stale socket left by kill -9.
    def test_queue_survives_restart_and_kill(self):
        lab = self.start()
        qid = self.queue_one(lab)
        lab.proc.kill()
        lab.proc.wait()
        lab.stop()  # closes what the harness held for the killed process
        lab.start()
        r = self.cli(lab, "list")
        self.assertEqual(r.returncode, 0, r.stderr + lab.log()[-2000:])
        self.assertIn(f"queue id {qid}: from <jack@sina.com>", r.stdout)
        self.assertIn("to <wfisk@bigsky.com>: pending", r.stdout)

    # DESIGN.md section 5: at the end of queue_lifetime the sender gets an
    # RFC 3464 bounce from MAILER-DAEMON, and the entry is gone.
    def test_lifetime_ends_in_a_bounce_to_the_sender(self):
        lab = self.start('[smtp]\nretry_interval = "1s"\nqueue_lifetime = "2s"\n')
        qid = self.queue_one(lab)
        lab.wait_log(rf"event=queue.bounce queue_id={qid} to=\"?<jack@sina.com>", 30)
        msgs, queue = dump(lab, "jack@sina.com")
        self.assertEqual(queue, [])
        bounces = [m for m in inbox(msgs, "jack@sina.com") if b"MAILER-DAEMON" in m["message"]]
        self.assertEqual(len(bounces), 1)
        report = email.message_from_bytes(bounces[0]["message"])
        self.assertEqual(report.get_content_type(), "multipart/report")
        status = [p for p in report.walk() if p.get_content_type() == "message/delivery-status"][0].get_payload()[1]
        self.assertEqual(status["Final-Recipient"], "rfc822; wfisk@bigsky.com")
        self.assertEqual(status["Action"], "failed")
        self.assertEqual(status["Status"], "5.4.7")  # RFC 3463: delivery time expired
        self.assertIn("no resolver configured", " ".join(status["Diagnostic-Code"].split()))


if __name__ == "__main__":
    unittest.main(verbosity=2)
