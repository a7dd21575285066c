"""Demo step "segments": a few saved segments over the demo members' tags and attributes.

Runs after the members and tags steps. Tags it needs are fetched or created (``tag_get_or_create``),
so it works whatever tags the tags step made; everything goes through the services.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from weloop.core import clock
from weloop.members import services as members
from weloop.members.enums import TagKind
from weloop.members.models import Member
from weloop.segments import services as segments
from weloop.segments.models import Segment

if TYPE_CHECKING:
    from weloop.demo.seed import DemoContext


def seed_segments(ctx: DemoContext) -> None:
    merchant = ctx.merchant
    regular = members.tag_get_or_create(merchant=merchant, name="常客", kind=TagKind.MANUAL)
    trying = members.tag_get_or_create(merchant=merchant, name="尝鲜", kind=TagKind.MANUAL)
    people = list(Member.objects.for_merchant(merchant).order_by("pk"))
    for i, member in enumerate(people):
        if i % 2 == 0:
            members.member_tag_add(merchant=merchant, member=member, tag=regular, source="import", actor="demo")
        if i % 3 == 0:
            members.member_tag_add(merchant=merchant, member=member, tag=trying, source="import", actor="demo")
    month = clock.now().month
    wanted = [
        ("常客", 'tag:"常客"', "Regulars who follow the account."),
        ("常客 · 爱尝鲜", 'tag:"常客" AND tag:"尝鲜"', "Regulars who try new products: first to hear of launches."),
        ("新客 · 非常客", 'joined_within:30d AND NOT tag:"常客"', "Joined this month and not yet regulars."),
        ("本月生日的常客", f'tag:"常客" AND birthday_month:{month}', "Birthday gifts this month (may match nobody)."),
    ]
    for name, expression, description in wanted:
        if not Segment.objects.for_merchant(merchant).filter(name=name).exists():
            segments.segment_create(
                merchant=merchant, name=name, expression=expression, description=description, created_by="demo"
            )
