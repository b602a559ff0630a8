#!/usr/bin/env bash
# Provides pg_dump and pg_restore 17 on Debian 12, whose own PostgreSQL stops at 15, so that
# the tests can copy the schema of a 16 or 17 source for real (copy 17 -> 18, logical 16 -> 17).
#
# Debian 13's postgresql-client-17 is built against glibc 2.38+, newer than Debian 12's. The
# packages are fetched by apt-get (signatures checked against Debian's archive keyring), only
# unpacked into DIR, never installed: the system is not touched. Each tool runs through Debian
# 13's own dynamic loader with its glibc and libpq first on the library path; every other
# library comes from the system.
#
# Usage: .ci/pg-client-17.sh DIR   prints the bin directory to put on PATH; exits non-zero if
# anything is missing (the tests that need it then skip and say why).
set -euo pipefail
dir=$1
bin="$dir/bin"
if [ -x "$bin/pg_dump" ] && "$bin/pg_dump" --version 2>/dev/null | grep -q '(PostgreSQL) 17'; then
  echo "$bin"
  exit 0
fi
rm -rf "$dir"
mkdir -p "$dir/apt/lists/partial" "$dir/apt/archives/partial" "$dir/root"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" > "$dir/apt/sources.list"
apt_opts=(-q -o "Dir::Etc::SourceList=$dir/apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
  -o "Dir::State::Lists=$dir/apt/lists" -o "Dir::Cache=$dir/apt" -o APT::Sandbox::User=root)
apt-get "${apt_opts[@]}" update >&2
(cd "$dir/apt" && apt-get "${apt_opts[@]}" download postgresql-client-17 libpq5/trixie libc6/trixie libldap2 >&2)
for deb in "$dir"/apt/*.deb; do
  dpkg-deb -x "$deb" "$dir/root"
done
lib="$dir/root/usr/lib/x86_64-linux-gnu"
tools="$dir/root/usr/lib/postgresql/17/bin"
mkdir -p "$bin"
for tool in pg_dump pg_restore pg_dumpall; do
  cat > "$bin/$tool" <<WRAPPER
#!/bin/sh
exec "$lib/ld-linux-x86-64.so.2" --library-path "$lib:/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu" "$tools/$tool" "\$@"
WRAPPER
  chmod 755 "$bin/$tool"
done
"$bin/pg_dump" --version >&2
"$bin/pg_restore" --version >&2
echo "$bin"
