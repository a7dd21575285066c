"""WeChat Pay notifications, /pay/wechat/<merchant_slug>/notify: where WeChat Pay reports money moving.

The view only finds the merchant and hands the raw body and headers to
``payments.notification_apply``, then answers as WeChat Pay expects (WECHAT.md §4.5): 204 with no body
when the notification was applied or was a duplicate (a duplicate must still stop WeChat's retries);
otherwise its status (401 bad signature, 400 stale, undecryptable or rejected, 404 unknown merchant or
WeChat Pay not set up) with ``{"code": "FAIL", "message": …}``. Only the status counts for WeChat.

A suspended merchant's notifications are still applied: money already moved and must be recorded.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from weloop.payments.services import notification_apply
from weloop.tenants.models import Merchant


def _fail(status: int, message: str) -> JsonResponse:
    return JsonResponse({"code": "FAIL", "message": message}, status=status, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
@require_POST
def notify(request: HttpRequest, merchant_slug: str) -> HttpResponse:
    merchant = Merchant.objects.filter(slug=merchant_slug).first()
    if merchant is None:
        return _fail(404, "Unknown merchant.")
    result = notification_apply(merchant=merchant, headers=request.headers, body=request.body)
    if result.ok:
        return HttpResponse(status=204)
    return _fail(result.http_status, result.message or result.reason)
