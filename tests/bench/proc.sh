# Process helpers the benchmark scripts share. Each script keeps its own PIDS
# and trap; these end a process tree by PID, never by name.

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
