"""Small query helpers shared by every app."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models

from weloop.core.errors import NotFound

M = TypeVar("M", bound=models.Model)


def get_or_not_found(queryset: models.QuerySet[M], *, what: str = "object", **lookup: Any) -> M:
    """Fetch one row or raise NotFound: a missing row and another merchant's row look the same."""
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(f"No such {what}.", extra={"what": what}) from exc
