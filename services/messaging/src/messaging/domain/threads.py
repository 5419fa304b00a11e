"""Who may do what with a thread.

A thread belongs to the parent who started it (their user id), whether or not their
account is linked to a family file: ownership by user keeps a parent's messages theirs
when several guardians share a dossier (coming, see PRODUCT.md). A foreign thread is
answered as missing, never as forbidden, so ids cannot be probed.

Staff reach a theme's threads through the theme's role; ``admin`` reaches every theme.
The messaging configuration (themes, reply templates, delivery log) belongs to
``messaging_staff``.
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import Forbidden, InvalidInput, ThreadClosed

ADMIN = "admin"
MESSAGING_STAFF = "messaging_staff"
THEME_ROLES = frozenset({"accounts_staff", "planning_staff", "billing_staff", "messaging_staff"})

OPEN = "open"
CLOSED = "closed"


def can_handle_theme(roles: Iterable[str], theme_role: str) -> bool:
    roles = frozenset(roles)
    return ADMIN in roles or theme_role in roles


def handled_roles(roles: Iterable[str]) -> frozenset[str] | None:
    """The theme roles whose threads this agent reaches; None means every theme."""
    roles = frozenset(roles)
    if ADMIN in roles:
        return None
    mine = roles & THEME_ROLES
    if not mine:
        raise Forbidden()
    return mine


def ensure_open(state: str) -> None:
    if state != OPEN:
        raise ThreadClosed()


def ensure_theme_role(role: str) -> str:
    if role not in THEME_ROLES:
        raise InvalidInput(
            "Rôle inconnu : choisissez parmi " + ", ".join(sorted(THEME_ROLES)) + ".", field="staff_role"
        )
    return role
