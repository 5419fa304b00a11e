"""What parents and agents may type."""

from __future__ import annotations

import pytest
from messaging.domain.errors import InvalidInput
from messaging.domain.text import clean_body, clean_label, clean_subject, slugify


def test_text_is_trimmed_and_normalised():
    assert clean_subject("  Allergie  ") == "Allergie"
    assert clean_subject("Ecole\u0301") == "Ecolé"  # NFC
    assert clean_body("Bonjour,\r\n\r\n\tMerci.\r") == "Bonjour,\n\n\tMerci."


@pytest.mark.parametrize("value", ["", "   ", "\t\n"])
def test_blank_is_refused(value):
    with pytest.raises(InvalidInput) as exc:
        clean_body(value)
    assert exc.value.code == "required"


@pytest.mark.parametrize(
    "clean, value",
    [
        (clean_subject, "Bonjour\nBcc: x@example.org"),
        (clean_subject, "Tab\tin subject"),
        (clean_body, "NUL\x00"),
        (clean_body, "bell\x07"),
        (clean_body, "escape\x1b[0m"),
        (clean_body, "DEL\x7f"),
        (clean_body, "C1\x85"),
        (clean_body, "line\u2028separator"),
        (clean_body, "surrogate\ud800"),
    ],
)
def test_control_characters_are_refused(clean, value):
    with pytest.raises(InvalidInput) as exc:
        clean(value)
    assert exc.value.code == "forbidden_characters"


def test_lengths():
    assert clean_subject("x" * 150) == "x" * 150
    assert clean_body("x" * 10_000) == "x" * 10_000
    for clean, too_long in ((clean_subject, "x" * 151), (clean_body, "x" * 10_001), (clean_label, "x" * 81)):
        with pytest.raises(InvalidInput) as exc:
            clean(too_long)
        assert exc.value.code == "too_long"


def test_slugify_theme_codes():
    assert slugify("Périscolaire / Animation") == "periscolaire-animation"
    assert slugify("???") == "theme"
