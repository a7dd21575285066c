"""Reads of deals, vouchers and redemptions, and the per-store settlement report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from weloop.core.db import get_or_not_found
from weloop.core.errors import NotFound, ValidationFailed
from weloop.tenants.models import Merchant
from weloop.vouchers import codes
from weloop.vouchers.enums import DealStatus, VoucherStatus
from weloop.vouchers.models import Deal, DealStore, Redemption, Voucher


def deal_list(*, merchant: Merchant, status: str | None = None) -> QuerySet[Deal]:
    deals = Deal.objects.for_merchant(merchant).select_related("sku").prefetch_related("deal_stores__store")
    return deals.filter(status=status) if status else deals


def deals_on_sale(*, merchant: Merchant) -> QuerySet[Deal]:
    return deal_list(merchant=merchant, status=DealStatus.ACTIVE)


def deal_get(*, merchant: Merchant, deal_id: str) -> Deal:
    return get_or_not_found(deal_list(merchant=merchant), what="deal", public_id=deal_id)


def deal_for_sku(*, merchant: Merchant, sku: Any) -> Deal | None:
    return Deal.objects.for_merchant(merchant).filter(sku_id=getattr(sku, "pk", None)).first()


def deal_stores(deal: Deal) -> list[Any]:
    return [ds.store for ds in deal.deal_stores.all()]


def deals_active_by_store(*, merchant: Merchant, store_ids: list[int], at: datetime) -> dict[int, list[Deal]]:
    """Deals on sale at ``at`` usable in each of ``store_ids`` (store pks), newest first, in one query.

    The nearby list's deals provider (``WELOOP_NEARBY_DEALS_PROVIDER``, see docs/nearby.md): a deal
    on sale whose fixed validity has not ended. Stores without such a deal are absent.
    """
    links = (
        DealStore.objects.for_merchant(merchant)
        .filter(store_id__in=store_ids, deal__status=DealStatus.ACTIVE)
        .filter(Q(deal__valid_until__isnull=True) | Q(deal__valid_until__gt=at))
        .select_related("deal")
        .order_by("store_id", "-deal_id")
    )
    found: dict[int, list[Deal]] = {}
    for link in links:
        found.setdefault(link.store_id, []).append(link.deal)
    return found


def voucher_list(
    *, merchant: Merchant, member_id: str | None = None, status: str | None = None, deal_id: str | None = None
) -> QuerySet[Voucher]:
    vouchers = Voucher.objects.for_merchant(merchant).select_related("deal", "member")
    if member_id:
        vouchers = vouchers.filter(member__public_id=member_id)
    if status:
        vouchers = vouchers.filter(status=status)
    if deal_id:
        vouchers = vouchers.filter(deal__public_id=deal_id)
    return vouchers


def vouchers_of_member(*, merchant: Merchant, member: Any) -> QuerySet[Voucher]:
    return Voucher.objects.for_merchant(merchant).filter(member_id=member.pk).select_related("deal")


def voucher_get(*, merchant: Merchant, voucher_id: str) -> Voucher:
    return get_or_not_found(voucher_list(merchant=merchant), what="voucher", public_id=voucher_id)


def voucher_code_for(*, merchant: Merchant, member: Any, voucher: Voucher) -> str:
    """The code of the member's own voucher, in display form; anyone else's is a 404."""
    if voucher.merchant_id != merchant.pk or voucher.member_id != getattr(member, "pk", None):
        raise NotFound("No such voucher.", extra={"what": "voucher"})
    return codes.display(codes.unseal(voucher.code_sealed, voucher_id=voucher.public_id))


def voucher_is_usable(voucher: Voucher) -> bool:
    return voucher.status == VoucherStatus.ACTIVE and voucher.uses_remaining > 0


def redemption_list(*, merchant: Merchant, voucher: Voucher | None = None, store: Any = None) -> QuerySet[Redemption]:
    rows = Redemption.objects.for_merchant(merchant).select_related("voucher", "deal", "store", "staff")
    if voucher is not None:
        rows = rows.filter(voucher=voucher)
    if store is not None:
        rows = rows.filter(store=store)
    return rows


def redemption_get(*, merchant: Merchant, redemption_id: str) -> Redemption:
    return get_or_not_found(redemption_list(merchant=merchant), what="redemption", public_id=redemption_id)


# --- settlement -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SettlementRow:
    store_id: str
    store_name: str
    redemptions: int
    uses: int
    face_value_fen: int
    paid_fen: int
    platform_commission_fen: int
    merchant_commission_fen: int

    @property
    def store_net_fen(self) -> int:
        """What the store is owed: the price paid less both commissions."""
        return self.paid_fen - self.platform_commission_fen - self.merchant_commission_fen


@dataclass(frozen=True)
class Settlement:
    start: datetime
    end: datetime
    rows: list[SettlementRow]

    def total(self, field: str) -> int:
        return sum(getattr(row, field) for row in self.rows)


def settlement_report(
    *, merchant: Merchant, start: datetime, end: datetime, store_ids: list[str] | None = None
) -> Settlement:
    """What each store redeemed in ``[start, end)``: undone redemptions excluded, sums exact in fen.

    Each redemption's money was fixed (and rounded) when it happened; the report only adds them,
    so a store's figures equal the sum of its ledger rows to the fen.
    """
    rows = Redemption.objects.for_merchant(merchant).filter(
        redeemed_at__gte=start, redeemed_at__lt=end, undone_at__isnull=True
    )
    if store_ids:
        rows = rows.filter(store__public_id__in=store_ids)
    grouped = (
        rows.values("store__public_id", "store__name")
        .annotate(
            n=Count("id"),
            uses=Sum("count"),
            face=Sum("face_value_fen"),
            paid=Sum("paid_fen"),
            platform=Sum("platform_commission_fen"),
            merchant_cut=Sum("merchant_commission_fen"),
        )
        .order_by("store__name", "store__public_id")
    )
    return Settlement(
        start=start,
        end=end,
        rows=[
            SettlementRow(
                store_id=g["store__public_id"],
                store_name=g["store__name"],
                redemptions=g["n"],
                uses=g["uses"] or 0,
                face_value_fen=g["face"] or 0,
                paid_fen=g["paid"] or 0,
                platform_commission_fen=g["platform"] or 0,
                merchant_commission_fen=g["merchant_cut"] or 0,
            )
            for g in grouped
        ],
    )


def period_of_days(first: date, last: date) -> tuple[datetime, datetime]:
    """``[first 00:00, last+1 00:00)`` in the local time zone. Raises ValidationFailed when reversed."""
    if last < first:
        raise ValidationFailed("The period ends before it starts.", extra={"field": "end"})
    start = timezone.make_aware(datetime.combine(first, time.min))
    return start, timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min))
