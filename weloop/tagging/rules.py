"""Auto-tag rules: create and edit them, apply them to one member on an event, to everyone at once
("apply now"), and the daily sweep of "no purchase for N days".

A rule only ever removes the tags it put itself (``source="rule"``, ``source_ref`` = its public id):
a tag staff added by hand stays when the rule stops matching. Everything is idempotent: a member who
already carries the tag is left alone, so replaying an event or re-running "apply now" adds nothing.

Backfill reads orders, vouchers and members (lower layers). Bookings and survey answers live in
apps on this app's own layer, so they only reach rules through their events.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Max, QuerySet, Sum

from weloop.catalog.models import Product
from weloop.core import clock
from weloop.core.db import get_or_not_found
from weloop.members import services as member_services
from weloop.members.enums import Gender, TagSource
from weloop.members.models import Member, MemberTag, MemberTouch
from weloop.members.selectors import tag_get
from weloop.orders.enums import OrderStatus
from weloop.orders.models import Order, OrderLine
from weloop.stores.models import Store
from weloop.tagging.enums import RuleKind
from weloop.tagging.errors import InvalidRule, RuleNotBackfillable
from weloop.tagging.models import TagRule
from weloop.tenants.models import Merchant
from weloop.vouchers.models import Deal, Redemption

MAX_DAYS = 3650
ATTRIBUTE_FIELDS = ("gender", "city", "birthday_month")
NOT_A_PURCHASE = (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.REFUNDED)


# --- parameters ------------------------------------------------------------------------------------


def _int(params: dict[str, Any], key: str, low: int, high: int, default: int | None = None) -> int:
    value = params.get(key, default)
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidRule(f"{key} must be a whole number.", extra={"field": key}) from None
    if isinstance(value, bool) or not low <= number <= high:
        raise InvalidRule(f"{key} must be between {low} and {high}.", extra={"field": key, "min": low, "max": high})
    return number


def _text(params: dict[str, Any], key: str) -> str:
    value = " ".join(str(params.get(key) or "").split())
    if not value:
        raise InvalidRule(f"{key} is required.", extra={"field": key})
    return value[:64]


def _exists(merchant: Merchant, model: Any, public_id: str, key: str) -> None:
    if not model.objects.for_merchant(merchant).filter(public_id=public_id).exists():
        raise InvalidRule(f"No such {key.removesuffix('_id')}.", extra={"field": key, "value": public_id})


def clean_params(*, merchant: Merchant, kind: str, params: Any) -> dict[str, Any]:
    """The parameters of a ``kind`` rule, checked and normalised; InvalidRule otherwise."""
    if kind not in RuleKind.values:
        raise InvalidRule("Unknown rule kind.", extra={"field": "kind", "allowed": list(RuleKind.values)})
    if not isinstance(params, dict):
        raise InvalidRule("Parameters must be an object.", extra={"field": "params"})
    if kind == RuleKind.BOUGHT_PRODUCT:
        product_id = _text(params, "product_id")
        _exists(merchant, Product, product_id, "product_id")
        options = params.get("options") or {}
        if not isinstance(options, dict) or not all(str(k).strip() and str(v).strip() for k, v in options.items()):
            raise InvalidRule('options maps option names to values, e.g. {"size": "38"}.', extra={"field": "options"})
        return {"product_id": product_id, "options": {str(k).strip(): str(v).strip() for k, v in options.items()}}
    if kind == RuleKind.SPENT_AT_LEAST:
        return {
            "amount_fen": _int(params, "amount_fen", 1, 10**12),
            "days": _int(params, "days", 1, MAX_DAYS, default=365),
        }
    if kind == RuleKind.REDEEMED_DEAL:
        deal_id = _text(params, "deal_id")
        _exists(merchant, Deal, deal_id, "deal_id")
        return {"deal_id": deal_id}
    if kind == RuleKind.VISITED_STORE:
        store_id = _text(params, "store_id")
        _exists(merchant, Store, store_id, "store_id")
        return {"store_id": store_id}
    if kind == RuleKind.NO_PURCHASE_FOR_DAYS:
        return {"days": _int(params, "days", 1, MAX_DAYS)}
    if kind == RuleKind.ATTRIBUTE:
        field = str(params.get("field") or "")
        if field not in ATTRIBUTE_FIELDS:
            raise InvalidRule("field is gender, city or birthday_month.", extra={"field": "field"})
        if field == "gender":
            value = str(params.get("value") or "")
            if value not in Gender.values:
                raise InvalidRule("Unknown gender.", extra={"field": "value", "allowed": list(Gender.values)})
            return {"field": field, "value": value}
        if field == "birthday_month":
            return {"field": field, "value": _int(params, "value", 1, 12)}
        return {"field": field, "value": _text(params, "value")}
    # survey_answer: the survey lives in the engagement app (same layer): ids are taken as given.
    return {"survey_id": _text(params, "survey_id"), "option_id": _text(params, "option_id")}


def describe(rule: TagRule) -> str:
    """One line for lists: what the rule looks at."""
    p = rule.params
    if rule.kind == RuleKind.BOUGHT_PRODUCT:
        options = ", ".join(f"{k}={v}" for k, v in (p.get("options") or {}).items())
        return f"{p.get('product_id')}" + (f" ({options})" if options else "")
    if rule.kind == RuleKind.SPENT_AT_LEAST:
        return f"¥{int(p.get('amount_fen', 0)) / 100:.2f} / {p.get('days')}d"
    if rule.kind == RuleKind.NO_PURCHASE_FOR_DAYS:
        return f"{p.get('days')}d"
    if rule.kind == RuleKind.ATTRIBUTE:
        return f"{p.get('field')} = {p.get('value')}"
    if rule.kind == RuleKind.SURVEY_ANSWER:
        return f"{p.get('survey_id')} → {p.get('option_id')}"
    return str(p.get("deal_id") or p.get("store_id") or "")


# --- rules -----------------------------------------------------------------------------------------


def rule_create(*, merchant: Merchant, name: str, tag_id: str, kind: str, params: Any, active: bool = True) -> TagRule:
    tag = tag_get(merchant=merchant, public_id=tag_id)
    clean = clean_params(merchant=merchant, kind=kind, params=params)
    title = " ".join(str(name or "").split())[:80] or f"{tag.name}: {RuleKind(kind).label}"
    return TagRule.objects.create(merchant=merchant, name=title, tag=tag, kind=kind, params=clean, active=bool(active))


def rule_get(*, merchant: Merchant, rule_id: str) -> TagRule:
    return get_or_not_found(
        TagRule.objects.for_merchant(merchant).select_related("tag"), what="rule", public_id=rule_id
    )


def rule_update(*, merchant: Merchant, rule_id: str, **changes: Any) -> TagRule:
    """Change name, tag, kind, params or active. Tags already put stay (apply now to add more)."""
    allowed = {"name", "tag_id", "kind", "params", "active"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidRule("These fields cannot be changed.", extra={"fields": sorted(unknown)})
    with transaction.atomic():
        rule = get_or_not_found(
            TagRule.objects.for_merchant(merchant).select_for_update(), what="rule", public_id=rule_id
        )
        if changes.get("name") is not None:
            rule.name = " ".join(str(changes["name"]).split())[:80] or rule.name
        if changes.get("tag_id"):
            rule.tag = tag_get(merchant=merchant, public_id=changes["tag_id"])
        kind = changes.get("kind") or rule.kind
        if "kind" in changes or "params" in changes:
            rule.params = clean_params(merchant=merchant, kind=kind, params=changes.get("params", rule.params))
            rule.kind = kind
        if changes.get("active") is not None:
            rule.active = bool(changes["active"])
        rule.save()
    return rule


def rule_delete(*, merchant: Merchant, rule_id: str) -> None:
    """Delete the rule; members keep the tags it put."""
    rule = rule_get(merchant=merchant, rule_id=rule_id)
    rule.delete()


# --- applying --------------------------------------------------------------------------------------


def _add(merchant: Merchant, rule: TagRule, member: Member, source: str = TagSource.RULE) -> bool:
    added = member_services.member_tag_add(
        merchant=merchant, member=member, tag=rule.tag, source=source, source_ref=rule.public_id, actor="rule"
    )
    if added:
        TagRule.objects.filter(pk=rule.pk).update(applied_count=F("applied_count") + 1, last_applied_at=clock.now())
    return added


def _remove_own(merchant: Merchant, rule: TagRule, member: Member) -> bool:
    """Take the rule's tag off ``member`` if this rule put it there."""
    own = MemberTag.objects.for_merchant(merchant).filter(
        member=member, tag=rule.tag, source=TagSource.RULE, source_ref=rule.public_id
    )
    if not own.exists():
        return False
    return member_services.member_tag_remove(merchant=merchant, member=member, tag=rule.tag, actor="rule")


def _rules(merchant: Merchant, *kinds: str) -> QuerySet[TagRule]:
    return TagRule.objects.for_merchant(merchant).filter(active=True, kind__in=kinds).select_related("tag")


def _member(merchant: Merchant, payload: dict[str, Any]) -> Member | None:
    public_id = payload.get("member_id")
    if not public_id:
        return None
    return Member.objects.for_merchant(merchant).filter(public_id=str(public_id)).first()


def _line_matches(rule: TagRule, lines: Iterable[dict[str, Any]]) -> bool:
    wanted = rule.params.get("options") or {}
    for line in lines:
        if not isinstance(line, dict) or line.get("product_id") != rule.params.get("product_id"):
            continue
        options = line.get("options") or {}
        if all(str(options.get(k, "")) == v for k, v in wanted.items()):
            return True
    return False


def _spent_fen(merchant: Merchant, member_ids: Iterable[int] | None, days: int) -> dict[int, int]:
    since = clock.now() - timedelta(days=days)
    orders = Order.objects.for_merchant(merchant).filter(paid_at__gte=since).exclude(status__in=NOT_A_PURCHASE)
    if member_ids is not None:
        orders = orders.filter(member_id__in=list(member_ids))
    rows = orders.values("member_id").annotate(spent=Sum(F("total_fen") - F("refunded_fen")))
    return {row["member_id"]: int(row["spent"] or 0) for row in rows}


def _attribute_matches(rule: TagRule, member: Member) -> bool:
    field, value = rule.params.get("field"), rule.params.get("value")
    if field == "gender":
        return member.gender == value
    if field == "city":
        return member.city.strip().lower() == str(value).strip().lower()
    if field == "birthday_month":
        return member.birthday is not None and member.birthday.month == int(value)
    return False


def _order_event(merchant: Merchant, member: Member, payload: dict[str, Any]) -> int:
    added = 0
    lines = payload.get("lines") or []
    store_id = payload.get("store_id")
    for rule in _rules(
        merchant,
        RuleKind.BOUGHT_PRODUCT,
        RuleKind.SPENT_AT_LEAST,
        RuleKind.VISITED_STORE,
        RuleKind.NO_PURCHASE_FOR_DAYS,
    ):
        if rule.kind == RuleKind.BOUGHT_PRODUCT and _line_matches(rule, lines):
            added += _add(merchant, rule, member)
        elif rule.kind == RuleKind.SPENT_AT_LEAST:
            spent = _spent_fen(merchant, [member.pk], int(rule.params["days"])).get(member.pk, 0)
            if spent >= int(rule.params["amount_fen"]):
                added += _add(merchant, rule, member)
        elif rule.kind == RuleKind.VISITED_STORE and store_id and store_id == rule.params.get("store_id"):
            added += _add(merchant, rule, member)
        elif rule.kind == RuleKind.NO_PURCHASE_FOR_DAYS:
            _remove_own(merchant, rule, member)  # bought again: no longer lapsed
    return added


def rules_apply_event(*, merchant: Merchant, name: str, payload: dict[str, Any]) -> int:
    """Apply the active rules an event concerns to its member; return how many tags were added."""
    member = _member(merchant, payload)
    if member is None:
        return 0
    if name in ("orders.order_paid", "orders.order_completed"):
        return _order_event(merchant, member, payload)
    added = 0
    if name == "vouchers.voucher_redeemed":
        for rule in _rules(merchant, RuleKind.REDEEMED_DEAL, RuleKind.VISITED_STORE):
            key = "deal_id" if rule.kind == RuleKind.REDEEMED_DEAL else "store_id"
            if payload.get(key) and payload.get(key) == rule.params.get(key):
                added += _add(merchant, rule, member)
    elif name in ("bookings.booking_completed", "members.member_followed", "engagement.event_checked_in"):
        store_id = payload.get("store_id")
        for rule in _rules(merchant, RuleKind.VISITED_STORE):
            if store_id and store_id == rule.params.get("store_id"):
                added += _add(merchant, rule, member)
        if name == "members.member_followed":
            added += _attributes(merchant, member)
    elif name == "members.member_attributes_updated":
        added += _attributes(merchant, member)
    elif name == "engagement.survey_answered":
        options = {str(o) for o in payload.get("option_ids") or []}
        for rule in _rules(merchant, RuleKind.SURVEY_ANSWER):
            if (
                str(payload.get("survey_id")) == rule.params.get("survey_id")
                and rule.params.get("option_id") in options
            ):
                added += _add(merchant, rule, member, source=TagSource.SURVEY)
    return added


def _attributes(merchant: Merchant, member: Member) -> int:
    member.refresh_from_db(fields=["gender", "city", "birthday"])
    added = 0
    for rule in _rules(merchant, RuleKind.ATTRIBUTE):
        if _attribute_matches(rule, member):
            added += _add(merchant, rule, member)
        else:
            _remove_own(merchant, rule, member)
    return added


# --- apply now (backfill) and the sweep ------------------------------------------------------------


def _lapsed_member_ids(merchant: Merchant, days: int) -> set[int]:
    """Members whose last purchase, or else their joining, is more than ``days`` ago."""
    cutoff = clock.now() - timedelta(days=days)
    bought = (
        Order.objects.for_merchant(merchant)
        .exclude(status__in=NOT_A_PURCHASE)
        .filter(paid_at__isnull=False)
        .values("member_id")
        .annotate(last=Max("paid_at"))
    )
    last = {row["member_id"]: row["last"] for row in bought}
    lapsed = {pk for pk, at in last.items() if at < cutoff}
    never = Member.objects.for_merchant(merchant).filter(created_at__lt=cutoff).exclude(pk__in=list(last))
    return lapsed | set(never.values_list("pk", flat=True))


def rule_matching_member_ids(*, merchant: Merchant, rule: TagRule) -> set[int]:
    """Every member (pk) the rule matches today, from stored history. RuleNotBackfillable for surveys."""
    p = rule.params
    if rule.kind == RuleKind.BOUGHT_PRODUCT:
        lines = (
            OrderLine.objects.filter(order__merchant=merchant, product_id_snapshot=p["product_id"])
            .filter(order__paid_at__isnull=False)
            .exclude(order__status__in=NOT_A_PURCHASE)
            .values_list("order__member_id", "options", "product_id_snapshot")
        )
        return {
            member_id
            for member_id, options, product_id in lines.iterator()
            if _line_matches(rule, [{"product_id": product_id, "options": options}])
        }
    if rule.kind == RuleKind.SPENT_AT_LEAST:
        return {pk for pk, spent in _spent_fen(merchant, None, int(p["days"])).items() if spent >= int(p["amount_fen"])}
    if rule.kind == RuleKind.REDEEMED_DEAL:
        redemptions = Redemption.objects.for_merchant(merchant).filter(deal__public_id=p["deal_id"])
        return set(redemptions.values_list("voucher__member_id", flat=True))
    if rule.kind == RuleKind.VISITED_STORE:
        store_id = p["store_id"]
        ids = set(
            Order.objects.for_merchant(merchant)
            .filter(store__public_id=store_id, paid_at__isnull=False)
            .values_list("member_id", flat=True)
        )
        ids |= set(
            Redemption.objects.for_merchant(merchant)
            .filter(store__public_id=store_id)
            .values_list("voucher__member_id", flat=True)
        )
        ids |= set(
            MemberTouch.objects.for_merchant(merchant)
            .filter(store__public_id=store_id)
            .values_list("member_id", flat=True)
        )
        ids |= set(
            Member.objects.for_merchant(merchant).filter(first_store__public_id=store_id).values_list("pk", flat=True)
        )
        return ids
    if rule.kind == RuleKind.NO_PURCHASE_FOR_DAYS:
        return _lapsed_member_ids(merchant, int(p["days"]))
    if rule.kind == RuleKind.ATTRIBUTE:
        members = Member.objects.for_merchant(merchant)
        if p["field"] == "gender":
            members = members.filter(gender=p["value"])
        elif p["field"] == "city":
            members = members.filter(city__iexact=str(p["value"]))
        else:
            members = members.filter(birthday__month=int(p["value"]))
        return set(members.values_list("pk", flat=True))
    raise RuleNotBackfillable(
        "Survey answers are stored by the engagement app; this rule tags members as they answer.",
        extra={"kind": rule.kind},
    )


def rule_apply_now(*, merchant: Merchant, rule_id: str) -> int:
    """Tag every member the rule matches today (idempotent); rules that remove also remove. Returns added."""
    rule = rule_get(merchant=merchant, rule_id=rule_id)
    if not rule.active:
        raise InvalidRule("Activate the rule before applying it.", extra={"field": "active"})
    matching = rule_matching_member_ids(merchant=merchant, rule=rule)
    added = member_services.member_tags_add_many(
        merchant=merchant, tag=rule.tag, member_ids=matching, source=TagSource.RULE, source_ref=rule.public_id
    )
    if rule.kind in (RuleKind.NO_PURCHASE_FOR_DAYS, RuleKind.ATTRIBUTE):
        _remove_unmatched(merchant, rule, matching)
    TagRule.objects.filter(pk=rule.pk).update(applied_count=F("applied_count") + added, last_applied_at=clock.now())
    return added


def _remove_unmatched(merchant: Merchant, rule: TagRule, matching: set[int]) -> int:
    stale = (
        MemberTag.objects.for_merchant(merchant)
        .filter(tag=rule.tag, source=TagSource.RULE, source_ref=rule.public_id)
        .exclude(member_id__in=list(matching))
        .select_related("member")
    )
    removed = 0
    for member_tag in stale.iterator():
        removed += member_services.member_tag_remove(
            merchant=merchant, member=member_tag.member, tag=rule.tag, actor="rule"
        )
    return removed


def rules_sweep(*, merchant: Merchant) -> int:
    """The daily pass of time-based rules (no purchase for N days; spend windows that close are kept)."""
    added = 0
    for rule in _rules(merchant, RuleKind.NO_PURCHASE_FOR_DAYS):
        added += rule_apply_now(merchant=merchant, rule_id=rule.public_id)
    return added


def merchants_with_sweeping_rules() -> list[int]:
    rules = TagRule.objects.filter(active=True, kind=RuleKind.NO_PURCHASE_FOR_DAYS)
    return sorted(set(rules.values_list("merchant_id", flat=True)))
