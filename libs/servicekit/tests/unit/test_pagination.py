"""Signed pagination cursors and the ``limit`` parameter."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

import pytest
from servicekit.errors import Invalid
from servicekit.pagination import MAX_LIMIT, CursorCodec, parse_limit

CODEC = CursorCodec("s" * 40)


def test_a_cursor_round_trips_its_typed_parts():
    at, row_id = datetime(2026, 3, 1, 8, 30, tzinfo=UTC), uuid.uuid4()
    cursor = CODEC.encode(at, row_id, "Dupont", 7)
    assert CODEC.decode(cursor, datetime, uuid.UUID, str, int) == (at, row_id, "Dupont", 7)
    assert CODEC.decode(None, datetime) is None
    assert CODEC.decode("", datetime) is None


def _refused(cursor: str, *types) -> dict:
    with pytest.raises(Invalid) as caught:
        CODEC.decode(cursor, *types)
    problem = caught.value.to_problem()
    assert problem.status == 422
    return problem.errors[0]


def test_an_edited_cursor_is_refused_in_french():
    cursor = CODEC.encode("Dupont", 7)
    body, _, signature = cursor.partition(".")
    forged = base64.urlsafe_b64encode(b'["Dupont",8]').decode().rstrip("=") + "." + signature
    assert _refused(forged, str, int) == {
        "field": "cursor",
        "code": "invalid_cursor",
        "message": "Ce curseur de pagination n'est pas valide.",
    }


def test_a_cursor_signed_with_another_key_is_refused():
    assert _refused(CursorCodec("o" * 40).encode(1), int)["code"] == "invalid_cursor"


@pytest.mark.parametrize("cursor", ["garbage", "a.b.c", "x" * 700, "!!!.???", "."])
def test_malformed_cursors_are_refused(cursor):
    assert _refused(cursor, int)["field"] == "cursor"


def test_parts_of_the_wrong_type_or_number_are_refused():
    assert _refused(CODEC.encode("not a date"), datetime)["code"] == "invalid_cursor"
    assert _refused(CODEC.encode(1, 2), int)["code"] == "invalid_cursor"
    assert _refused(CODEC.encode("1"), int)["code"] == "invalid_cursor"


def test_naive_datetimes_cannot_become_cursors():
    with pytest.raises(ValueError):
        CODEC.encode(datetime(2026, 1, 1))


def test_page_cuts_the_extra_row_and_points_past_the_last_kept():
    rows = [{"id": i} for i in range(4)]
    page, cursor = CODEC.page(rows, 3, key=lambda r: (r["id"],))
    assert page == rows[:3]
    assert CODEC.decode(cursor, int) == (2,)
    assert CODEC.page(rows, 4, key=lambda r: (r["id"],)) == (rows, None)


def test_parse_limit_bounds():
    assert parse_limit(None) == 20
    assert parse_limit("") == 20
    assert parse_limit("7") == 7
    assert parse_limit(str(MAX_LIMIT)) == MAX_LIMIT
    assert parse_limit("5", default=10, maximum=5) == 5
    for raw in ("0", "-1", "101", "abc", "1.5"):
        with pytest.raises(Invalid) as caught:
            parse_limit(raw)
        assert caught.value.errors[0].field == "limit"
        assert caught.value.errors[0].message == "La limite doit être un entier entre 1 et 100."
