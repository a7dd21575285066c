"""Queue entry points of the service desk: thin wrappers around services."""

from huey.contrib.djhuey import db_task

from weloop.service_desk import services
from weloop.tenants.models import Merchant


@db_task(retries=services.MEDIA_FETCH_ATTEMPTS - 1, retry_delay=30)
def media_fetch_task(merchant_id: int, message_id: int) -> None:
    """Download a customer's picture/voice/video; retried while WeChat is unreachable."""
    merchant = Merchant.objects.get(pk=merchant_id)
    services.message_media_fetch(merchant=merchant, message_id=message_id)
