"""``python -m django attribution_backfill [--merchant SLUG]``: rebuild missing attribution entries."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from weloop.analytics.services import attribution_backfill
from weloop.tenants.models import Merchant


class Command(BaseCommand):
    help = "Write the attribution entries missing for paid orders, refunds and redemptions (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--merchant", help="Only this merchant (slug); default every merchant.")

    def handle(self, *args: Any, **options: Any) -> None:
        merchants = Merchant.objects.order_by("id")
        if options.get("merchant"):
            merchants = merchants.filter(slug=options["merchant"])
            if not merchants.exists():
                raise CommandError(f"no merchant {options['merchant']!r}")
        for merchant in merchants:
            result = attribution_backfill(merchant=merchant)
            self.stdout.write(
                f"{merchant.slug}: {result.orders} paid orders, {result.refunds} refunds, "
                f"{result.redemptions} redemptions; {result.created} entries written"
            )
