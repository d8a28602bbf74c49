"""A company's own spreadsheet for one lot and month (issue 15, point 2), through the existing hours import.

The file is read by beneficiaries.imports.parse_file (the same columns, format detection and hostile-file guards as
the facilitator's import) and checked by beneficiaries.imports.process (preview with « avant → après », all or
nothing, versions seen by the preview expected on confirmation, `keep_validated`). Only two things differ, both
passed to `process`:

- the rows resolve against the placements the company employs on this lot and running this month, never anything
  else: a row for another lot, another month or a person it does not employ is refused with its row number and a
  French reason (the same message whether the person exists elsewhere or not: the file learns nothing);
- the rows are written by companies.declarations.save_rows, so the declaration's rules (month editable, the
  company's access) and its timeline apply, and the records' source is « Déclaration entreprise ».
"""

from collections import defaultdict
from datetime import date

from beneficiaries import imports
from beneficiaries.models import HoursRecord, Placement
from companies import declarations
from config.collation import French
from config.formatting import french_figure, french_month

OTHER_LOT = (
    "Ligne d'un autre lot (marché « {reference} », lot n° {number}) : ce dépôt ne concerne que le lot n° {lot_number} "
    "du marché {lot_reference}."
)
OTHER_HOLDER = (
    "Le SIRET {siret} n'est pas celui du titulaire de ce lot ({expected}) : reprenez le modèle à télécharger."
)
OTHER_MONTH = "Ligne du mois {row_month} : ce dépôt ne concerne que le mois {month}. Déposez un fichier par mois."
NOT_EMPLOYED = (
    "Cette personne ({person}) n'est pas employée par votre entreprise sur ce lot en {month} : seule la "
    "facilitatrice ajoute un contrat (vous pouvez lui proposer une nouvelle personne)."
)
# The columns of the company's template: no birth date (the company never reads one here), the person by id.
TEMPLATE_COLUMNS = (
    "reference_marche",
    "numero_lot",
    "siret_titulaire",
    "identifiant_participant",
    "nom",
    "prenom",
    "mois",
    "heures",
    "heures_formation",
)


class CompanyResolver:
    """Resolves each row to one of the declaration's rows (companies.declarations.rows_of), or refuses it."""

    def __init__(self, *, lot, company, month: date):
        self.lot = lot
        self.month = month
        placements = (
            declarations.rows_of(lot=lot, company=company, month=month)
            .select_related("beneficiary", "lot__market")
            .order_by("-start_date", "-pk")
        )
        self.by_id: dict[int, list[Placement]] = defaultdict(list)
        self.by_name: dict[tuple, list[Placement]] = defaultdict(list)
        for placement in placements:
            person = placement.beneficiary
            self.by_id[person.pk].append(placement)
            birth = person.birth_date.isoformat() if person.birth_date else None
            self.by_name[imports._person_key(person.last_name, person.first_name, birth)].append(placement)

    def resolve(self, row: imports.ParsedRow) -> tuple[Placement | None, list[str]]:
        lot = self.lot
        errors = []
        if row.reference != lot.market.reference or row.lot_number != lot.number:
            errors.append(
                OTHER_LOT.format(
                    reference=row.reference,
                    number=row.lot_number,
                    lot_number=lot.number,
                    lot_reference=lot.market.reference,
                )
            )
        elif lot.contractor is None or row.siret != lot.contractor.siret:
            expected = lot.contractor.siret if lot.contractor else "aucun"
            errors.append(OTHER_HOLDER.format(siret=row.siret, expected=expected))
        row_month = date.fromisoformat(row.month)
        if row_month != self.month:
            errors.append(OTHER_MONTH.format(row_month=french_month(row_month), month=french_month(self.month)))
        if errors:
            return None, errors
        if row.beneficiary_id is not None:
            found = self.by_id.get(row.beneficiary_id, [])
        else:
            found = self.by_name.get(imports._person_key(row.last_name, row.first_name, row.birth_date), [])
        if not found or len({placement.beneficiary_id for placement in found}) > 1:
            return None, [NOT_EMPLOYED.format(person=row.person_label, month=french_month(self.month))]
        if row.beneficiary_id is not None:  # the preview names the person the company employs
            row.last_name, row.first_name = found[0].beneficiary.last_name, found[0].beneficiary.first_name
        return found[0], []


def process(rows, *, lot, company, month: date, user, commit: bool, expected_versions, validated=None):
    """beneficiaries.imports.process within the company's declaration: preview (commit False) or write."""
    return imports.process(
        rows,
        user=user,
        commit=commit,
        expected_versions=expected_versions,
        validated=validated or imports.REPLACE_VALIDATED,
        resolver=CompanyResolver(lot=lot, company=company, month=month),
        declare=lambda entries, keep_validated: declarations.save_rows(
            lot=lot, company=company, month=month, entries=entries, user=user, keep_validated=keep_validated
        ),
    )


def _cell(text: str) -> str:
    """A name as a spreadsheet cell: never read as a formula by the company's spreadsheet software."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def template_rows(*, lot, company, month: date) -> list[dict]:
    """One row per person the company employs on the lot this month, with the hours already recorded if any."""
    placements = (
        declarations.rows_of(lot=lot, company=company, month=month)
        .select_related("beneficiary")
        .order_by(French("beneficiary__last_name"), French("beneficiary__first_name"), "pk")
    )
    records = {
        record.placement_id: record for record in HoursRecord.objects.filter(placement__in=placements, month=month)
    }
    rows = []
    for placement in placements:
        record = records.get(placement.pk)
        rows.append(
            {
                "reference_marche": lot.market.reference,
                "numero_lot": str(lot.number),
                "siret_titulaire": lot.contractor.siret if lot.contractor else "",
                "identifiant_participant": str(placement.beneficiary_id),
                "nom": _cell(placement.beneficiary.last_name.upper()),
                "prenom": _cell(placement.beneficiary.first_name),
                "mois": month.strftime("%m/%Y"),
                "heures": french_figure(record.hours) if record else "",
                "heures_formation": french_figure(record.training_hours) if record else "0",
            }
        )
    return rows
