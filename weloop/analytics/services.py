"""Writes of the attribution ledger: credit paid orders, bookings and redemptions; reverse refunds.

Every function is idempotent: each fact has a ``key`` unique per merchant, and a fact already
recorded returns its entry unchanged. Entries are only ever inserted (append-only): a refund or an
undone redemption is a new entry with a negative amount that copies the crediting of the entry it
reverses, so a store's, a guide's or a source's net is the plain sum of its rows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from weloop.analytics.enums import EntryKind, SourceKind
from weloop.analytics.models import AttributionEntry
from weloop.core import clock
from weloop.core.errors import NotFound
from weloop.orders import selectors as orders_selectors
from weloop.orders.enums import OrderRefundKind, OrderRefundStatus
from weloop.orders.models import Order, OrderRefund
from weloop.stores.models import Store
from weloop.tenants.models import Merchant, StaffMember
from weloop.vouchers import selectors as vouchers_selectors

logger = logging.getLogger(__name__)

# Fields a reversal copies from the entry it reverses: the same buckets lose what they gained.
_CREDITING = (
    "store_id",
    "guide_id",
    "source_kind",
    "source",
    "qr_scene",
    "table_code",
    "deal_id",
    "referrer",
    "channel",
    "reference",
    "kind",
)


def source_of(*, qr_scene: str, table_code: str = "", referrer: str = "") -> tuple[str, str]:
    """(source kind, source) of a sale: a deal, an in-store table or shelf QR, a QR scene, a referrer.

    Scenes are what the orders app writes: ``deal:<deal id>``, ``table:<code>``, ``ref:<referral code>``
    (a referred member's H5 order), or a QR code's ``scene_str``. A table code without a scene (a table
    typed in) still counts as the table.
    """
    if qr_scene.startswith("deal:"):
        return SourceKind.DEAL, qr_scene[len("deal:") :][:64]
    if qr_scene.startswith("table:"):
        return SourceKind.TABLE, qr_scene[len("table:") :][:64]
    if qr_scene.startswith("ref:"):  # a referred member's order (storefront checkout, referrals)
        return SourceKind.REFERRER, qr_scene[len("ref:") :][:64]
    if table_code:
        return SourceKind.TABLE, table_code[:64]
    if qr_scene:
        return SourceKind.QR, qr_scene[:64]
    if referrer:
        return SourceKind.REFERRER, referrer[:64]
    return SourceKind.DIRECT, ""


def _record(merchant: Merchant, key: str, **fields: Any) -> tuple[AttributionEntry, bool]:
    """Insert the entry named ``key`` unless it exists; (entry, created). Safe against a concurrent twin."""
    existing = AttributionEntry.objects.for_merchant(merchant).filter(key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return AttributionEntry.objects.create(merchant=merchant, key=key, **fields), True
    except IntegrityError:  # another worker recorded the same fact a moment ago
        return AttributionEntry.objects.for_merchant(merchant).get(key=key), False


def _reverse(
    merchant: Merchant, original: AttributionEntry, *, key: str, amount_fen: int, units: int, at: datetime
) -> AttributionEntry:
    entry, _created = _record(
        merchant,
        key,
        is_reversal=True,
        reverses=original,
        amount_fen=-abs(amount_fen),
        units=-abs(units),
        occurred_at=at,
        **{f: getattr(original, f) for f in _CREDITING},
    )
    return entry


# --- orders ---------------------------------------------------------------------------------------


def _order(merchant: Merchant, order_no: str) -> Order | None:
    try:
        return orders_selectors.order_get(merchant=merchant, order_no=order_no)
    except NotFound:
        return None


def _order_credit(merchant: Merchant, order: Order) -> AttributionEntry | None:
    if order.paid_at is None:
        return None  # never paid (cancelled, expired): nothing to credit
    kind, source = source_of(qr_scene=order.qr_scene, table_code=order.table_code)
    entry, _created = _record(
        merchant,
        f"order_paid:{order.order_no}",
        kind=EntryKind.ORDER,
        amount_fen=order.total_fen,
        units=1,
        reference=order.order_no,
        store_id=order.source_store_id or order.store_id,
        guide_id=order.guide_id,
        source_kind=kind,
        source=source,
        qr_scene=order.qr_scene,
        table_code=order.table_code,
        deal_id=source if kind == SourceKind.DEAL else "",
        referrer=source if kind == SourceKind.REFERRER else "",
        channel=order.channel,
        occurred_at=order.paid_at,
    )
    return entry


def attribution_order_paid(*, merchant: Merchant, order_no: str) -> AttributionEntry | None:
    """Credit a paid order's total to its store (the attributed one, else the fulfilling one), guide
    and source. Returns None for an unknown or unpaid order. Idempotent."""
    order = _order(merchant, order_no)
    return None if order is None else _order_credit(merchant, order)


def attribution_order_refunded(
    *, merchant: Merchant, order_no: str, out_refund_no: str, amount_fen: int, at: datetime | None = None
) -> AttributionEntry | None:
    """Reverse exactly ``amount_fen`` of the order's credit for the refund ``out_refund_no``.

    Credits the order first if its payment has not been recorded yet (events may arrive out of
    order). Idempotent per refund number. Returns None for an unknown or unpaid order.
    """
    order = _order(merchant, order_no)
    credit = None if order is None else _order_credit(merchant, order)
    if credit is None or amount_fen <= 0:
        return None
    return _reverse(
        merchant, credit, key=f"order_refund:{out_refund_no}", amount_fen=amount_fen, units=0, at=at or clock.now()
    )


# --- redemptions ----------------------------------------------------------------------------------


def attribution_redemption(*, merchant: Merchant, redemption_id: str) -> AttributionEntry | None:
    """Credit a redemption to the store that redeemed it, the staff member at the counter and its deal:
    the uses redeemed and the price paid for them. Idempotent; None for an unknown redemption."""
    try:
        redemption = vouchers_selectors.redemption_get(merchant=merchant, redemption_id=redemption_id)
    except NotFound:
        return None
    deal_id = redemption.deal.public_id
    entry, _created = _record(
        merchant,
        f"redemption:{redemption.public_id}",
        kind=EntryKind.REDEMPTION,
        amount_fen=redemption.paid_fen,
        units=redemption.count,
        reference=redemption.public_id,
        store_id=redemption.store_id,
        guide_id=redemption.staff_id,
        source_kind=SourceKind.DEAL,
        source=deal_id,
        deal_id=deal_id,
        channel="redeem",
        occurred_at=redemption.redeemed_at,
    )
    return entry


def attribution_redemption_undone(*, merchant: Merchant, redemption_id: str) -> AttributionEntry | None:
    """Reverse an undone redemption (its uses and value). Idempotent; None for an unknown one."""
    credit = attribution_redemption(merchant=merchant, redemption_id=redemption_id)
    if credit is None:
        return None
    redemption = vouchers_selectors.redemption_get(merchant=merchant, redemption_id=redemption_id)
    if redemption.undone_at is None:
        return None  # not undone (a stray event): nothing to reverse
    return _reverse(
        merchant,
        credit,
        key=f"redemption_undone:{redemption_id}",
        amount_fen=credit.amount_fen,
        units=credit.units,
        at=redemption.undone_at,
    )


# --- bookings -------------------------------------------------------------------------------------


def _store(merchant: Merchant, store_id: Any) -> Store | None:
    if not store_id:
        return None
    return Store.objects.for_merchant(merchant).filter(public_id=str(store_id)).first()


def _staff(merchant: Merchant, staff_id: Any) -> StaffMember | None:
    if not staff_id:
        return None
    return StaffMember.objects.for_merchant(merchant).filter(public_id=str(staff_id)).first()


def attribution_booking(*, merchant: Merchant, payload: dict[str, Any], at: datetime) -> AttributionEntry | None:
    """Credit a confirmed (or completed) booking: one booking, its price, to its store and staff.

    Reads only the event's payload (bookings sits beside analytics and is not imported):
    ``booking_id`` (required), ``store_id``, ``staff_id``, ``price_fen``, ``order_no``,
    ``qr_scene``, ``channel``. When the booking has an order, the order's guide, source and total
    (the price or the deposit paid online) fill what the payload leaves out; a pay-at-store booking
    without ``price_fen`` is credited with value 0. Idempotent per booking: confirmation and
    completion credit once.
    """
    booking_id = str(payload.get("booking_id") or "")[:40]
    if not booking_id:
        return None
    order = _order(merchant, str(payload["order_no"])) if payload.get("order_no") else None
    store = _store(merchant, payload.get("store_id"))
    guide = _staff(merchant, payload.get("staff_id") or payload.get("guide_id"))
    scene = str(payload.get("qr_scene") or (order.qr_scene if order else ""))[:64]
    kind, source = source_of(qr_scene=scene)
    price = payload.get("price_fen")
    if not isinstance(price, int) and order is not None:
        price = order.total_fen  # what was paid online for it (the price, or the deposit)
    entry, _created = _record(
        merchant,
        f"booking:{booking_id}",
        kind=EntryKind.BOOKING,
        amount_fen=price if isinstance(price, int) and price >= 0 else 0,
        units=1,
        reference=booking_id,
        store_id=store.pk if store else (order.source_store_id or order.store_id if order else None),
        guide_id=guide.pk if guide else (order.guide_id if order else None),
        source_kind=kind,
        source=source,
        qr_scene=scene,
        deal_id=source if kind == SourceKind.DEAL else "",
        channel=str(payload.get("channel") or (order.channel if order else ""))[:64],
        occurred_at=at,
    )
    return entry


def attribution_booking_cancelled(*, merchant: Merchant, booking_id: str, at: datetime) -> AttributionEntry | None:
    """Reverse a credited booking that was cancelled afterwards; nothing when it was never credited."""
    credit = AttributionEntry.objects.for_merchant(merchant).filter(key=f"booking:{booking_id}").first()
    if credit is None:
        return None
    return _reverse(
        merchant, credit, key=f"booking_cancelled:{booking_id}", amount_fen=credit.amount_fen, units=1, at=at
    )


# --- backfill -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackfillResult:
    orders: int  # paid orders seen
    refunds: int  # succeeded refunds seen
    redemptions: int
    created: int  # entries written by this run (0 on a second run)


def attribution_backfill(*, merchant: Merchant) -> BackfillResult:
    """Rebuild the ledger of ``merchant`` from its paid orders, succeeded refunds and redemptions.

    Writes only what is missing (the keys make it idempotent): run it after installing analytics,
    or after a handler was dead-lettered. Bookings are credited from their events only.
    """
    before = AttributionEntry.objects.for_merchant(merchant).count()
    order_nos = list(
        Order.objects.for_merchant(merchant)
        .filter(paid_at__isnull=False)
        .order_by("id")
        .values_list("order_no", flat=True)
    )
    for order_no in order_nos:
        with transaction.atomic():
            attribution_order_paid(merchant=merchant, order_no=order_no)
    refunds = list(
        OrderRefund.objects.for_merchant(merchant)
        .filter(kind=OrderRefundKind.REFUND, status=OrderRefundStatus.SUCCEEDED)
        .select_related("order")
        .order_by("id")
    )
    for refund in refunds:
        with transaction.atomic():
            attribution_order_refunded(
                merchant=merchant,
                order_no=refund.order.order_no,
                out_refund_no=refund.out_refund_no,
                amount_fen=refund.amount_fen,
                at=refund.settled_at or refund.created_at,
            )
    redemptions = list(vouchers_selectors.redemption_list(merchant=merchant).order_by("id"))
    for redemption in redemptions:
        with transaction.atomic():
            attribution_redemption(merchant=merchant, redemption_id=redemption.public_id)
            if redemption.undone_at is not None:
                attribution_redemption_undone(merchant=merchant, redemption_id=redemption.public_id)
    created = AttributionEntry.objects.for_merchant(merchant).count() - before
    return BackfillResult(orders=len(order_nos), refunds=len(refunds), redemptions=len(redemptions), created=created)
