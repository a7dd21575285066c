from django.db import models
from django.utils.translation import gettext_lazy as _


class RuleKind(models.TextChoices):
    """What an auto-tag rule looks at (params per kind: docs/members-tags-and-segments.md)."""

    BOUGHT_PRODUCT = "bought_product", _("Bought a product")
    SPENT_AT_LEAST = "spent_at_least", _("Spent at least")
    REDEEMED_DEAL = "redeemed_deal", _("Redeemed a deal")
    VISITED_STORE = "visited_store", _("Visited a store")
    NO_PURCHASE_FOR_DAYS = "no_purchase_for_days", _("No purchase for N days")
    ATTRIBUTE = "attribute", _("Member attribute")
    SURVEY_ANSWER = "survey_answer", _("Survey answer")


class SyncStatus(models.TextChoices):
    IDLE = "idle", _("Not synced yet")
    PENDING = "pending", _("Waiting in the queue")
    RUNNING = "running", _("Syncing")
    DONE = "done", _("Synced")
    FAILED = "failed", _("Failed")
