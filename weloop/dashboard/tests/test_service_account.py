"""The service account in the console: menu editor (save, limits, publish), auto-replies, greeting, log."""

from __future__ import annotations

import re

import pytest
from django.http import QueryDict

from weloop.dashboard.menu_editor import draft_from_buttons, draft_from_post
from weloop.dashboard.tests import wechat_servers
from weloop.dashboard.tests.conftest import error_code
from weloop.members.services import member_follow
from weloop.messaging.enums import Direction, LogStatus
from weloop.messaging.models import AutoReplyRule, FollowGreeting, MenuConfig, MessageLog
from weloop.messaging.services import ReplyInput, RuleInput, rule_create
from weloop.wechat.client import WeChatApi
from weloop.wechat.errors import InvalidMenu

refusing_wechat = wechat_servers.refusing_wechat

MENU = "/dashboard/service-account/menu/"
RULES = "/dashboard/service-account/auto-replies/"
GREETING = "/dashboard/service-account/greeting/"


def menu_post(**fields: str) -> dict[str, str]:
    """A menu editor post: ``b0="Name|type|value"`` for top button 0, ``b0_2=…`` for its third sub-button."""
    data = {}
    for slot, spec in fields.items():
        name, kind, value = spec.split("|")
        slot_id = slot[1:].replace("_", "-")
        data.update({f"menu-{slot_id}-name": name, f"menu-{slot_id}-type": kind, f"menu-{slot_id}-value": value})
    return data


def _query(data: dict[str, str]) -> QueryDict:
    query = QueryDict(mutable=True)
    query.update(data)
    return query


# --- the editor grid ------------------------------------------------------------------------------


def test_empty_slots_are_left_out_and_sub_buttons_make_a_group():
    draft = draft_from_post(
        _query(
            menu_post(
                b1="Shop|view|https://shop.example/",
                b2="More|click|ignored",
                b2_1="Stores|location_select|NEARBY",
                b2_4="Hotline|click|HOTLINE",
            )
        )
    )
    assert draft.buttons() == [
        {"type": "view", "name": "Shop", "url": "https://shop.example/"},
        {
            "name": "More",
            "sub_button": [
                {"type": "location_select", "name": "Stores", "key": "NEARBY"},
                {"type": "click", "name": "Hotline", "key": "HOTLINE"},
            ],
        },
    ]


def test_an_error_path_is_placed_on_the_slot_it_came_from():
    # given a grid with holes: WeChat's button[1].sub_button[1] is slot 2, sub-slot 4
    draft = draft_from_post(_query(menu_post(b1="A|click|a", b2="B|click|", b2_1="C|click|c", b2_4="D|view|")))
    draft.buttons()
    placed = draft.place_error(InvalidMenu("url required", extra={"path": "button[1].sub_button[1].url"}))
    assert placed is not None and placed.slot_id == "2-4" and placed.error_field == "value"
    assert draft.slots[2].subs[4].error == "url required"
    assert not draft.slots[2].subs[1].error


def test_a_stored_menu_fills_the_grid_back():
    buttons = [{"name": "More", "sub_button": [{"type": "view", "name": "Site", "url": "https://x.example/"}]}]
    draft = draft_from_buttons(buttons)
    assert draft.slots[0].button.name == "More"
    assert (draft.slots[0].subs[0].type, draft.slots[0].subs[0].value) == ("view", "https://x.example/")
    assert draft.buttons() == buttons


# --- the menu page --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_save_stores_the_draft_without_calling_wechat(client, settings, merchant, login_as):
    settings.WECHAT_API_BASE = wechat_servers.UNREACHABLE  # saving must not need WeChat
    login_as(merchant, "admin")
    response = client.post(MENU, {**menu_post(b0="今日特价|click|TODAY"), "action": "save"})
    assert response.status_code == 302
    menu = MenuConfig.objects.for_merchant(merchant).get()
    assert menu.buttons == [{"type": "click", "name": "今日特价", "key": "TODAY"}] and menu.pushed_at is None
    page = client.get(MENU).content.decode()
    assert 'data-testid="menu-editor"' in page and 'value="今日特价"' in page
    assert 'data-testid="menu-state" data-state="draft"' in page


@pytest.mark.django_db
def test_a_top_name_over_16_bytes_is_refused_beside_that_button(client, merchant, login_as):
    login_as(merchant, "owner")
    # six Chinese characters are 18 bytes; the button is in the second column
    response = client.post(MENU, {**menu_post(b1="六个汉字名字|click|K"), "action": "save"})
    assert response.status_code == 400
    assert error_code(response) == "wechat.invalid_menu"
    body = response.content.decode()
    assert re.search(r'data-testid="menu-error" data-slot="1" data-field="name"', body)
    assert 'value="六个汉字名字"' in body  # what was typed is kept
    assert not MenuConfig.objects.for_merchant(merchant).exists()


@pytest.mark.django_db
def test_a_view_sub_button_without_url_is_refused_beside_it(client, merchant, login_as):
    login_as(merchant, "owner")
    post = menu_post(b2="More|click|", b2_0="Hot|click|HOT", b2_3="Site|view|")
    response = client.post(MENU, {**post, "action": "publish"})
    assert response.status_code == 400
    assert re.search(r'data-testid="menu-error" data-slot="2-3" data-field="value"', response.content.decode())


@pytest.mark.django_db(transaction=True)
def test_publish_pushes_the_menu_to_wechat(client, simulated_wechat, new_merchant, login_as):
    merchant = new_merchant.merchant
    login_as(merchant, "owner")
    post = menu_post(b0="Stores|location_select|NEARBY", b1="Shop|view|https://shop.example/m/")
    response = client.post(MENU, {**post, "action": "publish"})
    assert response.status_code == 302, response.content.decode()[:2000]
    menu = MenuConfig.objects.for_merchant(merchant).get()
    assert menu.is_published and menu.last_error == {}
    # WeChat (the simulator) now has exactly this menu
    account = new_merchant.wechat
    stored = WeChatApi(account.appid, account.app_secret).menu_get()
    names = [b["name"] for b in stored["menu"]["button"]]
    assert names == ["Stores", "Shop"]
    assert 'data-state="published"' in client.get(MENU).content.decode()


@pytest.mark.django_db
def test_publish_refused_by_wechat_shows_the_errcode_and_keeps_the_draft(client, refusing_wechat, merchant, login_as):
    login_as(merchant, "owner")
    response = client.post(MENU, {**menu_post(b0="Hello|click|HI"), "action": "publish"})
    assert response.status_code == 502
    body = response.content.decode()
    assert 'data-testid="wechat-errcode" data-errcode="40164"' in body
    assert 'data-testid="menu-publish-failed"' in body
    menu = MenuConfig.objects.for_merchant(merchant).get()
    assert menu.buttons == [{"type": "click", "name": "Hello", "key": "HI"}]
    assert menu.pushed_at is None and menu.last_error["errcode"] == 40164


# --- keyword auto-replies -------------------------------------------------------------------------


def rule_post(**overrides: str) -> dict[str, str]:
    data = {"keyword": "hours", "match_type": "exact", "kind": "text", "text": "We open at 8.", "priority": "0"}
    data["is_active"] = "on"
    return {**data, **overrides}


def rule_rows(client) -> list[str]:
    body = client.get(RULES).content.decode()
    return re.findall(r'data-testid="autoreply-row" data-auto-reply-rule-id="([^"]+)"', body)


@pytest.mark.django_db
def test_auto_reply_create_edit_and_delete(client, merchant, login_as):
    login_as(merchant, "admin")
    # create a text rule and an article rule
    assert client.post(f"{RULES}new/", rule_post()).status_code == 302
    article = rule_post(
        keyword="menu", match_type="contains", kind="article", text="", title="Our menu", url="https://x.example/menu"
    )
    assert client.post(f"{RULES}new/", {**article, "priority": "5"}).status_code == 302
    rules = {r.keyword: r for r in AutoReplyRule.objects.for_merchant(merchant)}
    assert rules["hours"].reply_text == "We open at 8." and rules["hours"].is_active
    assert rules["menu"].reply_kind == "article" and rules["menu"].article_title == "Our menu"
    assert rule_rows(client) == [rules["menu"].public_id, rules["hours"].public_id]  # priority first

    # edit: switch the rule off and change its text
    edit_url = f"{RULES}{rules['hours'].public_id}/edit/"
    assert 'value="hours"' in client.get(edit_url).content.decode()
    edited = rule_post(text="We open at 9.")
    del edited["is_active"]
    assert client.post(edit_url, edited).status_code == 302
    rules["hours"].refresh_from_db()
    assert rules["hours"].reply_text == "We open at 9." and not rules["hours"].is_active

    # delete
    assert client.post(f"{RULES}{rules['hours'].public_id}/delete/").status_code == 302
    assert rule_rows(client) == [rules["menu"].public_id]


@pytest.mark.django_db
def test_auto_reply_errors_show_beside_their_field_and_write_nothing(client, merchant, login_as):
    login_as(merchant, "owner")
    client.post(f"{RULES}new/", rule_post())
    taken = client.post(f"{RULES}new/", rule_post(text="again"))
    assert taken.status_code == 400 and error_code(taken) == "messaging.keyword_taken"
    assert 'data-testid="field-error-keyword"' in taken.content.decode()
    no_link = client.post(f"{RULES}new/", rule_post(keyword="news", kind="article", title="News", text=""))
    assert no_link.status_code == 400 and error_code(no_link) == "messaging.invalid_reply"
    assert 'data-testid="field-error-url"' in no_link.content.decode()
    too_long = client.post(f"{RULES}new/", rule_post(keyword="long", text="长" * 683))  # 2049 bytes
    assert too_long.status_code == 400 and 'data-testid="field-error-text"' in too_long.content.decode()
    assert AutoReplyRule.objects.for_merchant(merchant).count() == 1


@pytest.mark.django_db
def test_another_merchants_rule_is_not_found(client, merchant, other_merchant, login_as):
    theirs = rule_create(merchant=other_merchant, data=RuleInput(keyword="secret", reply=ReplyInput(text="x")))
    login_as(merchant, "owner")
    assert client.get(f"{RULES}{theirs.public_id}/edit/").status_code == 404
    assert client.post(f"{RULES}{theirs.public_id}/edit/", rule_post()).status_code == 404
    assert client.post(f"{RULES}{theirs.public_id}/delete/").status_code == 404
    assert AutoReplyRule.objects.filter(pk=theirs.pk).exists()


# --- the follow greeting --------------------------------------------------------------------------


@pytest.mark.django_db
def test_follow_greeting_text_then_article(client, merchant, login_as):
    login_as(merchant, "owner")
    assert 'data-state="none"' in client.get(GREETING).content.decode()
    assert client.post(GREETING, {"kind": "text", "text": "Welcome!", "is_active": "on"}).status_code == 302
    greeting = FollowGreeting.objects.for_merchant(merchant).get()
    assert greeting.reply_text == "Welcome!" and greeting.is_active
    article = {"kind": "article", "title": "Hello", "url": "https://x.example/", "description": "d"}
    assert client.post(GREETING, article).status_code == 302
    greeting.refresh_from_db()
    assert greeting.reply_kind == "article" and not greeting.is_active
    page = client.get(GREETING).content.decode()
    assert 'data-testid="greeting-form"' in page and 'value="Hello"' in page


@pytest.mark.django_db
def test_follow_greeting_without_text_is_refused(client, merchant, login_as):
    login_as(merchant, "owner")
    response = client.post(GREETING, {"kind": "text", "text": "  ", "is_active": "on"})
    assert response.status_code == 400
    assert 'data-testid="field-error-text"' in response.content.decode()
    assert not FollowGreeting.objects.for_merchant(merchant).exists()


# --- the message log ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_message_log_newest_first_with_member_links_and_filters(client, merchant, other_merchant, login_as):
    alice = member_follow(merchant=merchant, openid="o_alice")
    for n, (direction, summary) in enumerate([("in", "hello"), ("out", "welcome back"), ("in", "hours?")]):
        MessageLog.objects.create(
            merchant=merchant,
            direction=direction,
            member=alice,
            openid=alice.openid,
            msg_type="text",
            summary=summary,
            dedup_key=f"k{n}",
            status=LogStatus.HANDLED if direction == Direction.IN else LogStatus.SENT,
        )
    MessageLog.objects.create(
        merchant=other_merchant, direction="in", openid="o_x", msg_type="text", summary="rival", status="handled"
    )
    login_as(merchant, "service_agent")

    body = client.get("/dashboard/messages/").content.decode()
    summaries = re.findall(r'data-testid="message-log-summary">([^<]*)<', body)
    assert summaries == ["hours?", "welcome back", "hello"]
    assert f"/dashboard/members/{alice.public_id}/" in body
    sent = client.get("/dashboard/messages/?direction=out").content.decode()
    assert re.findall(r'data-testid="message-log-summary">([^<]*)<', sent) == ["welcome back"]


@pytest.mark.django_db
def test_service_account_pages_are_for_owners_and_admins(client, merchant, login_as):
    login_as(merchant, "service_agent")
    for url in (MENU, RULES, GREETING, f"{RULES}new/"):
        assert client.get(url).status_code == 403, url
    assert client.get("/dashboard/messages/").status_code == 200  # agents read the log
