"""Places of one activity on one day.

``taken = confirmed + held``: confirmed reservations plus the places held by baskets being
paid (frozen at checkout until paid, failed or expired). Baskets still open hold nothing:
ticking a day does not take a place, paying for it does — so the race for the last places is
decided at « Payer ».

This value answers « is there room? » for the grid and for the rules; it cannot prevent two
concurrent checkouts from both seeing one place left. The real guard is in the store: a
conditional update that takes the places only if they are still free
(``UPDATE day_places SET held = held + $n WHERE ... AND confirmed + held + $n <= capacity``)
inside the checkout transaction; a day whose update touches no row is full.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DayCapacity:
    capacity: int
    confirmed: int = 0
    held: int = 0

    @property
    def taken(self) -> int:
        return self.confirmed + self.held

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.taken, 0)

    @property
    def is_full(self) -> bool:
        return self.places_left == 0

    def can_take(self, n: int = 1) -> bool:
        return n <= self.places_left

    def hold(self, n: int = 1) -> DayCapacity:
        if not self.can_take(n):
            raise ValueError("not enough places left")
        return DayCapacity(self.capacity, self.confirmed, self.held + n)

    def confirm(self, n: int = 1) -> DayCapacity:
        """Held places become confirmed (the basket was paid)."""
        return DayCapacity(self.capacity, self.confirmed + n, max(self.held - n, 0))

    def release(self, n: int = 1) -> DayCapacity:
        """Held places are given back (payment failed or the hold expired)."""
        return DayCapacity(self.capacity, self.confirmed, max(self.held - n, 0))

    def cancel(self, n: int = 1) -> DayCapacity:
        """Confirmed places are given back (a paid day was unbooked)."""
        return DayCapacity(self.capacity, max(self.confirmed - n, 0), self.held)


Capacity = DayCapacity
