"""Attachments: the content decides the type; the name is rebuilt."""

from __future__ import annotations

import pytest
from messaging.domain.attachments import (
    DEFAULT_MAX_BYTES,
    accept_attachment,
    sanitize_filename,
    sniff_content_type,
)
from messaging.domain.errors import AttachmentTooLarge, UnsupportedAttachment

PDF = b"%PDF-1.7\n..."
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00"


def test_types_come_from_magic_bytes():
    assert sniff_content_type(PDF) == "application/pdf"
    assert sniff_content_type(JPEG) == "image/jpeg"
    assert sniff_content_type(PNG) == "image/png"
    for other in (b"MZ\x90\x00", b"PK\x03\x04", b"<html>", b"GIF89a", b"", b" %PDF-"):
        assert sniff_content_type(other) is None


def test_a_program_named_pdf_is_refused():
    with pytest.raises(UnsupportedAttachment):
        accept_attachment("facture.pdf", b"MZ\x90\x00" + b"\x00" * 100, max_bytes=DEFAULT_MAX_BYTES)


def test_size_limit_is_inclusive():
    assert DEFAULT_MAX_BYTES == 5 * 1024 * 1024
    accepted = accept_attachment("a.pdf", PDF + b"0" * (1000 - len(PDF)), max_bytes=1000)
    assert accepted.size_bytes == 1000 and len(accepted.sha256) == 64
    with pytest.raises(AttachmentTooLarge):
        accept_attachment("a.pdf", PDF + b"0" * (1001 - len(PDF)), max_bytes=1000)


@pytest.mark.parametrize(
    "raw, content_type, expected",
    [
        ("certificat.pdf", "application/pdf", "certificat.pdf"),
        ("C:\\Users\\léa\\Scan 1.JPEG", "image/jpeg", "Scan 1.jpg"),
        ("../../etc/passwd", "application/pdf", "passwd.pdf"),
        ("..%2F..%2Fsecret.pdf", "application/pdf", "secret.pdf"),
        ("photo.pdf", "image/png", "photo.png"),
        ('a"b<c>d|e?.pdf', "application/pdf", "a_b_c_d_e_.pdf"),
        ("bell\x07.pdf", "application/pdf", "bell.pdf"),
        ("", "application/pdf", "piece-jointe.pdf"),
        (None, "image/png", "piece-jointe.png"),
        ("...", "application/pdf", "piece-jointe.pdf"),
        ("x" * 300 + ".pdf", "application/pdf", "x" * 96 + ".pdf"),
        ("rapport.final.docx", "application/pdf", "rapport.final.docx.pdf"),
    ],
)
def test_file_names_are_sanitised(raw, content_type, expected):
    assert sanitize_filename(raw, content_type) == expected
