#!/usr/bin/env bash
# Method copy's change stream against native logical replication, on the same data in one run (issue #6):
#   live:    pgbench -c 4 -T SECONDS writes to the source while the stream applies (the clusters' hour-long
#            checkpoint_timeout keeps a timed checkpoint, and the burst of full-page writes after it, out of
#            either side's window); reports the source's tps,
#            the lag (source WAL position minus the slot's confirmed position) sampled every second, and the
#            catch-up time after the load ends
#   backlog: the apply is held back while pgbench writes for BACKLOG seconds (a lock on the target's
#            pgbench_accounts blocks both appliers alike, warm and connected), then released; the drain time
#            gives each side's steady apply rate (transactions per second); one drain first, not counted, warms
#            both sides up
# Usage: bench/stream.sh [pgbench_scale=50] [seconds=120] [backlog_seconds=30] [drains=3]
# (the apply rate is the median of the drains: these machines are noisy)
set -euo pipefail
scale=${1:-50}; seconds=${2:-120}; backlog=${3:-30}; drains=${4:-3}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$here/bench/lib.sh"

echo "loading pgbench at scale $scale..."
psql_s -d postgres -c "CREATE DATABASE shop"
pgbench_s -q -i -s "$scale" >/dev/null 2>&1
psql_s -d shop -c "ALTER TABLE pgbench_history REPLICA IDENTITY FULL"

slot_lag() { # slot -> bytes behind the source's current WAL position
  psql_s -Atd shop -c "SELECT coalesce(pg_current_wal_lsn() - confirmed_flush_lsn, -1)::bigint FROM pg_replication_slots WHERE slot_name = '$1'"
}
confirmed_past() { # slot lsn -> t when the slot confirmed lsn
  psql_s -Atd shop -c "SELECT confirmed_flush_lsn >= '$2'::pg_lsn FROM pg_replication_slots WHERE slot_name = '$1'"
}
await_lsn() { # slot lsn -> seconds until confirmed
  local s e; s=$(date +%s.%N)
  until [ "$(confirmed_past "$1" "$2")" = t ]; do sleep 0.05; done
  e=$(date +%s.%N); echo "$e - $s" | bc
}
live_load() { # slot name -> prints "tps max_lag_kb median_lag_kb catchup_s"
  local slot=$1 samples="$base/lag-$1"
  : >"$samples"
  ( while sleep 1; do slot_lag "$slot" >>"$samples"; done ) & local sampler=$!
  local tps; tps=$(pgbench_s -n -c 4 -j 2 -T "$seconds" 2>/dev/null | awk '/^tps/ {print $3; exit}')
  local end; end=$(psql_s -Atd shop -c "SELECT pg_current_wal_lsn()")
  local catchup; catchup=$(await_lsn "$slot" "$end")
  kill $sampler 2>/dev/null || true
  mkdir -p "$here/target/bench-logs" && cp "$samples" "$here/target/bench-logs/stream-lag-$slot.txt"
  local max med
  max=$(sort -n "$samples" | tail -1); med=$(sort -n "$samples" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$tps $((max / 1024)) $((med / 1024)) $catchup"
}
drain_rates() { # slot -> the median apply rate (transactions/s) of $drains backlog drains, after one not counted
  local rates="" n d
  # warm-up: the first large backlog is where each side's caches fill and pgferry's JIT compiles the
  # bulk apply paths (several CPU-seconds of C2 on 2 cores, which the live load's small batches never trigger)
  backlog_drain "$1" >/dev/null
  for ((i = 1; i <= drains; i++)); do
    read -r n d <<<"$(backlog_drain "$1")"
    rates+="$(echo "$n / $d" | bc -l) "
  done
  echo "$rates" | median
}
count_xacts() { psql_s -Atd shop -c "SELECT count(*) FROM pgbench_history"; }
backlog_drain() { # slot -> prints "transactions drain_seconds": writes a backlog while the target's apply is held, then drains it
  rm -f "$base/hold"; mkfifo "$base/hold"
  ( psql_t -d t -c "BEGIN" -c "LOCK TABLE pgbench_accounts IN ACCESS EXCLUSIVE MODE" -c "\\! cat $base/hold" -c "COMMIT" >/dev/null ) &
  local holder=$!
  until [ "$(psql_t -Atd t -c "SELECT count(*) FROM pg_locks WHERE relation = 'pgbench_accounts'::regclass AND mode = 'AccessExclusiveLock' AND granted")" = 1 ]; do sleep 0.1; done
  local before; before=$(count_xacts)
  pgbench_s -n -c 4 -j 2 -T "$backlog" >/dev/null 2>&1
  local n=$(( $(count_xacts) - before ))
  local end; end=$(psql_s -Atd shop -c "SELECT pg_current_wal_lsn()")
  local s e; s=$(date +%s.%N)
  echo go >"$base/hold"; wait $holder
  until [ "$(confirmed_past "$1" "$end")" = t ]; do sleep 0.05; done
  e=$(date +%s.%N); echo "$n $(echo "$e - $s" | bc)"
}

# --- native logical replication
fresh_target
pg_dump -h 127.0.0.1 -p "$sp" -U postgres --schema-only shop | psql_t -d t >/dev/null
psql_s -d shop -c "CREATE PUBLICATION bench FOR ALL TABLES"
psql_t -d t -c "CREATE SUBSCRIPTION bench CONNECTION 'host=127.0.0.1 port=$sp dbname=shop user=postgres' PUBLICATION bench"
until [ "$(psql_t -Atd t -c "SELECT count(*) FILTER (WHERE srsubstate <> 'r') FROM pg_subscription_rel")" = 0 ]; do sleep 0.5; done
echo "native: initial sync done; live load for ${seconds}s"
read -r n_tps n_max n_med n_catch <<<"$(live_load bench)"
n_rate=$(drain_rates bench)
psql_t -d t -c "DROP SUBSCRIPTION bench"; psql_s -d shop -c "DROP PUBLICATION bench"

# --- pgferry copy + change stream
fresh_target
rm -rf "$base/work"
java -jar "$jar" migrate --method copy --set-replica-identity-full -j 2 --dir "$base/work" --source "$src" --target "$(dst_db t)" \
  >"$base/pgferry.log" 2>&1 & ferry=$!
until grep -qs "change stream from slot" "$base/pgferry.log"; do kill -0 $ferry || { cat "$base/pgferry.log"; exit 1; }; sleep 0.5; done
slot=$(grep -o 'slot pgferry_[0-9a-f]*' "$base/pgferry.log" | head -1 | cut -d' ' -f2)
echo "pgferry: copy done, streaming from $slot; live load for ${seconds}s"
read -r p_tps p_max p_med p_catch <<<"$(live_load "$slot")"
p_rate=$(drain_rates "$slot")
java -jar "$jar" cutover --fence none --dir "$base/work" --source "$src" --target "$(dst_db t)" >"$base/cutover.log" 2>&1 \
  || { echo "pgferry cutover failed:"; cat "$base/cutover.log"; }
wait $ferry 2>/dev/null || true
mkdir -p "$here/target/bench-logs" && cp "$base/pgferry.log" "$here/target/bench-logs/stream-pgferry.log"
grep -h "set-based" "$base/pgferry.log" || true
java -jar "$jar" cleanup --dir "$base/work" --source "$src" --target "$(dst_db t)" >/dev/null

printf '\n%-8s %10s %12s %12s %12s %14s\n' "" "source tps" "max lag KB" "median KB" "catch-up s" "apply xact/s"
printf '%-8s %10.0f %12d %12d %12.2f %14.0f\n' native "$n_tps" "$n_max" "$n_med" "$n_catch" "$n_rate"
printf '%-8s %10.0f %12d %12d %12.2f %14.0f\n' pgferry "$p_tps" "$p_max" "$p_med" "$p_catch" "$p_rate"
printf '\nratios pgferry/native: source tps %.2fx, apply rate %.2fx\n' "$(echo "$p_tps / $n_tps" | bc -l)" \
  "$(echo "$p_rate / $n_rate" | bc -l)"
