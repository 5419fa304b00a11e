"""Attachments: the type comes from the content's first bytes, never from the name.

A file called ``facture.pdf`` that starts with ``MZ`` is a Windows program: refused, and so
is a PDF that also carries an HTML page (servicekit.files, shared with billing's QF proofs). The
stored name is rebuilt from what the parent sent (base name only, no control or reserved
characters, bounded) with the extension of the type actually found.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote

from servicekit.files import EXTENSIONS, sniff_content_type

from .errors import AttachmentTooLarge, UnsupportedAttachment

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
FILENAME_MAX = 100

_EQUIVALENT_EXTENSIONS = {".jpeg": ".jpg", ".jpe": ".jpg"}
_RESERVED = re.compile(r'[<>:"/\\|?*;\x00-\x1f\x7f]')


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes

    @property
    def size_bytes(self) -> int:
        return len(self.content)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def sanitize_filename(raw: str | None, content_type: str) -> str:
    extension = EXTENSIONS[content_type]
    # Browsers percent-encode some characters of a file name (%22 for a quote), some
    # clients all of them: decode first, so that an encoded "../" is seen as one.
    name = unquote(raw or "", errors="replace").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = _RESERVED.sub("_", name)
    name = " ".join(name.split()).strip(" .")
    stem, dot, ext = name.rpartition(".")
    if dot and _EQUIVALENT_EXTENSIONS.get("." + ext.lower(), "." + ext.lower()) == extension:
        name = stem
    elif dot and ext.lower() in ("pdf", "jpg", "jpeg", "png"):
        name = stem  # the name lied about the type: keep the stem, fix the extension
    name = name.strip(" .")[: FILENAME_MAX - len(extension)] or "piece-jointe"
    return name + extension


def attachment_too_large(max_bytes: int) -> AttachmentTooLarge:
    """413 naming the ``attachment`` field: for a stored file, and for an upload cut short."""
    return AttachmentTooLarge(
        f"La pièce jointe ne doit pas dépasser {max_bytes // (1024 * 1024) or 1} Mo.", field="attachment"
    )


def accept_attachment(raw_filename: str | None, content: bytes, *, max_bytes: int) -> Attachment:
    """The attachment as stored, or a refusal (too large, or not a PDF/JPEG/PNG)."""
    if len(content) > max_bytes:
        raise attachment_too_large(max_bytes)
    content_type = sniff_content_type(content)
    if content_type is None:
        raise UnsupportedAttachment(field="attachment")
    return Attachment(sanitize_filename(raw_filename, content_type), content_type, content)
