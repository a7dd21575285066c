"""Tags in the console: the tag list with member counts and WeChat sync state, create/edit/delete
(care flags, sync switch, "sync now"), auto-tag rules (create/edit/apply now/delete), and a member's
tags and attributes on the member page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from weloop.core.errors import WeloopError
from weloop.core.money import yuan_text, yuan_to_fen
from weloop.dashboard.web import actor_of, error_context, render_page
from weloop.members import selectors as member_selectors
from weloop.members import services as member_services
from weloop.members.enums import Gender, TagSource
from weloop.members.models import Member, Tag
from weloop.tagging import selectors, services
from weloop.tagging.enums import RuleKind
from weloop.tagging.models import TagRule
from weloop.tagging.rules import describe
from weloop.tenants.access import staff_view


class TagForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=30)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    is_care_flag = forms.BooleanField(
        label=_("Care flag (接待注意): show it to whoever serves the member"), required=False
    )
    care_note = forms.CharField(label=_("Note for the service desk"), max_length=200, required=False)
    sync_to_wechat = forms.BooleanField(label=_("Sync to WeChat as a user tag"), required=False)


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80, required=False)
    tag_id = forms.ChoiceField(label=_("Tag to put"))
    kind = forms.ChoiceField(label=_("When"), choices=RuleKind.choices)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    product_id = forms.CharField(label=_("Product ID"), required=False, help_text=_("bought a product"))
    options = forms.CharField(label=_("SKU options"), required=False, help_text=_("e.g. size=38, colour=black"))
    amount_yuan = forms.CharField(label=_("Amount (yuan)"), required=False, help_text=_("spent at least"))
    days = forms.IntegerField(label=_("Days"), required=False, help_text=_("spend window, or days without a purchase"))
    deal_id = forms.CharField(label=_("Deal ID"), required=False)
    store_id = forms.CharField(label=_("Store ID"), required=False)
    field = forms.ChoiceField(
        label=_("Attribute"),
        required=False,
        choices=[("", "—"), ("gender", _("Gender")), ("city", _("City")), ("birthday_month", _("Birthday month"))],
    )
    value = forms.CharField(label=_("Attribute value"), required=False, help_text=_("female, 上海, 5…"))
    survey_id = forms.CharField(label=_("Survey ID"), required=False)
    option_id = forms.CharField(label=_("Answer option ID"), required=False)

    def __init__(self, *args: Any, tags: list[Tag], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["tag_id"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(t.public_id, t.name) for t in tags]

    def params(self) -> dict[str, Any]:
        data = self.cleaned_data
        kind = data["kind"]
        if kind == RuleKind.BOUGHT_PRODUCT:
            options = {}
            for part in str(data.get("options") or "").replace("，", ",").split(","):
                if "=" in part:
                    key, _sep, value = part.partition("=")
                    options[key.strip()] = value.strip()
            return {"product_id": data.get("product_id"), "options": options}
        if kind == RuleKind.SPENT_AT_LEAST:
            try:
                amount = yuan_to_fen(str(data.get("amount_yuan") or "0"))
            except (ValueError, WeloopError, ArithmeticError):
                amount = -1
            return {"amount_fen": amount, "days": data.get("days") or 365}
        if kind == RuleKind.REDEEMED_DEAL:
            return {"deal_id": data.get("deal_id")}
        if kind == RuleKind.VISITED_STORE:
            return {"store_id": data.get("store_id")}
        if kind == RuleKind.NO_PURCHASE_FOR_DAYS:
            return {"days": data.get("days")}
        if kind == RuleKind.ATTRIBUTE:
            return {"field": data.get("field"), "value": data.get("value")}
        return {"survey_id": data.get("survey_id"), "option_id": data.get("option_id")}


def _rule_initial(rule: TagRule) -> dict[str, Any]:
    p = rule.params
    initial: dict[str, Any] = {
        "name": rule.name,
        "tag_id": rule.tag.public_id,
        "kind": rule.kind,
        "active": rule.active,
    }
    initial |= {k: v for k, v in p.items() if k in ("product_id", "days", "deal_id", "store_id", "field", "value")}
    initial |= {k: v for k, v in p.items() if k in ("survey_id", "option_id")}
    if "options" in p:
        initial["options"] = ", ".join(f"{k}={v}" for k, v in p["options"].items())
    if "amount_fen" in p:
        initial["amount_yuan"] = yuan_text(int(p["amount_fen"]))
    return initial


# --- tags ------------------------------------------------------------------------------------------


@staff_view("tags.manage")
def tag_list(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    tags = list(member_selectors.tag_list(merchant=merchant, q=request.GET.get("q")))
    syncs = selectors.tag_syncs_by_tag(merchant=merchant)
    for tag in tags:
        tag.sync = syncs.get(tag.pk)  # type: ignore[attr-defined]
    context = {
        "tags": tags,
        "q": request.GET.get("q", ""),
        "synced": selectors.synced_tag_count(merchant=merchant),
        "sync_limit": selectors.wechat_tag_limit(),
        "over_limit": selectors.members_over_limit(merchant=merchant),
        "form": TagForm(),
    }
    return render_page(request, "dashboard/tags/list.html", context)


@staff_view("tags.manage")
def tag_create(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    form = TagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tag = services.synced_tag_create(merchant=merchant, **form.cleaned_data)
        except WeloopError as error:
            return render_page(request, "dashboard/tags/form.html", {"form": form, **error_context(error)}, status=400)
        messages.success(request, gettext("Tag “%(name)s” created.") % {"name": tag.name})
        return redirect("dashboard:tag_list")
    return render_page(
        request, "dashboard/tags/form.html", {"form": form}, status=400 if request.method == "POST" else 200
    )


@staff_view("tags.manage")
def tag_edit(request: HttpRequest, tag_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    tag = member_selectors.tag_get(merchant=merchant, public_id=tag_id)
    fields = ("name", "description", "is_care_flag", "care_note", "sync_to_wechat")
    form = TagForm(request.POST or None, initial={f: getattr(tag, f) for f in fields})
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            services.synced_tag_update(merchant=merchant, tag_id=tag_id, **form.cleaned_data)
        except WeloopError as failure:
            error = failure
        else:
            messages.success(request, gettext("Tag saved."))
            return redirect("dashboard:tag_edit", tag_id=tag_id)
    context = {
        "form": form,
        "tag": tag,
        "sync": selectors.tag_sync_of(merchant=merchant, tag=tag),
        "rules": [(rule, describe(rule)) for rule in selectors.rule_list(merchant=merchant, tag=tag)],
        **error_context(error),
    }
    return render_page(request, "dashboard/tags/form.html", context, status=400 if request.method == "POST" else 200)


@staff_view("tags.manage")
@require_POST
def tag_delete(request: HttpRequest, tag_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    member_selectors.tag_get(merchant=merchant, public_id=tag_id)  # another merchant's tag: 404
    try:
        member_services.tag_delete(merchant=merchant, tag_id=tag_id, force=request.POST.get("force") == "1")
    except WeloopError as error:
        messages.error(request, error.message)
        return redirect("dashboard:tag_edit", tag_id=tag_id)
    messages.success(request, gettext("Tag deleted."))
    return redirect("dashboard:tag_list")


@staff_view("tags.manage")
@require_POST
def tag_sync_now(request: HttpRequest, tag_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    tag = member_selectors.tag_get(merchant=merchant, public_id=tag_id)
    if tag.sync_to_wechat or tag.wechat_tag_id is not None:
        services.tag_sync_request(merchant=merchant, tag=tag)
        messages.success(request, gettext("Sync queued."))
    else:
        messages.error(request, gettext("Turn on “Sync to WeChat” first."))
    return redirect("dashboard:tag_edit", tag_id=tag_id)


# --- rules -----------------------------------------------------------------------------------------


@staff_view("tags.manage")
def rule_list(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    rules = [(rule, describe(rule)) for rule in selectors.rule_list(merchant=merchant)]
    return render_page(request, "dashboard/tags/rules.html", {"rules": rules})


def _rule_page(request: HttpRequest, rule: TagRule | None) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    tags = list(member_selectors.tag_list(merchant=merchant))
    initial = _rule_initial(rule) if rule else {"active": True, "tag_id": request.GET.get("tag", "")}
    form = RuleForm(request.POST or None, tags=tags, initial=initial)
    error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {"name": data["name"], "tag_id": data["tag_id"], "kind": data["kind"], "active": data["active"]}
        try:
            if rule is None:
                rule = services.rule_create(merchant=merchant, params=form.params(), **fields)
            else:
                rule = services.rule_update(merchant=merchant, rule_id=rule.public_id, params=form.params(), **fields)
        except WeloopError as failure:
            error = failure
        else:
            messages.success(request, gettext("Rule saved. Use “Apply now” to tag members who already match."))
            return redirect("dashboard:tag_rule_edit", tag_rule_id=rule.public_id)
    status = 400 if request.method == "POST" else 200
    return render_page(
        request, "dashboard/tags/rule_form.html", {"form": form, "rule": rule, **error_context(error)}, status=status
    )


@staff_view("tags.manage")
def rule_create(request: HttpRequest) -> HttpResponse:
    return _rule_page(request, None)


@staff_view("tags.manage")
def rule_edit(request: HttpRequest, tag_rule_id: str) -> HttpResponse:
    return _rule_page(request, selectors.rule_get(merchant=request.merchant, rule_id=tag_rule_id))  # type: ignore[attr-defined]


@staff_view("tags.manage")
@require_POST
def rule_apply(request: HttpRequest, tag_rule_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    selectors.rule_get(merchant=merchant, rule_id=tag_rule_id)  # another merchant's rule: 404
    try:
        added = services.rule_apply_now(merchant=merchant, rule_id=tag_rule_id)
    except WeloopError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("%(n)d members tagged now.") % {"n": added})
    return redirect("dashboard:tag_rule_edit", tag_rule_id=tag_rule_id)


@staff_view("tags.manage")
@require_POST
def rule_delete(request: HttpRequest, tag_rule_id: str) -> HttpResponse:
    services.rule_delete(merchant=request.merchant, rule_id=tag_rule_id)  # type: ignore[attr-defined]
    messages.success(request, gettext("Rule deleted; members keep the tags it put."))
    return redirect("dashboard:tag_rule_list")


# --- a member's tags and attributes (on the member page) -----------------------------------------


def member_tags_context(*, merchant: Any, member: Member) -> dict[str, Any]:
    """What the member page shows: tags (care flags first), the tags to add, the attribute form."""
    carried = list(member_selectors.member_tags(merchant=merchant, member=member))
    carried.sort(key=lambda mt: (not mt.tag.is_care_flag, mt.tag.name))
    have = {mt.tag_id for mt in carried}
    return {
        "member_tags": carried,
        "care_flags": [mt.tag for mt in carried if mt.tag.is_care_flag],
        "addable_tags": [t for t in member_selectors.tag_list(merchant=merchant) if t.pk not in have],
        "genders": Gender.choices,
    }


@staff_view("members.tag")
@require_POST
def member_tag_edit(request: HttpRequest, member_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    member = member_selectors.member_get(merchant=merchant, public_id=member_id)
    try:
        if request.POST.get("remove"):
            tag = member_selectors.tag_get(merchant=merchant, public_id=request.POST["remove"])
            member_services.member_tag_remove(merchant=merchant, member=member, tag=tag, actor=actor_of(request))
        else:
            name = request.POST.get("new_tag", "").strip()
            if name:
                tag = member_services.tag_get_or_create(merchant=merchant, name=name, kind="manual")
            else:
                tag = member_selectors.tag_get(merchant=merchant, public_id=request.POST.get("tag_id", ""))
            member_services.member_tag_add(
                merchant=merchant, member=member, tag=tag, source=TagSource.MANUAL, actor=actor_of(request)
            )
    except WeloopError as error:
        messages.error(request, error.message)
    return redirect("dashboard:member_detail", member_id=member_id)


@staff_view("members.tag")
@require_POST
def member_attributes_edit(request: HttpRequest, member_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    member = member_selectors.member_get(merchant=merchant, public_id=member_id)
    birthday_text = request.POST.get("birthday", "").strip()
    try:
        birthday: Any = None
        if birthday_text:
            birthday = forms.DateField().clean(birthday_text)
        member_services.member_profile_update(
            merchant=merchant,
            member=member,
            birthday=birthday,
            gender=request.POST.get("gender") or None,
            city=request.POST.get("city", ""),
        )
    except forms.ValidationError:
        messages.error(request, gettext("The birthday must be a date like 1990-05-03."))
    except WeloopError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("Member saved."))
    return redirect("dashboard:member_detail", member_id=member_id)
