"""Likely duplicates among the people a structure follows (issue 20, point 2), and their merge.

Detection compares a typed identity with the structure's people, on *folded* names: accents removed (é → e,
œ → oe), case ignored, hyphens, apostrophes, dots and repeated spaces turned into one space. A person is a likely
duplicate under exactly one of these rules, tried in this order (`DuplicateRule`):

1. ``same_identity``: same folded last and first names, same birth date;
2. ``swapped_names``: the last name typed as first name and the other way round, same birth date;
3. ``close_spelling``: same birth date, and the folded « nom prénom » differs by at most
   `max_distance(...)` edits (insertion, deletion, substitution, or swap of two neighbouring letters: Levenshtein-
   Damerau), 1 up to 10 letters, 2 beyond; the swapped order is tried too;
4. ``same_name_birth_date_missing``: same folded names, and one of the two birth dates is unknown.

Two homonyms born on different days are never proposed (rule 4 needs a missing date). Anonymised people are never
proposed. The merge itself is `beneficiaries.services.merge_people`.
"""

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q

from audit.choices import AccessAction, Channel
from beneficiaries.choices import Criterion
from beneficiaries.models import Beneficiary, BeneficiaryCriterion, Placement
from config.hooks import audit as audit_services
from config.hooks import summary


class DuplicateRule(models.TextChoices):
    SAME_IDENTITY = "same_identity", "mêmes nom, prénom et date de naissance"
    SWAPPED_NAMES = "swapped_names", "nom et prénom inversés, même date de naissance"
    CLOSE_SPELLING = "close_spelling", "orthographe proche, même date de naissance"
    BIRTH_DATE_MISSING = "same_name_birth_date_missing", "mêmes nom et prénom, date de naissance inconnue"


@dataclass(frozen=True)
class LikelyDuplicate:
    person: Beneficiary
    rule: DuplicateRule

    @property
    def reason(self) -> str:
        return self.rule.label


_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_SEPARATORS = str.maketrans(dict.fromkeys("-‐‑–—'’`´._,", " "))


def fold(name: str) -> str:
    """A name compared without accents, case, hyphens, apostrophes or repeated spaces: « Lefèvre-Dupré » and
    « LEFEVRE DUPRE » fold alike."""
    text = (name or "").translate(_LIGATURES).translate(_SEPARATORS)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


def edit_distance(left: str, right: str, *, limit: int = 3) -> int:
    """Optimal string alignment distance (Levenshtein with swaps of neighbouring characters), stopped at `limit`."""
    if abs(len(left) - len(right)) >= limit:
        return limit
    previous2: list[int] = []
    previous = list(range(len(right) + 1))
    for i, a in enumerate(left, 1):
        current = [i] + [0] * len(right)
        for j, b in enumerate(right, 1):
            cost = 0 if a == b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a == right[j - 2] and left[i - 2] == b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) >= limit:
            return limit
        previous2, previous = previous, current
    return min(previous[-1], limit)


def max_distance(full_name: str) -> int:
    """Edits tolerated between two folded « nom prénom »: 1 up to 10 letters, 2 beyond."""
    return 1 if len(full_name.replace(" ", "")) <= 10 else 2


def match_rule(
    last_name: str, first_name: str, birth_date: date | None, other_last: str, other_first: str, other_birth
) -> DuplicateRule | None:
    """The rule under which two identities are likely the same person, or None (pure: no database)."""
    last, first, other_l, other_f = fold(last_name), fold(first_name), fold(other_last), fold(other_first)
    if not last or not other_l:
        return None
    same_names = (last, first) == (other_l, other_f)
    if birth_date is None or other_birth is None:
        return DuplicateRule.BIRTH_DATE_MISSING if same_names else None
    if birth_date != other_birth:
        return None
    if same_names:
        return DuplicateRule.SAME_IDENTITY
    if (last, first) == (other_f, other_l):
        return DuplicateRule.SWAPPED_NAMES
    full = f"{last} {first}"
    limit = max_distance(full)
    for candidate in (f"{other_l} {other_f}", f"{other_f} {other_l}"):
        if edit_distance(full, candidate, limit=limit + 1) <= limit:
            return DuplicateRule.CLOSE_SPELLING
    return None


def _ranked(found: list[LikelyDuplicate]) -> list[LikelyDuplicate]:
    order = list(DuplicateRule)
    return sorted(found, key=lambda duplicate: (order.index(duplicate.rule), duplicate.person.pk))


def likely_duplicates(
    structure, *, last_name: str, first_name: str, birth_date: date | None, exclude=None
) -> list[LikelyDuplicate]:
    """The people `structure` follows who are likely the typed person (rules in the module's docstring), best rule
    first. `exclude`: a person (or its id) left out, e.g. the one being edited. One query, on the people born that day
    or whose birth date is unknown (all of the structure's people when `birth_date` is unknown). For many look-ups
    (an import), `DuplicateFinder` reads the structure's people once."""
    people = Beneficiary.objects.filter(structure=structure, anonymised_at__isnull=True)
    if birth_date is not None:
        people = people.filter(Q(birth_date=birth_date) | Q(birth_date__isnull=True))
    if exclude is not None:
        people = people.exclude(pk=getattr(exclude, "pk", exclude))
    found = []
    for person in people.select_related("commune").order_by("last_name", "first_name", "pk"):
        rule = match_rule(last_name, first_name, birth_date, person.last_name, person.first_name, person.birth_date)
        if rule is not None:
            found.append(LikelyDuplicate(person=person, rule=rule))
    return _ranked(found)


class DuplicateFinder:
    """`likely_duplicates` for many identities of one structure (an import of thousands of rows): the structure's
    people are read once (one query, identity columns only), grouped by birth date; each look-up compares in memory.
    People created after the finder are not seen: `add` them as the import creates them."""

    def __init__(self, structure):
        self._by_birth: dict[date | None, list[Beneficiary]] = {}
        people = (
            Beneficiary.objects.filter(structure=structure, anonymised_at__isnull=True)
            .only("pk", "structure_id", "last_name", "first_name", "birth_date")
            .order_by("last_name", "first_name", "pk")
        )
        for person in people:
            self.add(person)

    def add(self, person: Beneficiary) -> None:
        self._by_birth.setdefault(person.birth_date, []).append(person)

    def find(self, *, last_name: str, first_name: str, birth_date: date | None, exclude=None) -> list[LikelyDuplicate]:
        if birth_date is None:
            candidates = [person for group in self._by_birth.values() for person in group]
        else:
            candidates = self._by_birth.get(birth_date, []) + self._by_birth.get(None, [])
        excluded = getattr(exclude, "pk", exclude)
        found = []
        for person in candidates:
            if person.pk == excluded:
                continue
            rule = match_rule(last_name, first_name, birth_date, person.last_name, person.first_name, person.birth_date)
            if rule is not None:
                found.append(LikelyDuplicate(person=person, rule=rule))
        return _ranked(found)


# The merge ---------------------------------------------------------------------------------------------------------

MERGE_SAME_PERSON = "Une fiche ne peut pas être fusionnée avec elle-même : choisissez une autre personne."
MERGE_OTHER_STRUCTURE = (
    "Ces deux fiches ne sont pas suivies par la même structure : seules deux fiches d'une même structure peuvent "
    "être fusionnées."
)
MERGE_ANONYMISED = "Une fiche anonymisée ne peut pas être fusionnée."
MERGE_QPV_CRITERION = (
    "Le critère « Habitant·e d'un quartier prioritaire (QPV) » du doublon ne tient pas pour la fiche conservée, "
    "qui n'a pas de quartier prioritaire : indiquez-le d'abord sur la fiche conservée."
)
# Fields of the kept record filled from the duplicate when the kept one has none (nothing typed is lost).
FILLED_FIELDS = ("birth_date", "prescriber_name", "qualification_level", "job_seeker_since")
LOCATION_FIELDS = ("address", "commune", "qpv", "latitude", "longitude", "qpv_source")


@dataclass(frozen=True)
class MergeResult:
    kept: Beneficiary
    duplicate_id: int
    placements: int  # contracts moved (their hours records, outcomes and histories with them)
    criteria_moved: tuple[str, ...]
    criteria_dropped: tuple[str, ...]  # of two identical criteria, the one not kept (its details in the journal)
    journal_entries: int  # entries of the duplicate's access journal now on the kept record


def merge_conflicts(keep: Beneficiary, duplicate: Beneficiary) -> list[tuple]:
    """Criteria both records hold: (code, label, kept record's criterion, duplicate's criterion). The merge keeps
    the kept record's one unless told otherwise (`criteria_from_duplicate`)."""
    held = {criterion.criterion: criterion for criterion in keep.criteria.all()}
    return [
        (criterion.criterion, criterion.get_criterion_display(), held[criterion.criterion], criterion)
        for criterion in duplicate.criteria.order_by("criterion")
        if criterion.criterion in held
    ]


def _describe(criterion) -> str:
    return (
        f"{criterion.get_criterion_display()} (validé le {criterion.validated_on:%d/%m/%Y}, "
        f"{criterion.get_evidence_type_display()})"
    )


@transaction.atomic
def merge_people(
    *,
    keep: Beneficiary,
    duplicate: Beneficiary,
    user,
    criteria_from_duplicate: Iterable[str] = (),
    channel: str = Channel.WEB,
) -> MergeResult:
    """Merge `duplicate` into `keep`, all or nothing: every contract of the duplicate (with its hours records, their
    history, its outcomes and declarations) and every criterion move to the kept record; of two identical criteria
    the kept record's one stays, unless its code is in `criteria_from_duplicate` (the duplicate's then replaces it);
    the one set aside is written in the journal. Fields the kept record lacks are filled from the duplicate; the
    notes of both are kept. Publics frozen at each contract's start do not change (DOMAIN.md §6): the yearly
    figures stay the same. The duplicate's journal moves to the kept record, the merge is journalled (who, when,
    what) and the duplicate record is deleted. Refusals: the same record, two structures, an anonymised record, a
    moved criterion the kept record's birth date or residence contradicts."""
    from beneficiaries import services

    if keep.pk == duplicate.pk:
        raise ValidationError({"duplicate": ValidationError(MERGE_SAME_PERSON, code="same_person")})
    locked = {
        person.pk: person
        for person in Beneficiary.objects.select_for_update().filter(pk__in=[keep.pk, duplicate.pk]).order_by("pk")
    }
    keep, duplicate = locked[keep.pk], locked[duplicate.pk]
    if keep.structure_id != duplicate.structure_id:
        raise ValidationError({"duplicate": ValidationError(MERGE_OTHER_STRUCTURE, code="other_structure")})
    if keep.anonymised_at or duplicate.anonymised_at:
        raise ValidationError({"duplicate": ValidationError(MERGE_ANONYMISED, code="anonymised")})

    # Identity: blanks of the kept record filled from the duplicate.
    filled = [name for name in FILLED_FIELDS if getattr(keep, name) in (None, "") and getattr(duplicate, name)]
    for name in filled:
        setattr(keep, name, getattr(duplicate, name))
    if keep.commune_id is None and not keep.address and (duplicate.commune_id or duplicate.address):
        for name in LOCATION_FIELDS:
            setattr(keep, name, getattr(duplicate, name))
        filled.append("adresse")
    if duplicate.notes and duplicate.notes not in keep.notes:
        keep.notes = f"{keep.notes}\n\n{duplicate.notes}".strip() if keep.notes else duplicate.notes
        filled.append("observations")

    # Criteria: moved, or of two identical ones the chosen one kept.
    from_duplicate = set(criteria_from_duplicate)
    held = {criterion.criterion: criterion for criterion in keep.criteria.all()}
    moved, dropped, errors = [], [], services.Errors()
    placements = list(Placement.objects.filter(beneficiary__in=[keep.pk, duplicate.pk]))
    for criterion in duplicate.criteria.order_by("criterion"):
        if criterion.criterion in held and criterion.criterion not in from_duplicate:
            dropped.append(criterion)
            continue
        if criterion.criterion in held:
            dropped.append(held[criterion.criterion])
        for refusal in services._age_criterion_refusals(
            criterion=criterion.criterion,
            birth_date=keep.birth_date,
            validated_on=criterion.validated_on,
            placements=placements,
        ):
            errors.add("keep", f"Critère « {criterion.get_criterion_display()} » du doublon : {refusal}", "age")
        if criterion.criterion == Criterion.QPV_RESIDENT and keep.qpv_id is None:
            errors.add("keep", MERGE_QPV_CRITERION, "qpv_missing")
        moved.append(criterion)
    errors.raise_if_any()
    BeneficiaryCriterion.objects.filter(pk__in=[criterion.pk for criterion in dropped]).delete()
    BeneficiaryCriterion.objects.filter(pk__in=[criterion.pk for criterion in moved]).update(beneficiary=keep)

    # Contracts (hours records, outcomes, declarations and histories hang on them), then the summary.
    placement_ids = [placement.pk for placement in placements if placement.beneficiary_id == duplicate.pk]
    Placement.objects.filter(pk__in=placement_ids).update(beneficiary=keep)
    summary.refresh(placement_ids)

    services._criteria_consistency_errors(keep, filled).raise_if_any()  # a birth date filled in must fit the criteria
    keep.full_clean()
    keep.save()
    entries = audit_services.move_person_entries(from_person_id=duplicate.pk, to_person_id=keep.pk)
    parts = [f"Fiche n° {duplicate.pk} fusionnée dans celle-ci (doublon)", f"{len(placement_ids)} contrat(s) repris"]
    parts.append(f"{len(moved)} critère(s) repris, {len(dropped)} écarté(s) en double")
    if filled:
        labels = [str(Beneficiary._meta.get_field(name).verbose_name) for name in filled if name in FILLED_FIELDS]
        parts.append("complété : " + ", ".join(labels + [name for name in filled if name not in FILLED_FIELDS]))
    details = [" ; ".join(parts)]
    # One entry per criterion set aside, with what it said (the journal's detail is short).
    details += [f"Fusion de la fiche n° {duplicate.pk} : critère en double écarté, {_describe(c)}" for c in dropped]
    for detail in details:
        audit_services.log_access(
            user=user, beneficiary=keep, action=AccessAction.CHANGED, channel=channel, detail=detail
        )
    duplicate_id = duplicate.pk
    duplicate.delete()
    return MergeResult(
        kept=keep,
        duplicate_id=duplicate_id,
        placements=len(placement_ids),
        criteria_moved=tuple(criterion.criterion for criterion in moved),
        criteria_dropped=tuple(criterion.criterion for criterion in dropped),
        journal_entries=entries,
    )
