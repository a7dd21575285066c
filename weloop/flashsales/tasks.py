"""Queue entry points for flash sales: thin wrappers around services."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from weloop.flashsales import services


@db_periodic_task(crontab(minute="*"))
def flash_sales_advance_sweep() -> int:
    """Every minute: sales go live at their start and end at their end."""
    return services.flash_sales_advance()
