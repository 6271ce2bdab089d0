"""A full disk under `mxlab serve` (issue 12, items 3 and 4): starting on one exits 2 with a message that says what to do, never SIGABRT; a disk that fills while running makes SMTP answer 4xx and POP3 deletions fail, and once space is freed both work again with no restart, with one store.disk_full and one store.recovered line in the log.

DESIGN.md section 2 (exit status 2, a message that says what and what to
do) and section 5 (250 only once the message is durably stored). data_dir is
a small tmpfs mounted for the test, so this needs root; CI runs as root. The
config and the log stay outside it, on the temporary directory's own disk.
Every mount is undone and every mxlab stopped (by PID, through harness.py)
however a test ends.
"""

import errno
import os
import shutil
import poplib
import smtplib
import subprocess
import sys
import time
import unittest

from mail_util import dump, inbox, mail_lab

HOST = "127.0.0.1"
# An empty store, its TLS key and DNS serials take about 200 KiB; the rest is
# room for a few messages before the filler takes it all.
TMPFS_SIZE = "4m"
RECOVERY_LIMIT = 30  # seconds from freeing space to mail being accepted again
FULL_MESSAGE = "the file system holding data_dir is full"


def mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    # mode 0700: a data_dir others can read is what `mxlab check` warns about.
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", path], check=True)


def umount(path):
    if subprocess.run(["mountpoint", "-q", path]).returncode == 0:
        subprocess.run(["umount", path], check=True)


def fill(path):
    """Writes `path` until the file system has not one byte left."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1 << 20, 1 << 16, 1 << 12, 1):
            block = b"\0" * size
            while True:
                try:
                    os.write(fd, block)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
    finally:
        os.close(fd)


def message(subject):
    return f"From: <wfisk@bigsky.com>\r\nTo: <bob@sina.com>\r\nSubject: {subject}\r\n\r\nabout {subject}\r\n"


def send(lab, subject):
    """One message to bob on port 25: the reply code of its end of data (or of the first refused command)."""
    with smtplib.SMTP(HOST, lab.ports["smtp"], local_hostname="client.example.org", timeout=30) as s:
        try:
            s.sendmail("wfisk@bigsky.com", ["bob@sina.com"], message(subject))
        except smtplib.SMTPRecipientsRefused as e:
            return next(iter(e.recipients.values()))[0]
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as e:
            return e.smtp_code
    return 250


def delete_first(lab):
    """POP3 as bob: DELE 1, then QUIT, which applies it (RFC 1939 section 6). Returns the QUIT reply."""
    p = poplib.POP3(HOST, lab.ports["pop3"], timeout=30)
    try:
        p.user("bob@sina.com")
        p.pass_("bob123")
        p.dele(1)
        try:
            reply = p._shortcmd("QUIT")
        except poplib.error_proto as e:
            reply = e.args[0]
        p.file.read()  # until the server closes: it has let go of the maildrop by then
        return reply
    finally:
        p.close()


def subjects(lab):
    """Stops lab; the subjects of bob's INBOX in UID order."""
    msgs, _ = dump(lab, "bob@sina.com")
    out = []
    for m in inbox(msgs, "bob@sina.com"):
        line = next(l for l in m["message"].split(b"\r\n") if l.startswith(b"Subject: "))
        out.append(line[len(b"Subject: "):].decode())
    return out


@unittest.skipUnless(os.geteuid() == 0, "data_dir on a small tmpfs needs mount(8): run as root")
class FullDisk(unittest.TestCase):
    def setUp(self):
        self.lab = mail_lab(ports=("smtp", "pop3"))
        self.addCleanup(self.lab.__exit__, None, None, None)  # runs last: the temporary directory goes
        mount_tmpfs(self.lab.data_dir, TMPFS_SIZE)
        self.addCleanup(umount, self.lab.data_dir)  # after the lab has stopped (cleanups run in reverse)
        self.addCleanup(self.stop)
        self.filler = os.path.join(self.lab.data_dir, "filler")

    def stop(self):
        if self.lab.proc is not None and self.lab.proc.poll() is None:
            self.lab.stop()

    def start_expecting_failure(self):
        """Starts mxlab on the full disk; returns (exit status, log) once it has exited."""
        self.lab.start(expect_ready=False)
        try:
            code = self.lab.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.fail(f"mxlab kept running on a full disk:\n{self.lab.log()}")
        self.lab.stop()  # closes the log and notify socket; the process is gone already
        return code, self.lab.log()

    def run_out_of_space(self):
        """Starts mxlab, sends "before", fills the disk, and sends until SMTP refuses: ([subjects that got 250], the 4xx code)."""
        self.lab.start()
        self.assertEqual(send(self.lab, "before"), 250)
        fill(self.filler)
        # What is left of the WAL's last page takes a few more messages (9 of
        # these, measured): each 250 is durable and must survive.
        accepted = ["before"]
        while (code := send(self.lab, f"while full {len(accepted)}")) == 250:
            accepted.append(f"while full {len(accepted)}")
            self.assertLess(len(accepted), 100, "the disk never filled up")
        self.assertTrue(400 <= code < 500, f"a full disk gave {code}, not a temporary failure")
        return accepted, code

    def assertExitedTwoSayingFull(self, code, log):
        self.assertNotEqual(code, -6, f"SIGABRT:\n{log}")
        self.assertEqual(code, 2, log)
        self.assertNotIn("Assertion", log)
        self.assertIn(FULL_MESSAGE, log)
        self.assertIn("free space on it", log)
        self.assertIn("event=start.failed", log)

    # Item 3: a new store on a disk with no room left.
    def test_start_on_a_full_disk_exits_2_saying_what_to_do(self):
        fill(self.filler)
        code, log = self.start_expecting_failure()
        self.assertExitedTwoSayingFull(code, log)

    # Item 3: a new data_dir with a little room left, less than a fresh store
    # and the DNS serials file need: whichever write fails first, mxlab exits
    # 2 saying the disk is full, or it has room and starts. Never an abort.
    def test_start_with_a_little_room_left(self):
        for room in (16 << 10, 64 << 10, 96 << 10, 512 << 10):
            with self.subTest(room=room):
                for leftover in os.listdir(self.lab.data_dir):
                    path = os.path.join(self.lab.data_dir, leftover)
                    shutil.rmtree(path) if os.path.isdir(path) else os.unlink(path)
                fill(self.filler)
                os.truncate(self.filler, os.path.getsize(self.filler) - room)
                self.lab.start(expect_ready=False)
                started = False
                try:
                    self.lab.wait_notify("READY=1", 30)
                    started = True
                except AssertionError:
                    pass
                code = self.lab.stop()
                log = self.lab.log()
                print(f"{room >> 10} KiB free: exit {code}, {[l for l in log.splitlines() if 'start.failed' in l or 'event=ready' in l]}", flush=True)
                if started:
                    self.assertEqual(code, 0, log[-3000:])
                else:
                    self.assertExitedTwoSayingFull(code, log[-3000:])
                open(self.lab.log_path, "w").close()

    # Item 3: a store with mail in it, and the disk filled while mxlab was
    # down; once space is back it starts and the mail is all there.
    def test_restart_on_a_disk_that_filled_meanwhile(self):
        self.lab.start()
        self.assertEqual(send(self.lab, "kept"), 250)
        self.lab.stop()
        fill(self.filler)
        code, log = self.start_expecting_failure()
        self.assertExitedTwoSayingFull(code, log)
        os.unlink(self.filler)
        self.lab.start()
        self.assertEqual(subjects(self.lab), ["kept"])

    # A disk that fills while mxlab runs, then a stop (SIGTERM: exit 0, not a
    # crash on the way out) and a start while it is still full (exit 2):
    # nothing that got 250 is lost.
    def test_stop_while_full_then_restart(self):
        accepted, _ = self.run_out_of_space()
        self.assertEqual(self.lab.stop(), 0, self.lab.log()[-3000:])
        code, log = self.start_expecting_failure()
        self.assertExitedTwoSayingFull(code, log)
        os.unlink(self.filler)
        self.lab.start()
        self.assertEqual(subjects(self.lab), accepted)

    # Item 4: the disk fills while mxlab runs, then space comes back.
    def test_full_while_running_then_recovers_without_restart(self):
        accepted, code = self.run_out_of_space()
        self.lab.wait_log(r"level=error event=store\.disk_full .*free space on the file system holding data_dir", 10)
        self.assertEqual(send(self.lab, "refused again"), code)
        self.assertTrue(delete_first(self.lab).startswith(b"-ERR [SYS/TEMP]"))

        os.unlink(self.filler)
        freed = time.monotonic()
        while True:
            code = send(self.lab, "after")
            if code == 250:
                break
            self.assertTrue(400 <= code < 500, code)
            self.assertLess(time.monotonic() - freed, RECOVERY_LIMIT, f"no recovery within {RECOVERY_LIMIT}s:\n{self.lab.log()[-3000:]}")
            time.sleep(0.2)
        took = time.monotonic() - freed
        print(f"test_full_disk: mail accepted again {took:.1f}s after space was freed", file=sys.stderr)
        accepted.append("after")
        self.lab.wait_log(r"level=info event=store\.recovered ", 10)
        self.assertEqual(delete_first(self.lab), b"+OK Logging out, 1 message deleted.")

        self.assertEqual(self.lab.stop(), 0)
        log = self.lab.log()
        self.assertEqual(log.count("event=store.disk_full"), 1, log)
        self.assertEqual(log.count("event=store.recovered"), 1, log)
        self.assertNotIn("Assertion", log)
        # Everything that got 250 is there, minus the one POP3 deleted; nothing that got 4xx is.
        self.assertEqual(subjects(self.lab), accepted[1:])


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("test_full_disk: SKIPPED: needs root to mount a small tmpfs as data_dir (CI runs as root)", file=sys.stderr)
    unittest.main(verbosity=2)
