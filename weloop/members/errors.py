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
