"""Limit/offset pages for list operations: ``return paginate(queryset, page)``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from weloop.api.schemas.common import PageIn


def paginate(queryset: QuerySet, page: PageIn) -> dict[str, Any]:
    """The ``{"items", "count"}`` body of a ``Page`` schema; ``queryset`` must be ordered."""
    items = list(queryset[page.offset : page.offset + page.limit])
    return {"items": items, "count": queryset.count()}
