"""Print the figures of a locust run from its CSV statistics: requests per second, 95th percentile and errors,
beside the targets of issue 19 (0 errors; 95th percentile under 1 s for every request but the login), with the
load average.

    python bench/load_summary.py STATS_CSV [USERS] [SECONDS]
"""

import csv
import sys

from common import fr

P95_TARGET_MS = 1000
LOGIN = "connexion"  # the login POST (bench/locustfile.py): one PBKDF2 check, excluded from the 1 s target


def main(path: str, users: int = 50, seconds: int = 60) -> None:
    with open(path, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with open("/proc/loadavg", encoding="ascii") as handle:
        load = " ".join(handle.read().split()[:3])
    print(f"Charge (locust, {users} utilisateur·rices, {seconds} s, 127.0.0.1 ; charge de la machine {load}) :")
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


if __name__ == "__main__":
    main(sys.argv[1], *(int(value) for value in sys.argv[2:4]))
