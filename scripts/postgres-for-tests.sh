#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster on 127.0.0.1 for the test suite's PostgreSQL run.
# Usage: eval "$(scripts/postgres-for-tests.sh start DIR PORT)"  → exports DATABASE_URL
#        scripts/postgres-for-tests.sh stop DIR
set -euo pipefail
action=$1 dir=$2 port=${3:-55432}
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  $SUDO apt-get update -qq >&2 && $SUDO apt-get install -y -qq postgresql >&2
fi
bin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
# PostgreSQL refuses to run as root: run it as the postgres user when we are root.
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case $action in
start)
  mkdir -p "$dir" && [ "$(id -u)" = 0 ] && chown postgres "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U portal --auth=trust -E UTF8 --locale=C.UTF-8 >&2
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >&2
  as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U portal portal
  echo "export DATABASE_URL=postgresql+psycopg://portal@127.0.0.1:$port/portal"
  ;;
stop)
  as_owner "$bin/pg_ctl" -D "$dir/data" -m fast stop >&2 || true
  ;;
esac
