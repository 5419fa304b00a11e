"""Use cases: one function per thing a parent, an agent or an event asks for.

HTTP handlers (api.py, admin_api.py) and event handlers (consumers.py) call these; each
write runs in one unit of work, with its events (outbox) and e-mails (emails table) in
the same transaction. One module per area: ``threads`` (parents), ``inbox`` (staff
inboxes and replies), ``configuration`` (themes, reply templates), ``emails`` (the
e-mail outbox and its delivery log), ``contacts`` (accounts' events), ``families`` (the
children, activities and payments the booking e-mails name), ``bookings`` (planning's
e-mails), ``payments`` (billing's e-mails), ``housekeeping`` (periodic purges).
"""

from .deps import Event, Messaging, Upload

__all__ = ["Event", "Messaging", "Upload"]
