#!/usr/bin/env bash
# Back up the Clausier database to one file.
#   scripts/backup.sh FILE            (database: $DATABASE_URL, or the SQLite file of `make run`)
# PostgreSQL: pg_dump custom format (-Fc, compressed, restorable table by table with pg_restore).
# SQLite: a consistent copy taken with SQLite's online backup API, safe while the application runs.
# Restore with scripts/restore.sh. See docs/securite.md for the schedule and the restore test.
set -euo pipefail
cd "$(dirname "$0")/.."
output=${1:?usage: scripts/backup.sh FICHIER}
url=${DATABASE_URL:-sqlite:///$PWD/var/clausier.sqlite3}
python=.venv/bin/python
[ -x "$python" ] || python=$(command -v python3)

pg_tool() {
  # The newest server binaries (CI's throwaway cluster), else the client found in PATH.
  local bindir
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$bindir" ] && [ -x "$bindir/$1" ]; then echo "$bindir/$1"; return; fi
  command -v "$1" || { echo "$1 est introuvable : installez postgresql-client." >&2; exit 1; }
}

case "$url" in
  postgres://*|postgresql://*)
    "$(pg_tool pg_dump)" --format=custom --no-owner --no-privileges --dbname="$url" --file="$output"
    ;;
  sqlite://*)
    source_path=${url#sqlite:///}
    [ -f "$source_path" ] || { echo "Base SQLite introuvable : $source_path" >&2; exit 1; }
    "$python" - "$source_path" "$output" <<'PY'
import sqlite3
import sys

source = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
target = sqlite3.connect(sys.argv[2])
with target:
    source.backup(target)
target.close()
source.close()
PY
    ;;
  *)
    echo "DATABASE_URL non prise en charge : ${url%%://*}:// (postgres:// ou sqlite://)." >&2
    exit 2
    ;;
esac
echo "Sauvegarde écrite : $output ($(du -h "$output" | cut -f1))"
