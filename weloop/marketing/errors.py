"""Errors of campaigns, caps and opt-outs: stable codes, messages a marketer can act on."""

from weloop.core.errors import Conflict, NotFound, ValidationFailed


class InvalidCampaign(ValidationFailed):
    code = "marketing.invalid_campaign"
    message = "The campaign is not valid."


class InvalidCapSettings(ValidationFailed):
    code = "marketing.invalid_settings"
    message = "The cap settings are not valid."


class EmptyAudience(Conflict):
    code = "marketing.empty_audience"
    message = "The segment matches no member who can be messaged: the campaign cannot be sent."


class CampaignNotEditable(Conflict):
    code = "marketing.not_editable"
    message = "Only a draft or scheduled campaign can be changed."


class CampaignNotFound(NotFound):
    code = "marketing.campaign_not_found"
    message = "No such campaign."


class SegmentNotFound(NotFound):
    code = "marketing.segment_not_found"
    message = "No such segment."


class WechatNotConnected(Conflict):
    code = "marketing.wechat_not_connected"
    message = "Connect the WeChat account before sending campaigns."


class UnknownLink(NotFound):
    code = "marketing.unknown_link"
    message = "This link is not valid."
