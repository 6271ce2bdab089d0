"""DNS for the lab's PCs (issue 13, item 4): appliance A answers other domains through B for the clients of dns.recursion, from a cache; everyone else is refused.

A (sina.com) and B (bigsky.com) run on their own loopback addresses and free
ports; A's dns.resolvers is B, and only 127.0.13.2 may recurse through A.
dig's -b picks the client address, as a lab PC's own address would.
"""

import os
import subprocess
import time
import unittest

from dns_util import Reply, require_tool
from harness import MXLAB, SOURCE_DIR, Mxlab, free_port, lab_config, run

A_ADDR, B_ADDR = "127.0.11.10", "127.0.12.10"
PC, STRANGER = "127.0.13.2", "127.0.13.3"

A_DOMAINS = """
[[domain]]
name = "sina.com"
records = ["www A 10.0.1.20"]
[domain.users]
Bob = "bob123"
"""

B_DOMAINS = """
[[domain]]
name = "bigsky.com"
records = [
  "www    A    10.0.2.20",
  "short  60   A 10.0.2.60",
""" + "".join(f'  \'big TXT "{i:02d}{"x" * 57}"\',\n' for i in range(20)) + """]
[domain.users]
WFisk = "wfisk123"
"""


def pair(b_extra=lambda a_port: "", recursion=f"{PC}/32"):
    """B serving bigsky.com, and A serving sina.com that forwards to B for `recursion`: (a, b, a_port)."""
    a_port, b_port = free_port(A_ADDR), free_port(B_ADDR)
    b = Mxlab(ports={"dns": b_port}, hostname="mail.bigsky.com", addresses=("10.0.2.10",), listen=(B_ADDR,),
              domains=B_DOMAINS, extra=b_extra(a_port))
    a = Mxlab(ports={"dns": a_port}, hostname="mail.sina.com", addresses=("10.0.1.10",), listen=(A_ADDR,),
              domains=A_DOMAINS, extra=f'[dns]\nresolvers = ["{B_ADDR}:{b_port}"]\nrecursion = ["{recursion}"]\n')
    return a, b, a_port


class Base(unittest.TestCase):
    pair_args = {}

    @classmethod
    def setUpClass(cls):
        require_tool("dig")
        cls.a, cls.b, cls.port = pair(**cls.pair_args)
        try:
            cls.b.start()
            cls.a.start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.a.__exit__(None, None, None)
        cls.b.__exit__(None, None, None)

    def tearDown(self):
        self.assertIsNone(self.a.proc.poll(), f"A died:\n{self.a.log()[-4000:]}")

    def dig(self, client, *args):
        r = subprocess.run(["dig", f"@{A_ADDR}", "-p", str(self.port), "-b", client, "+time=4", "+tries=1", *args],
                           capture_output=True, text=True, timeout=30)
        return Reply(r.stdout + r.stderr)

    def assertForwarded(self, r, status="NOERROR"):
        self.assertEqual(r.status, status, r.text)
        self.assertIn("ra", r.flags, r.text)
        self.assertNotIn("aa", r.flags, r.text)  # not our zone: not an authoritative answer


class Recursion(Base):
    def test_pc_gets_bigsky_mx_through_b(self):
        r = self.dig(PC, "bigsky.com", "MX")
        self.assertForwarded(r)
        self.assertEqual(r.rdata("ANSWER", "MX"), ["10 mail.bigsky.com."])
        self.assertIn("rd", r.flags)
        r = self.dig(PC, "mail.bigsky.com", "A")
        self.assertForwarded(r)
        self.assertEqual(r.rdata("ANSWER", "A"), ["10.0.2.10"])

    def test_stranger_is_refused(self):
        r = self.dig(STRANGER, "bigsky.com", "MX")
        self.assertEqual(r.status, "REFUSED", r.text)
        self.assertNotIn("ra", r.flags, r.text)
        self.assertEqual(r.rrs("ANSWER"), [])
        # Even once the answer is in A's cache.
        self.assertForwarded(self.dig(PC, "www.bigsky.com", "A"))
        r = self.dig(STRANGER, "www.bigsky.com", "A")
        self.assertEqual(r.status, "REFUSED", r.text)
        self.assertEqual(r.rrs("ANSWER"), [])

    def test_our_zone_is_authoritative_for_everyone(self):
        for client in (PC, STRANGER):
            r = self.dig(client, "www.sina.com", "A")
            self.assertEqual(r.status, "NOERROR", r.text)
            self.assertIn("aa", r.flags, r.text)
            self.assertEqual(r.rdata("ANSWER", "A"), ["10.0.1.20"])
            # RA says whether this client may recurse, as BIND does.
            self.assertEqual("ra" in r.flags, client == PC, r.text)

    def test_tcp(self):
        r = self.dig(PC, "+tcp", "www.bigsky.com", "A")
        self.assertForwarded(r)
        self.assertEqual(r.rdata("ANSWER", "A"), ["10.0.2.20"])
        r = self.dig(STRANGER, "+tcp", "bigsky.com", "MX")
        self.assertEqual(r.status, "REFUSED", r.text)

    def test_nxdomain_is_passed_on_with_the_soa(self):
        r = self.dig(PC, "nope.bigsky.com", "A")
        self.assertForwarded(r, "NXDOMAIN")
        soa = r.rrs("AUTHORITY", "SOA")
        self.assertEqual(len(soa), 1, r.text)
        self.assertLessEqual(soa[0][1], 300)  # RFC 2308: min(SOA TTL, MINIMUM)

    def test_too_big_for_udp_sets_tc_and_tcp_gets_it_all(self):
        # 20 TXT strings of 60 bytes do not fit in 512 bytes (no EDNS) nor 1232.
        r = self.dig(PC, "+noedns", "+ignore", "big.bigsky.com", "TXT")
        self.assertForwarded(r)
        self.assertIn("tc", r.flags, r.text)
        self.assertEqual(r.rrs("ANSWER"), [])
        r = self.dig(PC, "big.bigsky.com", "TXT")  # dig retries over TCP by itself
        self.assertForwarded(r)
        self.assertEqual(len(r.rrs("ANSWER", "TXT")), 20, r.text)

    def test_question_case_is_echoed(self):
        r = self.dig(PC, "WwW.BigSky.Com", "A")
        self.assertForwarded(r)
        self.assertEqual(r.sections["QUESTION"][0][0], "WwW.BigSky.Com.", r.text)
        self.assertEqual(r.rdata("ANSWER", "A"), ["10.0.2.20"])


class Cache(Base):
    def test_answers_come_from_the_cache_with_ttls_counted_down(self):
        first = self.dig(PC, "short.bigsky.com", "A")
        self.assertForwarded(first)
        self.assertEqual(first.rrs("ANSWER")[0][1], 60, first.text)
        self.assertForwarded(self.dig(PC, "bigsky.com", "MX"))
        time.sleep(2.2)
        # B goes away: what A has cached still comes, TTLs counted down.
        self.b.stop()
        r = self.dig(PC, "short.bigsky.com", "A")
        self.assertForwarded(r)
        self.assertEqual(r.rdata("ANSWER", "A"), ["10.0.2.60"])
        self.assertLessEqual(r.rrs("ANSWER")[0][1], 58, r.text)
        r = self.dig(PC, "+tcp", "bigsky.com", "MX")
        self.assertForwarded(r)
        self.assertEqual(r.rdata("ANSWER", "MX"), ["10 mail.bigsky.com."])
        self.assertLess(r.rrs("ANSWER")[0][1], 3600, r.text)
        # RD=0: the cache only, as BIND answers a client that may use its cache.
        r = self.dig(PC, "+norecurse", "bigsky.com", "MX")
        self.assertForwarded(r)
        r = self.dig(PC, "+norecurse", "www.bigsky.com", "A")
        self.assertEqual(r.status, "REFUSED", r.text)
        self.assertIn("ra", r.flags, r.text)
        # Not cached and nobody to ask: SERVFAIL, after B's timeout.
        started = time.monotonic()
        r = self.dig(PC, "www.bigsky.com", "A")
        self.assertEqual(r.status, "SERVFAIL", r.text)
        self.assertIn("ra", r.flags, r.text)
        self.assertLess(time.monotonic() - started, 4)
        self.a.wait_log(r"dns\.forward\.servfail.*www\.bigsky\.com")


class Reload(Base):
    def test_reload_turns_recursion_off(self):
        self.assertForwarded(self.dig(PC, "www.bigsky.com", "A"))
        with open(self.a.config_path) as f:
            toml = f.read()
        self.a.write_config(toml.replace(f'recursion = ["{PC}/32"]', "recursion = []"))
        self.a.reload()
        r = self.dig(PC, "www.bigsky.com", "A")
        self.assertEqual(r.status, "REFUSED", r.text)  # also what is still in the cache
        self.assertNotIn("ra", r.flags, r.text)


class Loop(Base):
    """A and B forward to each other, and each lets all of 127/8 recurse: a question neither serves must not go round."""

    pair_args = {"b_extra": lambda a_port: f'[dns]\nresolvers = ["{A_ADDR}:{a_port}"]\nrecursion = ["127.0.0.0/8"]\n',
                 "recursion": "127.0.0.0/8"}

    def test_no_loop_between_two_forwarders(self):
        started = time.monotonic()
        r = self.dig(PC, "www.example.org", "A")
        # A listens on one address, so its query leaves from it (not from 127.0.0.1, the
        # kernel's choice on loopback): B sees its own upstream asking and refuses to recurse
        # for it instead of asking A back, and the question ends at once, as SERVFAIL.
        self.assertEqual(r.status, "SERVFAIL", r.text)
        self.assertLess(time.monotonic() - started, 1.0)
        self.a.wait_log(r"dns\.forward\.servfail.*www\.example\.org.*REFUSED")
        # Each still forwards the other's domain for a PC.
        self.assertEqual(self.dig(PC, "bigsky.com", "MX").rdata("ANSWER", "MX"), ["10 mail.bigsky.com."])


class Check(unittest.TestCase):
    def test_lab_example_turns_recursion_on_for_the_lab_networks(self):
        r = run(MXLAB, "check", "-c", os.path.join(SOURCE_DIR, "config", "examples", "lab-sina.toml"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("recursion: 10.0.1.0/24, 10.0.2.0/24\n", r.stdout)

    def test_recursion_through_ourselves_is_an_error(self):
        with Mxlab(ports={}) as m:
            m.write_config(lab_config({"dns": 53}, m.data_dir, addresses=("10.0.1.10",), listen=("0.0.0.0",),
                                      extra='[dns]\nresolvers = ["10.0.1.10"]\nrecursion = ["10.0.1.0/24"]\n'))
            r = m.run_cli("check")
            self.assertEqual(r.returncode, 1, r.stdout)
            self.assertIn("error: dns.resolvers[1]: 10.0.1.10:53 is this appliance itself", r.stderr)
            self.assertIn("queries would loop back to us", r.stderr)


if __name__ == "__main__":
    unittest.main()
