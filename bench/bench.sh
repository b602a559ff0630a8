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
bin=/usr/lib/postgresql/15/bin
[ -x "$bin/postgres" ] || { echo "bench: needs Debian's postgresql-15 (apt-get install postgresql-15)"; exit 4; }
command -v pgcopydb >/dev/null || { echo "bench: needs pgcopydb (apt-get install pgcopydb)"; exit 4; }
[ -f "$shop" ] || { echo "bench: $shop not found (set SHOP_SQL)"; exit 4; }

base=$(mktemp -d /tmp/pgferry-bench-XXXXXX)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres: "$base"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
stop_all() {
  for c in src dst; do [ -d "$base/$c" ] && as_pg "$bin/pg_ctl" -D "$base/$c" -m fast stop >/dev/null 2>&1 || true; done
  rm -rf "$base"
}
trap stop_all EXIT

start_cluster() { # name port
  as_pg "$bin/initdb" -D "$base/$1" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
  cat >> "$base/$1/postgresql.conf" <<CONF
port = $2
listen_addresses = '127.0.0.1'
unix_socket_directories = '$base'
wal_level = logical
max_wal_senders = 20
max_replication_slots = 20
max_worker_processes = 16
max_logical_replication_workers = 8
shared_buffers = 256MB
maintenance_work_mem = 256MB
max_wal_size = 4GB
CONF
  as_pg "$bin/pg_ctl" -D "$base/$1" -l "$base/$1.log" -w start >/dev/null
}
sp=$(free_port); start_cluster src "$sp"
tp=$(free_port); start_cluster dst "$tp"
src="postgres://postgres@127.0.0.1:$sp/shop?sslmode=disable"
dst_db() { echo "postgres://postgres@127.0.0.1:$tp/$1?sslmode=disable"; }
psql_t() { psql -X -q -h 127.0.0.1 -p "$tp" -U postgres "$@"; }
fresh_target() { psql_t -d postgres -c "DROP DATABASE IF EXISTS t WITH (FORCE)" -c "CREATE DATABASE t"; }

echo "loading shop.sql at scale $scale..."
psql -X -q -h 127.0.0.1 -p "$sp" -U postgres -d postgres -c "CREATE DATABASE shop"
psql -X -q -h 127.0.0.1 -p "$sp" -U postgres -d shop -v scale="$scale" -f "$shop" >/dev/null
psql -X -q -h 127.0.0.1 -p "$sp" -U postgres -d shop -c "ALTER TABLE audit_log REPLICA IDENTITY FULL"
bytes=$(psql -X -Atq -h 127.0.0.1 -p "$sp" -U postgres -d shop -c "SELECT pg_database_size('shop')")
echo "source database: $((bytes / 1048576)) MB; $runs run(s) each, $jobs jobs"
[ -f "$here/target/pgferry.jar" ] || (cd "$here" && mvn -q -B -DskipTests package)

timeit() { local s e; s=$(date +%s.%N); "$@" >"$base/last.log" 2>&1 || { cat "$base/last.log"; exit 1; }; e=$(date +%s.%N); echo "$e - $s" | bc; }

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
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
printf '\n%-16s %10s %10s %10s\n' tool "median s" "MB/s" ratio
for pair in "raw_dump raw_dump" "pgferry_dump raw_dump" "pgcopydb_clone raw_dump" "native_logical native_logical" "pgferry_logical native_logical"; do
  set -- $pair
  m=$(echo "${times[$1]}" | median); a=$(echo "${times[$2]}" | median)
  printf '%-16s %10.2f %10.1f %9.2fx  (vs %s)\n' "$1" "$m" "$(echo "$bytes / 1048576 / $m" | bc -l)" "$(echo "$m / $a" | bc -l)" "$2"
done
