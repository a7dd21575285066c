from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from weloop.core.errors import NotFound, WeloopError
from weloop.dashboard.web import actor_of, attach_error, error_context, is_htmx, render_page, render_partial
from weloop.dashboard.wechat_forms import WechatConnectForm
from weloop.tenants.access import staff_view
from weloop.tenants.selectors import wechat_account_of
from weloop.tenants.services import wechat_account_set

# The secrets this page can reveal; anything else is not served.
REVEALABLE = {"token", "encoding_aes_key"}


def mask(secret: str) -> str:
    """Enough of a secret to recognise it, not enough to use it."""
    if len(secret) <= 8:
        return "•" * len(secret)
    return f"{secret[:4]}{'•' * 8}{secret[-4:]}"


@never_cache
@staff_view("wechat.manage")
def wechat(request: HttpRequest) -> HttpResponse:
    return _page(request, connect_form=WechatConnectForm())


def _page(
    request: HttpRequest, *, connect_form: WechatConnectForm, error: WeloopError | None = None, status: int = 200
) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    account = wechat_account_of(merchant=merchant)
    revealed = request.GET.get("reveal", "")
    secrets = []
    if account is not None:
        for field in ("token", "encoding_aes_key"):
            value = getattr(account, field)
            secrets.append({"field": field, "masked": mask(value), "value": value if revealed == field else None})
    callback_path = f"/wechat/{merchant.slug}/callback"
    context = {
        "account": account,
        "secrets": secrets,
        "callback_path": callback_path,
        "callback_url": settings.PUBLIC_URL + callback_path,
        "connect_form": connect_form,
        **error_context(error),
    }
    return render_page(request, "dashboard/wechat.html", context, status=status)


@never_cache
@require_POST
@staff_view("wechat.manage")
def wechat_connect(request: HttpRequest) -> HttpResponse:
    """Connect a live service account (or change its keys): the credentials WeChat's admin shows."""
    form = WechatConnectForm(request.POST)
    if not form.is_valid():
        return _page(request, connect_form=form, status=400)
    try:
        account = wechat_account_set(
            merchant=request.merchant,  # type: ignore[attr-defined]
            data=form.credentials(),
            actor=actor_of(request),
        )
    except WeloopError as error:
        attach_error(form, error)
        return _page(request, connect_form=form, error=error, status=error.status)
    messages.success(
        request,
        gettext("Service account %(appid)s connected. Enter the server URL below in WeChat's admin.")
        % {"appid": account.appid},
    )
    return redirect("dashboard:wechat")


@never_cache
@staff_view("wechat.manage")
def wechat_secret(request: HttpRequest) -> HttpResponse:
    """One secret in clear, for the reveal button (htmx); the page's ?reveal= does the same without JS."""
    field = request.GET.get("field", "")
    account = wechat_account_of(merchant=request.merchant)  # type: ignore[attr-defined]
    if field not in REVEALABLE or account is None:
        raise NotFound("No such secret.", extra={"what": "secret"})
    if not is_htmx(request):
        return redirect(f"{reverse('dashboard:wechat')}?reveal={field}")
    return render_partial(request, "dashboard/_secret.html", {"field": field, "value": getattr(account, field)})
