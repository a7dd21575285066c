"""Queue entry points for core: thin wrappers around services."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from weloop.core import events


@db_task()
def outbox_deliver() -> int:
    return events.deliver_due()


@db_periodic_task(crontab(minute="*"))
def outbox_sweep() -> int:
    return events.deliver_due()
