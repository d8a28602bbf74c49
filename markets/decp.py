"""Import of the markets published in the national public-procurement open data (DECP 2.0, "données essentielles de
la commande publique").

The file is read as a stream (ijson, C backend): a record is built, checked and written in batches, so a 200 MB file
of 500,000 records imports in bounded memory. The whole file runs in one transaction: a malformed file (bad JSON,
no DECP shape) writes nothing, even when the fault is at its end; a dry run rolls back after counting. A record that
cannot be read (an "NC" placeholder, an impossible date, a SIRET whose checksum is wrong, a bad amount) is refused
with its id and a French reason, and the other records are imported. The key of a published market is its buyer
(by SIRET) and its DECP id: a second import of the same file changes nothing and says so.

Shapes read: the schema's `{"marches": {"marche": [...], "contrat-concession": [...]}}`, the flat
`{"marches": [...]}` and a bare list `[...]` seen in real files; inside a record, lists written flat
(`"considerationsSociales": ["Clause sociale"]`, `"titulaires": [{"id": ...}]`) as well as nested.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

import ijson
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from ijson.common import ObjectBuilder
from stdnum.fr import siret as siret_number

from markets.models import DecpMarket, MarketType
from organisations.models import Organisation
from organisations.services import incomplete_organisations
from territories.models import Department

# Path of a record in each shape, and what it is (None: a market unless it says it is a concession).
RECORD_PREFIXES = {
    "marches.marche.item": "marche",
    "marches.contrat-concession.item": "concession",
    "marches.item": None,
    "item": None,
}
BATCH_SIZE = 2000
BOM = b"\xef\xbb\xbf"
MAX_REFUSALS_KEPT = 500  # the first refusals are listed; beyond, only counted (bounded memory)
MAX_AMOUNT = Decimal("999999999999.99")
MAX_DURATION_MONTHS = 1200
EARLIEST_NOTIFICATION = date(2000, 1, 1)
PLACEHOLDERS = frozenset({"", "NC", "N/C", "NON COMMUNIQUÉ", "NON COMMUNIQUE", "NULL", "NONE"})

CONCESSION_IGNORED = "contrat de concession : seuls les marchés publics sont importés"
OUT_OF_SCOPE = "hors du périmètre choisi (acheteur ou département)"
DUPLICATE = "doublon dans le fichier : le dernier enregistrement de ce marché l'emporte"
NO_RECORD = (
    "Aucun marché trouvé : le fichier n'a pas la forme DECP attendue "
    '({"marches": {"marche": [...]}}, {"marches": [...]} ou une liste).'
)


class DecpFileError(Exception):
    """The whole file is refused (nothing written): bad JSON, or not the DECP shape."""

    def __init__(self, messages: list[str]):
        super().__init__(" ".join(messages))
        self.messages = messages


class RecordRefused(Exception):
    pass


@dataclass(frozen=True)
class DecpRecord:
    """One market record, checked and normalised."""

    decp_id: str
    buyer_siret: str
    holder_sirets: tuple[str, ...]
    title: str
    nature: str
    market_type: str
    cpv_code: str
    procedure: str
    amount_excl_vat: Decimal
    notified_on: date
    duration_months: int
    place_code: str
    place_kind: str
    department_code: str
    social_clause: bool
    social_criterion: bool
    reserved: bool
    published_on: date | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.buyer_siret, self.decp_id)


@dataclass(frozen=True)
class Refusal:
    number: int  # 1-based position of the record in the file
    decp_id: str
    reason: str

    def __str__(self):
        ident = f"« {self.decp_id} »" if self.decp_id else "sans identifiant"
        return f"Enregistrement n° {self.number} ({ident}) : {self.reason}."


@dataclass
class DecpReport:
    dry_run: bool = False
    records: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ignored: int = 0
    refused: int = 0
    ignored_reasons: Counter = field(default_factory=Counter)
    refusals: list[Refusal] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    organisations_created: int = 0

    @property
    def ok(self) -> bool:
        return not self.file_errors

    @property
    def changes(self) -> int:
        return self.created + self.updated

    def refuse(self, number: int, decp_id: str, reason: str) -> None:
        self.refused += 1
        if len(self.refusals) < MAX_REFUSALS_KEPT:
            self.refusals.append(Refusal(number, decp_id, reason))

    def ignore(self, reason: str) -> None:
        self.ignored += 1
        self.ignored_reasons[reason] += 1

    def summary(self) -> str:
        if self.file_errors:
            return "Fichier refusé, rien n'a été enregistré : " + " ".join(self.file_errors)
        counts = (
            f"{self.created} nouveaux, {self.updated} mis à jour, {self.unchanged} inchangés, "
            f"{self.ignored} ignorés, {self.refused} refusés"
        )
        if self.dry_run:
            return f"Aperçu (rien n'a été enregistré) : {counts}."
        if not self.changes:
            return f"Aucun changement : {counts}."
        return f"Import terminé : {counts}."


# Reading the stream ----------------------------------------------------------------------------------------


class _TrackedReader:
    """Counts the lines of the chunks ijson has read, to place a syntax error on its line."""

    def __init__(self, raw):
        self.raw = raw
        self.lines_before = 0
        self.chunk = b""
        self.strip_bom = False

    def read(self, size=-1):
        self.lines_before += self.chunk.count(b"\n")
        chunk = self.raw.read(size)
        if isinstance(chunk, str):
            chunk = chunk.encode()
        if self.strip_bom and chunk:  # ijson first reads 0 bytes to tell text from bytes
            self.strip_bom = False
            chunk = chunk.removeprefix(BOM)
        self.chunk = chunk
        return chunk

    def line_of(self, message: str) -> int:
        """yajl quotes about 30 characters around the fault (newlines shown as spaces) with a caret under it."""
        lines = message.split("\n")
        if "premature EOF" in message or not self.chunk:
            return self.lines_before + self.chunk.count(b"\n") + (0 if self.chunk.endswith(b"\n") else 1)
        if len(lines) >= 3 and "^" in lines[2]:
            snippet = lines[1]
            stripped = snippet.lstrip()
            before_fault = stripped[: max(0, lines[2].index("^") - (len(snippet) - len(stripped)))]
            flat = self.chunk.replace(b"\n", b" ").replace(b"\r", b" ").replace(b"\t", b" ")
            found = flat.find(stripped.encode())
            if found >= 0:
                position = found + len(before_fault.encode())
                return self.lines_before + self.chunk[:position].count(b"\n") + 1
        return self.lines_before + 1


def _seekable(stream) -> bool:
    seekable = getattr(stream, "seekable", None)
    return bool(seekable and seekable())


def _shape(stream) -> list[str] | None:
    """The record paths of a seekable stream, from its first events: a bare list, `{"marches": [...]}` or the
    nested `{"marches": {"marche": [...], "contrat-concession": [...]}}`. None when the start does not tell."""
    if not _seekable(stream):
        return None
    start = stream.tell()
    try:
        events = ijson.parse(stream, use_float=False, buf_size=4096)
        shape = None
        for prefix, event, value in events:
            if prefix == "" and event == "start_array":
                shape = ["item"]
            elif prefix == "" and event in ("start_map", "map_key") and value in (None, "marches"):
                continue
            elif prefix == "marches" and event == "start_array":
                shape = ["marches.item"]
            elif prefix == "marches" and event == "start_map":
                shape = ["marches.marche.item", "marches.contrat-concession.item"]
            break
        stream.seek(start)
        return shape
    except (ijson.JSONError, UnicodeDecodeError, OSError, ValueError):
        stream.seek(start)
        return None


def _built_records(events) -> Iterator[tuple[str | None, object]]:
    """Records of any shape built from the event stream (the slower pure-Python path, for unseekable streams)."""
    for prefix, event, value in events:
        if prefix not in RECORD_PREFIXES:
            continue
        kind = RECORD_PREFIXES[prefix]
        if event in ("start_map", "start_array"):
            builder = ObjectBuilder()
            builder.event(event, value)
            depth = 1
            for _prefix, event, value in events:
                builder.event(event, value)
                if event in ("start_map", "start_array"):
                    depth += 1
                elif event in ("end_map", "end_array"):
                    depth -= 1
                    if depth == 0:
                        break
            yield kind, builder.value
        elif event not in ("end_map", "end_array", "map_key"):
            yield kind, value


def iter_records(stream) -> Iterator[tuple[str | None, object]]:
    """(kind, record) for each record of a DECP file; raises DecpFileError on bad JSON (nothing yielded after).

    A seekable file is read by ijson's C builder, one pass per list of records (the markets, then the
    concessions of the nested shape, in a second pass); an unseekable stream by the generic event loop."""
    reader = _TrackedReader(stream)
    number = 0
    last_id = ""
    start = _skip_bom(stream, reader)
    try:
        shape = _shape(stream)
        if shape is None:
            passes = [_built_records(ijson.parse(reader, use_float=False))]
        else:
            passes = [
                _items_pass(reader, stream, prefix, start=start if index else None)
                for index, prefix in enumerate(shape)
            ]
        for records in passes:
            for kind, record in records:
                number += 1
                last_id = str(record.get("id", ""))[:50] if isinstance(record, dict) else ""
                yield kind, record
    except (ijson.JSONError, UnicodeDecodeError) as error:
        message = str(error)
        if message.startswith(("b'", 'b"')):  # yajl reports invalid UTF-8 as the repr of bytes
            message = ast.literal_eval(message).decode("utf-8", errors="replace")
        line = reader.line_of(message)
        reason = message.split("\n", 1)[0].replace("parse error: ", "")
        if "invalid bytes in UTF8" in reason or isinstance(error, UnicodeDecodeError):
            reason = "le fichier n'est pas encodé en UTF-8"
        where = f"après l'enregistrement n° {number} (« {last_id} »)" if number else "avant le premier enregistrement"
        raise DecpFileError(
            [f"JSON invalide ligne {line}, {where} : {reason}. Le fichier est refusé en entier."]
        ) from error
    if number == 0:
        raise DecpFileError([NO_RECORD])


def _skip_bom(stream, reader: _TrackedReader) -> int:
    """Step over a UTF-8 byte order mark (some publishers write one); the offset where the JSON starts."""
    if not _seekable(stream):
        reader.strip_bom = True
        return 0
    start = 3 if stream.read(3) == BOM else 0
    stream.seek(start)
    return start


def _items_pass(
    reader: _TrackedReader, stream, prefix: str, *, start: int | None
) -> Iterator[tuple[str | None, object]]:
    if start is not None:  # a second pass over the file
        stream.seek(start)
        reader.lines_before, reader.chunk = 0, b""
    kind = RECORD_PREFIXES[prefix]
    for record in ijson.items(reader, prefix, use_float=False):
        yield kind, record


# Checking one record ---------------------------------------------------------------------------------------


def _is_placeholder(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip().upper() in PLACEHOLDERS)


def _text(record: dict, name: str, label: str, *, max_length: int) -> str:
    value = record.get(name)
    if _is_placeholder(value) or not isinstance(value, (str, int)):
        raise RecordRefused(f"{label} absent ou « NC »")
    return str(value).strip()[:max_length]


def _siret(value, label: str) -> str:
    if _is_placeholder(value):
        raise RecordRefused(f"SIRET {label} absent ou « NC »")
    text = re.sub(r"\s", "", str(value))
    if not siret_number.is_valid(text):
        raise RecordRefused(f"SIRET {label} « {value} » invalide : 14 chiffres dont la clé de contrôle doit être juste")
    return text


def _date(value, label: str, *, today: date, required: bool = True) -> date | None:
    if _is_placeholder(value):
        if not required:
            return None
        raise RecordRefused(f"{label} absente ou « NC »")
    text = str(value).strip()[:10]
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise RecordRefused(f"{label} « {value} » impossible (attendu AAAA-MM-JJ, une date qui existe)") from None
    if not EARLIEST_NOTIFICATION <= day <= today:
        raise RecordRefused(
            f"{label} « {value} » impossible : hors de la période du {EARLIEST_NOTIFICATION:%d/%m/%Y} à aujourd'hui"
        )
    return day


def _amount(value) -> Decimal:
    if _is_placeholder(value):
        raise RecordRefused("montant absent ou « NC »")
    if isinstance(value, bool):
        raise RecordRefused(f"montant « {value} » invalide")
    try:
        amount = Decimal(str(value).strip().replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise RecordRefused(f"montant « {value} » invalide : un nombre est attendu") from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise RecordRefused(
            f"montant « {value} » invalide : il doit être positif et inférieur à 1 000 milliards d'euros"
        )
    return amount.quantize(Decimal("0.01"))


def _duration(value) -> int:
    if _is_placeholder(value):
        raise RecordRefused("durée en mois absente ou « NC »")
    try:
        months = int(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        raise RecordRefused(f"durée « {value} » invalide : un nombre de mois est attendu") from None
    if isinstance(value, bool) or not 1 <= months <= MAX_DURATION_MONTHS or Decimal(str(value)) != months:
        raise RecordRefused(f"durée « {value} » invalide : un nombre entier de mois entre 1 et {MAX_DURATION_MONTHS}")
    return months


def _listed(value, inner: str) -> list:
    """A list written nested ({"considerationSociale": [...]}) or flat ([...]), or a single value."""
    if isinstance(value, dict):
        value = value.get(inner, [])
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def department_of(code: str, kind: str) -> str:
    """The département of an execution place, when its code tells it (postal code, commune, département)."""
    code = code.strip().upper()
    if kind == "Code postal" and re.fullmatch(r"\d{5}", code):
        if code.startswith(("97", "98")):
            return code[:3]
        if code.startswith("20"):
            return "2A" if code < "20200" else "2B"
        return code[:2]
    if kind == "Code commune" and re.fullmatch(r"\d[\dAB]\d{3}", code):
        return code[:3] if code.startswith("97") else code[:2]
    if kind == "Code département" and re.fullmatch(r"\d{1,3}|2[AB]", code):
        return code.zfill(2)
    return ""


def market_type_of(ccag: str, cpv: str) -> str:
    """Travaux, prestations intellectuelles, fournitures or services: the CCAG when it tells, else the CPV
    division (45: works; up to 44 and 48: supplies; 71-73 and 79: intellectual services; the rest: services)."""
    if ccag == "Travaux":
        return MarketType.WORKS
    if ccag in ("Prestations intellectuelles", "Maitrise d'œuvre", "Maîtrise d'œuvre"):
        return MarketType.INTELLECTUAL
    division = int(cpv[:2])
    if division == 45:
        return MarketType.WORKS
    if division <= 44 or division == 48:
        return MarketType.SUPPLIES
    if division in (71, 72, 73, 79):
        return MarketType.INTELLECTUAL
    return MarketType.SERVICES


def is_concession(kind: str | None, record: dict) -> bool:
    nature = str(record.get("nature", ""))
    return kind == "concession" or "autoriteConcedante" in record or nature.startswith("Concession")


def parse_record(record: dict, *, today: date) -> DecpRecord:
    """A checked DecpRecord, or RecordRefused with a French reason."""
    decp_id = _text(record, "id", "identifiant", max_length=200)
    if len(decp_id) > 50:
        raise RecordRefused("identifiant de plus de 50 caractères")
    buyer = record.get("acheteur")
    buyer_siret = _siret(buyer.get("id") if isinstance(buyer, dict) else buyer, "de l'acheteur")
    holders = []
    for item in record.get("titulaires") or []:
        holder = item.get("titulaire", item) if isinstance(item, dict) else None
        if not isinstance(holder, dict):
            raise RecordRefused("titulaire illisible")
        if str(holder.get("typeIdentifiant") or "SIRET").upper() != "SIRET":
            continue  # a foreign holder (TVA, HORS-UE...): not an organisation we can key, not linked
        siret = _siret(holder.get("id"), "du titulaire")
        if siret not in holders:
            holders.append(siret)
    cpv = _text(record, "codeCPV", "code CPV", max_length=20)
    if not re.fullmatch(r"\d{8}(-\d)?", cpv):
        raise RecordRefused(f"code CPV « {cpv} » invalide (8 chiffres, éventuellement suivis de -clé)")
    place = record.get("lieuExecution") or {}
    if not isinstance(place, dict) or _is_placeholder(place.get("code")):
        raise RecordRefused("lieu d'exécution absent ou « NC »")
    place_code, place_kind = str(place["code"]).strip()[:10], str(place.get("typeCode") or "").strip()[:30]
    considerations = {str(value) for value in _listed(record.get("considerationsSociales"), "considerationSociale")}
    nature = _text(record, "nature", "nature", max_length=60)
    return DecpRecord(
        decp_id=decp_id,
        buyer_siret=buyer_siret,
        holder_sirets=tuple(sorted(holders)),
        title=_text(record, "objet", "objet", max_length=1000),
        nature=nature,
        market_type=market_type_of(str(record.get("ccag") or ""), cpv),
        cpv_code=cpv,
        procedure=str(record.get("procedure") or "")[:120],
        amount_excl_vat=_amount(record.get("montant")),
        notified_on=_date(record.get("dateNotification"), "date de notification", today=today),
        duration_months=_duration(record.get("dureeMois")),
        place_code=place_code,
        place_kind=place_kind,
        department_code=department_of(place_code, place_kind),
        social_clause="Clause sociale" in considerations,
        social_criterion="Critère social" in considerations,
        reserved="Marché réservé" in considerations,
        published_on=_date(record.get("datePublicationDonnees"), "date de publication", today=today, required=False),
    )


# Writing ---------------------------------------------------------------------------------------------------

COMPARED_FIELDS = (
    "title",
    "nature",
    "market_type",
    "cpv_code",
    "procedure",
    "amount_excl_vat",
    "notified_on",
    "duration_months",
    "place_code",
    "place_kind",
    "department_id",
    "social_clause",
    "social_criterion",
    "reserved",
    "published_on",
)


class _Rollback(Exception):
    pass


@dataclass
class _Pending:
    number: int
    record: DecpRecord


class _Importer:
    def __init__(self, report: DecpReport, *, buyer_sirets: set[str], departements: set[str]):
        self.report = report
        self.buyer_sirets = buyer_sirets
        self.departements = departements
        self.department_codes = set(Department.objects.values_list("code", flat=True))
        # Buyers already known in the chosen départements are kept wherever their markets are executed.
        self.local_buyers = (
            set(
                Organisation.objects.filter(kind="buyer", commune__department__in=departements)
                .exclude(siret="")
                .values_list("siret", flat=True)
            )
            if departements
            else set()
        )
        self.batch: dict[tuple[str, str], _Pending] = {}

    def keeps(self, record: DecpRecord) -> bool:
        if not self.buyer_sirets and not self.departements:
            return True
        return (
            record.buyer_siret in self.buyer_sirets
            or record.department_code in self.departements
            or record.buyer_siret in self.local_buyers
        )

    def add(self, number: int, record: DecpRecord) -> None:
        if record.key in self.batch:
            self.report.ignore(DUPLICATE)
        self.batch[record.key] = _Pending(number, record)
        if len(self.batch) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        pending = list(self.batch.values())
        self.batch = {}
        organisations, created = incomplete_organisations(
            buyer_sirets={p.record.buyer_siret for p in pending},
            holder_sirets={siret for p in pending for siret in p.record.holder_sirets},
        )
        self.report.organisations_created += created
        kept = []
        for item in pending:
            buyer_id, kind = organisations[item.record.buyer_siret]
            if kind != "buyer":
                self.report.refuse(
                    item.number,
                    item.record.decp_id,
                    f"le SIRET de l'acheteur « {item.record.buyer_siret} » est celui d'une organisation qui n'est "
                    "pas un acheteur",
                )
            else:
                kept.append((buyer_id, item))
        # By id only (the unique index leads with it; a second IN on the buyer makes SQLite pick the buyer's
        # index and scan), then matched on the whole key here.
        keys = {(buyer_id, item.record.decp_id) for buyer_id, item in kept}
        existing = {
            (row.buyer_id, row.decp_id): row
            for row in DecpMarket.objects.filter(decp_id__in={decp_id for _, decp_id in keys})
            if (row.buyer_id, row.decp_id) in keys
        }
        holders_of: dict[int, set[int]] = {}
        through = DecpMarket.holders.through
        for market_id, organisation_id in through.objects.filter(
            decpmarket_id__in=[row.pk for row in existing.values()]
        ).values_list("decpmarket_id", "organisation_id"):
            holders_of.setdefault(market_id, set()).add(organisation_id)

        new_rows, new_holders, changed_rows, holder_updates = [], [], [], {}
        for buyer_id, item in kept:
            record = item.record
            values = {name: getattr(record, name) for name in COMPARED_FIELDS if name not in ("department_id",)}
            code = record.department_code
            values["department_id"] = code if code in self.department_codes else None
            wanted_holders = {organisations[siret][0] for siret in record.holder_sirets}
            row = existing.get((buyer_id, record.decp_id))
            if row is None:
                new_rows.append(DecpMarket(buyer_id=buyer_id, decp_id=record.decp_id, **values))
                new_holders.append(wanted_holders)
                continue
            differs = [name for name, value in values.items() if getattr(row, name) != value]
            holders_differ = holders_of.get(row.pk, set()) != wanted_holders
            if not differs and not holders_differ:
                self.report.unchanged += 1
                continue
            self.report.updated += 1
            for name, value in values.items():
                setattr(row, name, value)
            changed_rows.append(row)
            if holders_differ:
                holder_updates[row.pk] = wanted_holders

        now = timezone.now()
        if new_rows:
            for row in new_rows:
                row.imported_at = row.updated_at = now
            created_rows = DecpMarket.objects.bulk_create(new_rows)
            self.report.created += len(created_rows)
            for row, holders in zip(created_rows, new_holders, strict=True):
                if row.pk is None:  # a backend that returns no ids: look them up
                    row.pk = DecpMarket.objects.get(buyer_id=row.buyer_id, decp_id=row.decp_id).pk
                holder_updates[row.pk] = holders
        if changed_rows:
            for row in changed_rows:
                row.updated_at = now
            DecpMarket.objects.bulk_update(changed_rows, [*COMPARED_FIELDS, "updated_at"])
        if holder_updates:
            through.objects.filter(decpmarket_id__in=list(holder_updates)).delete()
            through.objects.bulk_create(
                [
                    through(decpmarket_id=market_id, organisation_id=organisation_id)
                    for market_id, holders in holder_updates.items()
                    for organisation_id in holders
                ]
            )


def import_decp(
    stream,
    *,
    dry_run: bool = False,
    buyer_sirets: Iterable[str] = (),
    departements: Iterable[str] = (),
    today: date | None = None,
) -> DecpReport:
    """Import a DECP file (a binary stream) in one transaction; see the module docstring. Returns the report; a
    malformed file comes back with `file_errors` and nothing written."""
    report = DecpReport(dry_run=dry_run)
    today = today or timezone.localdate()
    try:
        with transaction.atomic():
            importer = _Importer(
                report,
                buyer_sirets={re.sub(r"\s", "", s) for s in buyer_sirets},
                departements={d.strip().upper().zfill(2) for d in departements},
            )
            for number, (kind, raw) in enumerate(iter_records(stream), start=1):
                report.records += 1
                if not isinstance(raw, dict):
                    report.refuse(number, "", "l'enregistrement n'est pas un objet JSON")
                    continue
                if is_concession(kind, raw):
                    report.ignore(CONCESSION_IGNORED)
                    continue
                try:
                    record = parse_record(raw, today=today)
                except RecordRefused as refusal:
                    report.refuse(number, str(raw.get("id", ""))[:50], str(refusal))
                    continue
                if not importer.keeps(record):
                    report.ignore(OUT_OF_SCOPE)
                    continue
                importer.add(number, record)
            importer.flush()
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    except DecpFileError as error:
        report.file_errors = error.messages
    return report


@transaction.atomic
def follow(*, decp_market: DecpMarket, market) -> DecpMarket:
    """Link a published market to the Market a facilitation structure created from it (its take-over)."""
    row = DecpMarket.objects.select_for_update().get(pk=decp_market.pk)
    if row.market_id is not None:
        raise ValidationError(
            {"market": ValidationError("Ce marché est déjà suivi par une structure de facilitation.", code="followed")}
        )
    row.market = market
    row.save(update_fields=["market", "updated_at"])
    return row


@transaction.atomic
def take_over(*, decp_market: DecpMarket, **market_fields):
    """A facilitation structure follows a published market: the market is created (markets.services, its rules
    and refusals) and linked to the published one, or neither (a structure that took it over in between wins)."""
    from markets.services import create_market

    market = create_market(**market_fields)
    follow(decp_market=decp_market, market=market)
    return market
