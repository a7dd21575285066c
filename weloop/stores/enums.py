from django.db import models
from django.utils.translation import gettext_lazy as _


class StoreStatus(models.TextChoices):
    ACTIVE = "active", _("Open for business")
    PAUSED = "paused", _("Temporarily closed")
    CLOSED = "closed", _("Closed for good")


WEEKDAY_NAMES = [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]
