"""/qrcodes: parametric QR codes of the service account for stores, guides and channels."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Path, Query, Router

from weloop.api.auth import merchant_of
from weloop.api.pagination import paginate
from weloop.api.schemas.common import PageIn
from weloop.api.schemas.members import QrCodeFilters, QrCodeIn, QrCodeOut, QrCodePage
from weloop.core.db import get_or_not_found
from weloop.members import selectors, services
from weloop.members.models import QrCode
from weloop.stores.selectors import store_get
from weloop.tenants.selectors import staff_list

router = Router(tags=["QR codes"])

QrCodeId = Annotated[str, Path(description="The QR code's public id (`qr_…`).", example="qr_3M9KX2A7QD")]


@router.get("", response=QrCodePage, summary="List QR codes")
def list_qr_codes(request: HttpRequest, filters: Query[QrCodeFilters], page: Query[PageIn]) -> dict:
    """Your QR codes with their scan and follow counts, newest first."""
    codes = selectors.qr_code_list(merchant=merchant_of(request), kind=filters.kind, store_id=filters.store_id)
    return paginate(codes, page)


@router.post("", response={201: QrCodeOut}, summary="Create a QR code")
def create_qr_code(request: HttpRequest, payload: QrCodeIn) -> QrCode:
    """Create a parametric QR code at WeChat; every scan and follow through it is attributed.

    Refused with 400 `members.invalid_qr_code` (a store code without `store_id`, a guide code without
    `staff_id`, a channel code without `channel`, a deactivated staff member), 400
    `wechat.limit_exceeded` (expiry out of range, or an expiry on a permanent code), 404 `not_found`
    (an unknown store or staff member), 409 `members.wechat_not_connected`, or 502 `wechat.api_error`
    (WeChat refused: its `errcode` and `errmsg` are in `extra`) / 503 `wechat.unavailable`.
    """
    merchant = merchant_of(request)
    store = store_get(merchant=merchant, public_id=payload.store_id) if payload.store_id else None
    staff = (
        get_or_not_found(staff_list(merchant=merchant), what="staff member", public_id=payload.staff_id)
        if payload.staff_id
        else None
    )
    return services.qr_code_create(
        merchant=merchant,
        kind=payload.kind,
        store=store,
        staff=staff,
        channel=payload.channel,
        permanent=payload.permanent,
        expire_seconds=payload.expire_seconds,
    )


@router.get("/{qr_code_id}", response=QrCodeOut, summary="Get a QR code")
def get_qr_code(request: HttpRequest, qr_code_id: QrCodeId) -> QrCode:
    """One QR code with its scan and follow counts."""
    return selectors.qr_code_get(merchant=merchant_of(request), public_id=qr_code_id)
