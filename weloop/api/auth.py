"""Who is calling: ``Authorization: Bearer <api key>`` resolves to one live key of a usable merchant.

After authentication ``request.auth`` is the ``ApiKey``; operations ask ``merchant_of(request)``
and pass that merchant to services and selectors, never a merchant taken from the URL or body.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security.base import AuthBase

from weloop.core.errors import WeloopError
from weloop.tenants.errors import InvalidApiKey
from weloop.tenants.models import ApiKey, Merchant
from weloop.tenants.selectors import ensure_merchant_usable
from weloop.tenants.services import api_key_authenticate

_CACHE_ATTR = "_weloop_api_key"


class ApiKeyAuth(AuthBase):
    """Bearer API key. Raises (rather than returning None) so every failure has its own code."""

    openapi_type = "http"
    openapi_scheme = "bearer"
    openapi_bearerFormat = "WeLoop API key (wlk_…)"
    openapi_description = (
        "Send `Authorization: Bearer wlk_…` with an API key from the merchant console. "
        "A missing, wrong or revoked key gets 401 `auth.invalid_api_key`; a key of a suspended "
        "merchant gets 403 `tenants.merchant_suspended`, of a merchant awaiting approval 403 "
        "`tenants.merchant_not_active`."
    )

    def __call__(self, request: HttpRequest) -> ApiKey:
        # Remembered on the request: the idempotency wrapper needs the merchant before ninja's
        # own authentication step runs, and the key must be looked up (and touched) only once.
        outcome: ApiKey | WeloopError | None = getattr(request, _CACHE_ATTR, None)
        if outcome is None:
            try:
                outcome = _authenticate(request)
            except WeloopError as error:
                outcome = error
            setattr(request, _CACHE_ATTR, outcome)
        if isinstance(outcome, WeloopError):
            raise outcome
        return outcome


def _authenticate(request: HttpRequest) -> ApiKey:
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidApiKey("Send the header Authorization: Bearer <api key>.")
    key = api_key_authenticate(token.strip())
    ensure_merchant_usable(key.merchant)
    return key


api_key_auth = ApiKeyAuth()


def merchant_of(request: HttpRequest) -> Merchant:
    """The merchant whose API key authenticated ``request``."""
    key: Any = request.auth  # type: ignore[attr-defined]
    return key.merchant


def actor_of(request: HttpRequest) -> str:
    """How services record this caller in histories and events: ``api:<key public id>``."""
    key: Any = request.auth  # type: ignore[attr-defined]
    return f"api:{key.public_id}"
