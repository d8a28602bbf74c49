"""Print the figures of a locust run from its CSV statistics: requests per second, 95th percentile and errors,
beside the targets of issue 19 (0 errors; 95th percentile under 1 s for every request but the login), with the
load average.

    python bench/load_summary.py STATS_CSV [USERS] [SECONDS] [REQUESTS_CSV]

STATS_CSV is locust's statistics of the whole run (logins included); REQUESTS_CSV, every request with its start
time (bench/locustfile.py), gives the same figures for the requests started after every user had logged in: the
steady state of a working day, once the password checks of the ramp (one per user) are over.
"""

import csv
import sys
from collections import defaultdict

from common import fr, percentile

P95_TARGET_MS = 1000
LOGIN = "connexion"  # the login POST (bench/locustfile.py): one PBKDF2 check, excluded from the 1 s target


def main(path: str, users: int = 50, seconds: int = 60) -> None:
    with open(path, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with open("/proc/loadavg", encoding="ascii") as handle:
        load = " ".join(handle.read().split()[:3])
    print(
        f"Charge, toute la course, connexions comprises (locust, {users} utilisateur·rices, {seconds} s de régime "
        f"après la dernière connexion, 127.0.0.1 ; charge de la machine {load}) :"
    )
    worst, errors = 0, 0
    for row in rows:
        name = "total" if row["Name"] == "Aggregated" else row["Name"]
        p95 = int(float(row["95%"] or 0))
        if name not in ("total", LOGIN):
            worst = max(worst, p95)
        errors += int(row["Failure Count"]) if name != "total" else 0
        target = "" if name in ("total", LOGIN) else f" (objectif < {fr(P95_TARGET_MS)} ms)"
        print(
            f"  {name} : {fr(int(row['Request Count']))} requêtes, {fr(float(row['Requests/s']), 1)} req/s, "
            f"médiane {row['50%']} ms, 95e centile {row['95%']} ms{target}, erreurs {row['Failure Count']}"
        )
    print(
        f"  objectifs : 0 erreur ({'tenu' if errors == 0 else f'DÉPASSÉ, {errors}'}) ; 95e centile sous "
        f"{fr(P95_TARGET_MS)} ms hors connexion ({'tenu' if worst < P95_TARGET_MS else 'DÉPASSÉ'}, au plus {worst} ms)"
    )


def steady_state(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    marks = [float(row["start"]) for row in rows if row["name"] == "__all_logged_in__"]
    if not marks:
        print("  (les utilisateur·rices n'ont pas toutes pu se connecter : pas de régime établi)")
        return
    start = marks[0]
    by_name = defaultdict(list)
    failures = defaultdict(int)
    for row in rows:
        if row["name"] != "__all_logged_in__" and float(row["start"]) >= start:
            by_name[row["name"]].append(float(row["ms"]) / 1000)
            failures[row["name"]] += int(row["failed"])
    every = [value for values in by_name.values() for value in values]
    seconds = max(float(row["start"]) for row in rows) - start
    with open("/proc/loadavg", encoding="ascii") as handle:
        load = " ".join(handle.read().split()[:3])
    print(
        f"Régime établi (requêtes parties après la dernière connexion, {fr(seconds)} s, charge de la machine {load}) :"
    )
    worst = 0.0
    for name, values in sorted(by_name.items()):
        p95 = percentile(values, 0.95)
        worst = max(worst, p95) if name != LOGIN else worst
        print(
            f"  {name} : {fr(len(values))} requêtes, {fr(len(values) / max(seconds, 1), 1)} req/s, 95e centile "
            f"{fr(p95 * 1000)} ms (objectif < {fr(P95_TARGET_MS)} ms), erreurs {failures[name]}"
        )
    errors = sum(failures.values())
    print(
        f"  total : {fr(len(every))} requêtes, {fr(len(every) / max(seconds, 1), 1)} req/s ; objectifs : 0 erreur "
        f"({'tenu' if errors == 0 else f'DÉPASSÉ, {errors}'}), 95e centile sous {fr(P95_TARGET_MS)} ms "
        f"({'tenu' if worst * 1000 < P95_TARGET_MS else 'DÉPASSÉ'}, au plus {fr(worst * 1000)} ms)"
    )


if __name__ == "__main__":
    main(sys.argv[1], *(int(value) for value in sys.argv[2:4]))
    if len(sys.argv) > 4:
        steady_state(sys.argv[4])
