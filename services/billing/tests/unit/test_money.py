"""Money: integer cents only, French display, and no float ever reaching a money field."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from enum import IntEnum

import pytest
from billing.domain.errors import InvalidInput
from billing.domain.money import MAX_ABS_CENTS, Cents, Money, NonNegativeCents, PositiveCents, format_cents
from pydantic import BaseModel, ValidationError

NBSP = "\u00a0"
NNBSP = "\u202f"


class Level(IntEnum):
    ONE = 1


@pytest.mark.parametrize("bad", [1.5, 3.0, math.nan, math.inf, True, False, Decimal("374"), "374", None, Level.ONE])
def test_money_refuses_anything_but_int_cents(bad):
    with pytest.raises(TypeError):
        Money(bad)


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (1122, f"11,22{NBSP}€"),
        (374, f"3,74{NBSP}€"),
        (0, f"0,00{NBSP}€"),
        (5, f"0,05{NBSP}€"),
        (-374, f"-3,74{NBSP}€"),
        (123456, f"1{NNBSP}234,56{NBSP}€"),
        (10_000_000, f"100{NNBSP}000,00{NBSP}€"),
    ],
)
def test_french_format(cents, text):
    assert Money(cents).format_fr() == text
    assert str(Money(cents)) == text
    assert format_cents(cents) == text


def test_format_cents_refuses_floats():
    with pytest.raises(TypeError):
        format_cents(11.22)


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        (lambda: Money(374) + Money(748), Money(1122)),
        (lambda: Money(374) - Money(748), Money(-374)),
        (lambda: -Money(374), Money(-374)),
        (lambda: abs(Money(-374)), Money(374)),
        (lambda: Money(374) * 3, Money(1122)),
        (lambda: 3 * Money(374), Money(1122)),
        (lambda: sum([Money(374), Money(374), Money(374)]), Money(1122)),
        (lambda: Money.total([]), Money(0)),
        (lambda: Money.total([Money(150), Money(280)]), Money(430)),
        (lambda: Money(150).min(Money(100)), Money(100)),
        (lambda: Money(150).max(Money(100)), Money(150)),
    ],
)
def test_arithmetic_stays_in_cents(operation, expected):
    result = operation()
    assert result == expected and type(result.cents) is int


@pytest.mark.parametrize(
    "operation",
    [
        lambda: Money(374) + 1.5,
        lambda: 1.5 + Money(374),
        lambda: Money(374) + 1,
        lambda: 1 + Money(374),
        lambda: Money(374) - 0.5,
        lambda: Money(374) * 1.5,
        lambda: Money(374) * 2.0,
        lambda: Money(374) * True,
        lambda: Money(374) * Decimal("2"),
        lambda: Money(374) * Money(2),
        lambda: Money(374) / 2,
        lambda: Money(374) // 2,
        lambda: Money(374) < 400,
        lambda: sum([Money(1), 0.5]),
        lambda: Money.total([Money(1), 2]),
    ],
)
def test_arithmetic_refuses_floats_and_bare_numbers(operation):
    with pytest.raises(TypeError):
        operation()


def test_comparisons_and_truth():
    assert Money(150) < Money(280) <= Money(280) and Money(374) > Money(-374)
    assert Money(374) != 374 and Money(374) == Money(374)
    assert not Money(0) and Money(1) and Money(-1)
    assert Money(0).is_zero and Money(1).is_positive and Money(-1).is_negative
    assert len({Money(374), Money(374), Money(150)}) == 2


@pytest.mark.parametrize(
    ("raw", "cents"),
    [
        ("11,22", 1122),
        ("11.22", 1122),
        (" 3,7 ", 370),
        ("-3.74", -374),
        ("0", 0),
        ("1E+2", None),  # letters are refused in text
        (Decimal("11.22"), 1122),
        (Decimal("3.740"), 374),
        (Decimal("1E+2"), 10000),
        ("11,225", None),
        ("3,74 €", None),
        ("", None),
        ("1,2,3", None),
        (Decimal("11.225"), None),
        (Decimal("NaN"), None),
        (Decimal("Infinity"), None),
        (Decimal("1E+20"), None),
    ],
)
def test_from_euros_never_rounds(raw, cents):
    if cents is None:
        with pytest.raises(InvalidInput) as refused:
            Money.from_euros(raw)
        assert refused.value.code in {"amount_invalid", "amount_too_large"}
    else:
        assert Money.from_euros(raw) == Money(cents)


@pytest.mark.parametrize("bad", [11.22, 3.0, True, 374])
def test_from_euros_refuses_floats_and_ints(bad):
    with pytest.raises(TypeError):
        Money.from_euros(bad)


def test_bounds():
    assert Money(MAX_ABS_CENTS).cents == MAX_ABS_CENTS
    with pytest.raises(InvalidInput):
        Money(MAX_ABS_CENTS + 1)
    with pytest.raises(InvalidInput):
        Money(MAX_ABS_CENTS) + Money(1)


def test_euros_is_exact():
    assert Money(1122).euros() == Decimal("11.22") and Money(-5).euros() == Decimal("-0.05")


class Priced(BaseModel):
    amount_cents: Cents
    credit_cents: NonNegativeCents
    to_pay_cents: PositiveCents
    total: Money


GOOD = {"amount_cents": -374, "credit_cents": 0, "to_pay_cents": 374, "total": 1122}


@pytest.mark.parametrize("field", ["amount_cents", "credit_cents", "to_pay_cents", "total"])
@pytest.mark.parametrize("bad", [374.0, 3.74, True, "374", None])
def test_a_float_never_reaches_a_money_field(field, bad):
    with pytest.raises(ValidationError):
        Priced(**{**GOOD, field: bad})
    with pytest.raises(ValidationError):
        Priced.model_validate_json(json.dumps({**GOOD, field: bad}))


@pytest.mark.parametrize(
    ("field", "bad"), [("credit_cents", -1), ("to_pay_cents", 0), ("amount_cents", MAX_ABS_CENTS + 1)]
)
def test_money_fields_bounds(field, bad):
    with pytest.raises(ValidationError):
        Priced(**{**GOOD, field: bad})


def test_money_field_round_trip():
    model = Priced.model_validate_json('{"amount_cents": -374, "credit_cents": 0, "to_pay_cents": 374, "total": 1122}')
    assert model.total == Money(1122) and model.amount_cents == -374
    assert Priced(**{**GOOD, "total": Money(1122)}).total == Money(1122)
    assert model.model_dump()["total"] == 1122
    assert '"total":1122' in model.model_dump_json()
    assert Priced.model_json_schema()["properties"]["total"]["type"] == "integer"
