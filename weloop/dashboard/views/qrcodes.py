"""Parametric QR codes: the list with scan and follow counts, creation at WeChat, PNG/SVG downloads.

Creating calls WeChat first and writes only what WeChat accepted: a refusal (its errcode shown) or
an unreachable WeChat leaves nothing behind.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_safe

from weloop.core.db import get_or_not_found
from weloop.core.errors import NotFound, WeloopError
from weloop.dashboard.qr_images import qr_png, qr_svg
from weloop.dashboard.web import attach_error, error_context, render_page
from weloop.dashboard.wechat_forms import QrCodeForm
from weloop.members import selectors as member_selectors
from weloop.members.enums import QrCodeKind
from weloop.members.models import QrCode
from weloop.members.services import qr_code_create as create_qr_code
from weloop.stores.selectors import store_get, store_list
from weloop.tenants.access import staff_view
from weloop.tenants.models import Merchant, StaffMember
from weloop.tenants.selectors import staff_list

PAGE_SIZE = 50


@staff_view("qrcodes.manage")
def qr_code_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    kind = kind if kind in QrCodeKind.values else ""
    codes = member_selectors.qr_code_list(merchant=request.merchant, kind=kind or None)  # type: ignore[attr-defined]
    page = Paginator(codes, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "kind": kind, "kinds": QrCodeKind.choices}
    return render_page(request, "dashboard/qrcodes/list.html", context)


def _guides(merchant: Merchant) -> list[StaffMember]:
    return list(staff_list(merchant=merchant).filter(is_active=True))


def _form(request: HttpRequest, data: object = None) -> QrCodeForm:
    merchant = request.merchant  # type: ignore[attr-defined]
    return QrCodeForm(
        data,
        initial={"kind": request.GET.get("kind", QrCodeKind.STORE)},
        store_choices=[(s.public_id, s.name) for s in store_list(merchant=merchant)],
        staff_choices=[(g.public_id, str(g)) for g in _guides(merchant)],
    )


def _form_page(request: HttpRequest, form: QrCodeForm, *, error: WeloopError | None = None, status: int = 200):
    return render_page(request, "dashboard/qrcodes/form.html", {"form": form, **error_context(error)}, status=status)


@staff_view("qrcodes.manage")
def qr_code_create(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _form_page(request, _form(request))
    merchant = request.merchant  # type: ignore[attr-defined]
    form = _form(request, request.POST)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    data, kind = form.cleaned_data, form.cleaned_data["kind"]
    try:
        # Only the target the kind is about: a store code is not also credited to a guide.
        store = (
            store_get(merchant=merchant, public_id=data["store_id"]) if kind == "store" and data["store_id"] else None
        )
        staff = (
            get_or_not_found(staff_list(merchant=merchant), what="staff member", public_id=data["staff_id"])
            if kind == "guide" and data["staff_id"]
            else None
        )
        code = create_qr_code(
            merchant=merchant,
            kind=kind,
            store=store,
            staff=staff,
            channel=data["channel"] if kind == "channel" else "",
            permanent=form.expire_seconds is None,
            expire_seconds=form.expire_seconds,
        )
    except WeloopError as error:
        attach_error(form, error, field_by_code=QrCodeForm.FIELDS_BY_ERROR)
        return _form_page(request, form, error=error, status=error.status)
    messages.success(request, gettext("QR code %(id)s created: download it to print.") % {"id": code.public_id})
    return redirect("dashboard:qr_code_list")


def _image_source(request: HttpRequest, qr_code_id: str) -> QrCode:
    code = member_selectors.qr_code_get(merchant=request.merchant, public_id=qr_code_id)  # type: ignore[attr-defined]
    if not code.url:
        raise NotFound("This QR code has no content to draw.", extra={"what": "QR code image"})
    return code


def _download(body: bytes, content_type: str, filename: str, *, inline: bool) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_safe
@staff_view("qrcodes.manage")
def qr_code_png(request: HttpRequest, qr_code_id: str) -> HttpResponse:
    code = _image_source(request, qr_code_id)
    return _download(qr_png(code.url), "image/png", f"{code.public_id}.png", inline="inline" in request.GET)


@require_safe
@staff_view("qrcodes.manage")
def qr_code_svg(request: HttpRequest, qr_code_id: str) -> HttpResponse:
    code = _image_source(request, qr_code_id)
    return _download(qr_svg(code.url), "image/svg+xml", f"{code.public_id}.svg", inline="inline" in request.GET)
