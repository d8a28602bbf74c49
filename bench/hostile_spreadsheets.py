"""Reading hostile spreadsheets: the import's reader before the bounded one vs now, time and memory per file.

    python bench/hostile_spreadsheets.py [--timeout 30] [--memory 2048] [--only far_cell ...]

Each file of tests/security/hostile_files.py (and two ordinary 50,000-row statements, for scale) is read by
`parse_file` in a child process of its own, with the old reader (beneficiaries/imports.py as it was before
beneficiaries/spreadsheets.py, openpyxl without defusedxml as then installed) and the new one. The child is
stopped after `--timeout` seconds (the web worker's timeout) and limited to `--memory` MiB of address space.
Memory is the peak resident size of the child minus its size once Django is set up and the file read.
The load average is printed beside each line: the machine is shared, times move with it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, fr, setup_django

HEADER = ["reference_marche", "numero_lot", "siret_titulaire", "identifiant_participant", "mois", "heures"]


def ordinary_rows(count: int) -> list[list]:
    generator = random.Random(11)
    return [
        [
            f"2025-{index % 400:04d}",
            index % 9 + 1,
            f"7328293200{index % 97:04d}",
            100_000 + index,
            "04/2025",
            round(generator.random() * 150, 2),
        ]
        for index in range(count)
    ]


def ordinary_xlsx(count: int) -> tuple[str, bytes]:
    import io

    import xlsxwriter

    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"constant_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, HEADER)
    for index, row in enumerate(ordinary_rows(count), start=1):
        sheet.write_row(index, 0, row)
    workbook.close()
    return f"ordinaire-{count}.xlsx", output.getvalue()


def ordinary_csv(count: int) -> tuple[str, bytes]:
    lines = [";".join(HEADER)] + [";".join(str(cell).replace(".", ",") for cell in row) for row in ordinary_rows(count)]
    return f"ordinaire-{count}.csv", ("\r\n".join(lines) + "\r\n").encode()


def old_reader_source(directory: Path) -> Path:
    """beneficiaries/imports.py at the commit before beneficiaries/spreadsheets.py was added."""
    git = shutil.which("git") or "git"
    added = subprocess.run(  # noqa: S603 - git, on our own repository
        [git, "log", "--diff-filter=A", "--format=%H", "--", "beneficiaries/spreadsheets.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[-1]
    source = subprocess.run(  # noqa: S603
        [git, "show", f"{added}^:beneficiaries/imports.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    path = directory / "old_imports.py"
    path.write_text(source, encoding="utf-8")
    return path


def child(reader: str, path: str, old_source: str) -> None:
    """Read one file with one reader; print a JSON line."""
    setup_django()
    if reader == "avant":
        spec = importlib.util.spec_from_file_location("old_imports", old_source)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        from beneficiaries import imports as module
    data = Path(path).read_bytes()
    module.parse_file(module.template_xlsx(), filename="modele.xlsx")  # imports openpyxl before measuring
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        rows = module.parse_file(data, filename=Path(path).name)
        outcome = f"lu : {len(rows)} lignes"
    except module.FileRefused as error:
        outcome = "refusé : " + " ".join(error.messages)
    except Exception as error:  # what the web flow would answer with a 500
        outcome = f"ERREUR 500 : {type(error).__name__}: {str(error)[:120]}"
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - baseline
    print(json.dumps({"seconds": elapsed, "memory_mb": peak / 1024, "outcome": outcome}))


def run_child(reader: str, path: Path, old_source: Path, timeout: float, memory_mb: int) -> str:
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 1024 * 1024, memory_mb * 1024 * 1024))

    environment = {**os.environ, "SECRET_KEY": "bench-only-secret-key"}
    if reader == "avant":
        environment["OPENPYXL_DEFUSEDXML"] = "False"  # defusedxml was not installed then
    try:
        completed = subprocess.run(  # noqa: S603 - this very script
            [sys.executable, __file__, "--child", reader, str(path), str(old_source)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=environment,
            preexec_fn=limit,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"> {fr(timeout)} s, arrêté (le délai du serveur web)"
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    if not lines:
        tail = (completed.stderr.strip().splitlines() or ["?"])[-1]
        return f"échec, mémoire > {fr(memory_mb)} Mio ? ({tail[:100]})"
    result = json.loads(lines[-1])
    return f"{fr(result['seconds'], 2)} s, {fr(result['memory_mb'])} Mo ; {result['outcome'][:110]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("--memory", type=int, default=2048, help="MiB of address space per child")
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--child", nargs=3)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    sys.path.insert(0, str(ROOT))
    from tests.security.hostile_files import HOSTILE_FILES

    builders = {
        **HOSTILE_FILES,
        "ordinary_xlsx": lambda: ordinary_xlsx(50_000),
        "ordinary_csv": lambda: ordinary_csv(50_000),
    }
    names = args.only or list(builders)
    with tempfile.TemporaryDirectory() as directory:
        old_source = old_reader_source(Path(directory))
        print(f"Lecture des fichiers hostiles, avant / après ({len(names)} fichiers) :")
        for name in names:
            filename, data = builders[name]()
            path = Path(directory) / filename
            path.write_bytes(data)
            print(f"- {name} ({filename}, {fr(len(data) / 1024)} Kio)")
            for reader in ("avant", "après"):
                line = run_child(reader, path, old_source, args.timeout, args.memory)
                load = Path("/proc/loadavg").read_text().split()[:3]
                print(f"    {reader:5s} {line}   [loadavg {' '.join(load)}]", flush=True)


if __name__ == "__main__":
    main()
