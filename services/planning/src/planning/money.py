"""Amounts as parents read them: integer cents → « 11,22 € » (CLDR fr_FR through Babel).

Babel takes ~17 µs an amount (its locale and pattern looked up each time) and a
« Valider » answers a few (each day's and the period's): the same few amounts come back
all day, each is formatted once per process and kept.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency


@lru_cache(maxsize=4096)
def euros(cents: int) -> str:
    return format_currency(Decimal(cents) / 100, "EUR", locale="fr_FR")
