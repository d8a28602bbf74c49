"""WSGI entry point (gunicorn config.wsgi).

Once Django is set up and the URLconf imported (every view module, instead of at the first request), the objects
created so far are frozen out of the garbage collector's reach (gc.freeze) and its first threshold is raised: the
collector used to walk the whole application now and then on pages that allocate many rows (the grid, the
dashboards), adding about 100 ms to one request in ten. Measured in docs/performances.md (bench/pages.py).
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

# Allocations (minus deallocations) between two collections of the youngest generation (Python's default: 700).
GC_YOUNG_THRESHOLD = 50_000

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()


def _settle_garbage_collector() -> None:
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports every view module now)
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


_settle_garbage_collector()
