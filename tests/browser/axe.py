"""axe-core in the browser tests: inject the vendored axe.min.js (tests/browser/vendor/axe-core, tests only, never
served by the app) into a Playwright page and run it with the WCAG 2 A/AA and best-practice rules.

The app's Content-Security-Policy allows no inline or foreign script, so the page must come from a context opened
with `bypass_csp=True` (see `axe_context`); only the axe tests use such a context.
"""

from pathlib import Path

VENDOR = Path(__file__).resolve().parent / "vendor" / "axe-core"
AXE_JS = VENDOR / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING = ("serious", "critical")

_RUN = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary || ""})),
  }));
}"""


def axe_context(browser, base_url: str | None = None, **options):
    """A browser context in which axe can be injected despite the app's CSP (for the axe tests only)."""
    if base_url:
        options["base_url"] = base_url
    return browser.new_context(
        bypass_csp=True,
        locale="fr-FR",
        timezone_id="Europe/Paris",
        **options,
    )


def serious_violations(page) -> list[dict]:
    """The serious and critical violations of the page as it is now (axe injected once per document)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    violations = page.evaluate(_RUN, TAGS)
    return [violation for violation in violations if violation["impact"] in BLOCKING]


def describe(where: str, violations: list[dict]) -> list[str]:
    """One readable line per violation: where, rule id, impact, help and the first selectors."""
    lines = []
    for violation in violations:
        targets = " | ".join(node["target"] for node in violation["nodes"][:4])
        more = len(violation["nodes"]) - 4
        if more > 0:
            targets += f" (+{more})"
        lines.append(f"{where}: [{violation['id']}/{violation['impact']}] {violation['help']} -> {targets}")
    return lines
