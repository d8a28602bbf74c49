"""The WSGI entry point gunicorn loads (config/wsgi.py): every view imported before the first request, and the
garbage collector kept off the objects loaded at start (docs/performances.md: the grid's 95th percentile)."""

import json

from tests.test_routers import python_in_subprocess

CODE = (
    "import gc, json, sys; import config.wsgi as w; "
    "print(json.dumps({'frozen': gc.get_freeze_count(), 'threshold': gc.get_threshold(), "
    "'views': sorted(m for m in sys.modules if m.endswith('.views')), 'callable': callable(w.application), "
    "'young': w.GC_YOUNG_THRESHOLD}))"
)


def test_the_wsgi_module_imports_the_views_and_freezes_what_it_loaded():
    # In a subprocess: imported here, it would freeze the test process's own objects.
    state = json.loads(python_in_subprocess(CODE))
    assert state["callable"]
    # The URLconf is imported at start: the views of every app, not only those a first request would have needed.
    for module in ("reporting.views", "beneficiaries.views", "markets.views", "companies.views"):
        assert module in state["views"], state["views"]
    # Django, the apps and their views: tens of thousands of objects the collector no longer walks.
    assert state["frozen"] > 50_000, state["frozen"]
    assert state["threshold"][0] == state["young"] > 700  # Python's default is 700
