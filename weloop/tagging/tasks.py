"""Queue entry points of the tagging app: thin wrappers around services."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from weloop.tagging import rules, sync
from weloop.tenants.models import Merchant


@db_task(retries=2, retry_delay=60)
def tag_sync_task(merchant_id: int, sync_id: int) -> None:
    """One run of a tag's WeChat sync (errors are stored on the sync row, not raised)."""
    merchant = Merchant.objects.get(pk=merchant_id)
    sync.tag_sync_run(merchant=merchant, sync_pk=sync_id)


@db_task(retries=3, retry_delay=60)
def wechat_tag_delete_task(merchant_id: int, wechat_tag_id: int) -> None:
    merchant = Merchant.objects.get(pk=merchant_id)
    sync.wechat_tag_delete(merchant=merchant, wechat_tag_id=wechat_tag_id)


@db_task()
def rule_apply_task(merchant_id: int, rule_id: str) -> None:
    merchant = Merchant.objects.get(pk=merchant_id)
    rules.rule_apply_now(merchant=merchant, rule_id=rule_id)


@db_periodic_task(crontab(minute="*/10"))
def tag_syncs_flush_task() -> None:
    """Tags whose members changed are synced in one pass every 10 minutes."""
    sync.tag_syncs_flush()


@db_periodic_task(crontab(hour="3", minute="20"))
def rules_sweep_task() -> None:
    """Daily: "no purchase for N days" tags are put on lapsed members and taken off the others."""
    for merchant_id in rules.merchants_with_sweeping_rules():
        rules.rules_sweep(merchant=Merchant.objects.get(pk=merchant_id))
