"""Issue 12, item 4: the summary follows the services structurally. Only the modules listed in ALLOWED_CALLERS call
the refresh functions of the reporting summary (reporting.summary, directly or through the hook
config.hooks.summary); a view, form, serializer, admin or command that calls one fails here, with its place."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

from tests.integrity.routes import PROJECT_APPS

REFRESHERS = frozenset(
    {
        "refresh",
        "refresh_lots",
        "refresh_markets",
        "refresh_organisations",
        "refresh_after_edit",
        "refresh_stale",
        "rebuild",
    }
)
SCANNED = (*PROJECT_APPS, "bench")

# Who may call them, and why (a path, or a folder ending with "/").
ALLOWED_CALLERS = {
    "reporting/summary.py": "le module de la synthèse lui-même",
    "reporting/management/commands/rebuild_summary.py": "la reconstruction complète, sur demande",
    "territories/loaders.py": "les chargeurs des données officielles (une commune change d'EPCI)",
    "demo/seed.py": "le jeu de démonstration reconstruit la synthèse à la fin",
    "demo/national.py": "le jeu national reconstruit la synthèse à la fin",
    "beneficiaries/duplicates.py": "la fusion de deux fiches (merge_people, le service des doublons : ses contrats "
    "changent de personne)",
}


def _is_service(relative: str) -> bool:
    return relative.endswith("/services.py")


def _summary_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Names bound to the summary module or hook (`summary`, `hooks.summary`...), and refresh functions imported by
    name from reporting.summary or defined in the module itself."""
    modules, functions = {"summary"}, set()
    functions |= {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in REFRESHERS}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in ("reporting.summary",):
            functions |= {alias.asname or alias.name for alias in node.names if alias.name in REFRESHERS}
        if isinstance(node, ast.ImportFrom) and node.module in ("reporting", "config.hooks"):
            modules |= {alias.asname or alias.name for alias in node.names if alias.name == "summary"}
        if isinstance(node, ast.Import):
            modules |= {alias.asname for alias in node.names if alias.name == "reporting.summary" and alias.asname}
    return modules, functions


def _receiver(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr  # hooks.summary.refresh, reporting.summary.refresh
    return ""


def summary_calls() -> dict[str, list[str]]:
    """{module path: ["line: call", ...]} for every call of a refresh function in the project's code."""
    root = Path(settings.BASE_DIR)
    found: dict[str, list[str]] = {}
    for package in SCANNED:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            relative = path.relative_to(root).as_posix()
            tree = ast.parse(path.read_text(encoding="utf-8"))
            modules, functions = _summary_names(tree)
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                function = node.func
                if (
                    isinstance(function, ast.Attribute)
                    and function.attr in REFRESHERS
                    and _receiver(function.value) in modules
                ) or (isinstance(function, ast.Name) and function.id in functions):
                    found.setdefault(relative, []).append(f"{node.lineno}: {ast.unparse(function)}")
    return found


def test_only_services_and_the_listed_modules_refresh_the_summary():
    calls = summary_calls()
    refused = {path: lines for path, lines in calls.items() if not _is_service(path) and path not in ALLOWED_CALLERS}
    assert not refused, "Appels de rafraîchissement de la synthèse hors des services : " + "; ".join(
        f"{path} ({', '.join(lines)})" for path, lines in sorted(refused.items())
    )


def test_the_scan_finds_the_known_callers():
    """The scan itself: it sees the hook (`from config.hooks import summary`) in the services and the direct
    module (`from reporting import summary`) in the rebuild command and the summary's own functions."""
    calls = summary_calls()
    assert any(line.endswith("summary.refresh") for line in calls.get("beneficiaries/services.py", []))
    assert any(line.endswith("summary.rebuild") for line in calls["reporting/management/commands/rebuild_summary.py"])
    assert any(line.endswith(": refresh") for line in calls["reporting/summary.py"])


def test_every_allowed_caller_still_exists():
    root = Path(settings.BASE_DIR)
    missing = sorted(path for path in ALLOWED_CALLERS if not (root / path).exists())
    assert not missing, f"Appelants autorisés qui n'existent plus : {missing}"
