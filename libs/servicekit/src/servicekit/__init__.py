"""Shared runtime plumbing of Portail Famille.

Plumbing only: settings, logging, database and migrations, the event bus (outbox, inbox,
request/reply), identity tokens, the web shell, and route tables with their OpenAPI
document. No service's domain lives here.
"""
