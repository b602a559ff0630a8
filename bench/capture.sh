#!/usr/bin/env bash
# Trigger capture's price and pace (issue #22), in one run on the same data:
#   the source's pgbench tps with no capture, with method copy's trigger capture installed and applying, and with
#   its logical slot stream applying; for each capture, the changes applied per second while the load ran and the
#   catch-up time after it ended (until the target holds everything up to the source's WAL end position).
# pgbench_history has no key, so both captures leave it out (--exclude-table), and tps compare like for like.
# Usage: bench/capture.sh [pgbench_scale=20] [seconds=60]
set -euo pipefail
scale=${1:-20}; seconds=${2:-60}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$here/bench/lib.sh"

echo "loading pgbench at scale $scale..."
psql_s -d postgres -c "CREATE DATABASE shop"
pgbench_s -q -i -s "$scale" >/dev/null 2>&1
tps() { pgbench_s -n -c 4 -j 2 -T "$seconds" 2>/dev/null | awk '/^tps/ {print $3; exit}'; }
state() { # work dir, SQL -> the state store's answer
  python3 -c 'import sqlite3,sys; r=sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone(); print(r[0] if r else "")' "$1/state.db" "$2" 2>/dev/null || true
}
lsn_num() { python3 -c 'import sys; h,l=sys.argv[1].split("/"); print(int(h,16)<<32|int(l,16))' "$1"; }

echo "baseline: pgbench -c 4 for ${seconds}s, no capture"
tps_none=$(tps)
declare -A tps_with rate catchup
for capture in triggers logical; do
  fresh_target
  work="$base/w-$capture"
  java -jar "$jar" migrate --method copy --capture "$capture" --exclude-table public.pgbench_history --jobs 2 \
      --dir "$work" --source "$src" --target "$(dst_db t)" >"$base/migrate-$capture.log" 2>&1 &
  pid=$!
  until [ -n "$(state "$work" "SELECT updated_at FROM cdc_progress")" ]; do
    kill -0 $pid 2>/dev/null || { cat "$base/migrate-$capture.log"; exit 1; }; sleep 0.5
  done
  echo "$capture: pgbench -c 4 for ${seconds}s while it applies"
  before=$(state "$work" "SELECT applied_xacts FROM cdc_progress"); s=$(date +%s.%N)
  tps_with[$capture]=$(tps)
  end=$(psql_s -Atd shop -c "SELECT pg_current_wal_insert_lsn()"); e=$(date +%s.%N)
  until a=$(state "$work" "SELECT applied_lsn FROM cdc_progress"); [ -n "$a" ] && [ "$(lsn_num "$a")" -ge "$(lsn_num "$end")" ]; do sleep 0.1; done
  c=$(date +%s.%N)
  after=$(state "$work" "SELECT applied_xacts FROM cdc_progress")
  catchup[$capture]=$(echo "$c - $e" | bc)
  # triggers count log rows (changed keys), the slot stream transactions: each per second of load plus catch-up
  rate[$capture]=$(echo "($after - $before) / ($c - $s)" | bc -l)
  java -jar "$jar" cutover --fence none --dir "$work" --source "$src" --target "$(dst_db t)" >"$base/cutover-$capture.log" 2>&1 \
      || { cat "$base/cutover-$capture.log"; exit 1; }
  wait $pid || true
  java -jar "$jar" cleanup --dir "$work" --source "$src" --target "$(dst_db t)" >/dev/null
done
printf '\n%-10s %10s %12s %22s %12s\n' capture tps "tps ratio" "applied/s (unit)" "catch-up s"
printf '%-10s %10.1f %12s %22s %12s\n' none "$tps_none" 1.00 - -
printf '%-10s %10.1f %12.2f %14.1f (keys) %12.2f\n' triggers "${tps_with[triggers]}" "$(echo "${tps_with[triggers]} / $tps_none" | bc -l)" \
    "${rate[triggers]}" "${catchup[triggers]}"
printf '%-10s %10.1f %12.2f %14.1f (xacts) %12.2f\n' logical "${tps_with[logical]}" "$(echo "${tps_with[logical]} / $tps_none" | bc -l)" \
    "${rate[logical]}" "${catchup[logical]}"
