from __future__ import annotations

import pytest

from weloop.core.errors import NotFound
from weloop.messaging import selectors, services
from weloop.messaging.enums import LogStatus, MatchType, ReplyKind
from weloop.messaging.errors import InvalidReply, InvalidRule, KeywordTaken, WechatNotConnected
from weloop.messaging.models import AutoReplyRule, MenuConfig
from weloop.messaging.services import OutboundInput, ReplyInput, RuleInput
from weloop.tenants.models import WechatAccount
from weloop.wechat.errors import InvalidMenu, WeChatApiError

pytestmark = pytest.mark.django_db

MENU = [
    {"type": "click", "name": "营业时间", "key": "HOURS"},
    {"name": "更多", "sub_button": [{"type": "view", "name": "门店", "url": "https://x.cn/m/shop/stores/"}]},
]


class FakeMenuApi:
    def __init__(self, error: Exception | None = None) -> None:
        self.created: list = []
        self.deleted = 0
        self.error = error

    def menu_create(self, buttons):
        if self.error:
            raise self.error
        self.created.append(buttons)

    def menu_delete(self):
        self.deleted += 1


# --- rules --------------------------------------------------------------------------------------


def test_rule_create_and_update(merchant):
    rule = services.rule_create(merchant=merchant, data=RuleInput(keyword=" hours ", reply=ReplyInput(text="8-22")))
    assert (rule.keyword, rule.match_type, rule.reply_text, rule.public_id[:3]) == ("hours", "exact", "8-22", "ar_")
    updated = services.rule_update(
        merchant=merchant,
        public_id=rule.public_id,
        data=RuleInput(
            keyword="hours",
            match_type=MatchType.CONTAINS,
            priority=3,
            reply=ReplyInput(kind=ReplyKind.ARTICLE, title="Hours", url="https://x.cn/hours"),
        ),
    )
    assert (updated.match_type, updated.priority, updated.reply_kind, updated.reply_text) == (
        "contains",
        3,
        "article",
        "",
    )


def test_rule_keyword_once_per_match_type(merchant):
    services.rule_create(merchant=merchant, data=RuleInput(keyword="hi", reply=ReplyInput(text="a")))
    services.rule_create(
        merchant=merchant, data=RuleInput(keyword="hi", match_type=MatchType.CONTAINS, reply=ReplyInput(text="b"))
    )
    with pytest.raises(KeywordTaken):
        services.rule_create(merchant=merchant, data=RuleInput(keyword="hi", reply=ReplyInput(text="c")))
    assert AutoReplyRule.objects.count() == 2


@pytest.mark.parametrize(
    ("data", "error", "field"),
    [
        (RuleInput(keyword="", reply=ReplyInput(text="x")), InvalidRule, "keyword"),
        (RuleInput(keyword="k" * 61, reply=ReplyInput(text="x")), InvalidRule, "keyword"),
        (RuleInput(keyword="k", match_type="regex", reply=ReplyInput(text="x")), InvalidRule, "match_type"),
        (RuleInput(keyword="k", priority=10_000, reply=ReplyInput(text="x")), InvalidRule, "priority"),
        (RuleInput(keyword="k", reply=ReplyInput(text="  ")), InvalidReply, "text"),
        (RuleInput(keyword="k", reply=ReplyInput(text="字" * 683)), InvalidReply, "text"),
        (RuleInput(keyword="k", reply=ReplyInput(kind="video")), InvalidReply, "kind"),
        (RuleInput(keyword="k", reply=ReplyInput(kind="article", url="https://x.cn")), InvalidReply, "title"),
        (RuleInput(keyword="k", reply=ReplyInput(kind="article", title="t", url="ftp://x")), InvalidReply, "url"),
        (
            RuleInput(keyword="k", reply=ReplyInput(kind="article", title="t", url="https://x", pic_url="x.png")),
            InvalidReply,
            "pic_url",
        ),
    ],
)
def test_rule_create_refuses_bad_input(merchant, data, error, field):
    with pytest.raises(error) as caught:
        services.rule_create(merchant=merchant, data=data)
    assert caught.value.extra["field"] == field
    assert not AutoReplyRule.objects.exists()


def test_rules_of_another_merchant_are_not_found(merchant, other_merchant):
    rule = services.rule_create(merchant=other_merchant, data=RuleInput(keyword="hi", reply=ReplyInput(text="a")))
    with pytest.raises(NotFound):
        services.rule_delete(merchant=merchant, public_id=rule.public_id)
    with pytest.raises(NotFound):
        services.rule_update(
            merchant=merchant, public_id=rule.public_id, data=RuleInput(keyword="x", reply=ReplyInput(text="b"))
        )
    assert selectors.rule_matching(merchant=merchant, text="hi") is None
    services.rule_delete(merchant=other_merchant, public_id=rule.public_id)
    assert not AutoReplyRule.objects.exists()


# --- greeting -----------------------------------------------------------------------------------


def test_greeting_set_replaces_the_greeting(merchant):
    services.greeting_set(merchant=merchant, reply=ReplyInput(text="Hello"))
    greeting = services.greeting_set(merchant=merchant, reply=ReplyInput(text="Welcome"), is_active=False)
    assert (greeting.reply_text, greeting.is_active) == ("Welcome", False)
    assert selectors.greeting_of(merchant=merchant) == greeting


# --- menu ---------------------------------------------------------------------------------------


def test_menu_save_checks_wechats_limits(merchant):
    with pytest.raises(InvalidMenu):
        services.menu_save(merchant=merchant, buttons=[{"type": "click", "name": "一二三四五六", "key": "K"}])
    assert not MenuConfig.objects.exists()
    menu = services.menu_save(merchant=merchant, buttons=MENU)
    assert menu.buttons == MENU and not menu.is_published


def test_menu_publish_pushes_and_records(merchant):
    services.menu_save(merchant=merchant, buttons=MENU)
    api = FakeMenuApi()
    menu = services.menu_publish(merchant=merchant, api=api)
    assert api.created == [MENU]
    assert menu.pushed_at is not None and menu.last_error == {} and menu.is_published


def test_menu_publish_of_an_empty_menu_deletes_it(merchant):
    api = FakeMenuApi()
    services.menu_publish(merchant=merchant, api=api)
    assert api.deleted == 1 and api.created == []


def test_menu_publish_keeps_wechats_errcode_when_refused(merchant):
    services.menu_save(merchant=merchant, buttons=MENU)
    refusal = WeChatApiError(errcode=40016, errmsg="invalid button size", api="/cgi-bin/menu/create")
    with pytest.raises(WeChatApiError):
        services.menu_publish(merchant=merchant, api=FakeMenuApi(refusal))
    menu = selectors.menu_of(merchant=merchant)
    assert menu.pushed_at is None
    assert (menu.last_error["errcode"], menu.last_error["errmsg"]) == (40016, "invalid button size")


def test_menu_publish_needs_a_wechat_account(merchant):
    WechatAccount.objects.filter(merchant=merchant).delete()
    with pytest.raises(WechatNotConnected):
        services.menu_publish(merchant=merchant)


# --- outbound log -------------------------------------------------------------------------------


def test_message_log_outbound_links_a_known_member(merchant):
    from weloop.members.services import member_follow

    member = member_follow(merchant=merchant, openid="o-1")
    log = services.message_log_outbound(
        merchant=merchant, data=OutboundInput(openid="o-1", msg_type="text", summary="Your order is ready")
    )
    assert (log.member, log.status, log.direction) == (member, LogStatus.SENT, "out")
    assert list(selectors.message_log_list(merchant=merchant, member_id=member.public_id)) == [log]
    with pytest.raises(InvalidReply):
        services.message_log_outbound(merchant=merchant, data=OutboundInput(openid="o", msg_type="t", status="??"))
