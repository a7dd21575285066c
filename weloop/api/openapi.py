"""The API's OpenAPI document: the description page and what every operation shares.

``document_shared_behaviour`` adds, to every operation, the error responses the API itself can
give (authentication, validation, idempotency, size limit) and the ``Idempotency-Key`` header on
writes, so an operation declares only its success response and a route added later is documented
the same way without doing anything.
"""

from __future__ import annotations

from typing import Any

from weloop.api.idempotency import HEADER, MAX_KEY_LENGTH, REPLAYED_HEADER, UNSAFE_METHODS
from weloop.api.schemas.common import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, ErrorOut

DESCRIPTION = f"""
The WeLoop REST API lets a merchant's own systems manage its data: stores first, with orders,
products, members and more to follow.

## Authentication

Create an API key in the merchant console under *API keys* (`weloop merchant create` also
prints one) and send it with every request:

    Authorization: Bearer wlk_…

A key belongs to one merchant and sees only that merchant's data: another merchant's store is
`404 not_found`, exactly like a store that does not exist. A missing, wrong or revoked key gets
`401 auth.invalid_api_key`; a key of a suspended merchant `403 tenants.merchant_suspended`, of a
merchant still waiting for approval `403 tenants.merchant_not_active`.

## Errors

Every error, whatever its status, has the same JSON body:

    {{"code": "stores.invalid_coordinates", "message": "Latitude must be …", "extra": {{…}}}}

- `code` is stable and dotted (`<area>.<problem>`): branch on it. `message` is for people and may
  change. `extra` holds machine-readable details (the field, the limit, the allowed values).
- `422 request.invalid`: the JSON has a missing field, a wrong type or an unknown field;
  `extra.errors` lists every problem as `{{field, loc, message, type}}` and `message` names the first.
- `400 request.malformed_json`: the body is not JSON at all; `400 request.nul_character`: a text
  holds the NUL character (U+0000), which no text field can store.
- `400 <area>.<problem>`: the JSON is well-formed but the values are refused by a business rule,
  e.g. `stores.invalid_coordinates`, `stores.invalid_opening_hours`, `stores.name_taken`.
- `404 not_found`, `405 request.method_not_allowed`, `409 state.invalid_transition` (a status
  change the object's state machine forbids), `413 request.too_large`, `500 internal_error`.

Bad input never gets a 500: a 500 is a bug on our side, logged, and safe to retry.

## Idempotency

Networks fail after a request was processed but before the answer arrived. Send an
`{HEADER}` (any unique string up to {MAX_KEY_LENGTH} characters, e.g. a UUID) with a `POST`,
`PUT`, `PATCH` or `DELETE` and retry with the **same** key and the same body:

- the first request runs; its response is remembered for 24 hours, refusals (4xx) included: to
  send a corrected request, use a new key;
- a retry gets that response again, byte for byte, with the header `{REPLAYED_HEADER}: true`,
  and has no effect of its own: a retried `POST /stores` creates one store, not two;
- the same key with a different method, path or body: `422 api.idempotency_key_reused`;
- the same key while the first request is still running: `409 api.idempotency_in_progress`
  (wait a moment and retry);
- a 5xx response is not remembered, so a retry with the same key runs again.

Keys are scoped to the merchant: two merchants may use the same key independently.

## Money

Amounts are integers of **fen** (分, 1/100 yuan) in fields named `*_fen`: `1230` is ¥12.30.
Never floats, never yuan strings; rates are basis points (1 bp = 0.01 %).

## Pagination

List operations take `limit` (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE}) and `offset`
and answer `{{"items": [...], "count": N}}`, where `count` is the total over all pages. Items come
in a stable order (each operation says which), so `offset += limit` walks the whole list.

## Conventions

- Objects are addressed by their public id (`st_…` for a store), never a database number.
- Coordinates are GCJ-02 (the datum WeChat uses in mainland China). They are returned as
  decimal strings with 6 decimals (`"22.543096"`) so they round-trip exactly; numbers and
  strings are both accepted on input.
- Times of day are local `HH:MM` in the platform's time zone; timestamps are ISO 8601 with an offset.
- Request bodies are JSON (`Content-Type: application/json`, at most 2 MiB by default).
"""

_ERRORS_ON_EVERY_OPERATION = {
    400: "Bad request: `request.malformed_json`, `request.nul_character`, `api.idempotency_key_invalid`, "
    "or a value refused by a business rule (its code names it, e.g. `stores.invalid_coordinates`).",
    401: "`auth.invalid_api_key`: the API key is missing, wrong or revoked.",
    403: "`tenants.merchant_suspended` or `tenants.merchant_not_active`.",
    422: "`request.invalid` (missing field, wrong type, unknown field; see `extra.errors`) or "
    "`api.idempotency_key_reused`.",
    500: "`internal_error`: a bug on our side, logged; safe to retry.",
}
_NOT_FOUND = "`not_found`: no such object among this merchant's (another merchant's looks the same)."
_CONFLICT = (
    "`state.invalid_transition` or `state.concurrent_modification`, or `api.idempotency_in_progress` "
    "when a request with the same Idempotency-Key is still running."
)
_TOO_LARGE = "`request.too_large`: the body is over the size limit (see `extra.limit_bytes`)."
_IDEMPOTENCY_PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": "Any unique string (e.g. a UUID), at most 255 characters. A retry with the same key and "
    f"body replays the first response (with `{REPLAYED_HEADER}: true`) instead of running again.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
}
_ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}


def document_shared_behaviour(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the shared error responses, the Idempotency-Key header and the ErrorOut schema."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorOut"] = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            _document_operation(operation, writes=method.upper() in UNSAFE_METHODS, addresses_object="{" in path)
    return schema


def _document_operation(operation: dict[str, Any], *, writes: bool, addresses_object: bool) -> None:
    errors = dict(_ERRORS_ON_EVERY_OPERATION)
    if addresses_object:
        errors[404] = _NOT_FOUND
    if writes:
        errors[409] = _CONFLICT
        errors[413] = _TOO_LARGE
        operation.setdefault("parameters", []).append(dict(_IDEMPOTENCY_PARAMETER))
    responses = operation.setdefault("responses", {})
    for status, description in sorted(errors.items()):
        if status not in responses and str(status) not in responses:
            responses[status] = {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}
