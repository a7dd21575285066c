"""Queue entry points for orders: thin wrappers around services."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from weloop.orders import services
from weloop.orders.enums import OrderRefundKind, OrderRefundStatus
from weloop.orders.models import OrderRefund


@db_periodic_task(crontab(minute="*"))
def orders_expire_sweep() -> int:
    """Every minute: expire unpaid orders past their deadline and release their stock."""
    return services.orders_expire_due()


@db_task(retries=5, retry_delay=60)
def late_payment_refund_task(merchant_id: int, payment_id: str) -> int:
    """Refund every pending late payment of ``payment_id`` (see handlers.py, LATE PAYMENTS)."""
    pending = OrderRefund.objects.filter(
        merchant_id=merchant_id,
        payment_id=payment_id,
        kind=OrderRefundKind.LATE_PAYMENT,
        status=OrderRefundStatus.PENDING,
    ).select_related("merchant")
    for refund in pending:
        services.late_payment_refund(merchant=refund.merchant, out_refund_no=refund.out_refund_no)
    return len(pending)
