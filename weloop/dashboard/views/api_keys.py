"""API keys (owners and admins): list, create (the secret is shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from weloop.dashboard.forms import ApiKeyForm
from weloop.dashboard.web import render_page
from weloop.tenants.access import staff_view
from weloop.tenants.selectors import api_key_list as api_keys_of
from weloop.tenants.services import api_key_create as create_api_key
from weloop.tenants.services import api_key_revoke as revoke_api_key


def _page(request: HttpRequest, *, form: ApiKeyForm, new_key: str = "", status: int = 200) -> HttpResponse:
    keys = api_keys_of(merchant=request.merchant)  # type: ignore[attr-defined]
    return render_page(
        request, "dashboard/api_keys.html", {"keys": keys, "form": form, "new_key": new_key}, status=status
    )


@staff_view("api_keys.manage")
def api_key_list(request: HttpRequest) -> HttpResponse:
    return _page(request, form=ApiKeyForm())


@never_cache
@require_POST
@staff_view("api_keys.manage")
def api_key_create(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    # Rendered straight away, never stored: the raw key exists only in this one response.
    raw_key, _key = create_api_key(merchant=request.merchant, name=form.cleaned_data["name"])  # type: ignore[attr-defined]
    return _page(request, form=ApiKeyForm(), new_key=raw_key)


@require_POST
@staff_view("api_keys.manage")
def api_key_revoke(request: HttpRequest, api_key_id: str) -> HttpResponse:
    key = revoke_api_key(merchant=request.merchant, public_id=api_key_id)  # type: ignore[attr-defined]
    messages.success(request, gettext("Key “%(name)s” revoked; requests with it now fail.") % {"name": key.name})
    return redirect("dashboard:api_key_list")
