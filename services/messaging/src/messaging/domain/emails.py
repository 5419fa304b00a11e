"""Rules of outgoing e-mail: addresses, masking, retry schedule, delivery outcomes."""

from __future__ import annotations

import re
from enum import StrEnum

PENDING = "pending"
SENT = "sent"
BOUNCED = "bounced"
SUPPRESSED = "suppressed"
FAILED = "failed"
STATES = (PENDING, SENT, BOUNCED, SUPPRESSED, FAILED)

# « Confirmation par email »: one copy per message, found again by this key's prefix.
MESSAGE_COPY_KEY = "message_copy:"

ADDRESS_MAX = 254
# Deliberately plain: one @, no spaces, no characters that could break an SMTP envelope or
# a header. Whether the mailbox exists is the receiving server's answer (a bounce).
_ADDRESS = re.compile(r"^[^\s@<>()\[\],;:\"\\]+@[^\s@<>()\[\],;:\"\\]+$")
_ANY_ADDRESS = re.compile(r"[^\s@<>()\[\],;:\"\\]+@[^\s@<>()\[\],;:\"\\]+")


class Outcome(StrEnum):
    SENT = "sent"
    TRANSIENT = "transient"  # try again later (4xx, server unreachable)
    BOUNCED = "bounced"  # the recipient's server refused the address for good (5xx at RCPT)
    FAILED = "failed"  # refused for good for another reason (5xx at DATA, unusable address)


def normalize_address(address: str) -> str:
    return address.strip().lower()


def is_plausible_address(address: str) -> bool:
    return len(address) <= ADDRESS_MAX and bool(_ADDRESS.match(address)) and address.isprintable()


def mask_address(address: str | None) -> str | None:
    """``arnaud.lederf@example.org`` → ``a***f@example.org``: enough for an agent to
    recognise an address or spot a mistyped domain, not enough to harvest it."""
    if not address:
        return None
    local, _, domain = address.rpartition("@")
    if not local:
        return "***"
    shown = local[0] + "***" + (local[-1] if len(local) > 2 else "")
    return f"{shown}@{domain}"


def redact_addresses(text: str) -> str:
    return _ANY_ADDRESS.sub("<adresse>", text)


def retry_delay_seconds(attempts: int, *, base: float, cap: float) -> float:
    """Exponential back-off after ``attempts`` failed attempts (1 → base, 2 → 2 base...)."""
    return float(min(cap, base * 2 ** max(0, attempts - 1)))


def outcome_for_code(code: int | None) -> Outcome:
    if code is not None and 500 <= code < 600:
        return Outcome.FAILED
    return Outcome.TRANSIENT


def display_name(first_name: str | None, last_name: str | None) -> str:
    """« Arnaud LE DERF », as the town's letters write it."""
    parts = [p for p in ((first_name or "").strip(), (last_name or "").strip().upper()) if p]
    return " ".join(parts)
