"""Marketing in the H5: the member's opt-out from campaigns ("Me" → marketing messages), and the
tracked link of a campaign (/m/<merchant>/c/<token>) that counts the tap and goes on."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache

from weloop.marketing.models import MarketingOptOut
from weloop.marketing.services import campaign_click, marketing_opt_out_set
from weloop.storefront import identity
from weloop.storefront.shell import consumer_view, render_page


@never_cache
@consumer_view
@identity.member_required()
def my_marketing(request: HttpRequest) -> HttpResponse:
    merchant, member = request.merchant, request.member  # type: ignore[attr-defined]
    if request.method == "POST":
        opted_out = request.POST.get("wanted") != "on"
        marketing_opt_out_set(merchant=merchant, member=member, opted_out=opted_out)
        messages.success(request, gettext("Your choice is saved."))
        return redirect("storefront:my_marketing", merchant_slug=merchant.slug)
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405)
    opted_out = MarketingOptOut.objects.for_merchant(merchant).filter(member=member, opted_out=True).exists()
    return render_page(request, "storefront/my_marketing.html", {"opted_out": opted_out}, tab="me")


@never_cache
@consumer_view
def campaign_link(request: HttpRequest, token: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    target = campaign_click(merchant=merchant, token=token, member=identity.current_member(request))
    return HttpResponseRedirect(target)
