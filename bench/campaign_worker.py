"""A campaign worker as its own process, for the crash tests: runs the batches of the given
campaigns (what the queue's ``campaign_batch_task`` does), one after another, printing each outcome.
Killed with SIGKILL at any moment and started again, it must finish the campaigns without sending
anything twice or over a cap.

    python -m bench.campaign_worker <campaign public id>... [--pause SECONDS]
"""

from __future__ import annotations

import os
import sys
import time


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weloop.settings")
    import django

    django.setup()
    from weloop.marketing.enums import BatchStatus
    from weloop.marketing.models import CampaignBatch
    from weloop.marketing.services import campaign_batch_run

    pause = 0.0
    if "--pause" in argv:
        i = argv.index("--pause")
        pause = float(argv[i + 1])
        argv = argv[:i] + argv[i + 2 :]
    for public_id in argv:
        pks = (
            CampaignBatch.objects.filter(
                campaign__public_id=public_id, status__in=[BatchStatus.PENDING, BatchStatus.RESERVED]
            )
            .order_by("batch_no")
            .values_list("pk", flat=True)
        )
        for pk in list(pks):
            outcome = campaign_batch_run(batch_pk=pk)
            print(f"{public_id} batch {pk} {outcome}", flush=True)
            if pause:
                time.sleep(pause)
    print("finished", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
