from django.db import models
from django.utils.translation import gettext_lazy as _


class ProductKind(models.TextChoices):
    PHYSICAL = "physical", _("Physical goods (delivery or pickup)")
    VIRTUAL = "virtual", _("Virtual goods (a top-up, ticket or code)")
    # Reserved for the O2O issue: a prepaid deal redeemed in store and a bookable service. The
    # values exist so the column never needs a migration to accept them; creating them is refused
    # until the apps that sell them exist (see SELLABLE_KINDS).
    DEAL = "deal", _("Deal (reserved)")
    SERVICE = "service", _("Service (reserved)")


SELLABLE_KINDS = frozenset({ProductKind.PHYSICAL, ProductKind.VIRTUAL})


class ProductStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("On sale")
    ARCHIVED = "archived", _("Archived")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    VALIDATING = "validating", _("Checking rows")
    IMPORTING = "importing", _("Importing")
    SUCCEEDED = "succeeded", _("Done")
    FAILED = "failed", _("Failed")


IMPORT_FINISHED = frozenset({ImportStatus.SUCCEEDED, ImportStatus.FAILED})
