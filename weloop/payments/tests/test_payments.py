"""Starting, continuing, replacing, closing and querying WeChat payments, and the counter.

WeChat Pay is the simulator, reached in-process with the real protocol (see conftest).
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from weloop.core import clock
from weloop.core.errors import NotFound, WeloopError
from weloop.core.models import OutboxEvent
from weloop.payments.enums import PaymentStatus
from weloop.payments.models import Payment, PaymentLedgerEntry
from weloop.payments.services import (
    payment_close,
    payment_close_open,
    payment_jsapi_params,
    payment_native_params,
    payment_query_and_sync,
    payment_record_offline,
    payment_start,
)
from weloop.simulator import pay_server
from weloop.simulator.pay_enums import TradeState
from weloop.simulator.pay_models import SimPayOrder
from weloop.simulator.pay_registry import pay_merchant_for
from weloop.wechat.pay import PayApiError, public_key_of, verify_pay_sign

from .conftest import new_reference

pytestmark = pytest.mark.django_db

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"


@pytest.fixture
def start(merchant, pay_settings, in_process_wechat):
    def start_payment(reference: str | None = None, amount_fen: int = 3200, method: str = "wechat_jsapi", **kwargs):
        return payment_start(
            merchant=merchant,
            reference=reference or new_reference(),
            description=kwargs.pop("description", "Latte x2"),
            amount_fen=amount_fen,
            method=method,
            payer_openid=kwargs.pop("payer_openid", OPENID if method == "wechat_jsapi" else None),
            **kwargs,
        )

    return start_payment


def sim_order(payment: Payment) -> SimPayOrder:
    return SimPayOrder.objects.get(out_trade_no=payment.out_trade_no)


def pay_at_wechat(payment: Payment) -> SimPayOrder:
    """The payer pays in the simulated wallet (its notification is never delivered in these tests)."""
    order = sim_order(payment)
    return pay_server.order_pay(order=order, merchant=pay_merchant_for(order.mchid), payer_openid=OPENID)


def events(name: str) -> list[OutboxEvent]:
    return list(OutboxEvent.objects.filter(name=name).order_by("id"))


# --- starting ---------------------------------------------------------------------------------------


def test_jsapi_start_stores_the_number_then_gets_a_prepay_id_from_wechat(start, pay_settings):
    # when
    payment = start(reference="O2026010100001", attribution={"store": "st_1", "guide": "stf_2"})
    # then
    assert payment.status == PaymentStatus.PENDING
    assert payment.public_id.startswith("pay_") and payment.out_trade_no == "O2026010100001"
    assert payment.prepay_id.startswith("wx") and payment.prepared_at is not None
    order = sim_order(payment)
    assert (order.mchid, order.appid, order.total_fen, order.payer_openid) == (
        pay_settings.mchid,
        pay_settings.appid,
        3200,
        OPENID,
    )
    assert order.notify_url.endswith(f"/pay/wechat/{payment.merchant.slug}/notify")
    assert order.attach == payment.public_id
    assert payment.attach == {"store": "st_1", "guide": "stf_2"}


def test_native_start_gets_a_code_url(start):
    payment = start(method="wechat_native")

    assert payment.status == PaymentStatus.PENDING
    assert payment.code_url.startswith("weixin://wxpay/bizpayurl?pr=") and payment.prepay_id == ""


def test_a_second_start_with_the_same_request_returns_the_same_payment_and_prepay_id(start):
    first = start(reference="O2026010100002")

    again = start(reference="O2026010100002")

    assert again.pk == first.pk and again.prepay_id == first.prepay_id
    assert Payment.objects.filter(reference="O2026010100002").count() == 1
    assert SimPayOrder.objects.filter(out_trade_no="O2026010100002").count() == 1


def test_a_start_with_a_new_amount_closes_the_old_payment_at_wechat_first(start):
    old = start(reference="O2026010100003", amount_fen=3200)

    new = start(reference="O2026010100003", amount_fen=2900)

    old.refresh_from_db()
    assert old.status == PaymentStatus.CLOSED and sim_order(old).trade_state == TradeState.CLOSED
    assert new.pk != old.pk and new.status == PaymentStatus.PENDING
    assert new.out_trade_no == "O2026010100003-2" and sim_order(new).total_fen == 2900
    assert [e.payload["payment_id"] for e in events("payments.payment_closed")] == [old.public_id]


def test_switching_from_jsapi_to_native_replaces_the_open_payment(start):
    jsapi = start(reference="O2026010100004")

    native = start(reference="O2026010100004", method="wechat_native")

    jsapi.refresh_from_db()
    assert jsapi.status == PaymentStatus.CLOSED and native.status == PaymentStatus.PENDING
    assert Payment.objects.filter(reference="O2026010100004", status__in=["created", "pending"]).count() == 1


def test_replacing_a_payment_the_payer_just_paid_is_refused_and_the_payment_is_recorded(start):
    old = start(reference="O2026010100005")
    pay_at_wechat(old)  # its notification has not arrived yet

    with pytest.raises(WeloopError) as caught:
        start(reference="O2026010100005", amount_fen=100)

    assert caught.value.code == "payments.already_paid"
    old.refresh_from_db()
    assert old.status == PaymentStatus.SUCCEEDED and old.transaction_id
    assert Payment.objects.filter(reference="O2026010100005").count() == 1
    assert PaymentLedgerEntry.objects.filter(payment=old).count() == 1


def test_a_paid_order_cannot_be_started_again(start):
    paid = start(reference="O2026010100006")
    pay_at_wechat(paid)
    payment_query_and_sync(merchant=paid.merchant, payment=paid)

    with pytest.raises(WeloopError) as caught:
        start(reference="O2026010100006")

    assert caught.value.code == "payments.already_paid"
    assert caught.value.extra["payment_id"] == paid.public_id


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"amount_fen": -1}, "money.invalid_amount", "amount_fen"),
        ({"amount_fen": 12.5}, "money.invalid_amount", "amount_fen"),
        ({"amount_fen": True}, "money.invalid_amount", "amount_fen"),
        ({"amount_fen": 0}, "payments.invalid_payment", "amount_fen"),
        ({"reference": "O1"}, "payments.invalid_payment", "reference"),
        ({"reference": "O 2026 0101"}, "payments.invalid_payment", "reference"),
        ({"description": ""}, "payments.invalid_payment", "description"),
        ({"description": "x" * 128}, "payments.invalid_payment", "description"),
        ({"method": "offline_cash"}, "payments.invalid_payment", "method"),
        ({"payer_openid": ""}, "payments.invalid_payment", "payer_openid"),
        ({"attribution": ["st_1"]}, "payments.invalid_payment", "attribution"),
        ({"time_expire": "tomorrow"}, "payments.invalid_payment", "time_expire"),
    ],
)
def test_bad_input_is_refused_before_anything_is_stored(start, changes, code, field):
    with pytest.raises(WeloopError) as caught:
        start(**changes)

    assert (caught.value.code, caught.value.extra.get("field")) == (code, field)
    assert not Payment.objects.exists() and not SimPayOrder.objects.exists()


def test_a_deadline_in_the_past_is_refused(start):
    with pytest.raises(WeloopError) as caught:
        start(time_expire=clock.now() - timedelta(minutes=1))

    assert caught.value.extra == {"field": "time_expire"}


def test_the_order_deadline_is_sent_to_wechat(start):
    deadline = (clock.now() + timedelta(minutes=15)).replace(microsecond=0)

    payment = start(time_expire=deadline)

    assert payment.expires_at == deadline and sim_order(payment).time_expire == deadline


def test_a_merchant_without_pay_settings_cannot_start(other_merchant, in_process_wechat):
    with pytest.raises(WeloopError) as caught:
        payment_start(
            merchant=other_merchant,
            reference=new_reference(),
            description="x",
            amount_fen=1,
            method="wechat_native",
        )

    assert caught.value.code == "payments.not_configured" and caught.value.status == 404


def test_wechat_refusing_the_order_marks_the_payment_failed(start, merchant):
    # the simulated WeChat knows this openid under another account: OPENID_MISMATCH
    from weloop.simulator.models import SimUser

    SimUser.objects.create(appid="wxsomeoneelse0001", openid="oELSEWHERE000000000000000001", nickname="x")

    with pytest.raises(PayApiError) as caught:
        start(payer_openid="oELSEWHERE000000000000000001")

    assert caught.value.wechat_code == "OPENID_MISMATCH"
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.FAILED and "OPENID_MISMATCH" in payment.failure_reason
    assert events("payments.payment_failed")[0].payload["payment_id"] == payment.public_id


def test_wechat_unreachable_keeps_the_payment_created_and_a_retry_continues_it(start, monkeypatch, settings):
    from weloop.payments.services import pay_settings as accounts
    from weloop.wechat.pay import WeChatPayClient

    working = accounts.pay_client
    monkeypatch.setattr(
        accounts, "pay_client", lambda s: WeChatPayClient(accounts.credentials_of(s), base_url="http://127.0.0.1:9/x")
    )
    with pytest.raises(WeloopError) as caught:
        start(reference="O2026010100007")
    assert caught.value.code == "wechatpay.unavailable"
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.CREATED and payment.out_trade_no == "O2026010100007"
    # when WeChat is back, the same request continues the same payment with the same number
    monkeypatch.setattr(accounts, "pay_client", working)

    retried = start(reference="O2026010100007")

    assert retried.pk == payment.pk and retried.status == PaymentStatus.PENDING


# --- what the phone needs --------------------------------------------------------------------------


def test_jsapi_params_are_signed_with_the_merchant_key_and_link_the_simulator_wallet(start, merchant, pay_settings):
    payment = start()

    params = payment_jsapi_params(merchant=merchant, payment=payment, return_url="/m/bakery/orders/1")

    bridge = params.bridge
    assert bridge["package"] == f"prepay_id={payment.prepay_id}" and bridge["appId"] == pay_settings.appid
    assert verify_pay_sign(
        public_key_of(pay_settings.merchant_private_key_pem),
        bridge["appId"],
        bridge["timeStamp"],
        bridge["nonceStr"],
        bridge["package"],
        bridge["paySign"],
    )
    wallet = urlsplit(params.wallet_url)
    assert wallet.path == "/simulator/pay/wallet"
    assert parse_qs(wallet.query)["return_url"] == ["/m/bakery/orders/1"]


def test_jsapi_params_in_live_mode_have_no_wallet(start, merchant, settings):
    payment = start()
    settings.WECHAT_MODE = "live"

    assert payment_jsapi_params(merchant=merchant, payment=payment).wallet_url == ""


def test_an_old_prepay_id_is_renewed_before_the_phone_gets_it(start, merchant):
    payment = start()
    Payment.objects.filter(pk=payment.pk).update(prepared_at=clock.now() - timedelta(hours=3))
    SimPayOrder.objects.filter(out_trade_no=payment.out_trade_no).update(prepay_expires_at=clock.now())

    params = payment_jsapi_params(merchant=merchant, payment=Payment.objects.get(pk=payment.pk))

    renewed = Payment.objects.get(pk=payment.pk)
    assert renewed.prepay_id != payment.prepay_id and params.bridge["package"] == f"prepay_id={renewed.prepay_id}"


def test_native_params_give_the_code_url_and_the_simulator_scan_page(start, merchant):
    payment = start(method="wechat_native")

    params = payment_native_params(merchant=merchant, payment=payment)

    assert params.code_url == payment.code_url
    assert urlsplit(params.scan_url).path == "/simulator/pay/scan"


def test_params_of_a_closed_payment_or_another_merchants_are_refused(start, merchant, other_merchant):
    payment = start()

    with pytest.raises(NotFound):
        payment_jsapi_params(merchant=other_merchant, payment=payment)
    with pytest.raises(WeloopError) as wrong_kind:
        payment_native_params(merchant=merchant, payment=payment)
    payment_close(merchant=merchant, payment=payment, actor="test")
    with pytest.raises(WeloopError) as closed:
        payment_jsapi_params(merchant=merchant, payment=Payment.objects.get(pk=payment.pk))

    assert wrong_kind.value.extra == {"field": "method"}
    assert closed.value.code == "payments.not_open"


# --- closing and querying -------------------------------------------------------------------------


def test_close_closes_at_wechat_then_here(start, merchant):
    payment = start()

    closed = payment_close(merchant=merchant, payment=payment, actor="orders", reason="order expired")

    assert closed.status == PaymentStatus.CLOSED and sim_order(payment).trade_state == TradeState.CLOSED
    assert events("payments.payment_closed")[0].payload["reason"] == "order expired"
    # closing again changes nothing
    assert payment_close(merchant=merchant, payment=closed, actor="orders").status == PaymentStatus.CLOSED
    assert len(events("payments.payment_closed")) == 1


def test_closing_a_payment_paid_meanwhile_returns_it_succeeded(start, merchant):
    payment = start()
    pay_at_wechat(payment)

    result = payment_close(merchant=merchant, payment=payment, actor="orders")

    assert result.status == PaymentStatus.SUCCEEDED
    assert [e.payload["payment_id"] for e in events("payments.payment_succeeded")] == [payment.public_id]


def test_close_open_closes_every_open_payment_of_the_order(start, merchant):
    payment = start(reference="O2026010100008")

    closed = payment_close_open(merchant=merchant, reference="O2026010100008", actor="orders")

    assert [p.pk for p in closed] == [payment.pk] and closed[0].status == PaymentStatus.CLOSED


def test_query_applies_a_payment_whose_notification_never_came_exactly_once(start, merchant):
    payment = start()
    pay_at_wechat(payment)

    synced = payment_query_and_sync(merchant=merchant, payment=payment)
    again = payment_query_and_sync(merchant=merchant, payment=synced)

    assert synced.status == again.status == PaymentStatus.SUCCEEDED
    assert synced.transaction_id == sim_order(payment).transaction_id and synced.payer_openid == OPENID
    assert synced.wechat_trade_state == "SUCCESS" and synced.paid_at is not None
    assert PaymentLedgerEntry.objects.filter(payment=payment).count() == 1
    assert len(events("payments.payment_succeeded")) == 1
    payload = events("payments.payment_succeeded")[0].payload
    assert (payload["reference"], payload["amount_fen"], payload["method"]) == (
        payment.reference,
        3200,
        "wechat_jsapi",
    )


def test_query_of_an_unpaid_payment_leaves_it_pending(start, merchant):
    payment = start()

    synced = payment_query_and_sync(merchant=merchant, payment=payment)

    assert synced.status == PaymentStatus.PENDING and synced.wechat_trade_state == "NOTPAY"
    assert synced.last_synced_at is not None


def test_query_of_a_payment_wechat_never_received_closes_it(start, merchant, monkeypatch):
    payment = start()
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.CREATED)
    SimPayOrder.objects.all().delete()

    synced = payment_query_and_sync(merchant=merchant, payment=Payment.objects.get(pk=payment.pk))

    assert synced.status == PaymentStatus.CLOSED and synced.wechat_trade_state == "NOT_FOUND"


# --- the counter ----------------------------------------------------------------------------------------


def test_offline_payment_succeeds_at_once_with_its_clerk(merchant, make_staff):
    clerk = make_staff(merchant, "clerk")

    payment = payment_record_offline(
        merchant=merchant, reference="O2026010100009", amount_fen=4500, method="offline_cash", staff=clerk, note="现金"
    )

    assert payment.status == PaymentStatus.SUCCEEDED and payment.recorded_by == clerk
    assert payment.out_trade_no == "" and payment.paid_at is not None
    entry = PaymentLedgerEntry.objects.get(payment=payment)
    assert (entry.kind, entry.amount_fen, entry.method) == ("charge", 4500, "offline_cash")
    assert events("payments.payment_succeeded")[0].payload["method"] == "offline_cash"


def test_offline_payment_closes_the_open_wechat_payment_of_the_order(start, merchant, make_staff):
    wechat = start(reference="O2026010100010")

    offline = payment_record_offline(
        merchant=merchant,
        reference="O2026010100010",
        amount_fen=3200,
        method="offline_card",
        staff=make_staff(merchant),
    )

    wechat.refresh_from_db()
    assert wechat.status == PaymentStatus.CLOSED and offline.status == PaymentStatus.SUCCEEDED
    assert sim_order(wechat).trade_state == TradeState.CLOSED


def test_offline_payment_of_an_order_paid_by_wechat_meanwhile_is_refused(start, merchant, make_staff):
    wechat = start(reference="O2026010100011")
    pay_at_wechat(wechat)

    with pytest.raises(WeloopError) as caught:
        payment_record_offline(
            merchant=merchant,
            reference="O2026010100011",
            amount_fen=3200,
            method="offline_cash",
            staff=make_staff(merchant),
        )

    assert caught.value.code == "payments.already_paid"
    assert Payment.objects.filter(reference="O2026010100011").count() == 1
    assert PaymentLedgerEntry.objects.count() == 1


def test_a_second_offline_payment_of_the_same_order_is_refused(merchant, make_staff):
    clerk = make_staff(merchant, "clerk")
    payment_record_offline(
        merchant=merchant, reference="O2026010100012", amount_fen=100, method="offline_cash", staff=clerk
    )

    with pytest.raises(WeloopError) as caught:
        payment_record_offline(
            merchant=merchant, reference="O2026010100012", amount_fen=100, method="offline_cash", staff=clerk
        )

    assert caught.value.code == "payments.already_paid" and PaymentLedgerEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"amount_fen": -100}, "money.invalid_amount"),
        ({"amount_fen": 99.5}, "money.invalid_amount"),
        ({"method": "wechat_jsapi"}, "payments.invalid_payment"),
        ({"note": "x" * 201}, "payments.invalid_payment"),
    ],
)
def test_offline_bad_input_records_nothing(merchant, make_staff, changes, code):
    args = {"reference": new_reference(), "amount_fen": 100, "method": "offline_cash", "note": ""} | changes

    with pytest.raises(WeloopError) as caught:
        payment_record_offline(merchant=merchant, staff=make_staff(merchant), **args)

    assert caught.value.code == code and not Payment.objects.exists()


def test_offline_payment_by_another_merchants_staff_is_refused(merchant, other_merchant, make_staff):
    with pytest.raises(NotFound):
        payment_record_offline(
            merchant=merchant,
            reference=new_reference(),
            amount_fen=100,
            method="offline_cash",
            staff=make_staff(other_merchant),
        )
    assert not Payment.objects.exists()
