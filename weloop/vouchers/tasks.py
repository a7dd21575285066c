"""Queue entry points for vouchers: thin wrappers around services."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from weloop.vouchers import services


@db_periodic_task(crontab(minute="*/5"))
def vouchers_expire_sweep() -> int:
    """Every 5 minutes: expire vouchers past their end (refunding those of 过期退 deals)."""
    return services.vouchers_expire_due()


@db_periodic_task(crontab(minute="7"))
def vouchers_remind_sweep() -> int:
    """Hourly: remind members of vouchers that end within WELOOP_VOUCHER_REMIND_DAYS."""
    return services.vouchers_remind_due()
