# Shared by the bench scripts: two throwaway PostgreSQL 15 clusters (Debian's) in their own
# directory, stopped and removed on exit, and a timer. Source this file; it sets base, sp, tp.
export LC_ALL=C # bash's times and printf read and write numbers with a point
bin=/usr/lib/postgresql/15/bin
[ -x "$bin/postgres" ] || { echo "bench: needs Debian's postgresql-15 (apt-get install postgresql-15)"; exit 4; }
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
checkpoint_timeout = 1h
CONF
  as_pg "$bin/pg_ctl" -D "$base/$1" -l "$base/$1.log" -w start >/dev/null
}
sp=$(free_port); start_cluster src "$sp"
tp=$(free_port); start_cluster dst "$tp"
src="postgres://postgres@127.0.0.1:$sp/shop?sslmode=disable"
dst_db() { echo "postgres://postgres@127.0.0.1:$tp/$1?sslmode=disable"; }
psql_t() { psql -X -q -h 127.0.0.1 -p "$tp" -U postgres "$@"; }
fresh_target() { psql_t -d postgres -c "DROP DATABASE IF EXISTS t WITH (FORCE)" -c "CREATE DATABASE t"; }

# CPU seconds the backends of cluster $1 used so far: the postmaster's reaped children (every backend, autovacuum
# worker and parallel worker that exited; not the long-lived walwriter, checkpointer and bgwriter)
ticks=$(getconf CLK_TCK)
server_cpu() { awk -v t="$ticks" '{printf "%.2f", ($16 + $17) / t}' "/proc/$(head -1 "$base/$1/postmaster.pid")/stat"; }
# Runs a command, prints its wall seconds; "$base/last.cpu" gets its CPU seconds: "client source target"
# (client: the command and every process it waited for; source/target: that cluster's backends)
timeit() {
  local s e s0 d0
  s0=$(server_cpu src); d0=$(server_cpu dst); s=$(date +%s.%N)
  ( "$@" >"$base/last.log" 2>&1; rc=$?; times >"$base/last.times"; exit $rc ) || { cat "$base/last.log" >&2; exit 1; }
  e=$(date +%s.%N)
  # times: the subshell's own line, then its children's ("0m1.234s 0m0.567s")
  local client; client=$(sed -n 2p "$base/last.times" | awk '{n = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); n += a[1] * 60 + a[2] } printf "%.2f", n}')
  echo "$client $(echo "$(server_cpu src) - $s0" | bc) $(echo "$(server_cpu dst) - $d0" | bc)" >"$base/last.cpu"
  echo "$e - $s" | bc
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
psql_s() { psql -X -q -h 127.0.0.1 -p "$sp" -U postgres "$@"; }
pgbench_s() { "$bin/pgbench" -h 127.0.0.1 -p "$sp" -U postgres "$@" shop; }
jar="${PGFERRY_JAR:-$here/target/pgferry.jar}"
[ -f "$jar" ] || (cd "$here" && mvn -q -B -DskipTests package)
