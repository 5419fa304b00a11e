"""Use cases: one function per thing a parent, a staff member, planning or the provider asks for.

HTTP handlers (api.py, admin_api.py, internal_api.py), request/reply handlers (rpc.py) and
event handlers (consumers.py) call these; each write runs in one unit of work, with its
ledger entries and its outbox events in the same transaction. One module per area:
``copies`` (families, activities, attendance from other services' events), ``prices``
(tariff grids, QFs), ``checkout`` (quotes and payment creation), ``settlement`` (what happens
to a payment afterwards: notifications, late ones, planning's answers), ``credits`` (staff
credits and refunds), ``queries`` (what parents and staff read).
"""

from .deps import Billing, Event

__all__ = ["Billing", "Event"]
