"""Referral writes: settings, referrer codes, bindings, the commission ledger and payout statements.

Ledger rules (docs/referral.md):
- a paid order of a bound member accrues at most two entries (level 1: the member's referrer,
  level 2: that referrer's own referrer), on the goods the member paid (shipping excluded), frozen;
- the order's completion schedules the entries to unfreeze ``freeze_days`` later (the refund
  window); ``commissions_unfreeze_due`` (periodic) makes them available;
- a refund writes NEW reversing entries so the commission matches the goods the member kept; a
  reversal of an entry that was already paid out is available (negative) and is netted from the
  referrer's next statement;
- a statement takes a referrer's available entries (their sum must be positive); marking it paid
  (cash or transfer, recorded by hand) moves them to paid and writes one ``payout`` entry.
Every handler input is idempotent: (order, level, kind, source_ref) is unique.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum

from weloop.core import clock
from weloop.core.db import get_or_not_found
from weloop.core.errors import WeloopError
from weloop.core.events import publish
from weloop.core.ids import new_public_id
from weloop.core.money import split_proportionally
from weloop.members.enums import QrCodeKind
from weloop.members.models import Member, QrCode
from weloop.members.services import qr_code_create
from weloop.orders.enums import OrderStatus
from weloop.orders.models import Order
from weloop.referrals import calculations
from weloop.referrals.enums import BindingSource, EntryKind, EntryStatus, ReferrerStatus, StatementStatus
from weloop.referrals.errors import (
    AlreadyBound,
    InvalidReferralSettings,
    NothingToPay,
    ReferralLoop,
    ReferralsDisabled,
    ReferrerNotInGoodStanding,
    SelfReferral,
    StatementNotOpen,
    UnknownReferralCode,
)
from weloop.referrals.models import (
    MAX_BPS,
    CommissionEntry,
    ProductRate,
    ReferralBinding,
    ReferralSettings,
    Referrer,
    RefusedReferral,
    Statement,
)
from weloop.referrals.selectors import settings_of
from weloop.referrals.state import ENTRY, STATEMENT
from weloop.tenants.models import Merchant

logger = logging.getLogger(__name__)

CODE_LENGTH = 8
MAX_UPLINE_WALK = 64  # far deeper than any real chain; bounds the loop check


# --- settings -----------------------------------------------------------------------------------


def _check_bps(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_BPS:
        raise InvalidReferralSettings(extra={"field": field, "value": value})
    return value


def settings_update(
    *,
    merchant: Merchant,
    enabled: bool,
    level1_bps: int,
    level2_bps: int,
    attribution_days: int,
    freeze_days: int,
    actor: str = "",
) -> ReferralSettings:
    """Save the programme's settings. New rates apply to orders paid from now on (accruals keep theirs).

    Raises InvalidReferralSettings (rates 0..10000 bp, level 2 not above level 1, attribution 1..3650
    days, refund window 0..365 days).
    """
    _check_bps(level1_bps, "level1_bps")
    _check_bps(level2_bps, "level2_bps")
    if level2_bps > level1_bps:
        raise InvalidReferralSettings(
            "The second-level rate may not be above the direct rate.", extra={"field": "level2_bps"}
        )
    if not isinstance(attribution_days, int) or not 1 <= attribution_days <= 3650:
        raise InvalidReferralSettings(extra={"field": "attribution_days", "value": attribution_days})
    if not isinstance(freeze_days, int) or not 0 <= freeze_days <= 365:
        raise InvalidReferralSettings(extra={"field": "freeze_days", "value": freeze_days})
    with transaction.atomic():
        settings = ReferralSettings.objects.for_merchant(merchant).select_for_update().first()
        if settings is None:
            settings = ReferralSettings(merchant=merchant)
        settings.enabled = bool(enabled)
        settings.level1_bps = level1_bps
        settings.level2_bps = level2_bps
        settings.attribution_days = attribution_days
        settings.freeze_days = freeze_days
        settings.updated_at = clock.now()
        try:
            with transaction.atomic():
                settings.save()
        except IntegrityError:  # created by a concurrent save: take the row and save again
            existing = ReferralSettings.objects.for_merchant(merchant).get()
            settings.pk = existing.pk
            settings.save(force_update=True)
    return settings


def product_rate_set(*, merchant: Merchant, product: Any, level1_bps: int, level2_bps: int) -> ProductRate:
    """Give ``product`` its own commission rates (0 excludes it). Raises InvalidReferralSettings."""
    _check_bps(level1_bps, "level1_bps")
    _check_bps(level2_bps, "level2_bps")
    rate, _created = ProductRate.objects.for_merchant(merchant).update_or_create(
        merchant=merchant, product=product, defaults={"level1_bps": level1_bps, "level2_bps": level2_bps}
    )
    return rate


def product_rate_remove(*, merchant: Merchant, product: Any) -> bool:
    deleted, _ = ProductRate.objects.for_merchant(merchant).filter(product=product).delete()
    return bool(deleted)


# --- referrers ----------------------------------------------------------------------------------


def referrer_for_member(*, merchant: Merchant, member: Member) -> Referrer:
    """The member's referrer record with its share code, created on first use (idempotent, race-safe)."""
    existing = Referrer.objects.for_merchant(merchant).filter(member=member).first()
    if existing is not None:
        return existing
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Referrer.objects.create(
                    merchant=merchant, member=member, code=new_public_id("", CODE_LENGTH), created_at=clock.now()
                )
        except IntegrityError:
            existing = Referrer.objects.for_merchant(merchant).filter(member=member).first()
            if existing is not None:
                return existing  # a concurrent request created it
            # else the random code collided: draw another
    raise RuntimeError("could not draw a free referral code")


def referrer_block(*, merchant: Merchant, referrer: Referrer, reason: str, actor: str = "") -> Referrer:
    """Stop ``referrer`` from binding friends and earning on new orders; what was earned stays."""
    Referrer.objects.for_merchant(merchant).filter(pk=referrer.pk).update(
        status=ReferrerStatus.BLOCKED, blocked_reason=(reason or "")[:200]
    )
    referrer.refresh_from_db()
    logger.info("referrer %s blocked by %s: %s", referrer.code, actor, reason)
    return referrer


def referrer_unblock(*, merchant: Merchant, referrer: Referrer, actor: str = "") -> Referrer:
    Referrer.objects.for_merchant(merchant).filter(pk=referrer.pk).update(
        status=ReferrerStatus.ACTIVE, blocked_reason=""
    )
    referrer.refresh_from_db()
    return referrer


WECHAT_QR_SECONDS = 30 * 24 * 3600  # WeChat's longest temporary code (permanent ones are capped at 100,000)
WECHAT_QR_RENEW_BEFORE = timedelta(days=3)
REFERRAL_CHANNEL_PREFIX = "ref:"


def referrer_wechat_qr(*, merchant: Merchant, referrer: Referrer, api: Any = None) -> QrCode:
    """The referrer's temporary parametric QR of the service account (channel ``ref:<code>``).

    Made at WeChat on first use and again when the current one has less than three days left; a
    follow through it binds the follower (``handlers.bind_on_follow``). Call outside a transaction:
    raises what ``members.services.qr_code_create`` raises (``WechatNotConnected``, ``WeChatApiError``…).
    """
    current = referrer.wechat_qr_id and QrCode.objects.for_merchant(merchant).filter(pk=referrer.wechat_qr_id).first()
    if current and current.expire_at and current.expire_at - clock.now() > WECHAT_QR_RENEW_BEFORE:
        return current
    qr = qr_code_create(
        merchant=merchant,
        kind=QrCodeKind.CHANNEL,
        channel=f"{REFERRAL_CHANNEL_PREFIX}{referrer.code}",
        permanent=False,
        expire_seconds=WECHAT_QR_SECONDS,
        api=api,
    )
    Referrer.objects.for_merchant(merchant).filter(pk=referrer.pk).update(wechat_qr=qr)
    referrer.wechat_qr = qr
    return qr


# --- bindings -----------------------------------------------------------------------------------


def _is_same_person(a: Member, b: Member) -> bool:
    if a.pk == b.pk or a.openid == b.openid:
        return True
    return bool(a.unionid) and a.unionid == b.unionid


def _in_downline(merchant: Merchant, *, member_id: int, candidate_id: int) -> bool:
    """Whether ``candidate`` was brought in (directly or through others, ever) by ``member``."""
    frontier, seen = {candidate_id}, {candidate_id}
    for _depth in range(MAX_UPLINE_WALK):
        parents = set(
            ReferralBinding.objects.for_merchant(merchant)
            .filter(member_id__in=frontier)
            .values_list("referrer_member_id", flat=True)
        )
        if member_id in parents:
            return True
        frontier = parents - seen
        if not frontier:
            return False
        seen |= frontier
    return True  # an upline this deep is not a real chain: refuse rather than guess


def binding_create(
    *, merchant: Merchant, member: Member, code: str, source: str = BindingSource.LINK
) -> ReferralBinding:
    """Bind ``member`` to the referrer of ``code`` for the attribution window. The first binding wins.

    Returns the member's binding: the new one, or the current one when it is already to this
    referrer (a landing twice is one binding). Two concurrent landings of one member produce one
    binding (unique (member, seq)); the loser gets AlreadyBound or the winner's row.

    Raises ReferralsDisabled, UnknownReferralCode, ReferrerNotInGoodStanding, SelfReferral (same member,
    openid or unionid), ReferralLoop (the referrer is in the member's downline), AlreadyBound.
    """
    settings = settings_of(merchant=merchant)
    if not settings.enabled:
        raise ReferralsDisabled()
    normal = (code or "").strip().upper()[:16]
    referrer = (
        Referrer.objects.for_merchant(merchant).select_related("member").filter(code=normal).first() if normal else None
    )
    if referrer is None:
        raise UnknownReferralCode(extra={"code": normal})
    if referrer.status != ReferrerStatus.ACTIVE:
        raise ReferrerNotInGoodStanding(extra={"code": normal})
    if _is_same_person(referrer.member, member):
        raise SelfReferral(extra={"code": normal})
    now = clock.now()
    # The member's latest binding, read once: whether it is in force and which sequence number a new
    # one takes come from the same row, so a binding committed meanwhile makes our insert collide.
    latest = ReferralBinding.objects.for_merchant(merchant).filter(member=member).order_by("-seq").first()
    last_seq = latest.seq if latest is not None else 0
    if latest is not None and latest.bound_at <= now < latest.expires_at:
        if latest.referrer_id == referrer.pk:
            return latest
        raise AlreadyBound(extra={"code": normal})
    if _in_downline(merchant, member_id=member.pk, candidate_id=referrer.member_id):
        raise ReferralLoop(extra={"code": normal})
    try:
        with transaction.atomic():
            binding = ReferralBinding.objects.create(
                merchant=merchant,
                member=member,
                referrer=referrer,
                referrer_member_id=referrer.member_id,
                seq=last_seq + 1,
                source=source if source in BindingSource.values else BindingSource.LINK,
                bound_at=now,
                expires_at=now + timedelta(days=settings.attribution_days),
            )
            publish(
                merchant=merchant,
                name="referrals.member_bound",
                payload={
                    "binding_id": binding.public_id,
                    "member_id": member.public_id,
                    "referrer_id": referrer.member.public_id,
                    "referrer_code": referrer.code,
                    "expires_at": binding.expires_at.isoformat(),
                },
            )
            return binding
    except IntegrityError:
        winner = ReferralBinding.objects.for_merchant(merchant).filter(member=member, seq=last_seq + 1).first()
        if winner is not None and winner.referrer_id == referrer.pk:
            return winner
        raise AlreadyBound(extra={"code": normal}) from None


def binding_create_quietly(
    *, merchant: Merchant, member: Member, code: str, source: str = BindingSource.LINK
) -> ReferralBinding | None:
    """``binding_create`` for links and scans: a refusal is logged and counted, not raised (None)."""
    try:
        return binding_create(merchant=merchant, member=member, code=code, source=source)
    except WeloopError as refused:
        logger.info("referral %s refused for %s: %s", code, member.public_id, refused.code)
        referral_refusal_record(merchant=merchant, code=refused.code)
        return None


def referral_refusal_record(*, merchant: Merchant, code: str) -> None:
    """Count one refused ``?ref=`` landing under its error code (the H5 shows nothing)."""
    day = clock.today_local().date()
    with transaction.atomic():
        updated = RefusedReferral.objects.for_merchant(merchant).filter(day=day, code=code).update(count=F("count") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    RefusedReferral.objects.create(merchant=merchant, day=day, code=code, count=1)
            except IntegrityError:
                RefusedReferral.objects.for_merchant(merchant).filter(day=day, code=code).update(count=F("count") + 1)


# --- the ledger ---------------------------------------------------------------------------------


def _order(merchant: Merchant, order_no: str) -> Order | None:
    if not order_no:
        return None
    return Order.objects.for_merchant(merchant).select_related("member").filter(order_no=order_no).first()


def _goods_paid(order: Order) -> list[tuple[str, str, int]]:
    """(line public id, product public id, goods paid fen) per line; shipping excluded.

    The lines carry their share of the order's discount; when they do not add up to what was paid
    for goods (a discount kept at order level), the goods paid is spread over them in proportion.
    """
    lines = list(order.lines.all())
    goods = max(order.total_fen - order.shipping_fen, 0)
    nets = [max(line.net_fen, 0) for line in lines]
    if sum(nets) != goods:
        nets = split_proportionally(goods, nets) if sum(nets) else split_proportionally(goods, [1] * len(lines))
    return [(line.public_id, line.product_id_snapshot, net) for line, net in zip(lines, nets, strict=True)]


def _rates(merchant: Merchant, settings: ReferralSettings, product_ids: set[str]) -> dict[str, tuple[int, int]]:
    overrides = {
        public_id: (l1, l2)
        for public_id, l1, l2 in ProductRate.objects.for_merchant(merchant)
        .filter(product__public_id__in=product_ids)
        .values_list("product__public_id", "level1_bps", "level2_bps")
    }
    return {pid: overrides.get(pid, (settings.level1_bps, settings.level2_bps)) for pid in product_ids}


def _upline_at(merchant: Merchant, order: Order) -> list[Referrer]:
    """The order's referrers: [level 1, level 2], each bound at the time of payment and active."""
    at = order.paid_at or clock.now()
    chain: list[Referrer] = []
    buyer = order.member
    current_member_id = buyer.pk
    for _level in range(calculations.MAX_LEVELS):
        binding = (
            ReferralBinding.objects.for_merchant(merchant)
            .select_related("referrer")
            .filter(member_id=current_member_id, bound_at__lte=at, expires_at__gt=at)
            .order_by("-seq")
            .first()
        )
        if binding is None or binding.referrer_member_id == buyer.pk:
            break
        chain.append(binding.referrer)
        current_member_id = binding.referrer_member_id
    return chain


def _insert_entry(merchant: Merchant, **fields: Any) -> tuple[CommissionEntry, bool]:
    key = {k: fields[k] for k in ("order_no", "level", "kind", "source_ref")}
    existing = CommissionEntry.objects.for_merchant(merchant).filter(**key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return CommissionEntry.objects.create(merchant=merchant, created_at=clock.now(), **fields), True
    except IntegrityError:  # a concurrent delivery of the same event wrote it first
        return CommissionEntry.objects.for_merchant(merchant).get(**key), False


def _unfreeze_at(merchant: Merchant, order: Order, settings: ReferralSettings) -> Any:
    if order.status == OrderStatus.REFUNDED:
        return clock.now()  # nothing is left to refund: the accrual and its reversal net to zero
    if order.completed_at is None:
        return None
    return order.completed_at + timedelta(days=settings.freeze_days)


def commissions_accrue(*, merchant: Merchant, order_no: str) -> list[CommissionEntry]:
    """Accrue the paid order's commission to its referrers (at most two levels), frozen.

    Idempotent per (order, level). Does nothing for an unknown or unpaid order, a buyer without a
    binding active at payment, blocked referrers, a switched-off programme or a zero commission.
    Emits referrals.commission_accrued per new entry.
    """
    order = _order(merchant, order_no)
    if order is None or order.paid_at is None:
        return []
    existing = list(
        CommissionEntry.objects.for_merchant(merchant).filter(order_no=order.order_no, kind=EntryKind.ACCRUE)
    )
    settings = settings_of(merchant=merchant)
    if existing or not settings.enabled:
        return existing
    chain = _upline_at(merchant, order)
    if not chain:
        return []
    goods = _goods_paid(order)
    rates = _rates(merchant, settings, {product for _line, product, _net in goods})
    unfreeze_at = _unfreeze_at(merchant, order, settings)
    entries = []
    for level, referrer in enumerate(chain, start=1):
        if referrer.status != ReferrerStatus.ACTIVE:
            continue
        parts = [(line, net, rates[product][level - 1]) for line, product, net in goods]
        amount = calculations.commission_fen((net, bps) for _line, net, bps in parts)
        basis = [{"line": line, "paid_fen": net, "bps": bps} for line, net, bps in parts]
        if amount <= 0:
            continue
        entry, created = _insert_entry(
            merchant,
            order_no=order.order_no,
            level=level,
            kind=EntryKind.ACCRUE,
            source_ref="",
            referrer=referrer,
            amount_fen=amount,
            status=EntryStatus.FROZEN,
            buyer=order.member,
            base_fen=sum(net for _line, net, _bps in parts),
            rate_bps=settings.level1_bps if level == 1 else settings.level2_bps,
            basis=basis,
            unfreeze_at=unfreeze_at,
        )
        entries.append(entry)
        if created:
            publish(merchant=merchant, name="referrals.commission_accrued", payload=_entry_payload(entry, referrer))
    return entries


def _entry_payload(entry: CommissionEntry, referrer: Referrer) -> dict[str, Any]:
    return {
        "entry_id": entry.public_id,
        "order_no": entry.order_no,
        "level": entry.level,
        "kind": entry.kind,
        "amount_fen": entry.amount_fen,
        "referrer_code": referrer.code,
        "referrer_member_id": referrer.member.public_id,
    }


def commissions_reverse(*, merchant: Merchant, order_no: str, out_refund_no: str) -> list[CommissionEntry]:
    """Write reversing entries for the refund ``out_refund_no`` so each level keeps only the
    commission on the goods not refunded (shipping refunds change nothing).

    Accrues first if the payment's event has not been handled yet (events may arrive out of
    order). Idempotent per (order, level, refund); later refunds already applied to the order are
    taken into account, so a late or repeated delivery never reverses twice. A reversal of a
    frozen accrual stays frozen with it; of an available or paid one it is available at once (a
    paid-out commission leaves a negative balance, netted from the next statement).
    Emits referrals.commission_reversed per new entry.
    """
    order = _order(merchant, order_no)
    if order is None or not out_refund_no:
        return []
    accruals = commissions_accrue(merchant=merchant, order_no=order_no)
    if not accruals:
        return []
    refunded_by_line = dict(order.lines.values_list("public_id", "refunded_fen"))
    settings = settings_of(merchant=merchant)
    written = []
    for accrual in accruals:
        reversed_fen = -(
            CommissionEntry.objects.for_merchant(merchant)
            .filter(order_no=order.order_no, level=accrual.level, kind=EntryKind.REVERSE)
            .aggregate(s=Sum("amount_fen"))["s"]
            or 0
        )
        amount = calculations.reversal_fen(
            basis=accrual.basis,
            refunded_by_line=refunded_by_line,
            accrued_fen=accrual.amount_fen,
            reversed_fen=reversed_fen,
        )
        if amount <= 0:
            continue
        frozen = accrual.status == EntryStatus.FROZEN
        entry, created = _insert_entry(
            merchant,
            order_no=order.order_no,
            level=accrual.level,
            kind=EntryKind.REVERSE,
            source_ref=out_refund_no[:40],
            referrer_id=accrual.referrer_id,
            amount_fen=-amount,
            status=EntryStatus.FROZEN if frozen else EntryStatus.AVAILABLE,
            buyer_id=accrual.buyer_id,
            base_fen=sum(min(refunded_by_line.get(p["line"], 0), p["paid_fen"]) for p in accrual.basis),
            rate_bps=accrual.rate_bps,
            basis=[],
            unfreeze_at=accrual.unfreeze_at if frozen else None,
        )
        if created:
            written.append(entry)
            referrer = Referrer.objects.for_merchant(merchant).select_related("member").get(pk=accrual.referrer_id)
            publish(merchant=merchant, name="referrals.commission_reversed", payload=_entry_payload(entry, referrer))
    if order.status == OrderStatus.REFUNDED:
        commissions_schedule_unfreeze(merchant=merchant, order_no=order_no, settings=settings)
    return written


def commissions_schedule_unfreeze(
    *, merchant: Merchant, order_no: str, settings: ReferralSettings | None = None
) -> int:
    """Set when the order's frozen entries unfreeze: ``freeze_days`` after completion (now when the
    order is fully refunded). Idempotent: a time already set is kept. Returns entries scheduled."""
    order = _order(merchant, order_no)
    if order is None:
        return 0
    when = _unfreeze_at(merchant, order, settings or settings_of(merchant=merchant))
    if when is None:
        return 0
    return (
        CommissionEntry.objects.for_merchant(merchant)
        .filter(order_no=order.order_no, status=EntryStatus.FROZEN, unfreeze_at__isnull=True)
        .exclude(kind=EntryKind.PAYOUT)
        .update(unfreeze_at=when)
    )


def commissions_unfreeze_due(*, now: Any = None, limit: int = 1000) -> int:
    """Make frozen entries whose refund window has closed available (every merchant; periodic).

    An order with a refund in flight waits for its verdict. Returns how many entries moved.
    """
    now = now or clock.now()
    # Every merchant at once: a periodic sweep; each entry carries its own merchant.
    due = list(
        CommissionEntry.objects.filter(status=EntryStatus.FROZEN, unfreeze_at__lte=now).order_by("unfreeze_at", "id")[
            :limit
        ]
    )
    if not due:
        return 0
    refunding = set(
        Order.objects.filter(  # every merchant: matched per (merchant, order) below
            merchant_id__in={e.merchant_id for e in due},
            order_no__in={e.order_no for e in due},
            status=OrderStatus.REFUNDING,
        ).values_list("merchant_id", "order_no")
    )
    ready = [e for e in due if (e.merchant_id, e.order_no) not in refunding]
    with transaction.atomic():
        moved = ENTRY.transition_many(
            [(e, {}, "refund window closed") for e in ready], EntryStatus.AVAILABLE, actor="referrals"
        )
    return len(moved)


# --- statements ---------------------------------------------------------------------------------


def statement_create(*, merchant: Merchant, referrer: Referrer, actor: str = "") -> Statement:
    """Put the referrer's available, unstated entries on a new open statement.

    Locks the referrer row (two clicks make one statement). Raises NothingToPay when the sum is not
    positive: a negative balance (a reversal after a payout) waits to be netted by later earnings.
    """
    with transaction.atomic():
        locked = get_or_not_found(
            Referrer.objects.for_merchant(merchant).select_for_update(), what="referrer", pk=referrer.pk
        )
        entries = CommissionEntry.objects.for_merchant(merchant).filter(
            referrer=locked,
            status=EntryStatus.AVAILABLE,
            statement__isnull=True,
            kind__in=(EntryKind.ACCRUE, EntryKind.REVERSE),
        )
        ids = list(entries.values_list("pk", flat=True))
        total = CommissionEntry.objects.filter(pk__in=ids).aggregate(s=Sum("amount_fen"))["s"] or 0
        if total <= 0:
            raise NothingToPay(extra={"balance_fen": total})
        statement = Statement.objects.create(
            merchant=merchant, referrer=locked, total_fen=total, created_at=clock.now(), created_by=actor[:150]
        )
        CommissionEntry.objects.filter(pk__in=ids).update(statement=statement)
        publish(
            merchant=merchant,
            name="referrals.statement_created",
            payload={"statement_id": statement.public_id, "referrer_code": locked.code, "total_fen": total},
        )
    return statement


def statements_create_all(*, merchant: Merchant, actor: str = "") -> list[Statement]:
    """A statement for every referrer whose available balance is positive (console or periodic)."""
    referrer_ids = (
        CommissionEntry.objects.for_merchant(merchant)
        .filter(status=EntryStatus.AVAILABLE, statement__isnull=True, kind__in=(EntryKind.ACCRUE, EntryKind.REVERSE))
        .values("referrer_id")
        .annotate(s=Sum("amount_fen"))
        .filter(s__gt=0)
        .values_list("referrer_id", flat=True)
    )
    made = []
    for referrer in Referrer.objects.for_merchant(merchant).filter(pk__in=list(referrer_ids)).order_by("pk"):
        try:
            made.append(statement_create(merchant=merchant, referrer=referrer, actor=actor))
        except NothingToPay:
            continue  # changed in between
    return made


def statement_mark_paid(
    *, merchant: Merchant, statement: Statement, method: str, note: str = "", actor: str = ""
) -> Statement:
    """Record that the statement was paid by hand (cash or transfer): its entries become paid and
    one payout entry is written. Raises StatementNotOpen. Emits referrals.statement_paid."""
    from weloop.referrals.enums import PayoutMethod

    with transaction.atomic():
        locked = get_or_not_found(
            Statement.objects.for_merchant(merchant).select_for_update().select_related("referrer"),
            what="statement",
            pk=statement.pk,
        )
        if locked.status != StatementStatus.OPEN:
            raise StatementNotOpen(extra={"status": locked.status})
        now = clock.now()
        STATEMENT.transition(
            locked,
            StatementStatus.PAID,
            actor=actor,
            reason=f"paid by {method}",
            extra_updates={
                "method": method if method in PayoutMethod.values else PayoutMethod.OTHER,
                "note": (note or "")[:200],
                "paid_at": now,
                "paid_by": actor[:150],
            },
        )
        lines = list(CommissionEntry.objects.for_merchant(merchant).filter(statement=locked))
        ENTRY.transition_many([(e, {}, f"statement {locked.public_id}") for e in lines], EntryStatus.PAID, actor=actor)
        _insert_entry(
            merchant,
            order_no="",
            level=0,
            kind=EntryKind.PAYOUT,
            source_ref=locked.public_id,
            referrer=locked.referrer,
            amount_fen=-locked.total_fen,
            status=EntryStatus.PAID,
            statement=locked,
        )
        publish(
            merchant=merchant,
            name="referrals.statement_paid",
            payload={
                "statement_id": locked.public_id,
                "referrer_code": locked.referrer.code,
                "total_fen": locked.total_fen,
                "method": locked.method,
            },
        )
    return locked


def statement_void(*, merchant: Merchant, statement: Statement, actor: str = "", reason: str = "") -> Statement:
    """Cancel an open statement: its entries are free for the next one. Raises StatementNotOpen."""
    with transaction.atomic():
        locked = get_or_not_found(
            Statement.objects.for_merchant(merchant).select_for_update(), what="statement", pk=statement.pk
        )
        if locked.status != StatementStatus.OPEN:
            raise StatementNotOpen(extra={"status": locked.status})
        STATEMENT.transition(locked, StatementStatus.VOID, actor=actor, reason=reason or "voided")
        CommissionEntry.objects.for_merchant(merchant).filter(statement=locked).update(statement=None)
    return locked
