"""How fast someone may guess: dossier references, passwords.

Counting happens in the database (rows of attempts, kind + key + time); these functions
only say what the counts mean. Windows are sliding: an attempt counts for ``window``.

Nobody may lock another household out: failures count per client (its real address, as
the gateway signed it) and per (client, username) or (client, dossier number) pair. What
is known about a username or a dossier number from everywhere is only a signal that makes
the *guessing clients* wait sooner (no free tries for a client that already failed on it);
a client that has not failed on it — the real family, typing the right answer from its own
device — is never refused because of someone else's guesses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Limits:
    """The throttle's numbers; the service reads them from ``ACCOUNTS_*`` settings."""

    window_seconds: int = 15 * 60
    # Passwords, per (client, username): free failures, then a delay doubling at each
    # failure (15 s, 30 s, 1 min ... capped), which a successful login clears.
    login_free_failures: int = 5
    login_first_delay_seconds: int = 15
    login_max_delay_seconds: int = 15 * 60
    # Per client, whatever the usernames: this many failures per window, then a wait.
    login_client_failures: int = 50
    # Failures on one username from every client in the window past which a client that
    # failed on it gets no free try any more (a guess spread over many addresses).
    login_username_alert: int = 20
    # Dossier references, per (client, number) and per client; number-wide alert as above.
    dossier_tries: int = 5
    dossier_client_tries: int = 10
    dossier_number_alert: int = 20
    # Password-reset e-mails: a few per address and per client, silently (the answer is
    # always 202), so that nobody can flood a parent's mailbox.
    reset_per_email: int = 3
    reset_per_client: int = 20
    # New accounts per client: each sends an activation e-mail to the address typed in. A
    # town hall's public computer registering a few families in a row stays well under it.
    registrations_per_client: int = 10
    # « Renvoyer l'e-mail » of the welcome page: per address typed and per client (per
    # window) the answer says when to try again — counted whether the address is known or
    # not, so it tells nothing; per pending account, per day, silently past the cap.
    resend_per_email: int = 3
    resend_per_client: int = 20
    resend_per_account_per_day: int = 5

    @property
    def window(self) -> timedelta:
        return timedelta(seconds=self.window_seconds)

    def window_start(self, now: datetime) -> datetime:
        return now - self.window


DEFAULT = Limits()
# The window of the per-account cap of resent activation links (attempts are kept a day).
RESEND_ACCOUNT_WINDOW = timedelta(days=1)


def window_start(now: datetime, limits: Limits = DEFAULT) -> datetime:
    return limits.window_start(now)


def login_delay_seconds(failures: int, limits: Limits = DEFAULT, *, free: int | None = None) -> int:
    """The wait required after the last failure, given the pair's failures in the window."""
    free = limits.login_free_failures if free is None else free
    if failures < free:
        return 0
    exponent = failures - free
    if exponent >= 32:  # far past any cap; avoid huge integers
        return limits.login_max_delay_seconds
    return min(limits.login_first_delay_seconds * 2**exponent, limits.login_max_delay_seconds)


def seconds_until(moment: datetime, now: datetime) -> int:
    """Whole seconds to wait until ``moment`` (at least 1, so Retry-After is never 0)."""
    return max(1, math.ceil((moment - now).total_seconds()))


def login_retry_after(
    failures: int,
    last_failure_at: datetime | None,
    now: datetime,
    limits: Limits = DEFAULT,
    *,
    username_failures: int = 0,
) -> int | None:
    """Seconds before this client may try this username again, or None when it may now.

    ``failures`` are the pair's; ``username_failures`` those of every client. Under a
    spread attack the guessing clients lose their free tries, but a client with no
    failure of its own on the username is never held.
    """
    if failures == 0:
        return None
    free = 1 if username_failures >= limits.login_username_alert else None
    delay = login_delay_seconds(failures, limits, free=free)
    if delay == 0 or last_failure_at is None:
        return None
    allowed_at = last_failure_at + timedelta(seconds=delay)
    if now >= allowed_at:
        return None
    return seconds_until(allowed_at, now)


def dossier_pair_limit(number_failures: int, limits: Limits = DEFAULT) -> int:
    """Wrong tries one client gets on one dossier number (fewer while it is under attack)."""
    return 1 if number_failures >= limits.dossier_number_alert else limits.dossier_tries


def window_retry_after(limit_th_recent_at: datetime | None, now: datetime, limits: Limits = DEFAULT) -> int | None:
    """For "at most N per window": given the time of the N-th most recent attempt
    (None when there are fewer than N), the seconds until one more is allowed."""
    if limit_th_recent_at is None:
        return None
    allowed_at = limit_th_recent_at + limits.window
    if now >= allowed_at:
        return None
    return seconds_until(allowed_at, now)


def pair_key(subject: str, client: str) -> str:
    """The key of a (username or dossier number, client) pair; the subject comes first so
    that every pair of one subject can be cleared at once."""
    return f"{subject}\n{client}"
