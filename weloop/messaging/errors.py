from weloop.core.errors import Conflict, ValidationFailed


class InvalidReply(ValidationFailed):
    code = "messaging.invalid_reply"
    message = "The reply is not valid."


class InvalidRule(ValidationFailed):
    code = "messaging.invalid_rule"
    message = "The auto-reply rule is not valid."


class KeywordTaken(ValidationFailed):
    code = "messaging.keyword_taken"
    message = "Another rule already answers this keyword the same way."


class WechatNotConnected(Conflict):
    code = "messaging.wechat_not_connected"
    message = "Connect a WeChat service account first."


class InvalidNotificationTemplate(ValidationFailed):
    code = "messaging.invalid_notification_template"
    message = "The notification template mapping is not valid."
