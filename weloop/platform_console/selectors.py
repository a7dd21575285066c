"""Reads for the operator console: merchants with their counts, across every tenant on purpose."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from weloop.core.errors import NotFound
from weloop.stores.models import Store
from weloop.tenants.models import Merchant, StaffMember
from weloop.tenants.selectors import merchant_list


def _count_of(model: type, **filters: object) -> Coalesce:
    counted = (
        model.objects.filter(merchant_id=OuterRef("pk"), **filters)  # type: ignore[attr-defined]
        .order_by()
        .values("merchant_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def merchants_with_counts() -> QuerySet[Merchant]:
    """Every merchant, newest first, with ``store_count`` and ``staff_count`` (active staff)."""
    return merchant_list().annotate(store_count=_count_of(Store), staff_count=_count_of(StaffMember, is_active=True))


def merchant_with_counts(slug: str) -> Merchant:
    merchant = merchants_with_counts().filter(slug=slug).first()
    if merchant is None:
        raise NotFound("No such merchant.", extra={"what": "merchant"})
    return merchant


def owners_of(merchant: Merchant) -> QuerySet[StaffMember]:
    return StaffMember.objects.for_merchant(merchant).filter(role="owner").select_related("user").order_by("id")
