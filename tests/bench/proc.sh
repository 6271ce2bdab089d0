# shellcheck shell=bash
# Shell helpers the benchmark scripts share (each run.sh sources
# this file): the tool check; ending the processes a script started, by PID and
# never by name, and the exit trap that does it; free ports; mxlab's config; the
# figures, ratios and verdicts.
#
# Sourcing only defines functions. Called, they use the script's own variables:
#   WORK   its work folder, removed at exit unless KEEP=1
#   PIDS   an array of every process it started itself, each ended at exit
#   HOST   127.0.0.1, the only address a benchmark talks to
#   DRIVE  the command of its driver (drive.py), whose "wait PORT TIMEOUT_S PID" waits for a greeting
#   CORES, MXLAB, MXLAB_LOG_LEVEL, PORT_TIMEOUT and KEEP, as its header says

# --- processes -------------------------------------------------------------------

need_tools() {  # TOOL...: exit 1 if one is neither on PATH nor in /usr/sbin
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || {
      echo "run.sh: $tool is missing (packaging/install-deps.sh test)" >&2; exit 1; }
  done
}

descendants() {  # PID and all its descendants, one per line
  ps -e -o pid=,ppid= | awk -v root="$1" '
    { parent[$1] = $2 }
    END {
      keep[root] = 1
      do { added = 0
           for (p in parent) if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; added++ }
      } while (added)
      for (p in keep) print p
    }'
}

wait_gone_then_kill() {  # PID TREE...: wait up to 10 s for PID to exit, then SIGKILL what is left of TREE
  local pid=$1 p i; shift
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  for p in "$@"; do
    kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null || true
  done
}

stop_tree() {  # SIGTERM, wait up to 10 s, then SIGKILL whatever of the tree is left
  local pid=$1 tree
  kill -0 "$pid" 2>/dev/null || return 0
  tree=$(descendants "$pid")
  kill -TERM "$pid" 2>/dev/null || true
  # shellcheck disable=SC2086  # one word per PID
  wait_gone_then_kill "$pid" $tree
  wait "$pid" 2>/dev/null || true
}

cleanup() {  # end every process in PIDS, then remove WORK (left for a look with KEEP=1)
  local pid
  for pid in "${PIDS[@]}"; do stop_tree "$pid"; done
  if [ "${KEEP:-0}" = 1 ]; then echo "run.sh: left $WORK" >&2; else rm -rf "$WORK"; fi
}

trap_exit() {  # COMMAND: run COMMAND (cleanup, or more with it) at exit; INT and TERM exit 130 through it
  # shellcheck disable=SC2064  # COMMAND is fixed now, on purpose
  trap "$1" EXIT
  trap 'exit 130' INT TERM
}

run_waiting() {  # CMD...: in the background, then `wait`, so Ctrl-C reaches our trap at once
  "$@" &
  local pid=$! rc=0 keep=() p
  PIDS+=("$pid")
  wait "$pid" || rc=$?
  for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done  # reaped: its PID may be reused
  PIDS=("${keep[@]}")
  return "$rc"
}

one_line() { tail -"${2:-3}" "$1" 2>/dev/null | tr '\n' ' '; }  # FILE [N]: its last N (3) lines, on one line

# LOG PORT CMD...: CMD in the background (its output to LOG, its PID in SERVER_PID and PIDS), then
# the script's driver waits for PORT's greeting: 0 once it came, 1 if not within PORT_TIMEOUT s, 2 if CMD exited first.
serve_waiting() {
  local log=$1 port=$2 why=0
  shift 2
  "$@" > "$log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  "${DRIVE[@]}" wait "$port" "$PORT_TIMEOUT" "$SERVER_PID" || why=$?
  return "$why"
}

# --- ports and mxlab ---------------------------------------------------------------

free_port() {  # [--udp]: a free TCP port on 127.0.0.1; with --udp, free for UDP too (DNS needs both)
  python3 - "$@" <<'EOF'
import socket, sys
for _ in range(100):
    with socket.socket() as t:
        t.bind(("127.0.0.1", 0)); port = t.getsockname()[1]
        if "--udp" in sys.argv[1:]:
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u: u.bind(("127.0.0.1", port))
            except OSError: continue
        print(port); break
EOF
}

have_mxlab() {  # ONLY-VARIABLE: 0 if mxlab is to be measured; else says why not (the peer's half alone, or no binary)
  [ "${!1}" = 1 ] && { echo "mxlab: not measured ($1=1)"; return 1; }
  [ -x "$MXLAB" ] || { echo "mxlab: not measured ($MXLAB is not an executable; set MXLAB)"; return 1; }
  return 0
}

# DIR PORT HEAD NO-ANSWER: mxlab serve -c DIR/mxlab.toml (log: DIR/mxlab.log) by serve_waiting; if PORT does not
# greet, prints "mxlab: HEAD (it exited; log: ...)" or "mxlab: HEAD (NO-ANSWER; log: ...)", ends mxlab, and returns 1.
serve_mxlab() {
  local why=0
  serve_waiting "$1/mxlab.log" "$2" "$MXLAB" serve -c "$1/mxlab.toml" || why=$?
  [ "$why" != 0 ] || return 0
  if [ "$why" = 2 ]; then
    echo "mxlab: $3 (it exited; log: $(one_line "$1/mxlab.log"))"
  else
    echo "mxlab: $3 ($4; log: $(one_line "$1/mxlab.log"))"
  fi
  stop_tree "$SERVER_PID"
  return 1
}

# DATA-DIR SMTP-PORT POP3-PORT [IMAP-PORT]: mxlab.toml up to [domain.users] for sina.com; POP3 off if its
# port is 0, IMAP (plaintext and STARTTLS on IMAP-PORT; no imaps) off without one or with 0
mxlab_toml() {
  local pop3=true imap=true
  [ "$3" != 0 ] || pop3=false
  [ "${4:-0}" != 0 ] || imap=false
  cat <<EOF
[appliance]
hostname  = "mail.sina.com"
addresses = ["127.0.0.1"]
listen    = ["$HOST"]
data_dir  = "$1"
log_level = "$MXLAB_LOG_LEVEL"

[services]
dns        = false
smtp       = true
submission = false
pop3       = $pop3
imap       = $imap
web        = false

[ports]
dns        = 0
smtp       = $2
submission = 0
smtps      = 0
pop3       = $3
pop3s      = 0
imap       = ${4:-0}
imaps      = 0
http       = 0
https      = 0

[[domain]]
name = "sina.com"

[domain.users]
EOF
}

# --- figures -----------------------------------------------------------------------

machine_note() {  # the machine, for the first line: cores, CPU model, the work folder's file system, load average
  echo "$CORES cores ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo '?'))," \
       "both servers' files on $(df --output=fstype,source "$WORK" | awk 'NR == 2 { print $1 " (" $2 ")" }')," \
       "load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

settings_list() {  # "name = value; ...": one setting a line, trimmed, the empty ones dropped
  local sets set
  IFS=';' read -ra sets <<< "$1"
  for set in "${sets[@]}"; do
    set=$(sed 's/^ *//; s/ *$//' <<< "$set")
    [ -z "$set" ] || echo "$set"
  done
}

settings_lines() {  # "name = value" lines (stdin) -> a few to a line, indented, never one split; repeats dropped
  awk '
    seen[$0]++ { next }
    { item = $0; if (line != "" && length(line) + length(item) > 90) { print "      " line ","; line = "" }
      line = line == "" ? item : line ", " item }
    END { if (line != "") print "      " line }'
}

field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<< "$2"; }  # NAME LINE -> value of NAME=

median() {  # FORMAT VALUE...: the median (the mean of the middle two for an even count); n/a if none or any is n/a
  local fmt=$1
  shift
  printf '%s\n' "$@" | sort -g | awk -v fmt="$fmt" '{ v[NR] = $1 } $1 !~ /^[0-9.]+$/ { bad = 1 }
    END { if (bad || NR == 0) { print "n/a"; exit }
          printf fmt "\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0 || a == "n/a" || b == "n/a") print "n/a"; else printf "%.2f", a / b }'; }
ratio_x() { if [ "$1" = n/a ]; then echo n/a; else echo "$1x"; fi; }  # RATIO -> "1.23x", or n/a

verdict() {  # VALUE OP BAR -> PASS/FAIL (OP: >= or <=)
  awk -v v="$1" -v op="$2" -v bar="$3" 'BEGIN {
    if (v == "n/a") { print "n/a"; exit }
    ok = (op == ">=") ? (v + 0 >= bar + 0) : (v + 0 <= bar + 0); print ok ? "PASS" : "FAIL" }'
}

ratio_bar() {  # PEER MXLAB-FIGURE PEER-FIGURE BAR: "ratio mxlab/PEER: 1.23x (bar >= BAR: PASS)"
  local r
  r=$(ratio "$2" "$3")
  echo "ratio mxlab/$1: $(ratio_x "$r") (bar >= $4: $(verdict "$r" ">=" "$4"))"
}

# --- Dovecot -------------------------------------------------------------------------

dovecot_conf_head() {  # BENCH PROTOCOLS: the start of a dovecot.conf in $DV of its own, users in $DV/users
  cat <<EOF
# A Dovecot instance for tests/bench/$1/run.sh only (made by the script, removed after).
protocols = $2
listen = $HOST
base_dir = $DV/run
state_dir = $DV/state
instance_name = mxlab-bench-$1
log_path = $DV/dovecot.log
disable_plaintext_auth = no
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DV/users
}
EOF
}

conf_line() {  # "a/b/key = value" -> the same as dovecot.conf text: "a b {", "  key = value", "}"
  awk '{
    i = index($0, "="); name = substr($0, 1, i - 1); value = substr($0, i + 1)
    gsub(/^ +| +$/, "", name); gsub(/^ +| +$/, "", value)
    n = split(name, p, "/"); indent = ""
    for (j = 1; j + 1 < n; j += 2) { print indent p[j] " " p[j + 1] " {"; indent = indent "  " }
    print indent p[n] " = " value
    for (j = 1; j + 1 < n; j += 2) { indent = substr(indent, 3); print indent "}" }
  }' <<< "$1"
}

# --- rounds of a session load (imap/run.sh, pop3/run.sh) ---------------------------------
# The script defines drive_round NAME PORT PID SECONDS (the driver's result line, then dialogs
# of failed sessions, in $WORK/round; 1 if the server is gone or the driver failed), ROW (the
# printf format of a round's row) and the arrays: declare -A RATES=() DRIVER=() FAILED=() WAITS=()

round() {  # NAME PORT PID ROUND-NUMBER: runs and prints one round
  local name=$1 port=$2 pid=$3 r=$4 res ok=0 mark=""
  drive_round "$name" "$port" "$pid" "$DURATION" || ok=1
  res=$(head -1 "$WORK/round")
  RATES[$name]+="$(field rate "$res") "
  DRIVER[$name]+="$(field driver_cpu "$res") "
  # shellcheck disable=SC2034  # the script prints it
  WAITS[$name]=$(field waits "$res")  # the last round's, where the driver gives them
  if [ "$ok" != 0 ] || [ "$(field errors "$res")" != 0 ] || [ -z "$(field rate "$res")" ]; then
    FAILED[$name]=1; mark="   FAILED"
  fi
  printf "${ROW%\\n}%s\n" "$name" "$r" "$(field sessions "$res")" "$(field errors "$res")" "$(field rate "$res")" \
    "$(field driver_cpu "$res")%" "$(field driver_core "$res")%" "$(field busy "$res")%" "$mark"
  [ -z "$mark" ] || tail -n +2 "$WORK/round" | head -5  # the driver's dialogs of failed sessions
  [ "$ok" = 0 ] || echo "  $(one_line "$WORK/round")"
}

warm_up() {  # NAME PORT PID: a round of WARMUP s whose figures do not count; 1 (and NAME failed) on errors
  local res
  if [ "$WARMUP" = 0 ]; then return 0; fi
  if ! drive_round "$1" "$2" "$3" "$WARMUP" || [ "$(field errors "$(head -1 "$WORK/round")")" != 0 ]; then
    echo "$1: warm-up failed: $(head -1 "$WORK/round")"
    tail -n +2 "$WORK/round" | head -5
    FAILED[$1]=1
    return 1
  fi
  res=$(head -1 "$WORK/round")
  echo "$1: warm-up $WARMUP s, $(field sessions "$res") sessions"
}

rates_median() {  # NAME -> the median of its rounds' sessions/s, n/a if none
  local rates
  read -ra rates <<< "${RATES[$1]:-}"
  median %.1f "${rates[@]}"
}
mean() { tr ' ' '\n' | awk 'NF { s += $1; n++ } END { if (n == 0) print "n/a"; else printf "%.1f", s / n }'; }

figure() { if [ -n "${FAILED[$1]:-}" ]; then echo n/a; else rates_median "$1"; fi; }  # NAME -> its median
summary() {  # NAME: its row; with errors, the median of its rounds only as a hint, not a figure
  local hint=""
  [ -z "${FAILED[$1]:-}" ] || hint="   (errors; rounds' median $(rates_median "$1") sessions/s, not a figure)"
  printf '%-8s %16s %22s%s\n' "$1" "$(figure "$1")" "$(mean <<< "${DRIVER[$1]:-}" | sed 's/[0-9]$/&%/')" "$hint"
}
