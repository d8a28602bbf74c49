"""The small-count rule with complementary suppression (reporting.suppression), as pure functions."""

from decimal import Decimal

import pytest

from reporting.calculations import SECRET_LABEL, SMALL_COUNT_LABEL, SUPPRESSION_NOTE
from reporting.queries import DimensionRow, PublicRow, Summary
from reporting.suppression import (
    hidden_count,
    note_for,
    partition_hidden_indexes,
    public_is_hidden,
    suppress_partition,
    suppress_publics,
    suppress_summary,
)

D = Decimal


def public(code, participants, hours):
    return PublicRow(code, code, D(hours), participants, D("0.5"), D("0.5"))


@pytest.mark.parametrize(
    ("count", "total", "hidden"),
    [
        (0, 20, False),  # nobody in the public: reveals nobody
        (1, 20, True),
        (4, 20, True),
        (5, 20, False),
        (15, 20, False),
        (16, 20, True),  # all but 4: they are known not to belong to it
        (19, 20, True),
        (20, 20, False),  # everybody: the total is shown anyway
        (0, 3, True),  # "RQTH 0" beside 3 people says none of them is disabled
        (3, 3, True),
        (0, 0, False),
    ],
)
def test_public_is_hidden_by_its_count_its_complement_or_a_small_total(count, total, hidden):
    assert public_is_hidden(count, total) is hidden


def test_a_hidden_count_never_claims_to_be_small_when_it_is_not():
    assert hidden_count(0) == SMALL_COUNT_LABEL
    assert hidden_count(4) == SMALL_COUNT_LABEL
    assert hidden_count(5) == SECRET_LABEL
    assert hidden_count(18) == SECRET_LABEL


def test_publics_of_one_person_are_all_hidden_with_their_hours_and_shares():
    rows = [public("women", 1, "358.25"), public("qpv", 1, "358.25"), public("rqth", 0, "0")]
    result = suppress_publics(rows, total_people=1)
    for row in result:
        assert row.participants == SMALL_COUNT_LABEL
        assert (row.hours, row.hours_share, row.participants_share) == (SECRET_LABEL,) * 3
    assert [row.label for row in result] == ["women", "qpv", "rqth"]


def test_publics_of_a_larger_perimeter_hide_only_the_revealing_rows():
    rows = [
        public("women", 1, "358.25"),
        public("youth", 6, "60"),
        public("men_like", 18, "600"),
        public("rqth", 0, "0"),
    ]
    women, youth, most, rqth = suppress_publics(rows, total_people=20)
    assert (women.participants, women.hours) == (SMALL_COUNT_LABEL, SECRET_LABEL)
    assert youth == rows[1]
    assert (most.participants, most.hours, most.hours_share) == (SECRET_LABEL, SECRET_LABEL, SECRET_LABEL)
    assert rqth == rows[3]  # 0 of 20: nobody revealed


def test_partition_hides_a_small_row_and_the_next_smallest_one():
    assert partition_hidden_indexes([10, 2, 7, 30]) == {1, 2}
    # Ties on people: fewest hours first.
    assert partition_hidden_indexes([6, 3, 6], [D("90"), D("5"), D("40")]) == {1, 2}


def test_partition_with_two_small_rows_or_none_needs_no_complement():
    assert partition_hidden_indexes([10, 2, 3, 30]) == {1, 2}
    assert partition_hidden_indexes([10, 5, 30]) == set()


def test_partition_of_one_small_row_has_nothing_to_pair_with():
    assert partition_hidden_indexes([1]) == {0}


def test_suppress_partition_hides_people_hours_and_contracts():
    rows = [
        DimensionRow("etti", "ETTI", D("70"), 7, 7),
        DimensionRow("cdd", "CDD", D("358.25"), 1, 1),
    ]
    etti, cdd = suppress_partition(rows)
    assert (cdd.participants, cdd.hours, cdd.contracts) == (SMALL_COUNT_LABEL, SECRET_LABEL, SECRET_LABEL)
    assert (etti.participants, etti.hours, etti.contracts) == (SECRET_LABEL, SECRET_LABEL, SECRET_LABEL)
    assert (etti.label, cdd.label) == ("ETTI", "CDD")


def test_summary_keeps_hours_and_hides_small_counts():
    summary = Summary(D("358.25"), D("0.2"), 1, 3, 1, 1, 1)
    hidden = suppress_summary(summary)
    assert (hidden.hours, hidden.participants, hidden.contracts, hidden.companies) == (
        D("358.25"),
        SMALL_COUNT_LABEL,
        SMALL_COUNT_LABEL,
        1,
    )
    assert suppress_summary(Summary(D("1"), D("0"), 0, 12, 1, 1, 1)).contracts == 12


def test_note_only_under_tables_with_a_hidden_value():
    assert note_for(["Femmes", "12", "0"]) == ""
    assert note_for(["Femmes", SECRET_LABEL, SMALL_COUNT_LABEL]) == SUPPRESSION_NOTE
