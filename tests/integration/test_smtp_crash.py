"""Crash safety (DESIGN.md section 7): kill -9 mxlab at random moments while clients send; after 20 cycles every message that got 250 is in the store, byte for byte."""

import random
import smtplib
import threading
import time
import unittest

from mail_util import body_of, dump, inbox, mail_lab

CYCLES = 20
SENDERS = 4


class CrashSafety(unittest.TestCase):
    def test_kill_9_loses_no_acknowledged_message(self):
        lab = mail_lab(ports=("smtp",))
        self.addCleanup(lab.__exit__, None, None, None)
        rng = random.Random(20261126)
        acked = {}  # message id -> (user, bytes sent)
        lock = threading.Lock()
        counter = iter(range(10**9))

        def sender(stop, seed):
            r = random.Random(seed)
            while not stop.is_set():
                try:
                    with smtplib.SMTP("127.0.0.1", lab.ports["smtp"], timeout=5) as s:
                        s.ehlo("crash.example")
                        while not stop.is_set():
                            with lock:
                                n = next(counter)
                            user = ("bob@sina.com", "jack@sina.com")[n % 2]
                            body = (f"Subject: crash {n}\r\nX-Seq: {n}\r\n\r\n" +
                                    "".join(f"line {i} of message {n} {'x' * r.randrange(80)}\r\n"
                                            for i in range(r.randrange(1, 60)))).encode()
                            s.sendmail("load@example.net", [user], body)
                            # sendmail returned: the server said 250 to the end of data.
                            with lock:
                                acked[n] = (user, body)
                except (OSError, smtplib.SMTPException):
                    time.sleep(0.02)  # the server is down or was killed: try again

        for cycle in range(CYCLES):
            lab.start()
            stop = threading.Event()
            threads = [threading.Thread(target=sender, args=(stop, cycle * 100 + i)) for i in range(SENDERS)]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.1, 0.8))
            lab.proc.kill()  # SIGKILL, by PID: no chance to flush anything
            lab.proc.wait()
            stop.set()
            for t in threads:
                t.join(10)
            lab._log.close()
            lab._notify.close()
        self.assertGreater(len(acked), 50, "the load was too light to mean anything")

        lab.start()
        msgs, _ = dump(lab, "bob@sina.com", "jack@sina.com")
        stored = {}
        for user in ("bob@sina.com", "jack@sina.com"):
            for m in inbox(msgs, user):
                body = body_of(m["message"])
                seq = int(body.split(b"X-Seq: ", 1)[1].split(b"\r\n", 1)[0])
                stored.setdefault(seq, []).append((user, body))
        lost = [n for n in acked if n not in stored]
        self.assertEqual(lost, [], f"{len(lost)} of {len(acked)} acknowledged messages are missing")
        for n, (user, body) in acked.items():
            self.assertIn((user, body), stored[n], f"message {n} is not intact")
        print(f"crash test: {CYCLES} kill -9 cycles, {len(acked)} acknowledged, {len(stored)} stored, 0 lost")


if __name__ == "__main__":
    unittest.main(verbosity=2)
