"""WeChat's error codes, as the simulator returns them, and the phone's own refusals.

Codes marked [§6] are listed in WECHAT.md §6; the others are the closest real codes from WeChat's
global return-code list ("全局返回码说明") as we know it, noted where we are unsure.
"""

from __future__ import annotations

from typing import Any

from weloop.core.errors import WeloopError

# (errcode, errmsg) pairs. errmsg texts follow WeChat's English messages.
SYSTEM_ERROR = (-1, "system error")
INVALID_CREDENTIAL = (40001, "invalid credential, access_token is invalid or not latest")  # [§6]
INVALID_GRANT_TYPE = (40002, "invalid grant_type")
INVALID_OPENID = (40003, "invalid openid")
INVALID_MEDIA_ID = (40007, "invalid media_id")
INVALID_MESSAGE_TYPE = (40008, "invalid message type")
INVALID_APPID = (40013, "invalid appid")
INVALID_BUTTON_SIZE = (40016, "invalid button size")
INVALID_BUTTON_TYPE = (40017, "invalid button type")
INVALID_BUTTON_NAME_SIZE = (40018, "invalid button name size")
INVALID_BUTTON_KEY_SIZE = (40019, "invalid button key size")
INVALID_BUTTON_URL_SIZE = (40020, "invalid button url size")
INVALID_SUB_BUTTON_SIZE = (40023, "invalid sub button size")
INVALID_SUB_BUTTON_TYPE = (40024, "invalid sub button type")
INVALID_SUB_BUTTON_NAME_SIZE = (40025, "invalid sub button name size")
INVALID_SUB_BUTTON_KEY_SIZE = (40026, "invalid sub button key size")
INVALID_SUB_BUTTON_URL_SIZE = (40027, "invalid sub button url size")
INVALID_CODE = (40029, "invalid code")
INVALID_REFRESH_TOKEN = (40030, "invalid refresh_token")
INVALID_OPENID_LIST_SIZE = (40032, "invalid openid list size")  # [§6]
INVALID_ARGS = (40035, "invalid args")
INVALID_TEMPLATE_ID = (40037, "invalid template_id")
# Mass send to a tag that does not exist: the legacy groups code; the exact code is unverified.
INVALID_GROUP_ID = (40050, "invalid tag id")
INVALID_ACTION_NAME = (40052, "invalid action name")  # closest known code; unverified for qrcode/create
INVALID_ACTION_INFO = (40053, "invalid action info, please check document")
INVALID_APPSECRET = (40125, "invalid appsecret")
CODE_BEEN_USED = (40163, "code been used")
ACCESS_TOKEN_MISSING = (41001, "access_token missing")
APPID_MISSING = (41002, "appid missing")
SECRET_MISSING = (41004, "appsecret missing")
CODE_MISSING = (41008, "missing code")
OPENID_MISSING = (41009, "missing openid")
ACCESS_TOKEN_EXPIRED = (42001, "access_token expired")  # [§6]
REFRESH_TOKEN_EXPIRED = (42002, "refresh_token expired")
REQUIRE_GET = (43001, "require GET method")
REQUIRE_POST = (43002, "require POST method")
REQUIRE_SUBSCRIBE = (43004, "require subscribe")
EMPTY_POST_DATA = (44002, "empty post data")
EMPTY_CONTENT = (44004, "empty content")
ARTICLE_SIZE_OUT_OF_LIMIT = (45008, "article size out of limit")
API_DAILY_QUOTA = (45009, "reach max api daily quota limit")  # [§6]
RESPONSE_OUT_OF_TIME = (45015, "response out of time limit or subscription is canceled")  # [§6]
OUT_OF_RESPONSE_COUNT = (45047, "out of response count limit")  # [§6]
TOO_MANY_TAGS = (45056, "too many tag now, no need to add new")  # [§6]
TAG_HAS_TOO_MANY_FANS = (45057, "can't delete the tag that has too many fans")
SYSTEM_TAG = (45058, "can't modify sys tag")
USER_HAS_TOO_MANY_TAGS = (45059, "too many tags on this user")  # code per WECHAT.md (marked unverified there)
CLIENTMSGID_EXISTS = (45065, "clientmsgid exist")  # [§6]
CLIENTMSGID_TOO_LONG = (45067, "clientmsgid size out of limit")
INVALID_TAG_NAME = (45157, "invalid tag name")  # [§6] duplicate or illegal
TAG_NAME_TOO_LONG = (45158, "tag name too long")  # [§6]
INVALID_TAG_ID = (45159, "invalid tag id")
MENU_NOT_EXIST = (46003, "menu no exist")
DATA_FORMAT_ERROR = (47001, "data format error")
API_UNAUTHORIZED = (48001, "api unauthorized")
OPENID_OF_OTHER_APPID = (49003, "not same appid with appid of access_token")


class WechatApiError(WeloopError):
    """An API call WeChat refuses: rendered as ``{"errcode", "errmsg"}`` with HTTP 200, like WeChat."""

    code = "simulator.wechat_api_error"
    status = 200

    def __init__(self, error: tuple[int, str], **fields: Any) -> None:
        self.errcode, self.errmsg = error
        self.fields = fields  # extra response fields, e.g. the existing msg_id with 45065
        super().__init__(f"{self.errcode} {self.errmsg}", extra={"errcode": self.errcode, **fields})


class PhoneActionRefused(WeloopError):
    """The phone cannot do that now (e.g. chat before following): shown in the phone, not an error page."""

    code = "simulator.phone_action_refused"
    status = 400
    message = "The phone cannot do that now."
