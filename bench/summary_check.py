"""`manage.py rebuild_summary --check` at national volume: wall time and peak memory of the process.

Run by bench/run.sh (step "check") against the seeded throwaway PostgreSQL; prints the figures, never fails on
a time. The comparison runs in the database by ranges of placements (reporting.summary.compare), so the
process memory stays flat whatever the volume (target: under 60 s and under 500 MB).
"""

from __future__ import annotations

import io
import resource
import time

from common import fr, setup_django


def main() -> None:
    setup_django()
    from django.core.management import call_command

    from reporting.models import PlacementYear

    rows = PlacementYear.objects.count()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    out = io.StringIO()
    started = time.monotonic()
    try:
        call_command("rebuild_summary", "--check", stdout=out)
        status = 0
    except SystemExit as exit_:
        status = exit_.code
    elapsed = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    lines = out.getvalue().strip().splitlines()
    with open("/proc/loadavg", encoding="ascii") as handle:
        load = " ".join(handle.read().split()[:3])
    print(f"Vérification de la synthèse ({fr(rows)} lignes contrat × année) : {fr(elapsed, 1)} s, code {status}")
    print(f"  mémoire de pointe du processus : {fr(peak / 1024)} Mo (avant la vérification : {fr(before / 1024)} Mo)")
    print(f"  {lines[-1] if lines else ''}")
    print(f"  charge (loadavg) : {load}")


if __name__ == "__main__":
    main()
