"""Helpers for API tests: JSON calls with the merchant's key, and a valid store body."""

from __future__ import annotations

import json
from typing import Any

import pytest

API = "/api/v1"


@pytest.fixture
def call(api_client):
    """``call(method, path, body=None, key=None, client=api_client)`` -> response; ``path`` is under /api/v1."""

    def send(
        method: str, path: str, body: Any = None, *, key: str | None = None, client=None, raw: bytes | None = None
    ):
        headers = {"Idempotency-Key": key} if key is not None else {}
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        return (client or api_client).generic(
            method, API + path, data=data, content_type="application/json", headers=headers
        )

    return send


@pytest.fixture
def store_body():
    """A valid POST /stores body; tests copy and change it."""

    def make(**changes: Any) -> dict[str, Any]:
        body = {
            "name": "Nanshan corner",
            "address": "88 Keyuan Road",
            "city": "Shenzhen",
            "district": "Nanshan",
            "latitude": 22.540503,
            "longitude": 113.934528,
            "phone": "0755-2601 0000",
            "hours": [{"weekday": d, "opens": "08:00", "closes": "21:30"} for d in range(5)],
        }
        body.update(changes)
        return body

    return make
