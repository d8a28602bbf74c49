#!/usr/bin/env python3
"""Regenerate territories/data/territories.json.gz from the npm package @etalab/decoupage-administratif.

Developer script, never run by the application: it needs `npm` and network access to the npm registry.

    python3 scripts/build_territories.py [--version 6.0.0]

It packs the package into a temporary directory, reads regions, départements, EPCI and communes, keeps
metropolitan France and the five overseas départements-régions (the overseas collectivities, zone "com",
are left out), and writes a compact gzipped JSON file of row arrays:

    {"source": {...}, "regions": [[code, name]], "departments": [[code, name, region_code]],
     "epcis": [[siren, name]], "communes": [[insee_code, name, department_code, epci_siren|null, population|null]]}

Communes are the current ones (type "commune-actuelle"); the package does not carry the EPCI of a commune, so
it is taken from the EPCI member lists. The output is deterministic (sorted rows, gzip mtime 0), so
regenerating with the same version gives the same bytes. The package's licence is copied next to it.
"""

import argparse
import gzip
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "@etalab/decoupage-administratif"
DEFAULT_VERSION = "6.0.0"
KEPT_ZONES = {"metro", "drom"}
DATA_DIR = Path(__file__).resolve().parent.parent / "territories" / "data"
OUTPUT = DATA_DIR / "territories.json.gz"
LICENCE_OUTPUT = DATA_DIR / "LICENCE-decoupage-administratif.txt"


def fetch_package(version: str, workdir: Path) -> Path:
    """Run `npm pack` into workdir, extract the tarball, return the extracted package folder."""
    result = subprocess.run(  # noqa: S603
        ["npm", "pack", f"{PACKAGE}@{version}", "--pack-destination", str(workdir), "--silent"],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    )
    tarball = workdir / result.stdout.strip().splitlines()[-1]
    with tarfile.open(tarball) as archive:
        archive.extractall(workdir, filter="data")
    return workdir / "package"


def read_json(package_dir: Path, name: str):
    with (package_dir / "data" / f"{name}.json").open(encoding="utf-8") as handle:
        return json.load(handle)


def build(package_dir: Path, version: str) -> dict:
    regions = [r for r in read_json(package_dir, "regions") if r["zone"] in KEPT_ZONES]
    region_codes = {r["code"] for r in regions}
    departments = [d for d in read_json(package_dir, "departements") if d["region"] in region_codes]
    department_codes = {d["code"] for d in departments}
    communes = [
        c
        for c in read_json(package_dir, "communes")
        if c["type"] == "commune-actuelle" and c["departement"] in department_codes
    ]
    commune_codes = {c["code"] for c in communes}

    epci_of_commune: dict[str, str] = {}
    epcis = []
    for epci in read_json(package_dir, "epci"):
        members = [m["code"] for m in epci["membres"] if m["code"] in commune_codes]
        if not members:
            continue
        epcis.append(epci)
        for code in members:
            if code in epci_of_commune:
                sys.exit(f"La commune {code} appartient à deux EPCI ({epci_of_commune[code]}, {epci['code']}).")
            epci_of_commune[code] = epci["code"]

    return {
        "source": {
            "package": PACKAGE,
            "version": version,
            "url": f"https://www.npmjs.com/package/{PACKAGE}/v/{version}",
            "licence": "MIT (code), Licence Ouverte (données)",
        },
        "regions": sorted([r["code"], r["nom"]] for r in regions),
        "departments": sorted([d["code"], d["nom"], d["region"]] for d in departments),
        "epcis": sorted([e["code"], e["nom"]] for e in epcis),
        "communes": sorted(
            [c["code"], c["nom"], c["departement"], epci_of_commune.get(c["code"]), c.get("population")]
            for c in communes
        ),
    }


def write(data: dict) -> None:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    with OUTPUT.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as gz:
        gz.write(payload)


def write_licence(package_dir: Path, version: str) -> None:
    licence = (package_dir / "LICENSE").read_text(encoding="utf-8")
    header = (
        f"Les données de territories/data/territories.json.gz proviennent du paquet npm {PACKAGE}@{version}\n"
        f"(https://github.com/datagouv/decoupage-administratif), extraites par scripts/build_territories.py.\n"
        "Code du paquet sous licence MIT (texte ci-dessous) ; données issues du Code officiel géographique de\n"
        "l'INSEE et de la DGCL, sous Licence Ouverte (https://www.etalab.gouv.fr/licence-ouverte-open-licence).\n"
        "\n"
    )
    LICENCE_OUTPUT.write_text(header + licence, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default=DEFAULT_VERSION, help=f"version du paquet (défaut {DEFAULT_VERSION})")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        package_dir = fetch_package(args.version, Path(tmp))
        data = build(package_dir, args.version)
        write(data)
        write_licence(package_dir, args.version)
    print(
        f"{OUTPUT.relative_to(Path.cwd()) if OUTPUT.is_relative_to(Path.cwd()) else OUTPUT} : "
        f"{len(data['regions'])} régions, {len(data['departments'])} départements, {len(data['epcis'])} EPCI, "
        f"{len(data['communes'])} communes ({OUTPUT.stat().st_size // 1024} Ko)."
    )


if __name__ == "__main__":
    main()
