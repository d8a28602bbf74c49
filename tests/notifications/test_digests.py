"""The weekly digests (issue 16 points 4 and 5): lots that became at risk, to buyer contacts and facilitators;
due dates, to facilitators. Delivered to the real local SMTP server (smtp_inbox); the last test runs the real
worker."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from beneficiaries.calculations import add_months, first_of_month, months_before
from beneficiaries.choices import Criterion, OutcomeStage
from notifications import digests, recurring
from notifications.models import DigestDelivery, LotRiskState
from notifications.tasks import send_at_risk_digests, send_due_dates_digests
from tests.beneficiaries.factories import BeneficiaryFactory, PlacementFactory
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import LotFactory, MarketFactory
from tests.reporting.conftest import add_hours, build_world

TODAY = timezone.localdate()  # the real date: the worker process reads it too
THIS_MONTH = first_of_month(TODAY)


@pytest.fixture
def world(db):
    return build_world()


def make_risky_lot(world, reference="RISK-01"):
    """A lot of the city followed by the PLIE: 833 h to do from 5 months ago to 4 months from now, 60 h validated
    (3 × 20 h in its second month): about 190 h a month needed, far above its best month of 60 h."""
    start, end = add_months(THIS_MONTH, -5), add_months(THIS_MONTH, 4) - datetime.timedelta(days=1)
    market = MarketFactory(
        buyer=world["city"],
        facilitator=world["facilitator"],
        reference=reference,
        start_date=start,
        end_date=end,
        notified_on=start,
    )
    lot = ClauseFactory(lot=LotFactory(market=market, number=1, amount_excl_vat=Decimal("1000000"))).lot
    add_hours(lot, people=3, hours="20", month=add_months(start, 1))
    return lot


def parts(message):
    return message.get_body(preferencelist=("plain",)).get_content(), message.get_body(
        preferencelist=("html",)
    ).get_content()


def by_recipient(inbox):
    return {message["To"]: message for message in inbox}


def test_a_lot_that_became_at_risk_is_listed_once_to_its_buyer_and_facilitator(world, smtp_inbox, settings):
    settings.SITE_URL = "https://clausier.exemple.fr"
    lot = make_risky_lot(world)
    send_at_risk_digests.call("2026-W01")
    messages = by_recipient(smtp_inbox)
    # The city's contacts and the PLIE's facilitators; never the coordination, another buyer or a stranger.
    for role in ("city_admin", "city_reader", "facilitator_member", "facilitator_reader"):
        assert world[role].email in messages, role
    for role in ("coordinator", "stranger"):
        assert world[role].email not in messages, role
    message = messages[world["city_admin"].email]
    assert "devenu" in message["Subject"] and "à risque" in message["Subject"]
    text, html = parts(message)
    assert "RISK-01, lot 1" in text
    assert "Objectif 833\u00a0h, heures validées 60\u00a0h" in text
    assert "meilleur mois réalisé : 60\u00a0h" in text
    # The need per month is the dashboard's figure, rounded the same way.
    from markets.models import Lot
    from reporting.queries import lots_progress

    [progress] = lots_progress(Lot.objects.filter(pk=lot.pk), today=TODAY)
    from reporting.templatetags.reporting_format import fr_hours

    assert f"Besoin : {fr_hours(progress.forecast.needed_per_month)} par mois" in text
    assert fr_hours(progress.forecast.needed_per_month) in html
    assert f"https://clausier.exemple.fr/tableau-de-bord/marches/{lot.market_id}/" in text
    assert "https://clausier.exemple.fr/tableau-de-bord/?sort=-risque#table-lots" in text
    assert "meilleur mois jamais réalisé" in text  # the rule, as the legend states it
    landlord = messages.get(world["landlord_member"].email)
    assert landlord is None or "RISK-01" not in parts(landlord)[0]
    state = LotRiskState.objects.get(lot=lot)
    assert (state.at_risk, state.since, state.became_at_risk_in) == (True, TODAY, "2026-W01")

    # The same period again (a retry, the scheduler run twice): nothing more is sent.
    count = len(smtp_inbox)
    assert send_at_risk_digests.call("2026-W01") == 0
    assert len(smtp_inbox) == count
    # The next week the lot is still at risk: not listed again.
    smtp_inbox.clear()
    send_at_risk_digests.call("2026-W02")
    assert all("RISK-01" not in parts(message)[0] for message in smtp_inbox)


def test_a_lot_listed_again_once_it_recovered_then_fell_back(world, smtp_inbox):
    lot = make_risky_lot(world)
    send_at_risk_digests.call("2026-W01")
    LotRiskState.objects.filter(lot=lot).update(at_risk=False)  # as a digest finds it recovered
    smtp_inbox.clear()
    send_at_risk_digests.call("2026-W02")
    assert "RISK-01" in parts(by_recipient(smtp_inbox)[world["city_admin"].email])[0]


def test_recovered_lots_are_recorded_and_nobody_is_written_to_without_news(world, smtp_inbox):
    lot = make_risky_lot(world)
    LotRiskState.objects.create(lot=lot, at_risk=True, since=TODAY, became_at_risk_in="2025-W50")
    recovered = world["lot2"]
    LotRiskState.objects.create(lot=recovered, at_risk=True, since=TODAY, became_at_risk_in="2025-W50")
    progress = list(digests.lots_progress(type(lot).objects.all(), today=TODAY))
    became = digests.update_risk_states(progress, today=TODAY, period="2026-W01")
    assert lot.pk not in became
    flagged = {item.lot.pk for item in progress if item.at_risk}
    assert LotRiskState.objects.get(lot=recovered).at_risk is (recovered.pk in flagged)


def test_the_weekly_digests_are_recurring_jobs():
    jobs = {job.name: job for job in recurring.JOBS}
    assert jobs["at_risk_digest"].frequency == recurring.WEEKLY
    assert jobs["at_risk_digest"].task_path == "notifications.tasks.send_at_risk_digests"
    assert jobs["due_dates_digest"].frequency == recurring.WEEKLY
    assert jobs["due_dates_digest"].task_path == "notifications.tasks.send_due_dates_digests"


def test_preferences_are_respected(world, smtp_inbox, monkeypatch):
    make_risky_lot(world)
    refused = world["city_admin"].pk
    monkeypatch.setattr(digests, "allowed", lambda user, kind: not (user.pk == refused and kind == digests.AT_RISK))
    send_at_risk_digests.call("2026-W01")
    recipients = by_recipient(smtp_inbox)
    assert world["city_admin"].email not in recipients
    assert world["city_reader"].email in recipients


# --- Due dates ---------------------------------------------------------------------------------------------------


@pytest.fixture
def due(world, settings):
    """For the PLIE: a placement ended last week without outcome, one ended 7 months ago without its six-month
    outcome, one ending in 10 days, a criterion expiring in 20 days and a person inactive for 23 months and 2
    weeks. The landlord's structure-less world has nothing of the kind."""
    structure = world["facilitator"]
    lot = world["lot1"]
    person = BeneficiaryFactory(structure=structure)
    ended = PlacementFactory(
        beneficiary=person,
        lot=lot,
        start_date=TODAY - datetime.timedelta(days=60),
        end_date=TODAY - datetime.timedelta(days=7),
    )
    old = PlacementFactory(
        beneficiary=BeneficiaryFactory(structure=structure),
        lot=lot,
        start_date=add_months(TODAY, -10),
        end_date=add_months(TODAY, -7),
    )
    from tests.beneficiaries.factories import OutcomeFactory

    OutcomeFactory(placement=old, stage=OutcomeStage.AT_END)
    ending = PlacementFactory(
        beneficiary=BeneficiaryFactory(structure=structure),
        lot=lot,
        start_date=TODAY - datetime.timedelta(days=30),
        end_date=TODAY + datetime.timedelta(days=10),
    )
    # Criterion validity: CLAUSIER_CRITERION_VALIDITY_MONTHS after its validation.
    months = settings.CLAUSIER_CRITERION_VALIDITY_MONTHS
    from tests.beneficiaries.factories import BeneficiaryCriterionFactory

    criterion = BeneficiaryCriterionFactory(
        beneficiary=ending.beneficiary,
        criterion=Criterion.LONG_TERM_JOB_SEEKER,
        validated_on=months_before(TODAY, months) + datetime.timedelta(days=20),
    )
    from beneficiaries.models import Beneficiary

    sleeper = BeneficiaryFactory(structure=structure)
    last_end = months_before(TODAY, 23) - datetime.timedelta(days=14)
    PlacementFactory(beneficiary=sleeper, lot=lot, start_date=last_end - datetime.timedelta(days=90), end_date=last_end)
    Beneficiary.objects.filter(pk=sleeper.pk).update(updated_at=timezone.now() - datetime.timedelta(days=800))
    return {"ended": ended, "old": old, "ending": ending, "criterion": criterion, "sleeper": sleeper}


def test_due_dates_digest_lists_what_falls_due_for_the_structure(world, due, smtp_inbox):
    assert send_due_dates_digests.call("2026-W01") >= 1
    messages = by_recipient(smtp_inbox)
    assert world["city_admin"].email not in messages  # buyers get no due dates
    assert world["coordinator"].email not in messages
    message = messages[world["facilitator_member"].email]
    assert message["Subject"] == "Clausier : vos échéances de la semaine"
    text, html = parts(message)
    assert f"contrat n° {due['ended'].pk} (participant·e n° {due['ended'].beneficiary_id}), terminé le" in text
    six_months = text.split("Sorties à six mois à renseigner", 1)[1]
    assert f"contrat n° {due['old'].pk} " in six_months.split("Contrats qui se terminent", 1)[0]
    ending = text.split("Contrats qui se terminent dans les 30 jours", 1)[1]
    assert f"contrat n° {due['ending'].pk} " in ending
    assert f"fin le {due['ending'].end_date:%d/%m/%Y}" in ending
    assert f"n° {due['ending'].beneficiary_id} : un critère expire le" in text
    retention = text.split("durée de conservation", 1)[1]
    assert f"n° {due['sleeper'].pk} : le " in retention
    # People are numbers in an e-mail: no name, no criterion.
    for person in (due["ended"].beneficiary, due["ending"].beneficiary, due["sleeper"]):
        assert person.last_name not in text and person.last_name not in html
    assert "longue durée" not in text
    assert DigestDelivery.objects.filter(kind=digests.DUE_DATES, period="2026-W01").count() == len(smtp_inbox)
    # Run again for the same period: nothing more.
    assert send_due_dates_digests.call("2026-W01") == 0


def test_due_dates_reuse_the_home_queue_queries(world, due, client):
    """The facilitator home and the digest count the same placements ending soon and criteria expiring."""
    client.force_login(world["facilitator_member"])
    home = client.get("/").context
    found = digests.due_dates_of(world["facilitator_member"], today=TODAY)
    assert home["ending_total"] == len(found.ending)
    assert home["expiring_total"] == len(found.criteria)
    assert {row["stage"]: row["count"] for row in home["outcomes_due"]} == {
        OutcomeStage.AT_END: len(found.outcomes_at_end),
        OutcomeStage.AFTER_6_MONTHS: len(found.outcomes_six_months),
    }


# --- The real worker -------------------------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_delivers_the_at_risk_digest(smtp_inbox, run_worker):
    world = build_world()
    make_risky_lot(world, reference="WORKER-01")
    recurring.enqueue_due(jobs=tuple(job for job in recurring.JOBS if job.name == "at_risk_digest"))
    run_worker()
    messages = by_recipient(smtp_inbox)
    text, _ = parts(messages[world["facilitator_member"].email])
    assert "WORKER-01, lot 1" in text
    assert LotRiskState.objects.get(lot__market__reference="WORKER-01").at_risk
    run_worker()
    assert len(smtp_inbox) == len(messages)


def test_the_digest_reads_every_structure_at_once_and_finds_the_same_lists(world, due):
    """due_dates_digests reads each list for every structure in one query: the same items and totals as the
    per-user due_dates_of, in the same order."""
    member = world["facilitator_member"]
    digest = next(item for item in digests.due_dates_digests(today=TODAY) if item.user == member)
    alone = digests.due_dates_of(member, today=TODAY)
    for name in ("outcomes_at_end", "outcomes_six_months", "ending", "criteria", "retention"):
        section, expected = digest.sections[name], getattr(alone, name)
        assert section.total == expected.total > 0, name
        assert [getattr(item, "pk", item) for item in section.items] == [
            getattr(item, "pk", item) for item in expected.items
        ], name
