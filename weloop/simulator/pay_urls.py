"""WeChat Pay under /simulator/pay/ (= https://api.mch.weixin.qq.com) and the phone's wallet pages."""

from __future__ import annotations

from django.urls import path

from weloop.simulator.views import enabled_only, pay_api, pay_wallet

urlpatterns = [
    path("v3/pay/transactions/jsapi", pay_api.jsapi, name="pay_jsapi"),
    path("v3/pay/transactions/native", pay_api.native, name="pay_native"),
    path(
        "v3/pay/transactions/out-trade-no/<str:out_trade_no>",
        pay_api.query_by_out_trade_no,
        name="pay_query_out_trade_no",
    ),
    path("v3/pay/transactions/out-trade-no/<str:out_trade_no>/close", pay_api.close, name="pay_close"),
    path("v3/pay/transactions/id/<str:transaction_id>", pay_api.query_by_transaction_id, name="pay_query_id"),
    path("v3/refund/domestic/refunds", pay_api.refund_create, name="pay_refund"),
    path("v3/refund/domestic/refunds/<str:out_refund_no>", pay_api.refund_query, name="pay_refund_query"),
    path("wallet", enabled_only(pay_wallet.wallet), name="pay_wallet"),
    path("scan", enabled_only(pay_wallet.scan), name="pay_scan"),
]
