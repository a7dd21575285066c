"""Notifications in the console: the log (filters, paging, a message's attempts and errcode, retrying a
failed one), the template mapping (event -> template ID and fields, checked against what the event
offers) and the merchant's switches (on/off, customer-service fallback, the follow prompt).

Plain form posts; the services in ``messaging.notifications`` do the checking.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from weloop.core.db import get_or_not_found
from weloop.core.errors import WeloopError
from weloop.core.state import history_of
from weloop.dashboard.web import attach_error, error_context, render_page
from weloop.messaging import notification_selectors
from weloop.messaging import notifications as notification_services
from weloop.messaging.enums import NotificationChannel, NotificationKind, NotificationStatus, TemplateChannel
from weloop.messaging.models import Notification
from weloop.messaging.notification_kinds import KINDS
from weloop.messaging.state import NOTIFICATION
from weloop.tenants.access import staff_view
from weloop.tenants.permissions import has_permission

PAGE_SIZE = 50
FIELD_ROWS = 6  # template keyword rows offered on the mapping form


def _can_manage(request: HttpRequest) -> bool:
    return has_permission(request.staff, "notifications.manage")  # type: ignore[attr-defined]


def _errcode(raw: str) -> int | None:
    try:
        return int(raw.strip())
    except (TypeError, ValueError):
        return None


# --- the log ------------------------------------------------------------------------------------


@staff_view("notifications.view")
def notification_log(request: HttpRequest) -> HttpResponse:
    def pick(name: str, allowed: list[str]) -> str:
        value = request.GET.get(name, "")
        return value if value in allowed else ""

    status = pick("status", list(NotificationStatus.values))
    kind = pick("kind", list(NotificationKind.values))
    channel = pick("channel", [c for c in NotificationChannel.values if c])
    errcode_raw = request.GET.get("errcode", "").strip()[:12]
    errcode = _errcode(errcode_raw)
    member_id = request.GET.get("member", "").strip()[:24]
    rows = notification_selectors.notification_list(
        merchant=request.merchant,  # type: ignore[attr-defined]
        status=status or None,
        kind=kind or None,
        channel=channel or None,
        member_id=member_id or None,
        errcode=errcode,
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "kind": kind,
        "channel": channel,
        "errcode": errcode_raw if errcode is not None else "",
        "member_id": member_id,
        "statuses": NotificationStatus.choices,
        "kinds": NotificationKind.choices,
        "channels": [(v, label) for v, label in NotificationChannel.choices if v],
        "can_manage": _can_manage(request),
    }
    return render_page(request, "dashboard/notifications/log.html", context)


def _notification(request: HttpRequest, notification_id: str) -> Notification:
    return get_or_not_found(
        Notification.objects.for_merchant(request.merchant).select_related("member"),  # type: ignore[attr-defined]
        what="notification",
        public_id=notification_id,
    )


@staff_view("notifications.view")
def notification_detail(request: HttpRequest, notification_id: str) -> HttpResponse:
    notification = _notification(request, notification_id)
    context = {
        "notification": notification,
        "history": history_of(NOTIFICATION, notification),
        "context_items": sorted((notification.context or {}).items()),
        "can_retry": notification.status == NotificationStatus.FAILED and _can_manage(request),
    }
    return render_page(request, "dashboard/notifications/detail.html", context)


@require_POST
@staff_view("notifications.manage")
def notification_retry(request: HttpRequest, notification_id: str) -> HttpResponse:
    notification = _notification(request, notification_id)
    if notification.status != NotificationStatus.FAILED:
        messages.error(request, gettext("Only a failed notification can be retried."))
    else:
        notification_services.notification_retry(
            merchant=request.merchant,  # type: ignore[attr-defined]
            public_id=notification.public_id,
        )
        messages.success(request, gettext("The notification will be sent again."))
    return redirect("dashboard:notification_detail", notification_id=notification.public_id)


# --- the template mapping -----------------------------------------------------------------------


class TemplateMappingForm(forms.Form):
    kind = forms.ChoiceField(label=_("Event"), choices=NotificationKind.choices)
    channel = forms.ChoiceField(label=_("Channel"), choices=TemplateChannel.choices, initial=TemplateChannel.TEMPLATE)
    template_id = forms.CharField(label=_("Template ID"), max_length=64)
    url = forms.CharField(label=_("Link (optional)"), max_length=1024, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        for i in range(FIELD_ROWS):
            self.fields[f"keyword_{i}"] = forms.CharField(label=_("Template field"), max_length=32, required=False)
            self.fields[f"pattern_{i}"] = forms.CharField(label=_("Value"), max_length=200, required=False)
        self.fields["fields"] = forms.CharField(required=False, widget=forms.HiddenInput)  # errors land here

    def field_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"keyword_{i}"], self[f"pattern_{i}"]) for i in range(FIELD_ROWS)]

    def template_input(self) -> notification_services.TemplateInput:
        data = self.cleaned_data
        pairs = {}
        for i in range(FIELD_ROWS):
            keyword, pattern = data.get(f"keyword_{i}", "").strip(), data.get(f"pattern_{i}", "").strip()
            if keyword:
                pairs[keyword] = pattern
        return notification_services.TemplateInput(
            kind=data["kind"],
            template_id=data["template_id"],
            fields=pairs,
            channel=data["channel"],
            url=data.get("url", ""),
            is_active=bool(data.get("is_active")),
        )

    @classmethod
    def initial_from(cls, template) -> dict:  # type: ignore[no-untyped-def]
        initial = {
            "kind": template.kind,
            "channel": template.channel,
            "template_id": template.template_id,
            "url": template.url,
            "is_active": template.is_active,
        }
        for i, (keyword, pattern) in enumerate(list(template.fields.items())[:FIELD_ROWS]):
            initial[f"keyword_{i}"] = keyword
            initial[f"pattern_{i}"] = pattern
        return initial


def _mapping_page(
    request: HttpRequest, form: TemplateMappingForm, *, error: WeloopError | None = None, status: int = 200
) -> HttpResponse:
    mapping = notification_selectors.template_list(merchant=request.merchant)  # type: ignore[attr-defined]
    rows = [
        {"kind": value, "label": label, "template": mapping.get(value), "variables": KINDS[value].variables}
        for value, label in NotificationKind.choices
    ]
    context = {"form": form, "rows": rows, "can_manage": True, **error_context(error)}
    return render_page(request, "dashboard/notifications/templates.html", context, status=status)


@staff_view("notifications.manage")
def notification_templates(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    if request.method != "POST":
        kind = request.GET.get("kind", "")
        template = notification_selectors.template_list(merchant=merchant).get(kind)
        if template is not None:
            initial = TemplateMappingForm.initial_from(template)
        else:
            initial = {"kind": kind} if kind in NotificationKind.values else {}
        return _mapping_page(request, TemplateMappingForm(initial=initial))
    form = TemplateMappingForm(request.POST)
    if not form.is_valid():
        return _mapping_page(request, form, status=400)
    try:
        notification_services.template_set(merchant=merchant, data=form.template_input())
    except WeloopError as error:
        attach_error(form, error)
        return _mapping_page(request, form, error=error, status=error.status)
    messages.success(request, gettext("Template mapping saved."))
    return redirect("dashboard:notification_templates")


@require_POST
@staff_view("notifications.manage")
def notification_template_delete(request: HttpRequest) -> HttpResponse:
    kind = request.POST.get("kind", "")
    if kind in NotificationKind.values:
        notification_services.template_delete(merchant=request.merchant, kind=kind)  # type: ignore[attr-defined]
        messages.success(request, gettext("Template mapping removed."))
    return redirect("dashboard:notification_templates")


# --- settings -----------------------------------------------------------------------------------


class NotificationSettingsForm(forms.Form):
    is_enabled = forms.BooleanField(label=_("Send notifications"), required=False)
    customer_service_fallback = forms.BooleanField(
        label=_("Without a template, send a customer-service message inside the 48 h window"), required=False
    )
    follow_prompt = forms.CharField(
        label=_("Follow prompt (added to payment notices as {follow_prompt})"), max_length=200, required=False
    )


@staff_view("notifications.manage")
def notification_settings(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    current = notification_services.settings_of(merchant=merchant)
    if request.method == "POST":
        form = NotificationSettingsForm(request.POST)
        if form.is_valid():
            notification_services.settings_update(merchant=merchant, **form.cleaned_data)
            messages.success(request, gettext("Notification settings saved."))
            return redirect("dashboard:notification_settings")
        status = 400
    else:
        form = NotificationSettingsForm(
            initial={
                "is_enabled": current.is_enabled,
                "customer_service_fallback": current.customer_service_fallback,
                "follow_prompt": current.follow_prompt,
            }
        )
        status = 200
    context = {"form": form, "settings": current, "can_manage": True}
    return render_page(request, "dashboard/notifications/settings.html", context, status=status)
