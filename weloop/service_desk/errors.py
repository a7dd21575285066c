from weloop.core.errors import Conflict, ValidationFailed


class OutsideWindow(Conflict):
    """WeChat only lets the account answer within 48 h of the member's last message (and 5 times)."""

    code = "service_desk.outside_window"
    message = (
        "The customer-service window is closed: WeChat allows replies only within 48 hours of the "
        "customer's last message, 5 at most. Send a template message instead."
    )


class QuotaUsed(Conflict):
    code = "service_desk.quota_used"
    message = (
        "The replies allowed since the customer's last message are used up; wait for the customer "
        "to write again, or send a template message."
    )


class MemberUnsubscribed(Conflict):
    code = "service_desk.member_unsubscribed"
    message = "The customer has unfollowed the service account: WeChat delivers nothing to them any more."


class ConversationClosed(Conflict):
    code = "service_desk.conversation_closed"
    message = "The conversation is closed."


class InvalidReplyText(ValidationFailed):
    code = "service_desk.invalid_text"
    message = "Write a message of 1 to 600 characters."


class NotAnAgent(ValidationFailed):
    code = "service_desk.not_an_agent"
    message = "This staff member cannot answer customers."


class InvalidOutcome(ValidationFailed):
    code = "service_desk.invalid_outcome"
    message = "Choose how the conversation ended."


class CannotRetry(Conflict):
    code = "service_desk.cannot_retry"
    message = "Only a message that failed to send can be sent again."


class InvalidCannedReply(ValidationFailed):
    code = "service_desk.invalid_canned_reply"
    message = "A canned reply needs a title (at most 60 characters) and a text (at most 600)."


class CannedReplyTitleTaken(ValidationFailed):
    code = "service_desk.canned_reply_title_taken"
    message = "Another canned reply has this title."


class InvalidTicket(ValidationFailed):
    code = "service_desk.invalid_ticket"
    message = "A ticket needs a subject of 1 to 120 characters."


class WechatNotConnected(Conflict):
    code = "service_desk.wechat_not_connected"
    message = "Connect a WeChat service account first."
