"""The small-count rule with complementary suppression (DOMAIN.md §8), once, for every figure a buyer sees.

Pure functions over the frozen rows of reporting.queries: they return copies in which the values that could
reveal a person are replaced by a text, so that every writer (page, CSV, XLSX, JSON, PDF, charts) receives the
same already-hidden values and none can show more than another.

- A count of people from 1 to 4 reads "< 5" (SMALL_COUNT_LABEL); an hours value, a share, or a count hidden
  only to protect another one reads "secret" (SECRET_LABEL).
- Publics (they overlap: a person may be a woman and a QPV resident): a public's row (people, hours, shares) is
  hidden when its count is 1–4, or when the rest of the perimeter (total − count) is 1–4, since that would say
  that all but a few people, or nobody else, belong to it; every row is hidden when the perimeter counts 1 to 4
  people. RQTH follows the same rule ("RQTH 0" beside 3 people says that none of them is disabled).
- Partitions (modalities, dimensions: each contract falls in one row, and the rows add up to the total shown):
  a row of 1–4 people is hidden (people, hours, contracts); if exactly one row is hidden, the next smallest row
  is hidden too, so that the hidden one cannot be recovered as the total minus the other rows.
- Summaries: the counts of people and contracts from 1 to 4 read "< 5". Contractual totals (hours toward a
  target, total hours) and the monthly series of hours stay visible: they count no one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from reporting.calculations import SECRET_LABEL, SMALL_COUNT_LABEL, SUPPRESSION_NOTE

HIDDEN_LABELS = (SMALL_COUNT_LABEL, SECRET_LABEL)


def is_small(count: int) -> bool:
    """1 to 4 people: too few to be shown (0 is shown: it reveals nobody, unless its complement is small)."""
    return 1 <= count <= 4


def hidden_count(count: int) -> str:
    """The text of a hidden count: "< 5" when it is below 5 (true, and all a reader may know), else "secret"
    (a count hidden to protect another one must not claim to be small)."""
    return SMALL_COUNT_LABEL if count < 5 else SECRET_LABEL


def small_count(count: int | str) -> int | str:
    """A count of people or contracts as a buyer reads it: "< 5" from 1 to 4, the number otherwise."""
    return SMALL_COUNT_LABEL if isinstance(count, int) and is_small(count) else count


def public_is_hidden(count: int, total: int) -> bool:
    """A public's row is hidden when its count, the rest of the perimeter, or the perimeter itself is 1–4."""
    return is_small(total) or is_small(count) or is_small(total - count)


def suppress_summary(summary: Any) -> Any:
    """A reporting.queries.Summary with its counts of people and contracts from 1 to 4 read "< 5"."""
    return dataclasses.replace(
        summary, participants=small_count(summary.participants), contracts=small_count(summary.contracts)
    )


def suppress_publics(rows: Sequence[Any], *, total_people: int) -> list[Any]:
    """reporting.queries.PublicRow rows of a perimeter of `total_people` people, each hidden whole or shown
    whole (people, hours and both shares)."""
    return [
        dataclasses.replace(
            row,
            participants=hidden_count(row.participants),
            hours=SECRET_LABEL,
            hours_share=SECRET_LABEL,
            participants_share=SECRET_LABEL,
        )
        if public_is_hidden(row.participants, total_people)
        else row
        for row in rows
    ]


def partition_hidden_indexes(counts: Sequence[int], hours: Sequence[Decimal] | None = None) -> set[int]:
    """Indexes of the rows of a partition to hide: those of 1–4 people, and, when that is exactly one row, the
    next smallest row (fewest people, then fewest hours, then the last) so that neither can be recovered from
    the total."""
    hidden = {index for index, count in enumerate(counts) if is_small(count)}
    if len(hidden) == 1 and len(counts) > 1:
        weights = hours if hours is not None else [Decimal(0)] * len(counts)
        others = [index for index in range(len(counts)) if index not in hidden]
        hidden.add(min(others, key=lambda index: (counts[index], weights[index], -index)))
    return hidden


def suppress_partition(rows: Sequence[Any]) -> list[Any]:
    """reporting.queries.DimensionRow rows of one partition (modalities, a dimension), with their people,
    hours and contracts hidden where partition_hidden_indexes says."""
    rows = list(rows)
    hidden = partition_hidden_indexes([row.participants for row in rows], [row.hours for row in rows])
    return [
        dataclasses.replace(
            row, participants=hidden_count(row.participants), hours=SECRET_LABEL, contracts=SECRET_LABEL
        )
        if index in hidden
        else row
        for index, row in enumerate(rows)
    ]


def note_for(texts: Iterable[str]) -> str:
    """The one-line explanation printed under a table that holds a hidden value, or "" when it holds none."""
    return SUPPRESSION_NOTE if any(text in HIDDEN_LABELS for text in texts) else ""


def suppress_yearly_report(report: Any) -> Any:
    """A reporting.queries.YearlyReport as the public reads it (a published version, reporting.publication): its
    summaries as suppress_summary, its publics as suppress_publics (each year against its own perimeter), each
    breakdown as a partition (suppress_partition); markets notified and the monthly hours count no one and stay."""

    def summary_of(summary):
        return None if summary is None else suppress_summary(summary)

    def publics_of(rows, summary):
        return None if rows is None else suppress_publics(rows, total_people=summary.participants)

    full_summary = report.previous_full_summary or report.previous_summary
    return dataclasses.replace(
        report,
        summary=suppress_summary(report.summary),
        previous_summary=suppress_summary(report.previous_summary),
        previous_full_summary=summary_of(report.previous_full_summary),
        publics=publics_of(report.publics, report.summary),
        previous_publics=publics_of(report.previous_publics, report.previous_summary),
        previous_full_publics=publics_of(report.previous_full_publics, full_summary),
        breakdowns={code: suppress_partition(rows) for code, rows in report.breakdowns.items()},
        previous_breakdowns={code: suppress_partition(rows) for code, rows in report.previous_breakdowns.items()},
    )
