from django.db import models
from django.utils.translation import gettext_lazy as _


class LocationKind(models.TextChoices):
    WAREHOUSE = "warehouse", _("Warehouse")
    STORE = "store", _("Store")


class PoolKind(models.TextChoices):
    """What a capacity pool counts. Every kind is held, confirmed and released the same way."""

    GOODS_STOCK = "goods_stock", _("Goods stock")  # subject "sku:<sku public_id>", per location
    TIME_SLOT = "time_slot", _("Time slot")  # subject e.g. "slot:<resource>:<start>", per store location
    DEAL_QUOTA = "deal_quota", _("Deal quota")  # subject "deal:<deal public_id>"
    COUPON_QUOTA = "coupon_quota", _("Coupon quota")  # subject "coupon:<batch public_id>"
    FLASH_SALE_QUOTA = "flash_sale_quota", _("Flash-sale quota")  # subject "flash:<sale public_id>"


class HoldStatus(models.TextChoices):
    HELD = "held", _("Held")
    CONFIRMED = "confirmed", _("Confirmed")
    RELEASED = "released", _("Released")
    EXPIRED = "expired", _("Expired")


# Holds in these states count against a buyer's flash-sale limit (see Hold's partial unique index).
ACTIVE_HOLD_STATUSES = (HoldStatus.HELD, HoldStatus.CONFIRMED)


class Movement(models.TextChoices):
    """The kind of a ledger entry; ``reason`` says why in words."""

    ADJUST = "adjust", _("Restock or shrink")
    HOLD = "hold", _("Held")
    CLAIM = "claim", _("Claimed in a flash-sale batch")
    CONFIRM = "confirm", _("Confirmed")
    RELEASE = "release", _("Released")
    EXPIRE = "expire", _("Expired")
    RETURN = "return", _("Returned")
