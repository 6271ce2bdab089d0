"""`mxlab check` on the classic mistakes (issue 13, item 5): each a warning with its line, and a reload
that changes data_dir."""

import os
import re
import socket
import time
import unittest

from harness import Mxlab, free_port

USERS = '[domain.users]\nBob = "bob123"\n'


def check(m, toml):
    m.write_config(toml)
    return m.run_cli("check")


def head(m, hostname="mail.sina.com", extra=""):
    """[appliance] on lines 1-4 (plus `extra` lines right after)."""
    return (f'[appliance]\nhostname = "{hostname}"\naddresses = ["127.0.0.1"]\ndata_dir = "{m.data_dir}"\n'
            + extra)


class Warnings(unittest.TestCase):
    def assert_warns(self, m, toml, line):
        r = check(m, toml)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("is valid", r.stdout)
        found = [l for l in r.stderr.splitlines() if f"mxlab.toml:{line}:" in l]
        self.assertEqual(len(found), 1, r.stderr)
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)  # nothing that only repeats it
        return found[0]

    def test_record_owner_without_trailing_dot(self):
        with Mxlab(ports={}) as m:
            w = self.assert_warns(m, head(m) + '[[domain]]\nname = "sina.com"\n'
                                  'records = ["mail A 127.0.0.1", "www.sina.com A 10.0.1.20"]\n' + USERS, 7)
            self.assertRegex(w, r'mxlab.toml:7:\d+: warning: domain "sina.com" records\[2\]: www.sina.com has no '
                             r'trailing dot, so it is relative to the zone and means www.sina.com.sina.com; '
                             r'write "www" or "www.sina.com."$')

    def test_mx_host_without_trailing_dot(self):
        with Mxlab(ports={}) as m:
            w = self.assert_warns(m, head(m) + '[[domain]]\nname = "sina.com"\n'
                                  'records = ["@ MX 10 mail.sina.com", "mail A 127.0.0.1"]\n' + USERS, 7)
            self.assertIn('warning: domain "sina.com" records[1]: the MX host mail.sina.com has no trailing dot, so it '
                          'is relative to the zone and means mail.sina.com.sina.com; write "mail" or "mail.sina.com."',
                          w)

    def test_mail_domain_without_users_or_postmaster(self):
        with Mxlab(ports={}) as m:
            w = self.assert_warns(m, head(m) + '[[domain]]\nname = "sina.com"\n', 6)
            self.assertIn('mxlab.toml:6:8: warning: domain "sina.com" name: sina.com takes mail but has no users and '
                          'no postmaster, so mail to postmaster@sina.com (which RFC 5321 section 4.5.1 requires to '
                          'work) is refused; add a user under [domain.users], or an alias postmaster = '
                          '"you@another.domain" under [domain.aliases], or set mail = false if the domain is for DNS '
                          'only', w)

    def test_hostname_that_does_not_resolve(self):
        # .con is no top-level domain: without network the lookup fails at once, with network NXDOMAIN.
        with Mxlab(ports={}) as m:
            start = time.monotonic()
            w = self.assert_warns(m, head(m, "mail.sina.con") + '[[domain]]\nname = "sina.com"\n' + USERS, 2)
            self.assertLess(time.monotonic() - start, 8)  # the lookups have 3 s in all
            self.assertRegex(w, r"mxlab.toml:2:12: warning: appliance.hostname: mail.sina.con is in no zone served "
                             r"here and does not resolve through this machine's resolver \(.+\): other mail servers "
                             r"cannot reach it; check the spelling, or serve its zone here$")

    def test_mx_host_checked_through_dns_resolvers(self):
        # B serves bigsky.com; A's check asks B, as A's queue would: mx.bigsky.com resolves, mx.bigsky.con not.
        dns = free_port()
        with Mxlab(ports={"dns": dns}, hostname="mx.bigsky.com",
                   domains='[[domain]]\nname = "bigsky.com"\n[domain.users]\nWFisk = "x"\n') as b, \
                Mxlab(ports={}) as a:
            b.start()
            toml = head(a, extra=f'[dns]\nresolvers = ["127.0.0.1:{dns}"]\n') + (
                '[[domain]]\nname = "sina.com"\n'
                'records = ["@ MX 10 mx.bigsky.com.", "@ MX 20 mx.bigsky.con."]\n' + USERS)
            w = self.assert_warns(a, toml, 9)
            self.assertIn('warning: domain "sina.com" records[2]: mx.bigsky.con is in no zone served here and does '
                          'not resolve through dns.resolvers (', w)
            self.assertIn("): other mail servers may not reach it; check the spelling, or serve its zone here", w)

    def test_a_silent_dns_server_costs_3_seconds_in_all(self):
        with Mxlab(ports={}) as m, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
            silent.bind(("127.0.0.1", 0))  # takes queries, answers none
            toml = head(m, "mail.sina.con", f'[dns]\nresolvers = ["127.0.0.1:{silent.getsockname()[1]}"]\n') + (
                '[[domain]]\nname = "sina.com"\nrecords = ["@ MX 10 mx.a.example.", "@ MX 20 mx.b.example."]\n'
                + USERS)
            start = time.monotonic()
            r = check(m, toml)
            self.assertLess(time.monotonic() - start, 6)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(len(re.findall(r"does not resolve through dns.resolvers \(.*timed out", r.stderr)), 3,
                             r.stderr)


class Errors(unittest.TestCase):
    def test_unterminated_string_names_where_it_began(self):
        with Mxlab(ports={}) as m:
            r = check(m, head(m) + '[[domain]]\nname = "sina.com\n' + USERS)
            self.assertEqual(r.returncode, 1)
            self.assertEqual(r.stderr, f"{m.config_path}:6:8: error: missing closing quote: the string that starts "
                             f"here has no closing \" on its line\nmxlab: {m.config_path}: 1 error\n")

    def test_a_typo_is_one_error(self):
        with Mxlab(ports={}) as m:
            r = check(m, head(m).replace("hostname", "hostnme") + '[[domain]]\nnmae = "sina.com"\n' + USERS)
            self.assertEqual(r.returncode, 1)
            self.assertEqual(r.stderr.splitlines(), [
                f"{m.config_path}:2:1: error: appliance.hostnme: unknown key (did you mean hostname?)",
                f'{m.config_path}:6:1: error: domain #1 nmae: unknown key (did you mean name?)',
                f"mxlab: {m.config_path}: 2 errors"])


class Summary(unittest.TestCase):
    def test_web_is_not_built_yet_imap_is(self):
        # Issue 13, item 8: web's ports stay closed whatever the config says; IMAP listens (issue 15).
        with Mxlab(ports={}) as m:
            r = check(m, head(m) + '[ports]\nimap = 10143\nimaps = 0\nhttp = 10080\nhttps = 10443\n'
                      '[[domain]]\nname = "sina.com"\n' + USERS)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("  imap: port 10143, implicit TLS off\n", r.stdout)
            self.assertIn("  web: not built yet, nothing listens on http 10080, https 10443\n", r.stdout)
            r = check(m, head(m) + '[services]\nimap = false\nweb = false\n[[domain]]\nname = "sina.com"\n' + USERS)
            self.assertIn("  imap: off\n  web: off\n", r.stdout)


class ReloadDataDir(unittest.TestCase):
    def test_new_data_dir_is_not_created_and_the_old_one_is_kept(self):
        with Mxlab(ports={"dns": free_port(), "smtp": free_port()}) as m:
            m.start()
            moved = os.path.join(m.workdir, "elsewhere")
            with open(m.config_path) as f:
                text = f.read()
            m.write_config(text.replace(f'data_dir = "{m.data_dir}"', f'data_dir = "{moved}"'))
            m.reload()
            m.wait_log(r"event=reload.ok")
            self.assertRegex(m.log(), r"level=warn event=reload.data_dir detail=\"appliance.data_dir changed from "
                             + re.escape(m.data_dir) + " to " + re.escape(moved) + r": it applies at the next "
                             r"restart; until then this appliance keeps using " + re.escape(m.data_dir))
            self.assertFalse(os.path.exists(moved))
            self.assertTrue(os.path.exists(os.path.join(m.data_dir, "control.sock")))
            r = m.run_cli("check")  # check looks at the new one, creating nothing either
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertFalse(os.path.exists(moved))


if __name__ == "__main__":
    unittest.main()
