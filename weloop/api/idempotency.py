"""``Idempotency-Key``: a retried write has exactly one effect and gets the first answer again.

``api.add_decorator(idempotent, mode="view")`` wraps every operation of every router, so a route
added later is covered without doing anything. The wrapper runs around ninja's whole operation
(authentication, parsing, the service call, error rendering) and works on finished responses:

1. No key, or a safe method (GET, HEAD, OPTIONS): the operation runs as usual.
2. The caller is authenticated first; without a merchant there is nothing to scope a key to.
3. Claim: insert ``IdempotencyRecord(merchant, key, request hash)``, committed before the
   operation runs, so a concurrent duplicate finds it. The unique (merchant, key) constraint
   decides the race.
4. Run the operation. Below 500 the status and body are stored (4xx too: a retry of a refused
   request is refused the same way); a 5xx or an exception deletes the claim so a retry can run.
5. Later requests with the key: a different method, path or body → 422
   ``api.idempotency_key_reused``; claimed but not finished → 409 ``api.idempotency_in_progress``;
   finished → the stored response, byte for byte, with ``Idempotent-Replayed: true``.

A key is remembered for ``KEY_LIFETIME``; after that the same key starts afresh.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

from weloop.api.auth import api_key_auth
from weloop.api.errors import IdempotencyInProgress, IdempotencyKeyReused, InvalidIdempotencyKey
from weloop.core import clock
from weloop.core.errors import WeloopError
from weloop.core.models import IdempotencyRecord
from weloop.core.rendering import render_error
from weloop.tenants.models import Merchant

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY_LENGTH = 255
KEY_LIFETIME = timedelta(hours=24)

Run = Callable[..., HttpResponseBase]


def idempotent(run: Run) -> Run:
    """Wrap an operation's ``run(request, **path_params)`` with the Idempotency-Key protocol."""

    @wraps(run)
    def run_once(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        key = request.headers.get(HEADER)
        if key is None or request.method not in UNSAFE_METHODS:
            return run(request, *args, **kwargs)
        try:
            merchant = api_key_auth(request).merchant
        except WeloopError:
            return run(request, *args, **kwargs)  # ninja renders the authentication error
        try:
            claimed = _claim(merchant, _checked(key), request)
        except WeloopError as error:
            return render_error(request, error)
        if isinstance(claimed, HttpResponse):
            return claimed
        return _run_and_remember(claimed, run, request, *args, **kwargs)

    return run_once


def _checked(key: str) -> str:
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise InvalidIdempotencyKey(extra={"max_length": MAX_KEY_LENGTH, "length": len(key)})
    return key


def request_fingerprint(request: HttpRequest) -> str:
    """SHA-256 over what makes two requests "the same": method, path with query, and body."""
    digest = hashlib.sha256()
    for part in (request.method or "", request.get_full_path()):
        digest.update(part.encode())
        digest.update(b"\n")
    digest.update(request.body)
    return digest.hexdigest()


def _claim(merchant: Merchant, key: str, request: HttpRequest) -> IdempotencyRecord | HttpResponse:
    """The new record when this request is the first with ``key``, else the response to send."""
    fingerprint = request_fingerprint(request)
    for _attempt in range(2):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(
                    merchant=merchant,
                    key=key,
                    method=request.method or "",
                    path=request.get_full_path()[:500],
                    request_hash=fingerprint,
                    created_at=clock.now(),
                )
        except IntegrityError:
            existing = IdempotencyRecord.objects.for_merchant(merchant).filter(key=key).first()
        if existing is None or _expire(existing):
            continue  # released or expired since our insert failed: claim it afresh
        if existing.request_hash != fingerprint:
            raise IdempotencyKeyReused(extra={"method": existing.method, "path": existing.path})
        if existing.status_code is None:
            raise IdempotencyInProgress()
        return _replay(existing)
    raise IdempotencyInProgress()  # lost the race twice in a row: let the client retry


def _expire(record: IdempotencyRecord) -> bool:
    """Forget ``record`` if it is older than KEY_LIFETIME; True when it is gone."""
    if record.created_at > clock.now() - KEY_LIFETIME:
        return False
    IdempotencyRecord.objects.filter(pk=record.pk, created_at=record.created_at).delete()
    return True


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        bytes(record.response_body or b""),
        status=record.status_code,
        content_type=record.content_type or None,
    )
    response[REPLAYED_HEADER] = "true"
    return response


def _run_and_remember(
    record: IdempotencyRecord, run: Run, request: HttpRequest, *args: Any, **kwargs: Any
) -> HttpResponseBase:
    try:
        response = run(request, *args, **kwargs)
    except BaseException:
        record.delete()
        raise
    if response.status_code >= 500 or response.streaming:
        record.delete()  # a failure on our side must not be replayed: the retry gets to run
        return response
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status_code=response.status_code,
        response_body=response.content,  # type: ignore[attr-defined]
        content_type=response.get("Content-Type", "")[:100],
    )
    return response
