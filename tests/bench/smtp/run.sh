#!/usr/bin/env bash
# SMTP benchmark: mxlab against Postfix on loopback, same load, same machine (issue 4, DESIGN.md section 7).
#
# README snippet:
#
#   ### SMTP benchmark (tests/bench/smtp/run.sh)
#
#   Runs by hand as root, not by ctest (about a minute); talks only to 127.0.0.1
#   and ends every process it started. Needs postfix (which ships smtp-source)
#   and python3 (packaging/install-deps.sh test); the system's own Postfix need
#   not run and is not touched.
#
#       tests/bench/smtp/run.sh                     # Postfix, then mxlab
#       MXLAB=build/appliance/mxlab RUNS=5 tests/bench/smtp/run.sh
#       POSTFIX_ONLY=1 tests/bench/smtp/run.sh      # the peer's half alone
#       POSTFIX_SET='in_flow_delay = 1s; virtual_destination_concurrency_limit = 40' \
#         POSTFIX_ONLY=1 tests/bench/smtp/run.sh    # try other Postfix settings
#       POSTFIX_SET='maillog_file_prefixes = /tmp; maillog_file = /tmp/postfix.log' KEEP=1 \
#         tests/bench/smtp/run.sh                   # Postfix's log, and the work folder kept
#
#   The same smtp-source command loads each server: SESSIONS (20) parallel
#   sessions, MESSAGES (2,000) messages of SIZE (4,096) bytes of body, each to
#   user@sina.com, a session's connection kept open from message to message
#   (-d). A message counts once it is durably in a mailbox: for Postfix, a file
#   in the Maildir's new/ (virtual(8) fsyncs it before the rename); for mxlab,
#   which answers 250 only once the message is synced into its store, the time
#   smtp-source takes, checked against the one log line per delivery that mxlab
#   writes (DELIVERED_RE; mxlab runs at log_level MXLAB_LOG_LEVEL, info). Either
#   way a round's time is the later of "smtp-source has finished" and "all
#   MESSAGES are in the mailbox", polled every 20 ms; a round in which not all
#   arrive fails, and so does the script (exit 1). A warm-up of WARMUP (100)
#   messages first starts each server's processes; then RUNS (3) timed rounds,
#   and the median round's rate is the figure.
#
#   Postfix (Debian's) runs from a temporary config_directory and
#   queue_directory: a normal queue, virtual(8) Maildir delivery for sina.com,
#   no DNS, set up for its best speed on this load (the settings are printed
#   beside the figures). Bar: mxlab msgs/s >= 2x Postfix's; a missed bar is
#   reported (FAIL) but the exit status stays 0.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
MXLAB=${MXLAB:-$ROOT/build/appliance/mxlab}
SESSIONS=${SESSIONS:-20}
MESSAGES=${MESSAGES:-2000}
SIZE=${SIZE:-4096}
WARMUP=${WARMUP:-100}
RUNS=${RUNS:-3}
TIMEOUT=${TIMEOUT:-300}        # seconds one round may take before it is called failed
PORT_TIMEOUT=${PORT_TIMEOUT:-30}
POSTFIX_ONLY=${POSTFIX_ONLY:-0}
POSTFIX_SET=${POSTFIX_SET:-}   # "name = value; ..." over the settings below, to try others
KEEP=${KEEP:-0}                # 1: leave the work folder (configs, mailboxes, logs) for a look
# One line per message mxlab stored in a local mailbox (its key=value log on stderr).
MXLAB_LOG_LEVEL=${MXLAB_LOG_LEVEL:-info}  # the level at which mxlab logs each delivery
DELIVERED_RE=${DELIVERED_RE:-'status=delivered.* to=<user@sina\.com>| to=<user@sina\.com>.*status=delivered'}
CORES=$(nproc)
HOST=127.0.0.1
SENDER=sender@example.org
HELO=client.example.org        # smtp-source's HELO name (its default is this machine's name)
RCPT=user@sina.com
VUID=5000                      # owner of Postfix's virtual mailboxes (no account needed)

# shellcheck source=../proc.sh
source "$HERE/../proc.sh"  # the helpers the bench scripts share

need_tools postfix postconf smtp-source python3
[ "$(id -u)" -eq 0 ] || { echo "run.sh: run as root (Postfix's master starts as root)" >&2; exit 1; }
PATH=$PATH:/usr/sbin
DRIVE=(python3 "$HERE/drive.py")

WORK=$(mktemp -d /tmp/mxlab-bench-smtp.XXXXXX)
chmod 711 "$WORK"  # Postfix's daemons and the mailbox owner must pass through it
PIDS=()            # every process we started ourselves; the trap ends each by PID
PF=$WORK/postfix   # the Postfix instance: etc/ (config_directory), queue/, data/, mail/
PF_STARTED=0

postfix_master_pid() {  # the instance's master, from its lock file; empty if not running
  local pid
  pid=$(tr -d ' \n' < "$PF/queue/pid/master.pid" 2>/dev/null) || return 0
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
  return 0
}

stop_postfix() {  # `postfix stop` on our instance, then by PID whatever of its tree is left
  local master tree
  [ "$PF_STARTED" = 1 ] || return 0
  PF_STARTED=0
  master=$(postfix_master_pid)
  [ -n "$master" ] && tree=$(descendants "$master") || tree=
  timeout 30 postfix -c "$PF/etc" stop >> "$PF/postfix.out" 2>&1 || true
  [ -n "$master" ] || return 0
  # shellcheck disable=SC2086  # one word per PID
  wait_gone_then_kill "$master" $tree
}

trap_exit 'stop_postfix; cleanup'  # cleanup (../proc.sh): ends each of PIDS, removes WORK (unless KEEP=1)

# smtp-source, the same for both servers; -m COUNT and HOST:PORT are appended.
# -d keeps each session's connection open from message to message.
SOURCE_OPTS=(-s "$SESSIONS" -l "$SIZE" -d -M "$HELO" -f "$SENDER" -t "$RCPT")

# One round: PORT N COUNTER-ARGS (for drive.py) -> "rc=.. accepted_s=.. delivered_s=.. count=.."
# in $WORK/round (not through $(...), so that the driver is ours to end in the trap)
drive_round() {
  local port=$1 n=$2
  shift 2
  : > "$WORK/smtp-source.out"
  run_waiting "${DRIVE[@]}" run --expect "$n" --timeout "$TIMEOUT" --out "$WORK/smtp-source.out" "$@" -- \
    smtp-source "${SOURCE_OPTS[@]}" -m "$n" "$HOST:$port" > "$WORK/round"
}

ROW='%-8s %5s %10s %13s %13s %9s\n'  # name, round, count, accepted, stored, msgs/s

# Warm-up, then RUNS rounds: NAME PORT COUNTER-ARGS... -> prints a row per round,
# sets RATE (median msgs/s of the rounds, "n/a" if any round failed).
measure() {
  local name=$1 port=$2 r res rc acc del cnt rates=() failed=0
  shift 2
  if [ "$WARMUP" -gt 0 ]; then
    drive_round "$port" "$WARMUP" "$@" && res=$(cat "$WORK/round") || res="driver failed"
    if [ "$(field rc "$res")" != 0 ] || [ "$(field delivered_s "$res")" = n/a ]; then
      echo "$name: warm-up failed ($res); smtp-source said: $(one_line "$WORK/smtp-source.out")" >&2
      RATE=n/a; return 1
    fi
  fi
  printf "$ROW" "" round "in mailbox" "smtp-source s" "all stored s" "msgs/s"
  for ((r = 1; r <= RUNS; r++)); do
    drive_round "$port" "$MESSAGES" "$@" && res=$(cat "$WORK/round") || res="rc=driver-failed"
    rc=$(field rc "$res"); acc=$(field accepted_s "$res"); del=$(field delivered_s "$res"); cnt=$(field count "$res")
    if [ "$rc" != 0 ] || [ "$del" = n/a ]; then
      printf "${ROW%\\n}   FAILED: smtp-source exit %s, %s of %s in a mailbox\n" \
        "$name" "$r" "$cnt" "$acc" "$del" "-" "$rc" "$cnt" "$MESSAGES"
      [ ! -s "$WORK/smtp-source.out" ] || echo "  smtp-source said: $(one_line "$WORK/smtp-source.out")"
      failed=1; continue
    fi
    # The later of "smtp-source done" and "all in mailboxes": both must have happened.
    del=$(awk -v a="$acc" -v d="$del" 'BEGIN { printf "%.3f", (a > d ? a : d) }')
    rates+=("$(awk -v n="$MESSAGES" -v t="$del" 'BEGIN { printf "%.1f", n / t }')")
    printf "$ROW" "$name" "$r" "$cnt" "$acc" "$del" "${rates[-1]}"
  done
  if [ "$failed" = 1 ]; then RATE=n/a; return 1; fi
  RATE=$(median %.1f "${rates[@]}")
}

# --- Postfix ---------------------------------------------------------------------
# The settings that matter for its speed on this load; printed with the figures.
PF_TUNING=(
  "default_process_limit = 100"                   # smtpd, cleanup, virtual processes: >= 20 sessions
  "in_flow_delay = 0"                             # no pausing of smtpd when the queue fills faster than it drains
  "virtual_destination_concurrency_limit = 20"    # parallel deliveries to sina.com
  "virtual_initial_destination_concurrency = 20"  # no slow start for the one destination
  "smtpd_client_connection_count_limit = 0"       # no per-client limits (loopback is one client)
  "smtpd_client_connection_rate_limit = 0"
  "smtpd_peername_lookup = no"                    # no reverse DNS of 127.0.0.1
  "smtp_dns_support_level = disabled"             # no DNS at all
)

postfix_setup() {  # PORT: main.cf, master.cf and the virtual mailbox map in $PF/etc
  local port=$1 line
  mkdir -p "$PF/etc" "$PF/queue" "$PF/data" "$PF/mail"
  chown postfix: "$PF/data"
  chown "$VUID:$VUID" "$PF/mail"
  {
    cat <<EOF
# A Postfix instance for tests/bench/smtp/run.sh only (made by the script, removed after).
compatibility_level = 3.6
config_directory = $PF/etc
queue_directory = $PF/queue
data_directory = $PF/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = $HOST
inet_protocols = ipv4
myhostname = mail.sina.com
mydomain = sina.com
myorigin = \$myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
relay_domains =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_banner = \$myhostname ESMTP
biff = no
virtual_mailbox_domains = sina.com
virtual_mailbox_base = $PF/mail
virtual_mailbox_maps = texthash:$PF/etc/vmailbox
virtual_uid_maps = static:$VUID
virtual_gid_maps = static:$VUID
EOF
    for line in "${PF_TUNING[@]}"; do echo "$line"; done
  } > "$PF/etc/main.cf"
  local sets set
  mapfile -t sets < <(settings_list "$POSTFIX_SET")
  for set in "${sets[@]}"; do postconf -c "$PF/etc" -e "$set"; PF_TUNING+=("$set"); done
  # Maildir delivery (a path ending in /), relative to virtual_mailbox_base.
  printf '%s sina.com/%s/\n' user@sina.com user bob@sina.com bob jack@sina.com jack > "$PF/etc/vmailbox"
  # The services of Debian's master.cf that this instance uses, none chrooted
  # (a chroot would need /etc files copied in); smtpd on the loopback PORT.
  cat > "$PF/etc/master.cf" <<EOF
$port      inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
  postfix -c "$PF/etc" check > "$PF/postfix.out" 2>&1 \
    || { echo "run.sh: postfix check failed:" >&2; cat "$PF/postfix.out" >&2; exit 1; }
}

part_postfix() {
  local port
  port=$(free_port)
  postfix_setup "$port"
  echo "peer: Postfix $(postconf -d -h mail_version) (Debian) with its own config_directory and queue_directory:"
  echo "      a normal queue (cleanup fsyncs the queue file before the 250), virtual(8) Maildir delivery"
  echo "      (fsynced), no DNS, no chroot, logging to syslog (Debian's default); set for this load:"
  local names=() set
  for set in "${PF_TUNING[@]}"; do names+=("${set%% *}"); done
  postconf -c "$PF/etc" "${names[@]}" | settings_lines
  echo "      master.cf: smtpd on 127.0.0.1:$port; smtpd, cleanup and virtual maxproc = default_process_limit"
  PF_STARTED=1
  timeout 60 postfix -c "$PF/etc" start >> "$PF/postfix.out" 2>&1 \
    || { echo "run.sh: postfix start failed:" >&2; cat "$PF/postfix.out" >&2; exit 1; }
  if ! "${DRIVE[@]}" wait "$port" "$PORT_TIMEOUT"; then
    echo "run.sh: Postfix did not answer on $HOST:$port within $PORT_TIMEOUT s" >&2; cat "$PF/postfix.out" >&2; exit 1
  fi
  measure Postfix "$port" --maildirs "$PF/mail" || true
  PF_RATE=$RATE
  stop_postfix
}

# --- mxlab -----------------------------------------------------------------------
mxlab_setup() {  # DIR PORT: a config with only the SMTP service, on PORT
  local dir=$1 port=$2
  mkdir -p "$dir/data"
  {
    echo "# mxlab for tests/bench/smtp/run.sh: only SMTP on $HOST:$port; one log line per delivery."
    mxlab_toml "$dir/data" "$port" 0
    cat <<'EOF'
user = "user123"
bob  = "bob123"
jack = "jack123"

[domain.aliases]
postmaster = "bob"
EOF
  } > "$dir/mxlab.toml"
}

part_mxlab() {
  local port dir=$WORK/mxlab pid
  port=$(free_port)
  mxlab_setup "$dir" "$port"
  echo "mxlab: $MXLAB ($("$MXLAB" version 2>/dev/null || echo '?')), services: smtp only, log_level $MXLAB_LOG_LEVEL," \
       "threads: its own default; deliveries counted by log lines matching: $DELIVERED_RE"
  if ! serve_mxlab "$dir" "$port" "not measured" \
       "mxlab did not open port $port within $PORT_TIMEOUT s — is the SMTP service built?"; then
    MX_RATE=n/a; return 1
  fi
  pid=$SERVER_PID
  measure mxlab "$port" --log "$dir/mxlab.log" --pattern "$DELIVERED_RE" || true
  MX_RATE=$RATE
  stop_tree "$pid"
  if [ "$MX_RATE" = n/a ]; then
    echo "mxlab: FAILED — not every message reached a mailbox (log lines matching DELIVERED_RE counted above);" \
         "last log lines: $(one_line "$dir/mxlab.log")" >&2
    return 1
  fi
}

echo "== SMTP: $MESSAGES messages of $SIZE bytes to $RCPT, $SESSIONS sessions, 127.0.0.1; machine: $(machine_note)"
echo "load: smtp-source ${SOURCE_OPTS[*]} -m $MESSAGES 127.0.0.1:PORT (Postfix $(postconf -d -h mail_version));" \
     "warm-up $WARMUP messages, then $RUNS rounds; a message counts once it is durably in a mailbox"
PF_RATE=n/a
MX_RATE=n/a
part_postfix
MX_STATUS=0
if have_mxlab POSTFIX_ONLY; then
  part_mxlab || MX_STATUS=1
fi
echo
printf '%-8s %12s\n' "" "msgs/s (median of $RUNS)"
printf '%-8s %12s\n' Postfix "$PF_RATE"
[ "$POSTFIX_ONLY" = 1 ] || printf '%-8s %12s\n' mxlab "$MX_RATE"
[ "$POSTFIX_ONLY" = 1 ] || ratio_bar Postfix "$MX_RATE" "$PF_RATE" 2.0
[ "$PF_RATE" != n/a ] || { echo "run.sh: the Postfix half failed" >&2; exit 1; }
[ "$MX_STATUS" = 0 ] || exit 1
