"""Starts Debian's NSD in the foreground on a free loopback port, from the hand-written zones here.

NSD is the reference of DESIGN.md section 4 ("Where this list is silent, NSD
4.6's default behaviour is the reference"), so it runs with its defaults except
for what a test on a shared machine needs: a temporary directory for every file
it writes, no privilege drop, no remote control, and rate limiting off (RRL
would answer some of a burst of test queries with TC=1 and skew a comparison).
It answers version.bind as NSD does by default (the version string itself is
compared masked); its identity (id.server: the machine's host name) is hidden.
"""

import ctypes
import os
import shutil
import signal
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ZONES = ("sina.com", "bigsky.com", "1.0.10.in-addr.arpa")


def nsd_binary():
    """The nsd program; fails loudly when missing: the differential test must not skip in CI."""
    for path in (shutil.which("nsd"), "/usr/sbin/nsd"):
        if path and os.access(path, os.X_OK):
            return path
    raise AssertionError("nsd is not installed (Debian package nsd; packaging/install-deps.sh test)")


def _die_with_parent():
    """In the child before exec: SIGTERM it when the test process dies, even by SIGKILL (a
    ctest timeout), so no NSD outlives its test; NSD then ends its own children."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _alive(pid):
    """True while `pid` runs; a zombie child of another process counts as ended."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


class Nsd:
    """One NSD process tree. Use as a context manager; stop() ends it by PID."""

    def __init__(self, port, zones=ZONES, zone_dir=HERE, extra_server="", extra_zone="",
                 zone_conf=None):
        """Serves `zones` from `zone_dir`/ZONE.zone; `zone_conf` replaces those zone: blocks."""
        self.port = port
        self._tmp = tempfile.TemporaryDirectory(prefix="mxlab-nsd-")
        self.dir = self._tmp.name
        self.conf_path = os.path.join(self.dir, "nsd.conf")
        self.log_path = os.path.join(self.dir, "nsd.log")
        self.proc = None
        zone_blocks = "".join(
            f"zone:\n    name: \"{z}\"\n    zonefile: \"{os.path.join(zone_dir, z + '.zone')}\"\n{extra_zone}\n"
            for z in zones)
        if zone_conf is not None:
            zone_blocks = zone_conf
        d = self.dir
        with open(self.conf_path, "w") as f:
            f.write(f"""server:
    ip-address: 127.0.0.1@{port}
    port: {port}
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "{d}"
    pidfile: "{d}/nsd.pid"
    xfrdfile: "{d}/xfrd.state"
    xfrdir: "{d}"
    zonelistfile: "{d}/zone.list"
    database: ""
    logfile: "{d}/nsd.log"
    cookie-secret-file: "{d}/cookiesecrets.txt"
    verbosity: 0
    server-count: 1
    hide-version: no
    hide-identity: yes
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
{extra_server}
remote-control:
    control-enable: no

{zone_blocks}""")

    def start(self, ready_probe, timeout=20):
        """Starts `nsd -d`; `ready_probe()` returns True once the zones answer."""
        r = subprocess.run(["nsd-checkconf", self.conf_path], capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError(f"nsd-checkconf rejects our config:\n{r.stderr}")
        self._out = open(os.path.join(self.dir, "nsd.stdout"), "wb")
        # NSD built with libsystemd would tell our own supervisor it is ready: not its business.
        env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
        self.proc = subprocess.Popen([nsd_binary(), "-d", "-c", self.conf_path],
                                     stdin=subprocess.DEVNULL, stdout=self._out,
                                     stderr=subprocess.STDOUT, env=env, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"nsd exited with {self.proc.returncode}:\n{self.log()}")
            if ready_probe():
                return self
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"nsd did not answer within {timeout}s:\n{self.log()}")

    def pids(self):
        """The main process and all its descendants (NSD forks xfrd, which forks the servers)."""
        if self.proc is None or self.proc.poll() is not None:
            return []
        r = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True)
        children = {}
        for line in r.stdout.splitlines():
            pid, ppid = (int(x) for x in line.split())
            children.setdefault(ppid, []).append(pid)
        pids, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            todo += children.get(pid, [])
        return pids

    def stop(self, timeout=10):
        """SIGTERM to the main process (it ends its children); stragglers are killed by PID."""
        if self.proc is None:
            return
        tree = self.pids()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        deadline = time.monotonic() + timeout
        for pid in tree[1:]:
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        self._out.close()
        self.proc = None

    def log(self):
        text = ""
        for name in ("nsd.stdout", "nsd.log"):
            try:
                with open(os.path.join(self.dir, name), "rb") as f:
                    text += f.read().decode(errors="replace")
            except FileNotFoundError:
                pass
        return text

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            self.stop()
        finally:
            self._tmp.cleanup()
        return False
