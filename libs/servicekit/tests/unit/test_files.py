"""The content sniffing shared by every upload: magic bytes, and polyglots refused."""

from __future__ import annotations

import pytest
from servicekit.files import JPEG, PDF, PNG, has_markup, magic_type, sniff_content_type

PDF_BYTES = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n<x:xmpmeta xmlns:x='adobe:ns:meta/'>\n%%EOF\n"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (PDF_BYTES, PDF),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32, JPEG),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, PNG),
    ],
)
def test_the_three_accepted_types_are_recognised_from_their_bytes(content, expected):
    assert sniff_content_type(content) == expected


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"<!DOCTYPE html><html><body>facture</body></html>",  # an HTML page named .pdf
        b"MZ\x90\x00\x03",  # a Windows program
        b"GIF89a",
        b"PDF-1.4 without its percent sign",
    ],
)
def test_anything_else_is_unknown(content):
    assert sniff_content_type(content) is None


@pytest.mark.parametrize(
    "tail",
    [b"<html><script>alert(1)</script></html>", b"<SCRIPT >fetch('/x')</SCRIPT>", b"<iframe src=x>", b"<svg onload=x>"],
)
def test_a_polyglot_starting_like_a_pdf_but_carrying_a_page_is_refused(tail):
    content = PDF_BYTES + b"\n%" + tail
    assert magic_type(content) == PDF
    assert has_markup(content)
    assert sniff_content_type(content) is None


def test_xmp_metadata_is_not_markup():
    assert not has_markup(PDF_BYTES)
