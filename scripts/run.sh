#!/usr/bin/env bash
# `make run`: the development server and one task worker (manage.py db_worker) side by side; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}

# The worker runs in a process group of its own (setsid), so that stopping it also stops its code reloader's child.
setsid "$PY" manage.py db_worker --no-startup-delay &
worker=$!
stop_worker() {
  trap - EXIT INT TERM
  kill -TERM -- "-$worker" 2>/dev/null || true
  wait "$worker" 2>/dev/null || true
}
trap stop_worker EXIT
trap 'stop_worker; exit 130' INT TERM
echo "Worker des tâches de fond démarré (pid $worker) ; Ctrl-C arrête le serveur et le worker."
"$PY" manage.py runserver "$HOST:$PORT"
