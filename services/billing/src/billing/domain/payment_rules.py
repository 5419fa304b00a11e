"""What every online payment must respect, whichever provider carries it.

The limits are PayFiP's, the strictest provider we speak to; the simulated Treasury applies the
same ones so that development refuses what production would. They come from eopayment's
``payfip_ws`` backend (3.15): ``minimal_amount = 1.0`` and ``maximal_amount = 100000.0`` euros;
and its ``tipi`` backend's ``REFDET_RE = ^[a-zA-Z0-9]{6,30}$`` (``payfip_ws`` accepts 1 to 30
characters; we keep 6 to 30 so that a reference valid for one is valid for both).

- :data:`PAYFIP_LIMITS` (:class:`AmountLimits`, 1,00 € to 100 000,00 €, both inclusive);
  ``limits.check(amount)`` raises :class:`InvalidInput` ``payment_amount_out_of_limits`` with a
  French sentence naming the bounds.
- :data:`OPERATION_LIFETIME` (15 minutes): how long a PayFiP operation (``idOp``) can be paid;
  after it (plus a margin the caller picks) a payment never notified is asked for its result.
- ``new_refdet(payment_id, on)`` → 28 characters ``YYYYMMDD`` + 20 upper-case hex digits of the
  payment's UUID: derived from the payment, so retrying a creation gives the same reference;
  ``check_refdet(text)`` refuses anything but 6–30 ASCII letters and digits
  (``refdet_invalid``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from billing.domain.errors import InvalidInput
from billing.domain.money import Money

OPERATION_LIFETIME = timedelta(minutes=15)

_REFDET = re.compile(r"^[A-Za-z0-9]{6,30}$")
REFDET_MIN_LENGTH = 6
REFDET_MAX_LENGTH = 30


@dataclass(frozen=True)
class AmountLimits:
    minimum: Money
    maximum: Money

    def __post_init__(self) -> None:
        if not (Money.zero() < self.minimum <= self.maximum):
            raise ValueError("payment limits need 0 < minimum <= maximum")

    def allows(self, amount: Money) -> bool:
        if not isinstance(amount, Money):
            raise TypeError("payment limits apply to Money")
        return self.minimum <= amount <= self.maximum

    def check(self, amount: Money) -> Money:
        if not self.allows(amount):
            raise InvalidInput(
                f"Un paiement en ligne doit être compris entre {self.minimum.format_fr()} "
                f"et {self.maximum.format_fr()}.",
                code="payment_amount_out_of_limits",
            )
        return amount


PAYFIP_LIMITS = AmountLimits(minimum=Money(100), maximum=Money(10_000_000))


def check_refdet(value: object) -> str:
    if not isinstance(value, str) or _REFDET.match(value) is None:
        raise InvalidInput(
            "La référence de paiement doit compter de 6 à 30 lettres ou chiffres, sans espace ni accent.",
            code="refdet_invalid",
        )
    return value


def new_refdet(payment_id: UUID, on: date) -> str:
    """The payment's reference at the Treasury, readable (its date first) and stable."""
    if not isinstance(payment_id, UUID):
        raise TypeError("a refdet is derived from the payment's UUID")
    return check_refdet(f"{on:%Y%m%d}{payment_id.hex[:20].upper()}")
