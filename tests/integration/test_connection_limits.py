"""The connection limits of [limits] in the shared connection layer (issue 14, item 7): stress past 80% of a limit, the open-files limit raised at start, and mxlab check's warning when the limits cannot fit.

Under stress, as Postfix's, idle timeouts shrink (SMTP 300 s -> 10 s, POP3
600 s -> 30 s) so that silent clients give their slots to ones with mail; the
log says when it starts and ends.
"""

import re
import resource
import socket
import subprocess
import time
import unittest

from harness import MXLAB
from mail_util import mail_lab


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    data = b""
    while not data.endswith(b"\r\n"):
        data += s.recv(512)
    return s, data


def seconds_to_close(s, limit):
    """How long until the server closes `s` (silent all along), or None if not within `limit`."""
    start = time.monotonic()
    s.settimeout(limit)
    try:
        while s.recv(512):
            pass
    except ConnectionResetError:
        pass
    except socket.timeout:
        return None
    return time.monotonic() - start


class ConnectionLimits(unittest.TestCase):
    def test_stress_shrinks_idle_timeouts_and_is_logged(self):
        lab = mail_lab(ports=("smtp", "pop3"), extra="[limits]\nsmtp_connections = 10\npop3_connections = 10\n")
        self.addCleanup(lab.__exit__, None, None, None)
        lab.start()
        held = []
        self.addCleanup(lambda: [s.close() for s in held])
        for i in range(7):
            held.append(connect(lab.ports["smtp"])[0])
        time.sleep(0.3)
        self.assertNotIn("event=smtp.stress", lab.log())
        # The eighth: 80% of 10.
        s, greeting = connect(lab.ports["smtp"])
        held.append(s)
        self.assertTrue(greeting.startswith(b"220 "), greeting)
        lab.wait_log(r"level=warn event=smtp\.stress state=on connections=8 limit=10")
        # Every silent client, the first included, is closed within the stress timeout (10 s), not 300 s.
        start = time.monotonic()
        for s in held:
            took = seconds_to_close(s, 20 - (time.monotonic() - start))
            self.assertIsNotNone(took, "an idle SMTP connection outlived the stress timeout")
        self.assertLess(time.monotonic() - start, 13)
        lab.wait_log(r"level=info event=smtp\.stress state=off connections=7 limit=10")
        # Out of stress, a silent client keeps the usual 300 s.
        s, _ = connect(lab.ports["smtp"])
        held.append(s)
        self.assertIsNone(seconds_to_close(s, 12))
        # POP3 counts its own connections.
        for _ in range(8):
            held.append(connect(lab.ports["pop3"])[0])
        lab.wait_log(r"event=pop3\.stress state=on connections=8 limit=10")

    def test_open_files_raised_at_start(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        low = min(512, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard))  # inherited by the daemon
        self.addCleanup(resource.setrlimit, resource.RLIMIT_NOFILE, (soft, hard))
        lab = mail_lab(ports=("smtp",))
        self.addCleanup(lab.__exit__, None, None, None)
        lab.start()
        lab.wait_log(rf"event=mail\.open_files soft={hard} hard={hard} was={low}")
        with open(f"/proc/{lab.proc.pid}/limits") as f:
            line = next(l for l in f if l.startswith("Max open files"))
        self.assertEqual(line.split()[3:5], [str(hard), str(hard)], line)

    def test_check_warns_when_the_limits_cannot_fit(self):
        lab = mail_lab(ports=("smtp", "pop3"))
        self.addCleanup(lab.__exit__, None, None, None)

        def check(hard):
            def lower():
                resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            return subprocess.run([MXLAB, "check", "-c", lab.config_path], capture_output=True, text=True, timeout=30,
                                  preexec_fn=lower)

        r = check(1024)
        out = r.stdout + r.stderr
        self.assertRegex(out, r"warning: limits: \[limits\] allow 3000 connections \(smtp_connections 1000 \+ "
                              r"pop3_connections 2000\).* hard limit is 1024", out)
        r = check(8192)
        self.assertNotIn("hard limit", r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
