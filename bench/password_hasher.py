"""Cost of one password check on this machine: Django's first hasher (the one `check_password` uses for a new
hash), `--runs` checks of a freshly made hash, median and 95th percentile, with the load average beside them.

    python bench/password_hasher.py [--runs 20] [--label "sous charge"]

A login costs one such check (django.contrib.auth.authenticate); bench/locustfile.py logs each user in once.
"""

from __future__ import annotations

import argparse
import time

from common import fr, median, ms, percentile, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    setup_django()
    from django.contrib.auth.hashers import check_password, get_hasher, make_password

    hasher = get_hasher()
    encoded = make_password("clausier-demo-2026")
    durations = []
    for _ in range(args.runs):
        started = time.perf_counter()
        assert check_password("clausier-demo-2026", encoded)
        durations.append(time.perf_counter() - started)
    with open("/proc/loadavg", encoding="ascii") as handle:
        load = " ".join(handle.read().split()[:3])
    iterations = getattr(hasher, "iterations", None)
    cost = f"{fr(iterations)} itérations" if iterations else "paramètres par défaut"
    label = f" {args.label}" if args.label else ""
    print(
        f"  une vérification de mot de passe{label} ({hasher.algorithm}, {cost}, réglage par défaut de Django) : "
        f"médiane {ms(median(durations))}, 95e centile {ms(percentile(durations, 0.95))} "
        f"({args.runs} vérifications, charge {load})"
    )


if __name__ == "__main__":
    main()
