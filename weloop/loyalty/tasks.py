"""Queue entry points of loyalty: points expiry and birthday gifts, daily."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from weloop.loyalty import services


@db_periodic_task(crontab(minute="15", hour="*"))
def loyalty_points_expire() -> int:
    return services.points_expire_due()


@db_periodic_task(crontab(minute="5", hour="0,8"))
def loyalty_birthdays() -> int:
    return services.birthdays_due()
