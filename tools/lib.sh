# Shell helpers shared by the bench/ scripts: a work directory with a
# throwaway PostgreSQL, sluiced started and stopped in the background, and small queries.
# Source it from the repository root after `set -euo pipefail`.

# Creates $work (mode 0711 so the server, running as postgres, can enter) and removes it,
# with the daemon and the server, on exit. $1: name prefix.
make_work_dir() {
  work=$(mktemp -d "/tmp/$1.XXXXXX")
  chmod 0711 "$work"
  daemon_pid=""
  trap cleanup_work_dir EXIT
}

cleanup_work_dir() {
  [[ -n ${daemon_pid:-} ]] && kill -9 "$daemon_pid" 2>/dev/null || true
  tools/pg-sandbox destroy "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}

# Starts sluiced ($1: binary, $2: config) logging to $work/sluiced.log; waits for the socket
# named in $3.
start_daemon() {
  "$1" --config "$2" 2>>"$work/sluiced.log" &
  daemon_pid=$!
  for _ in $(seq 100); do [[ -S $3 ]] && return; sleep 0.1; done
  echo "sluiced did not start" >&2
  cat "$work/sluiced.log" >&2
  exit 1
}

# SIGTERM, then waits: sluiced flushes and prints its counters to $work/sluiced.log.
stop_daemon() {
  kill -TERM "$daemon_pid"
  wait "$daemon_pid" || true
  daemon_pid=""
}

now() { date +%s.%N; }
# Rows committed, from the ledger: polling count(*) on events would itself load the server.
committed() { psql -XtAc "SELECT coalesce(sum(rows), 0) FROM sluice.batches"; }
# Field $2 of the JSON object in file $1.
json() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
# Value of key $1 in the last counters line of $work/sluiced.log.
counter() {
  grep -E "(stopped|counters): " "$work/sluiced.log" | tail -n 1 |
    grep -oE "[ (]$1=[0-9]+" | head -n 1 | cut -d= -f2
}
