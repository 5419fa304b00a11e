"""What an uploaded file really is, read from its first bytes (never from its name).

Services accept a few document types from parents (messaging's attachments, billing's QF
proofs): PDF, JPEG and PNG, and hand stored files back (``download_response``). ``sniff_content_type(content)`` answers the type its magic bytes
announce, or ``None`` when they announce none of those **or** when the file also carries
HTML/script markup anywhere (a polyglot: a file that starts like a PDF but that a browser
would render as a page if it were ever served with the wrong type). A genuine scan, photo or
PDF made by an office suite carries none of these tags; XMP metadata (``<x:xmpmeta``,
``<rdf:RDF``) is XML, not HTML, and is not refused.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from aiohttp import web

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"

# (magic prefix, content type, extension)
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", PDF, ".pdf"),
    (b"\xff\xd8\xff", JPEG, ".jpg"),
    (b"\x89PNG\r\n\x1a\n", PNG, ".png"),
)
EXTENSIONS = {content_type: ext for _, content_type, ext in SIGNATURES}

# Tags a browser acts on. Searched case-insensitively in the whole file: a polyglot hides its
# page after the header, often far from the start.
_MARKUP = re.compile(
    rb"<\s*(?:!doctype\s+html|html|head|body|script|iframe|object|embed|svg|meta|form|img\s[^>]*on\w+\s*=)",
    re.IGNORECASE,
)


def has_markup(content: bytes) -> bool:
    """Whether ``content`` carries HTML/script tags anywhere."""
    return _MARKUP.search(content) is not None


def magic_type(content: bytes) -> str | None:
    """The type the first bytes announce (PDF, JPEG, PNG), or ``None``."""
    for magic, content_type, _ in SIGNATURES:
        if content.startswith(magic):
            return content_type
    return None


def sniff_content_type(content: bytes) -> str | None:
    """PDF, JPEG or PNG as the content shows it; ``None`` for anything else or a polyglot."""
    content_type = magic_type(content)
    if content_type is None or has_markup(content):
        return None
    return content_type


def download_response(content: bytes, content_type: str, filename: str) -> web.Response:
    """Stored bytes as a download: never rendered inline, never sniffed, never cached.

    ``filename`` may hold any character (« avis d'impôt.pdf »): the header carries an ASCII
    fallback and the exact name (RFC 6266 ``filename*``)."""
    fallback = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in filename)
    return web.Response(
        body=content,
        content_type=content_type,
        headers={
            "Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
        },
    )
