"""mxlab's authoritative DNS as a user checks it: dig and drill, over UDP and TCP, for each behaviour of DESIGN.md section 4."""

import datetime
import os
import random
import select
import socket
import struct
import time
import unittest

from dns_util import (ADDRESSES, BIG_TXT, HOST, Malformed, Reply, axfr_records,
                      build_query, dig, drill, encode_name, header, lab_mxlab, norm_record,
                      opt_record, parse_message, require_tool, tcp_connect, tcp_recv, tcp_send,
                      udp_exchange, udp_query, wait_answers, zone_file_records, zone_text_records)
from harness import MXLAB, free_port, run

HERE = os.path.dirname(os.path.abspath(__file__))
ZONES = ("sina.com", "bigsky.com", "1.0.10.in-addr.arpa")
MAIL_A, MAIL_AAAA = ADDRESSES


class LabDnsBase(unittest.TestCase):
    """One mxlab serving the lab zones (dns_util.LAB_DOMAINS) for the whole class."""

    extra = ""  # TOML added to the config, e.g. a [dns] table

    @classmethod
    def setUpClass(cls):
        require_tool("dig")
        require_tool("drill")
        cls.port = free_port()
        cls.lab = lab_mxlab(cls.port, extra=cls.extra)
        try:
            cls.lab.start()
        except BaseException:
            cls.lab.__exit__(None, None, None)
            raise
        # READY=1 should already mean "listening"; this only absorbs a slow zone build.
        wait_answers(cls.port, timeout=10)

    @classmethod
    def tearDownClass(cls):
        cls.lab.__exit__(None, None, None)

    def tearDown(self):
        # Whatever a test sent, the server must still be running (section 4: "never a crash").
        self.assertIsNone(self.lab.proc.poll(), f"mxlab died:\n{self.lab.log()[-4000:]}")

    # --- clients ---
    def dig(self, *args, tcp=False):
        return Reply(dig(self.port, "+norecurse", *(("+tcp",) if tcp else ()), *args))

    def drill(self, *args, tcp=False):
        return Reply(drill(self.port, *(("-t",) if tcp else ()), *args))

    def both(self, *args):
        """The same question over UDP and over TCP, by dig and by drill: (label, Reply) pairs."""
        for tcp in (False, True):
            yield f"dig {'TCP' if tcp else 'UDP'}", self.dig(*args, tcp=tcp)
            yield f"drill {'TCP' if tcp else 'UDP'}", self.drill(*args, tcp=tcp)

    # --- assertions ---
    def assertAnswer(self, r, status="NOERROR", aa=True):
        self.assertEqual(r.status, status, r.text)
        self.assertIn("qr", r.flags, r.text)
        if aa:
            self.assertIn("aa", r.flags, r.text)
        else:
            self.assertNotIn("aa", r.flags, r.text)
        self.assertNotIn("ra", r.flags, r.text)  # section 4: no recursion

    def assertServes(self):
        """A normal query still gets its normal answer."""
        m = udp_query(self.port, "www.sina.com", "A")
        self.assertIsNotNone(m, "no answer to a normal query")
        self.assertEqual(m.rcode_name, "NOERROR", str(m))
        self.assertEqual([rr.rdata for rr in m.types("answer", "A")], ["10.0.1.20"], str(m))

    def apex_soa(self, zone="sina.com"):
        r = self.dig(zone, "SOA")
        rrs = r.rrs("ANSWER", "SOA")
        self.assertEqual(len(rrs), 1, r.text)
        return rrs[0]

    def negative_ttl(self, zone):
        """RFC 2308 section 3: the SOA in a negative answer has TTL min(SOA TTL, SOA MINIMUM)."""
        soa = self.apex_soa(zone)
        return min(soa[1], int(soa[4].split()[6]))


class LabDns(LabDnsBase):
    # --- generated records (DESIGN.md section 3) ---

    def test_soa_is_generated_with_a_date_based_serial(self):
        for label, r in self.both("sina.com", "SOA"):
            with self.subTest(label):
                self.assertAnswer(r)
                [soa] = r.rrs("ANSWER", "SOA")
                self.assertEqual(soa[1], 3600)  # dns.default_ttl
                mname, rname, serial, *timers = soa[4].split()
                self.assertEqual((mname, rname), ("mail.sina.com.", "hostmaster.sina.com."))
                self.assertEqual(timers, ["3600", "900", "604800", "300"])
                # YYYYMMDDnn (the RFC 1912 section 2.2 convention), dated about today.
                self.assertRegex(serial, r"^\d{10}$")
                day = datetime.datetime.strptime(serial[:8], "%Y%m%d").date()
                today = datetime.datetime.now(datetime.timezone.utc).date()
                self.assertLessEqual(abs((day - today).days), 1, serial)
        for zone in ("bigsky.com", "1.0.10.in-addr.arpa"):
            with self.subTest(zone):
                soa = self.apex_soa(zone)[4].split()
                self.assertEqual(soa[:2], ["mail.sina.com.", f"hostmaster.{zone}."])

    def test_ns_is_the_hostname_with_its_addresses(self):
        for label, r in self.both("sina.com", "NS"):
            with self.subTest(label):
                self.assertAnswer(r)
                self.assertEqual(r.rdata("ANSWER", "NS"), ["mail.sina.com."])
                # RFC 1035 section 3.3.11: NS causes additional section processing.
                self.assertEqual(r.rdata("ADDITIONAL", "A", "mail.sina.com."), [MAIL_A])
                self.assertEqual(r.rdata("ADDITIONAL", "AAAA", "mail.sina.com."), [MAIL_AAAA])
        r = self.dig("mail.sina.com", "A")
        self.assertAnswer(r)
        self.assertEqual(r.rdata("ANSWER", "A"), [MAIL_A])
        self.assertEqual(self.dig("mail.sina.com", "AAAA").rdata("ANSWER", "AAAA"), [MAIL_AAAA])
        # Outside the zone, the hostname gets no address record in bigsky.com.
        r = self.dig("bigsky.com", "NS")
        self.assertEqual(r.rdata("ANSWER", "NS"), ["mail.sina.com."])
        self.assertEqual(r.rrs("ADDITIONAL", "A") + r.rrs("ADDITIONAL", "AAAA"), [])

    def test_mx_spf_and_the_mail_host_in_additional(self):
        for label, r in self.both("sina.com", "MX"):
            with self.subTest(label):
                self.assertAnswer(r)
                self.assertEqual(r.rdata("ANSWER", "MX"), ["10 mail.sina.com."])
                # RFC 1035 section 3.3.9: MX causes additional processing for the exchange.
                self.assertEqual(r.rdata("ADDITIONAL", "A", "mail.sina.com."), [MAIL_A])
                self.assertEqual(r.rdata("ADDITIONAL", "AAAA", "mail.sina.com."), [MAIL_AAAA])
                # Section 4: positive answers carry the apex NS RRset.
                self.assertEqual(r.rdata("AUTHORITY", "NS", "sina.com."), ["mail.sina.com."])
        r = self.dig("sina.com", "TXT")
        self.assertAnswer(r)
        self.assertEqual(r.rdata("ANSWER", "TXT"), ['"v=spf1 mx -all"'])

    def test_explicit_record_replaces_the_generated_one(self):
        r = self.dig("bigsky.com", "TXT")
        self.assertAnswer(r)
        self.assertEqual(r.rdata("ANSWER", "TXT"), ['"v=spf1 ip4:10.0.2.0/24 -all"'])

    def test_mx_target_outside_the_zone_gets_no_additional(self):
        r = self.dig("bigsky.com", "MX")
        self.assertAnswer(r)
        self.assertEqual(r.rdata("ANSWER", "MX"), ["10 mail.sina.com."])
        # Section 4: only targets "inside the same zone" get their A/AAAA.
        self.assertEqual(r.rrs("ADDITIONAL", "A") + r.rrs("ADDITIONAL", "AAAA"), [], r.text)

    def test_records_from_the_toml(self):
        cases = [("www.sina.com", "A", ["10.0.1.20"], 3600),
                 ("www.sina.com", "AAAA", ["fd00:1::20"], 3600),
                 ("short.sina.com", "A", ["10.0.1.60"], 60),
                 ("sina.com", "CAA", ['0 issue "letsencrypt.org"'], 3600),
                 ("big.sina.com", "TXT", sorted(f'"{t}"' for t in BIG_TXT), 3600),
                 ("www.bigsky.com", "A", ["10.0.2.20"], 3600)]
        for name, rtype, want, ttl in cases:
            for tcp in (False, True):
                with self.subTest(name=name, type=rtype, tcp=tcp):
                    r = self.dig(name, rtype, tcp=tcp)
                    self.assertAnswer(r)
                    self.assertEqual(r.rdata("ANSWER", rtype, name + "."), want, r.text)
                    self.assertEqual({rr[1] for rr in r.rrs("ANSWER", rtype)}, {ttl})

    def test_srv_target_in_additional(self):
        for label, r in self.both("_imap._tcp.sina.com", "SRV"):
            with self.subTest(label):
                self.assertAnswer(r)
                self.assertEqual(r.rdata("ANSWER", "SRV"), ["0 0 143 mail.sina.com."])
                self.assertEqual(r.rdata("ADDITIONAL", "A", "mail.sina.com."), [MAIL_A])
                self.assertEqual(r.rdata("ADDITIONAL", "AAAA", "mail.sina.com."), [MAIL_AAAA])

    def test_reverse_zone(self):
        for tcp in (False, True):
            with self.subTest(tcp=tcp):
                r = self.dig("-x", "10.0.1.10", tcp=tcp)
                self.assertAnswer(r)
                self.assertEqual(r.rdata("ANSWER", "PTR", "10.1.0.10.in-addr.arpa."), ["mail.sina.com."])
                r = self.drill("-x", "10.0.1.20", tcp=tcp)
                self.assertAnswer(r)
                self.assertEqual(r.rdata("ANSWER", "PTR"), ["www.sina.com."])
        r = self.dig("-x", "10.0.1.99")
        self.assertAnswer(r, "NXDOMAIN")
        # mail = false: no MX and no SPF record at a reverse apex.
        self.assertEqual(self.dig("1.0.10.in-addr.arpa", "MX").rrs("ANSWER"), [])
        self.assertEqual(self.dig("1.0.10.in-addr.arpa", "TXT").rrs("ANSWER"), [])

    # --- header bits and negative answers ---

    def test_recursion_is_not_available(self):
        # RFC 1035 section 4.1.1: RD is copied into the reply; RA says whether we recurse.
        r = Reply(dig(self.port, "+recurse", "sina.com", "MX"))
        self.assertAnswer(r)
        self.assertIn("rd", r.flags)
        self.assertIn("recursion requested but not available", r.text)
        r = Reply(dig(self.port, "+recurse", "google.com", "A"))
        self.assertEqual(r.status, "REFUSED", r.text)
        self.assertNotIn("ra", r.flags)

    def test_nxdomain_carries_the_soa_with_the_negative_ttl(self):
        ttl = self.negative_ttl("sina.com")
        self.assertEqual(ttl, 300)  # min(3600, 300) for the generated SOA
        for name in ("nope.sina.com", "a.b.nope.sina.com", "NoPe.SiNa.CoM"):
            for label, r in self.both(name, "A"):
                with self.subTest(name=name, client=label):
                    self.assertAnswer(r, "NXDOMAIN")
                    self.assertEqual(r.rrs("ANSWER"), [])
                    # RFC 2308 sections 3 and 5: the zone's SOA, TTL = min(TTL, MINIMUM).
                    [soa] = r.rrs("AUTHORITY", "SOA")
                    self.assertEqual((soa[0].lower(), soa[1]), ("sina.com.", ttl), r.text)
        r = self.dig("nothere.bigsky.com", "TXT")
        self.assertAnswer(r, "NXDOMAIN")
        self.assertEqual([x[0].lower() for x in r.rrs("AUTHORITY", "SOA")], ["bigsky.com."])

    def test_nodata_carries_the_soa(self):
        ttl = self.negative_ttl("sina.com")
        # RFC 2308 section 2.2: name exists, type does not. An empty non-terminal
        # (wild.sina.com, _tcp.sina.com) exists too (RFC 8020, RFC 4592 section 2.2.2).
        for name, rtype in (("www.sina.com", "MX"), ("sina.com", "A"), ("wild.sina.com", "A"),
                            ("_tcp.sina.com", "SRV"), ("mail.sina.com", "TXT")):
            for label, r in self.both(name, rtype):
                with self.subTest(name=name, type=rtype, client=label):
                    self.assertAnswer(r, "NOERROR")
                    self.assertEqual(r.rrs("ANSWER"), [], r.text)
                    [soa] = r.rrs("AUTHORITY", "SOA")
                    self.assertEqual((soa[0].lower(), soa[1]), ("sina.com.", ttl), r.text)

    def test_names_outside_our_zones_are_refused(self):
        for name, rtype in (("google.com", "A"), ("com", "NS"), (".", "SOA"),
                            ("0.10.in-addr.arpa", "SOA"), ("sina.com.cn", "A"), ("nasina.com", "A")):
            for label, r in self.both(name, rtype):
                with self.subTest(name=name, client=label):
                    self.assertAnswer(r, "REFUSED", aa=False)
                    self.assertEqual(r.rrs("ANSWER") + r.rrs("AUTHORITY"), [], r.text)

    # --- CNAME (RFC 1034 section 4.3.2 step 3a, RFC 2181 section 10.1) ---

    def test_cname_chain_in_the_zone(self):
        for label, r in self.both("chain.sina.com", "A"):
            with self.subTest(label):
                self.assertAnswer(r)
                got = [(x[0], x[3], x[4]) for x in r.rrs("ANSWER")]
                self.assertEqual(got, [("chain.sina.com.", "CNAME", "ftp.sina.com."),
                                       ("ftp.sina.com.", "CNAME", "www.sina.com."),
                                       ("www.sina.com.", "A", "10.0.1.20")], r.text)
        r = self.dig("ftp.sina.com", "AAAA")
        self.assertEqual([(x[3], x[4]) for x in r.rrs("ANSWER")],
                         [("CNAME", "www.sina.com."), ("AAAA", "fd00:1::20")], r.text)

    def test_cname_chain_across_zones(self):
        for label, r in self.both("alias.sina.com", "A"):
            with self.subTest(label):
                self.assertAnswer(r)
                got = [(x[0], x[3], x[4]) for x in r.rrs("ANSWER")]
                self.assertEqual(got, [("alias.sina.com.", "CNAME", "www.bigsky.com."),
                                       ("www.bigsky.com.", "A", "10.0.2.20")], r.text)
                # Section 4: authority from the zone where the chain ends.
                self.assertEqual({x[0].lower() for x in r.rrs("AUTHORITY")}, {"bigsky.com."}, r.text)
        r = self.dig("back.bigsky.com", "A")
        self.assertEqual([(x[3], x[4]) for x in r.rrs("ANSWER")],
                         [("CNAME", "www.sina.com."), ("A", "10.0.1.20")], r.text)
        # The chain ends in a name that does not exist: RFC 6604 section 2.1, the
        # rcode is the last name's, and the SOA is that zone's.
        r = self.dig("dangling.sina.com", "A")
        self.assertAnswer(r, "NXDOMAIN")
        self.assertEqual(r.rdata("ANSWER", "CNAME"), ["nothere.bigsky.com."])
        self.assertEqual([x[0].lower() for x in r.rrs("AUTHORITY", "SOA")], ["bigsky.com."])

    def test_cname_leaving_our_zones_or_looping_stops(self):
        r = self.dig("out.bigsky.com", "A")
        self.assertAnswer(r)
        self.assertEqual([(x[3], x[4]) for x in r.rrs("ANSWER")], [("CNAME", "www.example.net.")])
        # RFC 1034 section 3.6.2: a CNAME loop must not hang the server; each CNAME once.
        for tcp in (False, True):
            with self.subTest(tcp=tcp):
                r = self.dig("loop1.bigsky.com", "A", tcp=tcp)
                self.assertAnswer(r)
                got = sorted((x[0], x[4]) for x in r.rrs("ANSWER", "CNAME"))
                self.assertEqual(got, [("loop1.bigsky.com.", "loop2.bigsky.com."),
                                       ("loop2.bigsky.com.", "loop1.bigsky.com.")], r.text)
                self.assertEqual(len(r.rrs("ANSWER")), 2, r.text)
        self.assertServes()

    def test_cname_query_is_answered_not_chased(self):
        r = self.dig("ftp.sina.com", "CNAME")
        self.assertAnswer(r)
        self.assertEqual([(x[3], x[4]) for x in r.rrs("ANSWER")], [("CNAME", "www.sina.com.")])

    # --- delegation (RFC 1034 section 4.3.2 step 3b) ---

    def test_delegation_is_a_referral_with_glue(self):
        for name, rtype in (("x.sub.sina.com", "A"), ("sub.sina.com", "NS"),
                            ("ns.sub.sina.com", "A"), ("X.SuB.SiNa.CoM", "MX")):
            for label, r in self.both(name, rtype):
                with self.subTest(name=name, type=rtype, client=label):
                    # Not authoritative below the cut: AA=0, no answer, the NS
                    # RRset in authority and the glue address in additional.
                    self.assertAnswer(r, "NOERROR", aa=False)
                    self.assertEqual(r.rrs("ANSWER"), [], r.text)
                    self.assertEqual(r.rdata("AUTHORITY", "NS", "sub.sina.com."), ["ns.sub.sina.com."])
                    self.assertEqual(r.rdata("ADDITIONAL", "A", "ns.sub.sina.com."), ["10.0.1.53"])

    # --- wildcards (RFC 4592) ---

    def test_wildcard_synthesis(self):
        for name in ("foo.wild.sina.com", "a.b.wild.sina.com"):
            for label, r in self.both(name, "A"):
                with self.subTest(name=name, client=label):
                    self.assertAnswer(r)
                    # Section 3.3.1: the synthesized owner is the query name.
                    self.assertEqual([(x[0], x[4]) for x in r.rrs("ANSWER")],
                                     [(name + ".", "10.0.1.99")], r.text)
        # Section 2.2.1 / 4.2: the wildcard matches but has no MX: NODATA.
        r = self.dig("foo.wild.sina.com", "MX")
        self.assertAnswer(r)
        self.assertEqual(r.rrs("ANSWER"), [])
        self.assertEqual(len(r.rrs("AUTHORITY", "SOA")), 1, r.text)

    def test_an_existing_name_blocks_the_wildcard(self):
        r = self.dig("host.wild.sina.com", "A")
        self.assertAnswer(r)
        self.assertEqual(r.rdata("ANSWER", "A"), ["10.0.1.98"])
        # RFC 4592 section 2.2.1: host.wild exists, so no synthesis for its other types.
        r = self.dig("host.wild.sina.com", "AAAA")
        self.assertAnswer(r)
        self.assertEqual(r.rrs("ANSWER"), [], r.text)
        # Nor below another zone's apex or at the empty non-terminal itself.
        self.assertEqual(self.dig("wild.sina.com", "A").rrs("ANSWER"), [])

    # --- case, EDNS, truncation ---

    def test_question_case_is_echoed(self):
        name = "WwW.SiNa.CoM"
        r = self.dig(name, "A")
        self.assertAnswer(r)
        self.assertEqual(r.sections["QUESTION"], [(name + ".", "IN", "A")], r.text)
        self.assertEqual(r.rdata("ANSWER", "A"), ["10.0.1.20"])  # RFC 4343 section 3
        # Byte for byte (RFC 4343 section 4.1; resolvers' 0x20 check depends on it).
        for name in ("WwW.SiNa.CoM", "NOPE.sina.COM", "x.SUB.sina.com", "GooGle.Com"):
            query = build_query(name, "A", qid=0x5A5A)
            qlen = len(encode_name(name)) + 4
            for tcp in (False, True):
                with self.subTest(name=name, tcp=tcp):
                    if tcp:
                        with tcp_connect(self.port) as s:
                            tcp_send(s, query)
                            data = tcp_recv(s)
                    else:
                        data = udp_exchange(self.port, query)
                    self.assertIsNotNone(data, "no answer")
                    self.assertEqual(data[12:12 + qlen], query[12:12 + qlen])

    def test_edns_udp_payload_is_1232(self):
        r = self.dig("sina.com", "SOA")
        self.assertEqual(r.edns_udp, 1232, r.text)
        self.assertEqual(r.edns_version, 0, r.text)
        # RFC 6891 section 6.2.3: our own size, whatever the client offers.
        for payload in (512, 1232, 4096, 65535):
            with self.subTest(payload=payload):
                m = udp_query(self.port, "sina.com", "SOA", payload=payload)
                self.assertIsNotNone(m, "no answer")
                self.assertEqual((m.opt or {}).get("payload"), 1232, str(m))
        # RFC 6891 section 7: no OPT in the reply to a query without one.
        m = udp_query(self.port, "sina.com", "SOA", edns=False)
        self.assertIsNotNone(m, "no answer")
        self.assertIsNone(m.opt, str(m))
        self.assertEqual(m.rcode_name, "NOERROR")
        # An unknown option is ignored (RFC 6891 section 6.1.2).
        q = header(7, ar=1) + encode_name("sina.com") + struct.pack("!HH", 6, 1) \
            + opt_record(options=struct.pack("!HH", 65001, 3) + b"abc")
        data = udp_exchange(self.port, q)
        self.assertIsNotNone(data, "no answer when the query has an unknown EDNS option")
        m = parse_message(data)
        self.assertEqual((m.rcode_name, len(m.answer)), ("NOERROR", 1), str(m))

    def test_edns_version_1_is_badvers(self):
        # RFC 6891 section 6.1.3: BADVERS (16) with the version we do speak (0).
        m = udp_query(self.port, "sina.com", "SOA", edns_version=1)
        self.assertIsNotNone(m, "no answer")
        self.assertEqual(m.rcode_name, "BADVERS", str(m))
        self.assertIsNotNone(m.opt, str(m))
        self.assertEqual(m.opt["version"], 0, str(m))
        self.assertEqual(m.answer, [])
        # dig retries with version 0 and gets the answer.
        r = self.dig("+edns=1", "sina.com", "SOA")
        self.assertAnswer(r)
        self.assertEqual(len(r.rrs("ANSWER", "SOA")), 1, r.text)

    def test_truncation_then_the_full_answer_over_tcp(self):
        want = sorted(f'"{t}"' for t in BIG_TXT)
        # RFC 1035 section 4.2.1 / RFC 2181 section 9: > 512 bytes without EDNS sets TC.
        r = self.dig("+noedns", "+ignore", "big.sina.com", "TXT")
        self.assertEqual(r.status, "NOERROR", r.text)
        self.assertIn("tc", r.flags, r.text)
        r = self.drill("big.sina.com", "TXT")  # drill: no EDNS, 512 bytes
        self.assertIn("tc", r.flags, r.text)
        # dig retries over TCP by itself, as a resolver would (RFC 7766 section 5).
        r = self.dig("+noedns", "big.sina.com", "TXT")
        self.assertIn("Truncated, retrying in TCP mode", r.text)
        self.assertEqual(r.rdata("ANSWER", "TXT"), want, r.text)
        for label, r in (("dig +tcp", self.dig("big.sina.com", "TXT", tcp=True)),
                         ("dig +tcp +noedns", self.dig("+noedns", "big.sina.com", "TXT", tcp=True)),
                         ("drill -t", self.drill("big.sina.com", "TXT", tcp=True))):
            with self.subTest(label):
                self.assertAnswer(r)
                self.assertNotIn("tc", r.flags)
                self.assertEqual(r.rdata("ANSWER", "TXT"), want, r.text)
        # With EDNS (dig's default 1232) it fits in one datagram.
        r = self.dig("big.sina.com", "TXT")
        self.assertNotIn("tc", r.flags, r.text)
        self.assertIn("(UDP)", r.text)
        self.assertEqual(r.rdata("ANSWER", "TXT"), want, r.text)
        # RFC 6891 section 6.2.5: a smaller offered size is honoured (512 here).
        m = udp_query(self.port, "big.sina.com", "TXT", payload=512)
        self.assertIsNotNone(m, "no answer")
        self.assertIn("tc", m.flags, str(m))
        self.assertIsNotNone(m.opt, str(m))

    # --- TCP (RFC 7766) ---

    def test_tcp_pipelining(self):
        # Section 6.2.1.1: several queries on one connection, sent before any reply;
        # section 7: replies may come in any order, matched by ID.
        questions = {0x1111: ("www.sina.com", "A"), 0x2222: ("sina.com", "MX"),
                     0x3333: ("nope.sina.com", "A")}
        with tcp_connect(self.port) as s:
            s.sendall(b"".join(struct.pack("!H", len(q)) + q for q in
                               (build_query(n, t, qid=i) for i, (n, t) in questions.items())))
            replies = {}
            for _ in questions:
                data = tcp_recv(s)
                self.assertIsNotNone(data, f"connection closed after {len(replies)} replies")
                m = parse_message(data)
                replies[m.id] = m
            self.assertEqual(set(replies), set(questions))
            self.assertEqual([rr.rdata for rr in replies[0x1111].answer], ["10.0.1.20"])
            self.assertEqual([rr.rdata for rr in replies[0x2222].answer], ["10 mail.sina.com."])
            self.assertEqual(replies[0x3333].rcode_name, "NXDOMAIN")
            for i, m in replies.items():
                self.assertEqual(m.question[0][0].rstrip("."), questions[i][0])
            # Section 6.2.1: the connection stays open for more.
            tcp_send(s, build_query("bigsky.com", "MX", qid=0x4444))
            m = parse_message(tcp_recv(s))
            self.assertEqual((m.id, m.answer[0].rdata), (0x4444, "10 mail.sina.com."))

    def test_tcp_message_split_across_segments(self):
        # Section 8: the length prefix and the message may arrive in pieces.
        q = build_query("www.sina.com", "A", qid=0x0707)
        framed = struct.pack("!H", len(q)) + q
        with tcp_connect(self.port) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for piece in (framed[:1], framed[1:2], framed[2:9], framed[9:]):
                s.sendall(piece)
                time.sleep(0.05)
            m = parse_message(tcp_recv(s))
            self.assertEqual((m.id, [rr.rdata for rr in m.answer]), (0x0707, ["10.0.1.20"]))

    def test_idle_tcp_connections_are_closed(self):
        # Section 6.2.3: the server closes idle connections (bounded wait: 60 s).
        silent = tcp_connect(self.port)
        used = tcp_connect(self.port)
        try:
            tcp_send(used, build_query("sina.com", "SOA", qid=9))
            self.assertEqual(parse_message(tcp_recv(used)).id, 9)
            start = time.monotonic()
            open_socks = {silent: "never sent a query", used: "idle after one query"}
            while open_socks and time.monotonic() - start < 60:
                ready, _, _ = select.select(list(open_socks), [], [], 1.0)
                for s in ready:
                    try:
                        data = s.recv(1)
                    except (ConnectionResetError, socket.timeout):
                        data = b""
                    self.assertEqual(data, b"", "unexpected data on an idle connection")
                    del open_socks[s]
            self.assertEqual(list(open_socks.values()), [], "still open after 60 s")
        finally:
            silent.close()
            used.close()
        self.assertServes()

    # --- zone transfer (RFC 5936) ---

    def test_axfr_is_refused_by_default(self):
        r = dig(self.port, "sina.com", "AXFR")
        self.assertIn("Transfer failed", r)
        self.assertEqual(axfr_records(r), [])
        # Section 6: access control; the reply is REFUSED.
        with tcp_connect(self.port) as s:
            tcp_send(s, build_query("sina.com", "AXFR", edns=False))
            m = parse_message(tcp_recv(s))
        self.assertEqual(m.rcode_name, "REFUSED", str(m))
        self.assertEqual(m.answer, [])

    # --- robustness ---

    def test_malformed_packets_get_formerr_or_nothing(self):
        q = encode_name("sina.com") + struct.pack("!HH", 6, 1)
        rr = struct.pack("!HH", 1, 1)
        cases = [
            ("5 bytes", b"\x12\x34\x01\x00\x00"),
            ("QDCOUNT=0", header(0x100, qd=0)),
            ("QDCOUNT=2", header(0x101, qd=2) + q + q),
            ("QDCOUNT=1, no question", header(0x102)),
            ("compression loop in the qname", header(0x103) + b"\x03www\xc0\x0c" + rr),
            ("pointer to itself", header(0x104) + b"\xc0\x0c" + rr),
            ("forward pointer", header(0x105) + b"\xc0\x20" + rr + b"\0" * 20),
            ("label of 64 bytes", header(0x106) + b"\x40" + b"a" * 64 + b"\0" + rr),
            ("name over 255 bytes", header(0x107) + (b"\x3f" + b"a" * 63) * 4 + b"\0" + rr),
            ("reserved label type 0x40", header(0x108) + b"\x41abc\0" + rr),
            ("name cut short", header(0x109) + b"\x04sina\x03co"),
            ("no type and class", header(0x10A) + encode_name("sina.com")),
            ("ANCOUNT=1 in a query", header(0x10B, an=1) + q),
            ("two OPT records", header(0x10C, ar=2) + q + opt_record() + opt_record()),
            ("OPT option longer than its rdata", header(0x10D, ar=1) + q
             + opt_record(options=struct.pack("!HH", 65001, 30) + b"abc")),
            ("ARCOUNT=1, nothing there", header(0x10E, ar=1) + q),
        ]
        for label, pkt in cases:
            for tcp in (False, True):
                with self.subTest(label, tcp=tcp):
                    data = self.exchange(pkt, tcp)
                    if data is not None:  # RFC 1035 4.1.1 rcode 1; dropping is allowed too
                        m = self.parse_reply(data, pkt)
                        self.assertIn(m.rcode_name, ("FORMERR", "NOTIMP"), str(m))
                        self.assertEqual(m.answer, [])
                    self.assertServes()

    def test_a_response_is_not_answered(self):
        # QR=1 is a response: answering it could start a loop between two servers.
        pkt = header(0x200, qr=True) + encode_name("sina.com") + struct.pack("!HH", 6, 1)
        self.assertIsNone(udp_exchange(self.port, pkt, timeout=1.0))
        self.assertServes()

    def test_other_opcodes(self):
        q = encode_name("sina.com") + struct.pack("!HH", 6, 1)
        # RFC 2136 UPDATE is well formed but not ours: answered NOTIMP (as NSD does) or REFUSED.
        pkt = header(0x305, opcode=5) + q
        data = udp_exchange(self.port, pkt)
        self.assertIsNotNone(data, "no answer to UPDATE")
        m = self.parse_reply(data, pkt)
        self.assertIn(m.rcode_name, ("NOTIMP", "REFUSED"), str(m))
        self.assertEqual(m.opcode, 5)
        # IQUERY (obsolete, RFC 3425), STATUS and unassigned opcodes: NOTIMP, or dropped.
        for opcode in (1, 2, 3, 6, 15):
            with self.subTest(opcode=opcode):
                pkt = header(0x310 + opcode, opcode=opcode) + q
                data = udp_exchange(self.port, pkt, timeout=1.0)
                if data is not None:
                    m = self.parse_reply(data, pkt)
                    self.assertIn(m.rcode_name, ("NOTIMP", "REFUSED", "FORMERR"), str(m))
                    self.assertEqual(m.answer, [])
        self.assertServes()

    def test_garbage_never_crashes_the_server(self):
        seed = int(os.environ.get("MXLAB_TEST_SEED", time.time()))
        rnd = random.Random(seed)
        valid = build_query("www.sina.com", "A", qid=1)
        packets = [bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 600))) for _ in range(200)]
        for _ in range(200):  # valid queries with a few bytes changed reach the deeper parsing
            b = bytearray(valid)
            for _ in range(rnd.randrange(1, 6)):
                b[rnd.randrange(len(b))] = rnd.randrange(256)
            packets.append(bytes(b))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect((HOST, self.port))
            replies = []
            for i, p in enumerate(packets):
                try:
                    s.send(p)
                except ConnectionRefusedError:
                    pass
                if i % 50 == 49:
                    replies += self.drain(s, 0.2)
            replies += self.drain(s, 1.0)
        for data in replies:
            with self.subTest(seed=seed, reply=data[:32].hex()):
                try:
                    m = parse_message(data)
                except Malformed as e:
                    self.fail(f"unparseable reply (seed {seed}): {e}")
                self.assertIn("qr", m.flags)
        # The same over TCP: garbage behind a length prefix, on fresh connections.
        for p in packets[:20] + packets[200:220] + [b"\xff\xff" + valid]:
            try:
                c = tcp_connect(self.port, timeout=2)
            except ConnectionRefusedError:
                self.fail(f"the TCP listener is gone (seed {seed})")
            with c:
                try:
                    # The last one promises 65535 bytes, sends fewer, and closes.
                    c.sendall(p if p.startswith(b"\xff\xff") else struct.pack("!H", len(p)) + p)
                    c.shutdown(socket.SHUT_WR)
                    tcp_recv(c)
                except (OSError, Malformed):
                    pass  # closing or resetting a connection that sent garbage is fine
        self.assertIsNone(self.lab.proc.poll(), f"mxlab died (seed {seed})")
        self.assertServes()

    # --- helpers ---
    def exchange(self, pkt, tcp):
        if not tcp:
            return udp_exchange(self.port, pkt, timeout=1.0)
        with tcp_connect(self.port, timeout=2) as s:
            tcp_send(s, pkt)
            try:
                return tcp_recv(s)
            except (socket.timeout, ConnectionResetError):
                return None

    def parse_reply(self, data, query):
        m = parse_message(data)
        self.assertIn("qr", m.flags)
        if len(query) >= 2:
            self.assertEqual(data[:2], query[:2], "reply ID is not the query's")
        return m

    @staticmethod
    def drain(sock, seconds):
        out = []
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return out
            sock.settimeout(left)
            try:
                out.append(sock.recv(65535))
            except (socket.timeout, ConnectionRefusedError):
                if time.monotonic() >= deadline:
                    return out

    # --- `mxlab zone` ---

    def test_zone_command_prints_valid_zone_files(self):
        require_tool("named-checkzone")
        texts = {}
        for zone in ZONES:
            with self.subTest(zone):
                r = run(MXLAB, "zone", "-c", self.lab.config_path, zone)
                self.assertEqual(r.returncode, 0, r.stderr)
                texts[zone] = r.stdout.strip()
                records = zone_text_records(r.stdout)  # fails when ldns-read-zone rejects it
                self.assertEqual(records[0][3], "SOA", r.stdout)
                path = os.path.join(self.lab.workdir, f"{zone}.zone")
                with open(path, "w") as f:
                    f.write(r.stdout)
                c = run("named-checkzone", zone, path)
                self.assertEqual(c.returncode, 0, c.stdout + c.stderr)
                self.assertIn("OK", c.stdout)
                # What it prints is what it serves.
                served = self.dig(zone, "SOA").rrs("ANSWER", "SOA")
                self.assertEqual([norm_record(x, mask_serial=False) for x in served],
                                 [norm_record(x, mask_serial=False) for x in records if x[3] == "SOA"])
        # Without DOMAIN arguments: every zone, each as it prints alone.
        r = run(MXLAB, "zone", "-c", self.lab.config_path)
        self.assertEqual(r.returncode, 0, r.stderr)
        for zone, text in texts.items():
            self.assertIn(text, r.stdout, zone)


class LabDnsTransfer(LabDnsBase):
    """dns.allow_transfer = ["127.0.0.1"]: AXFR works for that address only."""

    extra = '[dns]\nallow_transfer = ["127.0.0.1"]\n'

    def test_axfr_lists_the_zone_between_two_soas(self):
        for zone in ZONES:
            with self.subTest(zone):
                out = dig(self.port, zone, "AXFR")
                records = axfr_records(out)
                self.assertNotIn("Transfer failed", out)
                # RFC 5936 section 2.2: the SOA first and last, every record once between.
                self.assertGreaterEqual(len(records), 3, out)
                self.assertEqual((records[0][3], records[-1][3]), ("SOA", "SOA"), out)
                self.assertEqual(records[0], records[-1])
                self.assertEqual([r[3] for r in records[1:-1]].count("SOA"), 0, out)
                served = self.apex_soa(zone)
                self.assertEqual(norm_record(records[0], False), norm_record(served, False))
                # The content is the hand-written zone of nsd/ (serial masked).
                want = sorted(norm_record(r) for r in
                              zone_file_records(os.path.join(HERE, "nsd", zone + ".zone")))
                got = sorted(norm_record(r) for r in records[:-1])
                self.assertEqual(got, want, out)

    def test_axfr_from_another_address_is_refused(self):
        # 127.0.0.2 is loopback too, but not in allow_transfer.
        out = dig(self.port, "-b", "127.0.0.2", "sina.com", "AXFR")
        self.assertIn("Transfer failed", out)
        self.assertEqual(axfr_records(out), [])

    def test_axfr_needs_a_zone_apex(self):
        for name in ("www.sina.com", "google.com"):
            with self.subTest(name):
                out = dig(self.port, name, "AXFR")
                self.assertIn("Transfer failed", out)
                self.assertEqual(axfr_records(out), [])

    def test_axfr_over_udp_is_no_transfer(self):
        # RFC 5936 section 4.2: AXFR over UDP is not defined.
        m = udp_query(self.port, "sina.com", "AXFR")
        self.assertIsNotNone(m, "no answer")
        self.assertEqual(m.answer, [], str(m))
        self.assertNotEqual(m.rcode_name, "NOERROR", str(m))

    def test_queries_still_answered(self):
        r = self.dig("sina.com", "MX")
        self.assertAnswer(r)
        self.assertEqual(r.rdata("ANSWER", "MX"), ["10 mail.sina.com."])


if __name__ == "__main__":
    unittest.main()
