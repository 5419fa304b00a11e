"""Staff roles and who may hand them out."""

from __future__ import annotations

from collections.abc import Iterable

STAFF_ROLES = ("accounts_staff", "planning_staff", "billing_staff", "messaging_staff", "admin")
ADMIN = "admin"


def unknown_roles(roles: Iterable[str]) -> list[str]:
    return sorted(set(roles) - set(STAFF_ROLES))


def may_change_roles(actor_roles: Iterable[str], before: Iterable[str], after: Iterable[str]) -> bool:
    """Only an admin grants or removes ``admin``, or touches an admin's roles: accounts
    staff manage the other roles, so nobody climbs above what they already hold."""
    actor, before_set, after_set = set(actor_roles), set(before), set(after)
    if ADMIN in actor:
        return True
    return ADMIN not in before_set and ADMIN not in after_set
