"""/referrals: the referral programme's settings, bindings, commission ledger and payout statements.

Members share links in the H5; the API is the merchant's side. Payouts are made outside WeLoop (cash or a
transfer) and recorded with `POST /referrals/statements/{statement_id}/paid`.
"""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Path, Query, Router

from weloop.api.auth import actor_of, merchant_of
from weloop.api.pagination import paginate
from weloop.api.schemas.common import PageIn
from weloop.api.schemas.referrals import (
    BindingFilters,
    BindingIn,
    BindingOut,
    BindingPage,
    CommissionFilters,
    CommissionPage,
    ReferrerDetailOut,
    ReferrerPage,
    SettingsIn,
    SettingsOut,
    StatementFilters,
    StatementIn,
    StatementOut,
    StatementPage,
    StatementPaidIn,
)
from weloop.members.selectors import member_get
from weloop.referrals import selectors, services
from weloop.referrals.enums import BindingSource
from weloop.referrals.models import ReferralBinding, ReferralSettings, Referrer, Statement

router = Router(tags=["Referrals"])

ReferrerId = Annotated[str, Path(description="The referrer's public id (`rf_…`).", example="rf_4K9QX2M7PA")]
StatementId = Annotated[str, Path(description="The statement's public id (`rs_…`).", example="rs_4K9QX2M7PA")]


@router.get("/settings", response=SettingsOut, summary="Get the referral settings")
def get_settings(request: HttpRequest) -> ReferralSettings:
    """Rates, the attribution window and the refund window (defaults until saved)."""
    return selectors.settings_of(merchant=merchant_of(request))


@router.put("/settings", response=SettingsOut, summary="Save the referral settings")
def put_settings(request: HttpRequest, payload: SettingsIn) -> ReferralSettings:
    """New rates apply to orders paid from now on. 400 `referrals.invalid_settings`."""
    return services.settings_update(merchant=merchant_of(request), actor=actor_of(request), **payload.dict())


@router.get("/bindings", response=BindingPage, summary="List bindings")
def list_bindings(request: HttpRequest, filters: Query[BindingFilters], page: Query[PageIn]) -> dict:
    """Who was referred by whom and until when, newest first."""
    merchant = merchant_of(request)
    member = member_get(merchant=merchant, public_id=filters.member_id) if filters.member_id else None
    referrer = (
        selectors.referrer_by_code(merchant=merchant, code=filters.referrer_code) if filters.referrer_code else None
    )
    rows = selectors.bindings_list(merchant=merchant, referrer=referrer, member=member)
    return paginate(rows.none() if filters.referrer_code and referrer is None else rows, page)


@router.post("/bindings", response={200: BindingOut}, summary="Bind a member to a referrer")
def create_binding(request: HttpRequest, payload: BindingIn) -> ReferralBinding:
    """Bind as if the member had opened the referrer's link (idempotent for the same referrer).

    400 `referrals.self_referral`, `referrals.loop`, `referrals.referrer_blocked`, `referrals.disabled`;
    404 `referrals.unknown_code`; 409 `referrals.already_bound` (the first binding wins)."""
    merchant = merchant_of(request)
    member = member_get(merchant=merchant, public_id=payload.member_id)
    return services.binding_create(merchant=merchant, member=member, code=payload.code, source=BindingSource.API)


@router.get("/referrers", response=ReferrerPage, summary="List referrers")
def list_referrers(request: HttpRequest, page: Query[PageIn]) -> dict:
    """Members who have a share code, newest first."""
    return paginate(selectors.referrers_list(merchant=merchant_of(request)), page)


@router.get("/referrers/{referrer_id}", response=ReferrerDetailOut, summary="Get a referrer and their balances")
def get_referrer(request: HttpRequest, referrer_id: ReferrerId) -> Referrer:
    """The referrer with their frozen, available (may be negative) and paid commission."""
    merchant = merchant_of(request)
    referrer = selectors.referrer_get(merchant=merchant, public_id=referrer_id)
    balances = selectors.balances_of(merchant=merchant, referrer=referrer)
    referrer.frozen_fen = balances.frozen_fen  # type: ignore[attr-defined]
    referrer.available_fen = balances.available_fen  # type: ignore[attr-defined]
    referrer.paid_fen = balances.paid_fen  # type: ignore[attr-defined]
    return referrer


@router.get("/commissions", response=CommissionPage, summary="List commission entries")
def list_commissions(request: HttpRequest, filters: Query[CommissionFilters], page: Query[PageIn]) -> dict:
    """The append-only ledger, newest first; a refund shows as a new `reverse` entry."""
    merchant = merchant_of(request)
    code = filters.referrer_code
    referrer = selectors.referrer_by_code(merchant=merchant, code=code) if code else None
    rows = selectors.entries_list(
        merchant=merchant,
        referrer=referrer,
        status=filters.status or "",
        kind=filters.kind or "",
        level=filters.level,
        order_no=filters.order_no or "",
    )
    return paginate(rows.none() if code and referrer is None else rows, page)


@router.get("/statements", response=StatementPage, summary="List payout statements")
def list_statements(request: HttpRequest, filters: Query[StatementFilters], page: Query[PageIn]) -> dict:
    """Statements, newest first."""
    return paginate(selectors.statements_list(merchant=merchant_of(request), status=filters.status or ""), page)


@router.post("/statements", response={200: StatementOut}, summary="Make a statement for a referrer")
def create_statement(request: HttpRequest, payload: StatementIn) -> Statement:
    """Take the referrer's available commission (net of reversals) onto an open statement.

    400 `referrals.nothing_to_pay` when it is not positive (a negative balance waits for later earnings)."""
    merchant = merchant_of(request)
    referrer = selectors.referrer_get(merchant=merchant, public_id=payload.referrer_id)
    return services.statement_create(merchant=merchant, referrer=referrer, actor=actor_of(request))


@router.get("/statements/{statement_id}", response=StatementOut, summary="Get a statement")
def get_statement(request: HttpRequest, statement_id: StatementId) -> Statement:
    """One statement with its lines."""
    return selectors.statement_get(merchant=merchant_of(request), public_id=statement_id)


@router.post("/statements/{statement_id}/paid", response=StatementOut, summary="Record a statement as paid")
def pay_statement(request: HttpRequest, payload: StatementPaidIn, statement_id: StatementId) -> Statement:
    """Record that the referrer was paid (cash or transfer, outside WeLoop). 409 `referrals.statement_not_open`."""
    merchant = merchant_of(request)
    statement = selectors.statement_get(merchant=merchant, public_id=statement_id)
    return services.statement_mark_paid(
        merchant=merchant, statement=statement, method=payload.method, note=payload.note, actor=actor_of(request)
    )


@router.post("/statements/{statement_id}/void", response=StatementOut, summary="Void an open statement")
def void_statement(request: HttpRequest, statement_id: StatementId) -> Statement:
    """Cancel it; its lines wait for the next statement. 409 `referrals.statement_not_open`."""
    merchant = merchant_of(request)
    statement = selectors.statement_get(merchant=merchant, public_id=statement_id)
    return services.statement_void(merchant=merchant, statement=statement, actor=actor_of(request))
