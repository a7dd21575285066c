"""Pure rules of payments: what WeChat's states mean for ours, and whether its report matches our row."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from weloop.payments.enums import PaymentStatus, RefundStatus

# WeChat Pay's trade_state (WECHAT.md §4.3) -> our payment status; None: still payable.
TRADE_STATE_STATUS: dict[str, str | None] = {
    "SUCCESS": PaymentStatus.SUCCEEDED,
    "REFUND": PaymentStatus.SUCCEEDED,  # paid, then a refund started
    "CLOSED": PaymentStatus.CLOSED,
    "REVOKED": PaymentStatus.CLOSED,
    "PAYERROR": PaymentStatus.FAILED,
    "NOTPAY": None,
    "USERPAYING": None,
}

# WeChat Pay's refund status (WECHAT.md §4.6) -> our refund status. ABNORMAL is not final.
REFUND_STATUS: dict[str, str] = {
    "SUCCESS": RefundStatus.SUCCEEDED,
    "PROCESSING": RefundStatus.PROCESSING,
    "ABNORMAL": RefundStatus.PROCESSING,
    "CLOSED": RefundStatus.CLOSED,
}


def status_for_trade_state(trade_state: str) -> str | None:
    return TRADE_STATE_STATUS.get(trade_state)


def part(resource: Mapping[str, Any], name: str) -> dict[str, Any]:
    """A nested object of WeChat's JSON (``amount``, ``payer``), or {} when it is missing or not one."""
    value = resource.get(name)
    return dict(value) if isinstance(value, Mapping) else {}


def _amount(resource: Mapping[str, Any], name: str) -> object:
    return part(resource, "amount").get(name)


def transaction_problem(
    resource: Mapping[str, Any], *, mchid: str, appid: str, out_trade_no: str, amount_fen: int
) -> str:
    """Why a transaction WeChat reports does not match our payment ("" when it does).

    The reasons are stable codes: ``wrong_mchid``, ``wrong_appid``, ``wrong_order``, ``wrong_amount``.
    """
    if resource.get("mchid") != mchid:
        return "wrong_mchid"
    if resource.get("appid") != appid:
        return "wrong_appid"
    if resource.get("out_trade_no") != out_trade_no:
        return "wrong_order"
    total = _amount(resource, "total")
    if isinstance(total, bool) or total != amount_fen:
        return "wrong_amount"
    return ""


def refund_problem(
    resource: Mapping[str, Any], *, mchid: str | None, out_trade_no: str, refund_fen: int, total_fen: int
) -> str:
    """Why a refund WeChat reports does not match our refund ("" when it does).

    ``mchid`` is None for API answers, which do not carry it. Reasons: ``wrong_mchid``,
    ``wrong_order``, ``wrong_amount``.
    """
    if mchid is not None and resource.get("mchid") != mchid:
        return "wrong_mchid"
    if resource.get("out_trade_no") != out_trade_no:
        return "wrong_order"
    refund, total = _amount(resource, "refund"), _amount(resource, "total")
    if isinstance(refund, bool) or refund != refund_fen or isinstance(total, bool) or total != total_fen:
        return "wrong_amount"
    return ""
