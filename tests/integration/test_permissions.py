"""Who can read the mail on disk: serve keeps data_dir and what it writes there to its owner; check warns about an open data_dir."""

import os
import re
import stat
import unittest

from harness import MXLAB, Mxlab, free_port, run
from mail_util import mail_lab, smtp, stop_for_dump


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def entries(top):
    """Every folder and file under `top` (itself included), as paths relative to it."""
    for root, dirs, files in os.walk(top):
        for name in [root] + [os.path.join(root, f) for f in files]:
            yield os.path.relpath(name, top)


class ServeKeepsMailPrivate(unittest.TestCase):
    def setUp(self):
        # The umask a shell or an init system commonly hands down: mxlab must not depend on a stricter one.
        self.umask = os.umask(0o022)

    def tearDown(self):
        os.umask(self.umask)

    def test_fresh_data_dir_and_everything_in_it_is_the_owners(self):
        with mail_lab(ports=("smtp", "smtps")) as lab:
            lab.start()
            with smtp(lab) as s:
                s.sendmail("wfisk@bigsky.com", ["bob@sina.com"], b"Subject: private\r\n\r\nfor Bob only\r\n")
            stop_for_dump(lab)  # the store has flushed and closed its files

            self.assertEqual(mode(lab.data_dir), 0o700)
            self.assertEqual(mode(os.path.join(lab.data_dir, "tls", "key.pem")), 0o600)
            self.assertEqual(mode(os.path.join(lab.data_dir, "tls", "ca.key")), 0o600)
            store = [p for p in entries(lab.data_dir) if p.startswith("store" + os.sep)]
            self.assertTrue(store, "no store files")
            opened = {}
            for rel in entries(lab.data_dir):
                if rel in (os.path.join("tls", "cert.pem"), os.path.join("tls", "ca.pem")):
                    continue  # a certificate is public: 0644, inside a folder only the owner enters
                if mode(os.path.join(lab.data_dir, rel)) & 0o077:
                    opened[rel] = oct(mode(os.path.join(lab.data_dir, rel)))
            self.assertEqual(opened, {}, "readable by group or others")

    def test_existing_open_data_dir_is_warned_about_and_left_as_it_is(self):
        with Mxlab(ports={"dns": free_port()}) as m:
            os.mkdir(m.data_dir, 0o755)
            m.start()
            m.wait_log(re.escape(f"warning: appliance.data_dir: {m.data_dir} has mode 0755: other local accounts "
                                 f"can read the mail kept there; chmod 700 {m.data_dir}"))
            self.assertEqual(m.stop(), 0)
            # Not changed behind the admin's back (as Postfix and Dovecot leave it), but what serve made is private.
            self.assertEqual(mode(m.data_dir), 0o755)
            for rel in entries(m.data_dir):
                if rel != ".":
                    self.assertEqual(mode(os.path.join(m.data_dir, rel)) & 0o077, 0, rel)


class CheckWarnsAboutOpenDataDir(unittest.TestCase):
    def test_warning_for_0755_not_for_0700(self):
        with Mxlab(ports={}) as m:
            os.mkdir(m.data_dir)
            os.chmod(m.data_dir, 0o755)
            r = run(MXLAB, "check", "-c", m.config_path)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("is valid", r.stdout)
            self.assertIn(f"mxlab.toml: warning: appliance.data_dir: {m.data_dir} has mode 0755: other local "
                          f"accounts can read the mail kept there; chmod 700 {m.data_dir}", r.stderr)

            os.chmod(m.data_dir, 0o700)
            r = run(MXLAB, "check", "-c", m.config_path)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn("data_dir", r.stderr)

    def test_no_warning_before_serve_made_it(self):
        with Mxlab(ports={}) as m:
            r = run(MXLAB, "check", "-c", m.config_path)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn("data_dir", r.stderr)
            self.assertFalse(os.path.exists(m.data_dir))  # check writes nothing


if __name__ == "__main__":
    unittest.main()
