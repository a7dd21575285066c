"""Queue entry points for coupons: thin wrappers around services."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from weloop.coupons import services
from weloop.coupons.enums import TemplateStatus
from weloop.coupons.models import CouponTemplate
from weloop.tenants.models import Merchant


@db_periodic_task(crontab(minute="*/10"))
def coupons_expire_sweep() -> int:
    """Every 10 minutes: expire available coupons past their validity."""
    return services.coupons_expire_due()


@db_periodic_task(crontab(hour="1", minute="17"))
def coupons_birthday_sweep() -> int:
    """Daily: give today's birthday members the templates marked as birthday gifts (once a year)."""
    merchant_ids = set(
        CouponTemplate.objects.filter(status=TemplateStatus.ACTIVE, is_birthday=True).values_list(
            "merchant_id", flat=True
        )
    )
    return sum(services.coupons_issue_birthdays(merchant=m) for m in Merchant.objects.filter(pk__in=merchant_ids))
