#!/usr/bin/env bash
# Chaos run (issue #19, not part of CI): method copy from PostgreSQL 15 to 18 with a writer on the source, pgferry
# SIGKILLed N times at random moments through the copy and the change stream (each time the same migrate command
# resumes), then a cutover with checksums. Counts, on a keyless table the writer fills with numbered rows, the
# rows the target lacks (lost) and holds more than once (doubled), and compares every table's digest.
# After each restart once the copy is done, and at the end, a stream that sits still with lag pending is reported
# as a stall (the slot must confirm what the source had written at the restart within STALL_SECONDS, default 60).
# Usage: bench/chaos.sh [cycles=50] [shop_scale=0.02] [seed]   (the seed makes the kill moments repeatable)
set -euo pipefail
export LC_ALL=C
cycles=${1:-50}; scale=${2:-0.02}; seed=${3:-$(( $(date +%s%N) % 1000000 ))}
stall_seconds=${STALL_SECONDS:-60}
RANDOM=$seed
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="${PGFERRY_JAR:-$here/target/pgferry.jar}"
src_bin=/usr/lib/postgresql/15/bin
dist18=$here/target/classes/pgdist/18/postgres-linux-x86_64.txz # bundled in the jar since the demo runs 15 -> 18
[ -x "$src_bin/postgres" ] || { echo "chaos: needs Debian's postgresql-15"; exit 4; }
[ -f "$jar" ] && [ -f "$dist18" ] || (cd "$here" && mvn -q -B -o -DskipTests package)
echo "chaos: $cycles cycles, shop scale $scale, seed $seed (repeat with: bench/chaos.sh $cycles $scale $seed)"

base=$(mktemp -d /tmp/pgferry-chaos-XXXXXX)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres: "$base"
mkdir -p "$base/pg18" && tar -xJf "$dist18" -C "$base/pg18"
cp "$jar" "$base/pgferry.jar" && jar=$base/pgferry.jar # a rebuild during the run must not change the pgferry it kills
ferry=""; writer=""
stop_all() {
  for p in $ferry $writer; do kill -9 "$p" 2>/dev/null || true; done
  as_pg "$src_bin/pg_ctl" -D "$base/src" -m immediate stop >/dev/null 2>&1 || true
  as_pg "$base/pg18/bin/pg_ctl" -D "$base/dst" -m immediate stop >/dev/null 2>&1 || true
  mkdir -p "$here/target/bench-logs" && cp "$base"/*.log "$here/target/bench-logs/" 2>/dev/null || true
  rm -rf "$base"
}
trap stop_all EXIT
trap 'exit 130' INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_cluster() { # bin name port
  as_pg "$1/initdb" -D "$base/$2" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
  printf "port = %s\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nwal_level = logical\nmax_wal_senders = 20\nmax_replication_slots = 20\n" \
    "$3" "$base" >>"$base/$2/postgresql.conf"
  as_pg "$1/pg_ctl" -D "$base/$2" -l "$base/$2-server.log" -w start >/dev/null
}
sp=$(free_port); start_cluster "$src_bin" src "$sp"
tp=$(free_port); start_cluster "$base/pg18/bin" dst "$tp"
src="postgres://postgres@127.0.0.1:$sp/shop?sslmode=disable"
dst="postgres://postgres@127.0.0.1:$tp/shop?sslmode=disable"
psql_s() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$sp" -U postgres -d shop "$@"; }
psql_t() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$tp" -U postgres -d shop "$@"; }

psql -X -q -h 127.0.0.1 -p "$sp" -U postgres -d postgres -c "CREATE DATABASE shop"
psql -X -q -h 127.0.0.1 -p "$tp" -U postgres -d postgres -c "CREATE DATABASE shop"
echo "loading shop.sql at scale $scale..."
psql_s -v scale="$scale" -f "$here/../shared/datasets/shop.sql" >/dev/null
# numbered rows in a table without a key: a change applied twice shows as a doubled number, one never applied as a gap
psql_s -c "CREATE TABLE chaos_rows (n bigint NOT NULL, payload text)" -c "CREATE SEQUENCE chaos_n"
ncust=$(psql_s -Atc "SELECT max(id) FROM customers")
cat >"$base/writer.sql" <<SQL
\set c random(1, $ncust)
BEGIN;
INSERT INTO chaos_rows VALUES (nextval('chaos_n'), repeat('x', 200));
INSERT INTO chaos_rows VALUES (nextval('chaos_n'), 'second of the transaction');
UPDATE customers SET name = 'chaos ' || :c WHERE id = :c;
DELETE FROM audit_log WHERE ctid = (SELECT ctid FROM audit_log LIMIT 1);
COMMIT;
SQL
"$src_bin/pgbench" -n -h 127.0.0.1 -p "$sp" -U postgres -c 2 -R 100 -T 36000 -f "$base/writer.sql" shop >"$base/writer.log" 2>&1 &
writer=$!

migrate=(java -jar "$jar" migrate --method copy --set-replica-identity-full -j 2 --split-tables-larger-than 2MB
         --dir "$base/work" --source "$src" --target "$dst")
state() { python3 - "$base/work/state.db" "$1" <<'PY'
import sqlite3, sys
try:
    c = sqlite3.connect(sys.argv[1], timeout=5)
    row = c.execute(sys.argv[2]).fetchone()
    print(row[0] if row and row[0] is not None else "")
except Exception:
    print("")
PY
}
streaming_log() { grep -qs "change stream from slot" "$1"; }
# A stream must never sit still with lag pending: after a (re)start, the run's slot must confirm everything the
# source had written at that moment within $stall_seconds
await_caught_up() { # log -> 0 when caught up, 1 on a stall (printed)
  local deadline=$((SECONDS + stall_seconds)) wal
  wal=$(psql_s -Atc "SELECT pg_current_wal_lsn()")
  while [ $SECONDS -lt $deadline ]; do
    kill -0 "$ferry" 2>/dev/null || { echo "  pgferry ended: $(tail -3 "$1")"; return 1; }
    [ "$(psql_s -Atc "SELECT bool_or(confirmed_flush_lsn >= '$wal') FROM pg_replication_slots WHERE slot_name LIKE 'pgferry%' AND NOT temporary")" = t ] && return 0
    sleep 0.5
  done
  echo "  STALL: the slot is short of $wal ${stall_seconds}s after the restart, $(psql_s -Atc "SELECT pg_size_pretty(pg_current_wal_lsn() - confirmed_flush_lsn) FROM pg_replication_slots WHERE slot_name LIKE 'pgferry%' AND NOT temporary") behind (seed $seed, log $1)"
  return 1
}

stalls=0; in_stream=0; in_copy=0
for ((i = 1; i <= cycles; i++)); do
  log="$base/cycle-$i.log"
  "${migrate[@]}" >"$log" 2>&1 & ferry=$!
  # the first half of the kills land wherever their delay falls (in the copy while it lasts: each rerun copies
  # the unfinished tables again), the second half wait for the stream, so both are killed whatever the copy's length
  if (( i > cycles / 2 )); then
    # wait for the stream, check that it catches up, then kill it at a random moment of its run
    until streaming_log "$log"; do kill -0 $ferry 2>/dev/null || break; sleep 0.2; done
    await_caught_up "$log" || stalls=$((stalls + 1))
  fi
  delay_ms=$((RANDOM % 20000 + 300))
  sleep "$(echo "scale=3; $delay_ms / 1000" | bc)"
  if ! kill -0 $ferry 2>/dev/null; then
    wait $ferry && rc=0 || rc=$?
    echo "cycle $i: pgferry ended on its own (exit $rc) before the kill: $(grep -E '^(error|pgferry:)' "$log" | tail -2)"
    [ $rc = 0 ] || { echo "chaos: pgferry failed, see $log"; tail -20 "$log"; exit 1; }
  else
    kill -9 $ferry; wait $ferry 2>/dev/null || true
  fi
  if streaming_log "$log"; then phase=stream; in_stream=$((in_stream + 1)); else phase=copy; in_copy=$((in_copy + 1)); fi
  echo "cycle $i: SIGKILL after ${delay_ms} ms ($phase)"
done

log="$base/final.log"
"${migrate[@]}" >"$log" 2>&1 & ferry=$!
until streaming_log "$log"; do kill -0 $ferry 2>/dev/null || { echo "chaos: the final run ended:"; tail -20 "$log"; exit 1; }; sleep 0.2; done
await_caught_up "$log" || stalls=$((stalls + 1))
kill "$writer"; wait "$writer" 2>/dev/null || true; writer=""
java -jar "$jar" cutover --checksums --max-lag 5m --timeout 10m --dir "$base/work" --source "$src" --target "$dst" \
  >"$base/cutover.log" 2>&1 && cut=ok || { cut=FAILED; cat "$base/cutover.log"; kill -9 $ferry; }
wait $ferry 2>/dev/null || true; ferry=""

rows() { "$1" -Atc "SELECT n, count(*) FROM chaos_rows GROUP BY n" | sort -t'|' -k1,1; }
rows psql_s >"$base/source.rows"; rows psql_t >"$base/target.rows"
# lost: numbers on the source the target lacks; doubled: extra copies of a number on the target
lost=$(join -t'|' -v1 "$base/source.rows" "$base/target.rows" | wc -l)
[ "$lost" = 0 ] || echo "lost numbers (first 10): $(join -t'|' -v1 "$base/source.rows" "$base/target.rows" | cut -d'|' -f1 | sort -n | head -10 | paste -sd' ')"
doubled=$(join -t'|' "$base/source.rows" "$base/target.rows" | awk -F'|' '$3 > $2 {d += $3 - $2} END {print d + 0}')
digest="SELECT string_agg(t, ' ' ORDER BY t) FROM (SELECT format('%s:%s', c.oid::regclass, (xpath('/row/c/text()',
  query_to_xml(format('SELECT count(*) || ''.'' || coalesce(sum(hashtext(x::text)::bigint), 0) AS c FROM ONLY %s x', c.oid::regclass),
  false, false, '')))[1]::text) AS t FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace) d"
[ "$(psql_s -Atc "$digest")" = "$(psql_t -Atc "$digest")" ] && same=identical || same=DIFFERENT
printf '\ncycles %d (%d in the copy, %d in the stream), seed %s\n' "$cycles" "$in_copy" "$in_stream" "$seed"
printf 'rows written %d, lost %d, doubled %d; tables %s; cutover with checksums %s; stalls %d\n' \
  "$(wc -l <"$base/source.rows")" "$lost" "$doubled" "$same" "$cut" "$stalls"
[ "$lost" = 0 ] && [ "$doubled" = 0 ] && [ "$same" = identical ] && [ "$cut" = ok ] && [ "$stalls" = 0 ]
