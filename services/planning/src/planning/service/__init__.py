"""Use cases: one function per thing a parent, an agent, an event or a job asks for.

HTTP handlers (api.py, admin_api.py), event handlers (consumers.py) and the jobs call
these; each write runs in one unit of work with its events (outbox). Areas: ``catalog``
(staff configuration), ``children`` (accounts' copy, enrolments), ``months`` (the grid and
« Valider »), ``basket`` (the basket and « Payer »), ``payments`` (billing's answers and the
expiry job), ``lists`` (daily lists, attendance, exports), ``reminders``.
"""

from .deps import Planning

__all__ = ["Planning"]
