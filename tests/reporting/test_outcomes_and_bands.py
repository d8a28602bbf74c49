"""Outcomes, the national headline set and the ESF bands of the yearly report (issue 18, items 4 and 5), against
small datasets whose expected figures are computed by hand in each docstring."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from beneficiaries import services
from beneficiaries.calculations import frozen_publics
from beneficiaries.choices import HoursStatus, OutcomeResult, OutcomeStage, QualificationLevel, Sex
from markets.models import Market, MarketType
from organisations.choices import Role
from reporting import queries, summary, suppression
from reporting.calculations import SECRET_LABEL, SMALL_COUNT_LABEL
from reporting.models import PlacementYear
from tests.beneficiaries.factories import BeneficiaryFactory, HoursRecordFactory, OutcomeFactory, PlacementFactory
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import LotFactory, MarketFactory
from tests.organisations.factories import MembershipFactory, UserFactory

D = Decimal
AS_OF = datetime.date(2026, 3, 15)  # six-month outcomes are due for contracts ended by 15/09/2025


def placement(person, lot, *, start=datetime.date(2025, 1, 15), end=datetime.date(2025, 12, 31), hours="10"):
    """A placement with its publics frozen at its start as the services do, and one validated record."""
    publics = frozen_publics(
        start_date=start,
        sex=person.sex,
        birth_date=person.birth_date,
        lives_in_qpv=person.qpv_id is not None,
        criteria_validated_on={},
    )
    made = PlacementFactory(beneficiary=person, lot=lot, start_date=start, end_date=end, **vars(publics))
    HoursRecordFactory(placement=made, month=start.replace(day=1), hours=D(hours))
    return made


@pytest.fixture
def outcome_world(db):
    """Year 2025, read on 15/03/2026. Works lot and services lot, both with a clause.

    - Anna (woman, 22): contract A1 (works) ended 31/03/2025, "abandon" at the end; contract A2 (services) ended
      30/06/2025, at the end a temp mission of 6 months or more recorded LATE (01/02/2026, after the year), six
      months later a CDI. She counts ONCE, on A2: durable at the end and six months later, market type services.
    - Bruno (man, 52): ended 31/08/2025 (works); "situation inconnue" recorded at the end; nothing six months
      later although due (31/08 ≤ 15/09) → unknown, not recorded.
    - Chloé (woman, 30): ended 30/11/2025 (works); training at the end; six months later NOT YET DUE.
    - David (man, 40): ended 31/05/2025 (works); no outcome recorded at all → unknown at both stages.
    - Émile: contract ends 28/02/2026 → not in 2025. Farid: ended 30/04/2025 with declared hours only (no
      counted record) → outside the perimeter.

    Total 4 people. At the end: durable 1, training 1, unknown 2 (1 not recorded) → 25 %, 25 %, 50 %.
    Six months later: 1 not yet due, 3 due: durable 1 (1/3), unknown 2 (both not recorded, 2/3).
    """
    works = ClauseFactory(lot=LotFactory(market=MarketFactory(market_type=MarketType.WORKS))).lot
    services = ClauseFactory(lot=LotFactory(market=MarketFactory(market_type=MarketType.SERVICES))).lot
    anna = BeneficiaryFactory(sex=Sex.FEMALE, birth_date=datetime.date(2002, 6, 1))
    bruno = BeneficiaryFactory(sex=Sex.MALE, birth_date=datetime.date(1972, 6, 1))
    chloe = BeneficiaryFactory(sex=Sex.FEMALE, birth_date=datetime.date(1994, 6, 1))
    david = BeneficiaryFactory(sex=Sex.MALE, birth_date=datetime.date(1984, 6, 1))
    emile = BeneficiaryFactory(sex=Sex.MALE, birth_date=datetime.date(1990, 6, 1))
    a1 = placement(anna, works, end=datetime.date(2025, 3, 31))
    a2 = placement(anna, services, start=datetime.date(2025, 4, 1), end=datetime.date(2025, 6, 30))
    b1 = placement(bruno, works, end=datetime.date(2025, 8, 31))
    c1 = placement(chloe, works, end=datetime.date(2025, 11, 30))
    placement(david, works, end=datetime.date(2025, 5, 31))
    e1 = placement(emile, works, end=datetime.date(2026, 2, 28))
    farid = PlacementFactory(lot=works, end_date=datetime.date(2025, 4, 30))
    HoursRecordFactory(placement=farid, status=HoursStatus.DECLARED)
    at_end, later = OutcomeStage.AT_END, OutcomeStage.AFTER_6_MONTHS
    OutcomeFactory(placement=a1, stage=at_end, result=OutcomeResult.DROPPED_OUT, observed_on=datetime.date(2025, 4, 1))
    OutcomeFactory(placement=a2, stage=at_end, result=OutcomeResult.DURABLE_TEMP, observed_on=datetime.date(2026, 2, 1))
    OutcomeFactory(placement=a2, stage=later, result=OutcomeResult.DURABLE_CDI, observed_on=datetime.date(2026, 1, 5))
    OutcomeFactory(placement=b1, stage=at_end, result=OutcomeResult.UNKNOWN, observed_on=datetime.date(2025, 9, 1))
    OutcomeFactory(placement=c1, stage=at_end, result=OutcomeResult.TRAINING, observed_on=datetime.date(2025, 12, 1))
    OutcomeFactory(placement=e1, stage=at_end, result=OutcomeResult.DURABLE_CDI, observed_on=datetime.date(2026, 3, 1))
    OutcomeFactory(placement=farid, stage=at_end, result=OutcomeResult.DURABLE_CDI)
    return {"works": works, "services": services}


def counts(stage: queries.OutcomeCounts) -> dict[str, int]:
    return {code: count for code, count in stage.counts.items() if count}


def test_outcomes_count_each_person_once_on_the_latest_contract(outcome_world):
    result = queries.outcomes(PlacementYear.objects.all(), year=2025, as_of=AS_OF)
    total = result.total
    assert total.people == 4
    assert counts(total.at_end) == {"durable": 1, "training": 1, "unknown": 2}
    assert (total.at_end.people, total.at_end.not_recorded, total.at_end.not_due) == (4, 1, 0)
    assert total.at_end.share("durable") == D("0.25")
    assert total.at_end.unknown_share == D("0.5")
    six = total.after_six_months
    assert counts(six) == {"durable": 1, "unknown": 2}
    assert (six.people, six.not_recorded, six.not_due) == (3, 2, 1)
    assert six.share("durable") == D(1) / D(3)
    assert six.unknown_share == D(2) / D(3)


def test_outcomes_by_public_and_by_market_type(outcome_world):
    result = queries.outcomes(PlacementYear.objects.all(), year=2025, as_of=AS_OF)
    publics = {group.code: group for group in result.publics}
    assert [group.code for group in result.publics] == ["women", "youth", "seniors", "qpv"]
    women = publics["women"]  # Anna (A2) and Chloé
    assert (women.people, counts(women.at_end)) == (2, {"durable": 1, "training": 1})
    assert (women.after_six_months.people, women.after_six_months.not_due) == (1, 1)
    assert counts(publics["youth"].at_end) == {"durable": 1}  # Anna, 22 at start
    seniors = publics["seniors"]  # Bruno, 52 at start
    assert counts(seniors.at_end) == {"unknown": 1}
    assert seniors.at_end.not_recorded == 0  # "inconnue" was recorded
    assert seniors.after_six_months.not_recorded == 1
    assert publics["qpv"].people == 0
    assert publics["qpv"].at_end.share("durable") is None
    by_type = {group.code: group for group in result.market_types}
    assert set(by_type) == {"market_type:works", "market_type:services"}
    assert counts(by_type["market_type:services"].at_end) == {"durable": 1}  # A2, not A1 (abandon, works)
    assert counts(by_type["market_type:works"].at_end) == {"training": 1, "unknown": 2}


def test_a_six_month_outcome_becomes_due_six_months_after_the_end(outcome_world):
    """On 31/05/2026 Chloé's contract (ended 30/11/2025) is due: unknown, not recorded."""
    result = queries.outcomes(PlacementYear.objects.all(), year=2025, as_of=datetime.date(2026, 5, 31))
    six = result.total.after_six_months
    assert (six.people, six.not_due, six.counts["unknown"], six.not_recorded) == (4, 0, 3, 3)


def test_outcomes_follow_the_perimeter(outcome_world):
    services_only = PlacementYear.objects.filter(market_type=MarketType.SERVICES)
    result = queries.outcomes(services_only, year=2025, as_of=AS_OF)
    assert result.total.people == 1
    assert counts(result.total.at_end) == {"durable": 1}


def test_outcomes_cost_one_query_whatever_the_data(outcome_world):
    def count():
        with CaptureQueriesContext(connection) as context:
            queries.outcomes(PlacementYear.objects.all(), year=2025, as_of=AS_OF)
        return len(context.captured_queries)

    assert count() == 1
    for index in range(5):
        made = placement(BeneficiaryFactory(), outcome_world["works"], end=datetime.date(2025, 2 + index, 28))
        OutcomeFactory(placement=made, result=OutcomeResult.JOB_SEEKING)
    assert count() == 1


def test_yearly_report_carries_outcomes_headline_and_bands(outcome_world):
    report = queries.yearly_report(
        records=PlacementYear.objects.all(), markets=Market.objects.all(), year=2025, today=AS_OF
    )
    assert report.outcomes.total.people == 4
    assert report.outcomes.as_of == AS_OF
    assert report.headline.participants == 5  # Anna, Bruno, Chloé, David, Émile (Farid: no counted record)
    assert report.headline.markets == 2


def test_suppressed_outcomes_hide_a_small_perimeter_whole(outcome_world):
    result = suppression.suppress_outcomes(queries.outcomes(PlacementYear.objects.all(), year=2025, as_of=AS_OF))
    # 4 people in all: every group and every category of the perimeter is hidden, shares too.
    assert result.total.people == SMALL_COUNT_LABEL
    assert result.total.at_end.counts["durable"] == SMALL_COUNT_LABEL
    assert result.total.at_end.share("durable") is None
    assert result.publics[3].people == SMALL_COUNT_LABEL  # QPV: 0, but the rest of the perimeter is 1–4
    assert all(group.at_end.counts["training"] in (SMALL_COUNT_LABEL, SECRET_LABEL) for group in result.groups)


def stage(people, not_recorded=0, not_due=0, **counts):
    return queries.OutcomeCounts(
        people, {code: counts.get(code, 0) for code in queries.OUTCOME_CATEGORY_LABELS}, not_recorded, not_due
    )


def test_suppressed_outcomes_follow_the_partition_and_public_rules():
    """20 people. At the end: durable 10, training 6, abandon 3, unknown 1 → abandon and unknown hidden (two
    rows: no complementary cell needed). Six months: durable 8, unknown 6 of which 4 not recorded, 6 not due →
    "not recorded" (4) and the rest of the unknown (2) are small: "not recorded" hidden. Market types 18 + 2:
    the small one and its complement are hidden. Women 17 of 20: the rest (3) is small, hidden; youth 10 shown."""
    at_end = stage(20, not_recorded=1, durable=10, training=6, dropped_out=3, unknown=1)
    later = stage(14, not_recorded=4, not_due=6, durable=8, unknown=6)

    def group(code, people):
        return queries.OutcomeGroup(code, code, people, at_end, later)

    outcomes = queries.Outcomes(
        2025,
        AS_OF,
        group("total", 20),
        [group("women", 17), group("youth", 10)],
        [group("market_type:works", 18), group("market_type:services", 2)],
    )
    result = suppression.suppress_outcomes(outcomes)
    end = result.total.at_end
    assert end.counts == {
        "durable": 10,
        "training": 6,
        "transitional": 0,
        "job_seeking": 0,
        "dropped_out": SMALL_COUNT_LABEL,
        "unknown": SMALL_COUNT_LABEL,
    }
    assert (end.share("durable"), end.unknown_share, end.not_recorded) == (D("0.5"), None, SMALL_COUNT_LABEL)
    six = result.total.after_six_months
    assert (six.counts["durable"], six.counts["unknown"], six.not_recorded, six.not_due) == (8, 6, SMALL_COUNT_LABEL, 6)
    assert [group.people for group in result.publics] == [SECRET_LABEL, 10]  # 17: hidden, not "< 5"
    assert result.publics[0].at_end.counts["durable"] == SECRET_LABEL
    assert [group.people for group in result.market_types] == [SECRET_LABEL, SMALL_COUNT_LABEL]


# --- Headline set and bands -----------------------------------------------------------------------------------


@pytest.fixture
def band_world(db):
    """Seven people starting on 15/01/2025 on one market, at ages 24, 25, 26, 49, 50, 54 and 55 that day (born the
    day after, or on, a 15 January), with 10, 20, …, 70 h.

    ESF: under 25 → 24 (10 h); 25–54 → 25, 26, 49, 50, 54 (200 h); over 54 → 55 (70 h).
    Clause practice: under 26 → 24, 25 (30 h); 50 and over → 50, 54, 55 (180 h).
    Education: below 3 → 24, 55 (80 h); 3–4 → 25 (level 3), 26 and 54 (level 4) (110 h); 5+ → 49 (40 h);
    unknown → 50 (50 h).
    Facilitators: the market's structure has two members (admin and member), a reader and an inactive member;
    another structure (no market in the perimeter) has a member: 2 facilitators, 1 host structure.
    """
    lot = ClauseFactory(lot=LotFactory()).lot
    levels = {
        24: QualificationLevel.BELOW_3,
        25: QualificationLevel.LEVEL_3,
        26: QualificationLevel.LEVEL_4,
        49: QualificationLevel.LEVEL_5_PLUS,
        50: "",
        54: QualificationLevel.LEVEL_4,
        55: QualificationLevel.BELOW_3,
    }
    for index, (age, level) in enumerate(levels.items()):
        # Born on 15 January (that age on the start day) or on 16 January (one year less).
        born = datetime.date(2025 - age, 1, 15) if age % 2 else datetime.date(2025 - age - 1, 1, 16)
        person = BeneficiaryFactory(sex=Sex.MALE, birth_date=born, qualification_level=level)
        made = placement(person, lot, hours=str(10 * (index + 1)))
        assert made.age_at_start == age
    structure = lot.market.facilitator
    MembershipFactory(organisation=structure, role=Role.ADMIN)
    MembershipFactory(organisation=structure, role=Role.MEMBER)
    MembershipFactory(organisation=structure, role=Role.READER)
    MembershipFactory(organisation=structure, user=UserFactory(is_active=False))
    MembershipFactory(organisation=MarketFactory().facilitator)
    return lot


def figures(rows):
    return {row.code: (row.participants, row.hours) for row in rows}


def test_esf_and_clause_bands_at_their_edges(band_world):
    bands = queries.bands(PlacementYear.objects.all(), year=2025)
    assert figures(bands.esf_ages) == {
        "esf_under_25": (1, D("10")),
        "esf_25_54": (5, D("200")),
        "esf_over_54": (1, D("70")),
        "esf_age_unknown": (0, D("0")),
    }
    assert figures(bands.clause_ages) == {"clause_under_26": (2, D("30")), "clause_50_and_over": (3, D("180"))}
    assert figures(bands.esf_education) == {
        "isced_0_2": (2, D("80")),
        "isced_3_4": (3, D("110")),
        "isced_5_8": (1, D("40")),
        "isced_unknown": (1, D("50")),
    }
    assert bands.esf_ages[1].participants_share == D(5) / D(7)


def test_headline_set(band_world):
    report = queries.yearly_report(records=PlacementYear.objects.all(), markets=Market.objects.all(), year=2025)
    headline = report.headline
    assert (headline.markets, headline.hours, headline.contracts, headline.participants, headline.buyers) == (
        1,
        D("280"),
        7,
        7,
        1,
    )
    assert headline.fte == D("0.2")  # 280 / 1 600 = 0.175 → 0.2
    assert (headline.facilitators, headline.host_structures) == (2, 1)


def test_the_summary_copies_the_age_at_start_and_follows_the_qualification_level(band_world):
    """The bands read the summary alone: it copies the age frozen at the start and the person's level, which the
    person's service refreshes, and `rebuild_summary --check` (summary.differences) compares both."""
    row = PlacementYear.objects.get(age_at_start=24)
    assert row.qualification_level == QualificationLevel.BELOW_3
    person = row.beneficiary
    services.update_beneficiary(beneficiary=person, qualification_level=QualificationLevel.LEVEL_5_PLUS)
    row = PlacementYear.objects.get(placement=row.placement_id)  # refreshed: a new row
    assert row.qualification_level == QualificationLevel.LEVEL_5_PLUS
    assert figures(queries.bands(PlacementYear.objects.all(), year=2025).esf_education)["isced_5_8"] == (2, D("50"))
    assert summary.differences() == []
    PlacementYear.objects.filter(pk=row.pk).update(age_at_start=25)
    assert summary.differences() == [f"Contrat {row.placement_id}, 2025 : écart sur age_at_start."]
