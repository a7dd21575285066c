"""Points, levels and stored value in the console: the earn rules, expiry, the value of a point and
top-up bonuses; the levels (growth threshold, discount, free shipping, birthday coupon); a member's
points and balance ledgers with manual adjustments (a reason is required); statistics.
Everything needs ``loyalty.manage``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from weloop.core.errors import WeloopError
from weloop.core.ids import random_token
from weloop.core.money import format_fen, yuan_to_fen
from weloop.dashboard.web import actor_of, error_context, render_page
from weloop.loyalty import selectors, services
from weloop.loyalty.errors import InvalidSettings
from weloop.loyalty.services import LevelInput
from weloop.tenants.access import staff_view


class SettingsForm(forms.Form):
    points_per_yuan = forms.IntegerField(label=_("Points per yuan paid"), min_value=0, max_value=1000)
    points_per_review = forms.IntegerField(label=_("Points per review"), min_value=0, max_value=100000)
    points_daily_signin = forms.IntegerField(label=_("Points per daily sign-in"), min_value=0, max_value=100000)
    expiry_months = forms.IntegerField(
        label=_("Earned points expire after (months)"), min_value=0, max_value=120, help_text=_("0: never.")
    )
    fen_per_point = forms.IntegerField(label=_("Value of one point (fen)"), min_value=0, max_value=10000)
    max_points_share_bps = forms.IntegerField(
        label=_("Points may pay at most (bp of the goods)"), min_value=0, max_value=10000, help_text=_("5000 bp = 50 %")
    )
    topup_bonuses = forms.CharField(
        label=_("Top-up bonuses"),
        required=False,
        help_text=_("One rule a line: top-up yuan = bonus yuan, e.g. 500 = 50"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def bonuses(self) -> list[dict[str, int]]:
        rules = []
        for line in (self.cleaned_data.get("topup_bonuses") or "").splitlines():
            if not line.strip():
                continue
            left, sep, right = line.partition("=")
            if not sep:
                raise InvalidSettings(gettext("Write each bonus as: top-up yuan = bonus yuan."))
            rules.append({"min_fen": yuan_to_fen(left), "bonus_fen": yuan_to_fen(right)})
        return rules


class LevelForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=40)
    growth = forms.CharField(label=_("From growth value (yuan paid)"), max_length=16, initial="0")
    discount_bps = forms.IntegerField(
        label=_("Discount (bp)"), min_value=0, max_value=10000, initial=0, help_text=_("500 bp = 5 percent off")
    )
    free_shipping = forms.BooleanField(label=_("Free shipping"), required=False)
    birthday_template_id = forms.CharField(
        label=_("Birthday gift coupon (template id)"), required=False, max_length=24, help_text=_("cpt_…")
    )

    def level_input(self) -> LevelInput:
        d = self.cleaned_data
        return LevelInput(
            name=d["name"],
            growth_threshold=yuan_to_fen(d["growth"] or "0"),
            discount_bps=d["discount_bps"],
            free_shipping=bool(d["free_shipping"]),
            birthday_template_id=d.get("birthday_template_id") or "",
        )


class AdjustForm(forms.Form):
    what = forms.ChoiceField(label=_("Adjust"), choices=[("points", _("points")), ("balance", _("balance (yuan)"))])
    direction = forms.ChoiceField(label=_("Direction"), choices=[("add", _("add")), ("take", _("take away"))])
    amount = forms.CharField(label=_("Amount"), max_length=16)
    reason = forms.CharField(label=_("Reason"), max_length=200)
    token = forms.CharField(widget=forms.HiddenInput)


def _settings_initial(merchant: Any) -> dict[str, Any]:
    s = selectors.settings_or_default(merchant=merchant)
    bonuses = "\n".join(
        f"{format_fen(r['min_fen'])[1:]} = {format_fen(r['bonus_fen'])[1:]}" for r in (s.topup_bonuses or [])
    )
    return {
        "points_per_yuan": s.points_per_yuan,
        "points_per_review": s.points_per_review,
        "points_daily_signin": s.points_daily_signin,
        "expiry_months": s.expiry_months,
        "fen_per_point": s.fen_per_point,
        "max_points_share_bps": s.max_points_share_bps,
        "topup_bonuses": bonuses,
    }


def _settings_page(
    request: HttpRequest,
    *,
    form: SettingsForm | None = None,
    level_form: LevelForm | None = None,
    error: WeloopError | None = None,
    status: int = 200,
) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    context = {
        "form": form or SettingsForm(initial=_settings_initial(merchant)),
        "level_form": level_form or LevelForm(),
        "levels": list(selectors.levels(merchant=merchant)),
        "stats": selectors.stats(merchant=merchant),
        **error_context(error),
    }
    return render_page(request, "dashboard/loyalty/settings.html", context, status=status)


@staff_view("loyalty.manage")
def loyalty_settings(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    if request.method != "POST":
        member_id = request.GET.get("member", "").strip()
        if member_id:
            return redirect("dashboard:loyalty_member", member_id=member_id)
        return _settings_page(request)
    form = SettingsForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, form=form, status=400)
    try:
        values = {k: v for k, v in form.cleaned_data.items() if k != "topup_bonuses"}
        services.settings_update(merchant=merchant, topup_bonuses=form.bonuses(), **values)
    except WeloopError as error:
        return _settings_page(request, form=form, error=error, status=error.status)
    messages.success(request, gettext("Saved."))
    return redirect("dashboard:loyalty_settings")


@require_POST
@staff_view("loyalty.manage")
def loyalty_level_create(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    form = LevelForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, level_form=form, status=400)
    try:
        services.level_create(merchant=merchant, data=form.level_input())
    except WeloopError as error:
        return _settings_page(request, level_form=form, error=error, status=error.status)
    messages.success(request, gettext("Level added."))
    return redirect("dashboard:loyalty_settings")


@staff_view("loyalty.manage")
def loyalty_level_edit(request: HttpRequest, level_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    level = selectors.level_by_public_id(merchant=merchant, level_id=level_id)
    if level is None:
        raise Http404
    error = None
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "delete":
            services.level_delete(merchant=merchant, level=level)
            messages.success(request, gettext("Level deleted."))
            return redirect("dashboard:loyalty_settings")
        form = LevelForm(request.POST)
        if form.is_valid():
            try:
                services.level_update(merchant=merchant, level=level, data=form.level_input())
            except WeloopError as exc:
                error, status = exc, exc.status
            else:
                messages.success(request, gettext("Saved."))
                return redirect("dashboard:loyalty_settings")
        else:
            status = 400
    else:
        form = LevelForm(
            initial={
                "name": level.name,
                "growth": format_fen(level.growth_threshold)[1:],
                "discount_bps": level.discount_bps,
                "free_shipping": level.free_shipping,
                "birthday_template_id": level.birthday_template_id,
            }
        )
    context = {"level": level, "form": form, **error_context(error)}
    return render_page(request, "dashboard/loyalty/level.html", context, status=status)


@staff_view("loyalty.manage")
def loyalty_member(request: HttpRequest, member_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    member = services.member_by_public_id(merchant=merchant, member_id=member_id)
    if member is None:
        raise Http404
    error = None
    status = 200
    form = AdjustForm(initial={"token": random_token(24)})
    if request.method == "POST":
        form = AdjustForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            sign = 1 if d["direction"] == "add" else -1
            try:
                if d["what"] == "points":
                    try:
                        points = int(d["amount"])
                    except ValueError as exc:
                        raise services.errors.InvalidAmount() from exc
                    services.points_adjust(
                        merchant=merchant,
                        member=member,
                        delta=sign * points,
                        reason=d["reason"],
                        actor=actor_of(request),
                        ref=f"console:{d['token']}",
                    )
                else:
                    services.value_adjust(
                        merchant=merchant,
                        member=member,
                        delta_fen=sign * yuan_to_fen(d["amount"]),
                        reason=d["reason"],
                        actor=actor_of(request),
                        ref=f"console:{d['token']}",
                    )
            except WeloopError as exc:
                error, status = exc, exc.status
            else:
                messages.success(request, gettext("Adjusted."))
                return redirect("dashboard:loyalty_member", member_id=member.public_id)
        else:
            status = 400
    context = {
        "member": member,
        "account": selectors.account_of(merchant=merchant, member=member),
        "points": list(selectors.points_history(merchant=merchant, member=member)[:100]),
        "values": list(selectors.value_history(merchant=merchant, member=member)[:100]),
        "form": form,
        **error_context(error),
    }
    return render_page(request, "dashboard/loyalty/member.html", context, status=status)
