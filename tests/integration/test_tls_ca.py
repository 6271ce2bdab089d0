"""The lab CA (issue 13, item 3): a client told to trust `mxlab tls ca` verifies the appliance by every name it may use.

DESIGN.md section 2 ("TLS without configuration"). Clients are the ones a
student meets: openssl s_client, curl and Python's ssl module, each checking
the chain against the CA and the name (or address) it connects by, on the
implicit-TLS ports (465, 995) and after STARTTLS/STLS (587, 110). Names are
mapped to 127.0.0.1 with curl's --resolve or by connecting to the address and
sending the name as SNI and for the check, as a client with its own DNS would.
"""

import os
import re
import socket
import ssl
import subprocess
import unittest

from harness import MXLAB, Mxlab, free_port, lab_config, run

HOST = "127.0.0.1"
PORTS = ("smtp", "submission", "smtps", "pop3", "pop3s")


def domains(records, extra=""):
    quoted = ", ".join(f'"{r}"' for r in records)
    return f"""
[[domain]]
name = "sina.com"
records = [{quoted}]
[domain.users]
Bob = "bob123"
[domain.aliases]
postmaster = "Bob"
{extra}
"""


# pop3.sina.com is what a student's mail client is told (`pop3 CNAME mail`);
# box.sina.com has an A record with the appliance's address; www.sina.com is
# another host, which the certificate must not name.
RECORDS = ["pop3 CNAME mail", "box A 127.0.0.1", "www A 10.0.1.20", "ftp CNAME www"]


def lab(**kw):
    return Mxlab(ports={p: free_port() for p in PORTS}, domains=domains(RECORDS), **kw)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def s_client(lab, port_name, ca, name=None, ip=None):
    """openssl s_client verifying against `ca` and `name` (or `ip`); returns (returncode, output)."""
    args = ["openssl", "s_client", "-connect", f"{HOST}:{lab.ports[port_name]}", "-verify_return_error",
            "-CAfile", ca, "-brief"]
    if name:
        args += ["-servername", name, "-verify_hostname", name]
    if ip:
        args += ["-verify_ip", ip]
    starttls = {"submission": "smtp", "smtp": "smtp", "pop3": "pop3"}.get(port_name)
    if starttls:
        args += ["-starttls", starttls]
    r = subprocess.run(args, input="", capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


def python_handshake(lab, port_name, ca, name):
    """A TLS handshake with Python's default client checks (CERT_REQUIRED, check_hostname) for `name`."""
    ctx = ssl.create_default_context(cafile=ca)
    with socket.create_connection((HOST, lab.ports[port_name]), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=name) as tls:
            return tls.recv(100)


class LabCa(unittest.TestCase):
    def tls_ca(self, m):
        r = m.run_cli("tls", "ca")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith("-----BEGIN CERTIFICATE-----\n"), r.stdout)
        self.assertTrue(r.stdout.endswith("-----END CERTIFICATE-----\n"), r.stdout)
        path = os.path.join(m.workdir, "ca.pem")
        with open(path, "w") as f:
            f.write(r.stdout)
        return path, r.stdout

    def assert_verifies(self, m, ca, port_name, name=None, ip=None):
        code, out = s_client(m, port_name, ca, name=name, ip=ip)
        self.assertEqual(code, 0, f"{port_name} {name or ip}: {out}")
        self.assertIn("Verification: OK", out)

    def test_every_name_verifies_on_every_tls_port(self):
        with lab() as m:
            # Before the first start: a teacher can hand the CA out at once, and serve uses that one.
            ca, pem = self.tls_ca(m)
            self.assertEqual(os.stat(os.path.join(m.data_dir, "tls", "ca.key")).st_mode & 0o777, 0o600)
            m.start()
            self.assertEqual(read(os.path.join(m.data_dir, "tls", "ca.pem")).decode(), pem)
            subject = run("openssl", "x509", "-noout", "-subject", "-in", ca).stdout
            self.assertRegex(subject, r"subject=CN = mxlab lab CA mail\.sina\.com \d{4}-\d\d-\d\d")
            m.wait_log(r"event=tls\.loaded cert=\S+ source=mxlab-lab-ca subject=\"CN=mail\.sina\.com\" "
                       r"issuer=\"CN=mxlab lab CA mail\.sina\.com [0-9-]+\" "
                       r"names=mail\.sina\.com,(box|pop3)\.sina\.com,(box|pop3)\.sina\.com addresses=127\.0\.0\.1 "
                       r"sha256=\S+ not_after=\S+")

            for port_name in PORTS:
                for name in ("mail.sina.com", "pop3.sina.com", "box.sina.com"):
                    self.assert_verifies(m, ca, port_name, name=name)
                self.assert_verifies(m, ca, port_name, ip=HOST)
            # Another host's name is not this certificate's to claim.
            code, out = s_client(m, "pop3s", ca, name="www.sina.com")
            self.assertNotEqual(code, 0, out)
            self.assertIn("hostname mismatch", out)

            for name in ("mail.sina.com", "pop3.sina.com", "box.sina.com", HOST):
                self.assertTrue(python_handshake(m, "pop3s", ca, name).startswith(b"+OK"), name)
                self.assertTrue(python_handshake(m, "smtps", ca, name).startswith(b"220"), name)
            with self.assertRaises(ssl.SSLCertVerificationError):
                python_handshake(m, "pop3s", ca, "ftp.sina.com")

            # curl as a student would type it, the alias mapped to our address.
            port = m.ports["pop3s"]
            r = run("curl", "-sS", "--max-time", "30", "--cacert", ca, "--resolve", f"pop3.sina.com:{port}:{HOST}",
                    "-u", "bob@sina.com:bob123", f"pop3s://pop3.sina.com:{port}/")
            self.assertEqual(r.returncode, 0, r.stderr)
            port = m.ports["pop3"]
            r = run("curl", "-sS", "--max-time", "30", "--ssl-reqd", "--cacert", ca,
                    "--resolve", f"box.sina.com:{port}:{HOST}", "-u", "bob@sina.com:bob123", f"pop3://box.sina.com:{port}/")
            self.assertEqual(r.returncode, 0, r.stderr)
            # Without the CA, curl refuses: the appliance is not trusted by default.
            port = m.ports["pop3s"]
            r = run("curl", "-sS", "--max-time", "30", "--resolve", f"pop3.sina.com:{port}:{HOST}",
                    "-u", "bob@sina.com:bob123", f"pop3s://pop3.sina.com:{port}/")
            self.assertNotEqual(r.returncode, 0)

    def test_new_names_at_reload_and_restart_keep_the_ca(self):
        with lab() as m:
            m.start()
            ca, pem = self.tls_ca(m)
            ca_key = read(os.path.join(m.data_dir, "tls", "ca.key"))
            code, _ = s_client(m, "pop3s", ca, name="imap.sina.com")
            self.assertNotEqual(code, 0)

            # A new alias and a second mail domain with its own MX host.
            m.write_config(lab_config(m.ports, m.data_dir, domains=domains(
                RECORDS + ["imap CNAME pop3"],
                extra='[[domain]]\nname = "bigsky.com"\nmx = "mx.bigsky.com"\n')))
            m.reload()
            m.wait_log(r"event=tls\.issued .* reason=names_changed")
            for name in ("imap.sina.com", "mx.bigsky.com", "pop3.sina.com"):
                self.assert_verifies(m, ca, "pop3s", name=name)
                self.assert_verifies(m, ca, "submission", name=name)
            self.assertEqual(self.tls_ca(m)[1], pem)
            self.assertEqual(read(os.path.join(m.data_dir, "tls", "ca.key")), ca_key)
            self.assertEqual(m.log().count("event=tls.ca_made"), 1, m.log())

            cert = read(os.path.join(m.data_dir, "tls", "cert.pem"))
            self.assertEqual(m.stop(), 0)
            m.start()
            self.assert_verifies(m, ca, "pop3s", name="imap.sina.com")
            self.assertEqual(self.tls_ca(m)[1], pem)
            # Nothing changed: the same pair is used again.
            self.assertEqual(read(os.path.join(m.data_dir, "tls", "cert.pem")), cert)
            self.assertEqual(m.log().count("event=tls.issued"), 2, m.log())
            self.assertEqual(m.log().count("event=tls.ca_made"), 1, m.log())

    def test_explicit_pair_is_presented_untouched_and_there_is_no_lab_ca(self):
        with lab() as m:
            cert, key = os.path.join(m.workdir, "own.pem"), os.path.join(m.workdir, "own.key")
            r = run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "30", "-subj", "/CN=own.example", "-addext", "subjectAltName=DNS:own.example")
            self.assertEqual(r.returncode, 0, r.stderr)
            before = (read(cert), read(key))
            m.write_config(lab_config(m.ports, m.data_dir, domains=domains(RECORDS),
                                      extra=f'[tls]\ncert = "{cert}"\nkey = "{key}"\n'))
            m.start()
            m.wait_log(r"event=tls\.loaded cert=\S+own\.pem source=user subject=\"CN=own\.example\"")
            # The user's certificate is the trust anchor: it verifies itself.
            self.assert_verifies(m, cert, "pop3s", name="own.example")
            self.assert_verifies(m, cert, "submission", name="own.example")
            self.assertEqual((read(cert), read(key)), before)
            self.assertFalse(os.path.exists(os.path.join(m.data_dir, "tls")))

            r = m.run_cli("tls", "ca")
            self.assertEqual(r.returncode, 1)
            self.assertEqual(r.stdout, "")
            self.assertIn(f"mxlab: tls ca: no lab CA: the config gives its own certificate (tls.cert = {cert})", r.stderr)
            self.assertFalse(os.path.exists(os.path.join(m.data_dir, "tls")))

    def test_usage(self):
        with lab() as m:
            r = m.run_cli("tls")
            self.assertEqual(r.returncode, 1)
            self.assertIn("tls takes one subcommand: ca", r.stderr)
        r = run(MXLAB, "--help")
        self.assertRegex(r.stdout, r"tls ca \[-c FILE\] +print the lab CA certificate")


if __name__ == "__main__":
    unittest.main()
