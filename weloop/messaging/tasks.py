"""Queue entry points for notifications: thin wrappers around the sending service."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from weloop.messaging import notifications


@db_task()
def notifications_send() -> int:
    # Concurrent runs are safe: each claims its own rows (see notifications._claim).
    return notifications.notifications_send_all_due()


@db_periodic_task(crontab(minute="*"))
def notifications_sweep() -> int:
    """Retries that came due and anything a lost nudge left behind."""
    return notifications.notifications_send_all_due()
