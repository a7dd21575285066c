import pytest

MENU = {
    "button": [
        {"type": "click", "name": "今日歌曲", "key": "V1001_TODAY_MUSIC"},
        {
            "name": "菜单",
            "sub_button": [
                {"type": "view", "name": "搜索", "url": "http://www.soso.com/"},
                {"type": "click", "name": "赞一下我们", "key": "V1001_GOOD"},
            ],
        },
    ]
}


def test_menu_create_get_delete(wechat):
    assert wechat.post("/cgi-bin/menu/create", MENU) == {"errcode": 0, "errmsg": "ok"}
    menu = wechat.get("/cgi-bin/menu/get")["menu"]["button"]
    assert menu[0] == {"type": "click", "name": "今日歌曲", "key": "V1001_TODAY_MUSIC", "sub_button": []}
    assert [b["name"] for b in menu[1]["sub_button"]] == ["搜索", "赞一下我们"]
    selfmenu = wechat.get("/cgi-bin/get_current_selfmenu_info")
    assert selfmenu["selfmenu_info"]["button"][1]["sub_button"]["list"][0]["url"] == "http://www.soso.com/"
    assert wechat.get("/cgi-bin/menu/delete")["errcode"] == 0
    assert wechat.get("/cgi-bin/menu/get")["errcode"] == 46003


def _leaf(**overrides):
    return {"type": "click", "name": "ok", "key": "k", **overrides}


@pytest.mark.parametrize(
    ("buttons", "errcode"),
    [
        ([], 40016),
        ([_leaf()] * 4, 40016),
        ([_leaf(name="六个汉字六个")], 40018),  # 18 bytes > 16
        ([_leaf(type="teleport")], 40017),
        ([_leaf(key="k" * 129)], 40019),
        ([_leaf(type="view", key=None)], 40020),  # a view button needs a url
        ([_leaf(type="view", url="http://x/" + "a" * 1020)], 40020),
        ([{"name": "more", "sub_button": [_leaf()] * 6}], 40023),
        ([{"name": "more", "sub_button": [_leaf(type="nope")]}], 40024),
        ([{"name": "more", "sub_button": [_leaf(name="字" * 21)]}], 40025),  # 63 bytes > 60
        ([{"name": "more", "sub_button": [_leaf(key="")]}], 40026),
        ([{"name": "more", "sub_button": [_leaf(type="view", url="")]}], 40027),
        ([_leaf(type="media_id")], 40007),
    ],
)
def test_menu_limits_are_enforced_with_wechat_errcodes(wechat, buttons, errcode):
    assert wechat.post("/cgi-bin/menu/create", {"button": buttons})["errcode"] == errcode
    assert wechat.get("/cgi-bin/menu/get")["errcode"] == 46003  # nothing was stored


def test_menu_accepts_the_byte_limits_exactly(wechat):
    buttons = [
        {"type": "click", "name": "五个汉字a", "key": "k" * 128},  # 16 bytes
        {"name": "x", "sub_button": [{"type": "view", "name": "字" * 20, "url": "http://x/" + "a" * 1015}] * 5},
    ]
    assert wechat.post("/cgi-bin/menu/create", {"button": buttons})["errcode"] == 0
