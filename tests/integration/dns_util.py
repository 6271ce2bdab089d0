"""DNS helpers for the integration tests: the lab zones' TOML, raw wire queries and replies, dig/drill output.

The wire code is written from RFC 1035 section 4 (header, question, resource
records, name compression in 4.1.4) and RFC 6891 section 6 (the OPT record),
with struct only, so a test can send exactly the bytes it means, including
broken ones, and read a reply without trusting a DNS library.
"""

import ipaddress
import random
import re
import shutil
import socket
import struct
import subprocess
import time

from harness import Mxlab, lab_config

HOST = "127.0.0.1"

# The data both mxlab (this TOML) and NSD (the zone files written by hand in
# nsd/) serve. Each record is there for a behaviour of DESIGN.md section 4;
# nsd/*.zone spell out what mxlab must generate from it (section 3).
HOSTNAME = "mail.sina.com"
ADDRESSES = ("10.0.1.10", "fd00:1::10")
BIG_TXT = tuple(f"part-{i} " + "abcdefghij" * 9 for i in range(1, 7))  # ~690 bytes: > 512, < 1232

LAB_DOMAINS = """
[[domain]]
name = "sina.com"
records = [
  "www          A      10.0.1.20",
  "www          AAAA   fd00:1::20",
  "ftp          CNAME  www",                  # in-zone CNAME
  "chain        CNAME  ftp",                  # chain -> ftp -> www (RFC 1034 4.3.2 step 3a)
  "alias        CNAME  www.bigsky.com.",      # chain into another served zone
  "dangling     CNAME  nothere.bigsky.com.",  # chain ending in NXDOMAIN (RFC 6604)
  "short     60 A      10.0.1.60",            # its own TTL
  "sub          NS     ns.sub",               # delegation (RFC 1034 4.3.2 step 3b)
  "ns.sub       A      10.0.1.53",            # its glue
  "*.wild       A      10.0.1.99",            # wildcard (RFC 4592)
  "host.wild    A      10.0.1.98",            # an existing name under it: no synthesis
  "_imap._tcp   SRV    0 0 143 mail",         # SRV target in zone: additional A/AAAA
  '@            CAA    0 issue "letsencrypt.org"',
""" + "".join(f"  'big TXT \"{t}\"',\n" for t in BIG_TXT) + """]
[domain.users]
Bob = "bob123"
Jack = "jack123"
[domain.aliases]
postmaster = "Bob"

[[domain]]
name = "bigsky.com"
records = [
  "www    A      10.0.2.20",
  "web    CNAME  www",
  "back   CNAME  www.sina.com.",
  "out    CNAME  www.example.net.",   # chain leaving our zones: stops there
  "loop1  CNAME  loop2",              # a CNAME loop must not hang the server
  "loop2  CNAME  loop1",
  '@      TXT    "v=spf1 ip4:10.0.2.0/24 -all"',  # replaces the generated SPF TXT
]
[domain.users]
WFisk = "wfisk123"

[[domain]]
name = "1.0.10.in-addr.arpa"
mail = false
records = [
  "10  PTR  mail.sina.com.",
  "20  PTR  www.sina.com.",
  "53  PTR  ns.sub.sina.com.",
]
"""


def lab_mxlab(port, extra="", domains=LAB_DOMAINS, addresses=ADDRESSES, **kw):
    """An (unstarted) mxlab serving the lab zones on `port`, every other listener off."""
    return Mxlab(ports={"dns": port}, hostname=HOSTNAME, addresses=addresses, extra=extra,
                 domains=domains, **kw)


def lab_toml(m, extra="", domains=LAB_DOMAINS, addresses=ADDRESSES):
    """The TOML text of lab_mxlab(), for rewriting `m`'s config before a reload."""
    return lab_config(m.ports, m.data_dir, hostname=HOSTNAME, addresses=addresses, extra=extra,
                      domains=domains)


# --- RFC 1035 section 3.2 / RFC 6895 numbers -----------------------------------

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "NULL": 10, "PTR": 12, "HINFO": 13, "MX": 15,
         "TXT": 16, "AAAA": 28, "SRV": 33, "NAPTR": 35, "DNAME": 39, "OPT": 41, "DS": 43,
         "RRSIG": 46, "NSEC": 47, "DNSKEY": 48, "TLSA": 52, "HTTPS": 65, "IXFR": 251,
         "AXFR": 252, "ANY": 255, "CAA": 257}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
CLASSES = {"IN": 1, "CH": 3, "HS": 4, "NONE": 254, "ANY": 255}
CLASS_NAMES = {v: k for k, v in CLASSES.items()}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED",
          6: "YXDOMAIN", 7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE", 16: "BADVERS"}


def type_code(t):
    return t if isinstance(t, int) else TYPES[t.upper()]


def type_name(code):
    return TYPE_NAMES.get(code, f"TYPE{code}")


def class_name(code):
    return CLASS_NAMES.get(code, f"CLASS{code}")


# --- building queries ------------------------------------------------------------

def encode_name(name):
    """Uncompressed wire name, case kept (RFC 1035 3.1); "" or "." is the root."""
    out = b""
    for label in name.rstrip(".").split("."):
        if not label:
            continue
        raw = label.encode()
        if len(raw) > 63:
            raise ValueError(f"label too long: {label}")
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def header(qid, *, qr=False, opcode=0, aa=False, tc=False, rd=False, ra=False, ad=False, cd=False,
           rcode=0, qd=1, an=0, ns=0, ar=0):
    """The 12-byte header of RFC 1035 4.1.1 (AD and CD from RFC 4035 3.2)."""
    flags = (qr << 15) | (opcode << 11) | (aa << 10) | (tc << 9) | (rd << 8) | (ra << 7) \
        | (ad << 5) | (cd << 4) | rcode
    return struct.pack("!6H", qid, flags, qd, an, ns, ar)


def opt_record(payload=1232, version=0, do=False, ext_rcode=0, options=b""):
    """An OPT pseudo-RR (RFC 6891 6.1.2-6.1.3): owner root, CLASS = UDP payload size."""
    ttl = (ext_rcode << 24) | (version << 16) | (0x8000 if do else 0)
    return b"\0" + struct.pack("!HHIH", 41, payload, ttl, len(options)) + options


def build_query(name, qtype="A", qclass="IN", *, qid=None, rd=False, cd=False, ad=False,
                opcode=0, edns=True, payload=1232, do=False, edns_version=0):
    """A query as a stub would send it; edns=False sends no OPT (a 512-byte client)."""
    qid = random.randrange(65536) if qid is None else qid
    qclass = qclass if isinstance(qclass, int) else CLASSES[qclass]
    q = encode_name(name) + struct.pack("!HH", type_code(qtype), qclass)
    ar = 1 if edns else 0
    pkt = header(qid, opcode=opcode, rd=rd, cd=cd, ad=ad, ar=ar) + q
    if edns:
        pkt += opt_record(payload, edns_version, do)
    return pkt


# --- parsing replies -------------------------------------------------------------

class Malformed(ValueError):
    pass


def read_name(data, off):
    """A possibly compressed name at `off` (RFC 1035 4.1.4); returns (name, offset after it).

    A pointer must point strictly before the place it was read from, so a
    loop cannot make this spin.
    """
    labels = []
    end = None
    limit = off
    jumps = 0
    while True:
        if off >= len(data):
            raise Malformed("name runs past the end")
        n = data[off]
        if n & 0xC0 == 0xC0:
            if off + 1 >= len(data):
                raise Malformed("truncated pointer")
            target = ((n & 0x3F) << 8) | data[off + 1]
            if end is None:
                end = off + 2
            if target >= limit or jumps > 127:
                raise Malformed("compression pointer does not point backwards")
            limit = target
            off = target
            jumps += 1
            continue
        if n & 0xC0:
            raise Malformed(f"bad label type {n:#x}")
        off += 1
        if n == 0:
            break
        if off + n > len(data):
            raise Malformed("label runs past the end")
        labels.append(_escape_label(data[off:off + n]))
        off += n
    name = ".".join(labels) + "." if labels else "."
    return name, (end if end is not None else off)


def _escape_label(raw):
    out = ""
    for b in raw:
        c = chr(b)
        if c in '.\\"();':
            out += "\\" + c
        elif 0x21 <= b <= 0x7E:
            out += c
        else:
            out += f"\\{b:03d}"
    return out


def _char_strings(rd):
    out, i = [], 0
    while i < len(rd):
        n = rd[i]
        if i + 1 + n > len(rd):
            raise Malformed("character-string runs past rdata")
        out.append(rd[i + 1:i + 1 + n].decode("latin-1"))
        i += 1 + n
    return out


def rdata_text(data, off, rdlen, rtype):
    """Presentation form of rdata, names lowercased (RFC 4343: names compare case-insensitively)."""
    rd = data[off:off + rdlen]
    try:
        if rtype == 1 and rdlen == 4:
            return str(ipaddress.IPv4Address(rd))
        if rtype == 28 and rdlen == 16:
            return str(ipaddress.IPv6Address(rd))
        if rtype in (2, 5, 12, 39):
            return read_name(data, off)[0].lower()
        if rtype == 15:
            return f"{struct.unpack('!H', rd[:2])[0]} {read_name(data, off + 2)[0].lower()}"
        if rtype == 6:
            mname, o = read_name(data, off)
            rname, o = read_name(data, o)
            nums = struct.unpack("!5I", data[o:o + 20])
            return f"{mname.lower()} {rname.lower()} " + " ".join(str(n) for n in nums)
        if rtype == 16:
            return " ".join(f'"{s}"' for s in _char_strings(rd))
        if rtype == 33:
            prio, weight, port = struct.unpack("!3H", rd[:6])
            return f"{prio} {weight} {port} {read_name(data, off + 6)[0].lower()}"
        if rtype == 257:
            flags, taglen = rd[0], rd[1]
            return f'{flags} {rd[2:2 + taglen].decode()} "{rd[2 + taglen:].decode()}"'
    except (struct.error, IndexError, UnicodeDecodeError) as e:
        raise Malformed(f"bad {type_name(rtype)} rdata: {e}")
    return f"\\# {rdlen} {rd.hex()}"


class RR:
    __slots__ = ("name", "type", "cls", "ttl", "rdata")

    def __init__(self, name, rtype, cls, ttl, rdata):
        self.name, self.type, self.cls, self.ttl, self.rdata = name, rtype, cls, ttl, rdata

    def key(self, mask_serial=False):
        """(name lowercased, type, class, ttl, rdata): how the differential test compares RRs."""
        rdata = self.rdata
        if mask_serial and self.type == 6:
            f = rdata.split()
            f[2] = "SERIAL"
            rdata = " ".join(f)
        return (self.name.lower(), type_name(self.type), class_name(self.cls), self.ttl, rdata)

    def __repr__(self):
        return f"{self.name} {self.ttl} {class_name(self.cls)} {type_name(self.type)} {self.rdata}"


class Message:
    """A parsed reply. rcode includes the OPT's extended bits (RFC 6891 6.1.3)."""

    def __init__(self):
        self.id = 0
        self.flags = set()
        self.opcode = 0
        self.rcode = 0
        self.question = []  # (name as on the wire, case kept, type, class)
        self.answer = []
        self.authority = []
        self.additional = []  # without the OPT
        self.opt = None  # dict(payload, version, do, ext_rcode, options) or None

    @property
    def rcode_name(self):
        return RCODES.get(self.rcode, str(self.rcode))

    def section(self, name):
        return getattr(self, name)

    def types(self, section, rtype):
        return [rr for rr in self.section(section) if rr.type == type_code(rtype)]

    def __str__(self):
        lines = [f"id {self.id} opcode {self.opcode} rcode {self.rcode_name} "
                 f"flags {' '.join(sorted(self.flags))}"]
        if self.opt is not None:
            lines.append(f"  EDNS {self.opt}")
        for q in self.question:
            lines.append(f"  Q {q[0]} {class_name(q[2])} {type_name(q[1])}")
        for sec in ("answer", "authority", "additional"):
            for rr in self.section(sec):
                lines.append(f"  {sec[:3].upper()} {rr}")
        return "\n".join(lines)


FLAG_BITS = (("qr", 15), ("aa", 10), ("tc", 9), ("rd", 8), ("ra", 7), ("z", 6), ("ad", 5), ("cd", 4))


def parse_message(data):
    """Parses a whole DNS message; raises Malformed when it is not one."""
    if len(data) < 12:
        raise Malformed(f"{len(data)} bytes: shorter than a header")
    m = Message()
    m.id, flags, qd, an, ns, ar = struct.unpack("!6H", data[:12])
    m.flags = {name for name, bit in FLAG_BITS if flags & (1 << bit)}
    m.opcode = (flags >> 11) & 0xF
    m.rcode = flags & 0xF
    off = 12
    for _ in range(qd):
        name, off = read_name(data, off)
        if off + 4 > len(data):
            raise Malformed("truncated question")
        qtype, qclass = struct.unpack("!HH", data[off:off + 4])
        off += 4
        m.question.append((name, qtype, qclass))
    for sec, count in (("answer", an), ("authority", ns), ("additional", ar)):
        for _ in range(count):
            name, off = read_name(data, off)
            if off + 10 > len(data):
                raise Malformed("truncated RR header")
            rtype, cls, ttl, rdlen = struct.unpack("!HHIH", data[off:off + 10])
            off += 10
            if off + rdlen > len(data):
                raise Malformed("rdata runs past the end")
            if rtype == 41:
                if sec != "additional" or m.opt is not None or name != ".":
                    raise Malformed("OPT outside additional, twice, or not at the root")
                m.opt = {"payload": cls, "ext_rcode": ttl >> 24, "version": (ttl >> 16) & 0xFF,
                         "do": bool(ttl & 0x8000), "options": data[off:off + rdlen].hex()}
                m.rcode |= (ttl >> 24) << 4
            else:
                m.section(sec).append(RR(name, rtype, cls, ttl, rdata_text(data, off, rdlen, rtype)))
            off += rdlen
    if off != len(data):
        raise Malformed(f"{len(data) - off} bytes after the last record")
    return m


# --- transports --------------------------------------------------------------------

def udp_exchange(port, packet, timeout=2.0, host=HOST):
    """Sends one datagram; returns the reply's bytes, or None when none came within `timeout`."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.connect((host, port))
        s.send(packet)
        qid = packet[:2] if len(packet) >= 2 else None
        deadline = time.monotonic() + timeout
        while True:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = s.recv(65535)
            except (socket.timeout, ConnectionRefusedError):
                return None
            if qid is None or data[:2] == qid:
                return data
            if time.monotonic() >= deadline:
                return None


def udp_query(port, name, qtype="A", **kw):
    timeout = kw.pop("timeout", 2.0)
    data = udp_exchange(port, build_query(name, qtype, **kw), timeout)
    return None if data is None else parse_message(data)


def recv_exact(sock, n):
    """Reads exactly n bytes; returns fewer only when the peer closed."""
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf


def tcp_connect(port, timeout=5.0, host=HOST):
    s = socket.create_connection((host, port), timeout=timeout)
    s.settimeout(timeout)
    return s


def tcp_send(sock, packet):
    """RFC 1035 4.2.2 / RFC 7766 8: each message is prefixed by its 2-byte length."""
    sock.sendall(struct.pack("!H", len(packet)) + packet)


def tcp_recv(sock):
    """One length-prefixed message, or None when the server closed the connection."""
    head = recv_exact(sock, 2)
    if len(head) < 2:
        return None
    (n,) = struct.unpack("!H", head)
    body = recv_exact(sock, n)
    if len(body) < n:
        raise Malformed(f"TCP message cut short: {len(body)} of {n} bytes")
    return body


def tcp_exchange(port, packet, timeout=5.0):
    with tcp_connect(port, timeout) as s:
        tcp_send(s, packet)
        return tcp_recv(s)


def tcp_query(port, name, qtype="A", **kw):
    timeout = kw.pop("timeout", 5.0)
    data = tcp_exchange(port, build_query(name, qtype, **kw), timeout)
    return None if data is None else parse_message(data)


def wait_answers(port, zone="sina.com", timeout=20):
    """True once `zone` SOA is answered over UDP (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            m = udp_query(port, zone, "SOA", timeout=0.3)
        except Malformed:
            m = None
        if m is not None and m.rcode == 0 and m.answer:
            return True
        time.sleep(0.05)
    return False


# --- dig and drill ----------------------------------------------------------------

def require_tool(name):
    path = shutil.which(name)
    if path is None:
        raise AssertionError(f"{name} is not installed (packaging/install-deps.sh test)")
    return path


def dig(port, *args, timeout=30):
    """Runs dig against our server with a short, single try; returns its stdout (text)."""
    r = subprocess.run([require_tool("dig"), f"@{HOST}", "-p", str(port), "+time=2", "+tries=1",
                        *args], capture_output=True, text=True, timeout=timeout)
    return r.stdout + r.stderr


def drill(port, *args, timeout=30):
    r = subprocess.run([require_tool("drill"), "-p", str(port), *args, f"@{HOST}"],
                       capture_output=True, text=True, timeout=timeout)
    return r.stdout + r.stderr


NAME_RDATA_TYPES = {"NS", "CNAME", "PTR", "MX", "SOA", "SRV", "DNAME"}


class Reply:
    """What dig (or drill) printed: status, flags, EDNS udp size, sections as (name, ttl, class, type, rdata)."""

    def __init__(self, text):
        self.text = text
        self.status = None
        self.opcode = None
        self.flags = None
        self.edns_udp = None
        self.edns_version = None
        self.sections = {"QUESTION": [], "ANSWER": [], "AUTHORITY": [], "ADDITIONAL": []}
        current = None
        for line in text.splitlines():
            m = re.search(r"->>HEADER<<- opcode: (\w+), (?:status|rcode): (\w+)", line)
            if m:
                self.opcode, self.status = m.group(1), m.group(2)
                continue
            m = re.match(r";; flags: ([a-z ]*);", line)
            if m:
                self.flags = set(m.group(1).split())
                continue
            m = re.search(r"EDNS: version:? (\d+)[;,].*udp: (\d+)", line)
            if m:
                self.edns_version, self.edns_udp = int(m.group(1)), int(m.group(2))
                continue
            m = re.match(r";; (QUESTION|ANSWER|AUTHORITY|ADDITIONAL) SECTION:", line)
            if m:
                current = m.group(1)
                continue
            if not line.strip():
                current = None
                continue
            if current == "QUESTION":
                f = line.lstrip(";").split()
                if f:
                    self.sections["QUESTION"].append((f[0], f[-2], f[-1]))
            elif current and not line.startswith(";"):
                f = line.split(None, 4)
                if len(f) >= 4:
                    self.sections[current].append(
                        (f[0], int(f[1]), f[2], f[3], f[4] if len(f) > 4 else ""))

    def rrs(self, section, rtype=None, name=None):
        return [r for r in self.sections[section]
                if (rtype is None or r[3] == rtype) and (name is None or r[0].lower() == name.lower())]

    def rdata(self, section, rtype, name=None):
        """Sorted rdata texts; domain names in them lowercased (RFC 4343: case does not matter)."""
        return sorted(r[4].lower() if rtype in NAME_RDATA_TYPES else r[4]
                      for r in self.rrs(section, rtype, name))

    def __str__(self):
        return self.text


def axfr_records(text):
    """The records of `dig AXFR` output, in order, as (name, ttl, class, type, rdata)."""
    out = []
    for line in text.splitlines():
        if line.startswith(";") or not line.strip():
            continue
        f = line.split(None, 4)
        if len(f) >= 4 and f[1].isdigit():
            out.append((f[0], int(f[1]), f[2], f[3], f[4] if len(f) > 4 else ""))
    return out



def norm_record(rec, mask_serial=True):
    """(name, ttl, class, type, rdata) in one spelling: names lowercased (RFC 4343), spaces
    collapsed, and the SOA serial masked when asked (mxlab's is date-based, the zone files' fixed)."""
    name, ttl, cls, rtype, rdata = rec
    rdata = " ".join(rdata.split())
    if rtype in NAME_RDATA_TYPES:
        rdata = rdata.lower()
    if rtype == "SOA" and mask_serial:
        f = rdata.split()
        f[2] = "SERIAL"
        rdata = " ".join(f)
    return (name.lower(), int(ttl), cls, rtype, rdata)


def zone_text_records(text, origin=None):
    """The records of zone-file text as ldns-read-zone reads them (it exits non-zero on a bad zone)."""
    cmd = [require_tool("ldns-read-zone")]
    if origin:
        cmd += ["-o", origin]
    r = subprocess.run(cmd + ["/dev/stdin"], input=text, capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError(f"ldns-read-zone rejects the zone: {r.stderr}\n{text}")
    return axfr_records(r.stdout)


def zone_file_records(path):
    with open(path) as f:
        return zone_text_records(f.read())
