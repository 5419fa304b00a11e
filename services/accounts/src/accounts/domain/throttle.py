"""How fast someone may guess: dossier references, passwords.

Counting happens in the database (rows of attempts, kind + key + time); these functions
only say what the counts mean. Windows are sliding: an attempt counts for 15 minutes.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=15)

# Dossier references: 5 wrong tries per window, per client and per dossier number.
DOSSIER_TRIES = 5

# Passwords: 5 free failures per username, then a delay doubling at each failure
# (15 s, 30 s, 1 min ... capped at 15 min) which a successful login clears. The real user
# is slowed, never locked out. Per client address: 50 failures per window, then a wait.
LOGIN_FREE_FAILURES = 5
LOGIN_FIRST_DELAY_SECONDS = 15
LOGIN_MAX_DELAY_SECONDS = 15 * 60
LOGIN_IP_FAILURES = 50

# Password-reset e-mails: a few per address and per client, silently (the answer is
# always 202), so that nobody can flood a parent's mailbox.
RESET_PER_EMAIL = 3
RESET_PER_CLIENT = 20

# New accounts: each sends an activation e-mail to the address typed in, so registrations
# per client are capped too, or anyone could flood any mailbox. A town hall's public
# computer registering a few families in a row stays well under it.
REGISTRATIONS_PER_CLIENT = 10


def window_start(now: datetime) -> datetime:
    return now - WINDOW


def login_delay_seconds(failures: int) -> int:
    """The wait required after the last failure, given the failures in the window."""
    if failures < LOGIN_FREE_FAILURES:
        return 0
    exponent = failures - LOGIN_FREE_FAILURES
    if exponent >= 16:  # 15 * 2**16 is far past the cap; avoid huge integers
        return LOGIN_MAX_DELAY_SECONDS
    return min(LOGIN_FIRST_DELAY_SECONDS * 2**exponent, LOGIN_MAX_DELAY_SECONDS)


def seconds_until(moment: datetime, now: datetime) -> int:
    """Whole seconds to wait until ``moment`` (at least 1, so Retry-After is never 0)."""
    return max(1, math.ceil((moment - now).total_seconds()))


def login_retry_after(failures: int, last_failure_at: datetime | None, now: datetime) -> int | None:
    """Seconds before this username may try again, or None when it may try now."""
    delay = login_delay_seconds(failures)
    if delay == 0 or last_failure_at is None:
        return None
    allowed_at = last_failure_at + timedelta(seconds=delay)
    if now >= allowed_at:
        return None
    return seconds_until(allowed_at, now)


def window_retry_after(limit_th_recent_at: datetime | None, now: datetime) -> int | None:
    """For "at most N per window": given the time of the N-th most recent attempt
    (None when there are fewer than N), the seconds until one more is allowed."""
    if limit_th_recent_at is None:
        return None
    allowed_at = limit_th_recent_at + WINDOW
    if now >= allowed_at:
        return None
    return seconds_until(allowed_at, now)
