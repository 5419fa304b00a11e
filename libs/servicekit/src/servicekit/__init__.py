"""Shared runtime plumbing of Portail Famille.

Plumbing only: settings, logging, database and migrations, the event bus (outbox, inbox,
request/reply), identity tokens and the web shell. No service's domain lives here.
"""
