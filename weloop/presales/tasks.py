"""Queue entry points for pre-sales: thin wrappers around services."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from weloop.presales import services
from weloop.presales.models import Presale


@db_periodic_task(crontab(minute="*"))
def presales_settle_sweep() -> int:
    """Every minute: settle presales past their deadline, retry refunds, forfeit late balances."""
    return services.presales_settle_due()


@db_task(retries=3, retry_delay=30)
def presale_refunds_task(presale_pk: int) -> int:
    """Refund a presale's participants now (a late payment landed after it failed)."""
    presale = Presale.objects.select_related("merchant").filter(pk=presale_pk).first()
    if presale is None:
        return 0
    return services.presale_refunds_run(merchant=presale.merchant, presale=presale).requested
