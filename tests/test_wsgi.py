"""The WSGI entry point gunicorn loads (config/wsgi.py): every view imported before the first request, and the
garbage collector kept off the objects loaded at start (docs/performances.md: the grid's 95th percentile)."""

import json
import os
import subprocess
import sys

from django.conf import settings

CODE = (
    "import gc, json, sys; import config.wsgi as w; "
    "print(json.dumps({'frozen': gc.get_freeze_count(), 'threshold': gc.get_threshold(), "
    "'views': sorted(m for m in sys.modules if m.endswith('.views')), 'callable': callable(w.application), "
    "'young': w.GC_YOUNG_THRESHOLD}))"
)


def wsgi_in_subprocess() -> dict:
    environ = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    environ.setdefault("SECRET_KEY", "clausier-test-only-secret-key-not-for-production")
    done = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", CODE], cwd=settings.BASE_DIR, env=environ, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_the_wsgi_module_imports_the_views_and_freezes_what_it_loaded():
    state = wsgi_in_subprocess()  # never imported here: it would freeze the test process's own objects
    assert state["callable"]
    # The URLconf is imported at start: the views of every app, not only those a first request would have needed.
    for module in ("reporting.views", "beneficiaries.views", "markets.views", "companies.views"):
        assert module in state["views"], state["views"]
    # Django, the apps and their views: tens of thousands of objects the collector no longer walks.
    assert state["frozen"] > 50_000, state["frozen"]
    assert state["threshold"][0] == state["young"] > 700  # Python's default is 700
