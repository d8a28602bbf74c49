"""Accessibility proven (issue 14, point 7): axe-core (WCAG 2 A/AA and best practices) on every page template, for
each role, at 1 366 px and at 390 px (menu closed, and open once per role): no serious or critical violation.

The pages come from the URLconf (the routes of tests/test_access_matrix.py): every web route is either visited or
listed in NOT_PAGES with the reason, so a new page cannot be forgotten; every template under templates/ (except
partials, includes and the PDF) must have been rendered during the walk (Django's template_rendered signal, the
live server runs in this process). Forms are also submitted empty or invalid, so error states are checked.

One dataset (tests/audit/world.py) and one browser context per role, for the whole walk.
"""

import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.test.signals import template_rendered
from django.urls import reverse

from tests.audit.world import build_world
from tests.browser.axe import axe_context, describe, serious_violations
from tests.test_access_matrix import variants, walk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP, PHONE = 1366, 390
TEMPLATES = Path(settings.BASE_DIR) / "templates"

# role name -> (user key in the audit world, tenant whose objects the role visits)
ROLES = {
    "anonymous": (None, "a"),
    "superuser": ("superuser", "a"),
    "structure_admin": ("fac_a", "a"),
    "facilitator_member": ("fac_b", "b"),
    "reader": ("reader_a", "a"),
    "buyer": ("buyer_x", "a"),
    "coordinator": ("coord_27", "a"),
    "company": ("company_a", "a"),
}
# The user guide each role reads (issue 20; the walk's `guide:role` URL is the facilitator's guide).
GUIDE_OF = {
    "structure_admin": "structure",
    "buyer": "acheteur",
    "coordinator": "coordination",
    "company": "entreprise",
}
ANONYMOUS_PAGES = {
    "login",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "companies:accept",
    "notifications:unsubscribe",  # no login; the walk's link is invalid: the refusal page
    # The public pages of the published reports (issue 18): region 27's report of 2025 (tests/test_access_matrix.py).
    "public:index",
    "public:region",
    "public:region_year",
}

# Web routes that render no page of their own (POST-only actions, downloads, htmx fragments), with the reason.
NOT_PAGES = {
    "logout": "POST only (the logged-out page is checked after logging out)",
    "organisations:switch": "POST only, redirects",
    "organisations:member_role": "POST only, redirects to the members page",
    "organisations:member_remove": "POST only, redirects to the members page",
    "beneficiaries:criterion_add": "POST only (its form is submitted invalid from the person's page)",
    "beneficiaries:criterion_delete": "POST only, redirects",
    "beneficiaries:commune_options": "htmx fragment (<option> list), not a page",
    "beneficiaries:qpv_options": "htmx fragment (<option> list), not a page",
    "clauses:calibration": "htmx fragment of the lot form (checked inside the lot form)",
    "placements:outcome": "POST only (its form is submitted invalid from the contract's page)",
    "imports:confirm": "POST only (confirmed from the preview, gives the done page)",
    "markets:decp_import_confirm": "POST only (confirmed from the DECP preview, redirects to the markets to follow)",
    "imports:template": "spreadsheet download",
    "imports:history_confirm": "POST only (confirmed from the history preview, gives its done page)",
    "imports:history_template": "spreadsheet download (the history workbook and its CSV files)",
    "reporting:dashboard_export": "CSV/XLSX download",
    "reporting:market_bilan_pdf": "PDF download",
    "reporting:market_bilan_export": "CSV/XLSX download",
    "reporting:yearly_report_export": "CSV/XLSX download",
    "reporting:yearly_report_background": "POST only, redirects to the export's status page (visited)",
    "reporting:export_download": "file download",
    "reporting:export_retry": "POST only, redirects to the export's status page",
    "reporting:yearly_report_publish": "POST only, redirects to the yearly report (refused state visited)",
    "reporting:published_report_export": "CSV/XLSX/JSON/PDF download of a published version",
    "audit:right_of_access_json": "JSON download",
    "api_tokens:token_revoke": "POST only, redirects to the tokens page",
    "companies:revoke": "POST only, redirects to the lot's company accounts",
    "companies:statement": "PDF download (the company's yearly statement)",
    "placements:choices": "htmx fragment (<option> list of a searchable select), not a page",
    "companies:upload_confirm": "POST only (confirmed from the company's preview, back to its declaration)",
    "companies:upload_template": "spreadsheet download",
    "public:data_csv": "open-data CSV download",
    "public:version_csv": "open-data CSV download (one version)",
    "public:data_schema": "Table Schema JSON",
}
# Forms submitted empty (text fields cleared, browser validation off) by the structure admin: their error state.
INVALID_FORMS = (
    "organisations:create",
    "organisations:update",
    "markets:operation_create",
    "markets:operation_update",
    "markets:market_create",
    "markets:market_update",
    "markets:lot_create",
    "markets:lot_update",
    "beneficiaries:create",
    "beneficiaries:update",
    "placements:create",
    "placements:update",
    "password_change",
    "imports:upload",
)
# Templates rendered outside a request the browser can make easily: served through page.route, rendered here.
# registration/logged_out.html is never reached while LOGOUT_REDIRECT_URL is set (logging out lands on the login
# page), but Django's LogoutView would use it if that setting went away.
STANDALONE = (
    "400.html",
    "409.html",
    "500.html",
    "503.html",
    "registration/lockout.html",
    "registration/logged_out.html",
)

_SUBMIT_BLANK = """(selector) => {
  const forms = [...document.querySelectorAll(selector)].filter((f) => f.method.toLowerCase() === "post");
  forms.sort((a, b) => b.elements.length - a.elements.length);
  const form = forms[0];
  form.noValidate = true;
  for (const el of form.elements) {
    if (["text", "email", "number", "date", "password", "tel", "url", "textarea"].includes(el.type) && !el.readOnly) {
      el.value = "";
    }
  }
  const button = form.querySelector("button[type=submit], button:not([type]), input[type=submit]");
  form.requestSubmit(button);
}"""


def web_routes():
    return [r for r in walk() if not r.is_admin and not r.name.startswith("api:")]


def url_for(route, world, user_key, tenant):
    pairs = variants(route, world, user_key or "fac_a")
    if len(pairs) == 1:
        return pairs[0][1]
    wanted = "own" if "token_id" in route.converters else tenant
    return dict(pairs)[wanted]


def expected_templates() -> set[str]:
    names = set()
    for path in TEMPLATES.rglob("*.html"):
        name = path.relative_to(TEMPLATES).as_posix()
        if path.name.startswith("_") or name.startswith(("includes/", "emails/")) or name == "reporting/pdf.html":
            # partials, includes, e-mail bodies (read in a mail client: tests/notifications), and the PDF (rendered
            # by WeasyPrint, never by a browser)
            continue
        names.add(name)
    return names


class Walk:
    """The axe runs of one role's context, with their failures."""

    def __init__(self, page, base):
        self.page, self.base = page, base
        self.failures: list[str] = []
        self.runs = 0
        self.pages = 0
        self.seen_refusals: set[int] = set()

    def check(self, where: str):
        self.runs += 1
        self.failures += describe(where, serious_violations(self.page))

    def both_widths(self, where: str):
        """The page as loaded (1 366 px), then at 390 px with the menu closed; back to 1 366 px."""
        self.pages += 1
        self.check(f"{where} @{LAPTOP}")
        self.resize(PHONE)
        self.check(f"{where} @{PHONE}")
        self.resize(LAPTOP)

    def resize(self, width: int):
        """New width, then two animation frames so resize observers (static/js/app.js) have run."""
        self.page.set_viewport_size({"width": width, "height": 844 if width == PHONE else 900})
        self.page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")

    def visit(self, where: str, url: str):
        response = self.page.goto(self.base + url)
        status = response.status if response else 0
        if status in (403, 404):
            if status in self.seen_refusals:
                return status  # the same refusal page, already checked for this role
            self.seen_refusals.add(status)
        self.both_widths(f"{where} ({status})")
        return status

    def submit_blank(self, where: str, selector: str = "main form"):
        with self.page.expect_navigation():
            self.page.evaluate(_SUBMIT_BLANK, selector)
        self.both_widths(f"{where} (formulaire invalide)")

    def menu_open(self, where: str):
        self.resize(PHONE)
        toggle = self.page.locator(".nav-toggle")
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "true"
        self.check(f"{where} @{PHONE} menu ouvert")
        self.resize(LAPTOP)


def log_in_context(context, base, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])


def serve_standalone(page, base):
    """Routes /__axe__/<template> to that template rendered here (error pages Django renders without a request)."""
    request = RequestFactory().get("/")
    request.user = AnonymousUser()

    def fulfil(route):
        name = route.request.url.split("/__axe__/", 1)[1]
        context = {"message": "Un autre enregistrement a modifié ces données ; rechargez la page."}
        if name.startswith("registration/"):
            html = render_to_string(name, context, request=request)
        else:
            html = render_to_string(name, context)
        template_rendered.send(sender=None, template=type("T", (), {"name": name})(), context=context)
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)

    page.route(f"{base}/__axe__/**", fulfil)


def statement(world, hours: str) -> bytes:
    return (
        "reference_marche;numero_lot;siret_titulaire;identifiant_participant;mois;heures\r\n"
        f"{world.a.market.reference};1;{world.company.siret};{world.a.person.pk};05/2025;{hours}\r\n"
    ).encode()


def test_the_helper_reports_what_axe_finds(browser):
    """The helper is not blind: an unlabelled field and grey-on-white text are reported, with rule and selector."""
    context = axe_context(browser)
    page = context.new_page()
    page.set_content(
        '<html lang="fr"><head><title>Essai</title></head><body><main><h1>Essai</h1>'
        '<input type="text" id="sans-etiquette"><p style="color:#bbb">Texte pâle</p></main></body></html>'
    )
    lines = describe("essai", serious_violations(page))
    context.close()
    assert any("[label/critical]" in line and "#sans-etiquette" in line for line in lines), lines
    assert any("[color-contrast/serious]" in line for line in lines), lines


@pytest.mark.timeout(1200)  # about 3 min on a quiet 2-core machine: every page for every role, at two widths
def test_no_serious_or_critical_violation_on_any_page_for_any_role(browser, live_server, results_dir):
    started = time.monotonic()
    world = build_world()
    base = live_server.url
    rendered: set[str] = set()

    def on_render(sender, template, context, **kwargs):
        if template.name:
            rendered.add(template.name)

    template_rendered.connect(on_render)
    routes = web_routes()
    stale = sorted(set(NOT_PAGES) - {r.name for r in routes})
    failures: list[str] = []
    totals = {"pages": 0, "runs": 0}
    try:
        for role, (user_key, tenant) in ROLES.items():
            context = axe_context(browser, base, viewport={"width": LAPTOP, "height": 900})
            page = context.new_page()
            page.set_default_timeout(15_000)
            run = Walk(page, base)
            if user_key:
                log_in_context(context, base, world.users[user_key])
            for route in routes:
                if route.name in NOT_PAGES:
                    continue
                if (user_key is None) != (route.name in ANONYMOUS_PAGES):
                    continue
                url = url_for(route, world, user_key, tenant)
                run.visit(f"{role} {route.name}", url)
            run.visit(f"{role} page inconnue", "/page-qui-n-existe-pas/")
            if role in GUIDE_OF:
                run.visit(f"{role} guide", reverse("guide:role", kwargs={"role": GUIDE_OF[role]}))
            if user_key:
                run.visit(f"{role} accueil", "/")
                run.menu_open(f"{role} accueil")
            if role == "structure_admin":
                extra_states(run, world, tenant)
            if role == "company":
                company_states(run, world)
            if role == "anonymous":
                # A wrong password, then an expired form (the CSRF token altered), then the standalone pages.
                page.goto(base + reverse("login"))
                page.get_by_label("Adresse e-mail").fill("personne@exemple.fr")
                page.get_by_label("Mot de passe").fill("mauvais-mot-de-passe")
                page.get_by_role("button", name="Se connecter").click()
                run.both_widths("anonymous connexion refusée")
                page.goto(base + reverse("password_reset"))
                run.submit_blank("anonymous mot de passe oublié")
                page.goto(base + reverse("login"))
                page.locator("input[name=csrfmiddlewaretoken]").evaluate("el => el.value = 'x'.repeat(64)")
                page.get_by_label("Adresse e-mail").fill("personne@exemple.fr")
                page.get_by_label("Mot de passe").fill("mauvais-mot-de-passe")
                page.get_by_role("button", name="Se connecter").click()
                run.both_widths("anonymous formulaire expiré (CSRF)")
                serve_standalone(page, base)
                for name in STANDALONE:
                    page.goto(f"{base}/__axe__/{name}")
                    run.both_widths(f"gabarit {name}")
            failures += run.failures
            totals["pages"] += run.pages
            totals["runs"] += run.runs
            context.close()
    finally:
        template_rendered.disconnect(on_render)

    elapsed = time.monotonic() - started
    missing = sorted(expected_templates() - rendered)
    summary = (
        f"{totals['pages']} pages (page x rôle) à 2 largeurs, {totals['runs']} analyses axe, "
        f"{len(failures)} violations graves ou critiques, {elapsed:.0f} s\n"
    )
    (results_dir / "axe-summary.txt").write_text(summary + "\n".join(failures) + "\n", encoding="utf-8")
    assert not stale, f"NOT_PAGES cite des routes qui n'existent plus : {stale}"
    assert not missing, f"gabarits jamais rendus pendant la visite : {missing}"
    assert not failures, summary + "\n".join(failures)


def company_states(run: Walk, world):
    """The company's spreadsheet: a row refused (another month), then its preview; its proposal form in error."""
    page, base = run.page, run.base
    upload = reverse("companies:upload", kwargs={"pk": world.a.lot.pk, "month": "2025-04"})
    for month in ("05/2025", "04/2025"):
        page.goto(base + upload)
        page.locator("input[type=file]").set_input_files(
            files=[
                {
                    "name": "heures.csv",
                    "mimeType": "text/csv",
                    "buffer": statement(world, "10").replace(b"05/2025", month.encode()),
                }
            ]
        )
        with page.expect_navigation():
            page.locator("#upload-form").evaluate("form => form.requestSubmit()")
        run.both_widths(f"company aperçu du tableur ({month})")
    page.goto(base + reverse("companies:propose", kwargs={"pk": world.a.lot.pk}))
    run.submit_blank("company proposition")


def extra_states(run: Walk, world, tenant: str):
    """The structure admin's forms in error, the grid's refusal, the import's preview and done pages."""
    page, base = run.page, run.base
    objects = getattr(world, tenant)
    for name in INVALID_FORMS:
        route = next(r for r in walk() if r.name == name)
        page.goto(base + url_for(route, world, "fac_a", tenant))
        run.submit_blank(f"structure_admin {name}")
    # Duplicates (issue 20): the participant form proposing the person already followed, then two records compared.
    from tests.beneficiaries.factories import BeneficiaryFactory
    from tests.browser.test_guide_screenshots import _fill_new_person

    page.goto(base + reverse("beneficiaries:create"))
    _fill_new_person(page)
    run.both_widths("structure_admin doublons proposés")
    twin = BeneficiaryFactory(structure=objects.structure, last_name=objects.person.last_name, commune=None)
    merge = reverse("beneficiaries:merge", args=[objects.person.pk])
    run.visit("structure_admin fusion (comparaison)", f"{merge}?avec={twin.pk}")
    # Forms inside detail pages: a criterion on the person's page, an outcome on the contract's page.
    page.goto(base + reverse("beneficiaries:detail", args=[objects.person.pk]))
    run.submit_blank(
        "structure_admin critère", f"form[action$='{reverse('beneficiaries:criterion_add', args=[objects.person.pk])}']"
    )
    page.goto(base + reverse("placements:detail", args=[objects.placement.pk]))
    run.submit_blank(
        "structure_admin sortie", f"form[action$='{reverse('placements:outcome', args=[objects.placement.pk])}']"
    )
    # The grid: rejecting without a reason.
    page.goto(base + reverse("hours:grid") + "?month=2025-04")
    run.both_widths("structure_admin grille avril 2025")
    page.locator("input[type=checkbox][name=review]").first.check()
    page.get_by_role("button", name="Rejeter les relevés cochés").click()
    page.wait_for_load_state("load")
    run.both_widths("structure_admin grille rejet sans motif")
    page.goto(base + reverse("hours:grid") + "?month=2025-05")
    page.locator("input[name$='-hours']").first.fill("beaucoup")
    page.locator("button[value=save]").first.click()
    page.wait_for_load_state("load")
    run.both_widths("structure_admin grille heures invalides")
    # The import: a refused row, then a valid one, its confirmation and the done page.
    for hours in ("300", "10"):
        page.goto(base + reverse("imports:upload"))
        page.locator("input[type=file]").set_input_files(
            files=[{"name": "releve.csv", "mimeType": "text/csv", "buffer": statement(world, hours)}]
        )
        with page.expect_navigation():
            page.locator("main form").first.evaluate("form => form.requestSubmit()")
        run.both_widths(f"structure_admin aperçu import ({hours} h)")
    with page.expect_navigation():
        page.locator(f"form[action='{reverse('imports:confirm')}']").first.evaluate("form => form.requestSubmit()")
    run.both_widths("structure_admin import terminé")
    # The history import (issue 20): A's contract as it is, March changed, then confirmed.
    from beneficiaries.history_fixture import of_placement, to_xlsx
    from organisations.models import Organisation

    Organisation.objects.filter(pk=objects.placement.lot.market.buyer_id).update(siret="21210231300013")
    objects.placement.lot.market.buyer.siret = "21210231300013"
    from datetime import date

    workbook = to_xlsx(of_placement(objects.placement, [(date(2025, 3, 1), "44", "validé")]))
    page.goto(base + reverse("imports:history"))
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "historique.xlsx", "mimeType": "application/octet-stream", "buffer": workbook}]
    )
    with page.expect_navigation():
        page.locator("main form").first.evaluate("form => form.requestSubmit()")
    run.both_widths("structure_admin aperçu import historique")
    with page.expect_navigation():
        page.locator(f"form[action='{reverse('imports:history_confirm')}']").first.evaluate(
            "form => form.requestSubmit()"
        )
    run.both_widths("structure_admin historique importé")
    # Published markets (DECP): the demo file's preview, its confirmation, then the take-over form of one.
    from demo.seed import DEMO_DECP

    page.goto(base + reverse("markets:decp_import"))
    page.locator("input[type=file]").set_input_files(str(DEMO_DECP))
    with page.expect_navigation():
        page.locator("main form").first.evaluate("form => form.requestSubmit()")
    run.both_widths("structure_admin aperçu import DECP")
    with page.expect_navigation():
        page.locator(f"form[action='{reverse('markets:decp_import_confirm')}']").first.evaluate(
            "form => form.requestSubmit()"
        )
    run.both_widths("structure_admin marchés à suivre")
    page.locator("a", has_text="Suivre ce marché").first.click()
    page.wait_for_load_state("load")
    run.both_widths("structure_admin suivre un marché publié")
    # The yearly report's « Publier ce bilan » without its confirmation: the refusal on the checkbox (filtered on the
    # Côte-d'Or, a series without any version yet, so the form is offered).
    page.goto(base + reverse("reporting:yearly_report") + "?year=2025&department=21")
    run.submit_blank("structure_admin publication sans confirmation", "form.publish-form")
    # API tokens: one created (the page showing the new token once).
    page.goto(base + reverse("api_tokens:tokens"))
    run.submit_blank("structure_admin jetons")
