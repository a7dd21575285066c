"""Queue entry points for referrals: thin wrappers around services."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from weloop.referrals import services


@db_periodic_task(crontab(minute="*/10"))
def referrals_unfreeze_sweep() -> int:
    """Every 10 minutes: commission whose refund window has closed becomes available."""
    return services.commissions_unfreeze_due()
