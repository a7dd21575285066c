"""Errors render the same everywhere: JSON for the API and JSON clients, a page for people."""

from __future__ import annotations

import json

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import path

import weloop.urls
from weloop.core.errors import Conflict, NotFound, RequestTooLarge, ValidationFailed, WeloopError
from weloop.core.middleware import RequestSizeLimitMiddleware, WeloopErrorMiddleware
from weloop.core.rendering import render_error, wants_json
from weloop.core.templatetags.weloop_tags import fen


class ShelfEmpty(WeloopError):
    code = "tests.shelf_empty"
    status = 409
    message = "货架空了 / the shelf is empty."


def raising_view(request):
    raise ShelfEmpty(extra={"shelf": 3})


def crashing_view(request):
    raise ZeroDivisionError("a bug")


def plain_view(request):
    return HttpResponse("ok")


# A URLconf for the tests that need views which raise; error handlers are the project's own.
urlpatterns = [
    path("boom/", raising_view),
    path("api/boom/", raising_view),
    path("crash/", crashing_view),
    path("form/", plain_view),
]
handler404 = weloop.urls.handler404
handler500 = weloop.urls.handler500

rf = RequestFactory()


def _json(response) -> dict:
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


# --- the error types ------------------------------------------------------------------------


def test_weloop_error_as_dict_has_code_message_and_extra():
    error = Conflict(extra={"id": "st_1"})

    assert error.as_dict() == {"code": "conflict", "message": Conflict.message, "extra": {"id": "st_1"}}
    assert Conflict("Custom words.").as_dict()["message"] == "Custom words."
    assert str(NotFound()) == "Not found."
    assert NotFound().extra == {}


def test_validation_failed_for_fields_leads_with_the_first_message():
    error = ValidationFailed.for_fields({"name": ["Name is required."], "city": ["Too long."]})

    assert error.detail == "Name is required."
    assert error.extra == {"fields": {"name": ["Name is required."], "city": ["Too long."]}}
    assert ValidationFailed.for_fields({}).detail == "invalid"


# --- wants_json and render_error ------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "accept", "expected"),
    [
        ("/api/v1/stores", "", True),
        ("/api/v1/stores", "text/html", True),
        ("/healthz", "", True),
        ("/dashboard/", "application/json", True),
        ("/dashboard/", "text/html,application/json;q=0.9", False),
        ("/dashboard/", "", False),
        ("/m/bakery/", "*/*", False),
    ],
)
def test_wants_json(path, accept, expected):
    assert wants_json(rf.get(path, HTTP_ACCEPT=accept)) is expected


def test_render_error_gives_api_clients_json_with_code_message_extra():
    response = render_error(rf.get("/api/v1/stores"), ShelfEmpty(extra={"shelf": 3}))

    assert response.status_code == 409
    assert _json(response) == {"code": "tests.shelf_empty", "message": ShelfEmpty.message, "extra": {"shelf": 3}}
    assert "货架空了".encode() in response.content  # not \\u escaped


def test_render_error_gives_people_a_page_with_the_code_and_message():
    response = render_error(rf.get("/dashboard/", HTTP_ACCEPT="text/html"), ShelfEmpty())

    assert response.status_code == 409
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert 'data-error-code="tests.shelf_empty"' in body
    assert "货架空了" in body


def test_render_error_escapes_html_in_the_message():
    response = render_error(rf.get("/dashboard/"), ValidationFailed("<script>alert(1)</script>"))

    assert "<script>alert(1)</script>" not in response.content.decode()
    assert "&lt;script&gt;" in response.content.decode()


# --- middleware -----------------------------------------------------------------------------


@pytest.mark.urls(__name__)
def test_a_weloop_error_from_a_page_view_is_rendered_as_a_page(client):
    response = client.get("/boom/", HTTP_ACCEPT="text/html")

    assert response.status_code == 409
    assert 'data-error-code="tests.shelf_empty"' in response.content.decode()


@pytest.mark.urls(__name__)
def test_a_weloop_error_under_api_is_rendered_as_json(client):
    response = client.get("/api/boom/")

    assert response.status_code == 409
    assert _json(response)["extra"] == {"shelf": 3}


def test_error_middleware_ignores_other_exceptions():
    middleware = WeloopErrorMiddleware(lambda request: HttpResponse())

    assert middleware.process_exception(rf.get("/"), ZeroDivisionError()) is None
    assert middleware.process_exception(rf.get("/api/x"), NotFound()).status_code == 404


@pytest.mark.urls(__name__)
def test_a_bug_renders_the_500_handler_without_leaking_details():
    client = Client(raise_request_exception=False)

    response = client.get("/crash/", HTTP_ACCEPT="application/json")

    assert response.status_code == 500
    assert _json(response)["code"] == "internal_error"
    assert "a bug" not in response.content.decode()


@pytest.mark.django_db
def test_an_unknown_page_is_a_404_in_the_shared_format(client):
    assert _json(client.get("/no-such-page/", HTTP_ACCEPT="application/json"))["code"] == "not_found"

    page = client.get("/no-such-page/", HTTP_ACCEPT="text/html")
    assert page.status_code == 404
    assert 'data-error-code="not_found"' in page.content.decode()


@pytest.mark.urls(__name__)
def test_a_post_without_csrf_token_gets_the_csrf_error():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/form/", {"x": "1"}, HTTP_ACCEPT="application/json")

    assert response.status_code == 403
    assert _json(response)["code"] == "security.csrf_failed"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/dashboard/"])
def test_a_body_over_the_limit_is_refused_with_413_before_any_view(client, settings, path):
    settings.WELOOP_MAX_REQUEST_BYTES = 100

    response = client.post(path, data="x" * 101, content_type="text/plain", HTTP_ACCEPT="application/json")

    assert response.status_code == 413
    assert _json(response) == {
        "code": RequestTooLarge.code,
        "message": RequestTooLarge.message,
        "extra": {"limit_bytes": 100, "got_bytes": 101},
    }


def test_a_body_over_the_limit_gets_a_page_when_a_person_sent_it(settings):
    settings.WELOOP_MAX_REQUEST_BYTES = 10
    middleware = RequestSizeLimitMiddleware(lambda request: HttpResponse("view ran"))

    response = middleware(rf.post("/dashboard/stores/new", data="y" * 11, content_type="text/plain"))

    assert response.status_code == 413
    assert 'data-error-code="request.too_large"' in response.content.decode()


@pytest.mark.parametrize(("length", "view_runs"), [("100", True), ("0", True), ("junk", True), ("101", False)])
def test_request_size_limit_boundary_and_bad_header(settings, length, view_runs):
    settings.WELOOP_MAX_REQUEST_BYTES = 100
    middleware = RequestSizeLimitMiddleware(lambda request: HttpResponse("view ran"))
    request = rf.post("/healthz", data="", content_type="text/plain")
    request.META["CONTENT_LENGTH"] = length

    response = middleware(request)

    assert (response.status_code == 200) is view_runs


# --- healthz --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_reports_database_and_queue_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = _json(response)
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["vendor"] in {"sqlite", "postgresql"}
    assert body["queue"]["ok"] is True
    assert isinstance(body["queue"]["pending"], int)


@pytest.mark.django_db
def test_healthz_is_503_when_the_queue_does_not_answer(client, monkeypatch):
    from huey.contrib.djhuey import HUEY

    def unreachable():
        raise ConnectionError("redis is down")

    monkeypatch.setattr(HUEY, "pending_count", unreachable)

    response = client.get("/healthz")

    assert response.status_code == 503
    body = _json(response)
    assert body["status"] == "degraded"
    assert body["queue"]["ok"] is False
    assert "redis is down" in body["queue"]["error"]
    assert body["database"]["ok"] is True


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_does_not_answer(client, monkeypatch):
    from weloop.core import views

    class DeadConnection:
        vendor = "postgresql"

        def cursor(self):
            raise ConnectionError("could not connect to server")

    monkeypatch.setattr(views, "connection", DeadConnection())

    response = client.get("/healthz")

    assert response.status_code == 503
    assert _json(response)["database"] == {
        "ok": False,
        "vendor": "postgresql",
        "error": "could not connect to server",
    }


# --- template filter ------------------------------------------------------------------------


def test_fen_filter_shows_yuan():
    assert (fen(1230), fen(None), fen(0)) == ("¥12.30", "", "¥0.00")
