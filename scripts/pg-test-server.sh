#!/usr/bin/env bash
# A private, throwaway PostgreSQL 15 server for the tests (Debian's postgresql-15 binaries).
#   scripts/pg-test-server.sh start [DIR] [PORT]   initdb DIR (fresh) and start it; prints its URL
#   scripts/pg-test-server.sh stop  [DIR]          stop it and remove DIR
#   scripts/pg-test-server.sh url   [DIR] [PORT]   print the URL only
# Defaults: DIR=/tmp/ecompipe-pg-test, PORT=55433. It listens on 127.0.0.1 and a unix socket in
# DIR; user postgres, trust authentication (loopback only). The server refuses to run as root,
# so as root it runs as the user `postgres`. Durability is traded for speed: the data is thrown away.
set -euo pipefail
# The server keeps the real clock even when the tests run at a fixed one (EP_TEST_CLOCK in
# scripts/test.sh), as a database on another host would: under libfaketime its statement and
# lock timeouts never fire.
unset LD_PRELOAD FAKETIME
BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
DIR=${2:-/tmp/ecompipe-pg-test}
PORT=${3:-55433}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
url() { echo "postgresql://postgres@127.0.0.1:$PORT/postgres"; }

case "${1:-}" in
start)
  [ -x "$BIN/initdb" ] || { echo "pg-test-server: $BIN/initdb not found (apt-get install postgresql-15)" >&2; exit 1; }
  if [ -f "$DIR/data/postmaster.pid" ] && as_pg "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
    url; exit 0
  fi
  rm -rf "$DIR"; mkdir -p "$DIR/data"
  [ "$(id -u)" = 0 ] && chown -R postgres: "$DIR"
  chmod 700 "$DIR/data"
  as_pg "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust --encoding=UTF8 --locale=C >/dev/null
  as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
    -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=200 \
        -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
        -c shared_buffers=256MB -c max_wal_size=4GB" start >/dev/null
  url ;;
stop)
  if [ -d "$DIR/data" ]; then
    as_pg "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$DIR" ;;
url) url ;;
*) echo "usage: $0 start|stop|url [DIR] [PORT]" >&2; exit 2 ;;
esac
