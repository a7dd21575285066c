"""The WeLoop API at /api/v1/: one NinjaAPI, its authentication, its error rendering, its routers.

Adding a resource: write ``routers/<resource>.py`` with a ``router = Router(tags=[...])`` and add
one line to ``ROUTERS``. Authentication, error rendering, Idempotency-Key handling and the shared
OpenAPI documentation then apply to it without anything else.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Router, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.errors import Throttled as NinjaThrottled
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from weloop.api.auth import api_key_auth
from weloop.api.errors import (
    InternalError,
    MalformedJson,
    MethodNotAllowed,
    NulCharacter,
    RequestInvalid,
    Throttled,
)
from weloop.api.guards import find_nul, refuse_nul_characters
from weloop.api.idempotency import idempotent
from weloop.api.openapi import DESCRIPTION, document_shared_behaviour
from weloop.api.routers import (
    analytics,
    bookings,
    campaigns,
    catalog,
    coupons,
    discovery,
    engagement,
    flashsales,
    loyalty,
    members,
    notifications,
    orders,
    presales,
    qrcodes,
    referrals,
    reviews,
    segments,
    service_desk,
    stores,
    tags,
    vouchers,
)
from weloop.core.errors import NotFound, RequestTooLarge, WeloopError
from weloop.core.rendering import render_error
from weloop.tenants.errors import InvalidApiKey

logger = logging.getLogger(__name__)

ROUTERS: list[tuple[str, Router]] = [
    ("/stores/nearby", discovery.router),  # before /stores/{store_id}, which would take "nearby"
    ("/stores", stores.router),
    ("/members", members.router),
    ("/members", tags.member_tags_router),
    ("/tags", tags.router),
    ("/tag-rules", tags.rules_router),
    ("/qrcodes", qrcodes.router),
    ("/products", catalog.products_router),
    ("/skus", catalog.skus_router),
    ("/categories", catalog.categories_router),
    ("/orders", orders.router),
    ("/conversations", service_desk.conversations_router),
    ("/tickets", service_desk.tickets_router),
    ("/reviews", reviews.router),
    ("/deals", vouchers.deals_router),
    ("/vouchers", vouchers.vouchers_router),
    ("/flash-sales", flashsales.router),
    ("/bookings", bookings.bookings_router),
    ("/booking-services", bookings.services_router),
    ("/booking-slots", bookings.slots_router),
    ("/notifications", notifications.router),
    ("/attribution", analytics.attribution_router),
    ("/performance", analytics.performance_router),
    ("/referrals", referrals.router),
    ("/campaigns", campaigns.router),
    ("/segments", segments.router),
    ("/presales", presales.router),
    ("/events", engagement.events_router),
    ("/surveys", engagement.surveys_router),
    ("/coupons", coupons.router),
    ("/loyalty", loyalty.router),
    ("/stored-value", loyalty.stored_value_router),
]


class JsonBodyParser(Parser):
    """Parse bodies as JSON; a body that is not JSON is 400 request.malformed_json, with where."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            data = json.loads(request.body)
        except json.JSONDecodeError as exc:
            raise MalformedJson(extra={"line": exc.lineno, "column": exc.colno, "reason": exc.msg}) from exc
        except (ValueError, RecursionError) as exc:  # bad UTF-8, absurd nesting, giant integers
            raise MalformedJson(extra={"reason": str(exc)[:200]}) from exc
        if field := find_nul(data):
            raise NulCharacter(extra={"field": field})
        return data


class ReadableJsonRenderer(JSONRenderer):
    # Chinese store names stay readable in responses, as in the error bodies.
    json_dumps_params = {"ensure_ascii": False}


class WeloopAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict | None = None) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return document_shared_behaviour(schema)

    def get_openapi_operation_id(self, operation: Any) -> str:
        # Short ids for generated clients: the operation's function name (unique: a test checks).
        return operation.view_func.__name__


api = WeloopAPI(
    title="WeLoop API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=api_key_auth,
    parser=JsonBodyParser(),
    renderer=ReadableJsonRenderer(),
    # The bundled Swagger UI (ninja/static/ninja/, "ninja" is in INSTALLED_APPS): no CDN, and no
    # call to swagger.io's online validator either, so the page works offline.
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": True, "displayRequestDuration": True}),
)
# "view" decorators wrap ninja's whole operation run (auth, parsing, rendering); the last added
# runs first: bad characters are refused before an Idempotency-Key is claimed.
api.add_decorator(idempotent, mode="view")
api.add_decorator(refuse_nul_characters, mode="view")
for prefix, router in ROUTERS:
    api.add_router(prefix, router)


# --- errors: every one rendered as {"code", "message", "extra"} --------------------------------


def render(request: HttpRequest, error: WeloopError) -> HttpResponse:
    response = render_error(request, error)
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="weloop"'
    return response


@api.exception_handler(WeloopError)
def _weloop_error(request: HttpRequest, exc: WeloopError) -> HttpResponse:
    return render(request, exc)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [_describe(error) for error in exc.errors]
    first = errors[0] if errors else {"field": "request", "message": "invalid"}
    return render(request, RequestInvalid(f"{first['field']}: {first['message']}", extra={"errors": errors}))


def _describe(error: dict[str, Any]) -> dict[str, Any]:
    """One pydantic problem as {field, loc, message, type}; ``field`` reads like ``hours[0].opens``."""
    loc = list(error.get("loc", ()))
    source, rest = (loc[0], loc[1:]) if loc else ("request", [])
    if source == "body":
        rest = rest[1:]  # ninja puts the body parameter's own name first: not part of the JSON
    field = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in rest).lstrip(".")
    return {"field": field or source, "loc": loc, "message": error.get("msg", ""), "type": error.get("type", "")}


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, WeloopError):  # e.g. MalformedJson, wrapped by ninja's body parsing
        return render(request, exc.__cause__)
    if isinstance(exc, AuthenticationError):
        return render(request, InvalidApiKey())
    if isinstance(exc, NinjaThrottled):
        return render(request, Throttled(extra={"retry_after_seconds": exc.wait}))
    known = {404: NotFound, 405: MethodNotAllowed, 413: RequestTooLarge}.get(exc.status_code)
    if known is not None:
        return render(request, known(str(exc)))
    body = {"code": f"http.{exc.status_code}", "message": str(exc), "extra": {}}
    return api.create_response(request, body, status=exc.status_code)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return render(request, NotFound())


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return render(request, RequestTooLarge())


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    # A bug, not bad input: log it with its traceback; the client gets JSON, never a stack trace.
    logger.exception("API %s %s failed", request.method, request.path, exc_info=exc)
    return render(request, InternalError())
