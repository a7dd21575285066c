"""Every failure is JSON {"code", "message", "extra"} with a fitting status; bad input is never a 500."""

from __future__ import annotations

import pytest

from weloop.stores import selectors
from weloop.stores.models import Store

pytestmark = pytest.mark.django_db


def _assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "extra"}
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["extra"], dict)
    return body


@pytest.mark.parametrize("raw", [b"{bad json", b'{"name": "x",}', b"\xff\xfe\x00garbage", b"[" * 100_000])
def test_malformed_json_is_400(call, raw, merchant):
    _assert_error(call("POST", "/stores", raw=raw), 400, "request.malformed_json")
    assert not Store.objects.for_merchant(merchant).exists()


def test_malformed_json_says_where(call):
    body = _assert_error(call("POST", "/stores", raw=b'{\n  "name": oops\n}'), 400, "request.malformed_json")
    assert (body["extra"]["line"], body["extra"]["column"]) == (2, 11)


@pytest.mark.parametrize("raw", [b"[1, 2]", b'"a store"', b"null", b"42"])
def test_json_that_is_not_an_object_is_422(call, raw):
    body = _assert_error(call("POST", "/stores", raw=raw), 422, "request.invalid")
    assert body["extra"]["errors"][0]["field"] == "body"


def test_empty_body_is_422(call):
    _assert_error(call("POST", "/stores", raw=b""), 422, "request.invalid")


def test_validation_error_lists_every_problem(call):
    body = _assert_error(call("POST", "/stores", {"name": 5, "hours": "all day"}), 422, "request.invalid")
    fields = {e["field"] for e in body["extra"]["errors"]}
    assert {"name", "address", "city", "latitude", "longitude", "hours"} <= fields
    assert body["message"].split(":")[0] in fields


def test_huge_integer_is_not_a_500(call, store_body):
    response = call("POST", "/stores", raw=b'{"hours": [{"weekday": ' + b"9" * 5000 + b"}]}")
    assert response.status_code in {400, 422}
    assert response.json()["code"] in {"request.malformed_json", "request.invalid"}


@pytest.mark.parametrize(
    ("method", "path", "body", "key", "field"),
    [
        ("POST", "/stores", {"name": "a\x00b"}, None, "name"),
        ("POST", "/stores", {"hours": [{"weekday": 0, "opens": "\x00"}]}, None, "hours[0].opens"),
        ("POST", "/stores", {"x\x00": 1}, None, "x\x00"),
        ("GET", "/stores?city=%00", None, None, "city[0]"),
        ("GET", "/stores/st_%00", None, None, "store_id"),
        ("POST", "/stores", {}, "key\x00", "Idempotency-Key"),
    ],
)
def test_nul_character_is_400_not_a_database_error(call, merchant, method, path, body, key, field):
    # PostgreSQL text cannot hold NUL: without the guard these were 500s there
    error = _assert_error(call(method, path, body, key=key), 400, "request.nul_character")
    assert error["extra"]["field"] == field
    assert not Store.objects.for_merchant(merchant).exists()


def test_unknown_api_path_is_404(call):
    _assert_error(call("GET", "/no-such-thing"), 404, "not_found")


def test_unknown_store_is_404_on_writes_too(call):
    _assert_error(call("PATCH", "/stores/st_NOPE", {"name": "x"}), 404, "not_found")
    _assert_error(call("DELETE", "/stores/st_NOPE/exceptions/2026-01-01"), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/stores", ["GET", "POST"]),
        ("DELETE", "/stores/st_X", ["GET", "PATCH"]),
        ("GET", "/stores/st_X/status", ["POST"]),
        ("POST", "/stores/st_X/exceptions/2026-01-01", ["DELETE", "PUT"]),
    ],
)
def test_wrong_method_is_405_json(call, method, path, allowed):
    body = _assert_error(call(method, path), 405, "request.method_not_allowed")
    assert body["extra"] == {"method": method, "allowed": allowed}


def test_wrong_method_tells_allowed_methods_in_header(call):
    response = call("PUT", "/stores")
    assert response["Allow"] == "GET, POST"


def test_too_large_body_is_413(call, settings, merchant):
    settings.WELOOP_MAX_REQUEST_BYTES = 1024
    body = {"name": "x" * 2000, "address": "a", "city": "c", "latitude": 1, "longitude": 1}
    error = _assert_error(call("POST", "/stores", body, key="big"), 413, "request.too_large")
    assert error["extra"]["limit_bytes"] == 1024
    assert not Store.objects.for_merchant(merchant).exists()


def test_unexpected_failure_is_a_json_500_without_details(call, monkeypatch):
    def broken(**kwargs):
        raise ZeroDivisionError("secret internals")

    monkeypatch.setattr(selectors, "store_list", broken)
    body = _assert_error(call("GET", "/stores"), 500, "internal_error")
    assert "secret" not in body["message"]


def test_domain_error_keeps_its_extra(call, store_body):
    body = _assert_error(call("POST", "/stores", store_body(latitude="north")), 400, "stores.invalid_coordinates")
    assert body["extra"]["latitude"] == "north"
