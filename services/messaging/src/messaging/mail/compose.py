"""E-mail kinds and their rendering: one Jinja2 template pair per kind, in French.

``templates/<kind>.txt`` holds the subject (``{% block subject %}``) and the plain text;
``templates/<kind>.html`` the HTML part, autoescaped. Rendering is pure: the result is a
row ready for the ``emails`` table.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_currency
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class MailKind:
    name: str
    # The body carries a single-use token (a link): it is wiped once the e-mail is sent.
    contains_secret: bool


KINDS: dict[str, MailKind] = {
    kind.name: kind
    for kind in (
        MailKind("activation", contains_secret=True),
        MailKind("password_reset", contains_secret=True),
        MailKind("password_changed", contains_secret=False),
        MailKind("registration_duplicate", contains_secret=False),
        MailKind("email_change", contains_secret=True),
        MailKind("message_copy", contains_secret=False),
        MailKind("reply_notice", contains_secret=False),
        MailKind("booking_confirmation", contains_secret=False),
        MailKind("booking_reminder", contains_secret=False),
        MailKind("closure_notice", contains_secret=False),
        MailKind("payment_receipt", contains_secret=False),
        MailKind("credit_notice", contains_secret=False),
        MailKind("invoice_issued", contains_secret=False),
        MailKind("qf_campaign_reminder", contains_secret=False),
        MailKind("qf_proof_rejected", contains_secret=False),
        MailKind("document_ready", contains_secret=False),
        MailKind("qf_validated", contains_secret=False),
    )
}

# Words that must never reach a template's context: an e-mail never carries a password.
_FORBIDDEN_CONTEXT_WORDS = ("password", "mot_de_passe", "passwd")


@dataclass(frozen=True)
class OutgoingEmail:
    id: uuid.UUID
    kind: str
    dedupe_key: str
    to_address: str | None  # None only for an e-mail recorded as suppressed (no address known)
    to_name: str
    subject: str
    body_text: str
    body_html: str
    contains_secret: bool
    message_id: str
    user_id: uuid.UUID | None = None
    thread_id: uuid.UUID | None = None
    attachment: Attachment | None = None


@dataclass(frozen=True)
class Attachment:
    """A file the e-mail carries (the invoice's PDF)."""

    filename: str
    content_type: str
    content: bytes


def format_datetime_fr(value: datetime) -> str:
    """« 12/03/2026 à 14h05 », Paris time."""
    local = value.astimezone(PARIS)
    return local.strftime("%d/%m/%Y à %Hh%M")


def format_day_fr(value: date | datetime) -> str:
    """« lundi 14 décembre 2026 » (a datetime: its Paris day)."""
    if isinstance(value, datetime):
        value = value.astimezone(PARIS).date()
    return format_date(value, "EEEE d MMMM y", locale="fr_FR")


def format_deadline_fr(value: datetime) -> str:
    """« vendredi 11 décembre 2026 à 18h00 », Paris time."""
    return f"{format_day_fr(value)} à {value.astimezone(PARIS).strftime('%Hh%M')}"


def format_money_fr(cents: int) -> str:
    """« 11,22 € » (Babel fr_FR, as billing and the pages print amounts): integer cents in."""
    if type(cents) is not int:  # never a float: money is integer cents
        raise TypeError("an amount is integer cents")
    return format_currency(Decimal(cents).scaleb(-2), "EUR", locale="fr_FR")


def join_fr(names: list[str]) -> str:
    """« Arthur », « Arthur et Léa », « Arthur, Léa et Zoé »."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " et " + names[-1]


class MailComposer:
    def __init__(self, *, public_url: str, mail_from: str):
        self.public_url = public_url.rstrip("/")
        domain = parseaddr(mail_from)[1].rpartition("@")[2]
        self.message_id_domain = domain or "portail-famille.local"
        self.env = Environment(
            loader=PackageLoader("messaging.mail", "templates"),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters["date_fr"] = format_datetime_fr
        self.env.filters["day_fr"] = format_day_fr
        self.env.filters["deadline_fr"] = format_deadline_fr
        self.env.filters["money_fr"] = format_money_fr
        self.env.filters["join_fr"] = join_fr
        self.env.globals["portal_url"] = self.public_url + "/"
        self.env.globals["messages_url"] = self.link("/messagerie")

    @classmethod
    def from_settings(cls, settings) -> MailComposer:
        """The composer of messaging's settings (MESSAGING_PUBLIC_URL, MESSAGING_MAIL_FROM)."""
        return cls(public_url=settings.public_url, mail_from=settings.mail_from)

    def link(self, path: str, **query: str) -> str:
        return self.public_url + path + ("?" + urlencode(query) if query else "")

    def render(self, kind: str, context: Mapping[str, Any]) -> tuple[str, str, str]:
        """(subject, text, html) of ``kind`` with ``context``."""
        if kind not in KINDS:
            raise KeyError(f"unknown e-mail kind {kind!r}")
        for key in context:
            if any(word in key.lower() for word in _FORBIDDEN_CONTEXT_WORDS):
                raise ValueError("an e-mail never carries a password")
        text_template = self.env.get_template(f"{kind}.txt")
        html_template = self.env.get_template(f"{kind}.html")
        raw_subject = "".join(text_template.blocks["subject"](text_template.new_context(dict(context))))
        # One line; French no-break spaces (« 11,22 € ») are kept.
        subject = re.sub(r"[ \t\r\n]+", " ", raw_subject).strip()
        text = text_template.render(context)
        html = html_template.render({**context, "subject": subject})
        return subject, text, html

    def compose(
        self,
        kind: str,
        *,
        to_address: str | None,
        to_name: str,
        dedupe_key: str,
        context: Mapping[str, Any],
        user_id: uuid.UUID | None = None,
        thread_id: uuid.UUID | None = None,
        attachment: Attachment | None = None,
    ) -> OutgoingEmail:
        subject, text, html = self.render(kind, {"name": to_name, **context})
        email_id = uuid.uuid4()
        return OutgoingEmail(
            id=email_id,
            kind=kind,
            dedupe_key=dedupe_key,
            to_address=to_address,
            to_name=to_name,
            subject=subject,
            body_text=text,
            body_html=html,
            contains_secret=KINDS[kind].contains_secret,
            message_id=f"<{email_id}@{self.message_id_domain}>",
            user_id=user_id,
            thread_id=thread_id,
            attachment=attachment,
        )


def format_duration_fr(seconds: float) -> str:
    """« 1 heure », « 24 heures », « 30 minutes »: how long a link stays valid."""
    minutes = max(1, round(seconds / 60))
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes > 1 else ''}"
    hours = round(minutes / 60)
    return f"{hours} heure{'s' if hours > 1 else ''}"
