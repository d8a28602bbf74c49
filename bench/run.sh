#!/usr/bin/env bash
# make bench: every benchmark of bench/README.md against a throwaway PostgreSQL at national volume.
#
#   BENCH_PG_DIR (default /tmp/pgbench), BENCH_PG_PORT (54340), BENCH_HTTP_PORT (8765),
#   BENCH_ONLY="check report perimeters exports pages load import digests public history" (a subset; public and
#   history are not in the default), BENCH_WORKERS (gunicorn workers, default 4), BENCH_USERS (locust users,
#   default 50), BENCH_SCALE (seed_demo --scale, default national; 1 for the demo région alone).
#
# The cluster is started if needed and kept (the national seed takes about ten minutes; it is written once,
# seed_demo does nothing when the demo is present). Stop it with: scripts/pg_throwaway.sh stop DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
PG_DIR=${BENCH_PG_DIR:-/tmp/pgbench}
PG_PORT=${BENCH_PG_PORT:-54340}
HTTP_PORT=${BENCH_HTTP_PORT:-8765}
ONLY=${BENCH_ONLY:-check report perimeters exports pages load import digests}
PY=.venv/bin/python

DATABASE_URL=postgres://clausier:clausier@127.0.0.1:$PG_PORT/clausier
export DATABASE_URL
if ! $PY -c "import psycopg, sys; psycopg.connect(sys.argv[1]).close()" "$DATABASE_URL" 2>/dev/null; then
  scripts/pg_throwaway.sh start "$PG_DIR" "$PG_PORT" >/dev/null
fi
# Production settings (DEBUG off), gunicorn standing where the TLS proxy would be.
export DEBUG=0 SECRET_KEY=bench-only-secret-key ALLOWED_HOSTS=127.0.0.1 SECURE_PROXY_SSL_HEADER=1 LOG_LEVEL=ERROR
echo "== Machine : $(nproc) cœurs, $(free -g | awk '/^Mem/ {print $2}') Gio, PostgreSQL $(ls /usr/lib/postgresql | sort -V | tail -n 1)"
echo "== Charge au départ : $(cut -d' ' -f1-3 /proc/loadavg)"
$PY manage.py migrate --noinput >/dev/null
$PY manage.py createcachetable
$PY manage.py seed_demo --scale "${BENCH_SCALE:-national}" --force
$PY manage.py collectstatic --noinput >/dev/null
# What autovacuum does some time after a bulk load, done now so that every series reads the same tables: the
# visibility map of the summary set (its index-only scans read no table page) and fresh statistics.
$PY -c "import psycopg, sys; c = psycopg.connect(sys.argv[1], autocommit=True)
for table in ('reporting_placementyear', 'beneficiaries_placement', 'beneficiaries_hoursrecord'):
    c.execute(f'VACUUM (ANALYZE) {table}')" "$DATABASE_URL"
echo "== Tables des bilans nettoyées et analysées (VACUUM ANALYZE), charge : $(cut -d' ' -f1-3 /proc/loadavg)"

if [[ " $ONLY " == *" check "* ]]; then
  echo "== Vérification nocturne de la synthèse (rebuild_summary --check)"
  $PY bench/summary_check.py
fi

if [[ " $ONLY " == *" report "* ]]; then
  echo "== Bilan annuel national"
  $PY bench/report.py --runs 7
fi

if [[ " $ONLY " == *" perimeters "* ]]; then
  echo "== Bilan annuel par périmètre (chaque région, la France entière) : lignes lues, temps par ligne"
  $PY bench/report_perimeters.py --runs 3
fi

if [[ " $ONLY " == *" exports "* ]]; then
  echo "== Exports PDF, XLSX, CSV et JSON et pages de la coordination (Île-de-France, Bourgogne-Franche-Comté)"
  ALLOWED_HOSTS=testserver $PY bench/exports.py --runs 3 --requests 40
fi

if [[ " $ONLY " == *" pages "* || " $ONLY " == *" load "* ]]; then
  gunicorn_log=$(mktemp)
  .venv/bin/gunicorn config.wsgi -b "127.0.0.1:$HTTP_PORT" -w "${BENCH_WORKERS:-4}" --error-logfile "$gunicorn_log" &
  gunicorn_pid=$!
  trap 'kill "$gunicorn_pid" 2>/dev/null || true' EXIT
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/compte/connexion/" && break; sleep 0.2; done
  if [[ " $ONLY " == *" pages "* ]]; then
    echo "== Pages (gunicorn, ${BENCH_WORKERS:-4} workers)"
    $PY bench/pages.py --base-url "http://127.0.0.1:$HTTP_PORT" --requests 60
  fi
  if [[ " $ONLY " == *" load "* ]]; then
    [ -x bench/.venv/bin/locust ] || { "$(scripts/find_python.sh)" -m venv bench/.venv &&
      bench/.venv/bin/pip install --quiet -r bench/requirements.txt; }
    echo "== Charge"
    stats=$(mktemp -d)
    users=${BENCH_USERS:-50}
    # Password checks measured while the run is under way (20 s in).
    (sleep 20 && $PY bench/password_hasher.py --runs 10 --label "sous charge" >"$stats/hasher.txt") &
    hasher_pid=$!
    # Users log in once each (the ramp), then 60 s of work after the last login (bench/locustfile.py stops the
    # run); --run-time is only a safety cap.
    (cd bench && LOCUST_REQUESTS_CSV="$stats/requests.csv" LOCUST_STEADY_SECONDS=60 \
      .venv/bin/locust -f locustfile.py --headless --users "$users" --spawn-rate 10 --run-time 300s \
      --host "http://127.0.0.1:$HTTP_PORT" --csv "$stats/locust" --only-summary --loglevel WARNING \
      --exit-code-on-error 0 >/dev/null 2>&1)
    $PY bench/load_summary.py "$stats/locust_stats.csv" "$users" 60 "$stats/requests.csv"
    wait "$hasher_pid" || true
    echo "  coût du hachage des mots de passe :"
    cat "$stats/hasher.txt"
    $PY bench/password_hasher.py --runs 20 --label "après la charge"
    echo "  mémoire des workers gunicorn (RSS) : $(ps -o rss= --ppid "$gunicorn_pid" | awk '{s+=$1; if ($1>m) m=$1} END {printf "%d Mo au total, %d Mo au plus par worker", s/1024, m/1024}')"
  fi
  kill "$gunicorn_pid"
  wait "$gunicorn_pid" 2>/dev/null || true
  trap - EXIT
fi

if [[ " $ONLY " == *" public "* ]]; then
  echo "== Page publique d'une région (issue 18) : bilans publiés, puis 50 visiteur·ses anonymes pendant 60 s"
  $PY bench/public_page.py publish
  gunicorn_log=$(mktemp)
  .venv/bin/gunicorn config.wsgi -b "127.0.0.1:$HTTP_PORT" -w "${BENCH_WORKERS:-4}" --error-logfile "$gunicorn_log" &
  gunicorn_pid=$!
  trap 'kill "$gunicorn_pid" 2>/dev/null || true' EXIT
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/compte/connexion/" && break; sleep 0.2; done
  [ -x bench/.venv/bin/locust ] || { "$(scripts/find_python.sh)" -m venv bench/.venv &&
    bench/.venv/bin/pip install --quiet -r bench/requirements.txt; }
  stats=$(mktemp -d)
  (cd bench && .venv/bin/locust -f public_locustfile.py --headless --users 50 --spawn-rate 25 --run-time 60s \
    --host "http://127.0.0.1:$HTTP_PORT" --csv "$stats/locust" --only-summary --loglevel WARNING \
    --exit-code-on-error 0 >/dev/null 2>&1)
  $PY bench/public_page.py summary "$stats/locust_stats.csv"
  kill "$gunicorn_pid"
  wait "$gunicorn_pid" 2>/dev/null || true
  trap - EXIT
fi

if [[ " $ONLY " == *" import "* ]]; then
  echo "== Import de relevés d'heures"
  $PY bench/imports.py --rows 50000
fi

if [[ " $ONLY " == *" history "* ]]; then
  echo "== Import de l'historique d'une structure (5 ans : 3 000 personnes, 8 000 contrats, 150 000 relevés)"
  $PY bench/history_import.py
fi

if [[ " $ONLY " == *" digests "* ]]; then
  echo "== Récapitulatifs hebdomadaires et débit du worker"
  $PY bench/digests.py
fi
echo "== Charge à la fin : $(cut -d' ' -f1-3 /proc/loadavg)"
