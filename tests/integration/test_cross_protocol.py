"""What reaches a mail port that is not a mail client (issue 14, item 9): a browser or curl pointed at it, and a client that gets nothing right.

A web page can make a browser POST to http://mail.host:25/ with SMTP commands
in the body (a cross-protocol attack). As Postfix and chasquid do, a first
line that starts with an HTTP verb ends the session before any of it runs,
with one log line; ten refused commands in a row end a session too.
"""

import poplib
import socket
import ssl
import subprocess
import time
import unittest

from harness import run
from mail_util import client_tls, mail_lab

PORTS = ("smtp", "submission", "smtps", "pop3", "pop3s")


def connect(port, timeout=5):
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def read_to_close(s, limit=5):
    """Everything the server sends until it closes the connection, and how long that took."""
    start = time.monotonic()
    data = b""
    s.settimeout(limit)
    while True:
        try:
            chunk = s.recv(4096)
        except (ConnectionResetError, ssl.SSLError):
            break
        if not chunk:
            break
        data += chunk
    return data, time.monotonic() - start


class CrossProtocol(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lab = mail_lab(ports=PORTS)
        cls.lab.start()

    @classmethod
    def tearDownClass(cls):
        cls.lab.__exit__(None, None, None)

    def test_curl_on_a_mail_port_is_hung_up_on(self):
        for name in ("smtp", "pop3"):
            start = time.monotonic()
            r = run("curl", "-sS", "--http0.9", "--max-time", "5", f"http://127.0.0.1:{self.lab.ports[name]}/")
            took = time.monotonic() - start
            self.assertNotEqual(r.returncode, 28, f"{name}: curl timed out: {r.stderr}")
            self.assertLess(took, 2, name)
            # Only the greeting, which goes out before the client says anything.
            lines = [l for l in r.stdout.split("\r\n") if l]
            self.assertEqual(len(lines), 1, (name, r.stdout))
            self.assertRegex(lines[0], r"^(220 |\+OK )", name)
            self.lab.wait_log(rf"event={name}.http_request client=127\.0\.0\.1")

    def test_browser_post_runs_no_smtp_command(self):
        body = (b"MAIL FROM:<eve@example.net>\r\nRCPT TO:<bob@sina.com>\r\nDATA\r\n"
                b"Subject: from a web page\r\n\r\nhi\r\n.\r\nQUIT\r\n")
        request = (b"POST / HTTP/1.1\r\nHost: mail.sina.com:25\r\nContent-Type: text/plain\r\n"
                   b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        s = connect(self.lab.ports["smtp"])
        # As a browser does: the request at once, whole, without reading the greeting.
        s.sendall(request)
        data, took = read_to_close(s)
        s.close()
        self.assertLess(took, 2)
        self.assertEqual(data.count(b"\r\n"), 1, data)
        self.assertTrue(data.startswith(b"220 "), data)
        time.sleep(0.2)
        self.assertNotIn("event=smtp.accepted", self.lab.log())
        self.assertNotIn("from=<eve@example.net>", self.lab.log())

    def test_verb_split_over_reads_and_after_tls(self):
        # "GE" then "T /": held until judged, then hung up on.
        s = connect(self.lab.ports["pop3"])
        s.recv(100)
        s.sendall(b"GE")
        time.sleep(0.2)
        s.sendall(b"T / HTTP/1.0\r\n\r\nUSER bob\r\n")
        data, took = read_to_close(s)
        s.close()
        self.assertEqual(data, b"")
        self.assertLess(took, 2)
        # https:// to the implicit-TLS ports.
        for name in ("smtps", "pop3s"):
            t = client_tls().wrap_socket(connect(self.lab.ports[name]), server_hostname="mail.sina.com")
            t.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
            data, took = read_to_close(t)
            t.close()
            self.assertLess(took, 2, name)
            self.assertLessEqual(data.count(b"\r\n"), 1, (name, data))
            self.lab.wait_log(rf"event={name[:4]}.http_request client=127\.0\.0\.1")

    def test_mail_commands_that_look_alike_still_work(self):
        # "GETS" is no HTTP verb: a mail session goes on as usual (an unknown command).
        s = connect(self.lab.ports["smtp"])
        s.recv(200)
        s.sendall(b"GETS x\r\nNOOP\r\n")
        time.sleep(0.3)
        self.assertIn(b"250 Ok", s.recv(1000))
        s.close()
        p = poplib.POP3("127.0.0.1", self.lab.ports["pop3"], timeout=5)
        p.user("bob@sina.com")
        p.pass_("bob123")
        self.assertEqual(p.stat()[0] >= 0, True)
        p.quit()

    def exchange(self, name, lines):
        s = connect(self.lab.ports[name])
        s.sendall(b"".join(l + b"\r\n" for l in lines))
        data, took = read_to_close(s, limit=3)
        s.close()
        return data.decode(errors="replace").split("\r\n")[:-1], took

    def test_ten_errors_in_a_row_end_the_session(self):
        # SMTP: the tenth refused command in a row gets 421 and the connection closes.
        replies, took = self.exchange("smtp", [b"BOGUS"] * 10 + [b"NOOP"])
        self.assertLess(took, 2, replies)
        self.assertEqual(replies[1:11], ["500 Error: command not recognized"] * 10, replies)
        self.assertEqual(replies[11:], ["421 mail.sina.com Error: too many errors"], replies)
        # A good command in between starts the count again.
        replies, took = self.exchange("smtp", [b"BOGUS"] * 9 + [b"NOOP"] + [b"BOGUS"] * 9 + [b"QUIT"])
        self.assertEqual(replies[-1][:4], "221 ", replies)
        self.assertNotIn("421 mail.sina.com Error: too many errors", replies)
        # POP3 the same.
        replies, took = self.exchange("pop3", [b"BOGUS"] * 10 + [b"NOOP"])
        self.assertLess(took, 2, replies)
        self.assertEqual(replies[1:11], ["-ERR Unknown command."] * 10, replies)
        self.assertEqual(replies[11:], ["-ERR Too many bad commands."], replies)
        replies, took = self.exchange("pop3", [b"BOGUS"] * 9 + [b"CAPA"] + [b"BOGUS"] * 9 + [b"QUIT"])
        self.assertEqual(replies[-1], "+OK Logging out.", replies)


if __name__ == "__main__":
    unittest.main()
