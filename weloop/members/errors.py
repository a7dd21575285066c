from weloop.core.errors import Conflict, ValidationFailed


class InvalidQrCode(ValidationFailed):
    code = "members.invalid_qr_code"
    message = "The QR code settings are not valid."


class InvalidMemberProfile(ValidationFailed):
    code = "members.invalid_profile"
    message = "Some member profile fields are not valid."


class WechatNotConnected(Conflict):
    code = "members.wechat_not_connected"
    message = "Connect a WeChat service account first."


class InvalidTag(ValidationFailed):
    code = "members.invalid_tag"
    message = "The tag is not valid."


class TagNameTaken(Conflict):
    code = "members.tag_name_taken"
    message = "A tag with this name already exists."


class TagInUse(Conflict):
    code = "members.tag_in_use"
    message = "Members still carry this tag; remove it from them first or delete it anyway."
