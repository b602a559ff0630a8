#!/usr/bin/env bash
# Method copy against its anchors on the same data, in one run (issue #5):
#   pgferry migrate --method copy --no-follow   vs   pgcopydb clone (same job counts)
#   vs   pg_dump -Fd -j N + pg_restore -j N   vs   the data floor: every table's COPY piped
#   source -> target into a schema without indexes, N pipes at a time. pgferry's data phase is
#   timed twice: inside its full run (index builds, foreign keys and ANALYZE share the cores
#   with it), and alone, with --data-only into the data floor's own schema.
# Data: shop.sql at the given scale plus pgbench at the given scale, in one database.
# Usage: bench/copy.sh [shop_scale=2] [pgbench_scale=50] [runs=3] [jobs=2]
set -euo pipefail
scale=${1:-2}; pgbench_scale=${2:-50}; runs=${3:-3}; jobs=${4:-2}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shop="${SHOP_SQL:-$here/../shared/datasets/shop.sql}"
source "$here/bench/lib.sh"
command -v pgcopydb >/dev/null || { echo "bench: needs pgcopydb (apt-get install pgcopydb)"; exit 4; }
[ -f "$shop" ] || { echo "bench: $shop not found (set SHOP_SQL)"; exit 4; }

echo "loading shop.sql at scale $scale and pgbench at scale $pgbench_scale..."
psql_s -d postgres -c "CREATE DATABASE shop"
psql_s -d shop -v scale="$scale" -f "$shop" >/dev/null
"$bin/pgbench" -q -i -s "$pgbench_scale" -h 127.0.0.1 -p "$sp" -U postgres shop >/dev/null 2>&1
psql_s -d shop -c "VACUUM ANALYZE"
bytes=$(psql_s -Atd shop -c "SELECT pg_database_size('shop')")
echo "source database: $((bytes / 1048576)) MB; $runs run(s) each, $jobs jobs"
"$here/pgferry" --version >/dev/null # builds the jar if missing or stale, before any timing

pgferry_copy() {
  rm -rf "$base/work"
  "$here/pgferry" migrate --method copy --no-follow -j "$jobs" --index-jobs "$jobs" --dir "$base/work" \
    --source "$src" --target "$(dst_db t)"
}
pgcopydb_clone() {
  rm -rf "$base/pgcopydb"
  pgcopydb clone --source "$src" --target "$(dst_db t)" --table-jobs "$jobs" --index-jobs "$jobs" --no-owner --no-acl \
    --dir "$base/pgcopydb"
}
raw_dump() {
  rm -rf "$base/raw"
  pg_dump -h 127.0.0.1 -p "$sp" -U postgres -Fd -j "$jobs" -f "$base/raw" shop
  pg_restore -h 127.0.0.1 -p "$tp" -U postgres -d t -j "$jobs" --no-owner --no-acl --exit-on-error "$base/raw"
}
floor_schema() { pg_dump -h 127.0.0.1 -p "$sp" -U postgres --section=pre-data shop | psql_t -d t >/dev/null; }
floor_copy() {
  # largest first, N pipes at a time; generated columns are left to the target as pgferry does
  psql_s -Atd shop -c "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY pg_table_size(c.oid) DESC" |
    xargs -P "$jobs" -I{} bash -c "psql -X -q -h 127.0.0.1 -p $sp -U postgres -d shop -c 'COPY {} TO STDOUT' |
      psql -X -q -h 127.0.0.1 -p $tp -U postgres -d t -c 'COPY {} FROM STDIN'"
}

pgferry_data_only() {
  rm -rf "$base/work"
  "$here/pgferry" migrate --method copy --no-follow --data-only -j "$jobs" --dir "$base/work" \
    --source "$src" --target "$(dst_db t)"
}

declare -A times cpus clients
data_times=""
# round by round, every tool once per round: a machine whose speed drifts over the minutes (these do) then slows
# or speeds every tool alike, where running one tool's runs back to back would hand the drift to the ratios
for ((r = 1; r <= runs; r++)); do
  for tool in raw_dump pgcopydb_clone pgferry_copy floor pgferry_data_only; do
    fresh_target
    if [ "$tool" = floor ] || [ "$tool" = pgferry_data_only ]; then
      floor_schema
      t=$(timeit "${tool/floor/floor_copy}")
    else
      t=$(timeit "$tool")
    fi
    times[$tool]+="$t "
    read -r c_client c_src c_dst <"$base/last.cpu"
    cpus[$tool]+="$(echo "$c_client + $c_src + $c_dst" | bc) "; clients[$tool]+="$c_client "
    if [ "$tool" = pgferry_copy ]; then
      # the rows' own time, as pgferry's summary reports it: "... table(s) copied (N rows, X MB in 12.3s, ...)"
      d=$(grep -o ' in [0-9m.]*s, ' "$base/last.log" | head -1 | awk '{v=$2; sub("s,?$", "", v); n=split(v, a, "m"); print (n == 2 ? a[1] * 60 + a[2] : a[1])}')
      data_times+="$d "
      mkdir -p "$here/target/bench-logs" && cp "$base/last.log" "$here/target/bench-logs/pgferry-copy-run$r.log"
      echo "  $tool run $r: ${t}s (rows copied in ${d}s)"
    else
      echo "  $tool run $r: ${t}s"
    fi
  done
done
times[pgferry_rows]="$data_times"
printf '\n%-16s %10s %10s %10s %10s %10s\n' tool "median s" "MB/s" ratio "CPU s" "client"
for pair in "raw_dump raw_dump" "pgcopydb_clone raw_dump" "pgferry_copy raw_dump" "pgferry_copy pgcopydb_clone" \
            "floor floor" "pgferry_rows floor" "pgferry_data_only floor"; do
  set -- $pair
  m=$(echo "${times[$1]}" | median); a=$(echo "${times[$2]}" | median)
  cpu="-"; client="-"
  if [ -n "${cpus[$1]:-}" ]; then cpu=$(echo "${cpus[$1]}" | median); client=$(echo "${clients[$1]}" | median); fi
  printf '%-16s %10.2f %10.1f %9.2fx %10s %10s  (vs %s)\n' "$1" "$m" "$(echo "$bytes / 1048576 / $m" | bc -l)" "$(echo "$m / $a" | bc -l)" \
    "$cpu" "$client" "$2"
done
# the same ratios round by round (the two tools ran minutes apart at most), then their median: steadier than a ratio
# of medians when the machine's speed drifts between rounds
paired() { # tool anchor -> the median of per-round ratios
  local -a a b; read -r -a a <<<"${times[$1]}"; read -r -a b <<<"${times[$2]}"
  for ((i = 0; i < ${#a[@]}; i++)); do echo "${a[$i]} / ${b[$i]}" | bc -l; done | median
}
printf '\nround by round, median ratio: pgferry_copy %.2fx raw_dump, %.2fx pgcopydb_clone; pgferry_rows %.2fx floor\n' \
  "$(paired pgferry_copy raw_dump)" "$(paired pgferry_copy pgcopydb_clone)" "$(paired pgferry_rows floor)"
cat <<'NOTE'
CPU s: median CPU seconds of the run, the tool's processes and both servers' backends together (not the servers'
walwriter, checkpointer and bgwriter); client: the tool's own processes. On a machine whose cores are all busy,
wall time follows CPU seconds / cores, so a ratio of wall times cannot beat the ratio of the work done.
NOTE
