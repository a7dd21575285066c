from weloop.core.errors import Conflict, ValidationFailed


class InvalidRule(ValidationFailed):
    code = "tagging.invalid_rule"
    message = "The auto-tag rule is not valid."


class RuleNotBackfillable(Conflict):
    code = "tagging.rule_not_backfillable"
    message = "This kind of rule only applies to new events; it cannot be applied to past ones."


class WechatTagLimit(Conflict):
    code = "tagging.wechat_tag_limit"
    message = "WeChat allows at most 100 tags per service account; stop syncing another tag first."


class WechatNotConnected(Conflict):
    code = "tagging.wechat_not_connected"
    message = "Connect a WeChat service account before syncing tags."
