#!/usr/bin/env python3
# Prints where corpus/*.imap (our ENVELOPE, BODYSTRUCTURE and BODY) differ from Dovecot's answers for the same messages (doveadm fetch).
#
# Usage: sudo tests/unit/codec/compare_dovecot.py [FILE.eml ...]
# (default: the corpus; a message without a .imap beside it goes through
# MIME_DUMP, by default build/tests/tools/mime_dump)
# Needs dovecot-core (doveadm); runs as root because Dovecot gives up root
# for the mail owner (uid 5000, no account needed). Dovecot runs from a
# throwaway config in a temporary folder, one Maildir message at a time; the
# system's own Dovecot is not touched. Differences are expected where
# corpus/README.md says so; any other one is a bug here or there.
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
UID = 5000
# For a message without its .imap beside it (one outside the corpus).
MIME_DUMP = os.environ.get("MIME_DUMP", str(HERE.parent.parent.parent / "build" / "tests" / "tools" / "mime_dump"))

CONFIG = """base_dir = {d}/run
state_dir = {d}/run
log_path = {d}/dovecot.log
mail_location = maildir:{d}/mail/Maildir
mail_uid = {uid}
mail_gid = {uid}
ssl = no
userdb {{
  driver = static
  args = uid={uid} gid={uid} home={d}/mail
}}
passdb {{
  driver = static
  args = nopassword=y
}}
"""


def ours(eml):
    imap_file = eml.with_suffix(".imap")
    if imap_file.exists():
        data = imap_file.read_bytes()
    else:
        data = subprocess.run([MIME_DUMP, str(eml)], capture_output=True, check=True).stdout
    text = data.decode("utf-8", "replace")
    env, rest = text.split("\nBODYSTRUCTURE ", 1)
    bs, body = rest.split("\nBODY ", 1)
    return env.removeprefix("ENVELOPE "), bs, body.rstrip("\n")


def dovecot(work, eml):
    maildir = work / "mail" / "Maildir"
    shutil.rmtree(work / "mail", ignore_errors=True)
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    shutil.copy(eml, maildir / "cur" / "1.corpus:2,")
    for p in [work / "mail", *(work / "mail").rglob("*")]:
        os.chown(p, UID, UID)
    env = dict(os.environ, USER="corpus", HOME=str(work / "mail"))
    out = subprocess.run(["doveadm", "-c", str(work / "dovecot.conf"), "fetch", "imap.envelope imap.bodystructure imap.body",
                          "mailbox", "INBOX", "all"], env=env, capture_output=True, timeout=30)
    text = out.stdout.decode("utf-8", "replace").replace("\r\n", "\n")
    if out.returncode != 0 or "imap.bodystructure: " not in text:
        sys.exit(f"doveadm failed: {out.stderr.decode()}")
    env_part, rest = text.split("\nimap.bodystructure: ", 1)
    bs, body = rest.split("\nimap.body: ", 1)
    # doveadm leaves out the outer parentheses.
    return tuple("(" + t.rstrip("\n") + ")" for t in (env_part.removeprefix("imap.envelope: "), bs, body))


def main():
    if shutil.which("doveadm") is None:
        sys.exit("doveadm is missing (apt-get install dovecot-core)")
    files = [Path(a).resolve() for a in sys.argv[1:]] or sorted(HERE.glob("corpus/*.eml"))
    same = 0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.chmod(work, 0o755)
        (work / "run").mkdir()
        (work / "dovecot.conf").write_text(CONFIG.format(d=work, uid=UID))
        for eml in files:
            mine = ours(eml)
            theirs = dovecot(work, eml)
            for what, a, b in zip(("ENVELOPE", "BODYSTRUCTURE", "BODY"), mine, theirs):
                a_cmp, b_cmp = a.replace("\r\n", "\n"), b
                if a_cmp == b_cmp:
                    same += 1
                else:
                    print(f"{eml.name} {what}\n  mxlab:   {a_cmp}\n  dovecot: {b_cmp}")
    print(f"{same} of {3 * len(files)} answers as Dovecot's")


if __name__ == "__main__":
    main()
