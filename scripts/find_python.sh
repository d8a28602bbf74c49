#!/usr/bin/env bash
# Print the path of a Python 3.12+ interpreter, or fail loudly.
# Django 6 needs Python >= 3.12; on these machines `python3` may be 3.11.
set -u
candidates=("${PYTHON:-}" python3.13 python3.12 python3)
for dir in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]* ; do
  [ -x "$dir/bin/python" ] && candidates+=("$dir/bin/python")
done
for c in "${candidates[@]}"; do
  [ -n "$c" ] || continue
  path=$(command -v "$c" 2>/dev/null) || continue
  if "$path" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
    echo "$path"
    exit 0
  fi
done
echo "Erreur : Clausier demande Python 3.12 ou plus récent (Django 6), introuvable sur cette machine." >&2
echo "Installez python3.12 (ou indiquez-le avec PYTHON=/chemin/vers/python3.12)." >&2
exit 1
