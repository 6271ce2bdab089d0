"""Starts a real `mxlab serve` on free loopback ports and a temporary data_dir.

Every integration test uses this: it writes a TOML file, starts the binary
named by $MXLAB with NOTIFY_SOCKET pointing at a socket of ours (so start-up,
reload and stop are observed exactly as systemd would see them), and ends
only the process it started, by PID.
"""

import ctypes
import os
import re
import signal
import socket
import subprocess
import tempfile
import time

MXLAB = os.environ.get("MXLAB", "mxlab")
# mxlab runs under ASan + UBSan (the build-asan tests): bounds on memory and
# latency are asserted against the plain build only, and printed here.
SANITIZED = os.environ.get("MXLAB_SANITIZED") == "1"
SOURCE_DIR = os.environ.get(
    "MXLAB_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
)

PORT_KEYS = ("dns", "smtp", "submission", "smtps", "pop3", "pop3s", "imap", "imaps", "http", "https")


def _die_with_parent():
    """In the child: SIGKILL when the test process dies (a ctest timeout), so no daemon is left behind."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def free_port(host="127.0.0.1"):
    """A port free for both TCP and UDP on `host` (DNS needs the same number for both)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(100):
        with socket.socket(family, socket.SOCK_STREAM) as t:
            t.bind((host, 0))
            port = t.getsockname()[1]
            try:
                with socket.socket(family, socket.SOCK_DGRAM) as u:
                    u.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


def lab_config(ports, data_dir, hostname="mail.sina.com", addresses=("127.0.0.1",),
               listen=("127.0.0.1",), extra="", domains=None):
    """A TOML text: every listener on `ports` (a dict; missing keys are 0 = off)."""
    port_lines = "\n".join(f"{k} = {int(ports.get(k, 0))}" for k in PORT_KEYS)
    addr = ", ".join(f'"{a}"' for a in addresses)
    lst = ", ".join(f'"{a}"' for a in listen)
    if domains is None:
        domains = """
[[domain]]
name = "sina.com"
records = ["www A 10.0.1.20", "ftp CNAME www"]
[domain.users]
Bob = "bob123"
Jack = "jack123"
[domain.aliases]
postmaster = "Bob"
"""
    return f"""
[appliance]
hostname = "{hostname}"
addresses = [{addr}]
listen = [{lst}]
data_dir = "{data_dir}"
log_level = "debug"

[ports]
{port_lines}

{extra}
{domains}
"""


class Mxlab:
    """One `mxlab serve` process. Use as a context manager."""

    def __init__(self, toml=None, ports=None, workdir=None, **config_args):
        self._tmp = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="mxlab-test-")
            workdir = self._tmp.name
        self.workdir = workdir
        self.data_dir = os.path.join(workdir, "data")
        self.config_path = os.path.join(workdir, "mxlab.toml")
        self.log_path = os.path.join(workdir, "mxlab.log")
        self.ports = dict(ports) if ports is not None else {}
        if toml is None:
            toml = lab_config(self.ports, self.data_dir, **config_args)
        self.write_config(toml)
        self.proc = None
        self._notify = None

    # --- config ---
    def write_config(self, toml):
        with open(self.config_path, "w") as f:
            f.write(toml)

    # --- process ---
    def start(self, timeout=20, expect_ready=True):
        notify_path = os.path.join(self.workdir, "notify.sock")
        if os.path.exists(notify_path):
            os.unlink(notify_path)
        self._notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._notify.bind(notify_path)
        env = dict(os.environ, NOTIFY_SOCKET=notify_path)
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [MXLAB, "serve", "-c", self.config_path],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, env=env,
            preexec_fn=_die_with_parent,
        )
        if expect_ready:
            self.wait_notify("READY=1", timeout)
        return self

    def wait_notify(self, state, timeout=20):
        """Waits for a notification datagram that contains `state`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"mxlab exited with {self.proc.returncode} before {state}:\n{self.log()}")
            self._notify.settimeout(min(0.2, max(0.01, deadline - time.monotonic())))
            try:
                msg = self._notify.recv(4096).decode()
            except socket.timeout:
                continue
            if state in msg.split("\n"):
                return msg
        raise AssertionError(f"no {state} within {timeout}s:\n{self.log()}")

    def reload(self, timeout=20):
        """SIGHUP, then waits until the daemon says READY again."""
        self.proc.send_signal(signal.SIGHUP)
        self.wait_notify("RELOADING=1", timeout)
        self.wait_notify("READY=1", timeout)

    def stop(self, timeout=20):
        """SIGTERM and wait; returns the exit status. Kills (by PID) if it hangs."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"mxlab did not stop within {timeout}s:\n{self.log()}")
        code = self.proc.returncode
        self._log.close()
        self._notify.close()
        return code

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, pattern, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, self.log())
            if m:
                return m
            time.sleep(0.05)
        raise AssertionError(f"log has no /{pattern}/ within {timeout}s:\n{self.log()}")

    def run_cli(self, *args, input=None, timeout=30):
        """Runs `mxlab ARGS -c <our config>`; returns CompletedProcess (text)."""
        return subprocess.run([MXLAB, *args, "-c", self.config_path], input=input,
                              capture_output=True, text=True, timeout=timeout)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            if self.proc is not None and self.proc.poll() is None:
                self.stop()
        finally:
            if self._tmp is not None:
                self._tmp.cleanup()
        return False


def run(*args, timeout=30, **kw):
    """Runs a client program; returns CompletedProcess with text output."""
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, **kw)
