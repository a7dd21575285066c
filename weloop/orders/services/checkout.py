"""Carts, checkout (member and valet orders), shipping rules and purchase limits."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from weloop.catalog.enums import ProductKind, ProductStatus
from weloop.catalog.models import Sku
from weloop.catalog.selectors import sku_offer_at
from weloop.core import clock
from weloop.core.errors import NotFound
from weloop.core.events import publish
from weloop.core.money import require_fen
from weloop.coupons.calculations import PriceLine
from weloop.inventory import services as inventory
from weloop.inventory.calculations import sku_subject
from weloop.inventory.enums import LocationKind, PoolKind
from weloop.inventory.errors import InsufficientCapacity
from weloop.inventory.models import CapacityPool, Hold, Location
from weloop.members.enums import TouchKind
from weloop.members.models import Member
from weloop.members.services import member_touch
from weloop.orders.calculations import shipping_fee
from weloop.orders.enums import (
    UNPURCHASED_STATUSES,
    FulfilmentType,
)
from weloop.orders.errors import (
    InsufficientStock,
    InvalidAddress,
    InvalidFulfilment,
    PurchaseLimitExceeded,
    UnknownSku,
)
from weloop.orders.models import (
    Cart,
    CartLine,
    Order,
    OrderLine,
    PurchaseLimit,
    ShippingRule,
)
from weloop.orders.services import pricing
from weloop.orders.services.common import (
    HOLD_GRACE,
    Attribution,
    Fulfilment,
    LineInput,
    _lines,
    _Priced,
    _quantity,
    _require_member,
    _require_staff,
    order_payload,
    payment_window,
)
from weloop.stores.enums import StoreStatus
from weloop.tenants.models import Merchant, StaffMember
from weloop.vouchers.selectors import deal_for_sku

logger = logging.getLogger(__name__)


# --- carts ----------------------------------------------------------------------------------------


def _cart_of(merchant: Merchant, member: Member) -> Cart:
    _require_member(merchant, member)
    cart, _ = Cart.objects.get_or_create(merchant=merchant, member=member)
    return cart


def _sellable_sku(merchant: Merchant, sku_id: object) -> Sku:
    sku = Sku.objects.for_merchant(merchant).select_related("product").filter(public_id=sku_id).first()
    if sku is None or not sku.is_active or sku.product.status != ProductStatus.ACTIVE:
        raise UnknownSku(extra={"sku": str(sku_id)})
    return sku


@transaction.atomic
def cart_add(*, merchant: Merchant, member: Member, sku_id: str, quantity: int = 1) -> Cart:
    """Add ``quantity`` of a SKU to the member's cart (adding to a line already there)."""
    quantity = _quantity(quantity, 0)
    sku = _sellable_sku(merchant, sku_id)
    cart = _cart_of(merchant, member)
    line = CartLine.objects.select_for_update().filter(cart=cart, sku=sku).first()
    if line is None:
        CartLine.objects.create(merchant=merchant, cart=cart, sku=sku, quantity=quantity)
    else:
        line.quantity = _quantity(line.quantity + quantity, 0)
        line.save(update_fields=["quantity"])
    Cart.objects.filter(pk=cart.pk).update(updated_at=clock.now())
    return cart


@transaction.atomic
def cart_update(*, merchant: Merchant, member: Member, sku_id: str, quantity: int) -> Cart:
    """Set a cart line's quantity; 0 removes the line."""
    if quantity == 0 and not isinstance(quantity, bool):
        return cart_remove(merchant=merchant, member=member, sku_id=sku_id)
    quantity = _quantity(quantity, 0)
    sku = _sellable_sku(merchant, sku_id)
    cart = _cart_of(merchant, member)
    CartLine.objects.update_or_create(cart=cart, sku=sku, defaults={"quantity": quantity, "merchant": merchant})
    return cart


@transaction.atomic
def cart_remove(*, merchant: Merchant, member: Member, sku_id: str) -> Cart:
    cart = _cart_of(merchant, member)
    CartLine.objects.filter(cart=cart, sku__public_id=sku_id).delete()
    return cart


def cart_lines(*, merchant: Merchant, member: Member) -> list[LineInput]:
    cart = _cart_of(merchant, member)
    return [LineInput(line.sku.public_id, line.quantity) for line in cart.lines.select_related("sku")]


# --- checkout -------------------------------------------------------------------------------------


def checkout_place(
    *,
    merchant: Merchant,
    member: Member,
    lines: Sequence[LineInput | tuple[str, Any]] | None = None,
    from_cart: bool = False,
    fulfilment: Fulfilment,
    attribution: Attribution | None = None,
    actor: str,
    idempotency_key: str = "",
    note: str = "",
    created_by_staff: StaffMember | None = None,
    coupon_ids: Sequence[str] = (),
    points: int = 0,
) -> Order:
    """Place an order of ``lines`` (or of the member's cart) and hold its stock until payment.

    ``coupon_ids`` (the member's coupons) are locked by the order and ``points`` (at most) spent,
    after the member level discount, in the order of ``coupons.calculations``; the breakdown is
    stored as ``OrderDiscount`` rows. Returns the ``pending_payment`` order; the same
    ``idempotency_key`` returns the same order. Raises EmptyOrder, InvalidQuantity, UnknownSku,
    InvalidFulfilment, InvalidAddress, PurchaseLimitExceeded, InsufficientStock, the coupon errors
    of ``pricing.quote``, loyalty.insufficient_points; writes nothing (and holds nothing, locks no
    coupon, spends no point) when it raises. Emits orders.order_placed. Empties the cart when
    ordering from it.
    """
    _require_member(merchant, member)
    idempotency_key = str(idempotency_key or "")[:100]
    if idempotency_key:
        existing = _by_idempotency_key(merchant, member, idempotency_key)
        if existing is not None:
            return existing
    wanted = _lines(cart_lines(merchant=merchant, member=member) if from_cart else (lines or []))
    _check_fulfilment(merchant, fulfilment)
    try:
        with transaction.atomic():
            order = _place(
                merchant,
                member,
                wanted,
                fulfilment,
                attribution or Attribution(),
                actor,
                idempotency_key,
                note,
                created_by_staff,
                coupon_ids,
                points,
            )
            if from_cart:
                CartLine.objects.filter(cart__merchant=merchant, cart__member=member).delete()
            return order
    except IntegrityError:
        if idempotency_key and (existing := _by_idempotency_key(merchant, member, idempotency_key)):
            return existing  # a concurrent call with the same key placed it
        raise


def _by_idempotency_key(merchant: Merchant, member: Member, key: str) -> Order | None:
    return Order.objects.for_merchant(merchant).filter(member=member, idempotency_key=key).first()


def _place(
    merchant: Merchant,
    member: Member,
    wanted: list[LineInput],
    fulfilment: Fulfilment,
    attribution: Attribution,
    actor: str,
    idempotency_key: str,
    note: str,
    created_by_staff: StaffMember | None,
    coupon_ids: Sequence[str] = (),
    points: int = 0,
) -> Order:
    # Lock the member: a member's concurrent checkouts queue, so purchase limits cannot be raced.
    Member.objects.select_for_update().filter(pk=member.pk).first()
    priced = _price(merchant, wanted, fulfilment)
    _check_purchase_limits(merchant, member, priced)
    store_id = fulfilment.store.public_id if fulfilment.store is not None else ""
    quoted = pricing.quote(
        merchant=merchant,
        member=member,
        lines=price_lines(priced),
        shipping_fen=_shipping(merchant, fulfilment.type, sum(p.unit_price_fen * p.quantity for p in priced)),
        coupon_ids=coupon_ids,
        points=points,
        store_id=store_id,
        lock=True,
    )
    totals = quoted.pricing
    now = clock.now()
    order = Order(
        merchant=merchant,
        member=member,
        fulfilment_type=fulfilment.type,
        store=fulfilment.store,
        table_code=str(fulfilment.table_code or "")[:32],
        subtotal_fen=totals.subtotal_fen,
        shipping_fen=totals.net_shipping_fen,
        discount_fen=totals.goods_discount_fen,
        total_fen=totals.total_fen,
        source_store=attribution.source_store or fulfilment.store,
        guide=attribution.guide,
        qr_scene=str(attribution.qr_scene or "")[:64],
        channel=str(attribution.channel or "")[:64],
        created_by_staff=created_by_staff,
        idempotency_key=idempotency_key,
        note=str(note or "")[:200],
        placed_at=now,
        expires_at=now + payment_window(),
        **_address_fields(fulfilment),
    )
    _save_with_new_number(order)
    holds = _hold(merchant, order, priced, actor)
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                merchant=merchant,
                order=order,
                sku=p.sku,
                product_id_snapshot=p.sku.product.public_id,
                product_name=p.sku.product.name,
                product_kind=p.sku.product.kind,
                sku_code=p.sku.code,
                options=p.sku.options,
                unit_price_fen=p.unit_price_fen,
                quantity=p.quantity,
                line_total_fen=p.unit_price_fen * p.quantity,
                discount_fen=discount,
                hold_id=hold.public_id if hold else "",
            )
            for p, hold, discount in zip(priced, holds, totals.line_discounts_fen, strict=True)
        ]
    )
    pricing.discounts_record(merchant=merchant, member=member, order=order, quoted=quoted, store_id=store_id)
    member_touch(
        merchant=merchant,
        openid=member.openid,
        kind=TouchKind.PURCHASE,
        at=now,
        store=order.source_store,
        staff=attribution.guide,
        channel=order.channel,
        detail={"order_no": order.order_no},
    )
    publish(merchant=merchant, name="orders.order_placed", payload=order_payload(order))
    return order


def price_lines(priced: Sequence[_Priced]) -> list[PriceLine]:
    return [
        PriceLine(
            sku_id=p.sku.public_id,
            product_id=p.sku.product.public_id,
            unit_price_fen=p.unit_price_fen,
            quantity=p.quantity,
        )
        for p in priced
    ]


@dataclass(frozen=True)
class CheckoutPreview:
    quote: pricing.Quote
    suggestions: pricing.Suggestions


def checkout_preview(
    *,
    merchant: Merchant,
    member: Member,
    lines: Sequence[LineInput | tuple[str, Any]] | None = None,
    from_cart: bool = False,
    fulfilment: Fulfilment,
    coupon_ids: Sequence[str] = (),
    points: int = 0,
) -> CheckoutPreview:
    """What ``checkout_place`` would charge (writes nothing), with the member's coupons ranked by
    what each saves here and the best combination. Raises what ``checkout_place`` raises for bad
    lines or coupons."""
    _require_member(merchant, member)
    wanted = _lines(cart_lines(merchant=merchant, member=member) if from_cart else (lines or []))
    priced = _price(merchant, wanted, fulfilment)
    store_id = fulfilment.store.public_id if fulfilment.store is not None else ""
    shipping = _shipping(merchant, fulfilment.type, sum(p.unit_price_fen * p.quantity for p in priced))
    lines_in = price_lines(priced)
    quoted = pricing.quote(
        merchant=merchant,
        member=member,
        lines=lines_in,
        shipping_fen=shipping,
        coupon_ids=coupon_ids,
        points=points,
        store_id=store_id,
    )
    suggestions = pricing.suggest(
        merchant=merchant, member=member, lines=lines_in, shipping_fen=shipping, store_id=store_id
    )
    return CheckoutPreview(quote=quoted, suggestions=suggestions)


def _save_with_new_number(order: Order) -> None:
    for _ in range(5):
        order.order_no = f"O{clock.now():%Y%m%d}{secrets.randbelow(10**8):08d}"
        try:
            with transaction.atomic():
                order.save(force_insert=True)
            return
        except IntegrityError:
            if order.idempotency_key and _by_idempotency_key(order.merchant, order.member, order.idempotency_key):
                raise
    raise IntegrityError("could not draw a free order number")


def _price(merchant: Merchant, wanted: list[LineInput], fulfilment: Fulfilment) -> list[_Priced]:
    skus = {
        s.public_id: s
        for s in Sku.objects.for_merchant(merchant)
        .select_related("product")
        .filter(public_id__in=[w.sku_id for w in wanted])
    }
    priced = []
    for w in wanted:
        sku = skus.get(w.sku_id)
        if sku is None:
            raise UnknownSku(extra={"sku": w.sku_id})
        offer = sku_offer_at(sku=sku, store=fulfilment.store)
        if not offer.is_sellable:
            raise UnknownSku(extra={"sku": w.sku_id})
        # A deal is delivered as vouchers: like a virtual product, nothing is shipped or picked up.
        virtual = sku.product.kind in (ProductKind.VIRTUAL, ProductKind.DEAL)
        if fulfilment.type == FulfilmentType.VIRTUAL and not virtual:
            raise InvalidFulfilment("Only virtual products are delivered as a code.", extra={"sku": w.sku_id})
        if virtual:  # delivered as a code whatever else the order does
            priced.append(_Priced(sku=sku, quantity=w.quantity, unit_price_fen=offer.price_fen))
            continue
        if fulfilment.type == FulfilmentType.DELIVERY and not sku.product.allows_delivery:
            raise InvalidFulfilment("This product cannot be delivered.", extra={"sku": w.sku_id})
        if fulfilment.type == FulfilmentType.PICKUP and not sku.product.allows_pickup:
            raise InvalidFulfilment("This product cannot be picked up.", extra={"sku": w.sku_id})
        priced.append(_Priced(sku=sku, quantity=w.quantity, unit_price_fen=offer.price_fen))
    return priced


def _check_fulfilment(merchant: Merchant, fulfilment: Fulfilment) -> None:
    if fulfilment.type not in FulfilmentType.values:
        raise InvalidFulfilment(extra={"field": "fulfilment", "value": str(fulfilment.type)})
    store = fulfilment.store
    if store is not None and store.merchant_id != merchant.pk:
        raise NotFound("No such store.", extra={"what": "store"})
    if fulfilment.type == FulfilmentType.DELIVERY:
        address = fulfilment.address
        if address is None or not all(str(v or "").strip() for v in (address.name, address.phone, address.detail)):
            raise InvalidAddress(extra={"field": "address"})
        return
    if fulfilment.type == FulfilmentType.VIRTUAL:
        return  # nothing to ship or pick up; a store, if given, is only attribution
    if store is None or store.status != StoreStatus.ACTIVE:
        raise InvalidFulfilment("Choose a store that is open.", extra={"field": "store"})


def _address_fields(fulfilment: Fulfilment) -> dict[str, str]:
    a = fulfilment.address
    if fulfilment.type != FulfilmentType.DELIVERY or a is None:
        return {}
    return {
        "ship_name": str(a.name).strip()[:40],
        "ship_phone": str(a.phone).strip()[:32],
        "ship_province": str(a.province or "").strip()[:40],
        "ship_city": str(a.city or "").strip()[:40],
        "ship_district": str(a.district or "").strip()[:40],
        "ship_detail": str(a.detail).strip()[:200],
    }


def _check_purchase_limits(merchant: Merchant, member: Member, priced: list[_Priced]) -> None:
    by_product: dict[int, int] = {}
    for p in priced:
        by_product[p.sku.product_id] = by_product.get(p.sku.product_id, 0) + p.quantity
    limits = PurchaseLimit.objects.for_merchant(merchant).filter(product_id__in=list(by_product))
    for limit in limits:
        bought = sum(
            OrderLine.objects.for_merchant(merchant)
            .filter(order__member=member, sku__product_id=limit.product_id)
            .exclude(order__status__in=UNPURCHASED_STATUSES)
            .values_list("quantity", flat=True)
        )
        if bought + by_product[limit.product_id] > limit.max_per_member:
            raise PurchaseLimitExceeded(
                extra={
                    "limit": limit.max_per_member,
                    "already_bought": bought,
                    "requested": by_product[limit.product_id],
                }
            )


def _shipping(merchant: Merchant, fulfilment_type: str, subtotal_fen: int) -> int:
    rule = ShippingRule.objects.for_merchant(merchant).first()
    if rule is None:
        return 0
    return shipping_fee(
        fulfilment=fulfilment_type,
        subtotal_fen=subtotal_fen,
        flat_fee_fen=rule.flat_fee_fen,
        free_above_fen=rule.free_above_fen,
    )


def _stock_pool(merchant: Merchant, sku: Sku, quantity: int, fulfilment_type: str, store: Any) -> CapacityPool | None:
    """Pickup and in-store orders take the store's own stock; deliveries the best-stocked warehouse.

    Virtual products are limited only when the merchant gave them a stock pool (any location);
    without one they are unlimited (None: nothing to hold).
    """
    if sku.product.kind == ProductKind.DEAL:
        return _deal_quota_pool(merchant, sku, quantity)
    pools = CapacityPool.objects.for_merchant(merchant).filter(
        kind=PoolKind.GOODS_STOCK, subject=sku_subject(sku.public_id)
    )
    if sku.product.kind == ProductKind.VIRTUAL:
        return max(pools, key=lambda p: (p.available, -p.pk), default=None)
    if fulfilment_type == FulfilmentType.DELIVERY:
        pools = pools.exclude(location__kind=LocationKind.STORE)
    else:
        location = Location.objects.for_merchant(merchant).filter(store=store).first()
        pools = pools.filter(location=location) if location else pools.none()
    candidates = sorted(pools, key=lambda p: (-p.available, p.pk))
    if not candidates:
        raise InsufficientStock(extra={"sku": sku.public_id, "requested": quantity, "available": 0})
    return candidates[0]


def _deal_quota_pool(merchant: Merchant, sku: Sku, quantity: int) -> CapacityPool:
    """A deal's SKU takes units of the deal's quota (vouchers.Deal, pool ``deal:<public_id>``)."""
    deal = deal_for_sku(merchant=merchant, sku=sku)
    pool = (
        CapacityPool.objects.for_merchant(merchant)
        .filter(kind=PoolKind.DEAL_QUOTA, subject=deal.quota_subject, location__isnull=True)
        .first()
        if deal is not None
        else None
    )
    if pool is None:
        raise InsufficientStock(extra={"sku": sku.public_id, "requested": quantity, "available": 0})
    return pool


def _hold(merchant: Merchant, order: Order, priced: list[_Priced], actor: str) -> list[Hold | None]:
    """Hold each line's stock; a line with nothing to hold (an unlimited virtual product) gets None."""
    pools = [_stock_pool(merchant, p.sku, p.quantity, order.fulfilment_type, order.store) for p in priced]
    lines = [(pool, p.quantity) for pool, p in zip(pools, priced, strict=True) if pool is not None]
    if not lines:
        return [None] * len(priced)
    try:
        held = iter(
            inventory.capacity_hold(
                merchant=merchant,
                lines=lines,
                expires_at=order.expires_at + HOLD_GRACE,
                reference=order.order_no,
                actor=actor,
                reason="order",
            )
        )
    except InsufficientCapacity as exc:
        sku = next(
            (
                p.sku.public_id
                for pool, p in zip(pools, priced, strict=True)
                if pool is not None and pool.public_id == exc.extra.get("pool")
            ),
            "",
        )
        raise InsufficientStock(extra={**exc.extra, "sku": sku}) from exc
    return [next(held) if pool is not None else None for pool in pools]


def order_valet_create(
    *,
    merchant: Merchant,
    staff: StaffMember,
    member_openid: str,
    lines: Sequence[LineInput | tuple[str, Any]],
    fulfilment: Fulfilment,
    qr_scene: str = "",
    idempotency_key: str = "",
    note: str = "",
    source_store: Any = None,
) -> Order:
    """Staff place an order on behalf of a member (found by openid): the staff member is its guide.

    The sale is credited to ``source_store`` (default: the fulfilling store), e.g. the store a
    clerk works in when they take a delivery order.
    """
    _require_staff(merchant, staff)
    if source_store is not None and source_store.merchant_id != merchant.pk:
        raise NotFound("No such store.", extra={"what": "store"})
    member = Member.objects.for_merchant(merchant).filter(openid=str(member_openid or "")).first()
    if member is None:
        raise NotFound("No such member.", extra={"what": "member"})
    return checkout_place(
        merchant=merchant,
        member=member,
        lines=lines,
        fulfilment=fulfilment,
        attribution=Attribution(
            source_store=source_store or fulfilment.store, guide=staff, qr_scene=qr_scene, channel="valet"
        ),
        actor=f"staff:{staff.public_id}",
        idempotency_key=idempotency_key,
        note=note,
        created_by_staff=staff,
    )


# --- settings -------------------------------------------------------------------------------------


@transaction.atomic
def shipping_rule_set(*, merchant: Merchant, flat_fee_fen: int, free_above_fen: int | None) -> ShippingRule:
    flat = require_fen(flat_fee_fen, field="flat_fee_fen")
    free = None if free_above_fen is None else require_fen(free_above_fen, field="free_above_fen")
    rule, _ = ShippingRule.objects.update_or_create(
        merchant=merchant, defaults={"flat_fee_fen": flat, "free_above_fen": free, "updated_at": clock.now()}
    )
    return rule


@transaction.atomic
def purchase_limit_set(*, merchant: Merchant, product: Any, max_per_member: int | None) -> PurchaseLimit | None:
    """Limit a product per member (None removes the limit)."""
    if product.merchant_id != merchant.pk:
        raise NotFound("No such product.", extra={"what": "product"})
    if max_per_member is None:
        PurchaseLimit.objects.for_merchant(merchant).filter(product=product).delete()
        return None
    quantity = _quantity(max_per_member, 0)
    limit, _ = PurchaseLimit.objects.update_or_create(
        merchant=merchant, product=product, defaults={"max_per_member": quantity}
    )
    return limit
