#!/usr/bin/env bash
# Times pgferry's methods side by side with their anchors on the same data, in one run:
#   dump:    pgferry migrate --method dump   vs   pg_dump -Fd -j N | pg_restore -j N   vs   pgcopydb clone
#   logical: pgferry migrate --method logical (until ready)   vs   a hand-made publication + subscription
# Two throwaway PostgreSQL 15 clusters (Debian's) in their own directory, stopped on exit.
# Usage: bench/bench.sh [scale=0.5] [runs=3] [jobs=2]      (shop.sql scale 1 is about 0.6 GB)
set -euo pipefail
scale=${1:-0.5}; runs=${2:-3}; jobs=${3:-2}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shop="${SHOP_SQL:-$here/../shared/datasets/shop.sql}"
source "$here/bench/lib.sh"
command -v pgcopydb >/dev/null || { echo "bench: needs pgcopydb (apt-get install pgcopydb)"; exit 4; }
[ -f "$shop" ] || { echo "bench: $shop not found (set SHOP_SQL)"; exit 4; }

echo "loading shop.sql at scale $scale..."
psql -X -q -h 127.0.0.1 -p "$sp" -U postgres -d postgres -c "CREATE DATABASE shop"
psql -X -q -h 127.0.0.1 -p "$sp" -U postgres -d shop -v scale="$scale" -f "$shop" >/dev/null
psql -X -q -h 127.0.0.1 -p "$sp" -U postgres -d shop -c "ALTER TABLE audit_log REPLICA IDENTITY FULL"
bytes=$(psql -X -Atq -h 127.0.0.1 -p "$sp" -U postgres -d shop -c "SELECT pg_database_size('shop')")
echo "source database: $((bytes / 1048576)) MB; $runs run(s) each, $jobs jobs"
[ -f "$here/target/pgferry.jar" ] || (cd "$here" && mvn -q -B -DskipTests package)


raw_dump() {
  rm -rf "$base/raw"
  PGPASSWORD= pg_dump -h 127.0.0.1 -p "$sp" -U postgres -Fd -j "$jobs" -f "$base/raw" shop
  pg_restore -h 127.0.0.1 -p "$tp" -U postgres -d t -j "$jobs" --no-owner --no-acl --exit-on-error "$base/raw"
}
pgferry_dump() {
  rm -rf "$base/work"
  java -jar "$here/target/pgferry.jar" migrate --method dump -j "$jobs" --dir "$base/work" --source "$src" --target "$(dst_db t)"
}
pgcopydb_clone() {
  rm -rf "$base/pgcopydb"
  pgcopydb clone --source "$src" --target "$(dst_db t)" --table-jobs "$jobs" --index-jobs "$jobs" --no-owner --no-acl \
    --dir "$base/pgcopydb"
}
pgferry_logical() {
  rm -rf "$base/work"
  java -jar "$here/target/pgferry.jar" migrate --method logical -j "$jobs" --dir "$base/work" --source "$src" --target "$(dst_db t)" \
    --ready-lag PT2S
  java -jar "$here/target/pgferry.jar" cleanup --dir "$base/work" --source "$src" --target "$(dst_db t)"
}
native_logical() {
  # what people do by hand: schema, publication, subscription, wait until every table is ready
  pg_dump -h 127.0.0.1 -p "$sp" -U postgres --schema-only shop | psql_t -d t >/dev/null
  psql -X -q -h 127.0.0.1 -p "$sp" -U postgres -d shop -c "CREATE PUBLICATION bench FOR ALL TABLES"
  psql_t -d t -c "CREATE SUBSCRIPTION bench CONNECTION 'host=127.0.0.1 port=$sp dbname=shop user=postgres' PUBLICATION bench"
  until [ "$(psql_t -d t -Atc "SELECT count(*) FILTER (WHERE srsubstate <> 'r') FROM pg_subscription_rel")" = 0 ]; do sleep 0.5; done
  psql_t -d t -c "DROP SUBSCRIPTION bench"
  psql -X -q -h 127.0.0.1 -p "$sp" -U postgres -d shop -c "DROP PUBLICATION bench"
}

declare -A times
for tool in raw_dump pgferry_dump pgcopydb_clone native_logical pgferry_logical; do
  for ((r = 1; r <= runs; r++)); do
    fresh_target
    t=$(timeit "$tool"); times[$tool]+="$t "
    echo "  $tool run $r: ${t}s"
  done
done
printf '\n%-16s %10s %10s %10s\n' tool "median s" "MB/s" ratio
for pair in "raw_dump raw_dump" "pgferry_dump raw_dump" "pgcopydb_clone raw_dump" "native_logical native_logical" "pgferry_logical native_logical"; do
  set -- $pair
  m=$(echo "${times[$1]}" | median); a=$(echo "${times[$2]}" | median)
  printf '%-16s %10.2f %10.1f %9.2fx  (vs %s)\n' "$1" "$m" "$(echo "$bytes / 1048576 / $m" | bc -l)" "$(echo "$m / $a" | bc -l)" "$2"
done
