"""Money in integer euro cents, and nothing else.

:class:`Money` is an immutable amount of euro cents (the product has one currency). It refuses
anything that could carry a rounding: ``Money(1.5)``, ``Money(True)``, ``Money(Decimal("1"))``
raise ``TypeError``; arithmetic accepts only ``Money`` (``+``, ``-``, unary ``-``, ``abs``,
comparisons) and multiplication by an ``int`` (``price * 3``). There is no division: nothing in
billing ever needs to round, so nothing can.

- ``Money(1122).format_fr()`` → ``"11,22 €"`` (CLDR's fr_FR format through Babel: a no-break
  space before « € », a narrow no-break space between thousands, ``"-3,74 €"`` for negatives);
  ``str(money)`` is the same text, ``format_cents(1122)`` formats a bare int.
- ``Money.from_euros("11,22")`` / ``Money.from_euros(Decimal("11.22"))`` for staff input written in
  euros; a fraction of a cent, NaN, infinity or a float is refused (:class:`InvalidInput` with
  code ``amount_invalid`` for text and decimals, ``TypeError`` for floats).
- ``sum(amounts)`` works (``0 + Money`` is the only mixed addition allowed, for ``sum``'s start);
  ``Money.total(amounts)`` says the same thing explicitly and returns ``Money.zero()`` when empty.

Pydantic: a model field typed ``Money`` accepts a ``Money`` or a strict JSON integer of cents and
serialises to the integer; ``Cents`` / ``NonNegativeCents`` / ``PositiveCents`` are strict ``int``
annotations for API and event models that keep plain ``amount_cents: int`` fields. Both refuse
``3.0``, ``3.5``, ``true`` and ``"374"``: a float never reaches a money field.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from babel.numbers import format_currency
from pydantic import Field, Strict
from pydantic_core import core_schema

from billing.domain.errors import InvalidInput

# 100 billion euros: far above any family's account, far below PostgreSQL's bigint, so sums of
# many amounts stored as bigint cannot overflow.
MAX_ABS_CENTS = 10**13

Cents = Annotated[int, Strict(), Field(ge=-MAX_ABS_CENTS, le=MAX_ABS_CENTS)]
NonNegativeCents = Annotated[int, Strict(), Field(ge=0, le=MAX_ABS_CENTS)]
PositiveCents = Annotated[int, Strict(), Field(gt=0, le=MAX_ABS_CENTS)]

AMOUNT_INVALID = "Le montant doit être un nombre d'euros avec au plus deux décimales (par exemple 3,74)."
AMOUNT_TOO_LARGE = "Ce montant est trop élevé."


def _is_plain_int(value: object) -> bool:
    # bool is an int subclass and IntEnum members are too: neither is an amount.
    return type(value) is int


@dataclass(frozen=True, order=True, slots=True)
class Money:
    """An amount of euro cents; see the module docstring for what it accepts."""

    cents: int

    def __post_init__(self) -> None:
        if not _is_plain_int(self.cents):
            raise TypeError(f"Money takes integer cents, not {type(self.cents).__name__}")
        if abs(self.cents) > MAX_ABS_CENTS:
            raise InvalidInput(AMOUNT_TOO_LARGE, code="amount_too_large")

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def zero(cls) -> Money:
        return cls(0)

    @classmethod
    def from_euros(cls, value: str | Decimal) -> Money:
        """``"11,22"``, ``"11.22"``, ``"-3.7"`` or ``Decimal("11.22")`` → cents; refuses any
        fraction of a cent instead of rounding it."""
        if isinstance(value, float):
            raise TypeError("a float is never an amount; pass a str or a Decimal")
        if isinstance(value, str):
            text = value.strip().replace(",", ".")
            if not text or any(c not in "0123456789.-+" for c in text):
                raise InvalidInput(AMOUNT_INVALID, code="amount_invalid")
            try:
                value = Decimal(text)
            except InvalidOperation:
                raise InvalidInput(AMOUNT_INVALID, code="amount_invalid") from None
        if not isinstance(value, Decimal):
            raise TypeError(f"Money.from_euros takes a str or a Decimal, not {type(value).__name__}")
        if not value.is_finite():
            raise InvalidInput(AMOUNT_INVALID, code="amount_invalid")
        cents = value.scaleb(2)
        if cents != cents.to_integral_value():
            raise InvalidInput(AMOUNT_INVALID, code="amount_invalid")
        return cls(int(cents))

    @classmethod
    def total(cls, amounts: Iterable[Money]) -> Money:
        result = 0
        for amount in amounts:
            if not isinstance(amount, Money):
                raise TypeError(f"cannot add {type(amount).__name__} to Money")
            result += amount.cents
        return cls(result)

    # -- arithmetic -----------------------------------------------------------------------
    def __add__(self, other: object) -> Money:
        if isinstance(other, Money):
            return Money(self.cents + other.cents)
        return NotImplemented

    def __radd__(self, other: object) -> Money:
        # Only for sum()'s integer start value; any other mixed addition is an error.
        if _is_plain_int(other) and other == 0:
            return self
        return NotImplemented

    def __sub__(self, other: object) -> Money:
        if isinstance(other, Money):
            return Money(self.cents - other.cents)
        return NotImplemented

    def __neg__(self) -> Money:
        return Money(-self.cents)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money(abs(self.cents))

    def __mul__(self, times: object) -> Money:
        if _is_plain_int(times):
            return Money(self.cents * times)
        return NotImplemented

    __rmul__ = __mul__

    def __bool__(self) -> bool:
        return self.cents != 0

    @property
    def is_zero(self) -> bool:
        return self.cents == 0

    @property
    def is_positive(self) -> bool:
        return self.cents > 0

    @property
    def is_negative(self) -> bool:
        return self.cents < 0

    def min(self, other: Money) -> Money:
        return self if self <= other else other

    def max(self, other: Money) -> Money:
        return self if self >= other else other

    # -- display --------------------------------------------------------------------------
    def euros(self) -> Decimal:
        """The exact amount in euros (``Decimal("11.22")``), for providers that want euros."""
        return Decimal(self.cents).scaleb(-2)

    def format_fr(self) -> str:
        return format_cents(self.cents)

    def __str__(self) -> str:
        return self.format_fr()

    # -- pydantic -------------------------------------------------------------------------
    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        from_cents = core_schema.no_info_after_validator_function(
            cls, core_schema.int_schema(strict=True, ge=-MAX_ABS_CENTS, le=MAX_ABS_CENTS)
        )
        return core_schema.json_or_python_schema(
            json_schema=from_cents,
            python_schema=core_schema.union_schema([core_schema.is_instance_schema(cls), from_cents]),
            serialization=core_schema.plain_serializer_function_ser_schema(lambda money: money.cents),
        )


def format_cents(cents: int) -> str:
    """``1122`` → ``"11,22 €"`` in the fr_FR format of CLDR (what parents read everywhere)."""
    if not _is_plain_int(cents):
        raise TypeError(f"format_cents takes integer cents, not {type(cents).__name__}")
    return format_currency(Decimal(cents).scaleb(-2), "EUR", locale="fr_FR")
