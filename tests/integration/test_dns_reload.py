"""DNS across SIGHUP and restarts: new data after a reload, the SOA serial grows only on change and never goes back, a bad config changes nothing."""

import re
import tempfile
import threading
import time
import unittest

from dns_util import (ADDRESSES, LAB_DOMAINS, Malformed, Message, Reply, dig, lab_mxlab,
                      lab_toml, udp_query, wait_answers)
from harness import free_port

ZONES = ("sina.com", "bigsky.com", "1.0.10.in-addr.arpa")
OLD_WWW = '"www          A      10.0.1.20",'


def edited(domains=LAB_DOMAINS):
    """The lab zones with www moved to .21 and a new name, plus a new zone; bigsky.com dropped."""
    assert OLD_WWW in domains and "[[domain]]\nname = \"bigsky.com\"" in domains
    text = domains.replace(OLD_WWW, '"www          A      10.0.1.21",\n  "new          A      10.0.1.77",')
    head, rest = text.split("[[domain]]\nname = \"bigsky.com\"", 1)
    rest = rest[rest.index("[[domain]]"):]  # drop bigsky.com up to the next domain
    return head + rest + '\n[[domain]]\nname = "newlab.org"\nmail = false\nrecords = ["www A 10.0.9.9"]\n'


NEW_ADDRESSES = ("10.0.1.11",) + ADDRESSES[1:]


class Reload(unittest.TestCase):
    def start(self, workdir=None, domains=LAB_DOMAINS, addresses=ADDRESSES):
        port = free_port()
        lab = lab_mxlab(port, workdir=workdir, domains=domains, addresses=addresses)
        self.addCleanup(lab.__exit__, None, None, None)
        lab.start()
        self.assertTrue(wait_answers(port, timeout=10), f"no DNS answers:\n{lab.log()[-3000:]}")
        lab.dns_port = port
        return lab

    def serial(self, lab, zone):
        r = Reply(dig(lab.dns_port, "+norecurse", zone, "SOA"))
        soa = r.rrs("ANSWER", "SOA")
        self.assertEqual(len(soa), 1, r.text)
        return int(soa[0][4].split()[2])

    def serials(self, lab, zones=ZONES):
        return {z: self.serial(lab, z) for z in zones}

    def addresses_of(self, lab, name, rtype="A"):
        r = Reply(dig(lab.dns_port, "+norecurse", name, rtype))
        return r.status, r.rdata("ANSWER", rtype)

    def reload_and_wait(self, lab, event):
        """SIGHUP, then waits for one more `event=<event>` line in the log (bounded)."""
        before = len(re.findall(rf"event={re.escape(event)}\b", lab.log()))
        lab.reload()
        deadline = time.monotonic() + 10
        while len(re.findall(rf"event={re.escape(event)}\b", lab.log())) <= before:
            self.assertLess(time.monotonic(), deadline, f"no new event={event}:\n{lab.log()[-3000:]}")
            time.sleep(0.05)

    def test_sighup_serves_the_edited_config(self):
        lab = self.start()
        before = self.serials(lab)
        # Queries keep going during the reload: every one gets an answer, old or new
        # (zones are an immutable snapshot swapped at once: DESIGN.md, STYLE.md habit 6).
        seen, lost, stop = [], [], threading.Event()

        def hammer():
            while not stop.is_set():
                try:
                    m = udp_query(lab.dns_port, "www.sina.com", "A", timeout=2)
                except Malformed as e:
                    m = e
                if not isinstance(m, Message) or m.rcode_name != "NOERROR":
                    lost.append(str(m))
                else:
                    seen.append(tuple(rr.rdata for rr in m.types("answer", "A")))
                time.sleep(0.002)

        t = threading.Thread(target=hammer)
        t.start()
        try:
            time.sleep(0.2)
            lab.write_config(lab_toml(lab, domains=edited(), addresses=NEW_ADDRESSES))
            self.reload_and_wait(lab, "reload.ok")
            time.sleep(0.2)
        finally:
            stop.set()
            t.join(10)
        self.assertEqual(lost, [], "queries lost or refused during the reload")
        self.assertTrue(seen, "no answers at all during the reload")
        self.assertEqual(set(seen) - {("10.0.1.20",), ("10.0.1.21",)}, set())

        self.assertEqual(self.addresses_of(lab, "www.sina.com"), ("NOERROR", ["10.0.1.21"]))
        self.assertEqual(self.addresses_of(lab, "new.sina.com"), ("NOERROR", ["10.0.1.77"]))
        # appliance.addresses changed: the generated A of the mail host follows.
        self.assertEqual(self.addresses_of(lab, "mail.sina.com"), ("NOERROR", ["10.0.1.11"]))
        r = Reply(dig(lab.dns_port, "+norecurse", "sina.com", "MX"))
        self.assertEqual(r.rdata("ADDITIONAL", "A", "mail.sina.com."), ["10.0.1.11"], r.text)
        # A zone added, a zone removed.
        self.assertEqual(self.addresses_of(lab, "www.newlab.org"), ("NOERROR", ["10.0.9.9"]))
        self.assertEqual(self.addresses_of(lab, "www.bigsky.com")[0], "REFUSED")
        # The serial grew where the content changed (RFC 1996 section 2, RFC 1982
        # arithmetic; plain > is right for YYYYMMDDnn), and only there.
        after = self.serials(lab, ("sina.com", "1.0.10.in-addr.arpa"))
        self.assertGreater(after["sina.com"], before["sina.com"])
        self.assertEqual(after["1.0.10.in-addr.arpa"], before["1.0.10.in-addr.arpa"])

    def test_sighup_without_changes_keeps_the_serials(self):
        lab = self.start()
        before = self.serials(lab)
        self.reload_and_wait(lab, "reload.ok")
        self.assertEqual(self.serials(lab), before)
        self.assertEqual(self.addresses_of(lab, "www.sina.com"), ("NOERROR", ["10.0.1.20"]))

    def test_a_broken_config_keeps_the_old_data(self):
        lab = self.start()
        before = self.serials(lab)
        good = lab_toml(lab)
        broken = {
            "TOML syntax": good + "\n[dns\n",
            "CNAME beside other data (RFC 1034 3.6.2, RFC 2181 10.1)":
                lab_toml(lab, domains=LAB_DOMAINS.replace(OLD_WWW, OLD_WWW + '\n  "www CNAME ftp",')),
            "bad address in a record":
                lab_toml(lab, domains=LAB_DOMAINS.replace(OLD_WWW, '"www A 10.0.1.300",')),
        }
        for label, text in broken.items():
            with self.subTest(label):
                lab.write_config(text)
                self.reload_and_wait(lab, "reload.failed")
                self.assertIsNone(lab.proc.poll(), lab.log()[-3000:])
                self.assertEqual(self.addresses_of(lab, "www.sina.com"), ("NOERROR", ["10.0.1.20"]))
                self.assertEqual(self.serials(lab), before)
        # Fixed: taken.
        lab.write_config(lab_toml(lab, domains=edited()))
        self.reload_and_wait(lab, "reload.ok")
        self.assertEqual(self.addresses_of(lab, "www.sina.com"), ("NOERROR", ["10.0.1.21"]))

    def test_serial_survives_restarts_and_never_goes_back(self):
        # Registered first, so it is removed after every mxlab below has stopped.
        tmp = tempfile.TemporaryDirectory(prefix="mxlab-test-")
        self.addCleanup(tmp.cleanup)
        workdir = tmp.name
        lab = self.start(workdir)
        first = self.serials(lab)
        lab.write_config(lab_toml(lab, domains=edited()))
        self.reload_and_wait(lab, "reload.ok")
        grown = self.serial(lab, "sina.com")
        self.assertGreater(grown, first["sina.com"])
        self.assertEqual(lab.stop(), 0)

        # Same data_dir, same content: the same serial.
        lab = self.start(workdir, domains=edited())
        self.assertEqual(self.serial(lab, "sina.com"), grown)
        self.assertEqual(self.serial(lab, "1.0.10.in-addr.arpa"), first["1.0.10.in-addr.arpa"])
        self.assertEqual(lab.stop(), 0)

        # Back to the first content: that is a change too, and the serial must not
        # go back to the first one, or secondaries would never take it (RFC 1982).
        lab = self.start(workdir)
        self.assertGreater(self.serial(lab, "sina.com"), grown)
        self.assertEqual(self.addresses_of(lab, "www.sina.com"), ("NOERROR", ["10.0.1.20"]))
        self.assertEqual(lab.stop(), 0)


if __name__ == "__main__":
    unittest.main()
