"""The weekly digests of issue 16: lots that became at risk (point 4) and due dates of facilitators (point 5).

Each digest is computed for a period ("2026-W48", the key of notifications.recurring) in a fixed number of
queries per recipient, then sent by notifications.tasks through notifications.mail.send_templated with its
`kind`, once per recipient and period (DigestDelivery).

At-risk digest. Every week the "risque" flag of every lot carrying a clause (clauses.calculations.RISK_RULE, the
figure of the dashboards, through reporting.queries.lots_progress) is compared with the flag kept in
LotRiskState: a lot flagged now and not at the previous digest "became at risk" in this period; a lot no longer
flagged is recorded as such (so that it is listed again if it becomes at risk again). Each buyer contact gets
the lots of their buyer organisations, each facilitator the lots of the markets their structure follows
(their organisations.scoping.Scope: buyer_ids and facilitation_ids), with the figures.

Due-dates digest. Each member of a facilitation structure gets what falls due among the people their structure
follows, from the queries of the home work queue (beneficiaries.due_dates) and of the anonymisation
(beneficiaries.anonymisation): criteria expiring within 30 days, outcomes due (at the end and six months
later), placements ending within 30 days, people reaching the retention limit within 30 days. People are
named by their number only: an e-mail leaves Clausier, names and criteria stay behind the login.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber
from django.urls import reverse

from beneficiaries.anonymisation import RETENTION_WARNING_DAYS, RetentionDue, reaching_retention_limit
from beneficiaries.choices import OutcomeStage
from beneficiaries.due_dates import (
    CRITERIA_EXPIRING_DAYS,
    ENDING_SOON_DAYS,
    criteria_expiring,
    ending_within,
    outcome_due,
)
from beneficiaries.models import Beneficiary, BeneficiaryCriterion, Placement
from markets.models import Lot
from notifications.models import LotRiskState
from notifications.preferences import allowed
from organisations.choices import OrganisationKind
from organisations.models import Organisation
from organisations.scoping import scope_of
from reporting.queries import LotProgress, lots_progress

AT_RISK = "at_risk_digest"
DUE_DATES = "due_dates_digest"
DIGEST_LIST_SIZE = 20  # items listed per section of a message; the pages linked hold the rest


# --- Lots that became at risk ----------------------------------------------------------------------------------


def update_risk_states(progress: Iterable[LotProgress], *, today: date, period: str) -> set[int]:
    """Record the flag of each lot in LotRiskState; return the ids of the lots that became at risk in `period`
    (flagged now and not at the previous digest, or already recorded as becoming at risk in this same period:
    a digest run again for its period lists them again). Three queries whatever the number of lots."""
    flagged = {item.lot.pk for item in progress if item.at_risk}
    known = {
        lot: (at_risk, became)
        for lot, at_risk, became in LotRiskState.objects.values_list("lot", "at_risk", "became_at_risk_in")
    }
    became = {lot for lot in flagged if lot in known and known[lot][0] and known[lot][1] == period}
    changed = []
    for lot in flagged:
        if lot not in known or not known[lot][0]:
            became.add(lot)
            changed.append(LotRiskState(lot_id=lot, at_risk=True, since=today, became_at_risk_in=period))
    for lot, (at_risk, became_in) in known.items():
        if at_risk and lot not in flagged:
            changed.append(LotRiskState(lot_id=lot, at_risk=False, since=today, became_at_risk_in=became_in))
    LotRiskState.objects.bulk_create(
        changed,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["lot"],
        update_fields=["at_risk", "since", "became_at_risk_in", "updated_at"],
    )
    return became


@dataclass(frozen=True)
class Digest:
    """One message to one user: its sections, each a list (lots, or due dates)."""

    user: object
    kind: str
    sections: dict = field(default_factory=dict)

    @property
    def items(self) -> int:
        """How many items the message reports (a section may list only its first DIGEST_LIST_SIZE)."""
        return sum(len(value) for value in self.sections.values())


def _recipients(organisation_ids: Iterable[int], kind: str) -> list:
    """Active users with an e-mail address and a membership of one of these organisations, who still want the
    messages of `kind` (notifications.preferences)."""
    users = (
        get_user_model()
        .objects.filter(is_active=True, memberships__organisation__in=list(organisation_ids))
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )
    return [user for user in users if allowed(user, kind)]


def at_risk_digests(*, today: date, period: str) -> Iterator[Digest]:
    """Update the risk states of every lot, then yield one digest per buyer contact and facilitator who sees a
    lot that became at risk in `period` (lots of their buyer organisations, or of the markets their structure
    follows)."""
    progress = {item.lot.pk: item for item in lots_progress(Lot.objects.all(), today=today)}
    became = update_risk_states(progress.values(), today=today, period=period)
    if not became:
        return
    # Who follows each of these lots: its market's buyer and facilitation structure (one query).
    followers = {
        pk: (buyer, facilitator)
        for pk, buyer, facilitator in Lot.objects.filter(pk__in=became).values_list(
            "pk", "market__buyer", "market__facilitator"
        )
    }
    organisations = {organisation for pair in followers.values() for organisation in pair}
    for user in _recipients(organisations, AT_RISK):
        # The lots of the user's buyer organisations and of the markets their structures follow (their Scope: the
        # same perimeter as Lot.objects.visible_to, narrowed to what they follow).
        scope = scope_of(user)
        items = sorted(
            (
                progress[pk]
                for pk, (buyer, facilitator) in followers.items()
                if buyer in scope.buyer_ids or facilitator in scope.facilitation_ids
            ),
            key=_risk_order,
        )
        if items:
            yield Digest(user=user, kind=AT_RISK, sections={"lots": items})


def _risk_order(item: LotProgress):
    """The largest gap between the need per month and the best month first."""
    gap = item.forecast.needed_per_month - item.forecast.best_month
    return (-gap, item.lot.market.reference, item.lot.number)


# --- Due dates of facilitators ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """The first DIGEST_LIST_SIZE items of a list of due dates, and how many there are in all."""

    items: list
    total: int

    def __len__(self) -> int:
        return self.total

    @classmethod
    def of(cls, rows) -> Section:
        """From a queryset (a count and one page) or a list."""
        if isinstance(rows, list):
            return cls(rows[:DIGEST_LIST_SIZE], len(rows))
        items = list(rows[: DIGEST_LIST_SIZE + 1])
        total = len(items) if len(items) <= DIGEST_LIST_SIZE else rows.count()
        return cls(items[:DIGEST_LIST_SIZE], total)


@dataclass(frozen=True)
class DueDates:
    criteria: Section  # of ExpiringCriterion
    outcomes_at_end: Section  # of Placement
    outcomes_six_months: Section  # of Placement
    ending: Section  # of Placement
    retention: Section  # of RetentionDue


def due_dates_of(user, *, today: date, retention_by_structure: dict | None = None) -> DueDates:
    """What falls due for a facilitator among the people their structure follows (the home queue's queries), each
    list cut to its first DIGEST_LIST_SIZE items with its total. `retention_by_structure` (structure id →
    RetentionDue list), when given, saves the retention query."""
    scope = scope_of(user)
    # The placements of the people of the user's structures (the home's Placement.visible_to also holds other
    # structures' people on the markets they follow: not theirs to chase).
    placements = Placement.objects.filter(beneficiary__structure__in=scope.facilitation_ids).only(
        "pk", "beneficiary_id", "end_date"
    )
    if retention_by_structure is None:
        retention = reaching_retention_limit(Beneficiary.objects.visible_to(user), today)
    else:
        retention = sorted(
            (item for structure in scope.facilitation_ids for item in retention_by_structure.get(structure, [])),
            key=lambda item: (item.limit_on, item.beneficiary.pk),
        )
    return DueDates(
        criteria=Section.of(criteria_expiring(BeneficiaryCriterion.objects.visible_to(user), today)),
        outcomes_at_end=Section.of(outcome_due(placements, OutcomeStage.AT_END, today).order_by("-end_date", "pk")),
        outcomes_six_months=Section.of(
            outcome_due(placements, OutcomeStage.AFTER_6_MONTHS, today).order_by("-end_date", "pk")
        ),
        ending=Section.of(ending_within(placements, today).order_by("end_date", "pk")),
        retention=Section.of(retention),
    )


def first_per_structure(placements, *, newest_first: bool) -> dict[int, Section]:
    """The placements of a queryset grouped by the structure of their person: the first DIGEST_LIST_SIZE of each
    structure (by end date) and their total, in one query (window functions), for every structure at once."""
    structure = F("beneficiary__structure")
    order = [F("end_date").desc() if newest_first else F("end_date").asc(), F("pk").asc()]
    rows = (
        placements.annotate(
            structure=structure,
            rank=Window(RowNumber(), partition_by=[structure], order_by=order),
            total=Window(Count("pk"), partition_by=[structure]),
        )
        .filter(rank__lte=DIGEST_LIST_SIZE)
        .only("pk", "beneficiary_id", "end_date")
        .order_by("structure", "rank")
    )
    grouped: dict[int, tuple[list, int]] = {}
    for placement in rows:
        grouped.setdefault(placement.structure, ([], placement.total))[0].append(placement)
    return {key: Section(items, total) for key, (items, total) in grouped.items()}


def _merged(sections: dict[int, Section], structures, *, newest_first: bool) -> Section:
    """The section of a user following one or more structures."""
    parts = [sections[structure] for structure in structures if structure in sections]
    if len(parts) == 1:
        return parts[0]
    items = sorted(
        (item for part in parts for item in part.items),
        key=lambda item: ((-item.end_date.toordinal()) if newest_first else item.end_date.toordinal(), item.pk),
    )
    return Section(items[:DIGEST_LIST_SIZE], sum(part.total for part in parts))


def due_dates_digests(*, today: date) -> Iterator[Digest]:
    """One digest per member of a facilitation structure with something due: the same lists as due_dates_of,
    read for every structure at once (one query per list: retention limit, outcomes at the end and after six
    months, placements ending), the criteria per recipient (their rights over sensitive criteria differ)."""
    retention_by_structure: dict[int, list[RetentionDue]] = {}
    for item in reaching_retention_limit(Beneficiary.objects.all(), today):
        retention_by_structure.setdefault(item.beneficiary.structure_id, []).append(item)
    placements = Placement.objects.all()
    at_end = first_per_structure(outcome_due(placements, OutcomeStage.AT_END, today), newest_first=True)
    six_months = first_per_structure(outcome_due(placements, OutcomeStage.AFTER_6_MONTHS, today), newest_first=True)
    ending = first_per_structure(ending_within(placements, today), newest_first=False)
    structures = Organisation.objects.filter(kind=OrganisationKind.FACILITATION).values_list("pk", flat=True)
    for user in _recipients(structures, DUE_DATES):
        ids = scope_of(user).facilitation_ids
        if not ids:
            continue
        retention = sorted(
            (item for structure in ids for item in retention_by_structure.get(structure, [])),
            key=lambda item: (item.limit_on, item.beneficiary.pk),
        )
        sections = {
            "criteria": Section.of(criteria_expiring(BeneficiaryCriterion.objects.visible_to(user), today)),
            "outcomes_at_end": _merged(at_end, ids, newest_first=True),
            "outcomes_six_months": _merged(six_months, ids, newest_first=True),
            "ending": _merged(ending, ids, newest_first=False),
            "retention": Section.of(retention),
        }
        digest = Digest(user=user, kind=DUE_DATES, sections=sections)
        if digest.items:
            yield digest


WINDOWS = {
    "criteria_days": CRITERIA_EXPIRING_DAYS,
    "ending_days": ENDING_SOON_DAYS,
    "retention_days": RETENTION_WARNING_DAYS,
    "list_size": DIGEST_LIST_SIZE,
}


def path_of(kind: str) -> str:
    """The page a digest links to: the dashboard's lots, at risk first; the facilitator home."""
    if kind == AT_RISK:
        return f"{reverse('reporting:dashboard')}?sort=-risque#table-lots"
    return reverse("home")
