"""Print the figures of a locust run from its CSV statistics: requests per second, 95th percentile, errors."""

import csv
import sys

from common import fr


def main(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    print("Charge (locust, 20 utilisateur·rices, 60 s, 127.0.0.1) :")
    for row in rows:
        name = "total" if row["Name"] == "Aggregated" else row["Name"]
        print(
            f"  {name} : {fr(int(row['Request Count']))} requêtes, {fr(float(row['Requests/s']), 1)} req/s, "
            f"médiane {row['50%']} ms, 95e centile {row['95%']} ms, erreurs {row['Failure Count']}"
        )


if __name__ == "__main__":
    main(sys.argv[1])
