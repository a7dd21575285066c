"""The simulated WeChat Pay v3 server: orders, queries, closing, refunds and the wallet's payment.

Rules reproduced (WECHAT.md §4.3-4.6):
- ``out_trade_no`` is unique per mchid. The same parameters again return the current ``prepay_id``
  (or ``code_url``), renewed after 2 hours; other parameters under the same number are refused with
  400 INVALID_REQUEST (WeChat's exact code here is unverified; the platform should query on any error).
- An unpaid order expires at ``time_expire`` or after 7 days; a closed order cannot be paid.
- Refunds: only of a paid order, within a year, at most 50 per order, never more than the order
  total in all; the same ``out_refund_no`` refunds once (a retry returns the same refund). A refund
  answers PROCESSING and succeeds ``SIMULATOR_PAY_REFUND_DELAY`` seconds later on the simulator's
  pool, then notifies. The "1 minute between refunds" rule is not enforced.
- Errors are WeChat's ``{"code", "message"}`` with its HTTP status, as ``PayRefusal``.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import string
import threading
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from weloop.core import clock
from weloop.core.errors import WeloopError
from weloop.core.ids import random_token
from weloop.simulator import pay_notify
from weloop.simulator.enums import InteractionKind
from weloop.simulator.models import SimUser
from weloop.simulator.pay_enums import TRADE_STATE_DESC, RefundStatus, TradeState, TradeType
from weloop.simulator.pay_models import SimPayOrder, SimPayRefund
from weloop.simulator.pay_registry import PayMerchant, pay_merchant_for
from weloop.wechat.pay_crypto import CHINA, parse_rfc3339, rfc3339, verify_pay_sign

OUT_TRADE_NO = re.compile(r"[0-9A-Za-z_\-|*]{6,32}")
OUT_REFUND_NO = re.compile(r"[0-9A-Za-z_\-|*@]{1,64}")
UNPAID_LIFETIME = timedelta(days=7)
PREPAY_LIFETIME = timedelta(hours=2)
REFUND_WINDOW = timedelta(days=365)
MAX_REFUNDS_PER_ORDER = 50
PAID_STATES = (TradeState.SUCCESS, TradeState.REFUND)


class PayRefusal(WeloopError):
    """WeChat Pay refuses a call: rendered as ``{"code", "message"}`` with ``http_status``."""

    code = "simulator.pay_refusal"

    def __init__(self, http_status: int, wechat_code: str, message: str) -> None:
        self.http_status, self.wechat_code = http_status, wechat_code
        super().__init__(message, extra={"status": http_status, "code": wechat_code})


class WalletRefusal(WeloopError):
    """The wallet cannot pay this (bad paySign, unknown or paid order, ...): shown on the page."""

    code = "simulator.wallet_refusal"
    status = 400


def param_error(message: str) -> PayRefusal:
    return PayRefusal(400, "PARAM_ERROR", message)


def invalid_request(message: str) -> PayRefusal:
    return PayRefusal(400, "INVALID_REQUEST", message)


def sign_error(message: str = "签名错误") -> PayRefusal:
    return PayRefusal(401, "SIGN_ERROR", message)


def order_not_found() -> PayRefusal:
    return PayRefusal(404, "ORDER_NOT_EXIST", "订单不存在")


def refund_delay() -> float:
    return float(getattr(settings, "SIMULATOR_PAY_REFUND_DELAY", 2.0))


# --- identifiers shaped like WeChat Pay's ---------------------------------------------------------


def new_prepay_id() -> str:
    """``wx`` + yyyymmddHHMMSS + 20 characters, like ``wx201410272009395522657a690389285100``."""
    stamp = clock.now().astimezone(CHINA).strftime("%Y%m%d%H%M%S")
    return "wx" + stamp + secrets.token_hex(10)


def new_code_url() -> str:
    return "weixin://wxpay/bizpayurl?pr=" + random_token(9)


def new_transaction_id() -> str:
    return "4200" + random_token(24, string.digits)


def new_refund_id() -> str:
    return "50" + random_token(27, string.digits)


# --- reading a request body ------------------------------------------------------------------------


def _text(payload: Mapping[str, Any], name: str, *, max_length: int, required: bool = True) -> str:
    value = payload.get(name)
    if value is None or value == "":
        if required:
            raise param_error(f"输入源“/body/{name}”映射到值字段“{name}”必填性规则校验失败，此字段为必填项")
        return ""
    if not isinstance(value, str) or len(value) > max_length:
        raise param_error(f"{name} 应为不超过 {max_length} 个字符的字符串")
    return value


def _fen(amount: Mapping[str, Any], name: str) -> int:
    value = amount.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise param_error(f"amount.{name} 应为大于 0 的整数（单位：分）")
    return value


def _amount(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    amount = payload.get("amount")
    if not isinstance(amount, dict):
        raise param_error("amount 为必填项")
    if amount.get("currency", "CNY") != "CNY":
        raise param_error("amount.currency 仅支持 CNY")
    return amount


def _notify_url(payload: Mapping[str, Any], *, required: bool) -> str:
    url = _text(payload, "notify_url", max_length=256, required=required)
    if not url:
        return ""
    # Real WeChat Pay wants https; the simulator accepts http too (it serves laptops and tests).
    schemes = ("https://",) if getattr(settings, "SIMULATOR_PAY_REQUIRE_HTTPS", False) else ("https://", "http://")
    if not url.startswith(schemes) or "?" in url or "#" in url:
        raise param_error("notify_url 应为不带参数的 https 地址")
    return url


# --- orders -----------------------------------------------------------------------------------------


def _order_fields(merchant: PayMerchant, trade_type: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    appid = _text(payload, "appid", max_length=32)
    mchid = _text(payload, "mchid", max_length=32)
    if mchid != merchant.mchid:
        raise param_error("mchid 与请求头中的商户号不一致")
    if appid != merchant.appid:
        raise PayRefusal(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
    out_trade_no = _text(payload, "out_trade_no", max_length=32)
    if not OUT_TRADE_NO.fullmatch(out_trade_no):
        raise param_error("out_trade_no 应为 6-32 位数字、大小写字母或 _-|*")
    fields: dict[str, Any] = {
        "appid": appid,
        "mchid": mchid,
        "out_trade_no": out_trade_no,
        "trade_type": trade_type,
        "description": _text(payload, "description", max_length=127),
        "attach": _text(payload, "attach", max_length=128, required=False),
        "notify_url": _notify_url(payload, required=True),
        "total_fen": _fen(_amount(payload), "total"),
        "time_expire": None,
        "payer_openid": "",
    }
    time_expire = _text(payload, "time_expire", max_length=64, required=False)
    if time_expire:
        moment = parse_rfc3339(time_expire)
        if moment is None:
            raise param_error("time_expire 应为 rfc3339 格式，如 2018-06-08T10:34:56+08:00")
        if moment <= clock.now():
            raise param_error("time_expire 不能早于当前时间")
        fields["time_expire"] = moment
    if trade_type == TradeType.JSAPI:
        fields["payer_openid"] = _payer_openid(appid, payload)
    return fields


def _payer_openid(appid: str, payload: Mapping[str, Any]) -> str:
    payer = payload.get("payer")
    openid = _text(payer if isinstance(payer, dict) else {}, "openid", max_length=128)
    # Only an openid the simulated WeChat knows under another appid is provably wrong.
    if SimUser.objects.filter(openid=openid).exclude(appid=appid).exists():
        raise PayRefusal(400, "OPENID_MISMATCH", "openid和appid不匹配")
    return openid


def _fingerprint(fields: Mapping[str, Any]) -> str:
    # scene_info is left out: a retry from another server of the platform has another client IP.
    data = {**fields, "time_expire": rfc3339(fields["time_expire"]) if fields["time_expire"] else ""}
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def order_place(*, merchant: PayMerchant, trade_type: str, payload: Mapping[str, Any]) -> SimPayOrder:
    """POST /v3/pay/transactions/{jsapi|native}: a new order, or the same one for the same parameters."""
    fields = _order_fields(merchant, trade_type, payload)
    fingerprint = _fingerprint(fields)
    scene = payload.get("scene_info") if isinstance(payload.get("scene_info"), dict) else {}
    with transaction.atomic():
        existing = _locked_order(merchant.mchid, fields["out_trade_no"])
        if existing is not None:
            return _order_again(existing, fingerprint)
        now = clock.now()
        try:
            with transaction.atomic():
                order = SimPayOrder.objects.create(
                    **fields,
                    scene_info=scene,
                    fingerprint=fingerprint,
                    expires_at=fields["time_expire"] or now + UNPAID_LIFETIME,
                    created_at=now,
                )
        except IntegrityError:  # the same out_trade_no raced in: answer like a repeat
            existing = _locked_order(merchant.mchid, fields["out_trade_no"])
            assert existing is not None
            return _order_again(existing, fingerprint)
        _renew_payment_handle(order)
        return order


def _locked_order(mchid: str, out_trade_no: str) -> SimPayOrder | None:
    return SimPayOrder.objects.select_for_update().filter(mchid=mchid, out_trade_no=out_trade_no).first()


def _order_again(order: SimPayOrder, fingerprint: str) -> SimPayOrder:
    if order.fingerprint != fingerprint:
        raise invalid_request("商户订单号重复，且请求参数与原订单不一致")
    if order.trade_state in PAID_STATES:
        raise invalid_request("该订单已支付")
    if order.trade_state == TradeState.CLOSED:
        raise PayRefusal(400, "ORDER_CLOSED", "订单已关闭")
    if clock.now() >= order.expires_at:
        raise invalid_request("订单已过期")
    if order.prepay_expires_at is None or clock.now() >= order.prepay_expires_at:
        _renew_payment_handle(order)
    return order


def _renew_payment_handle(order: SimPayOrder) -> None:
    """A fresh prepay_id (JSAPI) or code_url (NATIVE), valid for 2 hours."""
    if order.trade_type == TradeType.JSAPI:
        order.prepay_id = new_prepay_id()
    else:
        order.code_url = new_code_url()
    order.prepay_expires_at = clock.now() + PREPAY_LIFETIME
    order.save(update_fields=["prepay_id", "code_url", "prepay_expires_at"])


def order_find(*, merchant: PayMerchant, out_trade_no: str = "", transaction_id: str = "") -> SimPayOrder:
    orders = SimPayOrder.objects.filter(mchid=merchant.mchid)
    if transaction_id:
        order = orders.filter(transaction_id=transaction_id).first()
    else:
        order = orders.filter(out_trade_no=out_trade_no).first() if out_trade_no else None
    if order is None:
        raise order_not_found()
    return order


def order_close(*, merchant: PayMerchant, out_trade_no: str, payload: Mapping[str, Any]) -> None:
    """POST …/{out_trade_no}/close: an unpaid order can no longer be paid; closing twice is fine."""
    if _text(payload, "mchid", max_length=32) != merchant.mchid:
        raise param_error("mchid 与请求头中的商户号不一致")
    with transaction.atomic():
        order = _locked_order(merchant.mchid, out_trade_no)
        if order is None:
            raise order_not_found()
        if order.trade_state in PAID_STATES:
            raise invalid_request("订单已支付，不能关闭")
        if order.trade_state != TradeState.CLOSED:
            order.trade_state, order.closed_at = TradeState.CLOSED, clock.now()
            order.save(update_fields=["trade_state", "closed_at"])


def transaction_resource(order: SimPayOrder) -> dict[str, Any]:
    """The order as the query answers it and as TRANSACTION.SUCCESS carries it (§4.5)."""
    resource: dict[str, Any] = {
        "appid": order.appid,
        "mchid": order.mchid,
        "out_trade_no": order.out_trade_no,
        "trade_type": order.trade_type,
        "trade_state": order.trade_state,
        "trade_state_desc": TRADE_STATE_DESC[TradeState(order.trade_state)],
        "attach": order.attach,
        "amount": {"total": order.total_fen, "currency": "CNY"},
    }
    if order.payer_openid:
        resource["payer"] = {"openid": order.payer_openid}
    if order.transaction_id:
        resource.update(
            transaction_id=order.transaction_id,
            bank_type=order.bank_type,
            success_time=rfc3339(order.success_time) if order.success_time else "",
        )
        resource["amount"].update(payer_total=order.total_fen, payer_currency="CNY")
    if order.scene_info.get("device_id"):
        resource["scene_info"] = {"device_id": order.scene_info["device_id"]}
    return resource


# --- the wallet (getBrandWCPayRequest and scanning a Native QR) --------------------------------------


def wallet_order(params: Mapping[str, str]) -> tuple[SimPayOrder, PayMerchant]:
    """The order a getBrandWCPayRequest call would pay, after checking its paySign (``WalletRefusal``)."""
    package = params.get("package", "")
    if not package.startswith("prepay_id="):
        raise WalletRefusal("package must be prepay_id=…")
    order = SimPayOrder.objects.filter(prepay_id=package.removeprefix("prepay_id="), prepay_id__gt="").first()
    merchant = pay_merchant_for(order.mchid) if order else None
    if order is None or merchant is None:
        raise WalletRefusal("Unknown prepay_id")
    if params.get("appId") != order.appid:
        raise WalletRefusal("appId does not match the order")
    time_stamp = params.get("timeStamp", "")
    if not (time_stamp.isdigit() and len(time_stamp) == 10):
        raise WalletRefusal("timeStamp must be a string of 10 digits (seconds)")
    if params.get("signType") != "RSA":
        raise WalletRefusal("signType must be RSA")
    signature = params.get("paySign", "")
    if not verify_pay_sign(
        merchant.merchant_public_key_pem, order.appid, time_stamp, params.get("nonceStr", ""), package, signature
    ):
        raise WalletRefusal("paySign invalid")
    if order.prepay_expires_at is None or clock.now() >= order.prepay_expires_at:
        raise WalletRefusal("prepay_id expired")
    _check_payable(order)
    return order, merchant


def scanned_order(code_url: str) -> tuple[SimPayOrder, PayMerchant]:
    """The Native order behind a scanned ``code_url``."""
    order = SimPayOrder.objects.filter(code_url=code_url, code_url__gt="").first() if code_url else None
    merchant = pay_merchant_for(order.mchid) if order else None
    if order is None or merchant is None:
        raise WalletRefusal("This QR code is not a WeChat Pay order")
    if order.prepay_expires_at is None or clock.now() >= order.prepay_expires_at:
        raise WalletRefusal("This QR code has expired")
    _check_payable(order)
    return order, merchant


def _check_payable(order: SimPayOrder) -> None:
    if order.trade_state in PAID_STATES:
        raise WalletRefusal("This order has been paid")
    if order.trade_state == TradeState.CLOSED:
        raise WalletRefusal("This order is closed")
    if clock.now() >= order.expires_at:
        raise WalletRefusal("This order has expired")


def order_pay(*, order: SimPayOrder, merchant: PayMerchant, payer_openid: str) -> SimPayOrder:
    """The user confirmed: the order is paid, and TRANSACTION.SUCCESS is queued (after commit)."""
    now = clock.now()
    with transaction.atomic():
        paid = SimPayOrder.objects.filter(pk=order.pk, trade_state=TradeState.NOTPAY).update(
            trade_state=TradeState.SUCCESS,
            transaction_id=new_transaction_id(),
            success_time=now,
            bank_type="OTHERS",
            payer_openid=payer_openid,
        )
        if not paid:
            raise WalletRefusal("This order has been paid or closed")
        order.refresh_from_db()
        pay_notify.notification_queue(
            merchant=merchant,
            order=order,
            event_type="TRANSACTION.SUCCESS",
            summary="支付成功",
            original_type="transaction",
            resource=transaction_resource(order),
        )
        _open_payment_window(order)
    return order


def _open_payment_window(order: SimPayOrder) -> None:
    """A payment lets the account message the user for 48 h (WECHAT.md §3.3), as on a real phone."""
    from weloop.simulator.outbound import interaction_record

    user = SimUser.objects.filter(appid=order.appid, openid=order.payer_openid).first()
    if user is not None:
        interaction_record(user=user, kind=InteractionKind.PAYMENT)


# --- refunds ----------------------------------------------------------------------------------------


def refund_create(*, merchant: PayMerchant, payload: Mapping[str, Any]) -> SimPayRefund:
    """POST /v3/refund/domestic/refunds: accept a refund (PROCESSING) or return the one with this number."""
    out_refund_no = _text(payload, "out_refund_no", max_length=64)
    if not OUT_REFUND_NO.fullmatch(out_refund_no):
        raise param_error("out_refund_no 应为 1-64 位数字、大小写字母或 _-|*@")
    order_key = {"out_trade_no": _text(payload, "out_trade_no", max_length=32, required=False)}
    if not order_key["out_trade_no"]:
        order_key = {"transaction_id": _text(payload, "transaction_id", max_length=32)}
    amount = _amount(payload)
    refund_fen, total_fen = _fen(amount, "refund"), _fen(amount, "total")
    reason = _text(payload, "reason", max_length=80, required=False)
    notify_url = _notify_url(payload, required=False)
    with transaction.atomic():
        order = SimPayOrder.objects.select_for_update().filter(mchid=merchant.mchid, **order_key).first()
        if order is None:
            raise PayRefusal(404, "RESOURCE_NOT_EXISTS", "订单不存在")
        earlier = SimPayRefund.objects.filter(mchid=merchant.mchid, out_refund_no=out_refund_no).first()
        if earlier is not None:
            return _refund_again(earlier, order)
        _check_refundable(order, refund_fen, total_fen)
        try:
            with transaction.atomic():
                refund = _refund_insert(order, out_refund_no, refund_fen, reason, notify_url)
        except IntegrityError:  # the same out_refund_no raced in: it refunds once
            earlier = SimPayRefund.objects.get(mchid=merchant.mchid, out_refund_no=out_refund_no)
            return _refund_again(earlier, order)
        transaction.on_commit(lambda: _settle_later(refund.pk))
    return refund


def _refund_again(refund: SimPayRefund, order: SimPayOrder) -> SimPayRefund:
    if refund.order_id != order.pk:
        raise invalid_request("商户退款单号已用于另一笔订单")
    return refund


def _check_refundable(order: SimPayOrder, refund_fen: int, total_fen: int) -> None:
    if order.trade_state not in PAID_STATES:
        raise invalid_request("订单未支付，不能退款" if order.trade_state != TradeState.CLOSED else "订单已关闭")
    if total_fen != order.total_fen:
        raise invalid_request("订单金额与原订单不一致")
    if order.success_time and clock.now() > order.success_time + REFUND_WINDOW:
        raise invalid_request("订单已超过可退款的最大期限")
    if order.refunds.count() >= MAX_REFUNDS_PER_ORDER:
        raise invalid_request(f"该订单的退款次数已达上限（{MAX_REFUNDS_PER_ORDER}次）")
    if order.refunded_fen + refund_fen > order.total_fen:
        raise invalid_request("申请退款金额超过订单可退金额")


def _refund_insert(
    order: SimPayOrder, out_refund_no: str, refund_fen: int, reason: str, notify_url: str
) -> SimPayRefund:
    # A conditional update, so that the total never exceeds the order even if two refunds race.
    grew = SimPayOrder.objects.filter(pk=order.pk, refunded_fen__lte=order.total_fen - refund_fen).update(
        refunded_fen=F("refunded_fen") + refund_fen, trade_state=TradeState.REFUND
    )
    if not grew:
        raise invalid_request("申请退款金额超过订单可退金额")
    return SimPayRefund.objects.create(
        order=order,
        mchid=order.mchid,
        out_refund_no=out_refund_no,
        refund_id=new_refund_id(),
        refund_fen=refund_fen,
        reason=reason,
        notify_url=notify_url,
    )


def refund_find(*, merchant: PayMerchant, out_refund_no: str) -> SimPayRefund:
    refunds = SimPayRefund.objects.select_related("order").filter(mchid=merchant.mchid)
    refund = refunds.filter(out_refund_no=out_refund_no).first() if out_refund_no else None
    if refund is None:
        raise PayRefusal(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
    return refund


def refund_resource(refund: SimPayRefund) -> dict[str, Any]:
    """The refund as the refund and refund-query APIs answer it (§4.6)."""
    order = refund.order
    resource: dict[str, Any] = {
        "refund_id": refund.refund_id,
        "out_refund_no": refund.out_refund_no,
        "transaction_id": order.transaction_id,
        "out_trade_no": order.out_trade_no,
        "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "create_time": rfc3339(refund.created_at),
        "status": refund.status,
        "funds_account": "AVAILABLE",
        "amount": _refund_amount(refund, settlement=True),
    }
    if refund.success_time:
        resource["success_time"] = rfc3339(refund.success_time)
    return resource


def _refund_amount(refund: SimPayRefund, *, settlement: bool) -> dict[str, Any]:
    total = refund.order.total_fen
    amount: dict[str, Any] = {
        "total": total,
        "refund": refund.refund_fen,
        "payer_total": total,
        "payer_refund": refund.refund_fen,
    }
    if settlement:
        amount.update(
            settlement_refund=refund.refund_fen,
            settlement_total=total,
            discount_refund=0,
            currency="CNY",
            refund_fee=0,
        )
    return amount


def refund_notification_resource(refund: SimPayRefund) -> dict[str, Any]:
    order = refund.order
    return {
        "mchid": order.mchid,
        "out_trade_no": order.out_trade_no,
        "transaction_id": order.transaction_id,
        "out_refund_no": refund.out_refund_no,
        "refund_id": refund.refund_id,
        "refund_status": refund.status,
        "success_time": rfc3339(refund.success_time) if refund.success_time else "",
        "user_received_account": "支付用户零钱",
        "amount": _refund_amount(refund, settlement=False),
    }


def _settle_later(refund_id: int) -> None:
    delay = refund_delay()
    if delay <= 0:
        pay_notify.run_in_background(refund_settle, refund_id)
        return
    timer = threading.Timer(delay, pay_notify.run_in_background, args=(refund_settle, refund_id))
    timer.daemon = True
    timer.start()


def refund_settle(refund_id: int) -> SimPayRefund | None:
    """The bank returned the money: PROCESSING -> SUCCESS, then REFUND.SUCCESS to its notify_url."""
    with transaction.atomic():
        settled = SimPayRefund.objects.filter(pk=refund_id, status=RefundStatus.PROCESSING).update(
            status=RefundStatus.SUCCESS, success_time=clock.now()
        )
        refund = SimPayRefund.objects.select_related("order").filter(pk=refund_id).first()
        if not settled or refund is None:
            return refund
        merchant = pay_merchant_for(refund.mchid)
        if refund.notify_url and merchant is not None:
            pay_notify.notification_queue(
                merchant=merchant,
                order=refund.order,
                refund=refund,
                event_type="REFUND.SUCCESS",
                summary="退款成功",
                original_type="refund",
                resource=refund_notification_resource(refund),
            )
    return refund
