"""Tariff grids (brackets, default bracket, refusals) and dated quotients familiaux."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from billing.domain.errors import Conflict, InvalidInput, NotFound
from billing.domain.money import Money
from billing.domain.qf import QF_MAX_VALUE, QfHistory, QfProof, QfState, QuotientFamilial, campaign_period
from billing.domain.tariffs import MAX_BRACKETS, TariffGrid, check_school_year, school_year_of

# API.md's example grid.
EXAMPLE = [
    {"qf_max": 600, "unit_price_cents": 150},
    {"qf_max": 1200, "unit_price_cents": 280},
    {"qf_max": None, "unit_price_cents": 374},
]


def grid(brackets=EXAMPLE, year="2026/2027"):
    return TariffGrid.from_payload("cantine", year, brackets)


@pytest.mark.parametrize(
    ("qf", "cents"),
    [
        (0, 150),
        (1, 150),
        (599, 150),
        (600, 150),
        (601, 280),
        (1199, 280),
        (1200, 280),
        (1201, 374),
        (QF_MAX_VALUE, 374),
        (None, 374),  # no valid QF → the highest tariff
    ],
)
def test_bracket_boundaries_are_inclusive(qf, cents):
    assert grid().unit_price_for(qf) == Money(cents)


def test_grid_reads_back_as_given():
    g = grid()
    assert g.as_payload() == EXAMPLE
    assert g.default.qf_max is None and g.default.unit_price == Money(374)
    assert [g.lower_bound(b) for b in g.brackets] == [0, 601, 1201]


@pytest.mark.parametrize(
    ("brackets", "code", "field"),
    [
        ([], "tariff_grid_empty", "brackets"),
        # overlap: the same bound twice, or a bound going down, puts one QF in two brackets
        (
            [{"qf_max": 600, "unit_price_cents": 150}, {"qf_max": 600, "unit_price_cents": 280}, EXAMPLE[2]],
            "tariff_grid_overlap",
            "brackets[1].qf_max",
        ),
        (
            [{"qf_max": 1200, "unit_price_cents": 280}, {"qf_max": 600, "unit_price_cents": 150}, EXAMPLE[2]],
            "tariff_grid_overlap",
            "brackets[1].qf_max",
        ),
        (
            [EXAMPLE[0], {"qf_min": 600, "qf_max": 1200, "unit_price_cents": 280}, EXAMPLE[2]],
            "tariff_grid_overlap",
            "brackets[1].qf_min",
        ),
        # gap: a stated lower bound leaves QFs 601..700 without a price
        (
            [EXAMPLE[0], {"qf_min": 701, "qf_max": 1200, "unit_price_cents": 280}, EXAMPLE[2]],
            "tariff_grid_gap",
            "brackets[1].qf_min",
        ),
        (
            [EXAMPLE[0], EXAMPLE[1], {"qf_min": 1300, "qf_max": None, "unit_price_cents": 374}],
            "tariff_grid_gap",
            "brackets[2].qf_min",
        ),
        ([EXAMPLE[0], EXAMPLE[1]], "tariff_grid_no_default", "brackets"),
        ([EXAMPLE[2], EXAMPLE[0], EXAMPLE[1]], "tariff_default_not_last", "brackets[0].qf_max"),
        ([EXAMPLE[0], EXAMPLE[2], EXAMPLE[2]], "tariff_grid_several_defaults", "brackets[2].qf_max"),
        (
            [EXAMPLE[0], EXAMPLE[1], {"qf_max": None, "unit_price_cents": 200}],
            "tariff_default_not_highest",
            "brackets[2].unit_price_cents",
        ),
        ([{"qf_max": 600, "unit_price_cents": -1}, EXAMPLE[2]], "tariff_price_invalid", "brackets[0].unit_price_cents"),
        (
            [{"qf_max": 600, "unit_price_cents": 1.5}, EXAMPLE[2]],
            "tariff_price_invalid",
            "brackets[0].unit_price_cents",
        ),
        (
            [{"qf_max": 600, "unit_price_cents": 150.0}, EXAMPLE[2]],
            "tariff_price_invalid",
            "brackets[0].unit_price_cents",
        ),
        (
            [{"qf_max": 600, "unit_price_cents": True}, EXAMPLE[2]],
            "tariff_price_invalid",
            "brackets[0].unit_price_cents",
        ),
        (
            [{"qf_max": 600, "unit_price_cents": "150"}, EXAMPLE[2]],
            "tariff_price_invalid",
            "brackets[0].unit_price_cents",
        ),
        ([{"qf_max": -1, "unit_price_cents": 150}, EXAMPLE[2]], "tariff_qf_bound_invalid", "brackets[0].qf_max"),
        ([{"qf_max": 600.0, "unit_price_cents": 150}, EXAMPLE[2]], "tariff_qf_bound_invalid", "brackets[0].qf_max"),
        ([{"qf_max": "600", "unit_price_cents": 150}, EXAMPLE[2]], "tariff_qf_bound_invalid", "brackets[0].qf_max"),
        (
            [
                {"qf_min": 0, "qf_max": 600, "unit_price_cents": 150},
                {"qf_min": 1300, "qf_max": 1200, "unit_price_cents": 2},
            ]
            + [EXAMPLE[2]],
            "tariff_qf_bound_invalid",
            "brackets[1].qf_min",
        ),
        (
            [{"qf_max": i, "unit_price_cents": 1} for i in range(MAX_BRACKETS)] + [EXAMPLE[2]],
            "tariff_grid_too_many_brackets",
            "brackets",
        ),
    ],
)
def test_bad_grids_are_refused(brackets, code, field):
    with pytest.raises(InvalidInput) as refused:
        grid(brackets)
    assert refused.value.code == code
    assert (field, code) in [(e.field, e.code) for e in refused.value.errors]
    assert all(e.message for e in refused.value.errors)


def test_every_problem_is_listed():
    with pytest.raises(InvalidInput) as refused:
        grid([{"qf_max": 600, "unit_price_cents": -5}, {"qf_max": 600, "unit_price_cents": 280}])
    codes = [e.code for e in refused.value.errors]
    assert codes == ["tariff_price_invalid", "tariff_grid_overlap", "tariff_grid_no_default"]


@pytest.mark.parametrize(
    "brackets",
    [
        [{"qf_max": None, "unit_price_cents": 374}],  # one price for all
        [{"qf_max": 0, "unit_price_cents": 0}, {"qf_max": None, "unit_price_cents": 0}],  # free, QF 0 included
        [
            {"qf_min": 0, "qf_max": 600, "unit_price_cents": 150},
            {"qf_min": 601, "qf_max": None, "unit_price_cents": 150},
        ],
        [
            {"qf_max": 600, "unit_price_cents": 300},
            {"qf_max": None, "unit_price_cents": 300},
        ],  # default ties the highest
    ],
)
def test_sound_grids_are_accepted(brackets):
    assert grid(brackets).as_payload() == [
        {"qf_max": b["qf_max"], "unit_price_cents": b["unit_price_cents"]} for b in brackets
    ]


@pytest.mark.parametrize(
    ("year", "ok"), [("2026/2027", True), ("2026/2028", False), ("2026-2027", False), ("26/27", False), (2026, False)]
)
def test_school_year_format(year, ok):
    if ok:
        assert check_school_year(year) == year
    else:
        with pytest.raises(InvalidInput) as refused:
            check_school_year(year)
        assert refused.value.code == "school_year_invalid"


@pytest.mark.parametrize(
    ("day", "year"),
    [(date(2026, 9, 1), "2026/2027"), (date(2026, 12, 31), "2026/2027"), (date(2027, 7, 31), "2026/2027"),
     (date(2027, 8, 1), "2027/2028")],
)  # fmt: skip
def test_school_year_of(day, year):
    assert school_year_of(day) == year
    assert grid().covers(day) is (year == "2026/2027")


def qf(value, start, end, state=QfState.VALIDATED, proof="attestation_caf", id=None):
    return QuotientFamilial(value, start, end, proof, state, id=id)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"value": -1}, "qf_value_invalid"),
        ({"value": 550.0}, "qf_value_invalid"),
        ({"value": True}, "qf_value_invalid"),
        ({"value": QF_MAX_VALUE + 1}, "qf_value_invalid"),
        ({"valid_to": date(2026, 1, 31)}, "qf_period_invalid"),
        ({"valid_from": datetime(2026, 2, 1, 12)}, "qf_period_invalid"),
        ({"valid_to": "2027-01-31"}, "qf_period_invalid"),
        ({"proof": "fiche_de_paie"}, "qf_proof_invalid"),
        ({"state": "approved"}, "qf_state_invalid"),
    ],
)
def test_bad_qf_values_are_refused(kwargs, code):
    fields = {"value": 550, "valid_from": date(2026, 2, 1), "valid_to": date(2027, 1, 31), "proof": "avis_imposition"}
    with pytest.raises(InvalidInput) as refused:
        QuotientFamilial(**{**fields, **kwargs})
    assert refused.value.code == code and refused.value.errors[0].field in fields | {"state": 0}


def test_qf_proof_and_state_from_strings():
    q = QuotientFamilial(550, date(2026, 2, 1), date(2027, 1, 31), "avis_imposition")
    assert q.proof is QfProof.AVIS_IMPOSITION and q.state is QfState.PENDING
    assert QfProof.ATTESTATION_CAF.label_fr == "Attestation CAF"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 1, 31), None),  # before any QF
        (date(2026, 2, 1), 550),  # first day, inclusive
        (date(2026, 12, 15), 550),
        (date(2027, 1, 31), 550),  # last day, inclusive
        (date(2027, 2, 1), None),  # not renewed in February → no QF → highest tariff
        (date(2027, 3, 1), 900),  # validated later
        (date(2027, 6, 1), None),  # only a pending QF covers June
    ],
)
def test_value_on_a_day(day, expected):
    history = QfHistory(
        [
            qf(550, date(2026, 2, 1), date(2027, 1, 31)),
            qf(900, date(2027, 3, 1), date(2027, 3, 31)),
            qf(400, date(2027, 4, 1), date(2027, 12, 31), state=QfState.PENDING),
            qf(100, date(2026, 1, 1), date(2027, 12, 31), state=QfState.REJECTED),
        ]
    )
    found = history.value_on(day)
    assert (found.value if found else None) == expected


def test_value_on_refuses_instants():
    with pytest.raises(TypeError):
        QfHistory().value_on(datetime(2026, 2, 1, 8))


@pytest.mark.parametrize(
    ("second", "refused"),
    [
        ((date(2027, 1, 31), date(2027, 12, 31)), True),  # shares the last day (inclusive bounds)
        ((date(2026, 6, 1), date(2026, 6, 30)), True),  # inside
        ((date(2025, 1, 1), date(2026, 2, 1)), True),  # shares the first day
        ((date(2027, 2, 1), date(2027, 12, 31)), False),  # the day after
        ((date(2025, 1, 1), date(2026, 1, 31)), False),  # the day before
    ],
)
def test_validated_periods_never_overlap(second, refused):
    first = qf(550, date(2026, 2, 1), date(2027, 1, 31))
    other = qf(900, *second)
    if refused:
        with pytest.raises(Conflict) as conflict:
            QfHistory([first]).with_qf(other)
        assert conflict.value.code == "qf_overlap"
    else:
        assert len(QfHistory([first]).with_qf(other).validated()) == 2
    # A pending proof may overlap anything: staff have not decided yet.
    assert len(QfHistory([first]).with_qf(qf(900, *second, state=QfState.PENDING)).qfs) == 2


def test_validating_and_rejecting():
    old = qf(550, date(2026, 2, 1), date(2027, 1, 31), id="old")
    new = qf(600, date(2027, 2, 1), date(2028, 1, 31), state=QfState.PENDING, id="new")
    clash = qf(700, date(2027, 1, 1), date(2027, 12, 31), state=QfState.PENDING, id="clash")
    history = QfHistory([old, new, clash])
    history, done = history.validate("new")
    assert done.state is QfState.VALIDATED and history.value_on(date(2027, 3, 1)).value == 600
    again, same = history.validate("new")  # a repeated click changes nothing
    assert same == done and again == history
    with pytest.raises(Conflict) as overlap:
        history.validate("clash")
    assert overlap.value.code == "qf_overlap"
    history, rejected = history.reject("clash")
    assert rejected.state is QfState.REJECTED
    with pytest.raises(Conflict) as not_pending:
        history.validate("clash")
    assert not_pending.value.code == "qf_not_pending"
    with pytest.raises(NotFound):
        history.validate("nope")


@pytest.mark.parametrize(
    ("qfs", "year", "needs"),
    [
        ([], 2027, True),
        ([(550, *campaign_period(2026))], 2027, True),  # last year's QF ends on 31 January
        ([(550, *campaign_period(2026))], 2026, False),
        ([(550, *campaign_period(2027))], 2027, False),
        ([(550, date(2026, 9, 1), date(2027, 8, 31))], 2027, False),  # a QF still running in February
    ],
)
def test_february_campaign(qfs, year, needs):
    assert campaign_period(2027) == (date(2027, 2, 1), date(2028, 1, 31))
    assert QfHistory([qf(*q) for q in qfs]).needs_renewal(year) is needs
