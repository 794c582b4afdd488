#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests and benchmarks, on a loopback
# port, from a temporary directory, as its own user (the server refuses to
# run as root). Debian's postgresql package is installed if missing.
#
#   scripts/postgres.sh start DIR   start one in DIR (made if missing); prints
#                                   its URL, also written to DIR/url
#   scripts/postgres.sh createdb DIR NAME
#                                   make a database on it; prints its URL
#   scripts/postgres.sh bin         where the server's programs are
#   scripts/postgres.sh stop DIR    stop it and remove DIR
set -euo pipefail

bin() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -z "$found" ]; then
    echo "Installing PostgreSQL (Debian's package)..." >&2
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >&2
    found=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
  echo "$found"
}

# Runs a server command as the postgres user when we are root.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  local dir=$1 bin port
  bin=$(bin)
  mkdir -p "$dir"
  chmod 777 "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres >"$dir/initdb.log" 2>&1
  port=$(free_port)
  # fsync off by default: a test server is thrown away, and the tests
  # measure the console, not the disk. The benchmarks turn it on
  # (SPACEPORT_PG_FSYNC=on), as a real server has it. Enough connections
  # for several consoles.
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=${SPACEPORT_PG_FSYNC:-off} -c max_connections=300" \
    start >/dev/null
  echo "postgres://postgres@127.0.0.1:$port/postgres" | tee "$dir/url"
}

createdb() {
  local dir=$1 name=$2 url
  url=$(cat "$dir/url")
  "$(bin)/psql" -q "$url" -c "CREATE DATABASE $name" >/dev/null
  echo "${url%/*}/$name"
}

stop() {
  local dir=$1 bin
  [ -d "$dir/data" ] || return 0
  bin=$(bin)
  as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start "${2:?DIR}" ;;
  createdb) createdb "${2:?DIR}" "${3:?NAME}" ;;
  bin) bin ;;
  stop) stop "${2:?DIR}" ;;
  *) echo "usage: $0 start|stop DIR, createdb DIR NAME, or bin" >&2; exit 2 ;;
esac
