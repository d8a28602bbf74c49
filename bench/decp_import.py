"""DECP import throughput and memory: a generated DECP 2.0 file of 500,000 market records (about 200 MB) through
`manage.py import_decp`, then the same file again (the idempotent second run: nothing changes).

    python bench/decp_import.py [--records 500000] [--database-url URL] [--keep]

The file is written as a stream (it never sits in memory): 2,000 buyers, 40,000 holders, executed in every
metropolitan département, one market in three carrying a "Clause sociale", one in a hundred with "NC" as amount
(refused with its reason), one in fifty a concession (ignored). Each import runs in its own process; its duration
and its peak resident memory (ru_maxrss of the child) are printed beside `cat /proc/loadavg`. Without
--database-url the import goes into a fresh SQLite database in a temporary folder (migrated first).
Targets (issue 17): under 120 s and under 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, fr
from stdnum.luhn import calc_check_digit

DEPARTEMENTS = [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B"]


def siret(n: int) -> str:
    """A valid SIRET (Luhn over SIREN, then over SIREN + NIC) derived from n."""
    body = f"{n % 10**8:08d}"
    siren = body + calc_check_digit(body)
    return siren + "0001" + calc_check_digit(siren + "0001")


def record(n: int, rng: random.Random) -> dict:
    dep = rng.choice(DEPARTEMENTS)
    postal = ("20000" if dep == "2A" else "20200") if dep in ("2A", "2B") else f"{dep}{rng.randrange(0, 1000):03d}"
    considerations = ["Clause sociale"] if n % 3 == 0 else ["Pas de considération sociale"]
    if n % 50 == 7:
        return {
            "id": f"C{n}",
            "autoriteConcedante": {"id": siret(10_000 + n % 2000)},
            "nature": "Concession de service",
        }
    return {
        "id": f"{2024 + n % 2}-{n:07d}",
        "acheteur": {"id": siret(10_000 + n % 2000)},
        "nature": "Marché",
        "objet": f"Réhabilitation de bâtiments publics, marché n° {n}",
        "codeCPV": rng.choice(["45000000-7", "90910000-9", "71000000-8", "30192000-1", "77310000-6"]),
        "techniques": {"technique": ["Sans objet"]},
        "modalitesExecution": {"modaliteExecution": ["Sans objet"]},
        "marcheInnovant": False,
        "ccag": rng.choice(["Travaux", "Fournitures courantes et services", "Pas de CCAG"]),
        "offresRecues": rng.randrange(1, 9),
        "attributionAvance": False,
        "typeGroupementOperateurs": "Pas de groupement",
        "procedure": "Appel d'offres ouvert",
        "lieuExecution": {"code": postal, "typeCode": "Code postal"},
        "dureeMois": rng.randrange(3, 60),
        "dateNotification": f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
        "datePublicationDonnees": "2025-12-31",
        "montant": "NC" if n % 100 == 42 else round(rng.uniform(40_000, 5_000_000), 2),
        "typesPrix": {"typePrix": ["Définitif ferme"]},
        "formePrix": "Forfaitaire",
        "sousTraitanceDeclaree": False,
        "titulaires": [{"titulaire": {"typeIdentifiant": "SIRET", "id": siret(500_000 + n % 40_000)}}],
        "considerationsSociales": {"considerationSociale": considerations},
    }


def write_file(path: Path, count: int) -> None:
    rng = random.Random(17)
    with path.open("w", encoding="utf-8") as out:
        out.write('{"marches": {"marche": [\n')
        for n in range(count):
            if n:
                out.write(",\n")
            out.write(json.dumps(record(n, rng), ensure_ascii=False))
        out.write("\n]}}\n")


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def run(args: list[str], env: dict) -> tuple[float, float, str]:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True)  # noqa: S603 (our own manage.py)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (usage.ru_utime + usage.ru_stime)
    if done.returncode:
        sys.exit(f"échec : {done.stderr[-2000:]}")
    summary = [line for line in done.stdout.splitlines() if line.startswith(("Import", "Aucun", "Aperçu"))]
    # ru_maxrss of the children is the largest so far (KiB): the imports run after a smaller `migrate`.
    return elapsed, cpu, after.ru_maxrss / 1024, summary[-1] if summary else done.stdout[-300:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--keep", action="store_true", help="garder le dossier temporaire")
    options = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="decp-bench-"))
    env = {**os.environ, "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key")}
    env["DATABASE_URL"] = options.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], env=env, cwd=ROOT, check=True)  # noqa: S603

    path = folder / "decp.json"
    started = time.perf_counter()
    write_file(path, options.records)
    size = path.stat().st_size / 1e6
    written = time.perf_counter() - started
    print(f"Fichier : {fr(options.records)} enregistrements, {fr(size, 1)} Mo, écrit en {fr(written, 1)} s")

    for label in ("premier import", "second import (rien ne change)"):
        elapsed, cpu, peak, summary = run([python, "manage.py", "import_decp", str(path)], env)
        print(
            f"{label} : {fr(elapsed, 1)} s (temps processeur {fr(cpu, 1)} s), mémoire de pointe {fr(peak)} Mo "
            f"— loadavg {loadavg()}"
        )
        print(f"    {summary}")
    if not options.keep:
        path.unlink()
        for leftover in folder.iterdir():
            leftover.unlink()
        folder.rmdir()
    else:
        print(f"Dossier gardé : {folder}")


if __name__ == "__main__":
    main()
