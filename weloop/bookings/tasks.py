"""Queue entry points for bookings: thin wrappers around services."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from weloop.bookings import services
from weloop.tenants.models import Merchant


@db_periodic_task(crontab(minute="*/5"))
def bookings_remind_sweep() -> int:
    """Every 5 minutes: bookings.booking_reminder once per booking starting within WELOOP_BOOKING_REMIND_HOURS."""
    return services.bookings_remind_due()


@db_periodic_task(crontab(minute="*"))
def bookings_expire_sweep() -> int:
    """Every minute: held bookings whose order closed unpaid lapse (backstop of the order events)."""
    return services.bookings_expire_due()


@db_task(retries=10, retry_delay=30)
def booking_refund_task(merchant_id: int, booking_id: str) -> None:
    """Refund in full a booking paid after its slot was taken."""
    services.booking_refund_in_full(merchant=Merchant.objects.get(pk=merchant_id), booking_id=booking_id)
