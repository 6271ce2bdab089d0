#!/usr/bin/env bash
# RSS per idle POP3 connection, plaintext and TLS: mxlab and Dovecot's pop3-login in high-performance mode (issue 14, item 6).
#
#   tests/bench/idle/run.sh                        # build/appliance/mxlab and Dovecot, 5,000 connections each way
#   MXLAB=/path/to/mxlab CONNECTIONS=2000 tests/bench/idle/run.sh
#   DOVECOT=0 tests/bench/idle/run.sh              # mxlab alone
#
# Run as root (Dovecot's master starts as root); needs dovecot-pop3d,
# openssl and python3. Talks only to 127.0.0.1 on free high ports, with
# throwaway configs in a temporary folder, and ends every process it started,
# by PID.
#
# For each server and mode (plaintext on the POP3 port; TLS from the first
# byte on the POP3S port), drive.py opens CONNECTIONS connections, reads each
# greeting and holds them silent. The server's RSS (VmRSS in /proc/PID/status;
# for Dovecot the pop3-login process that holds the clients) is read after a
# warm-up of 20 connections and again with all held; the difference over
# CONNECTIONS is the figure. Bars for mxlab: <= 16 KB plaintext, <= 64 KB TLS.
#
# Dovecot: pop3-login in high-performance mode (service_count = 0, one
# process, process_min_avail = 1), its own base_dir, a self-signed
# certificate, passwd-file auth. Its client_limit is 3 x CONNECTIONS: the
# master sizes the login process's descriptor limit from it, and Dovecot 2.3
# proxies each TLS client through a socket pair (three descriptors). Its
# vsz_limit (256 MB by default) is 4 GB: 5,000 TLS clients do not fit in 256.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
MXLAB=${MXLAB:-$ROOT/build/appliance/mxlab}
CONNECTIONS=${CONNECTIONS:-5000}
DOVECOT=${DOVECOT:-1}
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
PATH=$PATH:/usr/sbin

# Each connection is a descriptor on both sides: the driver and the servers inherit this.
NEED=$((3 * CONNECTIONS + 1000))
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt "$NEED" ]; then
  echo "run.sh: the hard limit on open files ($(ulimit -Hn)) is below $NEED; raise it (ulimit -Hn, limits.conf)" >&2; exit 1
fi
ulimit -n "$(ulimit -Hn)"

WORK=$(mktemp -d /tmp/mxlab-bench-idle.XXXXXX)
chmod 711 "$WORK"
PIDS=()
trap_exit cleanup

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# measure NAME MODE PORT PID-COMMAND: one row; MODE plaintext or tls; PID-COMMAND prints the PID whose RSS counts
measure() {
  local name=$1 tls=$2 port=$3 who=$4 pid before after fifo out
  fifo=$WORK/hold.$name.$tls
  mkfifo "$fifo"
  # warm-up: the threads' first allocations are not a connection's
  "${DRIVE[@]}" hold "$port" 20 $([ "$tls" = tls ] && echo --tls) < /dev/null > /dev/null
  sleep 0.5
  pid=$($who)
  before=$(rss_kb "$pid")
  out=$WORK/hold.$name.$tls.out
  "${DRIVE[@]}" hold "$port" "$CONNECTIONS" $([ "$tls" = tls ] && echo --tls) < "$fifo" > "$out" 2>&1 &
  local driver=$!
  PIDS+=("$driver")
  exec 3> "$fifo"  # held open: the driver keeps its connections until this closes
  local i
  for ((i = 0; i < 600; i++)); do
    grep -q '^held' "$out" 2>/dev/null && break
    kill -0 "$driver" 2>/dev/null || break
    sleep 0.2
  done
  if ! grep -q '^held' "$out"; then
    echo "run.sh: $name ($tls): $(one_line "$out")" >&2
    exec 3>&-; return 1
  fi
  sleep 1
  pid=$($who)
  after=$(rss_kb "$pid")
  exec 3>&-
  wait "$driver" || true
  printf '%-8s %-9s %11s %10s %10s %12s\n' "$name" "$tls" "$CONNECTIONS" "$before" "$after" \
    "$(awk -v a="$after" -v b="$before" -v n="$CONNECTIONS" 'BEGIN { printf "%.1f", (a - b) / n }')"
  RESULT["$name/$tls"]=$(awk -v a="$after" -v b="$before" -v n="$CONNECTIONS" 'BEGIN { printf "%.1f", (a - b) / n }')
  sleep 1  # the server closes the connections
}

declare -A RESULT=()

# --- mxlab ---
MX=$WORK/mxlab
mkdir -p "$MX/data"
MX_POP3=$(free_port)
MX_POP3S=$(free_port)
while [ "$MX_POP3S" = "$MX_POP3" ]; do MX_POP3S=$(free_port); done
cat > "$MX/mxlab.toml" <<TOML
[appliance]
hostname  = "mail.sina.com"
addresses = ["127.0.0.1"]
listen    = ["$HOST"]
data_dir  = "$MX/data"
log_level = "$MXLAB_LOG_LEVEL"

[services]
dns = false
smtp = false
submission = false
pop3 = true
imap = false
web = false

[ports]
pop3 = $MX_POP3
pop3s = $MX_POP3S

[limits]
pop3_connections = $((CONNECTIONS + 100))
connections_per_client = $((CONNECTIONS + 100))

[[domain]]
name = "sina.com"
[domain.users]
bob = "bob123"
TOML

echo "== idle POP3 connections: $CONNECTIONS held silent after the greeting; machine: $(machine_note)"
echo "mxlab: $MXLAB ($("$MXLAB" version 2>/dev/null || echo '?')), pop3 on $HOST:$MX_POP3, pop3s on $HOST:$MX_POP3S"
# A fresh server for each mode: memory freed by the first mode's connections would make the second look cheap.
start_mxlab() {
  rm -rf "$MX/data"; mkdir -p "$MX/data"
  serve_mxlab "$MX" "$MX_POP3" "FAILED to start" "no POP3 greeting on port $MX_POP3 within $PORT_TIMEOUT s" || exit 1
  MX_PID=$SERVER_PID
}
mx_pid() { echo "$MX_PID"; }
printf '%-8s %-9s %11s %10s %10s %12s\n' server mode connections "RSS before" "RSS after" "KB per conn"
STATUS=0
start_mxlab
measure mxlab plaintext "$MX_POP3" mx_pid || STATUS=1
stop_tree "$MX_PID"
start_mxlab
measure mxlab tls "$MX_POP3S" mx_pid || STATUS=1
stop_tree "$MX_PID"

# --- Dovecot ---
if [ "$DOVECOT" = 1 ]; then
  need_tools dovecot doveconf
  DV=$WORK/dovecot
  mkdir -p "$DV"
  DV_POP3=$(free_port)
  DV_POP3S=$(free_port)
  while [ "$DV_POP3S" = "$DV_POP3" ]; do DV_POP3S=$(free_port); done
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mail.sina.com \
    -keyout "$DV/key.pem" -out "$DV/cert.pem" > /dev/null 2>&1
  chmod 644 "$DV/cert.pem" "$DV/key.pem"
  echo 'bob@sina.com:{PLAIN}bob123::::::' > "$DV/users"
  chmod 644 "$DV/users"
  cat > "$DV/dovecot.conf" <<CONF
# A Dovecot instance for tests/bench/idle/run.sh only (made by the script, removed after).
protocols = pop3
listen = $HOST
base_dir = $DV/run
state_dir = $DV/state
instance_name = mxlab-bench-idle
log_path = $DV/dovecot.log
ssl = yes
ssl_cert = <$DV/cert.pem
ssl_key = <$DV/key.pem
disable_plaintext_auth = no
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
mail_location = maildir:/nonexistent
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DV/users
}
userdb {
  driver = static
  args = uid=5000 gid=5000 home=/nonexistent
}
default_client_limit = $((3 * CONNECTIONS + 100))
service pop3-login {
  inet_listener pop3 {
    address = $HOST
    port = $DV_POP3
  }
  inet_listener pop3s {
    address = $HOST
    port = $DV_POP3S
    ssl = yes
  }
  service_count = 0
  process_min_avail = 1
  process_limit = 1
  client_limit = $((3 * CONNECTIONS + 100))
  vsz_limit = 4G
}
CONF
  chmod 644 "$DV/dovecot.conf"
  doveconf -c "$DV/dovecot.conf" -n > "$DV/doveconf.out" 2>&1 \
    || { echo "run.sh: doveconf rejects the config: $(one_line "$DV/doveconf.out")" >&2; exit 1; }
  echo "peer: Dovecot $(dovecot --version | cut -d' ' -f1), pop3-login in high-performance mode (service_count = 0," \
       "process_min_avail = 1, process_limit = 1, client_limit = $((3 * CONNECTIONS + 100)), vsz_limit = 4G), pop3 on $HOST:$DV_POP3, pop3s on $HOST:$DV_POP3S"
  start_dovecot() {
    if ! serve_waiting "$DV/dovecot.out" "$DV_POP3" dovecot -F -c "$DV/dovecot.conf"; then
      echo "run.sh: Dovecot did not answer: $(one_line "$DV/dovecot.out") $(one_line "$DV/dovecot.log")" >&2; exit 1
    fi
    DV_PID=$SERVER_PID
  }
  dv_login_pid() {  # the pop3-login process (one, in this mode)
    local p
    for p in $(descendants "$DV_PID"); do
      [ "$(cat "/proc/$p/comm" 2>/dev/null)" = pop3-login ] && { echo "$p"; return; }
    done
  }
  start_dovecot
  measure Dovecot plaintext "$DV_POP3" dv_login_pid || STATUS=1
  stop_tree "$DV_PID"
  start_dovecot
  measure Dovecot tls "$DV_POP3S" dv_login_pid || STATUS=1
  stop_tree "$DV_PID"
fi

echo
bar() { awk -v v="$1" -v b="$2" 'BEGIN { if (v == "") print "n/a"; else if (v + 0 <= b) print "PASS"; else print "FAIL" }'; }
echo "mxlab plaintext: ${RESULT[mxlab/plaintext]:-n/a} KB per connection (bar <= 16: $(bar "${RESULT[mxlab/plaintext]:-}" 16))"
echo "mxlab TLS:       ${RESULT[mxlab/tls]:-n/a} KB per connection (bar <= 64: $(bar "${RESULT[mxlab/tls]:-}" 64))"
exit "$STATUS"
