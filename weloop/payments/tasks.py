"""Queue entry points for payments: thin wrappers around services."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from weloop.payments import services


@db_periodic_task(crontab(minute="*/5"))
def payments_sync_sweep() -> dict[str, int]:
    """Every 5 minutes: ask WeChat about payments open for 10+ minutes and refunds still in flight."""
    return {
        "payments": services.payments_sync_stale(),
        "refunds": services.refunds_sync_pending(),
    }
