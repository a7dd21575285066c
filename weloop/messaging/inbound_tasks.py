"""Queue entry points for inbound WeChat messages (imported by ``apps.py`` so that the worker
registers them: ``tasks.py`` holds the notification tasks)."""

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from weloop.messaging import inbound

# A drain that handled something looks again this much later: rows whose nudge a process skipped
# (one nudge per NUDGE_INTERVAL) are then taken within about a second, not at the next sweep.
FOLLOW_UP_SECONDS = 1


@db_task()
def inbound_drain(log_id: int | None = None) -> int:
    """Handle one recorded message (``log_id``) or every one waiting."""
    if log_id is not None:
        return int(inbound.inbound_process(log_id=log_id))
    done = inbound.inbound_process_pending()
    if done and not HUEY.immediate:
        inbound_drain.schedule(delay=FOLLOW_UP_SECONDS)
    return done


@db_periodic_task(crontab(minute="*"))
def inbound_sweep() -> int:
    """Anything a lost nudge left behind, and failed rows due for another try."""
    return inbound.inbound_process_pending()
