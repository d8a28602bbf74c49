"""The company portal in the demo (issue 15): one company contact, `entreprise@demo.clausier.fr`, with a history of
monthly declarations on a lot its company holds in a market followed by the demo facilitator's structure.

Everything goes through the services a real company and facilitator use: companies.services (invitation, accepted
with the demo password), companies.declarations (save_rows, submit, resubmit, request_correction, validate) and
companies.proposals (propose). The story, relative to the seed's « today »:

- the months from HISTORY_MONTHS months ago to three months ago: transmitted by the company with the hours the seed
  holds, then validated by the facilitator;
- the month before last: transmitted with one row short of a week of work, sent back by the facilitator
  (« correction demandée ») with a comment on that row;
- last month: transmitted with the company's payroll figures, waiting for the facilitator (« transmise »);
- one new person proposed by the company, waiting for the facilitator.

The only direct writes are cosmetic, in the seed's own pattern (it writes its dates directly): the timeline's steps,
the access and the proposal get plausible past dates instead of the seeding time.

Called by demo.seed.seed_demo inside its transaction, on the first run only (the seed does nothing once the demo is
there). A candidate lot the services refuse (a rule the generated hours break) is rolled back to its savepoint and
the next one is tried, so the seed never fails because of this part.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from beneficiaries import services as hours_services
from beneficiaries.calculations import add_months, first_of_month
from beneficiaries.choices import HoursStatus, Modality
from beneficiaries.models import HoursRecord
from companies import declarations, proposals
from companies import services as company_services
from companies.models import CompanyAccess, Declaration, DeclarationEvent, PersonProposal
from markets.models import Lot
from organisations.models import OrganisationKind, User

COMPANY_EMAIL = "entreprise@demo.clausier.fr"
COMPANY_ACCOUNT = (COMPANY_EMAIL, "Contact d'une entreprise titulaire (portail entreprise)")
FACILITATOR_EMAIL = "facilitateur@demo.clausier.fr"
HISTORY_MONTHS = 6  # last month and the five before it
MAX_ROWS = 6  # a small company on the lot: a few people per month
WEEK = Decimal("35")
PAYROLL_ADJUSTMENTS = [Decimal("1.5"), Decimal("3.5"), Decimal("7"), Decimal("10.5")]
CORRECTION_COMMENT = (
    "Il manque une semaine pour {name} : le planning du chantier indique 35 h de plus ce mois-ci. "
    "Vérifiez le bulletin de paie et corrigez la ligne."
)
PROPOSAL = {"last_name": "Benali", "first_name": "Yasmine", "birth_date": date(1998, 4, 17)}


@dataclass(frozen=True)
class CompanyDemo:
    company_name: str
    lots: int
    declarations: int
    validated_delta_by_year: dict  # validated hours the workflow added (or took back) per year


def q2(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def aware(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _rows(lot, company, month):
    return list(declarations.rows_of(lot=lot, company=company, month=month).order_by("pk"))


def _candidates(structure, months: list[date], today: date):
    """The lots of the structure's markets held by a company employing between 1 and MAX_ROWS people on the lot in
    every month of the story: first those still running today (the company has a month to declare and a projection),
    then those that ended since; each in a fixed order (market reference, lot number)."""
    lots = (
        Lot.objects.filter(
            market__facilitator=structure,
            contractor__kind=OrganisationKind.COMPANY,
            start_date__lte=months[0],
            end_date__gte=months[-1],
        )
        .select_related("market", "contractor")
        .order_by("market__reference", "number", "pk")
    )
    for running in (lots.filter(end_date__gte=today), lots.filter(end_date__lt=today)):
        for lot in running:
            if all(1 <= len(_rows(lot, lot.contractor, month)) <= MAX_ROWS for month in months):
                yield lot


def _validated_by_year(placements) -> dict[int, Decimal]:
    rows = (
        HoursRecord.objects.filter(placement__in=placements, status=HoursStatus.VALIDATED)
        .values_list("month__year")
        .annotate(total=Sum("hours"))
    )
    return dict(rows)


def _entries(rows, month: date, adjust: Callable[[int, Decimal], Decimal]):
    records = {record.placement_id: record for record in HoursRecord.objects.filter(placement__in=rows, month=month)}
    entries = []
    for index, placement in enumerate(rows):
        record = records.get(placement.pk)
        hours = record.hours if record else Decimal("0")
        converted = record is not None and record.is_converted
        entries.append(
            hours_services.HoursEntry(
                placement=placement,
                month=month,
                hours=adjust(index, hours),
                training_hours=record.training_hours if record else Decimal("0"),
                invoiced_amount_excl_vat=record.invoiced_amount_excl_vat if converted else None,
                expected_version=record.version if record else 0,
            )
        )
    return entries


def _past(day: date) -> datetime:
    """9 o'clock on `day`, or now if that is later than now (a seed run early in the month)."""
    return min(aware(day, 9), timezone.now())


def _backdate(declaration: Declaration, sent: date) -> None:
    """The steps of a declaration in the order they happened, from the day the company sent it, a few days apart."""
    for offset, event in enumerate(declaration.events.order_by("pk")):
        DeclarationEvent.objects.filter(pk=event.pk).update(created_at=_past(sent + timedelta(days=2 * offset)))


def _play(*, lot, company, contact, facilitator, months: list[date], rng: random.Random) -> int:
    """The story of one lot, oldest month first; returns the number of declarations written."""
    last, before_last, history = months[0], months[1], sorted(months[2:])
    same = lambda index, hours: hours  # noqa: E731
    for month in history:
        declarations.save_rows(
            lot=lot,
            company=company,
            month=month,
            entries=_entries(_rows(lot, company, month), month, same),
            user=contact,
        )
        declaration = declarations.submit(lot=lot, company=company, month=month, user=contact)
        declarations.validate(declaration=declaration, user=facilitator)
        _backdate(declaration, add_months(month, 1).replace(day=3))

    rows = _rows(lot, company, before_last)
    entries = _entries(rows, before_last, same)
    short = max(range(len(entries)), key=lambda index: (entries[index].hours, -index))
    entries[short] = hours_services.HoursEntry(
        placement=entries[short].placement,
        month=before_last,
        hours=max(entries[short].hours - WEEK, Decimal("0")),
        training_hours=entries[short].training_hours,
        invoiced_amount_excl_vat=entries[short].invoiced_amount_excl_vat,
        expected_version=entries[short].expected_version,
    )
    declarations.save_rows(lot=lot, company=company, month=before_last, entries=entries, user=contact)
    declaration = declarations.submit(lot=lot, company=company, month=before_last, user=contact)
    person = rows[short].beneficiary
    declarations.request_correction(
        declaration=declaration,
        placements=[rows[short]],
        comment=CORRECTION_COMMENT.format(name=f"{person.first_name} {person.last_name.upper()}"),
        user=facilitator,
    )
    _backdate(declaration, add_months(before_last, 1).replace(day=4))

    def payroll(index, hours):
        return max(hours - rng.choice(PAYROLL_ADJUSTMENTS), Decimal("0"))

    declarations.save_rows(
        lot=lot, company=company, month=last, entries=_entries(_rows(lot, company, last), last, payroll), user=contact
    )
    declaration = declarations.submit(lot=lot, company=company, month=last, user=contact)
    _backdate(declaration, add_months(last, 1).replace(day=2))
    return len(months)


def seed_company_portal(*, today: date, password: str, log: Callable[[str], None] = print) -> CompanyDemo | None:
    """Create the demo company contact and its declarations (see the module's docstring). None when no lot of the
    facilitator's structure fits the story (a tiny test seed) or the story's months are not over yet."""
    facilitator = User.objects.filter(email=FACILITATOR_EMAIL).first()
    last = add_months(first_of_month(today), -1)
    months = [add_months(last, -offset) for offset in range(HISTORY_MONTHS)]
    if facilitator is None or last >= first_of_month(date.today()):
        return None
    structure = facilitator.memberships.get(organisation__kind=OrganisationKind.FACILITATION).organisation
    rng = random.Random(f"{today:%Y-%m}-entreprise")  # noqa: S311 - demo data
    for lot in _candidates(structure, sorted(months), today):
        company = lot.contractor
        try:
            with transaction.atomic():
                return _seed_for(
                    lot=lot,
                    company=company,
                    facilitator=facilitator,
                    months=months,
                    today=today,
                    password=password,
                    rng=rng,
                    log=log,
                )
        except ValidationError:
            continue
    log("Portail entreprise : aucun lot de la structure de démonstration ne convient, compte non créé.")
    return None


def _seed_for(*, lot, company, facilitator, months, today, password, rng, log) -> CompanyDemo:
    invitation = company_services.invite_contact(
        company=company,
        lots=[lot],
        email=COMPANY_EMAIL,
        invited_by=facilitator,
        first_name="Sandrine",
        last_name="Roche",
    )
    contact = company_services.accept_invitation(user=invitation.user, password=password)
    invited = aware(add_months(months[-1], 1).replace(day=1), 8)
    CompanyAccess.objects.filter(pk__in=[access.pk for access in invitation.accesses]).update(
        granted_at=invited, accepted_at=invited + timedelta(hours=3)
    )
    placements = {row.pk for month in months for row in _rows(lot, company, month)}
    before = _validated_by_year(placements)
    count = _play(lot=lot, company=company, contact=contact, facilitator=facilitator, months=months, rng=rng)
    start = min(max(first_of_month(today), lot.start_date), lot.end_date)
    proposal = proposals.propose(
        lot=lot,
        company=company,
        user=contact,
        modality=Modality.HIRE_CDD,
        start_date=start,
        end_date=min(add_months(start, 6), lot.end_date),
        weekly_hours=Decimal("35"),
        **PROPOSAL,
    )
    PersonProposal.objects.filter(pk=proposal.pk).update(proposed_at=_past(today))
    after = _validated_by_year(placements)
    delta = {year: q2(after.get(year, 0) - before.get(year, 0)) for year in sorted(set(before) | set(after))}
    log(f"Portail entreprise : {COMPANY_EMAIL} pour {company.name}, {count} déclarations, 1 proposition de personne.")
    return CompanyDemo(
        company_name=company.name,
        lots=1,
        declarations=count,
        validated_delta_by_year={year: value for year, value in delta.items() if value},
    )
