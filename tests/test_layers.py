"""The layers of shared/DESIGN.md, checked on the real import graph (grimp, the graph library of import-linter).

From the bottom up, a module may import only from its own layer or below, and no module takes part in an import
cycle. Every module of the project is classified by a rule, not by a list: a new module is checked from its
first commit.

1. pure: `config.collation`, `config.formatting`, `config.hooks`, `config.database`, `config.routers`,
   `config.replica`, every `calculations` and `choices` module;
2. reference data and organisations: `territories`, `organisations`;
3. `markets`, `clauses`;
4. `beneficiaries` (people, placements, hours);
5. `reporting`, `audit` (read models, summaries, journals);
6. the web and everything that drives the others: views, forms, filters, admin, URLs, template tags, management
   commands and app configurations of every app, the rest of `config`, `api`, `demo`, `bench`.

A lower layer that needs work done above it calls an explicit hook (config.hooks) that the upper app registers
at start-up; the hook module imports nothing of the project.
"""

import grimp
import pytest

PACKAGES = (
    "config",
    "territories",
    "organisations",
    "markets",
    "clauses",
    "beneficiaries",
    "companies",
    "reporting",
    "audit",
    "notifications",
)
DRIVERS = ("api", "demo", "bench")
APP_LAYER = {"territories": 2, "organisations": 2, "markets": 3, "clauses": 3, "beneficiaries": 4, "reporting": 5}
APP_LAYER["audit"] = 5
APP_LAYER["notifications"] = 5  # background tasks, e-mail, recurring jobs (issue 16)
APP_LAYER["companies"] = 4  # company accounts: lots, placements and people below, the audit hook above
PURE_CONFIG = {
    "config",
    "config.collation",
    "config.formatting",
    "config.hooks",
    "config.database",
    "config.routers",
    "config.replica",
}
# Parts of a module path that make it a web (or driving) module, whatever its app.
WEB_PARTS = {"admin", "forms", "filters", "templatetags", "management", "apps", "web", "middleware", "errors"}
WEB_PREFIXES = ("views", "urls", "import_views", "lot_views", "import_urls", "right_of_access")


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(*PACKAGES, *DRIVERS, exclude_type_checking_imports=True)


def layer_of(module: str) -> int | None:
    """The layer of a module; None for migrations (frozen history, never imported by code)."""
    parts = module.split(".")
    if "migrations" in parts:
        return None
    if parts[0] in DRIVERS:
        return 6
    if parts[0] == "config":
        return 1 if module in PURE_CONFIG else 6
    rest = parts[1:]
    if any(part in WEB_PARTS or part.startswith(WEB_PREFIXES) for part in rest):
        return 6
    if rest and rest[0] in ("calculations", "choices"):
        return 1
    return APP_LAYER[parts[0]]


def test_every_module_has_a_layer(graph):
    modules = [module for module in graph.modules if layer_of(module) is not None]
    assert len(modules) > 100
    layers = {layer_of(module) for module in modules}
    assert layers == {1, 2, 3, 4, 5, 6}
    # A sample the rules must place where DESIGN.md says.
    assert [
        layer_of(name)
        for name in (
            "config.formatting",
            "clauses.calculations",
            "organisations.scoping",
            "markets.models",
            "beneficiaries.services",
            "reporting.summary",
            "audit.services",
            "beneficiaries.views_hours",
            "reporting.admin",
            "config.settings",
            "api.hours",
        )
    ] == [1, 1, 2, 3, 4, 5, 5, 6, 6, 6, 6]


def test_no_module_imports_a_higher_layer(graph):
    upward = []
    for module in sorted(graph.modules):
        layer = layer_of(module)
        if layer is None:
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            target = layer_of(imported)
            if target is not None and target > layer:
                lines = graph.get_import_details(importer=module, imported=imported)
                where = ", ".join(f"ligne {detail['line_number']}" for detail in lines)
                upward.append(f"{module} (couche {layer}) importe {imported} (couche {target}) : {where}")
    assert not upward, "Importations vers une couche supérieure :\n" + "\n".join(upward)


def strongly_connected(graph, modules: set[str]) -> list[list[str]]:
    """Tarjan's components of more than one module (import cycles), iteratively."""
    index, low, on_stack, stack, components = {}, {}, set(), [], []
    counter = 0
    for root in sorted(modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root) & modules)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child) & modules))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def test_no_import_cycle(graph):
    modules = {module for module in graph.modules if layer_of(module) is not None}
    cycles = strongly_connected(graph, modules)
    assert not cycles, "Cycles d'importation :\n" + "\n".join(" ↔ ".join(cycle) for cycle in cycles)


def test_the_guard_sees_a_cycle_and_an_upward_import(graph):
    """The checks can fail: a graph with a cycle and an upward import is caught."""
    fake = grimp.ImportGraph()
    for name in ("markets.models", "reporting.summary", "reporting.exports", "reporting.charts"):
        fake.add_module(name)
    fake.add_import(importer="markets.models", imported="reporting.summary")
    fake.add_import(importer="reporting.exports", imported="reporting.charts")
    fake.add_import(importer="reporting.charts", imported="reporting.exports")
    assert strongly_connected(fake, set(fake.modules)) == [["reporting.charts", "reporting.exports"]]
    assert layer_of("markets.models") < layer_of("reporting.summary")
