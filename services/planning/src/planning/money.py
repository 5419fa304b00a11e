"""Amounts as parents read them: integer cents → « 11,22 € » (CLDR fr_FR through Babel)."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency


def euros(cents: int) -> str:
    return format_currency(Decimal(cents) / 100, "EUR", locale="fr_FR")
