#!/usr/bin/env bash
# POP3 benchmark: mxlab against Dovecot on loopback, same mailboxes, same load (issue 6, DESIGN.md section 7).
#
# README snippet:
#
#   ### POP3 benchmark (tests/bench/pop3/run.sh)
#
#   Runs by hand as root, not by ctest (about 90 s); talks only to 127.0.0.1
#   and ends every process it started. Needs dovecot-pop3d (and so dovecot-core:
#   Debian's Dovecot 2.3) and python3 (packaging/install-deps.sh test); the
#   system's own Dovecot need not run and is not touched.
#
#       tests/bench/pop3/run.sh                     # Dovecot and mxlab, alternating rounds
#       MXLAB=build/appliance/mxlab CLIENTS=40 DURATION=20 ROUNDS=5 tests/bench/pop3/run.sh
#       DOVECOT_ONLY=1 tests/bench/pop3/run.sh      # the peer's half alone
#       DOVECOT_SET='service/pop3/service_count = 1; mail_fsync = always' \
#         DOVECOT_ONLY=1 tests/bench/pop3/run.sh    # try other Dovecot settings
#       DURATION=3 ROUNDS=1 KEEP=1 tests/bench/pop3/run.sh  # a quick look; the work folder kept
#
#   Both servers hold the same mailboxes: USERS (= CLIENTS, 20) users
#   user1@sina.com .. userN@sina.com, password "pass", each with MESSAGES (10)
#   messages of SIZE (4,096) bytes of body. mxlab gets them over SMTP (so with
#   its Received: header); Dovecot's Maildirs get the very bytes mxlab hands out
#   over POP3, written as files the way Dovecot names its own. STAT is checked
#   for every user on both servers before any timing.
#
#   The load (drive.py run, the same for both): CLIENTS clients, client K always
#   logging in as userK (mxlab answers -ERR [IN-USE] to a second session on a
#   maildrop), spread over PROCS (2) driver processes, each one epoll loop. A
#   client, again and again for DURATION (10) s: connect, greeting, USER, PASS,
#   STAT, RETR 1 (read to the terminating "."), QUIT, close — one command per
#   round trip, as a real client sends them. A session counts when QUIT's +OK
#   arrives within DURATION. Any -ERR, unexpected reply, dropped connection or
#   reply slower than OP_TIMEOUT (10) s is an error; its dialog is printed, and
#   the script exits 1. Both servers run for the whole script; after a warm-up
#   of WARMUP (2) s each, ROUNDS (3) rounds alternate Dovecot, mxlab, Dovecot,
#   mxlab, ...; the median round's sessions/s is each one's figure. Beside each
#   round: the driver's CPU as a share of the whole machine (all cores) and of
#   one core (near 100%: a driver process is the bottleneck, raise PROCS), and
#   how busy the machine was.
#
#   Dovecot (Debian's) runs from a temporary config (its own base_dir and
#   state_dir, log to a file, no SSL), with a passwd-file of {PLAIN} passwords
#   and Maildirs under a fixed uid (VUID, 5000), set up for its best speed on
#   this load (printed beside the figures): login processes in high-performance
#   mode and pop3 processes reused session after session, enough of both
#   started ahead. mxlab runs with only SMTP and POP3 at log_level
#   MXLAB_LOG_LEVEL (info; Dovecot logs each login and logout too), its threads
#   at its own default. Bar: mxlab sessions/s >= 1.0x Dovecot's; a missed bar
#   is reported (FAIL) but the exit status stays 0.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
MXLAB=${MXLAB:-$ROOT/build/appliance/mxlab}
CLIENTS=${CLIENTS:-20}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-3}
MESSAGES=${MESSAGES:-10}
SIZE=${SIZE:-4096}
PROCS=${PROCS:-2}              # driver processes: with 1, both servers got fewer sessions/s in most paired trials
OP_TIMEOUT=${OP_TIMEOUT:-10}   # seconds one reply may take before the session is called failed
PORT_TIMEOUT=${PORT_TIMEOUT:-30}
DOVECOT_ONLY=${DOVECOT_ONLY:-0}
DOVECOT_SET=${DOVECOT_SET:-}   # "name = value; ..." over the settings below; service/NAME/key for a service's
KEEP=${KEEP:-0}                # 1: leave the work folder (configs, mailboxes, logs) for a look
MXLAB_LOG_LEVEL=${MXLAB_LOG_LEVEL:-info}
USERS=$CLIENTS
CORES=$(nproc)
HOST=127.0.0.1
VUID=5000                      # owner of Dovecot's Maildirs (no account needed)

# shellcheck source=../proc.sh
source "$HERE/../proc.sh"  # the helpers the bench scripts share

need_tools dovecot doveconf python3
[ -x /usr/lib/dovecot/pop3 ] || { echo "run.sh: Dovecot's pop3 is missing (dovecot-pop3d)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "run.sh: run as root (Dovecot's master starts as root)" >&2; exit 1; }
if ! id dovecot >/dev/null 2>&1 || ! id dovenull >/dev/null 2>&1; then
  echo "run.sh: the users dovecot and dovenull are missing (dovecot-core makes them)" >&2; exit 1
fi
PATH=$PATH:/usr/sbin
DRIVE=(python3 "$HERE/drive.py")

WORK=$(mktemp -d /tmp/mxlab-bench-pop3.XXXXXX)
chmod 711 "$WORK"  # Dovecot's unprivileged processes and the mailbox owner must pass through it
PIDS=()            # every process we started ourselves; the trap ends each by PID
DV=$WORK/dovecot   # the Dovecot instance: dovecot.conf, users, run/ (base_dir), state/, mail/, dovecot.log
MX=$WORK/mxlab
trap_exit cleanup  # cleanup (../proc.sh): ends each of PIDS, removes WORK (unless KEEP=1)

# --- Dovecot ---------------------------------------------------------------------
# The settings that matter for its speed on this load; printed with the figures.
# service/NAME/key is key inside "service NAME { }".
DV_TUNING=(
  "service/pop3-login/service_count = 0"            # high-performance mode: a login process serves many clients
  "service/pop3-login/process_min_avail = $CORES"   # one login process per core, started ahead
  "service/pop3/service_count = 0"                  # a pop3 process serves session after session (one uid for all)
  "service/pop3/process_min_avail = $CLIENTS"       # and one is idle, ready, for each client
  "maildir_very_dirty_syncs = yes"                  # only Dovecot touches the Maildirs: no scan of cur/ each login
  "service/auth/client_limit = 4096"                # above what the process limits may need (doveconf checks it)
)

dovecot_setup() {  # PORT [MXLAB-POP3-PORT]: dovecot.conf, the passwd-file and the Maildirs in $DV
  local port=$1 like=${2:-} line k sets
  mkdir -p "$DV/mail"
  mapfile -t sets < <(settings_list "$DOVECOT_SET")
  DV_TUNING+=("${sets[@]}")
  {
    dovecot_conf_head pop3 pop3
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
service pop3-login {
  inet_listener pop3 {
    address = $HOST
    port = $port
  }
  inet_listener pop3s {
    port = 0
  }
}
EOF
    for line in "${DV_TUNING[@]}"; do conf_line "$line"; done
  } > "$DV/dovecot.conf"
  for ((k = 1; k <= USERS; k++)); do echo "user$k@sina.com:{PLAIN}pass::::::"; done > "$DV/users"
  chmod 644 "$DV/dovecot.conf" "$DV/users"
  doveconf -c "$DV/dovecot.conf" -n > "$DV/doveconf.out" 2>&1 \
    || { echo "run.sh: doveconf rejects the config:" >&2; cat "$DV/doveconf.out" >&2; exit 1; }
  if grep -q -i 'warning' "$DV/doveconf.out"; then grep -i warning "$DV/doveconf.out" | sed 's/^/run.sh: /' >&2; fi
  if [ -n "$like" ]; then
    "${DRIVE[@]}" maildir "$DV/mail" --users "$USERS" --messages "$MESSAGES" --like "$like"
  else
    "${DRIVE[@]}" maildir "$DV/mail" --users "$USERS" --messages "$MESSAGES" --size "$SIZE"
  fi
  chown -R "$VUID:$VUID" "$DV/mail"
}

dovecot_settings() {  # the settings of DV_TUNING as doveconf reads them, a few to a line
  local names=() set
  for set in "${DV_TUNING[@]}"; do set=${set%%=*}; names+=("${set%% }"); done
  doveconf -c "$DV/dovecot.conf" "${names[@]}" | settings_lines
}

DV_PORT=
start_dovecot() {  # [MXLAB-POP3-PORT] -> DV_PORT and DV_PID, or exit 1
  DV_PORT=$(free_port)
  dovecot_setup "$DV_PORT" "${1:-}"
  echo "peer: Dovecot $(dovecot --version | cut -d' ' -f1) (Debian) with its own base_dir and config, pop3 on 127.0.0.1:$DV_PORT,"
  echo "      ssl = no, passwd-file ({PLAIN}), static userdb (uid $VUID), mail_location = maildir:~/Maildir,"
  echo "      logging to a file (Debian's default level: a line per login and per logout); set for this load:"
  dovecot_settings
  if ! serve_waiting "$DV/dovecot.out" "$DV_PORT" dovecot -F -c "$DV/dovecot.conf"; then
    echo "run.sh: Dovecot did not answer on $HOST:$DV_PORT within $PORT_TIMEOUT s:" \
         "$(one_line "$DV/dovecot.out") $(one_line "$DV/dovecot.log")" >&2
    exit 1
  fi
  DV_PID=$SERVER_PID
}

# --- mxlab -----------------------------------------------------------------------
mxlab_setup() {  # SMTP-PORT POP3-PORT: a config with only SMTP and POP3, and USERS users
  local smtp=$1 pop3=$2 k
  mkdir -p "$MX/data"
  {
    echo "# mxlab for tests/bench/pop3/run.sh: SMTP (to fill the mailboxes) and POP3 on $HOST."
    mxlab_toml "$MX/data" "$smtp" "$pop3"
    for ((k = 1; k <= USERS; k++)); do echo "user$k = \"pass\""; done
  } > "$MX/mxlab.toml"
}

MX_PORT=
start_mxlab() {  # -> MX_PORT and MX_PID, the mailboxes filled; 1 if it failed
  local smtp
  smtp=$(free_port)
  MX_PORT=$(free_port)
  while [ "$MX_PORT" = "$smtp" ]; do MX_PORT=$(free_port); done
  mxlab_setup "$smtp" "$MX_PORT"
  echo "mxlab: $MXLAB ($("$MXLAB" version 2>/dev/null || echo '?')), pop3 on 127.0.0.1:$MX_PORT, services: smtp and pop3,"
  serve_mxlab "$MX" "$MX_PORT" "FAILED to start" \
    "no POP3 greeting on port $MX_PORT within $PORT_TIMEOUT s — is the POP3 service built?" || return 1
  if ! "${DRIVE[@]}" deliver "$smtp" --users "$USERS" --messages "$MESSAGES" --size "$SIZE" > "$MX/deliver.out" 2>&1; then
    echo "mxlab: FAILED to take the messages over SMTP: $(one_line "$MX/deliver.out" 5)"
    stop_tree "$SERVER_PID"; return 1
  fi
  MX_PID=$SERVER_PID
  echo "       log_level $MXLAB_LOG_LEVEL (a line per login and per logout), threads: its own default" \
       "($(sed -n 's/.*event=ready.* threads=\([0-9]*\).*/\1/p' "$MX/mxlab.log" | head -1))"
}

# --- the rounds ------------------------------------------------------------------
declare -A RATES=() DRIVER=() FAILED=() WAITS=()  # round, warm_up and summary (../proc.sh) fill and read them
ROW='%-8s %5s %9s %7s %11s %12s %12s %9s\n'  # name, round, sessions, errors, sessions/s, driver CPU (machine, one core), busy

# One round: NAME PORT PID SECONDS -> the driver's line in $WORK/round, dialogs of errors after it;
# 1 if the server is gone or the driver failed.
drive_round() {
  local name=$1 port=$2 pid=$3 seconds=$4
  kill -0 "$pid" 2>/dev/null || { echo "sessions=0 errors=1 (the server had exited)" > "$WORK/round"; return 1; }
  run_waiting "${DRIVE[@]}" run "$port" --clients "$CLIENTS" --duration "$seconds" --procs "$PROCS" \
    --messages "$MESSAGES" --op-timeout "$OP_TIMEOUT" > "$WORK/round" 2>&1 || return 1
}

echo "== POP3: $CLIENTS clients, each its own user of $USERS, $MESSAGES messages of $SIZE bytes in each mailbox," \
     "USER/PASS/STAT/RETR 1/QUIT per session, 127.0.0.1; machine: $(machine_note)"
echo "load: drive.py run (python3 $(python3 -c 'import platform; print(platform.python_version())'), $PROCS process(es)," \
     "epoll), one command per round trip; warm-up $WARMUP s each, then $ROUNDS rounds of $DURATION s, alternating"

STATUS=0
MX_UP=0
if have_mxlab DOVECOT_ONLY; then
  if start_mxlab; then MX_UP=1; else STATUS=1; FAILED[mxlab]=1; fi
fi
if [ "$MX_UP" = 1 ]; then start_dovecot "$MX_PORT"; else start_dovecot; fi

echo "STAT, each user:"
if ! out=$("${DRIVE[@]}" stat "$DV_PORT" --users "$USERS" --messages "$MESSAGES" 2>&1); then
  echo "  Dovecot: $out"; echo "run.sh: Dovecot's mailboxes are not as written" >&2; exit 1
fi
echo "  Dovecot: $out"
if [ "$MX_UP" = 1 ]; then
  if out=$("${DRIVE[@]}" stat "$MX_PORT" --users "$USERS" --messages "$MESSAGES" 2>&1); then
    echo "  mxlab:   $out"
  else
    echo "  mxlab:   FAILED: $out"; MX_UP=0; STATUS=1; FAILED[mxlab]=1
  fi
fi

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
[ "$DOVECOT_ONLY" = 1 ] || ratio_bar Dovecot "$MX_RATE" "$DV_RATE" 1.0
[ -z "${FAILED[Dovecot]:-}" ] || { echo "run.sh: the Dovecot half failed" >&2; STATUS=1; }
[ -z "${FAILED[mxlab]:-}" ] || { echo "run.sh: the mxlab half failed" >&2; STATUS=1; }
exit "$STATUS"
