"""Demo step "tags": tags (VIP, size-38, a care flag), a few auto-tag rules applied to the demo members.

Runs after the members, catalog and orders steps (the rules backfill from those orders) and before
"segments". Everything goes through the services, so the TagChange log and counts are real.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from weloop.catalog.models import Product
from weloop.members import services as members
from weloop.members.enums import Gender, TagSource
from weloop.members.models import Member, Tag
from weloop.tagging import services as tagging
from weloop.tagging.enums import RuleKind
from weloop.tagging.models import TagRule

if TYPE_CHECKING:
    from weloop.demo.seed import DemoContext


def _tag(merchant, name: str, **fields) -> Tag:  # type: ignore[no-untyped-def]
    found = Tag.objects.for_merchant(merchant).filter(name=name).first()
    return found or members.tag_create(merchant=merchant, name=name, **fields)


def seed_tags(ctx: DemoContext) -> None:
    merchant = ctx.merchant
    people = list(Member.objects.for_merchant(merchant).order_by("pk"))
    vip = _tag(merchant, "VIP", description="Top customers: first to hear of new cakes.")
    size = _tag(merchant, "size-38", description="Shoe size 38 (from the spring fair survey).")
    care = _tag(
        merchant,
        "handle with care",
        is_care_flag=True,
        care_note="Complained about a late delivery: apologise first, offer a coupon.",
    )
    for i, member in enumerate(people):
        members.member_profile_update(
            merchant=merchant,
            member=member,
            gender=(Gender.FEMALE, Gender.MALE, Gender.UNKNOWN)[i % 3],
            city=("上海", "深圳", "北京")[i % 3],
        )
        if i % 4 == 0:
            members.member_tag_add(merchant=merchant, member=member, tag=vip, source=TagSource.IMPORT, actor="demo")
        if i % 5 == 1:
            members.member_tag_add(merchant=merchant, member=member, tag=size, source=TagSource.IMPORT, actor="demo")
    if people:
        members.member_tag_add(merchant=merchant, member=people[0], tag=care, source=TagSource.MANUAL, actor="demo")
    rules: list[tuple[str, str, str, dict]] = [
        ("上海会员", "上海", RuleKind.ATTRIBUTE, {"field": "city", "value": "上海"}),
        ("消费满200元", "消费满200", RuleKind.SPENT_AT_LEAST, {"amount_fen": 20000, "days": 365}),
        ("90天未购", "沉睡", RuleKind.NO_PURCHASE_FOR_DAYS, {"days": 90}),
    ]
    cake = Product.objects.for_merchant(merchant).filter(name="草莓奶油蛋糕").first()
    if cake is not None:
        rules.append(
            (
                "买过8寸草莓蛋糕",
                "8寸蛋糕",
                RuleKind.BOUGHT_PRODUCT,
                {"product_id": cake.public_id, "options": {"尺寸": "8寸"}},
            )
        )
    if ctx.stores:
        rules.append(
            (
                "到过旗舰店",
                "到店-" + ctx.stores[0].name[:20],
                RuleKind.VISITED_STORE,
                {"store_id": ctx.stores[0].public_id},
            )
        )
    for name, tag_name, kind, params in rules:
        if TagRule.objects.for_merchant(merchant).filter(name=name).exists():
            continue
        tag = _tag(merchant, tag_name, kind="auto")
        rule = tagging.rule_create(merchant=merchant, name=name, tag_id=tag.public_id, kind=kind, params=params)
        tagging.rule_apply_now(merchant=merchant, rule_id=rule.public_id)
