"""Queue entry points for campaigns: thin wrappers around services."""

from __future__ import annotations

from datetime import datetime

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from weloop.core import clock
from weloop.marketing import services


@db_task(retries=5, retry_delay=10)
def campaign_start_task(campaign_pk: int) -> str:
    return services.campaign_start(campaign_pk=campaign_pk)


@db_task(retries=8, retry_delay=15)
def campaign_batch_task(batch_pk: int) -> str:
    outcome = services.campaign_batch_run(batch_pk=batch_pk)
    if outcome.startswith("quiet:"):  # quiet hours began mid-campaign: this batch waits for their end
        campaign_batch_task.schedule(args=(batch_pk,), eta=datetime.fromisoformat(outcome[6:]))
    return outcome


def enqueue_start(campaign_pk: int, at: datetime) -> None:
    if at <= clock.now():
        campaign_start_task(campaign_pk)
    else:
        campaign_start_task.schedule(args=(campaign_pk,), eta=at)


def enqueue_batch(batch_pk: int) -> None:
    campaign_batch_task(batch_pk)


@db_periodic_task(crontab(minute="*"))
def campaigns_sweep() -> int:
    """Every minute: start due campaigns, and re-queue batches a killed worker left behind."""
    started = services.campaigns_start_due()
    for pk in services.batches_resume_stale():
        campaign_batch_task(pk)
    return started
