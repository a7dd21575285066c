"""Writes of loyalty: points (earn, spend, return, expire, adjust), growth and levels, stored value.

Every change locks the member's ``MemberAccount`` row (``SELECT … FOR UPDATE``), checks its ref was
not seen before (the unique constraints back that up), writes the ledger row and the new totals in
the same transaction. The points balance always equals the sum of ``remaining`` over the member's
lots; spending and negative adjustments consume the lots that expire first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q, Sum

from weloop.core import clock
from weloop.core.events import publish
from weloop.loyalty import errors
from weloop.loyalty.models import (
    Level,
    LoyaltySettings,
    MemberAccount,
    PayMethod,
    PointsEntry,
    PointsKind,
    ValueEntry,
    ValueKind,
)

# ---------------------------------------------------------------------------------------------
# accounts and settings


def settings_of(*, merchant: Any) -> LoyaltySettings:
    found = LoyaltySettings.objects.for_merchant(merchant).first()
    if found is not None:
        return found
    obj, _ = LoyaltySettings.objects.get_or_create(merchant=merchant)
    return obj


def member_model() -> Any:
    """The member model, reached through our string FK (members is on our layer)."""
    return MemberAccount._meta.get_field("member").related_model


def member_by_public_id(*, merchant: Any, member_id: str) -> Any | None:
    return member_model().objects.for_merchant(merchant).filter(public_id=str(member_id or "")).first()


def _lock_account(*, merchant: Any, member: Any) -> MemberAccount:
    if not MemberAccount.objects.for_merchant(merchant).filter(member=member).exists():
        level = _level_for(merchant=merchant, growth=0)
        MemberAccount.objects.get_or_create(merchant=merchant, member=member, defaults={"level": level})
    return MemberAccount.objects.for_merchant(merchant).select_for_update().get(member=member)


def _positive(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise errors.InvalidAmount(extra={"value": str(value)})
    return value


def _expiry(settings: LoyaltySettings, at: datetime) -> datetime | None:
    if not settings.expiry_months:
        return None
    return at + timedelta(days=30 * settings.expiry_months)


# ---------------------------------------------------------------------------------------------
# points: the ledger


def _entry_exists(*, merchant: Any, member: Any, kind: str, ref: str) -> PointsEntry | None:
    if not ref:
        return None
    return PointsEntry.objects.for_merchant(merchant).filter(member=member, kind=kind, ref=ref).first()


def _add_lot(
    *,
    account: MemberAccount,
    kind: str,
    points: int,
    ref: str,
    reason: str = "",
    actor: str = "",
    growth_delta: int = 0,
) -> PointsEntry:
    now = clock.now()
    settings = settings_of(merchant=account.merchant)
    account.points_balance += points
    account.updated_at = now
    MemberAccount.objects.filter(pk=account.pk).update(points_balance=F("points_balance") + points, updated_at=now)
    return PointsEntry.objects.create(
        merchant_id=account.merchant_id,
        member_id=account.member_id,
        kind=kind,
        delta=points,
        growth_delta=growth_delta,
        remaining=points,
        expires_at=_expiry(settings, now) if points else None,
        ref=ref,
        reason=reason[:200],
        actor=actor[:150],
        balance_after=account.points_balance,
        created_at=now,
    )


def _take(
    *,
    account: MemberAccount,
    kind: str,
    points: int,
    ref: str,
    reason: str = "",
    actor: str = "",
    growth_delta: int = 0,
) -> PointsEntry:
    """Take ``points`` (at most the balance, checked by the caller) from the lots expiring first."""
    now = clock.now()
    left = points
    lots = (
        PointsEntry.objects.for_merchant(account.merchant)
        .filter(member_id=account.member_id, remaining__gt=0)
        .order_by(F("expires_at").asc(nulls_last=True), "id")
    )
    for lot in lots:
        if left <= 0:
            break
        part = min(left, lot.remaining)
        PointsEntry.objects.filter(pk=lot.pk).update(remaining=F("remaining") - part)
        left -= part
    taken = points - left
    account.points_balance -= taken
    account.updated_at = now
    MemberAccount.objects.filter(pk=account.pk).update(points_balance=F("points_balance") - taken, updated_at=now)
    return PointsEntry.objects.create(
        merchant_id=account.merchant_id,
        member_id=account.member_id,
        kind=kind,
        delta=-taken,
        growth_delta=growth_delta,
        ref=ref,
        reason=reason[:200],
        actor=actor[:150],
        balance_after=account.points_balance,
        created_at=now,
    )


def points_spend(*, merchant: Any, member: Any, points: int, ref: str) -> None:
    """Spend ``points`` for ``ref`` (e.g. ``order:<no>``); a second call with the same ref does nothing.

    Raises ``loyalty.insufficient_points`` when the balance is short (nothing is written)."""
    points = _positive(points)
    with transaction.atomic():
        account = _lock_account(merchant=merchant, member=member)
        if _entry_exists(merchant=merchant, member=member, kind=PointsKind.SPEND, ref=ref):
            return
        if account.points_balance < points:
            raise errors.InsufficientPoints(extra={"balance": account.points_balance, "asked": points})
        _take(account=account, kind=PointsKind.SPEND, points=points, ref=ref)


def points_return(*, merchant: Any, member: Any, ref: str) -> int:
    """Give back what ``ref`` spent as a new lot; returns the points given back (0 the second time)."""
    with transaction.atomic():
        account = _lock_account(merchant=merchant, member=member)
        spent = _entry_exists(merchant=merchant, member=member, kind=PointsKind.SPEND, ref=ref)
        if spent is None or spent.delta == 0:
            return 0
        if _entry_exists(merchant=merchant, member=member, kind=PointsKind.RETURN, ref=ref):
            return 0
        _add_lot(account=account, kind=PointsKind.RETURN, points=-spent.delta, ref=ref)
        return -spent.delta


def points_earn(
    *, merchant: Any, member: Any, points: int, ref: str, reason: str = "", actor: str = "", growth_fen: int = 0
) -> PointsEntry | None:
    """Credit ``points`` (and ``growth_fen`` growth) once per ref; None when ref was already credited."""
    if points < 0 or growth_fen < 0:
        raise errors.InvalidAmount()
    with transaction.atomic():
        account = _lock_account(merchant=merchant, member=member)
        if _entry_exists(merchant=merchant, member=member, kind=PointsKind.EARN, ref=ref):
            return None
        entry = _add_lot(
            account=account,
            kind=PointsKind.EARN,
            points=points,
            ref=ref,
            reason=reason,
            actor=actor,
            growth_delta=growth_fen,
        )
        if growth_fen:
            _growth_change(account=account, delta=growth_fen)
        return entry


def points_adjust(
    *, merchant: Any, member: Any, delta: int, reason: str, actor: str = "", ref: str = ""
) -> PointsEntry | None:
    """A manual change with a reason; a negative one takes at most what the member has
    (``loyalty.insufficient_points`` otherwise). Idempotent when ``ref`` is given."""
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0:
        raise errors.InvalidAmount(extra={"value": str(delta)})
    if not (reason or "").strip():
        raise errors.ReasonRequired()
    with transaction.atomic():
        account = _lock_account(merchant=merchant, member=member)
        if _entry_exists(merchant=merchant, member=member, kind=PointsKind.ADJUST, ref=ref):
            return None
        if delta > 0:
            return _add_lot(account=account, kind=PointsKind.ADJUST, points=delta, ref=ref, reason=reason, actor=actor)
        if account.points_balance < -delta:
            raise errors.InsufficientPoints(extra={"balance": account.points_balance, "asked": -delta})
        return _take(account=account, kind=PointsKind.ADJUST, points=-delta, ref=ref, reason=reason, actor=actor)


def points_signin(*, merchant: Any, member: Any) -> PointsEntry:
    """The daily sign-in on the member card: once per (local) day."""
    today = clock.today_local().date()
    settings = settings_of(merchant=merchant)
    with transaction.atomic():
        account = _lock_account(merchant=merchant, member=member)
        ref = f"signin:{today.isoformat()}"
        if account.last_signin_on == today or _entry_exists(
            merchant=merchant, member=member, kind=PointsKind.EARN, ref=ref
        ):
            raise errors.AlreadySignedIn()
        MemberAccount.objects.filter(pk=account.pk).update(last_signin_on=today)
        return _add_lot(
            account=account, kind=PointsKind.EARN, points=settings.points_daily_signin, ref=ref, reason="sign-in"
        )


def points_for_order_paid(*, merchant: Any, member: Any, order_no: str, paid_fen: int) -> PointsEntry | None:
    settings = settings_of(merchant=merchant)
    points = (max(paid_fen, 0) // 100) * settings.points_per_yuan
    return points_earn(
        merchant=merchant,
        member=member,
        points=points,
        ref=f"order:{order_no}",
        reason="order paid",
        growth_fen=max(paid_fen, 0),
    )


def points_for_offline_purchase(
    *, merchant: Any, member: Any, amount_fen: int, ref: str, actor: str = ""
) -> PointsEntry | None:
    """Points and growth for a purchase paid at the counter outside the system (idempotent per ref)."""
    amount_fen = _positive(amount_fen)
    if not ref:
        raise errors.InvalidAmount("A counter purchase needs a reference.", extra={"field": "ref"})
    settings = settings_of(merchant=merchant)
    return points_earn(
        merchant=merchant,
        member=member,
        points=(amount_fen // 100) * settings.points_per_yuan,
        ref=f"counter:{ref}",
        reason="counter purchase",
        actor=actor,
        growth_fen=amount_fen,
    )


def points_for_order_refunded(
    *, merchant: Any, member: Any, order_no: str, total_fen: int, refunded_fen: int
) -> PointsEntry | None:
    """Take back points and growth in proportion to what was refunded so far (cumulative, so a
    replayed or out-of-order event changes nothing). Points already spent cannot be taken back:
    at most the balance is taken."""
    with transaction.atomic():
        account = _lock_account(merchant=merchant, member=member)
        earned = _entry_exists(merchant=merchant, member=member, kind=PointsKind.EARN, ref=f"order:{order_no}")
        if earned is None or total_fen <= 0:
            return None
        ref = f"refund:{order_no}:{refunded_fen}"
        if _entry_exists(merchant=merchant, member=member, kind=PointsKind.ADJUST, ref=ref):
            return None
        share = min(max(refunded_fen, 0), total_fen)
        want_points = earned.delta * share // total_fen
        want_growth = earned.growth_delta * share // total_fen
        done = PointsEntry.objects.for_merchant(merchant).filter(
            member=member, kind=PointsKind.ADJUST, ref__startswith=f"refund:{order_no}:"
        )
        # What earlier reversals aimed at (their refs carry the refunded total they reversed up to).
        reversed_share = max([int(r.rsplit(":", 1)[1]) for r in done.values_list("ref", flat=True)] + [0])
        if share <= reversed_share:
            return None
        already_points = earned.delta * min(reversed_share, total_fen) // total_fen
        already_growth = earned.growth_delta * min(reversed_share, total_fen) // total_fen
        points = min(want_points - already_points, account.points_balance)
        growth = min(want_growth - already_growth, account.growth)
        entry = _take(
            account=account,
            kind=PointsKind.ADJUST,
            points=max(points, 0),
            ref=ref,
            reason="order refunded",
            growth_delta=-growth,
        )
        if growth:
            _growth_change(account=account, delta=-growth)
        return entry


def points_expire_due(*, merchant: Any | None = None, limit: int = 5000) -> int:
    """Expire what remains of the lots past their date; returns the points expired."""
    now = clock.now()
    lots = PointsEntry.objects.filter(remaining__gt=0, expires_at__lte=now)
    if merchant is not None:
        lots = lots.filter(merchant_id=merchant.pk)
    total = 0
    for lot_id, merchant_id, member_id in lots.order_by("id").values_list("id", "merchant_id", "member_id")[:limit]:
        with transaction.atomic():
            account = (
                MemberAccount.objects.select_for_update().filter(merchant_id=merchant_id, member_id=member_id).first()
            )
            lot = PointsEntry.objects.filter(pk=lot_id).first()
            if account is None or lot is None or lot.remaining <= 0:
                continue
            amount = min(lot.remaining, account.points_balance)
            PointsEntry.objects.filter(pk=lot.pk).update(remaining=0)
            account.points_balance -= amount
            MemberAccount.objects.filter(pk=account.pk).update(
                points_balance=F("points_balance") - amount, updated_at=now
            )
            PointsEntry.objects.create(
                merchant_id=merchant_id,
                member_id=member_id,
                kind=PointsKind.EXPIRE,
                delta=-amount,
                ref=f"lot:{lot.pk}",
                reason="expired",
                balance_after=account.points_balance,
                created_at=now,
            )
            total += amount
    return total


# ---------------------------------------------------------------------------------------------
# growth and levels


def _level_for(*, merchant: Any, growth: int) -> Level | None:
    return (
        Level.objects.for_merchant(merchant).filter(growth_threshold__lte=growth).order_by("-growth_threshold").first()
    )


def _growth_change(*, account: MemberAccount, delta: int) -> None:
    account.growth = max(account.growth + delta, 0)
    MemberAccount.objects.filter(pk=account.pk).update(growth=account.growth)
    _level_refresh(account=account)


def _level_refresh(*, account: MemberAccount) -> None:
    level = _level_for(merchant=account.merchant, growth=account.growth)
    if (level.pk if level else None) == account.level_id:
        return
    before = account.level
    MemberAccount.objects.filter(pk=account.pk).update(level=level)
    account.level = level
    publish(
        merchant=account.merchant,
        name="loyalty.level_changed",
        payload={
            "member_id": account.member.public_id,
            "from_level_id": before.public_id if before else None,
            "to_level_id": level.public_id if level else None,
            "level_name": level.name if level else "",
            "growth": account.growth,
        },
    )


def levels_refresh_all(*, merchant: Any) -> int:
    """After the merchant edits the levels: put every member on the level of their growth."""
    changed = 0
    for account_id in MemberAccount.objects.for_merchant(merchant).values_list("id", flat=True):
        with transaction.atomic():
            account = MemberAccount.objects.for_merchant(merchant).select_for_update().get(pk=account_id)
            before = account.level_id
            _level_refresh(account=account)
            changed += int(before != account.level_id)
    return changed


@dataclass(frozen=True)
class LevelInput:
    name: str
    growth_threshold: int
    discount_bps: int = 0
    free_shipping: bool = False
    birthday_template_id: str = ""


def _check_level(data: LevelInput) -> None:
    problems: dict[str, list[str]] = {}
    if not data.name.strip() or len(data.name) > 40:
        problems["name"] = ["Give the level a name of at most 40 characters."]
    if data.growth_threshold < 0:
        problems["growth_threshold"] = ["The growth value is at least 0."]
    if not 0 <= data.discount_bps <= 10000:
        problems["discount_bps"] = ["The discount is between 0 and 10000 basis points."]
    if problems:
        raise errors.InvalidLevel(next(iter(problems.values()))[0], extra={"fields": problems})


def level_create(*, merchant: Any, data: LevelInput) -> Level:
    _check_level(data)
    with transaction.atomic():
        taken = Level.objects.for_merchant(merchant).filter(
            Q(name=data.name.strip()) | Q(growth_threshold=data.growth_threshold)
        )
        if taken.exists():
            raise errors.InvalidLevel("Another level has this name or growth value.")
        level = Level.objects.create(
            merchant=merchant,
            name=data.name.strip(),
            growth_threshold=data.growth_threshold,
            discount_bps=data.discount_bps,
            free_shipping=data.free_shipping,
            birthday_template_id=data.birthday_template_id.strip(),
        )
    levels_refresh_all(merchant=merchant)
    return level


def level_update(*, merchant: Any, level: Level, data: LevelInput) -> Level:
    _check_level(data)
    with transaction.atomic():
        taken = (
            Level.objects.for_merchant(merchant)
            .filter(Q(name=data.name.strip()) | Q(growth_threshold=data.growth_threshold))
            .exclude(pk=level.pk)
        )
        if taken.exists():
            raise errors.InvalidLevel("Another level has this name or growth value.")
        level.name = data.name.strip()
        level.growth_threshold = data.growth_threshold
        level.discount_bps = data.discount_bps
        level.free_shipping = data.free_shipping
        level.birthday_template_id = data.birthday_template_id.strip()
        level.save()
    levels_refresh_all(merchant=merchant)
    return level


def level_delete(*, merchant: Any, level: Level) -> None:
    Level.objects.for_merchant(merchant).filter(pk=level.pk).delete()
    levels_refresh_all(merchant=merchant)


def settings_update(*, merchant: Any, **values: Any) -> LoyaltySettings:
    allowed = {
        "points_per_yuan",
        "points_per_review",
        "points_daily_signin",
        "expiry_months",
        "fen_per_point",
        "max_points_share_bps",
        "topup_bonuses",
    }
    settings = settings_of(merchant=merchant)
    for key, value in values.items():
        if key not in allowed:
            raise errors.InvalidSettings(extra={"field": key})
        if key == "topup_bonuses":
            value = _check_bonuses(value)
        elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise errors.InvalidSettings(f"{key} must be a whole number of at least 0.", extra={"field": key})
        if key == "max_points_share_bps" and value > 10000:
            raise errors.InvalidSettings("The points share is at most 10000 basis points.", extra={"field": key})
        setattr(settings, key, value)
    settings.updated_at = clock.now()
    settings.save()
    return settings


def _check_bonuses(value: Any) -> list[dict[str, int]]:
    rules = []
    for item in value or []:
        try:
            min_fen, bonus_fen = int(item["min_fen"]), int(item["bonus_fen"])
        except (KeyError, TypeError, ValueError) as exc:
            raise errors.InvalidSettings("A top-up bonus needs min_fen and bonus_fen.") from exc
        if min_fen <= 0 or bonus_fen < 0:
            raise errors.InvalidSettings("A top-up bonus needs a positive amount and a bonus of at least 0.")
        rules.append({"min_fen": min_fen, "bonus_fen": bonus_fen})
    return sorted(rules, key=lambda r: r["min_fen"])


def topup_bonus_for(*, merchant: Any, amount_fen: int) -> int:
    best = 0
    for rule in settings_of(merchant=merchant).topup_bonuses or []:
        if amount_fen >= int(rule["min_fen"]):
            best = int(rule["bonus_fen"])
    return best


# ---------------------------------------------------------------------------------------------
# birthdays


def birthdays_due(*, today: date | None = None) -> int:
    """Publish ``loyalty.birthday_gift_due`` once a year for members whose birthday is today and
    whose level names a birthday coupon template (29 February counts on 28 February otherwise)."""
    today = today or clock.today_local().date()
    days = [(today.month, today.day)]
    if today.month == 2 and today.day == 28:
        try:
            date(today.year, 2, 29)
        except ValueError:
            days.append((2, 29))
    day_q = Q()
    for month, day in days:
        day_q |= Q(member__birthday__month=month, member__birthday__day=day)
    accounts = (
        MemberAccount.objects.filter(day_q)
        .exclude(level__birthday_template_id="")
        .filter(level__isnull=False)
        .exclude(last_birthday_year=today.year)
        .select_related("level", "member", "merchant")
    )
    sent = 0
    for account in accounts:
        with transaction.atomic():
            won = (
                MemberAccount.objects.filter(pk=account.pk)
                .filter(Q(last_birthday_year__isnull=True) | ~Q(last_birthday_year=today.year))
                .update(last_birthday_year=today.year)
            )
            if not won:
                continue
            publish(
                merchant=account.merchant,
                name="loyalty.birthday_gift_due",
                payload={
                    "member_id": account.member.public_id,
                    "template_id": account.level.birthday_template_id if account.level else "",
                    "year": today.year,
                },
            )
            sent += 1
    return sent


# ---------------------------------------------------------------------------------------------
# stored value


def _value_entry(
    *,
    account: MemberAccount,
    kind: str,
    amount_fen: int,
    ref: str,
    method: str = "",
    reason: str = "",
    actor: str = "",
    credit: bool = True,
) -> ValueEntry:
    return ValueEntry.objects.create(
        credit=credit,
        merchant_id=account.merchant_id,
        member_id=account.member_id,
        kind=kind,
        amount_fen=amount_fen,
        balance_after_fen=account.balance_fen,
        method=method,
        ref=ref,
        reason=reason[:200],
        actor=actor[:150],
    )


def _value_existing(*, merchant: Any, member: Any, kind: str, ref: str) -> ValueEntry | None:
    if not ref:
        return None
    return ValueEntry.objects.for_merchant(merchant).filter(member=member, kind=kind, ref=ref).first()


def _credit(account: MemberAccount, amount_fen: int) -> None:
    MemberAccount.objects.filter(pk=account.pk).update(
        balance_fen=F("balance_fen") + amount_fen, updated_at=clock.now()
    )
    account.balance_fen += amount_fen


def _debit(account: MemberAccount, amount_fen: int) -> None:
    # The row is locked; the conditional UPDATE and the CHECK are the second and third line of defence.
    done = MemberAccount.objects.filter(pk=account.pk, balance_fen__gte=amount_fen).update(
        balance_fen=F("balance_fen") - amount_fen, updated_at=clock.now()
    )
    if not done:
        raise errors.InsufficientBalance(extra={"balance_fen": account.balance_fen, "asked_fen": amount_fen})
    account.balance_fen -= amount_fen


def value_topup(
    *, merchant: Any, member: Any, amount_fen: int, method: str, ref: str, actor: str = "", with_bonus: bool = True
) -> ValueEntry:
    """Add ``amount_fen`` paid by ``method`` (+ the merchant's bonus); the same ref returns the first top-up."""
    amount_fen = _positive(amount_fen)
    if method not in PayMethod.values or not method:
        raise errors.InvalidAmount("Choose how the top-up was paid.", extra={"field": "method"})
    if not ref:
        raise errors.InvalidAmount("A top-up needs a reference.", extra={"field": "ref"})
    with transaction.atomic():
        account = _lock_account(merchant=merchant, member=member)
        existing = _value_existing(merchant=merchant, member=member, kind=ValueKind.TOPUP, ref=ref)
        if existing is not None:
            return existing
        _credit(account, amount_fen)
        entry = _value_entry(
            account=account, kind=ValueKind.TOPUP, amount_fen=amount_fen, ref=ref, method=method, actor=actor
        )
        bonus = topup_bonus_for(merchant=merchant, amount_fen=amount_fen) if with_bonus else 0
        if bonus:
            _credit(account, bonus)
            _value_entry(
                account=account, kind=ValueKind.BONUS, amount_fen=bonus, ref=ref, reason="top-up bonus", actor=actor
            )
        publish(
            merchant=merchant,
            name="loyalty.value_topped_up",
            payload={"member_id": member.public_id, "amount_fen": amount_fen, "bonus_fen": bonus, "ref": ref},
        )
        return entry


def value_spend(
    *, merchant: Any, member: Any, amount_fen: int, ref: str, actor: str = "", reason: str = ""
) -> ValueEntry:
    """Pay ``amount_fen`` from the balance for ``ref``; never overdraws (``loyalty.insufficient_balance``)."""
    amount_fen = _positive(amount_fen)
    if not ref:
        raise errors.InvalidAmount("A payment needs a reference.", extra={"field": "ref"})
    with transaction.atomic():
        account = _lock_account(merchant=merchant, member=member)
        existing = _value_existing(merchant=merchant, member=member, kind=ValueKind.SPEND, ref=ref)
        if existing is not None:
            return existing
        if account.balance_fen < amount_fen:
            raise errors.InsufficientBalance(extra={"balance_fen": account.balance_fen, "asked_fen": amount_fen})
        _debit(account, amount_fen)
        return _value_entry(
            account=account,
            kind=ValueKind.SPEND,
            amount_fen=amount_fen,
            ref=ref,
            actor=actor,
            reason=reason,
            credit=False,
        )


def value_refund(
    *, merchant: Any, member: Any, ref: str, amount_fen: int | None = None, refund_ref: str = "", actor: str = ""
) -> int:
    """Give back (part of) what ``ref`` paid; at most what it paid minus earlier refunds. Returns fen."""
    with transaction.atomic():
        account = _lock_account(merchant=merchant, member=member)
        spent = _value_existing(merchant=merchant, member=member, kind=ValueKind.SPEND, ref=ref)
        if spent is None:
            return 0
        key = f"{ref}#{refund_ref or 'all'}"
        if _value_existing(merchant=merchant, member=member, kind=ValueKind.REFUND, ref=key):
            return 0
        before = (
            ValueEntry.objects.for_merchant(merchant)
            .filter(member=member, kind=ValueKind.REFUND, ref__startswith=f"{ref}#")
            .aggregate(s=Sum("amount_fen"))["s"]
            or 0
        )
        amount = min(spent.amount_fen - before, amount_fen if amount_fen is not None else spent.amount_fen)
        if amount <= 0:
            return 0
        _credit(account, amount)
        _value_entry(account=account, kind=ValueKind.REFUND, amount_fen=amount, ref=key, actor=actor)
        return amount


def value_adjust(
    *, merchant: Any, member: Any, delta_fen: int, reason: str, actor: str = "", ref: str = ""
) -> ValueEntry:
    if isinstance(delta_fen, bool) or not isinstance(delta_fen, int) or delta_fen == 0:
        raise errors.InvalidAmount(extra={"value": str(delta_fen)})
    if not (reason or "").strip():
        raise errors.ReasonRequired()
    with transaction.atomic():
        account = _lock_account(merchant=merchant, member=member)
        existing = _value_existing(merchant=merchant, member=member, kind=ValueKind.ADJUST, ref=ref)
        if existing is not None:
            return existing
        if delta_fen > 0:
            _credit(account, delta_fen)
        else:
            if account.balance_fen < -delta_fen:
                raise errors.InsufficientBalance(extra={"balance_fen": account.balance_fen, "asked_fen": -delta_fen})
            _debit(account, -delta_fen)
        return _value_entry(
            account=account,
            kind=ValueKind.ADJUST,
            amount_fen=abs(delta_fen),
            ref=ref,
            reason=reason.strip(),
            actor=actor,
            credit=delta_fen > 0,
        )
