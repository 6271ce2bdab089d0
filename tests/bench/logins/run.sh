#!/usr/bin/env bash
# Store read latency while a burst of POP3 logins checks SHA512-CRYPT passwords (issue 14, item 8).
#
#   tests/bench/logins/run.sh                                  # build/appliance/mxlab
#   MXLAB=/path/to/mxlab BURST=40 SECONDS_EACH=5 tests/bench/logins/run.sh
#
# Starts mxlab (SMTP and POP3 on 127.0.0.1 high ports, a temporary data_dir)
# with BURST users whose passwords are SHA512-CRYPT hashes (5,000 rounds,
# Dovecot's and mkpasswd's default) and one reader with a plain one. The
# reader, logged in, does RETR 1 (a store read) in a loop: SECONDS_EACH
# seconds alone, then as long while BURST clients log in over and over.
# Prints the RETR latencies (ms) of both phases. When the password checks
# share the store's read threads, the burst phase's RETR waits behind them.
# Talks only to 127.0.0.1 and ends every process it started, by PID.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
MXLAB=${MXLAB:-$ROOT/build/appliance/mxlab}
BURST=${BURST:-40}
SECONDS_EACH=${SECONDS_EACH:-5}
PORT_TIMEOUT=${PORT_TIMEOUT:-30}
KEEP=${KEEP:-0}
MXLAB_LOG_LEVEL=${MXLAB_LOG_LEVEL:-warn}
HOST=127.0.0.1
CORES=$(nproc)
DRIVE=(python3 "$HERE/drive.py")

# shellcheck source=../proc.sh
source "$HERE/../proc.sh"
need_tools python3 openssl
[ -x "$MXLAB" ] || { echo "run.sh: no mxlab at $MXLAB (build it, or set MXLAB)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/mxlab-bench-logins.XXXXXX)
PIDS=()
trap_exit cleanup

SMTP=$(free_port)
POP3=$(free_port)
while [ "$POP3" = "$SMTP" ]; do POP3=$(free_port); done
HASH=$(openssl passwd -6 -salt benchsalt0123456 burst123)
mkdir -p "$WORK/data"
{
  mxlab_toml "$WORK/data" "$SMTP" "$POP3"
  echo 'reader = "reader123"'
  for ((k = 1; k <= BURST; k++)); do echo "burst$k = \"{SHA512-CRYPT}$HASH\""; done
} > "$WORK/mxlab.toml"

echo "== store reads during a burst of logins: $MXLAB ($("$MXLAB" version 2>/dev/null || echo '?'))"
echo "   $BURST clients logging in again and again (SHA512-CRYPT, 5000 rounds); one logged-in client's RETR 1 (4 KB);" \
     "$SECONDS_EACH s each phase; machine: $(machine_note)"
serve_mxlab "$WORK" "$POP3" "FAILED to start" "no POP3 greeting on port $POP3 within $PORT_TIMEOUT s" || exit 1
"${DRIVE[@]}" deliver "$SMTP"
"${DRIVE[@]}" measure "$POP3" --burst "$BURST" --seconds "$SECONDS_EACH" | sed 's/^/   /'
