"""Queue entry points for inventory: thin wrappers around services."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from weloop.inventory import services

# One sweep never runs for long; a backlog (a worker that was down) is worked off in rounds.
SWEEP_LIMIT = 1000
SWEEP_ROUNDS = 20


@db_periodic_task(crontab(minute="*"))
def holds_expire_sweep() -> int:
    """Every minute: release the units of holds whose time is up. Safe with several consumers."""
    total = 0
    for _ in range(SWEEP_ROUNDS):
        expired = services.holds_expire_due(limit=SWEEP_LIMIT)
        total += expired
        if expired < SWEEP_LIMIT:
            break
    return total
