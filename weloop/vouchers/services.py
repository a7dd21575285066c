"""Writes of deals and vouchers: define a deal, issue vouchers, redeem, undo, refund, expire.

The deal's catalog SKU, its quota pool and the purchase glue live in ``weloop.orders.deals`` (an
upper layer: it may import catalog, inventory and this app). Events published here are read there
and by other apps by name: ``vouchers.vouchers_issued``, ``vouchers.voucher_redeemed``,
``vouchers.redemption_undone``, ``vouchers.refund_requested``, ``vouchers.voucher_expiring``,
``vouchers.voucher_expired``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef

from weloop.core import clock
from weloop.core.db import get_or_not_found
from weloop.core.errors import NotFound
from weloop.core.events import publish
from weloop.core.money import require_fen
from weloop.tenants.models import Merchant
from weloop.vouchers import codes
from weloop.vouchers.calculations import commission, refund_of_unused, unit_prices, uses_share
from weloop.vouchers.enums import CLOSED_STATUSES, DealStatus, VoucherKind, VoucherStatus
from weloop.vouchers.errors import (
    AlreadyUndone,
    InvalidCount,
    InvalidDeal,
    MalformedCode,
    NotEnoughUses,
    RefundNotAllowed,
    UndoWindowPassed,
    UnknownCode,
    VoucherClosed,
    VoucherExpired,
    VoucherNotYetValid,
    VoucherUsed,
    WrongStore,
)
from weloop.vouchers.models import Deal, DealStore, Redemption, Voucher
from weloop.vouchers.state import DEAL, VOUCHER

logger = logging.getLogger(__name__)

MAX_USES = 1000
MAX_VALID_DAYS = 3660


def undo_window() -> timedelta:
    return timedelta(minutes=getattr(settings, "WELOOP_VOUCHER_UNDO_MINUTES", 10))


def remind_ahead() -> timedelta:
    return timedelta(days=getattr(settings, "WELOOP_VOUCHER_REMIND_DAYS", 3))


# --- deals ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DealInput:
    name: str
    list_price_fen: int
    deal_price_fen: int
    kind: str = VoucherKind.SINGLE
    uses_per_voucher: int = 1
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    valid_days: int | None = None
    usage_rules: str = ""
    per_member_limit: int | None = None
    quota: int = 0
    platform_commission_bp: int = 0
    merchant_commission_bp: int = 0
    refund_anytime: bool = True
    refund_on_expiry: bool = True


def _whole(value: object, *, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidDeal(f"{field} must be a whole number from {low} to {high}.", extra={"field": field})
    return value


def deal_clean(data: DealInput) -> dict[str, Any]:
    """Check a deal's fields; return them as model fields. Raises InvalidDeal / money.invalid_amount."""
    name = str(data.name or "").strip()
    if not name or len(name) > 120:
        raise InvalidDeal("A deal needs a name of at most 120 characters.", extra={"field": "name"})
    list_price = require_fen(data.list_price_fen, field="list_price_fen")
    deal_price = require_fen(data.deal_price_fen, field="deal_price_fen")
    if deal_price > list_price:
        raise InvalidDeal("The deal price cannot be above the list price.", extra={"field": "deal_price_fen"})
    if data.kind not in VoucherKind.values:
        raise InvalidDeal("Unknown voucher kind.", extra={"field": "kind"})
    uses = (
        1
        if data.kind == VoucherKind.SINGLE
        else _whole(data.uses_per_voucher, field="uses_per_voucher", low=2, high=MAX_USES)
    )
    if (data.valid_until is None) == (data.valid_days is None):
        raise InvalidDeal("Give either an end date or a number of days after purchase.", extra={"field": "valid_until"})
    days = None if data.valid_days is None else _whole(data.valid_days, field="valid_days", low=1, high=MAX_VALID_DAYS)
    if data.valid_until is not None and data.valid_from is not None and data.valid_until <= data.valid_from:
        raise InvalidDeal("The validity must end after it starts.", extra={"field": "valid_until"})
    platform = _whole(data.platform_commission_bp, field="platform_commission_bp", low=0, high=10000)
    merchant_bp = _whole(data.merchant_commission_bp, field="merchant_commission_bp", low=0, high=10000)
    if platform + merchant_bp > 10000:
        raise InvalidDeal("The commissions cannot exceed 100 % together.", extra={"field": "platform_commission_bp"})
    limit = data.per_member_limit
    if limit is not None:
        limit = _whole(limit, field="per_member_limit", low=1, high=9999)
    return {
        "name": name,
        "list_price_fen": list_price,
        "deal_price_fen": deal_price,
        "kind": data.kind,
        "uses_per_voucher": uses,
        "valid_from": data.valid_from,
        "valid_until": data.valid_until,
        "valid_days": days,
        "usage_rules": str(data.usage_rules or "").strip()[:2000],
        "per_member_limit": limit,
        "quota": _whole(data.quota, field="quota", low=0, high=10_000_000),
        "platform_commission_bp": platform,
        "merchant_commission_bp": merchant_bp,
        "refund_anytime": bool(data.refund_anytime),
        "refund_on_expiry": bool(data.refund_on_expiry),
    }


def _require_owned(merchant: Merchant, obj: Any, *, what: str) -> None:
    if obj is None or getattr(obj, "merchant_id", None) != merchant.pk:
        raise NotFound(f"No such {what}.", extra={"what": what})


def _set_stores(merchant: Merchant, deal: Deal, stores: Sequence[Any]) -> None:
    if not stores:
        raise InvalidDeal("Choose at least one store where the deal can be used.", extra={"field": "store_ids"})
    for store in stores:
        _require_owned(merchant, store, what="store")
    DealStore.objects.filter(deal=deal).exclude(store__in=list(stores)).delete()
    have = set(DealStore.objects.filter(deal=deal).values_list("store_id", flat=True))
    DealStore.objects.bulk_create(
        [DealStore(merchant=merchant, deal=deal, store=s) for s in dict.fromkeys(stores) if s.pk not in have]
    )


@transaction.atomic
def deal_create(*, merchant: Merchant, sku: Any, data: DealInput, stores: Sequence[Any], actor: str) -> Deal:
    """Create a draft deal selling ``sku``, usable in ``stores``. Raises InvalidDeal. Emits vouchers.deal_created.

    The caller (orders.deals.deal_launch) creates the SKU and the quota pool in the same transaction.
    """
    _require_owned(merchant, sku, what="sku")
    fields = deal_clean(data)
    deal = Deal.objects.create(merchant=merchant, sku=sku, **fields)
    _set_stores(merchant, deal, stores)
    publish(merchant=merchant, name="vouchers.deal_created", payload={"deal_id": deal.public_id, "actor": actor})
    return deal


@transaction.atomic
def deal_update(*, merchant: Merchant, deal_id: str, data: DealInput, stores: Sequence[Any], actor: str) -> Deal:
    """Change a deal. Vouchers already issued keep their validity, uses and price."""
    deal = get_or_not_found(Deal.objects.for_merchant(merchant).select_for_update(), what="deal", public_id=deal_id)
    fields = deal_clean(data)
    if fields["kind"] != deal.kind and deal.vouchers.exists():
        raise InvalidDeal("The kind of a deal with vouchers cannot change.", extra={"field": "kind"})
    Deal.objects.filter(pk=deal.pk).update(**fields, updated_at=clock.now())
    _set_stores(merchant, deal, stores)
    deal.refresh_from_db()
    publish(merchant=merchant, name="vouchers.deal_updated", payload={"deal_id": deal.public_id, "actor": actor})
    return deal


@transaction.atomic
def deal_set_status(*, merchant: Merchant, deal_id: str, status: str, actor: str) -> Deal:
    """Put a deal on sale or end it. Raises state.invalid_transition."""
    deal = get_or_not_found(Deal.objects.for_merchant(merchant).select_for_update(), what="deal", public_id=deal_id)
    if status not in DealStatus.values:
        raise InvalidDeal("Unknown deal status.", extra={"field": "status"})
    DEAL.transition(deal, status, actor=actor, reason="deal status", extra_updates={"updated_at": clock.now()})
    return deal


def deal_allows_store(deal: Deal, store: Any) -> bool:
    return DealStore.objects.filter(deal=deal, store_id=getattr(store, "pk", None)).exists()


# --- issuance -------------------------------------------------------------------------------------


def _validity(deal: Deal, at: datetime) -> tuple[datetime, datetime]:
    if deal.valid_days is not None:
        return at, at + timedelta(days=deal.valid_days)
    assert deal.valid_until is not None
    return deal.valid_from or at, deal.valid_until


def vouchers_issue(
    *,
    merchant: Merchant,
    deal: Deal,
    member: Any,
    order_no: str,
    order_line_id: str,
    quantity: int,
    line_paid_fen: int,
    actor: str,
) -> list[Voucher]:
    """Issue one voucher per unit of a paid order line; idempotent per line (a repeat returns them).

    Each voucher carries its exact share of ``line_paid_fen`` (the shares sum to it). Emits
    vouchers.vouchers_issued. Runs in the caller's transaction (the order-paid handler's).
    """
    _require_owned(merchant, deal, what="deal")
    _require_owned(merchant, member, what="member")
    existing = list(Voucher.objects.for_merchant(merchant).filter(order_line_id=order_line_id).order_by("seq"))
    if existing:
        return existing
    at = clock.now()
    valid_from, valid_until = _validity(deal, at)
    vouchers = []
    for seq, price in enumerate(unit_prices(require_fen(line_paid_fen, field="line_paid_fen"), quantity), start=1):
        code = codes.generate()
        voucher = Voucher(
            merchant=merchant,
            deal=deal,
            member=member,
            kind=deal.kind,
            order_no=order_no,
            order_line_id=order_line_id,
            seq=seq,
            code_hash=codes.code_hash(code),
            code_tail=code[-4:],
            uses_total=deal.uses_per_voucher,
            uses_remaining=deal.uses_per_voucher,
            paid_fen=price,
            face_value_fen=deal.list_price_fen,
            valid_from=valid_from,
            valid_until=valid_until,
            issued_at=at,
        )
        voucher.code_sealed = codes.seal(code, voucher_id=voucher.public_id)
        vouchers.append(voucher)
    try:
        with transaction.atomic():
            Voucher.objects.bulk_create(vouchers)
    except IntegrityError:  # a concurrent delivery of the same event issued them first
        return list(Voucher.objects.for_merchant(merchant).filter(order_line_id=order_line_id).order_by("seq"))
    publish(
        merchant=merchant,
        name="vouchers.vouchers_issued",
        payload={
            "deal_id": deal.public_id,
            "member_id": member.public_id,
            "order_no": order_no,
            "voucher_ids": [v.public_id for v in vouchers],
            "actor": actor,
        },
    )
    return vouchers


# --- redemption -----------------------------------------------------------------------------------


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_USES:
        raise InvalidCount(extra={"field": "count", "value": repr(value)})
    return value


def _refuse_unredeemable(voucher: Voucher, store: Any, count: int, now: datetime) -> None:
    """Raise the error a clerk should see, most specific first; return when redeemable."""
    allowed = getattr(voucher, "store_allowed", None)
    if not (deal_allows_store(voucher.deal, store) if allowed is None else allowed):
        raise WrongStore(extra={"voucher": voucher.public_id, "store": store.public_id})
    if voucher.status in CLOSED_STATUSES and voucher.status != VoucherStatus.EXPIRED:
        raise VoucherClosed(extra={"voucher": voucher.public_id, "status": voucher.status})
    if voucher.status == VoucherStatus.EXPIRED or now >= voucher.valid_until:
        raise VoucherExpired(extra={"voucher": voucher.public_id, "valid_until": voucher.valid_until.isoformat()})
    if now < voucher.valid_from:
        raise VoucherNotYetValid(extra={"voucher": voucher.public_id, "valid_from": voucher.valid_from.isoformat()})
    if voucher.status == VoucherStatus.USED or voucher.uses_remaining == 0:
        raise VoucherUsed(extra={"voucher": voucher.public_id})
    if voucher.uses_remaining < count:
        raise NotEnoughUses(extra={"voucher": voucher.public_id, "remaining": voucher.uses_remaining, "asked": count})


def voucher_find(*, merchant: Merchant, code: str, store: Any = None) -> Voucher:
    """The voucher with this code. Raises MalformedCode without touching the database, or UnknownCode.

    With ``store``, the same query also tells whether the voucher's deal may be used there
    (``voucher.store_allowed``, read by the redemption's checks instead of a query of its own).
    """
    canonical = codes.parse(code)
    if canonical is None:
        raise MalformedCode()
    found = Voucher.objects.for_merchant(merchant).select_related("deal", "member")
    if store is not None:
        found = found.annotate(
            store_allowed=Exists(DealStore.objects.filter(deal_id=OuterRef("deal_id"), store_id=store.pk))
        )
    voucher = found.filter(code_hash=codes.code_hash(canonical)).first()
    if voucher is None:
        raise UnknownCode()
    return voucher


def voucher_redeem(
    *, merchant: Merchant, code: str, store: Any, count: int = 1, staff: Any = None, actor: str
) -> Redemption:
    """Take ``count`` uses of the voucher with ``code`` at ``store``; exactly once under races.

    The check character is verified before any query. The uses are taken by one conditional
    UPDATE (``WHERE status = 'active' AND uses_remaining >= count``): of two counters scanning one
    code at the same moment, one takes it and the other gets ``vouchers.already_used``. Raises
    MalformedCode, UnknownCode, InvalidCount, WrongStore, VoucherExpired, VoucherNotYetValid,
    VoucherUsed, NotEnoughUses, VoucherClosed. Emits vouchers.voucher_redeemed.
    """
    # One query finds the voucher and whether its deal may be used in this store.
    voucher = voucher_find(merchant=merchant, code=code, store=store)
    count = _count(count)
    _require_owned(merchant, store, what="store")
    now = clock.now()
    _refuse_unredeemable(voucher, store, count, now)
    with transaction.atomic():
        # One conditional UPDATE takes the uses and returns what is left (the row is ours until commit).
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Voucher._meta.db_table} SET uses_remaining = uses_remaining - %s"
                " WHERE id = %s AND status = %s AND uses_remaining >= %s AND valid_until > %s RETURNING uses_remaining",
                [count, voucher.pk, VoucherStatus.ACTIVE, count, connection.ops.adapt_datetimefield_value(now)],
            )
            taken = cursor.fetchone()
        if taken is None:
            voucher.refresh_from_db()
            _refuse_unredeemable(voucher, store, count, now)
            raise VoucherUsed(extra={"voucher": voucher.public_id})  # pragma: no cover - refusal above
        voucher.uses_remaining = taken[0]
        start = voucher.uses_total - voucher.uses_remaining - count
        if voucher.uses_remaining == 0:
            VOUCHER.transition(voucher, VoucherStatus.USED, actor=actor, reason=f"redeemed at {store.public_id}")
        deal = voucher.deal
        paid = uses_share(voucher.paid_fen, voucher.uses_total, start, count)
        cut = commission(paid, platform_bp=deal.platform_commission_bp, merchant_bp=deal.merchant_commission_bp)
        redemption = Redemption.objects.create(
            merchant=merchant,
            voucher=voucher,
            deal=deal,
            store=store,
            staff=staff,
            actor=actor[:150],
            count=count,
            face_value_fen=uses_share(voucher.face_value_fen, voucher.uses_total, start, count),
            paid_fen=paid,
            platform_commission_fen=cut.platform_fen,
            merchant_commission_fen=cut.merchant_fen,
            redeemed_at=now,
        )
        publish(
            merchant=merchant,
            name="vouchers.voucher_redeemed",
            payload={
                "redemption_id": redemption.public_id,
                "voucher_id": voucher.public_id,
                "deal_id": deal.public_id,
                "deal_title": deal.name,  # what the review prompt and the eligible item are called
                "member_id": voucher.member.public_id,
                "openid": voucher.member.openid,
                "store_id": store.public_id,
                "staff_id": getattr(staff, "public_id", None),
                "count": count,
                "uses_remaining": voucher.uses_remaining,
                "order_no": voucher.order_no,
            },
        )
    return redemption


@transaction.atomic
def redemption_undo(*, merchant: Merchant, redemption_id: str, actor: str, now: datetime | None = None) -> Redemption:
    """Undo a redemption within the undo window: its uses come back, the row is stamped, never deleted.

    Raises AlreadyUndone, UndoWindowPassed, VoucherClosed (refunded or voided since). Emits
    vouchers.redemption_undone.
    """
    now = now or clock.now()
    redemption = get_or_not_found(
        Redemption.objects.for_merchant(merchant).select_for_update().select_related("store"),
        what="redemption",
        public_id=redemption_id,
    )
    if redemption.undone_at is not None:
        raise AlreadyUndone(extra={"redemption": redemption.public_id})
    if now - redemption.redeemed_at > undo_window():
        raise UndoWindowPassed(extra={"redemption": redemption.public_id, "minutes": undo_window().seconds // 60})
    voucher = Voucher.objects.select_for_update().get(pk=redemption.voucher_id)
    if voucher.status not in (VoucherStatus.ACTIVE, VoucherStatus.USED):
        raise VoucherClosed(extra={"voucher": voucher.public_id, "status": voucher.status})
    Redemption.objects.filter(pk=redemption.pk, undone_at__isnull=True).update(undone_at=now, undone_by=actor[:150])
    Voucher.objects.filter(pk=voucher.pk).update(uses_remaining=F("uses_remaining") + redemption.count)
    if voucher.status == VoucherStatus.USED:
        VOUCHER.transition(voucher, VoucherStatus.ACTIVE, actor=actor, reason=f"undo {redemption.public_id}")
    publish(
        merchant=merchant,
        name="vouchers.redemption_undone",
        payload={
            "redemption_id": redemption.public_id,
            "voucher_id": voucher.public_id,
            "store_id": redemption.store.public_id,
            "count": redemption.count,
            "actor": actor,
        },
    )
    redemption.refresh_from_db()
    return redemption


# --- refunds, voiding, expiry ---------------------------------------------------------------------


def _refund_requested(merchant: Merchant, voucher: Voucher, *, reason: str, actor: str) -> Voucher:
    amount = refund_of_unused(voucher.paid_fen, voucher.uses_total, voucher.uses_remaining)
    VOUCHER.transition(
        voucher,
        VoucherStatus.REFUND_PENDING,
        actor=actor,
        reason=f"refund ({reason})",
        extra_updates={"refund_fen": amount, "refund_reason": reason},
    )
    publish(
        merchant=merchant,
        name="vouchers.refund_requested",
        payload={
            "voucher_id": voucher.public_id,
            "deal_id": voucher.deal.public_id,
            "member_id": voucher.member.public_id,
            "order_no": voucher.order_no,
            "order_line_id": voucher.order_line_id,
            "amount_fen": amount,
            "reason": reason,
        },
    )
    return voucher


@transaction.atomic
def voucher_refund_request(*, merchant: Merchant, voucher_id: str, member: Any, actor: str) -> Voucher:
    """The member asks for the unused part of a voucher back (随时退). Raises RefundNotAllowed.

    The voucher stops being usable at once (``refund_pending``); ``vouchers.refund_requested`` asks
    the orders app to refund its share of the order (orders.deals).
    """
    voucher = get_or_not_found(
        Voucher.objects.for_merchant(merchant).select_for_update().select_related("deal", "member"),
        what="voucher",
        public_id=voucher_id,
    )
    if getattr(member, "pk", None) != voucher.member_id:
        raise NotFound("No such voucher.", extra={"what": "voucher"})
    if not voucher.deal.refund_anytime:
        raise RefundNotAllowed("This deal does not allow refunds before expiry.", extra={"voucher": voucher_id})
    if voucher.status != VoucherStatus.ACTIVE or voucher.uses_remaining == 0:
        raise RefundNotAllowed(extra={"voucher": voucher_id, "status": voucher.status})
    return _refund_requested(merchant, voucher, reason="anytime", actor=actor)


@transaction.atomic
def voucher_refund_settle(*, merchant: Merchant, voucher_id: str, actor: str) -> Voucher | None:
    """The order refund for a voucher succeeded: refund_pending → refunded. Idempotent."""
    voucher = Voucher.objects.for_merchant(merchant).select_for_update().filter(public_id=voucher_id).first()
    if voucher is None or voucher.status != VoucherStatus.REFUND_PENDING:
        return voucher
    VOUCHER.transition(voucher, VoucherStatus.REFUNDED, actor=actor, reason="refund succeeded")
    return voucher


@transaction.atomic
def voucher_refund_fail(*, merchant: Merchant, voucher_id: str, actor: str) -> Voucher | None:
    """Payments refused the voucher's refund: refund_pending -> active again (or expired when its
    validity is over), with its uses as they were. Idempotent. Emits vouchers.refund_failed."""
    voucher = Voucher.objects.for_merchant(merchant).select_for_update().filter(public_id=voucher_id).first()
    if voucher is None or voucher.status != VoucherStatus.REFUND_PENDING:
        return voucher
    back = VoucherStatus.EXPIRED if voucher.valid_until <= clock.now() else VoucherStatus.ACTIVE
    VOUCHER.transition(
        voucher, back, actor=actor, reason="refund refused", extra_updates={"refund_fen": 0, "refund_reason": ""}
    )
    publish(
        merchant=merchant,
        name="vouchers.refund_failed",
        payload={
            "voucher_id": voucher.public_id,
            "deal_id": voucher.deal.public_id,
            "member_id": voucher.member.public_id,
            "order_no": voucher.order_no,
            "status": back,
        },
    )
    return voucher


@transaction.atomic
def vouchers_void_for_line(*, merchant: Merchant, order_line_id: str, units: int, actor: str) -> int:
    """Make sure ``units`` vouchers of an order line are out of use after a refund of the order.

    Vouchers already refunded, refund-pending or void count; untouched active ones are voided to make
    up the number (used ones are never voided: the service was consumed). Returns how many were voided.
    """
    vouchers = list(
        Voucher.objects.for_merchant(merchant).select_for_update().filter(order_line_id=order_line_id).order_by("-seq")
    )
    gone = sum(
        1 for v in vouchers if v.status in (VoucherStatus.VOID, VoucherStatus.REFUNDED, VoucherStatus.REFUND_PENDING)
    )
    voided = 0
    for voucher in vouchers:
        if gone + voided >= units:
            break
        if voucher.status == VoucherStatus.ACTIVE and voucher.uses_remaining == voucher.uses_total:
            VOUCHER.transition(voucher, VoucherStatus.VOID, actor=actor, reason="order refunded")
            voided += 1
    return voided


def vouchers_expire_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Expire active vouchers past their end; those of 过期退 deals with uses left are refunded.

    Emits vouchers.voucher_expired, or vouchers.refund_requested (reason ``expired``).
    """
    now = now or clock.now()
    due = list(
        Voucher.objects.filter(status=VoucherStatus.ACTIVE, valid_until__lte=now).values_list("pk", flat=True)[:limit]
    )
    done = 0
    for pk in due:
        with transaction.atomic():
            voucher = (
                Voucher.objects.select_for_update()
                .select_related("deal", "member", "merchant")
                .filter(pk=pk, status=VoucherStatus.ACTIVE)
                .first()
            )
            if voucher is None:
                continue
            VOUCHER.transition(voucher, VoucherStatus.EXPIRED, actor="vouchers", reason="validity ended")
            if voucher.deal.refund_on_expiry and voucher.uses_remaining > 0:
                _refund_requested(voucher.merchant, voucher, reason="expired", actor="vouchers")
            else:
                publish(
                    merchant=voucher.merchant,
                    name="vouchers.voucher_expired",
                    payload={"voucher_id": voucher.public_id, "member_id": voucher.member.public_id},
                )
            done += 1
    return done


def vouchers_remind_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Publish vouchers.voucher_expiring once per active voucher that ends within the reminder period."""
    now = now or clock.now()
    due = list(
        Voucher.objects.filter(
            status=VoucherStatus.ACTIVE,
            reminded_at__isnull=True,
            valid_until__gt=now,
            valid_until__lte=now + remind_ahead(),
        ).values_list("pk", flat=True)[:limit]
    )
    done = 0
    for pk in due:
        with transaction.atomic():
            if not Voucher.objects.filter(pk=pk, reminded_at__isnull=True).update(reminded_at=now):
                continue
            voucher = Voucher.objects.select_related("deal", "member", "merchant").get(pk=pk)
            publish(
                merchant=voucher.merchant,
                name="vouchers.voucher_expiring",
                payload={
                    "member_id": voucher.member.public_id,
                    "openid": voucher.member.openid,
                    "voucher_id": voucher.public_id,
                    "deal_id": voucher.deal.public_id,
                    "deal_name": voucher.deal.name,
                    "valid_until": voucher.valid_until.isoformat(),
                    "uses_remaining": voucher.uses_remaining,
                },
            )
            done += 1
    return done
