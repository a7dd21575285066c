"""Choices of the simulated WeChat Pay: trade states, refund statuses, notification attempts."""

from django.db import models


class TradeType(models.TextChoices):
    JSAPI = "JSAPI", "JSAPI (inside WeChat)"
    NATIVE = "NATIVE", "Native (QR code)"


class TradeState(models.TextChoices):
    """WeChat Pay's ``trade_state`` (WECHAT.md §4.3); REVOKED and USERPAYING are not simulated."""

    NOTPAY = "NOTPAY", "not paid"
    SUCCESS = "SUCCESS", "paid"
    CLOSED = "CLOSED", "closed"
    REFUND = "REFUND", "refund started"
    PAYERROR = "PAYERROR", "payment failed"


TRADE_STATE_DESC = {
    TradeState.NOTPAY: "订单未支付",
    TradeState.SUCCESS: "支付成功",
    TradeState.CLOSED: "订单已关闭",
    TradeState.REFUND: "转入退款",
    TradeState.PAYERROR: "支付失败",
}


class RefundStatus(models.TextChoices):
    PROCESSING = "PROCESSING", "processing"
    SUCCESS = "SUCCESS", "refunded"
    CLOSED = "CLOSED", "closed"
    ABNORMAL = "ABNORMAL", "abnormal"


class NotificationStatus(models.TextChoices):
    """One delivery attempt of a notification."""

    PENDING = "pending", "waiting for its time"
    SENDING = "sending", "sending"
    DELIVERED = "delivered", "answered 200/204"
    FAILED = "failed", "other answer, timeout or no connection"
