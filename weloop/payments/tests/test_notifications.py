"""The notification matrix: applied, duplicate, out of order, replayed, tampered, stale, wrong amount,
unknown order, against notifications signed and encrypted exactly as WeChat Pay does it.
"""

from __future__ import annotations

import json

import pytest

from weloop.core.models import OutboxEvent
from weloop.payments.enums import PaymentStatus
from weloop.payments.models import Payment, PaymentLedgerEntry, PaymentNotification, Refund
from weloop.payments.selectors import ledger_balance
from weloop.payments.services import payment_query_and_sync, payment_record_offline, payment_start, refund_create

from .conftest import new_reference, pay_in_simulator, refund_resource, seal, transaction_resource

pytestmark = pytest.mark.django_db


@pytest.fixture
def payment(merchant, pay_settings, in_process_wechat) -> Payment:
    return payment_start(
        merchant=merchant,
        reference=new_reference(),
        description="Croissant x3",
        amount_fen=1800,
        method="wechat_native",
    )


def names() -> list[str]:
    """The payments events published, but for the settings' own."""
    events = OutboxEvent.objects.filter(name__startswith="payments.").exclude(name="payments.settings_changed")
    return list(events.order_by("id").values_list("name", flat=True))


def charges(payment: Payment) -> int:
    return PaymentLedgerEntry.objects.filter(payment=payment, kind="charge").count()


def test_a_verified_notification_moves_the_payment_to_succeeded(payment, pay_settings, deliver):
    resource = transaction_resource(payment, pay_settings)

    result = deliver(seal(pay_settings, "TRANSACTION.SUCCESS", resource, notification_id="EV-1"))

    assert (result.outcome, result.http_status, result.ok) == ("applied", 204, True)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert (payment.transaction_id, payment.payer_openid) == (resource["transaction_id"], resource["payer"]["openid"])
    row = PaymentNotification.objects.get()
    assert (row.notification_id, row.verified, row.outcome, row.payment) == ("EV-1", True, "applied", payment)
    assert charges(payment) == 1 and names() == ["payments.payment_succeeded"]


def test_the_same_notification_twice_has_one_effect(payment, pay_settings, deliver):
    sealed = seal(pay_settings, "TRANSACTION.SUCCESS", transaction_resource(payment, pay_settings))

    first = deliver(sealed)
    second = deliver(sealed.resigned(pay_settings))  # WeChat's duplicate: same body, fresh signature

    assert (first.outcome, second.outcome) == ("applied", "duplicate")
    assert second.ok and second.http_status == 204
    assert charges(payment) == 1 and names() == ["payments.payment_succeeded"]
    row = PaymentNotification.objects.get()
    assert (row.outcome, row.deliveries) == ("applied", 2)


def test_a_replay_much_later_is_stale_and_a_fresh_delivery_of_it_is_a_duplicate(payment, pay_settings, deliver):
    sealed = seal(pay_settings, "TRANSACTION.SUCCESS", transaction_resource(payment, pay_settings))
    deliver(sealed)

    replayed = deliver(sealed.resigned(pay_settings, seconds_ago=3600))  # a captured copy sent again
    redelivered = deliver(sealed.resigned(pay_settings))

    assert (replayed.outcome, replayed.reason, replayed.http_status) == ("rejected", "wechatpay.stale_timestamp", 400)
    assert redelivered.outcome == "duplicate"
    assert charges(payment) == 1


def test_a_notification_after_a_query_already_synced_the_payment_does_not_charge_twice(
    payment, pay_settings, merchant, deliver
):
    order = pay_in_simulator(payment)
    payment_query_and_sync(merchant=merchant, payment=payment)
    resource = transaction_resource(payment, pay_settings, transaction_id=order.transaction_id)

    result = deliver(seal(pay_settings, "TRANSACTION.SUCCESS", resource))

    assert (result.outcome, result.reason, result.http_status) == ("duplicate", "already_succeeded", 204)
    assert PaymentNotification.objects.get().outcome == "duplicate"
    assert charges(payment) == 1 and names() == ["payments.payment_succeeded"]


def test_a_tampered_body_is_401_and_nothing_is_applied(payment, pay_settings, deliver):
    sealed = seal(pay_settings, "TRANSACTION.SUCCESS", transaction_resource(payment, pay_settings))
    sealed.body = sealed.body.replace(b'"summary":"', b'"summary":"X')

    result = deliver(sealed)

    assert (result.outcome, result.reason, result.http_status) == ("rejected", "wechatpay.bad_signature", 401)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and charges(payment) == 0
    row = PaymentNotification.objects.get()
    assert (row.verified, row.outcome, row.notification_id) == (False, "rejected", sealed.id)
    assert names() == []


def test_a_forged_copy_does_not_make_the_genuine_notification_a_duplicate(payment, pay_settings, deliver):
    genuine = seal(pay_settings, "TRANSACTION.SUCCESS", transaction_resource(payment, pay_settings))
    forged_headers = {**genuine.headers, "Wechatpay-Signature": "AAAA" + genuine.headers["Wechatpay-Signature"][4:]}

    forged = deliver(type(genuine)(forged_headers, genuine.body, genuine.id))
    real = deliver(genuine)

    assert (forged.http_status, real.outcome) == (401, "applied")
    assert charges(payment) == 1


def test_a_notification_signed_by_another_key_is_401(payment, pay_settings, other_pay_settings, deliver):
    # another merchant's platform key id: not ours
    sealed = seal(other_pay_settings, "TRANSACTION.SUCCESS", transaction_resource(payment, pay_settings))

    assert deliver(sealed).http_status == 401
    assert charges(payment) == 0


def test_a_stale_timestamp_is_400_and_nothing_is_applied(payment, pay_settings, deliver):
    sealed = seal(pay_settings, "TRANSACTION.SUCCESS", transaction_resource(payment, pay_settings))

    result = deliver(sealed.resigned(pay_settings, seconds_ago=301))

    assert (result.reason, result.http_status) == ("wechatpay.stale_timestamp", 400)
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PENDING


def test_a_wrong_amount_is_rejected_recorded_and_reported_once(payment, pay_settings, deliver):
    resource = transaction_resource(payment, pay_settings, amount={"total": 1, "payer_total": 1, "currency": "CNY"})
    sealed = seal(pay_settings, "TRANSACTION.SUCCESS", resource)

    first = deliver(sealed)
    retried = deliver(sealed.resigned(pay_settings))  # WeChat retries after our 400

    assert (first.outcome, first.reason, first.http_status) == ("rejected", "wrong_amount", 400)
    assert (retried.outcome, retried.reason) == ("rejected", "wrong_amount")
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PENDING and charges(payment) == 0
    row = PaymentNotification.objects.get()
    assert (row.verified, row.outcome, row.reason, row.deliveries, row.payment) == (
        True,
        "rejected",
        "wrong_amount",
        2,
        payment,
    )
    event = OutboxEvent.objects.get(name="payments.notification_rejected")
    assert (event.payload["reason"], event.payload["expected_fen"], event.payload["notified_fen"]) == (
        "wrong_amount",
        1800,
        1,
    )


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"out_trade_no": "O-NOT-OURS-1"}, "unknown_order"),
        ({"mchid": "1999999999"}, "wrong_mchid"),
        ({"appid": "wxsomeoneelse0001"}, "wrong_appid"),
        ({"trade_state": "NOTPAY"}, "not_paid"),
    ],
)
def test_a_notification_that_is_not_ours_to_apply_is_rejected(payment, pay_settings, deliver, changes, reason):
    result = deliver(seal(pay_settings, "TRANSACTION.SUCCESS", transaction_resource(payment, pay_settings, **changes)))

    assert (result.outcome, result.reason, result.http_status) == ("rejected", reason, 400)
    assert charges(payment) == 0 and names() == ["payments.notification_rejected"]


def test_an_unknown_event_type_is_rejected(payment, pay_settings, deliver):
    result = deliver(seal(pay_settings, "TRANSACTION.WHATEVER", transaction_resource(payment, pay_settings)))

    assert (result.outcome, result.reason) == ("rejected", "unsupported_event")


def test_a_merchant_without_pay_settings_answers_404(other_merchant, payment, pay_settings, deliver):
    sealed = seal(pay_settings, "TRANSACTION.SUCCESS", transaction_resource(payment, pay_settings))

    result = deliver(sealed, to=other_merchant)

    assert (result.reason, result.http_status) == ("not_configured", 404)


def test_another_merchants_notification_cannot_pay_this_merchants_payment(
    payment, pay_settings, other_pay_settings, other_merchant, deliver
):
    # sealed with the other merchant's keys, naming our out_trade_no, posted to the other's URL
    sealed = seal(other_pay_settings, "TRANSACTION.SUCCESS", transaction_resource(payment, other_pay_settings))

    result = deliver(sealed, to=other_merchant)

    assert (result.outcome, result.reason) == ("rejected", "unknown_order")
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PENDING


def test_a_refund_notification_before_the_payment_notification_is_rejected_then_both_apply_in_turn(
    payment, pay_settings, merchant, deliver
):
    # WeChat paid and refunded, but our payment notification is late: the refund is not ours yet
    early = seal(
        pay_settings,
        "REFUND.SUCCESS",
        {
            "mchid": pay_settings.mchid,
            "out_trade_no": payment.out_trade_no,
            "out_refund_no": "RF-EARLY-1",
            "refund_id": "50000000000000000000000000001",
            "refund_status": "SUCCESS",
            "amount": {"total": 1800, "refund": 600, "payer_total": 1800, "payer_refund": 600},
        },
    )
    assert (deliver(early).outcome, deliver(early.resigned(pay_settings)).reason) == ("rejected", "unknown_refund")
    assert Payment.objects.get(pk=payment.pk).refunded_fen == 0
    # the payment notification then applies normally
    assert deliver(seal(pay_settings, "TRANSACTION.SUCCESS", transaction_resource(payment, pay_settings))).ok
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SUCCEEDED
    assert ledger_balance(merchant=merchant).balanced


def test_an_out_of_order_refund_closed_after_success_changes_nothing(payment, pay_settings, merchant, deliver):
    order = pay_in_simulator(payment)
    resource = transaction_resource(payment, pay_settings, transaction_id=order.transaction_id)
    deliver(seal(pay_settings, "TRANSACTION.SUCCESS", resource))
    refund = refund_create(merchant=merchant, payment=Payment.objects.get(pk=payment.pk), amount_fen=500, actor="t")
    assert deliver(seal(pay_settings, "REFUND.SUCCESS", refund_resource(refund, pay_settings))).outcome == "applied"

    late_closed = deliver(seal(pay_settings, "REFUND.CLOSED", refund_resource(refund, pay_settings, status="CLOSED")))

    assert (late_closed.outcome, late_closed.reason) == ("rejected", "refund_not_in_flight")
    refund.refresh_from_db()
    assert refund.status == "succeeded" and Payment.objects.get(pk=payment.pk).refunded_fen == 500
    assert ledger_balance(merchant=merchant).balanced


def test_refund_notifications_for_an_offline_payment_are_unknown(merchant, pay_settings, make_staff, deliver):
    offline = payment_record_offline(
        merchant=merchant, reference=new_reference(), amount_fen=900, method="offline_cash", staff=make_staff(merchant)
    )
    refund = refund_create(merchant=merchant, payment=offline, amount_fen=900, actor="clerk")
    body = refund_resource(refund, pay_settings, out_refund_no="NOT-A-NUMBER-OF-OURS")

    assert deliver(seal(pay_settings, "REFUND.SUCCESS", body)).reason == "unknown_refund"
    assert Refund.objects.get(pk=refund.pk).status == "succeeded"


def test_a_body_that_is_not_json_is_401(payment, pay_settings, deliver):
    sealed = seal(pay_settings, "TRANSACTION.SUCCESS", transaction_resource(payment, pay_settings))
    sealed.body = b"not json"

    result = deliver(sealed)

    assert result.http_status == 401 and PaymentNotification.objects.get().notification_id == ""


def test_an_undecryptable_resource_is_400(payment, pay_settings, deliver):
    from weloop.wechat.pay_crypto import sign_response

    sealed = seal(pay_settings, "TRANSACTION.SUCCESS", transaction_resource(payment, pay_settings))
    envelope = json.loads(sealed.body)
    envelope["resource"]["associated_data"] = "tampered"  # the GCM tag no longer matches
    body = json.dumps(envelope).encode()
    headers = sign_response(pay_settings.simulator_platform_private_key_pem, pay_settings.platform_public_key_id, body)

    result = deliver(type(sealed)(headers, body, sealed.id))

    assert (result.reason, result.http_status) == ("wechatpay.undecryptable", 400)
    assert charges(payment) == 0
