"""Differential test: mxlab and NSD 4.6 (the reference of DESIGN.md section 4) serve the same lab zones; every reply must match."""

import os
import struct
import unittest

from dns_util import (HOST, Malformed, axfr_records, build_query, class_name, dig, encode_name,
                      header, lab_mxlab, norm_record, opt_record, parse_message, tcp_exchange,
                      type_name, udp_exchange, wait_answers, zone_file_records, zone_text_records)
from harness import MXLAB, free_port, run
from nsd.nsd_runner import HERE as NSD_DIR, ZONES, Nsd, nsd_binary

SOA_IN = struct.pack("!HH", 6, 1)


def q(name, qtype="A", qclass="IN", tcp=False, **kw):
    """A case: a query as build_query() makes it, over UDP (EDNS 1232, RD=0 unless told) or TCP."""
    extras = " ".join(f"{k}={v}" for k, v in kw.items())
    label = f"{name} {qclass} {qtype} over {'TCP' if tcp else 'UDP'}{' ' + extras if extras else ''}"
    return label, lambda qid: build_query(name, qtype, qclass, qid=qid, **kw), tcp


def raw(label, make, tcp=False):
    """A case sent as exactly these bytes (make(qid) -> bytes)."""
    return label, make, tcp


CASES = [
    # sina.com: generated records (SOA, NS, MX, SPF TXT, A/AAAA of the hostname) and the TOML's.
    q("sina.com", "SOA"), q("sina.com", "NS"), q("sina.com", "MX"), q("sina.com", "TXT"),
    q("sina.com", "CAA"),
    q("sina.com", "A"), q("sina.com", "AAAA"),                    # NODATA at the apex (RFC 2308 2.2)
    # ANY: NSD answers one RRset (RFC 8482 section 4.1): the first A/AAAA/SOA/MX/PTR in zone
    # order, else the last of the others; no NS in authority.
    q("sina.com", "ANY"), q("mail.sina.com", "ANY"), q("www.sina.com", "ANY"),
    q("ftp.sina.com", "ANY"), q("_imap._tcp.sina.com", "ANY"), q("nope.sina.com", "ANY"),
    q("sina.com", "DS"),                                          # parent not ours: NODATA
    q("sina.com", 65280),                                         # unknown type: NODATA
    q("mail.sina.com", "A"), q("mail.sina.com", "AAAA"), q("mail.sina.com", "MX"),
    q("www.sina.com", "A"), q("www.sina.com", "AAAA"), q("www.sina.com", "TXT"),
    q("short.sina.com", "A"),                                     # its own TTL
    q("WwW.SiNa.CoM", "A"), q("NoPe.SiNa.CoM", "TXT"),            # case (RFC 4343)
    # CNAME (RFC 1034 4.3.2 step 3a, RFC 2181 10.1, RFC 6604).
    q("ftp.sina.com", "A"), q("ftp.sina.com", "AAAA"), q("ftp.sina.com", "CNAME"),
    q("ftp.sina.com", "MX"), q("chain.sina.com", "A"), q("alias.sina.com", "A"),
    q("alias.sina.com", "AAAA"), q("dangling.sina.com", "A"),
    q("back.bigsky.com", "A"), q("web.bigsky.com", "A"), q("out.bigsky.com", "A"),
    q("loop1.bigsky.com", "A"),
    # NXDOMAIN (RFC 2308 2.1, 3).
    q("nope.sina.com", "A"), q("a.b.nope.sina.com", "MX"), q("nothere.bigsky.com", "A"),
    # Delegation: referral with glue (RFC 1034 4.3.2 step 3b).
    q("x.sub.sina.com", "A"), q("sub.sina.com", "NS"), q("sub.sina.com", "A"),
    q("sub.sina.com", "DS"), q("ns.sub.sina.com", "A"), q("X.SuB.SiNa.CoM", "AAAA"),
    # Wildcards (RFC 4592).
    q("foo.wild.sina.com", "A"), q("foo.wild.sina.com", "MX"), q("a.b.wild.sina.com", "A"),
    q("FoO.WiLd.SiNa.CoM", "A"), q("host.wild.sina.com", "A"), q("host.wild.sina.com", "AAAA"),
    q("wild.sina.com", "A"), q("*.wild.sina.com", "A"),
    # SRV with its target's addresses; empty non-terminal.
    q("_imap._tcp.sina.com", "SRV"), q("_tcp.sina.com", "SRV"),
    # The big TXT RRset: fits 1232, not 512 (RFC 1035 4.2.1, RFC 6891 6.2.5).
    q("big.sina.com", "TXT"), q("big.sina.com", "TXT", edns=False),
    q("big.sina.com", "TXT", payload=512), q("big.sina.com", "ANY"),
    # bigsky.com: MX and NS outside the zone; explicit TXT replacing the SPF.
    q("bigsky.com", "SOA"), q("bigsky.com", "NS"), q("bigsky.com", "MX"), q("bigsky.com", "TXT"),
    q("bigsky.com", "A"), q("www.bigsky.com", "A"),
    # The reverse zone.
    q("1.0.10.in-addr.arpa", "SOA"), q("1.0.10.in-addr.arpa", "NS"),
    q("10.1.0.10.in-addr.arpa", "PTR"), q("20.1.0.10.in-addr.arpa", "PTR"),
    q("53.1.0.10.in-addr.arpa", "PTR"), q("99.1.0.10.in-addr.arpa", "PTR"),
    q("10.1.0.10.in-addr.arpa", "A"),
    # Not ours: REFUSED.
    q("google.com", "A"), q("com", "NS"), q(".", "SOA"), q("0.10.in-addr.arpa", "SOA"),
    q("nasina.com", "MX"),
    # Classes: CHAOS (version.bind, answered by both), and ANY.
    q("version.bind", "TXT", "CH"), q("sina.com", "A", "CH"), q("sina.com", "SOA", "ANY"),
    # Header bits and EDNS (RFC 1035 4.1.1, RFC 4035 3.2, RFC 6891, RFC 3225).
    q("sina.com", "MX", rd=True), q("www.sina.com", "A", cd=True, ad=True),
    q("www.sina.com", "A", do=True), q("sina.com", "SOA", edns_version=1),
    q("www.sina.com", "A", edns=False), q("www.sina.com", "A", payload=4096),
    raw("www.sina.com A with an unknown EDNS option",
        lambda i: header(i, ar=1) + encode_name("www.sina.com") + struct.pack("!HH", 1, 1)
        + opt_record(options=struct.pack("!HH", 65001, 3) + b"abc")),
    # Transfers: nobody is allowed in either server (RFC 5936 section 6; over UDP, 4.2).
    q("sina.com", "AXFR"), q("sina.com", "AXFR", tcp=True), q("sina.com", "IXFR"),
    q("sina.com", "IXFR", tcp=True),
    # Other opcodes: UPDATE (RFC 2136), NOTIFY (RFC 1996) from a stranger, IQUERY, STATUS.
    raw("opcode UPDATE", lambda i: header(i, opcode=5) + encode_name("sina.com") + SOA_IN),
    raw("opcode NOTIFY", lambda i: header(i, opcode=4, aa=True) + encode_name("sina.com") + SOA_IN),
    raw("opcode IQUERY", lambda i: header(i, opcode=1) + encode_name("sina.com") + SOA_IN),
    raw("opcode STATUS", lambda i: header(i, opcode=2) + encode_name("sina.com") + SOA_IN),
    # The same questions over TCP (RFC 7766): no size limit, so no TC.
    q("big.sina.com", "TXT", tcp=True), q("big.sina.com", "TXT", tcp=True, edns=False),
    q("sina.com", "MX", tcp=True), q("nope.sina.com", "A", tcp=True),
    q("x.sub.sina.com", "A", tcp=True), q("foo.wild.sina.com", "A", tcp=True),
    q("alias.sina.com", "A", tcp=True), q("google.com", "A", tcp=True), q("sina.com", "ANY", tcp=True),
    q("WwW.SiNa.CoM", "AAAA", tcp=True), q("10.1.0.10.in-addr.arpa", "PTR", tcp=True),
]

FLAGS = ("qr", "aa", "tc", "rd", "ra", "z", "ad", "cd")


def edns_text(opt):
    if opt is None:
        return "no OPT"
    text = f"version {opt['version']} udp {opt['payload']} do={int(opt['do'])}"
    data = bytes.fromhex(opt["options"])
    while len(data) >= 4:  # RFC 6891 6.1.2 options; EDE is RFC 8914
        code, length = struct.unpack("!HH", data[:4])
        body, data = data[4:4 + length], data[4 + length:]
        if code == 15 and length >= 2:
            text += f", EDE {struct.unpack('!H', body[:2])[0]}"
            if body[2:]:
                text += f" {body[2:].decode(errors='replace')!r}"
        else:
            text += f", option {code} {body.hex()}"
    return text


def rr_text(rr):
    """dig's order: owner (lowercased) TTL class type rdata; the SOA serial masked."""
    name, rtype, cls, ttl, rdata = rr.key(mask_serial=True)
    if cls == "CH" and rtype == "TXT":
        rdata = "<server version>"  # "NSD 4.6.1" against "mxlab 0.1.0"
    return f"{name} {ttl} {cls} {rtype} {rdata}"


def view(data, query):
    """What is compared: rcode, opcode, flags, question (case kept), the three sections as sorted
    lists of "owner TTL class type rdata" (owner lowercased, SOA serial masked), and EDNS."""
    if data is None:
        return {"reply": "none within 2 s"}
    try:
        m = parse_message(data)
    except Malformed as e:
        return {"reply": f"unparseable: {e}"}
    return {
        "id echoed": data[:2] == query[:2],
        "rcode": m.rcode_name,
        "opcode": m.opcode,
        "flags": " ".join(f for f in FLAGS if f in m.flags),
        "question": [f"{n} {class_name(c)} {type_name(t)}" for n, t, c in m.question],
        "answer": sorted(rr_text(rr) for rr in m.answer),
        "authority": sorted(rr_text(rr) for rr in m.authority),
        "additional": sorted(rr_text(rr) for rr in m.additional),
        "edns": edns_text(m.opt),
    }


def diff_text(label, nsd, mx):
    """Field by field, both sides; for sections, what only one side has."""
    lines = [f"query: {label}", f"  {'field':<11} {'NSD':<40} mxlab"]
    for key in sorted(set(nsd) | set(mx), key=lambda k: list(nsd).index(k) if k in nsd else 99):
        a, b = nsd.get(key), mx.get(key)
        if a == b:
            continue
        if isinstance(a, list) and isinstance(b, list):
            lines.append(f"  {key}:")
            lines += [f"    only NSD:   {x}" for x in a if x not in b or a.count(x) > b.count(x)]
            lines += [f"    only mxlab: {x}" for x in b if x not in a or b.count(x) > a.count(x)]
        else:
            lines.append(f"  {key:<11} {str(a):<40} {b}")
    return "\n".join(lines)


def full(v):
    return "\n".join(f"    {k}: {x}" for k, val in v.items()
                     for x in (val if isinstance(val, list) and val else [val]))


class MatchesNsd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        nsd_binary()  # fails loudly when nsd is missing: no silent skip in CI
        cls.nsd_port, cls.mx_port = free_port(), free_port()
        cls.nsd = Nsd(cls.nsd_port)
        cls.lab = lab_mxlab(cls.mx_port)
        try:
            cls.nsd.start(lambda: wait_answers(cls.nsd_port, timeout=0.5))
            cls.lab.start()
            wait_answers(cls.mx_port, timeout=10)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.lab.__exit__(None, None, None)
        finally:
            cls.nsd.__exit__(None, None, None)

    def ask(self, port, packet, tcp):
        if tcp:
            try:
                return tcp_exchange(port, packet, timeout=3)
            except (OSError, Malformed):
                return None
        return udp_exchange(port, packet, timeout=2)

    def test_replies_match_nsd(self):
        self.assertGreaterEqual(len(CASES), 50)
        for i, (label, make, tcp) in enumerate(CASES):
            packet = make(0x4000 + i)
            with self.subTest(label):
                nsd = view(self.ask(self.nsd_port, packet, tcp), packet)
                # The reference must answer sensibly, or the case itself is wrong.
                self.assertIn("rcode", nsd, f"NSD gave no usable reply to {label}: {nsd}")
                self.assertTrue(nsd["id echoed"])
                mx = view(self.ask(self.mx_port, packet, tcp), packet)
                if nsd != mx:
                    self.fail(diff_text(label, nsd, mx)
                              + f"\n  NSD reply:\n{full(nsd)}\n  mxlab reply:\n{full(mx)}")
        self.assertIsNone(self.lab.proc.poll(), f"mxlab died:\n{self.lab.log()[-4000:]}")

    def test_zone_command_prints_the_hand_written_zones(self):
        # `mxlab zone` output, read by ldns, against the zone files of nsd/ (serial masked).
        for zone in ZONES:
            with self.subTest(zone):
                r = run(MXLAB, "zone", "-c", self.lab.config_path, zone)
                self.assertEqual(r.returncode, 0, r.stderr)
                got = sorted(norm_record(x) for x in zone_text_records(r.stdout))
                want = sorted(norm_record(x) for x in
                              zone_file_records(os.path.join(NSD_DIR, zone + ".zone")))
                if got != want:
                    self.fail(f"{zone}:\n"
                              + "".join(f"  only in nsd/{zone}.zone: {x}\n" for x in want if x not in got)
                              + "".join(f"  only in `mxlab zone`: {x}\n" for x in got if x not in want))


class NsdAsSecondary(unittest.TestCase):
    """A standard secondary carries mxlab's zones (DESIGN.md section 4, AXFR; RFC 5936)."""

    def test_nsd_transfers_every_zone_from_mxlab(self):
        nsd_binary()
        mx_port, nsd_port = free_port(), free_port()
        with lab_mxlab(mx_port, extra='[dns]\nallow_transfer = ["127.0.0.1"]\n') as lab:
            lab.start()
            self.assertTrue(wait_answers(mx_port, timeout=10), "mxlab does not answer")
            conf = "".join(
                f'zone:\n    name: "{z}"\n    zonefile: "{z}.zone"\n'
                f"    request-xfr: AXFR {HOST}@{mx_port} NOKEY\n"
                f"    allow-notify: {HOST} NOKEY\n    provide-xfr: {HOST} NOKEY\n" for z in ZONES)
            with Nsd(nsd_port, zone_conf=conf) as secondary:
                # Ready once it serves every zone, i.e. each transfer went through.
                try:
                    secondary.start(lambda: all(wait_answers(nsd_port, z, timeout=0.2)
                                                for z in ZONES), timeout=30)
                except AssertionError as e:
                    self.fail(f"NSD, a secondary of mxlab, got no zones within 30 s: {e}")
                for zone in ZONES:
                    with self.subTest(zone):
                        ours = axfr_records(dig(mx_port, zone, "AXFR"))
                        theirs = axfr_records(dig(nsd_port, zone, "AXFR"))
                        self.assertTrue(ours, f"no AXFR from mxlab for {zone}")
                        # Same serial (nothing masked) and same records.
                        self.assertEqual(norm_record(theirs[0], False), norm_record(ours[0], False))
                        self.assertEqual(sorted(norm_record(x) for x in theirs[:-1]),
                                         sorted(norm_record(x) for x in ours[:-1]))
            self.assertIsNone(lab.proc.poll(), lab.log()[-4000:])


if __name__ == "__main__":
    unittest.main()
