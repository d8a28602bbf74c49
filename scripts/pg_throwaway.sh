#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster on 127.0.0.1 and print its DATABASE_URL.
#   scripts/pg_throwaway.sh start DIR [PORT]   -> prints postgres://clausier:clausier@127.0.0.1:PORT/clausier
#   scripts/pg_throwaway.sh stop DIR
# initdb refuses root: the cluster runs as the `postgres` system user. fsync is off: data is disposable.
set -euo pipefail
action=${1:?usage: pg_throwaway.sh start|stop DIR [PORT]}
dir=${2:?usage: pg_throwaway.sh start|stop DIR [PORT]}
port=${3:-54329}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bindir" ]; then
  echo "PostgreSQL est introuvable (/usr/lib/postgresql/*/bin) : installez le paquet postgresql." >&2
  exit 1
fi
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "$action" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_pg "$bindir/initdb" -D "$dir" --locale=C.UTF-8 --encoding=UTF8 --auth=trust -U postgres >/dev/null
    fi
    # Already running (started earlier, e.g. by .ci/run before scripts/pg_replica.sh clones it): kept as it is.
    if ! as_pg "$bindir/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
      as_pg "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -w -o \
        "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=512MB -c work_mem=64MB -c random_page_cost=1.1 -c max_connections=200" \
        start >/dev/null
    fi
    psql=("$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -q)
    "${psql[@]}" -tAc "SELECT 1 FROM pg_roles WHERE rolname='clausier'" | grep -q 1 ||
      "${psql[@]}" -c "CREATE ROLE clausier LOGIN SUPERUSER PASSWORD 'clausier'"
    "${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname='clausier'" | grep -q 1 ||
      "${psql[@]}" -c "CREATE DATABASE clausier OWNER clausier"
    echo "postgres://clausier:clausier@127.0.0.1:$port/clausier"
    ;;
  stop)
    as_pg "$bindir/pg_ctl" -D "$dir" -m fast stop >/dev/null || true
    ;;
  *)
    echo "usage: pg_throwaway.sh start|stop DIR [PORT]" >&2
    exit 2
    ;;
esac
