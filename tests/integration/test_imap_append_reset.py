"""A client gone in the middle of a big APPEND, or one that announces more than the limit: the appliance keeps none of it and serves the next client at once (issue 15; the hostile-client side of item 1).

The message of a big APPEND is staged into the store 256 KB at a time as it
arrives; a reset connection must leave no staged chunk behind (store_dump
--blobs counts them once the appliance has stopped). Process RSS is not a
measure here: the staged chunks pass through RocksDB's memtable, which holds
them until it flushes, whoever wrote them.
"""

import socket
import time
import unittest

from mail_util import blob_counts, mail_lab

HOST = "127.0.0.1"


def login(port):
    s = socket.create_connection((HOST, port), timeout=10)
    s.recv(4096)
    s.sendall(b"a LOGIN jack@sina.com jack123\r\n")
    got = b""
    while b"a OK" not in got:
        chunk = s.recv(4096)
        assert chunk, got
        got += chunk
    return s


class AppendReset(unittest.TestCase):
    def test_reset_mid_append_leaves_nothing_behind(self):
        lab = mail_lab(ports=("smtp", "imap"))
        self.addCleanup(lab.__exit__, None, None, None)
        lab.start()
        port = lab.ports["imap"]
        # Ten clients each announce 20 MB (within the 25 MB default), send 6 MB of it and go.
        socks = []
        for _ in range(10):
            s = login(port)
            s.sendall(b"b APPEND Drafts {20000000+}\r\n")
            socks.append(s)
        chunk = b"x" * 78 + b"\r\n"
        block = chunk * (65536 // len(chunk))
        for _ in range(6 * 2**20 // len(block)):
            for s in socks:
                s.sendall(block)
        time.sleep(1.0)
        for s in socks:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST
            s.close()
        # More than the limit is refused before any byte of it is taken.
        s = login(port)
        s.sendall(b"c APPEND Drafts {99999999}\r\n")
        self.assertTrue(s.recv(4096).startswith(b"c NO [TOOBIG]"))
        s.sendall(b"d NOOP\r\n")
        self.assertEqual(s.recv(4096), b"d OK NOOP completed.\r\n")
        s.close()
        time.sleep(0.5)
        counts = blob_counts(lab)
        self.assertEqual(counts["orphan_chunks"], 0, counts)
        self.assertEqual(counts["blobs"], 0, counts)


if __name__ == "__main__":
    unittest.main()
