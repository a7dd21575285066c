"""/coupons: coupon templates, issued coupons, issuing, voiding and using a code at a till.

Issuing is limited by the template's budget and per-member limit (conditional updates: never
exceeded, even by concurrent calls); with a `source_ref` a retry gives each member one coupon.
Using a code is exactly once: two tills sending one code at the same moment get one success and
one 409 `coupons.already_used`.
"""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Path, Query, Router

from weloop.api.auth import actor_of, merchant_of
from weloop.api.pagination import paginate
from weloop.api.schemas.common import PageIn
from weloop.api.schemas.coupons import (
    CouponFilters,
    CouponOut,
    CouponPage,
    IssueIn,
    IssueOut,
    RedeemIn,
    RedeemOut,
    TemplateFilters,
    TemplateIn,
    TemplateOut,
    TemplatePage,
    TemplateStatusIn,
    VoidIn,
    coupon_out,
    template_out,
)
from weloop.coupons import selectors, services
from weloop.coupons.errors import CouponBudgetExhausted, CouponLimitReached, InvalidTemplate
from weloop.coupons.models import Coupon

router = Router(tags=["Coupons"])

TemplateId = Annotated[str, Path(description="The template's public id (`cpt_…`).", example="cpt_4K9QX2M7PA")]
CouponId = Annotated[str, Path(description="The coupon's public id (`cpn_…`).", example="cpn_4K9QX2M7PA")]


@router.get("/templates", response=TemplatePage, summary="List coupon templates")
def list_templates(request: HttpRequest, filters: Query[TemplateFilters], page: Query[PageIn]) -> dict:
    """Your coupon templates, newest first."""
    result = paginate(selectors.template_list(merchant=merchant_of(request), status=filters.status or ""), page)
    return {"count": result["count"], "items": [template_out(t) for t in result["items"]]}


@router.post("/templates", response={201: TemplateOut}, summary="Create a coupon template")
def create_template(request: HttpRequest, payload: TemplateIn) -> tuple[int, dict]:
    """Create an active template. Refused with 400 `coupons.invalid_template` or `money.invalid_amount`."""
    t = services.template_create(merchant=merchant_of(request), data=payload.for_service(), actor=actor_of(request))
    return 201, template_out(t)


@router.get("/templates/{template_id}", response=TemplateOut, summary="Get a coupon template")
def get_template(request: HttpRequest, template_id: TemplateId) -> dict:
    """One coupon template with its rules, scope, budget and stacking; 404 for an unknown id."""
    return template_out(selectors.template_get(merchant=merchant_of(request), template_id=template_id))


@router.put("/templates/{template_id}", response=TemplateOut, summary="Change a coupon template")
def update_template(request: HttpRequest, template_id: TemplateId, payload: TemplateIn) -> dict:
    """Coupons already issued keep their validity. The budget cannot go below what was issued (400)."""
    t = services.template_update(
        merchant=merchant_of(request), template_id=template_id, data=payload.for_service(), actor=actor_of(request)
    )
    return template_out(t)


@router.post("/templates/{template_id}/status", response=TemplateOut, summary="Pause, resume or end a template")
def set_template_status(request: HttpRequest, template_id: TemplateId, payload: TemplateStatusIn) -> dict:
    """409 `state.invalid_transition` from `ended`."""
    t = services.template_set_status(
        merchant=merchant_of(request), template_id=template_id, status=payload.status, actor=actor_of(request)
    )
    return template_out(t)


@router.post("/templates/{template_id}/issue", response=IssueOut, summary="Issue coupons to members")
def issue(request: HttpRequest, template_id: TemplateId, payload: IssueIn) -> dict:
    """Give each member one coupon; refusals (budget, limit) are counted, not errors. Unknown members
    are 404 `not_found`."""
    merchant = merchant_of(request)
    template = selectors.template_get(merchant=merchant, template_id=template_id)
    if not 1 <= len(payload.member_ids) <= 1000:
        raise InvalidTemplate("Give 1 to 1000 members.", extra={"field": "member_ids"})
    members = [services.member_find(merchant=merchant, lookup=m) for m in dict.fromkeys(payload.member_ids)]
    if payload.source_ref:
        result = services.coupons_issue_many(
            merchant=merchant,
            template=template,
            member_ids=[m.pk for m in members],
            channel="api",
            source_ref=f"api:{payload.source_ref[:90]}",
        )
        return {"issued": result.issued, "refused_budget": result.refused_budget, "refused_limit": result.refused_limit}
    issued = budget = limit = 0
    for member in members:
        try:
            services.coupon_issue(
                merchant=merchant, template=template, member=member, channel="api", actor=actor_of(request)
            )
            issued += 1
        except CouponBudgetExhausted:
            budget += 1
        except CouponLimitReached:
            limit += 1
    return {"issued": issued, "refused_budget": budget, "refused_limit": limit}


@router.post("/redeem", response=RedeemOut, summary="Use a coupon code on an offline sale")
def redeem_coupon(request: HttpRequest, payload: RedeemIn) -> dict:
    """Exactly once. 404 `coupons.unknown_coupon`; 409 `coupons.already_used`, `coupons.expired`,
    `coupons.wrong_store`, `coupons.threshold_not_met`, `coupons.not_usable`."""
    done = services.coupon_redeem_offline(
        merchant=merchant_of(request),
        code=payload.code,
        amount_fen=payload.amount_fen,
        store_id=payload.store_id,
        product_ids=payload.product_ids,
        actor=actor_of(request),
    )
    coupon: Coupon = selectors.coupon_get(merchant=merchant_of(request), coupon_id=done.coupon.public_id)
    return {"coupon": coupon_out(coupon), "discount_fen": done.discount_fen, "payable_fen": done.payable_fen}


@router.get("", response=CouponPage, summary="List issued coupons")
def list_coupons(request: HttpRequest, filters: Query[CouponFilters], page: Query[PageIn]) -> dict:
    """Issued coupons, newest first, filtered by template, member, status or channel."""
    qs = selectors.coupon_list(
        merchant=merchant_of(request),
        template_id=filters.template_id,
        status=filters.status or "",
        channel=filters.channel or "",
        member_id=filters.member_id,
    )
    result = paginate(qs, page)
    return {"count": result["count"], "items": [coupon_out(c) for c in result["items"]]}


@router.get("/{coupon_id}", response=CouponOut, summary="Get a coupon")
def get_coupon(request: HttpRequest, coupon_id: CouponId) -> dict:
    """One issued coupon with its status, validity and use; 404 for an unknown or another merchant's id."""
    return coupon_out(selectors.coupon_get(merchant=merchant_of(request), coupon_id=coupon_id))


@router.post("/{coupon_id}/void", response=CouponOut, summary="Void a coupon")
def void_coupon(request: HttpRequest, coupon_id: CouponId, payload: VoidIn) -> dict:
    """Withdraw an available coupon; 409 `state.invalid_transition` when locked, used or expired."""
    merchant = merchant_of(request)
    services.coupon_void(merchant=merchant, coupon_id=coupon_id, actor=actor_of(request), reason=payload.reason)
    return coupon_out(selectors.coupon_get(merchant=merchant, coupon_id=coupon_id))
