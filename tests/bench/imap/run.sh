#!/usr/bin/env bash
# IMAP benchmark: mxlab against Dovecot on loopback, same mailboxes, same load (issue 15, item 5; DESIGN.md section 7).
#
# README snippet:
#
#   ### IMAP benchmark (tests/bench/imap/run.sh)
#
#   Runs by hand as root, not by ctest (about 3 min); talks only to 127.0.0.1
#   and ends every process it started. Needs dovecot-imapd (and so
#   dovecot-core: Debian's Dovecot 2.3) and python3 (packaging/install-deps.sh
#   test); the system's own Dovecot need not run and is not touched.
#
#       tests/bench/imap/run.sh                     # Dovecot and mxlab, alternating rounds, then QRESYNC
#       MXLAB=build/appliance/mxlab CLIENTS=40 DURATION=20 ROUNDS=5 tests/bench/imap/run.sh
#       DOVECOT_ONLY=1 tests/bench/imap/run.sh      # the peer's half alone
#       DOVECOT_SET='mail_location = mdbox:~/mdbox; mail_fsync = always' \
#         DOVECOT_ONLY=1 tests/bench/imap/run.sh    # try other Dovecot settings
#       DURATION=3 ROUNDS=1 RESYNC=0 KEEP=1 tests/bench/imap/run.sh  # a quick look; the work folder kept
#
#   Both servers hold the same mailboxes: USERS (= CLIENTS, 20) users
#   user1@sina.com .. userN@sina.com, password "pass", each with MESSAGES (50)
#   messages of SIZE (4,096) bytes of body, and resync@sina.com with
#   RESYNC_MESSAGES (10,000) of RESYNC_SIZE (200) bytes. Both get them the same
#   way, the same bytes: IMAP APPEND to INBOX, windows of 64 with LITERAL+
#   (drive.py fill). MXLAB_FILL=smtp fills mxlab over SMTP instead (each
#   message then has its Received: header). EXAMINE (EXISTS and the sum of
#   RFC822.SIZE) is checked for every user on both servers before any timing.
#
#   The load (drive.py run, the same for both): CLIENTS clients, client K always
#   logging in as userK, spread over PROCS (2) driver processes, each one epoll
#   loop. A client, again and again for DURATION (10) s: connect, greeting,
#   LOGIN, SELECT INBOX, FETCH 1:* (FLAGS RFC822.SIZE ENVELOPE), FETCH m
#   BODY.PEEK[], STORE m +FLAGS (\Flagged), STORE m -FLAGS (\Flagged), LOGOUT,
#   close (m one message further each session) — one command per round trip,
#   as a real client sends them. A session counts when LOGOUT's tagged OK
#   arrives within DURATION. A tagged NO or BAD, a short reply, a dropped
#   connection or a reply slower than OP_TIMEOUT (10) s is an error; its dialog
#   is printed, and the script exits 1. Both servers run for the whole script;
#   after a warm-up of WARMUP (2) s each, ROUNDS (3) rounds alternate Dovecot,
#   mxlab, Dovecot, mxlab, ...; the median round's sessions/s is each one's
#   figure. Beside each round: the driver's CPU as a share of the whole machine
#   (all cores) and of one core (near 100%: a driver process is the
#   bottleneck, raise PROCS), and how busy the machine was; after them, the
#   mean time each reply took in the last round, command by command. Bar:
#   mxlab sessions/s >= 2.0x Dovecot's.
#
#   Then QRESYNC (resync.py, RESYNC=0 skips it), on each server in turn,
#   RESYNC_ROUNDS (3) times: a client SELECTs resync@sina.com's INBOX after
#   ENABLE QRESYNC and keeps UIDVALIDITY and HIGHESTMODSEQ; another session
#   sets \Flagged on 60 messages and expunges 40 others (spread over the
#   mailbox); the first client reconnects: LOGIN, ENABLE QRESYNC, SELECT INBOX
#   (QRESYNC (uidvalidity modseq)). It must get the 40 UIDs in VANISHED
#   (EARLIER) and the 60 in FETCH. Its figures: the bytes and milliseconds of
#   that SELECT (the median round's), beside those of the first full SELECT
#   and of the FETCH 1:* (UID FLAGS) a client without QRESYNC would need.
#   Printed for both, with the ratio; no bar.
#
#   Dovecot (Debian's) runs from a temporary config (its own base_dir and
#   state_dir, log to a file, no SSL), with a passwd-file of {PLAIN} passwords
#   and Maildirs under a fixed uid (VUID, 5000), set up for its best speed on
#   this load: login processes in high-performance mode, imap processes reused
#   session after session, enough of both started ahead, an auth cache. Its
#   fsync policy stays its default (mail_fsync = optimized), as mxlab syncs
#   too. `doveconf -n` is printed beside the figures. mxlab runs with only SMTP
#   and IMAP at log_level MXLAB_LOG_LEVEL (info; Dovecot logs each login and
#   logout too), its threads at its own default. A missed bar is reported
#   (FAIL) but the exit status stays 0.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
MXLAB=${MXLAB:-$ROOT/build/appliance/mxlab}
CLIENTS=${CLIENTS:-20}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-3}
MESSAGES=${MESSAGES:-50}
SIZE=${SIZE:-4096}
PROCS=${PROCS:-2}
OP_TIMEOUT=${OP_TIMEOUT:-10}   # seconds one reply may take before the session is called failed
PORT_TIMEOUT=${PORT_TIMEOUT:-30}
RESYNC=${RESYNC:-1}            # 0: no QRESYNC part (and no 10,000-message mailbox to fill)
RESYNC_MESSAGES=${RESYNC_MESSAGES:-10000}
RESYNC_SIZE=${RESYNC_SIZE:-200}
RESYNC_ROUNDS=${RESYNC_ROUNDS:-3}
MXLAB_FILL=${MXLAB_FILL:-append}  # append or smtp: how mxlab's mailboxes are filled
DOVECOT_ONLY=${DOVECOT_ONLY:-0}
DOVECOT_SET=${DOVECOT_SET:-}   # "name = value; ..." over the settings below; service/NAME/key for a service's
KEEP=${KEEP:-0}                # 1: leave the work folder (configs, mailboxes, logs) for a look
MXLAB_LOG_LEVEL=${MXLAB_LOG_LEVEL:-info}
USERS=$CLIENTS
RESYNC_USER=resync@sina.com
CORES=$(nproc)
HOST=127.0.0.1
VUID=5000                      # owner of Dovecot's Maildirs (no account needed)

# shellcheck source=../proc.sh
source "$HERE/../proc.sh"  # the helpers the bench scripts share

need_tools dovecot doveconf python3
[ -x /usr/lib/dovecot/imap ] || { echo "run.sh: Dovecot's imap is missing (dovecot-imapd)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "run.sh: run as root (Dovecot's master starts as root)" >&2; exit 1; }
if ! id dovecot >/dev/null 2>&1 || ! id dovenull >/dev/null 2>&1; then
  echo "run.sh: the users dovecot and dovenull are missing (dovecot-core makes them)" >&2; exit 1
fi
case "$MXLAB_FILL" in append|smtp) ;; *) echo "run.sh: MXLAB_FILL is append or smtp" >&2; exit 1 ;; esac
PATH=$PATH:/usr/sbin
DRIVE=(python3 "$HERE/drive.py")
RESYNC_PY=(python3 "$HERE/resync.py")

WORK=$(mktemp -d /tmp/mxlab-bench-imap.XXXXXX)
chmod 711 "$WORK"  # Dovecot's unprivileged processes and the mailbox owner must pass through it
PIDS=()            # every process we started ourselves; the trap ends each by PID
DV=$WORK/dovecot   # the Dovecot instance: dovecot.conf, users, run/ (base_dir), state/, mail/, dovecot.log
MX=$WORK/mxlab
trap_exit cleanup  # cleanup (../proc.sh): ends each of PIDS, removes WORK (unless KEEP=1)

declare -A FILLED=()  # NAME -> how long its filling took, for a look
fill() {  # NAME PORT HOW (append or smtp): USERS users' mailboxes, and the resync one; 1 if it failed
  local how=$3 cmd=fill start=$SECONDS
  [ "$how" = append ] || cmd=deliver
  "${DRIVE[@]}" "$cmd" "$2" --users "$USERS" --messages "$MESSAGES" --size "$SIZE" > "$WORK/fill.$1" 2>&1 || return 1
  if [ "$RESYNC" = 1 ]; then
    "${DRIVE[@]}" "$cmd" "$2" --user "$RESYNC_USER" --messages "$RESYNC_MESSAGES" --size "$RESYNC_SIZE" \
      >> "$WORK/fill.$1" 2>&1 || return 1
  fi
  FILLED[$1]="$((SECONDS - start)) s"
}

# --- Dovecot ---------------------------------------------------------------------
# The settings that matter for its speed on this load (service/NAME/key is key inside "service NAME { }").
DV_TUNING=(
  "service/imap-login/service_count = 0"            # high-performance mode: a login process serves many clients
  "service/imap-login/process_min_avail = $CORES"   # one login process per core, started ahead
  "service/imap/service_count = 0"                  # an imap process serves session after session (one uid for all)
  "service/imap/process_min_avail = $CLIENTS"       # and one is idle, ready, for each client
  "service/imap/process_limit = $((CLIENTS * 4))"   # room for them all, far above the load
  "auth_cache_size = 1M"                            # a login after the first is answered from the cache
  "maildir_very_dirty_syncs = yes"                  # only Dovecot touches the Maildirs: no scan of cur/ each SELECT
  "service/auth/client_limit = 4096"                # above what the process limits may need (doveconf checks it)
)

dovecot_setup() {  # PORT: dovecot.conf and the passwd-file in $DV
  local port=$1 line k sets
  mkdir -p "$DV/mail"
  mapfile -t sets < <(settings_list "$DOVECOT_SET")
  DV_TUNING+=("${sets[@]}")
  {
    dovecot_conf_head imap imap
    cat <<EOF
ssl = no
auth_mechanisms = plain login
mail_uid = $VUID
mail_gid = $VUID
mail_location = maildir:~/Maildir
userdb {
  driver = static
  args = uid=$VUID gid=$VUID home=$DV/mail/%n
}
service imap-login {
  inet_listener imap {
    address = $HOST
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
}
EOF
    for line in "${DV_TUNING[@]}"; do conf_line "$line"; done
  } > "$DV/dovecot.conf"
  {
    for ((k = 1; k <= USERS; k++)); do echo "user$k@sina.com:{PLAIN}pass::::::"; done
    echo "$RESYNC_USER:{PLAIN}pass::::::"
  } > "$DV/users"
  chmod 644 "$DV/dovecot.conf" "$DV/users"
  chown "$VUID:$VUID" "$DV/mail"
  doveconf -c "$DV/dovecot.conf" -n > "$DV/doveconf.out" 2>&1 \
    || { echo "run.sh: doveconf rejects the config:" >&2; cat "$DV/doveconf.out" >&2; exit 1; }
  if grep -q -i 'warning' "$DV/doveconf.out"; then grep -i warning "$DV/doveconf.out" | sed 's/^/run.sh: /' >&2; fi
}

dovecot_settings() {  # doveconf -n (all that differs from the defaults), then a few defaults that matter here
  grep -v -E '^#|^$' "$DV/doveconf.out" | tr -s ' ' | awk '
    /\{$/ { block = block $0 " "; depth++; next }
    /^ ?\}$/ { if (--depth == 0) { print block "}"; block = "" } else block = block "} "; next }
    { if (depth) block = block $0 "; "; else print }' | sed 's/ ; /; /g; s/  */ /g' | settings_lines
  echo "      defaults kept: $(doveconf -c "$DV/dovecot.conf" mail_fsync mmap_disable mail_nfs_index \
    mailbox_list_index | paste -sd, - | sed 's/,/, /g')"
}

DV_PORT=
start_dovecot() {  # -> DV_PORT and DV_PID, or exit 1
  DV_PORT=$(free_port)
  dovecot_setup "$DV_PORT"
  echo "peer: Dovecot $(dovecot --version | cut -d' ' -f1) (Debian) with its own base_dir and config, imap on 127.0.0.1:$DV_PORT,"
  echo "      its doveconf -n:"
  dovecot_settings
  if ! serve_waiting "$DV/dovecot.out" "$DV_PORT" dovecot -F -c "$DV/dovecot.conf"; then
    echo "run.sh: Dovecot did not answer on $HOST:$DV_PORT within $PORT_TIMEOUT s:" \
         "$(one_line "$DV/dovecot.out") $(one_line "$DV/dovecot.log")" >&2
    exit 1
  fi
  DV_PID=$SERVER_PID
  if ! fill Dovecot "$DV_PORT" append; then
    echo "run.sh: filling Dovecot's mailboxes failed: $(one_line "$WORK/fill.Dovecot" 5)" >&2; exit 1
  fi
  echo "      filled by append in ${FILLED[Dovecot]}"
}

# --- mxlab -----------------------------------------------------------------------
mxlab_setup() {  # SMTP-PORT IMAP-PORT: a config with only SMTP and IMAP, and the users
  local smtp=$1 imap=$2 k
  mkdir -p "$MX/data"
  {
    echo "# mxlab for tests/bench/imap/run.sh: SMTP (MXLAB_FILL=smtp) and IMAP on $HOST."
    mxlab_toml "$MX/data" "$smtp" 0 "$imap"
    for ((k = 1; k <= USERS; k++)); do echo "user$k = \"pass\""; done
    echo "${RESYNC_USER%@*} = \"pass\""
  } > "$MX/mxlab.toml"
}

MX_PORT=
start_mxlab() {  # -> MX_PORT and MX_PID, the mailboxes filled; 1 if it failed
  local smtp port
  smtp=$(free_port)
  MX_PORT=$(free_port)
  while [ "$MX_PORT" = "$smtp" ]; do MX_PORT=$(free_port); done
  mxlab_setup "$smtp" "$MX_PORT"
  echo "mxlab: $MXLAB ($("$MXLAB" version 2>/dev/null || echo '?')), imap on 127.0.0.1:$MX_PORT, services: smtp and imap,"
  serve_mxlab "$MX" "$MX_PORT" "FAILED to start" \
    "no IMAP greeting on port $MX_PORT within $PORT_TIMEOUT s — is the IMAP service built?" || return 1
  port=$MX_PORT
  [ "$MXLAB_FILL" = append ] || port=$smtp
  if ! fill mxlab "$port" "$MXLAB_FILL"; then
    echo "mxlab: FAILED to take the messages ($MXLAB_FILL): $(one_line "$WORK/fill.mxlab" 5)"
    stop_tree "$SERVER_PID"; return 1
  fi
  MX_PID=$SERVER_PID
  echo "       filled by $MXLAB_FILL in ${FILLED[mxlab]}, log_level $MXLAB_LOG_LEVEL (a line per login and per logout), threads: its own" \
       "default ($(sed -n 's/.*event=ready.* threads=\([0-9]*\).*/\1/p' "$MX/mxlab.log" | head -1))"
}

# --- the rounds ------------------------------------------------------------------
ROW='%-8s %5s %9s %7s %11s %12s %12s %9s\n'  # name, round, sessions, errors, sessions/s, driver CPU (machine, one core), busy

drive_round() {  # NAME PORT PID SECONDS, for round and warm_up (../proc.sh)
  local name=$1 port=$2 pid=$3 seconds=$4
  kill -0 "$pid" 2>/dev/null || { echo "sessions=0 errors=1 (the server had exited)" > "$WORK/round"; return 1; }
  run_waiting "${DRIVE[@]}" run "$port" --clients "$CLIENTS" --duration "$seconds" --procs "$PROCS" \
    --messages "$MESSAGES" --op-timeout "$OP_TIMEOUT" > "$WORK/round" 2>&1 || return 1
}
declare -A RATES=() DRIVER=() FAILED=() WAITS=()

echo "== IMAP: $CLIENTS clients, each its own user of $USERS, $MESSAGES messages of $SIZE bytes in each INBOX," \
     "LOGIN/SELECT/FETCH 1:* (FLAGS RFC822.SIZE ENVELOPE)/FETCH m BODY.PEEK[]/STORE +FLAGS/STORE -FLAGS/LOGOUT" \
     "per session, 127.0.0.1; machine: $(machine_note)"
echo "load: drive.py run (python3 $(python3 -c 'import platform; print(platform.python_version())'), $PROCS process(es)," \
     "epoll), one command per round trip; warm-up $WARMUP s each, then $ROUNDS rounds of $DURATION s, alternating"

STATUS=0
MX_UP=0
if have_mxlab DOVECOT_ONLY; then
  if start_mxlab; then MX_UP=1; else STATUS=1; FAILED[mxlab]=1; fi
fi
start_dovecot

echo "EXAMINE INBOX, each user:"
check() {  # NAME PORT: 1 if a mailbox is not as written
  local out out2=""
  out=$("${DRIVE[@]}" check "$2" --users "$USERS" --messages "$MESSAGES" 2>&1) || { echo "  $1: FAILED: $out"; return 1; }
  if [ "$RESYNC" = 1 ]; then
    out2=$("${DRIVE[@]}" check "$2" --user "$RESYNC_USER" --messages "$RESYNC_MESSAGES" 2>&1) \
      || { echo "  $1: FAILED: $out2"; return 1; }
    out2="; $out2"
  fi
  printf '  %-8s %s\n' "$1:" "$out$out2"
}
check Dovecot "$DV_PORT" || { echo "run.sh: Dovecot's mailboxes are not as written" >&2; exit 1; }
if [ "$MX_UP" = 1 ] && ! check mxlab "$MX_PORT"; then MX_UP=0; STATUS=1; FAILED[mxlab]=1; fi

warm_up Dovecot "$DV_PORT" "$DV_PID" || true
# A warm-up with errors fails that half, but its rounds still run: their figures help find the cause.
if [ "$MX_UP" = 1 ]; then warm_up mxlab "$MX_PORT" "$MX_PID" || true; fi
echo
printf "$ROW" "" round sessions errors sessions/s "driver CPU" "driver core" busy
for ((r = 1; r <= ROUNDS; r++)); do
  round Dovecot "$DV_PORT" "$DV_PID" "$r"
  if [ "$MX_UP" = 1 ]; then
    round mxlab "$MX_PORT" "$MX_PID" "$r"
    kill -0 "$MX_PID" 2>/dev/null || { echo "mxlab: it exited; log: $(one_line "$MX/mxlab.log" 5)"; MX_UP=0; }
  fi
done

# --- QRESYNC ---------------------------------------------------------------------
declare -A RESYNCED=()
resync() {  # NAME PORT: resync.py's figures in RESYNCED[NAME]; 1 if it failed
  if run_waiting "${RESYNC_PY[@]}" "$2" --user "$RESYNC_USER" --rounds "$RESYNC_ROUNDS" > "$WORK/resync.$1" 2>&1; then
    RESYNCED[$1]=$(tail -1 "$WORK/resync.$1")
  else
    echo "$1: QRESYNC FAILED: $(one_line "$WORK/resync.$1" 5)"; FAILED[$1]=1; return 1
  fi
}
if [ "$RESYNC" = 1 ]; then
  resync Dovecot "$DV_PORT" || true
  if [ "$MX_UP" = 1 ]; then resync mxlab "$MX_PORT" || true; fi
fi

if [ -n "${FAILED[mxlab]:-}" ] && grep -q -E 'level=(warn|error)' "$MX/mxlab.log" 2>/dev/null; then
  echo "mxlab's last warnings and errors: $(grep -E 'level=(warn|error)' "$MX/mxlab.log" | tail -5 | tr '\n' ' ')"
fi

DV_RATE=$(figure Dovecot)
MX_RATE=$(figure mxlab)
echo
printf '%-8s %16s %22s\n' "" "sessions/s" "driver CPU (machine)"
printf '%-8s %16s %22s\n' "" "(median of $ROUNDS)" "(mean of rounds)"
summary Dovecot
[ "$DOVECOT_ONLY" = 1 ] || summary mxlab
[ "$DOVECOT_ONLY" = 1 ] || ratio_bar Dovecot "$MX_RATE" "$DV_RATE" 2.0
echo "mean time of each reply in ms, from the command sent to the reply whole (the last round's):"
for name in Dovecot mxlab; do
  [ -z "${WAITS[$name]:-}" ] || printf '  %-8s %s\n' "$name" "$(sed 's/,/  /g; s/=/ /g' <<< "${WAITS[$name]}")"
done

if [ "$RESYNC" = 1 ]; then
  echo
  echo "QRESYNC: $RESYNC_MESSAGES messages of $RESYNC_SIZE bytes; after 60 flag changes and 40 expunges by another" \
       "session, SELECT INBOX (QRESYNC (uidvalidity modseq)) (median of $RESYNC_ROUNDS):"
  printf '%-8s %15s %13s %20s %24s\n' "" "resync bytes" "resync ms" "full SELECT bytes" "FETCH 1:* (UID FLAGS) bytes"
  for name in Dovecot mxlab; do
    [ -n "${RESYNCED[$name]:-}" ] || continue
    res=${RESYNCED[$name]}
    printf '%-8s %15s %13s %20s %24s   (vanished %s, fetched %s)\n' "$name" "$(field resync_bytes "$res")" \
      "$(field resync_ms "$res")" "$(field select_bytes "$res")" "$(field flags_bytes "$res")" \
      "$(field vanished "$res")" "$(field fetched "$res")"
  done
  if [ -n "${RESYNCED[mxlab]:-}" ] && [ -n "${RESYNCED[Dovecot]:-}" ]; then
    echo "mxlab/Dovecot: bytes $(ratio_x "$(ratio "$(field resync_bytes "${RESYNCED[mxlab]}")" \
      "$(field resync_bytes "${RESYNCED[Dovecot]}")")"), time $(ratio_x "$(ratio \
      "$(field resync_ms "${RESYNCED[mxlab]}")" "$(field resync_ms "${RESYNCED[Dovecot]}")")") (lower is better; no bar)"
  fi
fi
[ -z "${FAILED[Dovecot]:-}" ] || { echo "run.sh: the Dovecot half failed" >&2; STATUS=1; }
[ -z "${FAILED[mxlab]:-}" ] || { echo "run.sh: the mxlab half failed" >&2; STATUS=1; }
exit "$STATUS"
