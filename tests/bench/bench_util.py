"""Python helpers the benchmark drivers share (pop3/drive.py, smtp/drive.py).

The drivers run as scripts, so each puts this folder (its parent) on sys.path
before `from bench_util import ...`.
"""
import os
import socket
import time

HOST = "127.0.0.1"  # the only address a benchmark talks to


def wait_banner(port, timeout_s, pid, banner):
    """Waits until HOST:port greets with a line starting with `banner` (bytes:
    b"220" for SMTP, b"+OK" for POP3), then says QUIT. Returns 0 then; 1 on the
    timeout; 2 if `pid` (the server; None: not watched) is gone first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pid is not None:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return 2
        try:
            with socket.create_connection((HOST, port), timeout=2) as s:
                s.settimeout(2)
                if s.recv(512).startswith(banner):
                    s.sendall(b"QUIT\r\n")
                    try:
                        s.recv(512)
                    except OSError:
                        pass
                    return 0
        except OSError:
            pass
        time.sleep(0.1)
    return 1


def add_wait_command(sub):
    """The drivers' "wait PORT TIMEOUT_S [PID]" subcommand, which proc.sh's serve_waiting runs; see wait_banner."""
    w = sub.add_parser("wait")
    w.add_argument("port", type=int)
    w.add_argument("timeout", type=float)
    w.add_argument("pid", type=int, nargs="?")
