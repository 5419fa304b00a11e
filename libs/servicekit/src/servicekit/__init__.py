"""Shared runtime plumbing of Portail Famille.

Plumbing only: settings, logging, database and migrations, the event bus (outbox, inbox,
request/reply), identity tokens, the web shell and route tables with their OpenAPI
document; and what every service's HTTP shell and use cases share: domain errors as
problems (``errors``), request reading (``requests``), Idempotency-Key replay
(``idempotency``), signed pagination cursors (``pagination``), the unit of work (``uow``),
typed integration events and their catalogue (``events``, ``catalogue``, ``contracts``).
See docs/servicekit.md. No service's domain lives here.
"""
