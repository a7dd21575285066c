"""Demo step "events and surveys" (活动, 问卷): an upcoming event at the first store with sign-ups, a
past one with check-ins (and a no-show), a survey following it up with answers that tagged members.
All through the services."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from weloop.core import clock
from weloop.engagement import services as engagement
from weloop.engagement.models import Event
from weloop.engagement.services import EventInput, OptionInput, QuestionInput, SurveyInput
from weloop.members.models import Member

if TYPE_CHECKING:
    from weloop.demo.seed import DemoContext


def seed_engagement(ctx: DemoContext) -> None:
    merchant = ctx.merchant
    people = list(Member.objects.for_merchant(merchant).order_by("id")[:6])
    if len(people) < 4 or not ctx.stores:
        return
    store = ctx.stores[0]

    # Upcoming: 拉花体验课 in five days, 12 places, three members signed up.
    start = (clock.now() + timedelta(days=5)).replace(hour=14, minute=0, second=0, microsecond=0)
    upcoming = engagement.event_create(
        merchant=merchant,
        data=EventInput(
            title="周末拉花体验课",
            description="咖啡师手把手教你拉出第一颗心。免费参加，名额有限。",
            store=store,
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            capacity=12,
            questions=["手机号（用于活动提醒）"],
        ),
        actor="demo",
        publish_now=True,
    )
    for i, member in enumerate(people[:3]):
        engagement.event_signup(merchant=merchant, event=upcoming, member=member, answers={"q1": f"1380000{i:04d}"})

    # Past: 新品品鉴会 a week ago: four signed up, three checked in at the door, one no-show.
    with clock.travel(-timedelta(days=10)):
        begin = clock.now() + timedelta(days=3)
        past = engagement.event_create(
            merchant=merchant,
            data=EventInput(
                title="冬季新品品鉴会",
                description="品尝冬季新品，现场填写问卷领取小礼物。",
                store=store,
                starts_at=begin,
                ends_at=begin + timedelta(hours=2),
                capacity=30,
            ),
            actor="demo",
            publish_now=True,
        )
        signups = [engagement.event_signup(merchant=merchant, event=past, member=m)[0] for m in people[:4]]
    with clock.travel(past.starts_at + timedelta(minutes=10) - clock.now()):
        for signup in signups[:2]:
            engagement.event_checkin_by_code(
                merchant=merchant, code=engagement.checkin_token(signup), actor="clerk:demo-clerk"
            )
        engagement.event_checkin_at_venue(
            merchant=merchant, event=past, member=people[2], key=Event.objects.get(pk=past.pk).checkin_key
        )
    engagement.event_close(merchant=merchant, event=past, actor="demo")

    survey = engagement.survey_create(
        merchant=merchant,
        data=SurveyInput(
            title="品鉴会反馈",
            description="花一分钟告诉我们你的口味。",
            event=past,
            questions=[
                QuestionInput(
                    "single",
                    "你更喜欢哪款新品？",
                    options=[OptionInput("桂花拿铁", "偏好:花香"), OptionInput("黑糖燕麦", "偏好:甜口")],
                ),
                QuestionInput(
                    "multiple",
                    "你通常什么时候来店？",
                    required=False,
                    options=[OptionInput("早上", "到店:早上"), OptionInput("下午"), OptionInput("晚上")],
                ),
                QuestionInput("rating", "给这次活动打分"),
                QuestionInput("text", "还有什么建议？", required=False),
            ],
        ),
        actor="demo",
        open_now=True,
    )
    questions = list(survey.questions.prefetch_related("options"))
    single, multiple, rating, text = questions
    opts = [list(q.options.all()) for q in (single, multiple)]
    answers = [
        {single.public_id: opts[0][0].public_id, multiple.public_id: [opts[1][0].public_id], rating.public_id: 5},
        {single.public_id: opts[0][1].public_id, rating.public_id: 4, text.public_id: "希望周末多办几场"},
        {
            single.public_id: opts[0][0].public_id,
            multiple.public_id: [opts[1][1].public_id, opts[1][2].public_id],
            rating.public_id: 5,
        },
    ]
    for member, given in zip(people[:3], answers, strict=True):
        engagement.survey_answer(merchant=merchant, survey=survey, member=member, answers=given)
