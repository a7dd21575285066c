from weloop.simulator.models import SimTag


def test_tag_lifecycle(wechat, follower):
    created = wechat.post("/cgi-bin/tags/create", {"tag": {"name": "广东"}})["tag"]
    assert created["id"] >= 100 and created["name"] == "广东"
    assert (
        wechat.post("/cgi-bin/tags/members/batchtagging", {"openid_list": [follower.openid], "tagid": created["id"]})[
            "errcode"
        ]
        == 0
    )
    tags = {t["id"]: t for t in wechat.get("/cgi-bin/tags/get")["tags"]}
    assert tags[2]["name"] == "星标组" and tags[created["id"]]["count"] == 1
    assert wechat.post("/cgi-bin/tags/getidlist", {"openid": follower.openid}) == {"tagid_list": [created["id"]]}
    page = wechat.post("/cgi-bin/user/tag/get", {"tagid": created["id"], "next_openid": ""})
    assert page["count"] == 1 and page["data"]["openid"] == [follower.openid]
    assert wechat.post("/cgi-bin/tags/update", {"tag": {"id": created["id"], "name": "广州"}})["errcode"] == 0
    assert (
        wechat.post("/cgi-bin/tags/members/batchuntagging", {"openid_list": [follower.openid], "tagid": created["id"]})[
            "errcode"
        ]
        == 0
    )
    assert wechat.post("/cgi-bin/tags/getidlist", {"openid": follower.openid}) == {"tagid_list": []}
    assert wechat.post("/cgi-bin/tags/delete", {"tag": {"id": created["id"]}})["errcode"] == 0
    assert created["id"] not in {t["id"] for t in wechat.get("/cgi-bin/tags/get")["tags"]}


def test_tag_names_and_the_hundred_per_account(wechat, sim_account):
    assert wechat.post("/cgi-bin/tags/create", {"tag": {"name": "a" * 31}})["errcode"] == 45158
    assert "tag" in wechat.post("/cgi-bin/tags/create", {"tag": {"name": "十个汉字十个汉字十个"}})  # 30 bytes
    assert wechat.post("/cgi-bin/tags/create", {"tag": {"name": "十个汉字十个汉字十个"}})["errcode"] == 45157
    assert wechat.post("/cgi-bin/tags/create", {"tag": {"name": ""}})["errcode"] == 45157
    SimTag.objects.bulk_create(SimTag(appid=sim_account.appid, tag_id=200 + n, name=f"t{n}") for n in range(99))
    assert wechat.post("/cgi-bin/tags/create", {"tag": {"name": "one too many"}})["errcode"] == 45056


def test_system_tags_and_unknown_ids(wechat):
    assert wechat.post("/cgi-bin/tags/update", {"tag": {"id": 2, "name": "x"}})["errcode"] == 45058
    assert wechat.post("/cgi-bin/tags/delete", {"tag": {"id": 1}})["errcode"] == 45058
    assert wechat.post("/cgi-bin/tags/delete", {"tag": {"id": 12345}})["errcode"] == 45159
    assert wechat.post("/cgi-bin/tags/members/batchtagging", {"openid_list": ["o"], "tagid": 12345})["errcode"] == 45159


def test_batch_tagging_limits(wechat, make_user):
    tag_id = wechat.post("/cgi-bin/tags/create", {"tag": {"name": "t"}})["tag"]["id"]
    users = [make_user(follow=False) for _ in range(2)]
    assert wechat.post("/cgi-bin/tags/members/batchtagging", {"openid_list": [], "tagid": tag_id})["errcode"] == 40032
    fifty_one = [users[0].openid] * 51
    assert (
        wechat.post("/cgi-bin/tags/members/batchtagging", {"openid_list": fifty_one, "tagid": tag_id})["errcode"]
        == 40032
    )
    assert (
        wechat.post("/cgi-bin/tags/members/batchtagging", {"openid_list": ["oNOBODY"], "tagid": tag_id})["errcode"]
        == 40003
    )


def test_a_user_carries_at_most_twenty_tags(wechat, make_user):
    busy, calm = make_user(follow=False), make_user(follow=False)
    tag_ids = [wechat.post("/cgi-bin/tags/create", {"tag": {"name": f"t{n}"}})["tag"]["id"] for n in range(21)]
    for tag_id in tag_ids[:20]:
        assert (
            wechat.post("/cgi-bin/tags/members/batchtagging", {"openid_list": [busy.openid], "tagid": tag_id})[
                "errcode"
            ]
            == 0
        )
    # the 21st tag is refused for the whole batch
    both = {"openid_list": [calm.openid, busy.openid], "tagid": tag_ids[20]}
    assert wechat.post("/cgi-bin/tags/members/batchtagging", both)["errcode"] == 45059
    assert wechat.post("/cgi-bin/tags/getidlist", {"openid": calm.openid}) == {"tagid_list": []}
    # re-tagging with a tag the user already has is fine
    again = {"openid_list": [busy.openid], "tagid": tag_ids[0]}
    assert wechat.post("/cgi-bin/tags/members/batchtagging", again)["errcode"] == 0
