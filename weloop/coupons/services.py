"""Writes of coupons: templates, issuing (every channel), claiming, locking in an order, using,
releasing, restoring after a refund, counter redemption, voiding and expiry.

Limits hold under concurrency through conditional UPDATEs: a template's ``issued_count`` only
grows ``WHERE issued_count < budget`` (and a CHECK backs it); a member's ``CouponHolding.count``
only grows ``WHERE count < per_member_limit``; a coupon changes status only through
``state.COUPON`` (compare-and-set), so two counters scanning one code give one success.

Events: ``coupons.coupon_issued``, ``coupons.coupon_used``, ``coupons.coupon_released``,
``coupons.coupon_voided``, ``coupons.coupon_expired``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q

from weloop.core import clock
from weloop.core.db import get_or_not_found
from weloop.core.errors import ConcurrentModification, NotFound
from weloop.core.events import publish
from weloop.core.ids import random_token
from weloop.core.money import require_fen
from weloop.coupons.calculations import PriceLine, combination_problem, price_order
from weloop.coupons.enums import Channel, CouponStatus, TemplateKind, TemplateStatus
from weloop.coupons.errors import (
    CouponAlreadyUsed,
    CouponBudgetExhausted,
    CouponExpired,
    CouponLimitReached,
    CouponNotUsable,
    CouponNotYetValid,
    CouponsDoNotCombine,
    CouponThresholdNotMet,
    CouponWrongStore,
    InvalidTemplate,
    TemplateNotIssuable,
    UnknownCoupon,
)
from weloop.coupons.models import Coupon, CouponHolding, CouponTemplate, PricingPolicy
from weloop.coupons.selectors import offer_of
from weloop.coupons.state import COUPON, TEMPLATE
from weloop.tenants.models import Merchant

logger = logging.getLogger(__name__)

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L: read aloud at a counter
CODE_LENGTH = 8
MAX_VALID_DAYS = 3660


def _member_model() -> Any:
    # members shares this layer: reached through the FK, never imported.
    return Coupon._meta.get_field("member").related_model


# --- templates ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateInput:
    name: str
    kind: str
    amount_fen: int = 0
    percent_bps: int = 0
    cap_fen: int = 0
    threshold_fen: int = 0
    free_sku_id: str = ""
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    valid_days: int | None = None
    store_ids: Sequence[str] = field(default_factory=list)
    product_ids: Sequence[str] = field(default_factory=list)
    budget: int | None = None
    per_member_limit: int = 1
    stacking_group: str = "default"
    combinable: bool = True
    claimable: bool = False
    is_birthday: bool = False
    on_follow: bool = False
    on_first_payment: bool = False
    description: str = ""


def _whole(value: object, *, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidTemplate(f"{name} must be a whole number from {low} to {high}.", extra={"field": name})
    return value


def _ids(values: Iterable[object], *, name: str) -> list[str]:
    out = []
    for v in values or ():
        text = str(v or "").strip()
        if not text or len(text) > 24:
            raise InvalidTemplate(f"{name} holds an id that is not valid.", extra={"field": name})
        out.append(text)
    return list(dict.fromkeys(out))


def template_clean(data: TemplateInput) -> dict[str, Any]:
    """Check a template's fields; return them as model fields. Raises InvalidTemplate."""
    name = str(data.name or "").strip()
    if not name or len(name) > 80:
        raise InvalidTemplate("A coupon needs a name of at most 80 characters.", extra={"field": "name"})
    if data.kind not in TemplateKind.values:
        raise InvalidTemplate("Unknown coupon kind.", extra={"field": "kind"})
    amount = require_fen(data.amount_fen, field="amount_fen")
    cap = require_fen(data.cap_fen, field="cap_fen")
    threshold = require_fen(data.threshold_fen, field="threshold_fen")
    percent = _whole(data.percent_bps, name="percent_bps", low=0, high=10000)
    free_sku = str(data.free_sku_id or "").strip()[:24]
    if data.kind in (TemplateKind.AMOUNT_OFF, TemplateKind.THRESHOLD) and amount <= 0:
        raise InvalidTemplate("Say how much the coupon takes off.", extra={"field": "amount_fen"})
    if data.kind == TemplateKind.THRESHOLD and threshold <= amount:
        raise InvalidTemplate("The minimum spend must be above the amount off.", extra={"field": "threshold_fen"})
    if data.kind == TemplateKind.PERCENT_OFF and not 0 < percent < 10000:
        raise InvalidTemplate(
            "A percent-off coupon takes off between 0.01 % and 99.99 %.", extra={"field": "percent_bps"}
        )
    if data.kind == TemplateKind.FREE_ITEM and not free_sku:
        raise InvalidTemplate("Choose the SKU given free.", extra={"field": "free_sku_id"})
    if (data.valid_until is None) == (data.valid_days is None):
        raise InvalidTemplate(
            "Give either an end date or a number of days after issue.", extra={"field": "valid_until"}
        )
    days = None if data.valid_days is None else _whole(data.valid_days, name="valid_days", low=1, high=MAX_VALID_DAYS)
    if data.valid_until is not None and data.valid_from is not None and data.valid_until <= data.valid_from:
        raise InvalidTemplate("The validity must end after it starts.", extra={"field": "valid_until"})
    budget = None if data.budget is None else _whole(data.budget, name="budget", low=0, high=100_000_000)
    group = str(data.stacking_group or "").strip()[:32] or "default"
    return {
        "name": name,
        "description": str(data.description or "").strip()[:500],
        "kind": data.kind,
        "amount_fen": amount,
        "percent_bps": percent if data.kind == TemplateKind.PERCENT_OFF else 0,
        "cap_fen": cap if data.kind == TemplateKind.PERCENT_OFF else 0,
        "threshold_fen": threshold,
        "free_sku_id": free_sku if data.kind == TemplateKind.FREE_ITEM else "",
        "valid_from": data.valid_from,
        "valid_until": data.valid_until,
        "valid_days": days,
        "store_ids": _ids(data.store_ids, name="store_ids"),
        "product_ids": _ids(data.product_ids, name="product_ids"),
        "budget": budget,
        "per_member_limit": _whole(data.per_member_limit, name="per_member_limit", low=1, high=9999),
        "stacking_group": group,
        "combinable": bool(data.combinable),
        "claimable": bool(data.claimable),
        "is_birthday": bool(data.is_birthday),
        "on_follow": bool(data.on_follow),
        "on_first_payment": bool(data.on_first_payment),
    }


@transaction.atomic
def template_create(*, merchant: Merchant, data: TemplateInput, actor: str) -> CouponTemplate:
    """Create an active template. Raises InvalidTemplate. Emits coupons.template_created."""
    fields = template_clean(data)
    template = CouponTemplate.objects.create(merchant=merchant, claim_token=random_token(16), **fields)
    publish(
        merchant=merchant, name="coupons.template_created", payload={"template_id": template.public_id, "actor": actor}
    )
    return template


@transaction.atomic
def template_update(*, merchant: Merchant, template_id: str, data: TemplateInput, actor: str) -> CouponTemplate:
    """Change a template. Coupons already issued keep their validity; the budget cannot go below
    what was already given out."""
    template = get_or_not_found(
        CouponTemplate.objects.for_merchant(merchant).select_for_update(), what="coupon template", public_id=template_id
    )
    fields = template_clean(data)
    if fields["kind"] != template.kind and template.issued_count:
        raise InvalidTemplate("The kind of a coupon already given out cannot change.", extra={"field": "kind"})
    if fields["budget"] is not None and fields["budget"] < template.issued_count:
        raise InvalidTemplate(
            "The budget cannot be below the number already given out.",
            extra={"field": "budget", "issued": template.issued_count},
        )
    CouponTemplate.objects.filter(pk=template.pk).update(**fields, updated_at=clock.now())
    template.refresh_from_db()
    publish(
        merchant=merchant, name="coupons.template_updated", payload={"template_id": template.public_id, "actor": actor}
    )
    return template


@transaction.atomic
def template_set_status(*, merchant: Merchant, template_id: str, status: str, actor: str) -> CouponTemplate:
    """Pause, resume or end a template (issued coupons stay usable). Raises state.invalid_transition."""
    template = get_or_not_found(
        CouponTemplate.objects.for_merchant(merchant).select_for_update(), what="coupon template", public_id=template_id
    )
    if status not in TemplateStatus.values:
        raise InvalidTemplate("Unknown status.", extra={"field": "status"})
    TEMPLATE.transition(
        template, status, actor=actor, reason="template status", extra_updates={"updated_at": clock.now()}
    )
    return template


@transaction.atomic
def pricing_policy_set(*, merchant: Merchant, floor_fen: int, floor_bps: int) -> PricingPolicy:
    """Set the floor goods never go below after discounts."""
    floor = require_fen(floor_fen, field="floor_fen")
    share = _whole(floor_bps, name="floor_bps", low=0, high=10000)
    policy, _ = PricingPolicy.objects.update_or_create(
        merchant=merchant, defaults={"floor_fen": floor, "floor_bps": share, "updated_at": clock.now()}
    )
    return policy


# --- issuing --------------------------------------------------------------------------------------


def _validity(template: CouponTemplate, at: datetime) -> tuple[datetime, datetime]:
    start = max(template.valid_from or at, at) if template.valid_days is None else at
    if template.valid_days is not None:
        return start, at + timedelta(days=template.valid_days)
    assert template.valid_until is not None
    return (template.valid_from or at), template.valid_until


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _existing(merchant: Merchant, template: CouponTemplate, member: Any, source_ref: str) -> Coupon | None:
    if not source_ref:
        return None
    return (
        Coupon.objects.for_merchant(merchant)
        .filter(template=template, member_id=member.pk, source_ref=source_ref)
        .select_related("template")
        .first()
    )


def coupon_issue(
    *, merchant: Merchant, template: CouponTemplate, member: Any, channel: str, source_ref: str = "", actor: str = ""
) -> Coupon:
    """Give ``member`` one coupon of ``template``; the same non-empty ``source_ref`` returns the
    coupon it gave before.

    Raises TemplateNotIssuable (paused/ended/validity over), CouponLimitReached (the member holds
    ``per_member_limit`` of it), CouponBudgetExhausted (``budget`` given out). Writes nothing when
    it raises. Emits coupons.coupon_issued.
    """
    source_ref = str(source_ref or "")[:100]
    if template.merchant_id != merchant.pk or getattr(member, "merchant_id", None) != merchant.pk:
        raise NotFound("No such coupon template or member.", extra={"what": "coupon template"})
    if channel not in Channel.values:
        raise InvalidTemplate("Unknown issuing channel.", extra={"field": "channel"})
    if (existing := _existing(merchant, template, member, source_ref)) is not None:
        return existing
    try:
        with transaction.atomic():
            return _issue(merchant, template, member, channel, source_ref, actor)
    except IntegrityError:
        if (existing := _existing(merchant, template, member, source_ref)) is not None:
            return existing  # a concurrent call with the same source_ref issued it
        raise


def _issue(
    merchant: Merchant, template: CouponTemplate, member: Any, channel: str, source_ref: str, actor: str
) -> Coupon:
    now = clock.now()
    fresh = CouponTemplate.objects.filter(pk=template.pk).values("status", "valid_until").first() or {}
    if fresh.get("status") != TemplateStatus.ACTIVE:
        raise TemplateNotIssuable(extra={"template_id": template.public_id})
    if fresh.get("valid_until") is not None and fresh["valid_until"] <= now:
        raise TemplateNotIssuable("This coupon's validity is over.", extra={"template_id": template.public_id})
    # Per-member limit first, so a refused member never spends budget.
    with transaction.atomic():
        CouponHolding.objects.get_or_create(merchant=merchant, template=template, member_id=member.pk)
    grown = CouponHolding.objects.filter(
        merchant=merchant, template=template, member_id=member.pk, count__lt=template.per_member_limit
    ).update(count=F("count") + 1)
    if not grown:
        raise CouponLimitReached(extra={"template_id": template.public_id, "limit": template.per_member_limit})
    spent = (
        CouponTemplate.objects.filter(pk=template.pk)
        .filter(Q(budget__isnull=True) | Q(issued_count__lt=F("budget")))
        .update(issued_count=F("issued_count") + 1)
    )
    if not spent:
        raise CouponBudgetExhausted(extra={"template_id": template.public_id})
    valid_from, valid_until = _validity(template, now)
    coupon = None
    for _ in range(6):
        try:
            with transaction.atomic():
                coupon = Coupon.objects.create(
                    merchant=merchant,
                    template=template,
                    member_id=member.pk,
                    code=_new_code(),
                    channel=channel,
                    source_ref=source_ref,
                    actor=str(actor or "")[:150],
                    valid_from=valid_from,
                    valid_until=valid_until,
                    issued_at=now,
                )
            break
        except IntegrityError:
            if _existing(merchant, template, member, source_ref) is not None:
                raise
    if coupon is None:
        raise IntegrityError("could not draw a free coupon code")
    coupon.template = template
    publish(
        merchant=merchant,
        name="coupons.coupon_issued",
        payload={
            "coupon_id": coupon.public_id,
            "template_id": template.public_id,
            "member_id": getattr(member, "public_id", ""),
            "channel": channel,
            "source_ref": source_ref,
        },
    )
    return coupon


@dataclass(frozen=True)
class IssueResult:
    issued: int
    refused_budget: int
    refused_limit: int


def coupons_issue_many(
    *, merchant: Merchant, template: CouponTemplate, member_ids: Sequence[int], channel: str, source_ref: str
) -> IssueResult:
    """Issue one coupon to each member (pks); idempotent per (template, member, source_ref).

    Members already given one for ``source_ref`` count as issued. Once the budget runs out the rest
    are counted as refused_budget without trying. Members of another merchant are skipped.
    """
    Member = _member_model()
    issued = refused_budget = refused_limit = 0
    ids = list(dict.fromkeys(int(i) for i in member_ids))
    members = {m.pk: m for m in Member.objects.filter(merchant_id=merchant.pk, pk__in=ids)}
    for position, member_pk in enumerate(ids):
        member = members.get(member_pk)
        if member is None:
            continue
        try:
            coupon_issue(merchant=merchant, template=template, member=member, channel=channel, source_ref=source_ref)
            issued += 1
        except CouponLimitReached:
            refused_limit += 1
        except (CouponBudgetExhausted, TemplateNotIssuable):
            rest = [pk for pk in ids[position:] if pk in members]
            already = (
                set(
                    Coupon.objects.for_merchant(merchant)
                    .filter(template=template, member_id__in=rest, source_ref=source_ref)
                    .values_list("member_id", flat=True)
                )
                if source_ref
                else set()
            )
            issued += len(already)
            refused_budget += len(rest) - len(already)
            break
    return IssueResult(issued=issued, refused_budget=refused_budget, refused_limit=refused_limit)


@dataclass(frozen=True)
class ClaimResult:
    coupon: Coupon
    already_claimed: bool


def coupon_claim(*, merchant: Merchant, member: Any, claim_token: str, channel: str = Channel.CLAIM) -> ClaimResult:
    """A member claims a claimable template from its public link or QR. Claiming twice gives the
    one coupon back (``already_claimed``). Raises NotFound, TemplateNotIssuable, CouponBudgetExhausted."""
    template = (
        CouponTemplate.objects.for_merchant(merchant).filter(claim_token=str(claim_token or ""), claimable=True).first()
        if claim_token
        else None
    )
    if template is None:
        raise NotFound("No such coupon to claim.", extra={"what": "coupon template"})
    before = _existing(merchant, template, member, "claim")
    if before is not None:
        return ClaimResult(before, True)
    coupon = coupon_issue(
        merchant=merchant, template=template, member=member, channel=channel, source_ref="claim", actor="member"
    )
    return ClaimResult(coupon, False)


def coupon_issue_by_clerk(
    *, merchant: Merchant, template_id: str, member_lookup: str, actor: str, request_ref: str = ""
) -> Coupon:
    """A clerk gives a member a coupon; the member found by public id, phone or openid.

    ``request_ref`` (a form's one-time token) makes a double-submitted form issue once.
    """
    template = get_or_not_found(
        CouponTemplate.objects.for_merchant(merchant), what="coupon template", public_id=template_id
    )
    member = member_find(merchant=merchant, lookup=member_lookup)
    ref = f"clerk:{request_ref}" if request_ref else ""
    return coupon_issue(
        merchant=merchant, template=template, member=member, channel=Channel.CLERK, source_ref=ref, actor=actor
    )


def member_find(*, merchant: Merchant, lookup: str) -> Any:
    """The merchant's member whose public id, phone or openid is ``lookup`` (a card QR holds the
    public id). Raises NotFound."""
    text = str(lookup or "").strip()
    if text.startswith("member:"):
        text = text.split(":", 1)[1]
    Member = _member_model()
    if not text:
        raise NotFound("No such member.", extra={"what": "member"})
    member = (
        Member.objects.filter(merchant_id=merchant.pk)
        .filter(Q(public_id=text) | Q(phone=text) | Q(openid=text))
        .order_by("id")
        .first()
    )
    if member is None:
        raise NotFound("No member has this card code or phone number.", extra={"what": "member"})
    return member


def coupons_issue_on_event(*, merchant: Merchant, member: Any, trigger: str, source_ref: str) -> int:
    """Issue every active template flagged for ``trigger`` ("follow", "first_payment") once per
    member (``source_ref``); budget or limit refusals are logged, not raised. Returns how many."""
    flag = {"follow": "on_follow", "first_payment": "on_first_payment"}[trigger]
    issued = 0
    for template in CouponTemplate.objects.for_merchant(merchant).filter(status=TemplateStatus.ACTIVE, **{flag: True}):
        try:
            coupon_issue(merchant=merchant, template=template, member=member, channel=trigger, source_ref=source_ref)
            issued += 1
        except (CouponBudgetExhausted, CouponLimitReached, TemplateNotIssuable) as exc:
            logger.info("coupon %s not issued to %s on %s: %s", template.public_id, member.pk, trigger, exc.code)
    return issued


def coupons_issue_birthdays(*, merchant: Merchant, today: date | None = None) -> int:
    """Give every member whose birthday is ``today`` each active birthday template, once a year."""
    today = today or clock.now().date()
    templates = list(
        CouponTemplate.objects.for_merchant(merchant).filter(status=TemplateStatus.ACTIVE, is_birthday=True)
    )
    if not templates:
        return 0
    Member = _member_model()
    month_day = Q(birthday__month=today.month, birthday__day=today.day)
    if today.month == 3 and today.day == 1 and not _is_leap(today.year):
        month_day |= Q(birthday__month=2, birthday__day=29)  # 29 February babies celebrate on 1 March
    ids = list(Member.objects.filter(merchant_id=merchant.pk).filter(month_day).values_list("pk", flat=True))
    total = 0
    for template in templates:
        result = coupons_issue_many(
            merchant=merchant,
            template=template,
            member_ids=ids,
            channel=Channel.BIRTHDAY,
            source_ref=f"birthday:{today.year}",
        )
        total += result.issued
    return total


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


# --- orders ---------------------------------------------------------------------------------------


def coupons_lock(
    *, merchant: Merchant, member: Any, coupon_ids: Sequence[str], order_no: str, store_id: str = ""
) -> list[Coupon]:
    """Lock the member's coupons for ``order_no`` (available → locked). Run inside the order's
    transaction: rows are locked in pk order. Raises UnknownCoupon, CouponNotUsable,
    CouponExpired, CouponNotYetValid, CouponWrongStore, CouponsDoNotCombine."""
    ids = list(dict.fromkeys(str(c) for c in coupon_ids))
    if not ids:
        return []
    coupons = list(
        Coupon.objects.for_merchant(merchant)
        .select_for_update()
        .filter(public_id__in=ids, member_id=member.pk)
        .select_related("template")
        .order_by("pk")
    )
    if len(coupons) != len(ids):
        raise UnknownCoupon("No such coupon.", extra={"coupon_ids": sorted(set(ids) - {c.public_id for c in coupons})})
    now = clock.now()
    for coupon in coupons:
        coupon_check_usable(coupon, now=now, store_id=store_id)
    problem = combination_problem([offer_of(c) for c in coupons])
    if problem:
        raise CouponsDoNotCombine(extra={"reason": problem})
    for coupon in coupons:
        COUPON.transition(
            coupon, CouponStatus.LOCKED, actor="order", reason=order_no, extra_updates={"order_no": order_no}
        )
    return coupons


def coupon_check_usable(coupon: Coupon, *, now: datetime, store_id: str = "") -> None:
    """Raise why ``coupon`` cannot be used now (in ``store_id``), or return."""
    if coupon.status == CouponStatus.USED:
        raise CouponAlreadyUsed(extra={"coupon_id": coupon.public_id})
    if coupon.status == CouponStatus.EXPIRED or coupon.valid_until <= now:
        raise CouponExpired(extra={"coupon_id": coupon.public_id})
    if coupon.status != CouponStatus.AVAILABLE:
        raise CouponNotUsable(extra={"coupon_id": coupon.public_id, "status": coupon.status})
    if coupon.valid_from > now:
        raise CouponNotYetValid(extra={"coupon_id": coupon.public_id})
    stores = coupon.template.store_ids or []
    if stores and store_id not in stores:
        raise CouponWrongStore(extra={"coupon_id": coupon.public_id})


def coupons_use_for_order(*, merchant: Merchant, order_no: str, amounts: dict[str, int] | None = None) -> int:
    """The order was paid: its locked coupons become used. Idempotent. Emits coupons.coupon_used."""
    amounts = amounts or {}
    moved = 0
    with transaction.atomic():
        for coupon in (
            Coupon.objects.for_merchant(merchant)
            .select_for_update()
            .filter(order_no=order_no, status=CouponStatus.LOCKED)
            .select_related("template")
            .order_by("pk")
        ):
            COUPON.transition(
                coupon,
                CouponStatus.USED,
                actor="order",
                reason=f"paid {order_no}",
                extra_updates={
                    "used_at": clock.now(),
                    "used_amount_fen": max(int(amounts.get(coupon.public_id, 0)), 0),
                },
            )
            CouponTemplate.objects.filter(pk=coupon.template_id).update(used_count=F("used_count") + 1)
            _published_used(merchant, coupon)
            moved += 1
    return moved


def _published_used(merchant: Merchant, coupon: Coupon) -> None:
    publish(
        merchant=merchant,
        name="coupons.coupon_used",
        payload={
            "coupon_id": coupon.public_id,
            "template_id": coupon.template.public_id,
            "member_id": coupon.member.public_id,
            "order_no": coupon.order_no,
            "store_id": coupon.used_store_id,
            "amount_fen": coupon.used_amount_fen,
        },
    )


def coupons_release_for_order(*, merchant: Merchant, order_no: str) -> int:
    """The order was cancelled or expired unpaid: its locked coupons are available again. Idempotent."""
    moved = 0
    with transaction.atomic():
        for coupon in (
            Coupon.objects.for_merchant(merchant)
            .select_for_update()
            .filter(order_no=order_no, status=CouponStatus.LOCKED)
            .order_by("pk")
        ):
            COUPON.transition(
                coupon,
                CouponStatus.AVAILABLE,
                actor="order",
                reason=f"released {order_no}",
                extra_updates={"order_no": ""},
            )
            moved += 1
    return moved


def coupons_restore_for_refund(*, merchant: Merchant, order_no: str) -> int:
    """The order was fully refunded: its used coupons come back if still valid, else expire."""
    now = clock.now()
    moved = 0
    with transaction.atomic():
        for coupon in (
            Coupon.objects.for_merchant(merchant)
            .select_for_update()
            .filter(order_no=order_no, status=CouponStatus.USED)
            .order_by("pk")
        ):
            to = CouponStatus.AVAILABLE if coupon.valid_until > now else CouponStatus.EXPIRED
            COUPON.transition(
                coupon,
                to,
                actor="order",
                reason=f"refunded {order_no}",
                extra_updates={"order_no": "", "used_at": None, "used_amount_fen": 0},
            )
            CouponTemplate.objects.filter(pk=coupon.template_id, used_count__gt=0).update(
                used_count=F("used_count") - 1
            )
            moved += 1
    return moved


# --- counter --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Redeemed:
    coupon: Coupon
    discount_fen: int
    payable_fen: int


def coupon_redeem_offline(
    *,
    merchant: Merchant,
    code: str,
    amount_fen: int,
    store_id: str,
    actor: str,
    product_ids: Sequence[str] = (),
) -> Redeemed:
    """A clerk uses a coupon on an offline sale of ``amount_fen`` (of ``product_ids``, when the
    coupon is product-scoped). Exactly once: the status moves available → used by compare-and-set,
    so two counters scanning one code give one success and one CouponAlreadyUsed.

    Respects validity, store scope, product scope, threshold and the merchant's floor.
    Emits coupons.coupon_used.
    """
    amount = require_fen(amount_fen, field="amount_fen")
    text = str(code or "").strip().upper().replace(" ", "").replace("-", "")
    coupon = Coupon.objects.for_merchant(merchant).filter(code=text).select_related("template", "member").first()
    if coupon is None:
        raise UnknownCoupon(extra={"code": text})
    now = clock.now()
    coupon_check_usable(coupon, now=now, store_id=store_id)
    offer = offer_of(coupon)
    scoped = set(offer.product_ids)
    product = next((p for p in product_ids if p in scoped), "") if scoped else "offline"
    if scoped and not product:
        raise CouponThresholdNotMet("This coupon is for other products.", extra={"coupon_id": coupon.public_id})
    if offer.kind in (TemplateKind.SHIPPING, TemplateKind.FREE_ITEM):
        raise CouponNotUsable("This coupon is for online orders only.", extra={"coupon_id": coupon.public_id})
    policy = PricingPolicy.objects.for_merchant(merchant).first()
    result = price_order(
        lines=[PriceLine(sku_id="offline", product_id=product, unit_price_fen=amount, quantity=1)],
        shipping_fen=0,
        offers=[offer],
        floor_fen=policy.floor_fen if policy else 1,
        floor_bps=policy.floor_bps if policy else 0,
    )
    if result.refused:
        reason = result.refused[0][1]
        raise CouponThresholdNotMet(
            "The amount is below what this coupon needs."
            if reason == "threshold_not_met"
            else "This coupon takes nothing off this amount.",
            extra={"coupon_id": coupon.public_id, "reason": reason, "threshold_fen": offer.threshold_fen},
        )
    discount = result.goods_discount_fen
    try:
        with transaction.atomic():
            COUPON.transition(
                coupon,
                CouponStatus.USED,
                actor=actor,
                reason="counter",
                extra_updates={"used_at": now, "used_store_id": str(store_id)[:24], "used_amount_fen": discount},
            )
            CouponTemplate.objects.filter(pk=coupon.template_id).update(used_count=F("used_count") + 1)
            _published_used(merchant, coupon)
    except ConcurrentModification as exc:
        raise CouponAlreadyUsed(extra={"coupon_id": coupon.public_id}) from exc
    return Redeemed(coupon=coupon, discount_fen=discount, payable_fen=amount - discount)


# --- void and expiry ------------------------------------------------------------------------------


@transaction.atomic
def coupon_void(*, merchant: Merchant, coupon_id: str, actor: str, reason: str = "") -> Coupon:
    """Staff withdraw an available coupon. Raises state.invalid_transition when it is not available."""
    coupon = get_or_not_found(
        Coupon.objects.for_merchant(merchant).select_for_update(), what="coupon", public_id=coupon_id
    )
    COUPON.transition(coupon, CouponStatus.VOID, actor=actor, reason=reason or "voided")
    publish(merchant=merchant, name="coupons.coupon_voided", payload={"coupon_id": coupon.public_id, "actor": actor})
    return coupon


def coupons_expire_due(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Expire available coupons past their validity (locked ones wait for their order)."""
    now = now or clock.now()
    due = list(
        Coupon.objects.filter(status=CouponStatus.AVAILABLE, valid_until__lte=now).order_by("valid_until")[:limit]
    )
    moved = COUPON.transition_many([(c, {}, "validity over") for c in due], CouponStatus.EXPIRED, actor="system:expiry")
    return len(moved)
