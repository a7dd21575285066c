"""URLs of the simulator. The platform only ever sees the base URLs (settings.WECHAT_*_BASE):

- /simulator/api/cgi-bin/... and /simulator/api/sns/...   = https://api.weixin.qq.com/...
- /simulator/open/connect/oauth2/authorize                 = https://open.weixin.qq.com/...
- /simulator/mp/cgi-bin/showqrcode                         = https://mp.weixin.qq.com/...
- /simulator/pay/v3/...                                     = https://api.mch.weixin.qq.com/v3/...
- /simulator/pay/wallet and /simulator/pay/scan             the phone's WeChat Pay sheet
- /simulator/ and /simulator/phone/...                     the consumer phone
"""

from __future__ import annotations

from django.urls import include, path

from weloop.simulator.views import cgi, enabled_only, media, oauth_pages, phone, sns

app_name = "simulator"

_CGI = {
    "token": cgi.token,
    "stable_token": cgi.stable_token,
    "ticket/getticket": cgi.getticket,
    "menu/create": cgi.menu_create,
    "menu/get": cgi.menu_get,
    "menu/delete": cgi.menu_delete,
    "get_current_selfmenu_info": cgi.selfmenu_info,
    "message/custom/send": cgi.custom_send,
    "message/template/send": cgi.template_send,
    "message/subscribe/bizsend": cgi.subscribe_send,
    "message/mass/sendall": cgi.mass_sendall,
    "message/mass/send": cgi.mass_send,
    "tags/create": cgi.tags_create,
    "tags/get": cgi.tags_get,
    "tags/update": cgi.tags_update,
    "tags/delete": cgi.tags_delete,
    "tags/members/batchtagging": cgi.batch_tagging,
    "tags/members/batchuntagging": cgi.batch_untagging,
    "tags/getidlist": cgi.tags_of_user,
    "user/tag/get": cgi.users_of_tag,
    "user/info": cgi.user_info,
    "user/get": cgi.user_get,
    "qrcode/create": cgi.qrcode_create,
    "media/get": cgi.media_get,
}
_SNS = {
    "oauth2/access_token": sns.oauth2_access_token,
    "oauth2/refresh_token": sns.oauth2_refresh_token,
    "userinfo": sns.userinfo,
    "auth": sns.auth,
}
_PHONE = {
    "account": phone.select_account,
    "user": phone.select_user,
    "user/new": phone.new_user,
    "follow": phone.follow,
    "unfollow": phone.unfollow,
    "scan": phone.scan,
    "text": phone.send_text,
    "location": phone.send_location,
    "image": phone.send_image,
    "menu": phone.tap_menu,
    "verify-url": phone.verify_url,
    "chat": phone.chat,
    "pushes": phone.push_log,
}


def _name(route: str) -> str:
    return route.replace("/", "_").replace("-", "_")


urlpatterns = [
    path("", enabled_only(phone.index), name="index"),
    *(path(f"phone/{route}", enabled_only(view), name=f"phone_{_name(route)}") for route, view in _PHONE.items()),
    *(path(f"api/cgi-bin/{route}", enabled_only(view), name=f"cgi_{_name(route)}") for route, view in _CGI.items()),
    *(path(f"api/sns/{route}", enabled_only(view), name=f"sns_{_name(route)}") for route, view in _SNS.items()),
    path("open/connect/oauth2/authorize", enabled_only(oauth_pages.authorize), name="oauth_authorize"),
    path("mp/cgi-bin/showqrcode", enabled_only(media.showqrcode), name="showqrcode"),
    path("media/<str:media_id>", enabled_only(media.media), name="media"),
    path("avatar/<str:seed>.svg", enabled_only(media.avatar), name="avatar"),
    path("pay/", include("weloop.simulator.pay_urls")),
]
