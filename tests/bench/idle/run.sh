#!/usr/bin/env bash
# RSS per idle connection, POP3 and IMAP, plaintext and TLS: mxlab and Dovecot's login processes in
# high-performance mode (issue 14, item 6; IMAP: issue 15, item 5).
#
#   tests/bench/idle/run.sh                        # build/appliance/mxlab and Dovecot: 5,000 POP3, 10,000 IMAP each way
#   MXLAB=/path/to/mxlab CONNECTIONS=2000 IMAP_CONNECTIONS=2000 tests/bench/idle/run.sh
#   PROTOCOLS=imap tests/bench/idle/run.sh         # IMAP alone (PROTOCOLS=pop3: POP3 alone)
#   DOVECOT=0 tests/bench/idle/run.sh              # mxlab alone
#   DOVECOT_ONLY=1 tests/bench/idle/run.sh         # Dovecot alone
#
# Run as root (Dovecot's master starts as root); needs dovecot-pop3d and
# dovecot-imapd, openssl and python3. Talks only to 127.0.0.1 on free high
# ports, with throwaway configs in a temporary folder, and ends every process
# it started, by PID.
#
# For each server, protocol and mode — POP3: plaintext on the POP3 port, TLS
# from the first byte on the POP3S port, CONNECTIONS (5,000) connections; IMAP:
# plaintext on the IMAP port, and TLS after STARTTLS on the same port,
# IMAP_CONNECTIONS (10,000) — drive.py opens the connections, reads each
# greeting (and with STARTTLS its OK and the handshake) and holds them silent.
# The server's RSS (VmRSS in /proc/PID/status; for Dovecot the pop3-login or
# imap-login processes that hold the clients) is read after a warm-up of 20
# connections and again with all held; the difference over the connections is
# the figure. A fresh server for each mode. Bars for mxlab: <= 16 KB
# plaintext, <= 64 KB TLS.
#
# Dovecot: pop3-login and imap-login in high-performance mode (service_count =
# 0, one process each, started ahead), its own base_dir, a self-signed
# certificate, passwd-file auth. Their client_limit is 3 x the connections:
# the master sizes a login process's descriptor limit from it, and Dovecot 2.3
# proxies each TLS client through a socket pair (three descriptors). Where
# that is above the hard limit on open files (less 1,000), as 10,000 IMAP
# clients are above 20,000, the clients are spread over as many login
# processes as it takes (process_limit = process_min_avail), and their RSS is
# summed. Their vsz_limit (256 MB by default) is 4 GB: 5,000 TLS clients do
# not fit in 256.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
MXLAB=${MXLAB:-$ROOT/build/appliance/mxlab}
CONNECTIONS=${CONNECTIONS:-5000}             # POP3's
IMAP_CONNECTIONS=${IMAP_CONNECTIONS:-10000}
PROTOCOLS=${PROTOCOLS:-pop3 imap}
DOVECOT=${DOVECOT:-1}
DOVECOT_ONLY=${DOVECOT_ONLY:-0}
PORT_TIMEOUT=${PORT_TIMEOUT:-30}
KEEP=${KEEP:-0}
MXLAB_LOG_LEVEL=${MXLAB_LOG_LEVEL:-warn}
HOST=127.0.0.1
CORES=$(nproc)

# shellcheck source=../proc.sh
source "$HERE/../proc.sh"
need_tools python3 openssl
for proto in $PROTOCOLS; do
  case "$proto" in pop3|imap) ;; *) echo "run.sh: PROTOCOLS holds pop3 and/or imap, not $proto" >&2; exit 1 ;; esac
done
[ "$DOVECOT_ONLY" = 1 ] || [ -x "$MXLAB" ] || { echo "run.sh: no mxlab at $MXLAB (build it, or set MXLAB)" >&2; exit 1; }
PATH=$PATH:/usr/sbin

connections() { if [ "$1" = imap ]; then echo "$IMAP_CONNECTIONS"; else echo "$CONNECTIONS"; fi; }  # PROTO
MOST=0
for proto in $PROTOCOLS; do [ "$(connections "$proto")" -le "$MOST" ] || MOST=$(connections "$proto"); done

# Each connection is a descriptor on both sides: the driver and the servers inherit this. Dovecot's
# login processes, which need three a TLS client, are as many as it takes to stay below it.
NEED=$((MOST + 1000))
HARD=$(ulimit -Hn)
[ "$HARD" != unlimited ] || HARD=1048576
if [ "$HARD" -lt "$NEED" ]; then
  echo "run.sh: the hard limit on open files ($HARD) is below $NEED; raise it (ulimit -Hn, limits.conf)" >&2; exit 1
fi
ulimit -n "$(ulimit -Hn)"
FDS=$((HARD - 1000))  # what one Dovecot login process may take

WORK=$(mktemp -d /tmp/mxlab-bench-idle.XXXXXX)
chmod 711 "$WORK"
PIDS=()
trap_exit cleanup

use() {  # PROTO: the driver for it (DRIVE, which serve_waiting uses too)
  DRIVE=(python3 "$HERE/drive.py")
  [ "$1" != imap ] || DRIVE+=(--imap)
}
use pop3

rss_kb() {  # PID...: the sum of their VmRSS
  local p
  for p in "$@"; do cat "/proc/$p/status"; done | awk '/^VmRSS:/ { kb += $2 } END { print kb + 0 }'
}
ROW='%-8s %-5s %-9s %11s %10s %10s %12s\n'

# measure NAME PROTO MODE PORT PID-COMMAND: one row; MODE plaintext, tls or starttls; PID-COMMAND prints the PIDs
# whose RSS counts
measure() {
  local name=$1 proto=$2 mode=$3 port=$4 who=$5 pid before after fifo out n flag=() per
  n=$(connections "$proto")
  [ "$mode" = plaintext ] || flag=(--"$mode")
  use "$proto"
  fifo=$WORK/hold.$name.$proto.$mode
  mkfifo "$fifo"
  # warm-up: the threads' first allocations are not a connection's
  "${DRIVE[@]}" hold "$port" 20 "${flag[@]}" < /dev/null > /dev/null
  sleep 0.5
  pid=$($who)
  # shellcheck disable=SC2086  # one word per PID
  before=$(rss_kb $pid)
  out=$WORK/hold.$name.$proto.$mode.out
  "${DRIVE[@]}" hold "$port" "$n" "${flag[@]}" < "$fifo" > "$out" 2>&1 &
  local driver=$!
  PIDS+=("$driver")
  exec 3> "$fifo"  # held open: the driver keeps its connections until this closes
  local i
  for ((i = 0; i < 900; i++)); do
    grep -q '^held' "$out" 2>/dev/null && break
    kill -0 "$driver" 2>/dev/null || break
    sleep 0.2
  done
  if ! grep -q '^held' "$out"; then
    echo "run.sh: $name ($proto $mode): $(one_line "$out")" >&2
    exec 3>&-; return 1
  fi
  sleep 1
  pid=$($who)
  # shellcheck disable=SC2086
  after=$(rss_kb $pid)
  exec 3>&-
  wait "$driver" || true
  per=$(awk -v a="$after" -v b="$before" -v n="$n" 'BEGIN { printf "%.1f", (a - b) / n }')
  # shellcheck disable=SC2059  # ROW is the format
  printf "$ROW" "$name" "$proto" "$mode" "$n" "$before" "$after" "$per"
  RESULT["$name/$proto/$mode"]=$per
  sleep 1  # the server closes the connections
}

declare -A RESULT=()
ports() {  # POP3 POP3S IMAP: where the protocols measured listen, for the header
  local proto out=""
  for proto in $PROTOCOLS; do
    out+="${out:+, }"
    if [ "$proto" = pop3 ]; then out+="pop3 on $HOST:$1, pop3s on $HOST:$2"; else out+="imap (STARTTLS) on $HOST:$3"; fi
  done
  echo "$out"
}
modes() { if [ "$1" = imap ]; then echo plaintext starttls; else echo plaintext tls; fi; }  # PROTO

echo "== idle connections held silent after the greeting: POP3 $CONNECTIONS, IMAP $IMAP_CONNECTIONS" \
     "($PROTOCOLS); machine: $(machine_note)"
# shellcheck disable=SC2059
printf "$ROW" server proto mode connections "RSS before" "RSS after" "KB per conn"
STATUS=0

# --- mxlab ---
if [ "$DOVECOT_ONLY" != 1 ]; then
  MX=$WORK/mxlab
  mkdir -p "$MX/data"
  MX_POP3=$(free_port)
  MX_POP3S=$(free_port)
  MX_IMAP=$(free_port)
  while [ "$MX_POP3S" = "$MX_POP3" ]; do MX_POP3S=$(free_port); done
  while [ "$MX_IMAP" = "$MX_POP3" ] || [ "$MX_IMAP" = "$MX_POP3S" ]; do MX_IMAP=$(free_port); done
  imap=false
  case " $PROTOCOLS " in *" imap "*) imap=true ;; esac
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
imap = $imap
web = false

[ports]
pop3 = $MX_POP3
pop3s = $MX_POP3S
imap = $MX_IMAP
imaps = 0

[limits]
pop3_connections = $((CONNECTIONS + 100))
imap_connections = $((IMAP_CONNECTIONS + 100))
connections_per_client = $((MOST + 100))

[[domain]]
name = "sina.com"
[domain.users]
bob = "bob123"
TOML
  echo "mxlab: $MXLAB ($("$MXLAB" version 2>/dev/null || echo '?')), $(ports "$MX_POP3" "$MX_POP3S" "$MX_IMAP")"
  # A fresh server for each mode: memory freed by the first mode's connections would make the second look cheap.
  start_mxlab() {  # PROTO: started, waited for on that protocol's port
    local port=$MX_POP3
    [ "$1" != imap ] || port=$MX_IMAP
    rm -rf "$MX/data"; mkdir -p "$MX/data"
    use "$1"
    serve_mxlab "$MX" "$port" "FAILED to start" "no $1 greeting on port $port within $PORT_TIMEOUT s" || return 1
    MX_PID=$SERVER_PID
  }
  mx_pid() { echo "$MX_PID"; }
  for proto in $PROTOCOLS; do
    for mode in $(modes "$proto"); do
      port=$MX_POP3
      [ "$proto/$mode" != pop3/tls ] || port=$MX_POP3S
      [ "$proto" != imap ] || port=$MX_IMAP
      if ! start_mxlab "$proto"; then STATUS=1; continue; fi
      measure mxlab "$proto" "$mode" "$port" mx_pid || STATUS=1
      stop_tree "$MX_PID"
    done
  done
fi

# --- Dovecot ---
if [ "$DOVECOT" = 1 ]; then
  need_tools dovecot doveconf
  for proto in $PROTOCOLS; do
    [ -x "/usr/lib/dovecot/$proto-login" ] || { echo "run.sh: Dovecot's $proto-login is missing (dovecot-${proto}d)" >&2; exit 1; }
  done
  DV=$WORK/dovecot
  mkdir -p "$DV"
  DV_POP3=$(free_port)
  DV_POP3S=$(free_port)
  DV_IMAP=$(free_port)
  while [ "$DV_POP3S" = "$DV_POP3" ]; do DV_POP3S=$(free_port); done
  while [ "$DV_IMAP" = "$DV_POP3" ] || [ "$DV_IMAP" = "$DV_POP3S" ]; do DV_IMAP=$(free_port); done
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mail.sina.com \
    -keyout "$DV/key.pem" -out "$DV/cert.pem" > /dev/null 2>&1
  chmod 644 "$DV/cert.pem" "$DV/key.pem"
  echo 'bob@sina.com:{PLAIN}bob123::::::' > "$DV/users"
  chmod 644 "$DV/users"
  login_procs() {  # PROTO: how many login processes its connections need, three descriptors a TLS client
    echo $(((3 * $(connections "$1") + 100 + FDS - 1) / FDS))
  }
  login_service() {  # PROTO PORT [TLS-PORT]: its login service in high-performance mode, for PROTO's connections
    local procs limit
    procs=$(login_procs "$1")
    limit=$(((3 * $(connections "$1") + 100 + procs - 1) / procs))
    echo "service $1-login {"
    printf '  inet_listener %s {\n    address = %s\n    port = %s\n  }\n' "$1" "$HOST" "$2"
    if [ -n "${3:-}" ]; then
      printf '  inet_listener %ss {\n    address = %s\n    port = %s\n    ssl = yes\n  }\n' "$1" "$HOST" "$3"
    else
      printf '  inet_listener %ss {\n    port = 0\n  }\n' "$1"
    fi
    printf '  service_count = 0\n  process_min_avail = %s\n  process_limit = %s\n  client_limit = %s\n' \
      "$procs" "$procs" "$limit"
    printf '  vsz_limit = 4G\n}\n'
  }
  {
    dovecot_conf_head idle "$PROTOCOLS"
    cat <<CONF
ssl = yes
ssl_cert = <$DV/cert.pem
ssl_key = <$DV/key.pem
mail_location = maildir:/nonexistent
userdb {
  driver = static
  args = uid=5000 gid=5000 home=/nonexistent
}
default_client_limit = $(((3 * MOST + 100) < FDS ? 3 * MOST + 100 : FDS))
CONF
    for proto in $PROTOCOLS; do
      if [ "$proto" = pop3 ]; then login_service pop3 "$DV_POP3" "$DV_POP3S"; else login_service imap "$DV_IMAP"; fi
    done
  } > "$DV/dovecot.conf"
  chmod 644 "$DV/dovecot.conf"
  doveconf -c "$DV/dovecot.conf" -n > "$DV/doveconf.out" 2>&1 \
    || { echo "run.sh: doveconf rejects the config: $(one_line "$DV/doveconf.out")" >&2; exit 1; }
  echo "peer: Dovecot $(dovecot --version | cut -d' ' -f1), login processes in high-performance mode" \
       "(service_count = 0, client_limit = 3 x the connections + 100 over process_min_avail = process_limit =" \
       "$(for proto in $PROTOCOLS; do printf '%s for %s-login, ' "$(login_procs "$proto")" "$proto"; done)vsz_limit = 4G)," \
       "$(ports "$DV_POP3" "$DV_POP3S" "$DV_IMAP")"
  start_dovecot() {  # PROTO: started, waited for on that protocol's port
    local port=$DV_POP3
    [ "$1" != imap ] || port=$DV_IMAP
    use "$1"
    if ! serve_waiting "$DV/dovecot.out" "$port" dovecot -F -c "$DV/dovecot.conf"; then
      echo "run.sh: Dovecot did not answer: $(one_line "$DV/dovecot.out") $(one_line "$DV/dovecot.log")" >&2; exit 1
    fi
    DV_PID=$SERVER_PID
  }
  dv_login_pids() {  # the $LOGIN processes (pop3-login or imap-login)
    local p
    for p in $(descendants "$DV_PID"); do
      [ "$(cat "/proc/$p/comm" 2>/dev/null)" != "$LOGIN" ] || echo "$p"
    done
  }
  for proto in $PROTOCOLS; do
    LOGIN=$proto-login
    for mode in $(modes "$proto"); do
      port=$DV_POP3
      [ "$proto/$mode" != pop3/tls ] || port=$DV_POP3S
      [ "$proto" != imap ] || port=$DV_IMAP
      start_dovecot "$proto"
      measure Dovecot "$proto" "$mode" "$port" dv_login_pids || STATUS=1
      stop_tree "$DV_PID"
    done
  done
fi

echo
for proto in $PROTOCOLS; do
  for mode in $(modes "$proto"); do
    bar=64
    [ "$mode" != plaintext ] || bar=16
    mx=${RESULT[mxlab/$proto/$mode]:-n/a}
    printf '%-22s %6s KB per connection, Dovecot'\''s %s-login %s KB: ratio %s (bar for mxlab <= %s KB: %s)\n' \
      "mxlab $proto $mode:" "$mx" "$proto" "${RESULT[Dovecot/$proto/$mode]:-n/a}" \
      "$(ratio_x "$(ratio "$mx" "${RESULT[Dovecot/$proto/$mode]:-n/a}")")" "$bar" "$(verdict "$mx" "<=" "$bar")"
  done
done
exit "$STATUS"
