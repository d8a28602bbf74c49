"""History import of a structure's five years (beneficiaries.history): about 3,000 people, 8,000 contracts and
150,000 monthly records from one generated XLSX workbook, for a new structure.

    python bench/history_import.py [--people 3000] [--contracts 8000] [--records 150000] [--tracemalloc]

Prints, each beside its target and the load average: the time to read the workbook, the preview (everything
checked and written through the services, then rolled back), the import (committed), a rerun of the same
workbook (every row « inchangé »), and the peak memory of the process (ru_maxrss; with --tracemalloc, the peak of
Python allocations during the import, which slows it down about twice).
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

from common import fr, setup_django

TARGET_SECONDS = 120
TARGET_RSS_MB = 1024


def loadavg() -> str:
    with open("/proc/loadavg") as source:
        return " ".join(source.read().split()[:3])


def siret(n: int) -> str:
    from stdnum.luhn import calc_check_digit

    body = f"{n % 10**8:08d}"
    siren = body + calc_check_digit(body)
    return siren + "0001" + calc_check_digit(siren + "0001")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--contracts", type=int, default=8000)
    parser.add_argument("--records", type=int, default=150_000)
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--skip-preview", action="store_true", help="import directly (the preview costs as much)")
    args = parser.parse_args()
    setup_django()
    from django.db import connection

    from beneficiaries import history
    from beneficiaries.history_fixture import generate, to_xlsx
    from organisations.choices import BuyerType, OrganisationKind, Role
    from organisations.models import Membership, Organisation, User
    from territories.models import Commune, Department, Region

    stamp = int(time.time()) % 10**6
    region, _ = Region.objects.get_or_create(code="27", defaults={"name": "Bourgogne-Franche-Comté"})
    department, _ = Department.objects.get_or_create(code="21", defaults={"name": "Côte-d'Or", "region": region})
    commune = Commune.objects.filter(code="21231").first() or Commune.objects.create(
        code="21231", name="Dijon", department=department
    )
    structure = Organisation.objects.create(name=f"Structure historique {stamp}", kind=OrganisationKind.FACILITATION)
    buyer = Organisation.objects.create(
        name=f"Acheteur {stamp}", kind=OrganisationKind.BUYER, buyer_type=BuyerType.MUNICIPALITY, siret=siret(stamp)
    )
    company = Organisation.objects.create(
        name=f"Entreprise {stamp}", kind=OrganisationKind.COMPANY, siret=siret(stamp + 10**6)
    )
    user = User.objects.create_user(email=f"admin-historique-{stamp}@exemple.fr", password=None)
    Membership.objects.create(user=user, organisation=structure, role=Role.ADMIN)

    generated = generate(
        buyer_siret=buyer.siret,
        company_siret=company.siret,
        commune=commune.code,
        people=args.people,
        contracts=args.contracts,
        monthly_records=args.records,
        markets=10,
        lots_per_market=4,
    )
    data = to_xlsx(generated)
    counts = generated.counts
    print(
        f"Historique de 5 ans ({connection.vendor}) : {fr(counts['participants'])} personnes, "
        f"{fr(counts['contrats'])} contrats, {fr(counts['heures'])} relevés mensuels, {fr(counts['marches'])} lots ; "
        f"classeur XLSX de {fr(len(data) / 1024 / 1024, 1)} Mo (au plus "
        f"{fr(history.MAX_HISTORY_FILE_SIZE / 1024 / 1024)} Mo)"
    )
    print(f"  charge au départ : {loadavg()}")

    def step(label, function, target=None):
        started = time.perf_counter()
        result = function()
        elapsed = time.perf_counter() - started
        shown = f" (cible : moins de {target} s)" if target else ""
        print(f"  {label} : {fr(elapsed, 1)} s{shown} ; charge {loadavg()}")
        return result, elapsed

    rows, _read = step("lecture du classeur", lambda: history.parse_workbook(data))
    _checked = 0.0
    if not args.skip_preview:
        preview, _checked = step(
            "aperçu (tout vérifié et écrit par les services, puis annulé)",
            lambda: history.process(rows, structure=structure, user=user, commit=False),
            TARGET_SECONDS,
        )
        assert preview.ok, preview.error_lines()[:5]
    rows = None  # the parsed rows of the preview, freed before the import
    if args.tracemalloc:
        tracemalloc.start()
    report, imported = step(
        "import (lecture + écriture, validé)",
        lambda: history.process(history.parse_workbook(data), structure=structure, user=user, commit=True),
        TARGET_SECONDS,
    )
    if args.tracemalloc:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"  pic d'allocations Python pendant l'import (tracemalloc) : {fr(peak / 1024 / 1024)} Mo")
    assert report.committed, report.error_lines()[:5]
    print("  " + " ; ".join(f"{sheet} : {fr(report.count(sheet, history.CREATED))} créés" for sheet in report.rows))
    rerun, _again = step(
        "second envoi du même classeur",
        lambda: history.process(history.parse_workbook(data), structure=structure, user=user, commit=True),
        TARGET_SECONDS,
    )
    changed = sum(1 for rows_ in rerun.rows.values() for row in rows_ if row.status != history.UNCHANGED)
    print(f"    lignes non « inchangé » au second envoi : {changed} (cible : 0)")
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  mémoire du processus au plus (ru_maxrss) : {fr(peak_rss)} Mo (cible : moins de {fr(TARGET_RSS_MB)} Mo)")
    held = max(imported, _checked, _again) < TARGET_SECONDS and peak_rss < TARGET_RSS_MB and changed == 0
    verdict = "tenue" if held else "MANQUÉE"
    print(
        f"  cible (aperçu, import et second envoi chacun en moins de {TARGET_SECONDS} s, mémoire bornée, second "
        f"envoi sans effet) : {verdict}"
    )
    print(f"  charge à la fin : {loadavg()}")


if __name__ == "__main__":
    main()
