#!/usr/bin/env bash
# A throwaway PostgreSQL primary and its streaming replica (hot standby) on 127.0.0.1, for the replica tests
# (tests/replica/, pytest -m replica) and .ci/run.
#   scripts/pg_replica.sh start PRIMARY_DIR REPLICA_DIR [PRIMARY_PORT] [REPLICA_PORT]
#       starts the primary (scripts/pg_throwaway.sh: replication is allowed from 127.0.0.1 by its trust
#       pg_hba), clones it with pg_basebackup -R (streaming WAL, standby.signal) and starts the standby; prints
#           export DATABASE_URL=postgres://clausier:clausier@127.0.0.1:PRIMARY_PORT/clausier
#           export CLAUSIER_REPLICA_URL=postgres://clausier:clausier@127.0.0.1:REPLICA_PORT/clausier
#           export CLAUSIER_REPLICA_DIR=REPLICA_DIR
#       for `eval "$(scripts/pg_replica.sh start ...)"`.
#   scripts/pg_replica.sh stop-replica REPLICA_DIR          stops the standby only (the tests' outage)
#   scripts/pg_replica.sh start-replica REPLICA_DIR [PORT]  starts it again (it catches up by streaming)
#   scripts/pg_replica.sh stop PRIMARY_DIR REPLICA_DIR      stops both
# The clusters run as the `postgres` system user when called by root. fsync is off: data is disposable.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usage="usage: pg_replica.sh start PRIMARY_DIR REPLICA_DIR [PRIMARY_PORT] [REPLICA_PORT] | stop-replica REPLICA_DIR | start-replica REPLICA_DIR [PORT] | stop PRIMARY_DIR REPLICA_DIR"
action=${1:?$usage}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bindir" ]; then
  echo "PostgreSQL est introuvable (/usr/lib/postgresql/*/bin) : installez le paquet postgresql." >&2
  exit 1
fi
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_standby() {
  local dir=$1 port=$2
  as_pg "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -w -o \
    "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off -c shared_buffers=128MB -c hot_standby=on -c max_connections=200" \
    start >/dev/null
}

case "$action" in
  start)
    primary=${2:?$usage}
    replica=${3:?$usage}
    pport=${4:-54416}
    rport=${5:-54417}
    url=$("$here/pg_throwaway.sh" start "$primary" "$pport")
    # Keep enough WAL for the standby to catch up after a busy test run or a pause (no replication slot: a stopped
    # standby must never fill the primary's disk).
    "$bindir/psql" -h 127.0.0.1 -p "$pport" -U postgres -qtAc "ALTER SYSTEM SET wal_keep_size = '1GB'" >/dev/null
    "$bindir/psql" -h 127.0.0.1 -p "$pport" -U postgres -qtAc "SELECT pg_reload_conf()" >/dev/null
    if [ ! -f "$replica/standby.signal" ]; then
      rm -rf "$replica"
      mkdir -p "$replica"
      [ "$(id -u)" = 0 ] && chown postgres: "$replica"
      chmod 700 "$replica"
      # The primary's socket lies in its data folder (-k): not copied, nor its log.
      as_pg "$bindir/pg_basebackup" -h 127.0.0.1 -p "$pport" -U postgres -D "$replica" -R -X stream -c fast 2>&1 |
        grep -v 'skipping special file' >&2 || true
      rm -f "$replica"/.s.PGSQL.* "$replica/server.log"
    fi
    start_standby "$replica" "$rport"
    # Ready when the standby streams from the primary.
    for _ in $(seq 1 50); do
      streaming=$("$bindir/psql" -h 127.0.0.1 -p "$pport" -U postgres -tAc \
        "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" 2>/dev/null || true)
      [ "$streaming" -ge 1 ] 2>/dev/null && break
      sleep 0.2
    done
    [ "$streaming" -ge 1 ] 2>/dev/null || { echo "La réplique ne suit pas le primaire." >&2; tail -n 20 "$replica/server.log" >&2; exit 1; }
    echo "export DATABASE_URL=$url"
    echo "export CLAUSIER_REPLICA_URL=${url/:$pport\//:$rport/}"
    echo "export CLAUSIER_REPLICA_DIR=$replica"
    ;;
  stop-replica)
    as_pg "$bindir/pg_ctl" -D "${2:?$usage}" -m fast stop >/dev/null || true
    ;;
  start-replica)
    start_standby "${2:?$usage}" "${3:-54417}"
    ;;
  stop)
    as_pg "$bindir/pg_ctl" -D "${3:?$usage}" -m fast stop >/dev/null 2>&1 || true
    "$here/pg_throwaway.sh" stop "${2:?$usage}"
    ;;
  *)
    echo "$usage" >&2
    exit 2
    ;;
esac
