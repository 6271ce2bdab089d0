#!/usr/bin/env bash
# DNS benchmark: mxlab against NSD on loopback, same zones, same machine (issue 3 item 7, DESIGN.md section 7).
#
# README snippet:
#
#   ### DNS benchmark (tests/bench/dns/run.sh)
#
#   Runs by hand, not by ctest (about four minutes); talks only to 127.0.0.1 and
#   ends every process it started. Needs nsd, dnsperf, dig and python3
#   (packaging/install-deps.sh test).
#
#       tests/bench/dns/run.sh                      # both parts
#       MXLAB=build/appliance/mxlab DURATION=10 CLIENTS=8 ROUNDS=5 tests/bench/dns/run.sh
#       PART=qps tests/bench/dns/run.sh             # or PART=load
#       PART=qps DURATION=2 LAT_SECONDS=2 ROUNDS=3 tests/bench/dns/run.sh  # a quick look
#       NSD_ONLY=1 tests/bench/dns/run.sh           # the peer's half alone
#
#   Part 1, lab zones (~50 names each in sina.com and bigsky.com, plus the
#   reverse zone): NSD with one server process per core, SO_REUSEPORT and rate
#   limiting off, and mxlab. Both are started once and stay up for all rounds
#   (the one not being measured sits idle). A round loads one server with a
#   dnsperf throughput run (-l DURATION -c CLIENTS -Q QMAX; a query mix of A,
#   MX, NXDOMAIN and CNAME), for queries/s and dnsperf's average and max
#   latency under that load, then a fixed-rate run (LAT_QPS for LAT_SECONDS)
#   whose per-query times (dnsperf -v) give p99 latency. One throughput run of
#   WARMUP seconds (DURATION by default; 0 skips it) warms up each server and is
#   not counted; then ROUNDS (5) rounds alternate NSD, mxlab, NSD, mxlab, ...
#   Each round's figures are printed, then each server's median queries/s and
#   median p99 over its rounds (the mean of the middle two when ROUNDS is even;
#   n/a if any round failed) with the lowest and highest, and the ratios
#   mxlab/NSD of the medians: on a small machine one pair of runs swings by
#   +-15%, and alternating rounds spread slow spells over both servers. Bars:
#   median QPS >= 1.0x NSD's, median p99 <= NSD's; a missed bar is reported
#   (FAIL) but the exit status stays 0. A server that exits during the rounds
#   fails the script (exit 1).
#   Part 2, a 100,000-record zone (BIG_RECORDS): time from start to the first
#   answer from that zone (and, for mxlab, to READY=1 on its NOTIFY_SOCKET), and
#   memory after load: RSS summed over the server's processes (NSD forks; its
#   children share pages, so PSS is printed too). NSD runs with server-count 1
#   here, its smallest footprint. Bars: load <= 1 s, RSS <= 2x NSD.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
MXLAB=${MXLAB:-$ROOT/build/appliance/mxlab}
DURATION=${DURATION:-10}    # seconds of each throughput run
ROUNDS=${ROUNDS:-5}         # part 1: measured rounds per server, alternating NSD, mxlab
WARMUP=${WARMUP:-$DURATION} # part 1: seconds of the one uncounted throughput run per server; 0: none
CLIENTS=${CLIENTS:-8}
QMAX=${QMAX:-1000000}
LAT_QPS=${LAT_QPS:-20000}
LAT_SECONDS=${LAT_SECONDS:-5}
BIG_RECORDS=${BIG_RECORDS:-100000}
PART=${PART:-all}
NSD_ONLY=${NSD_ONLY:-0}
CORES=$(nproc)
HOST=127.0.0.1
STATUS=0  # 1 once a server exits in the middle of part 1's rounds
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: ROUNDS is a whole number >= 1" >&2; exit 1; }
[[ $WARMUP =~ ^[0-9]+$ ]] || { echo "run.sh: WARMUP is a whole number of seconds (0: none)" >&2; exit 1; }

# shellcheck source=../proc.sh
source "$HERE/../proc.sh"  # the helpers the bench scripts share

need_tools nsd nsd-checkconf dnsperf dig python3
NSD=$(command -v nsd || echo /usr/sbin/nsd)

WORK=$(mktemp -d /tmp/mxlab-bench-dns.XXXXXX)
PIDS=()  # every server we started; the trap ends each by PID
KEEP=0   # the work folder always goes
trap_exit cleanup  # cleanup (../proc.sh): ends each of PIDS, removes WORK

now_ns() { date +%s%N; }

wait_answer() {  # PORT NAME TYPE TIMEOUT_S PID: 0 once NAME has an answer; 1 on timeout or death
  local deadline=$((SECONDS + $4))
  while ((SECONDS < deadline)); do
    kill -0 "$5" 2>/dev/null || return 1
    if dig @"$HOST" -p "$1" +norecurse +time=1 +tries=1 +short "$2" "$3" 2>/dev/null | grep -q .; then
      return 0
    fi
    sleep 0.01
  done
  return 1
}

memory_kib() {  # PID -> "RSS PSS" in KiB, summed over the process tree
  local rss=0 pss=0 p r s
  for p in $(descendants "$1"); do
    r=$(ps -o rss= -p "$p" 2>/dev/null | tr -d ' ') || r=0
    s=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null) || s=0
    rss=$((rss + ${r:-0})); pss=$((pss + ${s:-0}))
  done
  echo "$rss $pss"
}

# --- zones: the same data written for NSD (zone files) and for mxlab (TOML) ------
python3 - "$WORK" "$BIG_RECORDS" <<'EOF'
import os, sys
work, big = sys.argv[1], int(sys.argv[2])
host, addr = "mail.sina.com", "10.0.1.10"

def lab(zone, net):
    """~50 names: hosts, aliases, www/ftp, an SRV; returns (records, queries)."""
    recs = [f"www A 10.0.{net}.20", "ftp CNAME www", "_imap._tcp SRV 0 0 143 www"]
    recs += [f"host{i:02d} A 10.0.{net}.{100 + i}" for i in range(1, 41)]
    recs += [f"alias{i:02d} CNAME host{i:02d}" for i in range(1, 6)]
    queries = []
    for i in range(1, 41):  # per block of 20: 10 A, 3 MX, 4 NXDOMAIN, 3 CNAME
        queries += [f"host{i:02d}.{zone} A"] * 1
        if i % 4 == 0:
            queries += [f"{zone} MX"] * 3 + [f"none{i:02d}.{zone} A", f"x.none{i:02d}.{zone} A",
                        f"nope{i:02d}.{zone} MX", f"none{i:02d}.{zone} AAAA"]
            queries += [f"alias{(i // 4) % 5 + 1:02d}.{zone} A", f"ftp.{zone} A",
                        f"alias{(i // 4 + 2) % 5 + 1:02d}.{zone} A"]
    return recs, queries

def generated(zone, mail=True):
    """What mxlab generates (DESIGN.md section 3), spelled out for NSD."""
    g = [f"@ SOA {host}. hostmaster.{zone}. 2024010101 3600 900 604800 300", f"@ NS {host}."]
    if host.endswith("." + zone):
        g.append(f"{host[:-len(zone) - 1]} A {addr}")
    if mail:
        g += [f"@ MX 10 {host}.", '@ TXT "v=spf1 mx -all"']
    return g

def zone_file(path, zone, lines):
    with open(path, "w") as f:
        f.write(f"$ORIGIN {zone}.\n$TTL 3600\n" + "\n".join(lines) + "\n")

def toml(path, port_placeholder, domains):
    zeros = "\n".join(f"{k} = 0" for k in ("smtp", "submission", "smtps", "pop3", "pop3s",
                                             "imap", "imaps", "http", "https"))
    body = ""
    for zone, mail, recs in domains:
        items = ",\n".join(f'  "{r}"' for r in recs)
        body += f'\n[[domain]]\nname = "{zone}"\nmail = {"true" if mail else "false"}\nrecords = [\n{items}\n]\n'
    with open(path, "w") as f:
        f.write(f'[appliance]\nhostname = "{host}"\naddresses = ["{addr}"]\nlisten = ["127.0.0.1"]\n'
                f'data_dir = "DATA_DIR"\nlog_level = "warn"\n\n[ports]\ndns = {port_placeholder}\n{zeros}\n{body}')

os.makedirs(f"{work}/lab", exist_ok=True)
os.makedirs(f"{work}/big", exist_ok=True)
queries, domains = [], []
for zone, net in (("sina.com", 1), ("bigsky.com", 2)):
    recs, q = lab(zone, net)
    queries += q
    zone_file(f"{work}/lab/{zone}.zone", zone, generated(zone) + recs)
    domains.append((zone, True, recs))
rev = [f"{i} PTR host{i - 100:02d}.sina.com." for i in range(101, 141)]
zone_file(f"{work}/lab/1.0.10.in-addr.arpa.zone", "1.0.10.in-addr.arpa",
          generated("1.0.10.in-addr.arpa", mail=False) + rev)
domains.append(("1.0.10.in-addr.arpa", False, rev))
queries += [f"{i}.1.0.10.in-addr.arpa PTR" for i in range(101, 141, 4)]
toml(f"{work}/lab/mxlab.toml", "PORT", domains)
with open(f"{work}/lab/queries", "w") as f:
    f.write("\n".join(queries) + "\n")

recs = [f"h{i:06d} A 10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}" for i in range(big)]
zone_file(f"{work}/big/big.lab.zone", "big.lab", generated("big.lab", mail=False) + recs)
toml(f"{work}/big/mxlab.toml", "PORT", [("big.lab", False, recs)])
EOF

nsd_conf() {  # DIR PORT SERVER_COUNT REUSEPORT ZONES...
  local dir=$1 port=$2 count=$3 reuse=$4 z
  shift 4
  {
    cat <<EOF
server:
    ip-address: $HOST@$port
    port: $port
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "$dir"
    pidfile: "$dir/nsd.pid"
    xfrdfile: "$dir/xfrd.state"
    xfrdir: "$dir"
    zonelistfile: "$dir/zone.list"
    database: ""
    logfile: "$dir/nsd.log"
    cookie-secret-file: "$dir/cookiesecrets.txt"
    verbosity: 0
    server-count: $count
    reuseport: $reuse
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
EOF
    for z in "$@"; do printf 'zone:\n    name: "%s"\n    zonefile: "%s/%s.zone"\n' "$z" "$dir" "$z"; done
  } > "$dir/nsd.conf"
  nsd-checkconf "$dir/nsd.conf"
}

start_nsd() {  # DIR -> sets SERVER_PID
  env -u NOTIFY_SOCKET "$NSD" -d -c "$1/nsd.conf" > "$1/nsd.out" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
}

prepare_mxlab() {  # DIR PORT: the config, and a NOTIFY_SOCKET listener as systemd would be
  local dir=$1 port=$2 i
  mkdir -p "$dir/data"
  sed -e "s|DATA_DIR|$dir/data|" -e "s|^dns = PORT|dns = $port|" "$dir/mxlab.toml" > "$dir/mxlab.run.toml"
  rm -f "$dir/notify.sock" "$dir/ready"
  # Writes the time the first READY=1 came (ns) to DIR/ready and keeps reading, as
  # systemd would, until killed or 10 minutes without a message.
  python3 - "$dir/notify.sock" "$dir/ready" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); s.settimeout(600)
ready = False
try:
    while True:
        msg = s.recv(4096).decode(errors="replace").split("\n")
        if "READY=1" in msg and not ready:
            ready = True
            with open(sys.argv[2], "w") as f:
                f.write(str(time.time_ns()))
except socket.timeout:
    pass
EOF
  PIDS+=("$!")
  for ((i = 0; i < 250; i++)); do [ -S "$dir/notify.sock" ] && break; sleep 0.02; done
}

start_mxlab() {  # DIR -> sets SERVER_PID
  NOTIFY_SOCKET="$1/notify.sock" "$MXLAB" serve -c "$1/mxlab.run.toml" > "$1/mxlab.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
}

why_not() {  # PID SECONDS: why a server gave no answer
  if kill -0 "$1" 2>/dev/null; then echo "no answer within $2 s"; else echo "it exited"; fi
}

ms() { awk -v ns="$1" 'BEGIN { printf "%.1f", ns / 1e6 }'; }

# dnsperf throughput run: PORT [SECONDS] -> "QPS AVG_MS MAX_MS LOST|RCODES" in $WORK/perf.PORT
perf_run() {
  local port=$1 seconds=${2:-$DURATION}
  run_waiting dnsperf -s "$HOST" -p "$port" -d "$WORK/lab/queries" -l "$seconds" -c "$CLIENTS" \
    -Q "$QMAX" > "$WORK/dnsperf.$port.txt" 2>&1
  awk '
    /Queries per second:/ { qps = $4 }
    /Average Latency \(s\):/ { avg = $4 * 1000; gsub(/[(),]/, " "); max = $NF * 1000 }
    /Response codes:/ { sub(/^ *Response codes: */, ""); rc = $0 }
    /Queries lost:/ { lost = $3 }
    END { printf "%s %.3f %.3f %s|%s\n", qps, avg, max, lost, rc }' "$WORK/dnsperf.$port.txt" > "$WORK/perf.$port"
}

# p99 at a fixed rate, from the latency (s) dnsperf -v prints for each query: PORT -> "P99_MS N"
p99_run() {
  local port=$1
  run_waiting dnsperf -s "$HOST" -p "$port" -d "$WORK/lab/queries" -l "$LAT_SECONDS" -c "$CLIENTS" \
    -Q "$LAT_QPS" -v > "$WORK/dnsperf-v.$port.txt" 2>/dev/null
  awk '/^> / { print $NF }' "$WORK/dnsperf-v.$port.txt" | sort -g \
    | awk '{ v[NR] = $1 } END { if (NR == 0) { print "n/a 0"; exit }
             i = int(NR * 0.99); if (i < 1) i = 1; printf "%.3f %d\n", v[i] * 1000, NR }' > "$WORK/p99.$port"
}

compare_answers() {  # NSD_PORT MXLAB_PORT: a fast server that answers wrongly wins nothing
  python3 - "$ROOT/tests/integration" "$WORK/lab/queries" "$1" "$2" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
from dns_util import udp_query
queries = sorted(set(l.split()[0] + " " + l.split()[1] for l in open(sys.argv[2]) if l.strip()))
def answer(port, name, qtype):
    m = udp_query(port, name, qtype, timeout=2)
    if m is None:
        return "no answer"
    return (m.rcode_name, sorted(rr.key(mask_serial=True) for rr in m.answer + m.authority))
diff = [q for q in queries if answer(int(sys.argv[3]), *q.split()) != answer(int(sys.argv[4]), *q.split())]
print(f"answers alike (rcode, answer and authority): {len(queries) - len(diff)} of {len(queries)} distinct queries"
      + ("" if not diff else "; differ: " + ", ".join(diff[:8]) + (" ..." if len(diff) > 8 else "")))
EOF
}

QROW='%-7s %5s %12s %9s %9s %12s  %s\n'  # name, round, queries/s, avg ms, max ms, p99 ms, lost | rcodes

# One measured round against one server: NAME ROUND PORT PID -> a row; sets RQ (queries/s)
# and RP (p99 ms), both "n/a" (and returns 1) if the server is gone or dnsperf gave no figure.
qps_round() {
  local name=$1 round=$2 port=$3 pid=$4 res='' p=''
  RQ=n/a RP=n/a
  if kill -0 "$pid" 2>/dev/null; then
    perf_run "$port" || true
    p99_run "$port" || true
    res=$(cat "$WORK/perf.$port" 2>/dev/null) || res=
    p=$(cat "$WORK/p99.$port" 2>/dev/null) || p=
  fi
  if ! kill -0 "$pid" 2>/dev/null || [ -z "${res%% *}" ]; then
    printf "${QROW%\\n}   FAILED: %s\n" "$name" "$round" - - - - "" \
      "$(kill -0 "$pid" 2>/dev/null && echo "no figure from dnsperf: $(one_line "$WORK/dnsperf.$port.txt" 2)" || echo "it exited")"
    return 1
  fi
  RQ=${res%% *} RP=${p%% *}
  printf "$QROW" "$name" "$round" "$(awk -v q="$RQ" 'BEGIN { printf "%.0f", q }')" "$(cut -d' ' -f2 <<< "$res")" \
    "$(cut -d' ' -f3 <<< "$res")" "$RP" "$(cut -d' ' -f4 <<< "${res%%|*}") | ${res#*|}"
}

spread() {  # FORMAT VALUE...: "lowest..highest" of the numeric values
  local fmt=$1
  shift
  printf '%s\n' "$@" | awk -v fmt="$fmt" '$1 ~ /^[0-9.]+$/ { v = $1 + 0; if (n++ == 0 || v < lo) lo = v; if (n == 1 || v > hi) hi = v }
    END { if (n == 0) print "-"; else printf fmt ".." fmt "\n", lo, hi }'
}

part_qps() {
  local nport mport='' nsd_pid mx_pid='' notify_pid='' mx=0 r w nq=() np=() mq=() mp=()
  nport=$(free_port --udp)
  mkdir -p "$WORK/nsd-lab"
  cp "$WORK"/lab/*.zone "$WORK/nsd-lab/"
  nsd_conf "$WORK/nsd-lab" "$nport" "$CORES" yes sina.com bigsky.com 1.0.10.in-addr.arpa
  echo "== Part 1: DNS queries/s, lab zones ($(wc -l < "$WORK/lab/queries") queries in the mix:" \
       "A, MX, NXDOMAIN, CNAME), 127.0.0.1, $CORES cores"
  echo "dnsperf $(dnsperf -h 2>&1 | awk '/^Version/ { print $2 }'): -l $DURATION -c $CLIENTS -Q $QMAX;" \
       "p99 from dnsperf -v at -Q $LAT_QPS for $LAT_SECONDS s"
  echo "rounds: $([ "$WARMUP" -gt 0 ] && echo "a warm-up of -l $WARMUP each (not counted)" || echo "no warm-up")," \
       "then $ROUNDS rounds alternating NSD, mxlab;" \
       "both servers started once and up throughout (the one not measured idles); load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "peer: $("$NSD" -v 2>&1 | head -1): server-count: $CORES, reuseport: yes, rrl-ratelimit: 0," \
       "rrl-whitelist-ratelimit: 0, verbosity: 0, minimal-responses/refuse-any: default (no)"
  start_nsd "$WORK/nsd-lab"
  nsd_pid=$SERVER_PID
  wait_answer "$nport" www.sina.com A 30 "$nsd_pid" || { echo "NSD did not answer" >&2; tail "$WORK/nsd-lab/nsd.out" >&2; exit 1; }
  if have_mxlab NSD_ONLY; then
    mport=$(free_port --udp)
    mkdir -p "$WORK/mx-lab" && cp "$WORK/lab/mxlab.toml" "$WORK/mx-lab/"
    prepare_mxlab "$WORK/mx-lab" "$mport"
    notify_pid=${PIDS[-1]}
    start_mxlab "$WORK/mx-lab"
    mx_pid=$SERVER_PID
    if wait_answer "$mport" www.sina.com A 30 "$mx_pid"; then
      mx=1
      echo "mxlab: $MXLAB ($("$MXLAB" version 2>/dev/null || echo '?')), log_level warn, threads: its own default"
      compare_answers "$nport" "$mport"
    else
      echo "mxlab: not measured ($(why_not "$mx_pid" 30); log: $(one_line "$WORK/mx-lab/mxlab.log"))"
      stop_tree "$mx_pid"
    fi
  fi
  if [ "$WARMUP" -gt 0 ]; then
    perf_run "$nport" "$WARMUP" || true
    w="NSD $(awk '{ printf "%.0f", $1 }' "$WORK/perf.$nport") queries/s"
    if [ "$mx" = 1 ]; then
      perf_run "$mport" "$WARMUP" || true
      w+=", mxlab $(awk '{ printf "%.0f", $1 }' "$WORK/perf.$mport") queries/s"
    fi
    echo "warm-up (not counted): $w"
  fi
  printf "$QROW" "" round "queries/s" "avg ms" "max ms" "p99 ms" "lost | response codes"
  for ((r = 1; r <= ROUNDS; r++)); do
    qps_round NSD "$r" "$nport" "$nsd_pid" || STATUS=1
    nq+=("$RQ") np+=("$RP")
    if [ "$mx" = 1 ]; then
      qps_round mxlab "$r" "$mport" "$mx_pid" || STATUS=1
      mq+=("$RQ") mp+=("$RP")
    fi
  done
  stop_tree "$nsd_pid"
  [ -z "$mx_pid" ] || stop_tree "$mx_pid"
  [ -z "$notify_pid" ] || stop_tree "$notify_pid"
  local nmq nmp mmq mmp rq rp
  nmq=$(median %.0f "${nq[@]}") nmp=$(median %.3f "${np[@]}")
  printf '%-7s %22s %16s %22s %16s\n' "" "queries/s, median of $ROUNDS" "lowest..highest" "p99 ms, median of $ROUNDS" "lowest..highest"
  printf '%-7s %22s %16s %22s %16s\n' NSD "$nmq" "$(spread %.0f "${nq[@]}")" "$nmp" "$(spread %.3f "${np[@]}")"
  if [ "$mx" = 1 ]; then
    mmq=$(median %.0f "${mq[@]}") mmp=$(median %.3f "${mp[@]}")
    printf '%-7s %22s %16s %22s %16s\n' mxlab "$mmq" "$(spread %.0f "${mq[@]}")" "$mmp" "$(spread %.3f "${mp[@]}")"
    rq=$(ratio "$mmq" "$nmq"); rp=$(ratio "$mmp" "$nmp")
    echo "ratio mxlab/NSD of the medians: queries/s $(ratio_x "$rq") (bar >= 1.0: $(verdict "$rq" ">=" 1.0))," \
         "p99 $(ratio_x "$rp") (bar <= 1.0: $(verdict "$rp" "<=" 1.0))"
  fi
  [ "$STATUS" = 0 ] || echo "run.sh: a server failed in part 1's rounds (FAILED above); the exit status will be 1" >&2
}

part_load() {
  local nport mport start ready_ns load_ns
  echo
  echo "== Part 2: a $BIG_RECORDS-record zone (big.lab, A records): load time and memory"
  echo "peer: $("$NSD" -v 2>&1 | head -1): server-count: 1, reuseport: no, zone file, database: \"\""
  nport=$(free_port --udp)
  mkdir -p "$WORK/nsd-big" && cp "$WORK/big/big.lab.zone" "$WORK/nsd-big/"
  nsd_conf "$WORK/nsd-big" "$nport" 1 no big.lab
  start=$(now_ns)
  start_nsd "$WORK/nsd-big"
  wait_answer "$nport" "h$(printf %06d $((BIG_RECORDS - 1))).big.lab" A 120 "$SERVER_PID" \
    || { echo "NSD did not load the zone" >&2; tail "$WORK/nsd-big/nsd.out" >&2; exit 1; }
  load_ns=$(($(now_ns) - start))
  sleep 1  # let it settle (NSD's children start after the load)
  read -r nrss npss <<< "$(memory_kib "$SERVER_PID")"
  stop_tree "$SERVER_PID"
  nload=$(ms "$load_ns")
  printf '%-7s %16s %12s %14s %14s\n' "" "first answer ms" "READY=1 ms" "RSS MiB (sum)" "PSS MiB (sum)"
  printf '%-7s %16s %12s %14.1f %14.1f\n' NSD "$nload" "-" "$(awk -v k="$nrss" 'BEGIN{print k/1024}')" \
    "$(awk -v k="$npss" 'BEGIN{print k/1024}')"
  if have_mxlab NSD_ONLY; then
    mport=$(free_port --udp)
    mkdir -p "$WORK/mx-big" && cp "$WORK/big/mxlab.toml" "$WORK/mx-big/"
    prepare_mxlab "$WORK/mx-big" "$mport"
    start=$(now_ns)
    start_mxlab "$WORK/mx-big"
    if ! wait_answer "$mport" "h$(printf %06d $((BIG_RECORDS - 1))).big.lab" A 120 "$SERVER_PID"; then
      echo "mxlab: not measured ($(why_not "$SERVER_PID" 120); log: $(one_line "$WORK/mx-big/mxlab.log"))"
      stop_tree "$SERVER_PID"; return 0
    fi
    load_ns=$(($(now_ns) - start))
    sleep 1
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "mxlab: exited after loading the zone (log: $(one_line "$WORK/mx-big/mxlab.log"))"
      return 0
    fi
    read -r mrss mpss <<< "$(memory_kib "$SERVER_PID")"
    ready_ns=$(cat "$WORK/mx-big/ready" 2>/dev/null || echo "")
    stop_tree "$SERVER_PID"
    local mload mready
    mload=$(ms "$load_ns")
    mready=$([ -n "$ready_ns" ] && ms $((ready_ns - start)) || echo "n/a")
    printf '%-7s %16s %12s %14.1f %14.1f\n' mxlab "$mload" "$mready" "$(awk -v k="$mrss" 'BEGIN{print k/1024}')" \
      "$(awk -v k="$mpss" 'BEGIN{print k/1024}')"
    local rl rr
    rl=$(ratio "$mload" "$nload"); rr=$(ratio "$mrss" "$nrss")
    echo "mxlab: load ${mload} ms (bar <= 1000 ms: $(verdict "$mload" "<=" 1000)), ${rl}x NSD's;" \
         "RSS ${rr}x NSD's (bar <= 2.0: $(verdict "$rr" "<=" 2.0)); PSS $(ratio "$mpss" "$npss")x"
  fi
}

case "$PART" in
  all) part_qps; part_load ;;
  qps) part_qps ;;
  load) part_load ;;
  *) echo "run.sh: PART is all, qps or load" >&2; exit 1 ;;
esac
exit "$STATUS"
