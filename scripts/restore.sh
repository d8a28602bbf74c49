#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into a database.
#   scripts/restore.sh FILE TARGET_DATABASE_URL
# PostgreSQL: TARGET must exist (createdb) and should be empty; every object of the dump is recreated
#   (pg_restore --clean --if-exists), owned by the connecting user; the first error stops the restore.
# SQLite: TARGET is a file URL (sqlite:////chemin/absolu.sqlite3, as DATABASE_URL); an existing file is replaced.
# Then: `manage.py migrate` (a no-op when the code matches the dump) and compare the yearly report.
set -euo pipefail
cd "$(dirname "$0")/.."
input=${1:?usage: scripts/restore.sh FICHIER URL_BASE_CIBLE}
target=${2:?usage: scripts/restore.sh FICHIER URL_BASE_CIBLE}
[ -f "$input" ] || { echo "Sauvegarde introuvable : $input" >&2; exit 1; }
python=.venv/bin/python
[ -x "$python" ] || python=$(command -v python3)

pg_tool() {
  local bindir
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$bindir" ] && [ -x "$bindir/$1" ]; then echo "$bindir/$1"; return; fi
  command -v "$1" || { echo "$1 est introuvable : installez postgresql-client." >&2; exit 1; }
}

case "$target" in
  postgres://*|postgresql://*)
    "$(pg_tool pg_restore)" --clean --if-exists --no-owner --no-privileges --exit-on-error \
      --dbname="$target" "$input"
    ;;
  sqlite://*)
    target_path=${target#sqlite:///}
    "$python" - "$input" "$target_path" <<'PY'
import sqlite3
import sys

source = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
if source.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
    sys.exit("La sauvegarde est endommagée (PRAGMA integrity_check).")
target = sqlite3.connect(sys.argv[2])
with target:
    source.backup(target)
target.close()
source.close()
PY
    ;;
  *)
    echo "URL cible non prise en charge : ${target%%://*}:// (postgres:// ou sqlite://)." >&2
    exit 2
    ;;
esac
echo "Sauvegarde restaurée dans ${target%%://*}://…"
