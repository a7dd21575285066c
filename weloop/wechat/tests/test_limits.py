"""WeChat's limits: menus (bytes, not characters), tags, QR codes and the customer-service window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from weloop.wechat.errors import InvalidMenu, LimitExceeded
from weloop.wechat.limits import (
    CUSTOMER_SERVICE_WINDOWS,
    FOLLOW,
    MENU_CLICK,
    MESSAGE,
    PAYMENT,
    SCAN,
    SENT,
    Interaction,
    WindowRule,
    qrcode_action,
    validate_menu,
    validate_tag_batch,
    validate_tag_name,
    window_allows,
    window_interaction,
)
from weloop.wechat.messages import parse_message


def click(name: str = "Nearby", key: str = "NEARBY") -> dict:
    return {"type": "click", "name": name, "key": key}


def view(name: str = "Shop", url: str = "https://h/m/shop/") -> dict:
    return {"type": "view", "name": name, "url": url}


# --- menus ---------------------------------------------------------------------------------------


def test_full_three_by_five_menu_is_valid():
    validate_menu(
        [{"name": f"Top{i}", "sub_button": [click(f"Sub{j}", f"K{i}{j}") for j in range(5)]} for i in range(3)]
    )


def test_leaf_top_buttons_of_every_kind_are_valid():
    validate_menu(
        [
            click(),
            view(),
            {"type": "miniprogram", "name": "App", "url": "https://h", "appid": "wxa", "pagepath": "pages/index"},
        ]
    )


def invalid_path(buttons) -> tuple[str, str]:
    with pytest.raises(InvalidMenu) as caught:
        validate_menu(buttons)
    assert caught.value.code == "wechat.invalid_menu"
    return caught.value.extra["path"], caught.value.extra["reason"]


@pytest.mark.parametrize("buttons", [[], [click()] * 4])
def test_one_to_three_top_buttons(buttons):
    assert invalid_path(buttons) == ("button", "count")


def test_at_most_five_sub_buttons():
    assert invalid_path([{"name": "Top", "sub_button": [click()] * 6}]) == ("button[0].sub_button", "count")


def test_top_name_is_limited_in_utf8_bytes_so_five_chinese_characters_fit_and_six_do_not():
    validate_menu([click(name="附近的门店")])  # 5 characters = 15 bytes
    assert invalid_path([click(name="附近的门店们")]) == ("button[0].name", "too_long")  # 18 bytes
    validate_menu([click(name="a" * 16)])
    assert invalid_path([click(name="a" * 17)]) == ("button[0].name", "too_long")


def test_sub_button_name_allows_sixty_bytes():
    validate_menu([{"name": "Top", "sub_button": [click(name="门" * 20)]}])  # 60 bytes
    path = invalid_path([{"name": "Top", "sub_button": [click(), click(name="门" * 20 + "a")]}])
    assert path == ("button[0].sub_button[1].name", "too_long")


def test_key_and_url_byte_limits():
    validate_menu([click(key="k" * 128), view(url="https://h/" + "u" * 1014)])
    assert invalid_path([click(key="键" * 43)]) == ("button[0].key", "too_long")  # 129 bytes
    assert invalid_path([click(), view(url="https://h/" + "u" * 1015)]) == ("button[1].url", "too_long")


def test_top_button_with_sub_buttons_has_no_type():
    button = {"type": "click", "key": "K", "name": "Top", "sub_button": [click()]}
    assert invalid_path([button]) == ("button[0].type", "type_with_sub_buttons")


@pytest.mark.parametrize(
    ("buttons", "expected"),
    [
        ([{"type": "teleport", "name": "X", "key": "K"}], ("button[0].type", "bad_type")),
        ([{"name": "Top"}], ("button[0].type", "bad_type")),  # neither a type nor sub buttons
        ([{"type": "click", "name": "X"}], ("button[0].key", "required")),
        ([{"type": "view", "name": "X"}], ("button[0].url", "required")),
        ([{"type": "click", "name": "  ", "key": "K"}], ("button[0].name", "required")),
        (
            [{"type": "miniprogram", "name": "X", "url": "https://h", "appid": "wxa"}],
            ("button[0].pagepath", "required"),
        ),
        (
            [{"name": "T", "sub_button": [{"name": "S", "sub_button": [click()]}]}],
            ("button[0].sub_button[0].sub_button", "too_deep"),
        ),
        (["not a button"], ("button[0]", "not_an_object")),
    ],
)
def test_invalid_buttons_point_at_the_bad_field(buttons, expected):
    assert invalid_path(buttons) == expected


# --- tags ----------------------------------------------------------------------------------------


def test_tag_name_is_one_to_thirty_bytes():
    validate_tag_name("广东省会员客户")  # 21 bytes
    validate_tag_name("十个汉字十个汉字十个")  # 30 bytes
    for bad in ("十个汉字十个汉字十个字", "", "   "):
        with pytest.raises(LimitExceeded):
            validate_tag_name(bad)


def test_tag_batch_is_one_to_fifty_openids():
    validate_tag_batch(["o"] * 50)
    for bad in ([], ["o"] * 51):
        with pytest.raises(LimitExceeded) as caught:
            validate_tag_batch(bad)
        assert caught.value.extra["limit"] == 50


# --- QR codes ------------------------------------------------------------------------------------


def test_qrcode_bodies_for_the_four_kinds():
    assert qrcode_action(123, permanent=False, expire_seconds=604800) == {
        "expire_seconds": 604800,
        "action_name": "QR_SCENE",
        "action_info": {"scene": {"scene_id": 123}},
    }
    assert qrcode_action("shop_42", permanent=False)["action_name"] == "QR_STR_SCENE"
    assert qrcode_action("shop_42", permanent=False)["expire_seconds"] == 2592000
    assert qrcode_action(100000, permanent=True) == {
        "action_name": "QR_LIMIT_SCENE",
        "action_info": {"scene": {"scene_id": 100000}},
    }
    assert qrcode_action("s" * 64, permanent=True)["action_info"] == {"scene": {"scene_str": "s" * 64}}


@pytest.mark.parametrize(
    ("scene", "permanent", "expire_seconds"),
    [
        (0, False, None),
        (2**32, False, None),
        (100001, True, None),
        (0, True, None),
        ("", True, None),
        ("s" * 65, False, None),
        (True, True, None),
        (1.5, False, None),
        (1, False, 2592001),
        (1, False, 0),
        (1, True, 60),  # a permanent code does not expire
    ],
)
def test_qrcode_limits(scene, permanent, expire_seconds):
    with pytest.raises(LimitExceeded):
        qrcode_action(scene, permanent=permanent, expire_seconds=expire_seconds)


def test_temporary_code_takes_any_32_bit_scene():
    assert qrcode_action(2**32 - 1, permanent=False)["action_info"]["scene"]["scene_id"] == 2**32 - 1


# --- the customer-service window -----------------------------------------------------------------

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def at(minutes: float = 0, hours: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, hours=hours)


def test_no_interaction_no_window():
    assert window_allows([], T0) == (False, 0, None)


def test_user_message_opens_five_messages_for_48_hours():
    history = [Interaction(MESSAGE, T0)]
    assert window_allows(history, at(hours=47)) == (True, 5, at(hours=48))
    assert window_allows(history, at(hours=48)) == (False, 0, None)


def test_sends_use_up_the_quota():
    history = [Interaction(MESSAGE, T0)] + [Interaction(SENT, at(minutes=i + 1)) for i in range(4)]
    assert window_allows(history, at(minutes=10)) == (True, 1, at(hours=48))
    history.append(Interaction(SENT, at(minutes=6)))
    assert window_allows(history, at(minutes=10))[:2] == (False, 0)


def test_a_new_user_message_renews_the_window():
    history = [Interaction(MESSAGE, T0)] + [Interaction(SENT, at(minutes=1))] * 5 + [Interaction(MESSAGE, at(hours=1))]
    assert window_allows(history, at(hours=2)) == (True, 5, at(hours=49))


@pytest.mark.parametrize("kind", [MENU_CLICK, FOLLOW, SCAN])
def test_click_follow_and_scan_allow_three_within_a_minute(kind):
    history = [Interaction(kind, T0)]
    assert window_allows(history, at(minutes=0.5)) == (True, 3, at(minutes=1))
    assert window_allows(history, at(minutes=1))[0] is False


def test_payment_allows_unlimited_messages_for_48_hours():
    history = [Interaction(PAYMENT, T0)] + [Interaction(SENT, at(minutes=1))] * 50
    assert window_allows(history, at(hours=47)) == (True, None, at(hours=48))
    assert window_allows(history, at(hours=48))[0] is False


def test_sends_use_the_window_that_closes_first():
    history = [Interaction(MESSAGE, T0), Interaction(FOLLOW, at(minutes=1)), Interaction(SENT, at(minutes=1.5))]
    # the follow window (3, closes at 2 min) paid for the send; the message window keeps its 5
    assert window_allows(history, at(minutes=1.7)) == (True, 7, at(hours=48))
    assert window_allows(history, at(minutes=3)) == (True, 5, at(hours=48))


def test_interactions_in_the_future_are_ignored_and_rules_are_data():
    assert window_allows([Interaction(MESSAGE, at(minutes=5))], T0)[0] is False
    generous = {**CUSTOMER_SERVICE_WINDOWS, MESSAGE: WindowRule(quota=20, valid_for=timedelta(hours=48))}
    assert window_allows([Interaction(MESSAGE, T0)], at(minutes=1), rules=generous)[1] == 20


@pytest.mark.parametrize(
    ("xml_body", "expected"),
    [
        ("<MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId>", MESSAGE),
        ("<MsgType>event</MsgType><Event>CLICK</Event><EventKey>K</EventKey>", MENU_CLICK),
        ("<MsgType>event</MsgType><Event>scancode_push</Event>", MENU_CLICK),
        ("<MsgType>event</MsgType><Event>subscribe</Event>", FOLLOW),
        ("<MsgType>event</MsgType><Event>SCAN</Event><EventKey>1</EventKey>", SCAN),
        ("<MsgType>event</MsgType><Event>VIEW</Event><EventKey>https://h</EventKey>", None),
        ("<MsgType>event</MsgType><Event>LOCATION</Event>", None),
    ],
)
def test_window_interaction_of_inbound_messages(xml_body, expected):
    xml = f"<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>{xml_body}</xml>"
    assert window_interaction(parse_message(xml)) == expected
