"""What the « Messagerie » pages show of messaging's answers: French dates and sizes, and
the views of a thread and of a box's line (built from messaging's JSON, never trusted to
have every field)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_decimal

PARIS = ZoneInfo("Europe/Paris")
# What messaging stores and serves; anything else is downloaded as bytes.
DOWNLOAD_TYPES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
# messaging's e-mail states: the first two mean the copy is on its way (or arrived).
COPY_STATES = ("pending", "sent", "bounced", "suppressed", "failed")


def french_datetime(value: Any) -> str:
    """RFC 3339 → « 27 novembre 2026 à 11 h 05 », in Europe/Paris time."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    text = format_datetime(moment, "d MMMM y 'à' H 'h' mm", tzinfo=PARIS, locale="fr_FR")
    # French writes the first of the month as an ordinal: « 1er décembre ».
    return "1er" + text[1:] if text.startswith("1 ") else text


def iso_datetime(value: Any) -> str:
    try:
        return datetime.fromisoformat(str(value)).isoformat()
    except ValueError:
        return ""


def french_size(size: Any) -> str:
    try:
        size = int(size)
    except (TypeError, ValueError):
        return ""
    if size < 1024 * 1024:
        return f"{max(1, math.ceil(size / 1024))} ko"
    return f"{format_decimal(size / (1024 * 1024), '#,##0.#', locale='fr_FR')} Mo"


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


@dataclass
class AttachmentView:
    href: str
    filename: str
    kind: str
    size: str


@dataclass
class MessageView:
    id: str
    from_town: bool
    author: str
    body: str
    when: str
    when_iso: str
    new: bool
    attachments: list[AttachmentView] = field(default_factory=list)
    # « Confirmation par email »: the copy's delivery state as messaging stored it; None: not asked.
    email_copy: str | None = None


@dataclass
class ThreadView:
    id: str
    subject: str
    theme: str
    closed: bool
    messages: list[MessageView]

    @property
    def href(self) -> str:
        return f"/messagerie/{self.id}"


def thread_view(doc: dict[str, Any]) -> ThreadView:
    thread_id = _text(doc.get("id"))
    theme = _text(doc.get("theme_label"))
    messages = []
    for m in doc.get("messages") or []:
        if not isinstance(m, dict):
            continue
        from_town = m.get("author") == "staff"
        attachments = [
            AttachmentView(
                href=f"/messagerie/{thread_id}/pieces-jointes/{_text(a.get('id'))}",
                filename=_text(a.get("filename")) or "pièce jointe",
                kind=DOWNLOAD_TYPES.get(_text(a.get("content_type")), "fichier"),
                size=french_size(a.get("size_bytes")),
            )
            for a in m.get("attachments") or []
            if isinstance(a, dict) and a.get("id")
        ]
        messages.append(
            MessageView(
                id=_text(m.get("id")),
                from_town=from_town,
                author=(f"La Mairie — {theme}" if theme else "La Mairie") if from_town else "Vous",
                body=_text(m.get("body")),
                when=french_datetime(m.get("created_at")),
                when_iso=iso_datetime(m.get("created_at")),
                # messaging answers the view taken before marking: null is "new to you".
                new=from_town and m.get("read_at") is None,
                attachments=attachments,
                email_copy=m.get("email_copy") if m.get("email_copy") in COPY_STATES else None,
            )
        )
    return ThreadView(
        id=thread_id,
        subject=_text(doc.get("subject")),
        theme=theme,
        closed=doc.get("state") == "closed",
        messages=messages,
    )


@dataclass
class ThreadSummaryView:
    id: str
    subject: str
    theme: str
    closed: bool
    when: str
    when_iso: str
    unread: int
    has_reply: bool
    messages_count: int


def summary_view(doc: dict[str, Any]) -> ThreadSummaryView:
    try:
        unread = max(0, int(doc.get("unread_replies") or 0))
        count = max(0, int(doc.get("messages_count") or 0))
    except (TypeError, ValueError):
        unread, count = 0, 0
    return ThreadSummaryView(
        id=_text(doc.get("id")),
        subject=_text(doc.get("subject")),
        theme=_text(doc.get("theme_label")),
        closed=doc.get("state") == "closed",
        when=french_datetime(doc.get("last_message_at")),
        when_iso=iso_datetime(doc.get("last_message_at")),
        unread=unread,
        has_reply=bool(doc.get("has_reply")),
        messages_count=count,
    )


# --- helpers --------------------------------------------------------------------------
