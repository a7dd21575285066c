"""/members: the merchant's members (one per follower openid), with their first touch and timeline."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Path, Query, Router

from weloop.api.auth import merchant_of
from weloop.api.pagination import paginate
from weloop.api.schemas.common import PageIn
from weloop.api.schemas.members import MemberFilters, MemberOut, MemberPage, TouchPage
from weloop.members import selectors
from weloop.members.models import Member

router = Router(tags=["Members"])

MemberId = Annotated[str, Path(description="The member's public id (`mb_…`).", example="mb_7Q2M4K9XPA")]
OpenId = Annotated[
    str, Path(description="The member's openid for your service account.", example="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
]


@router.get("", response=MemberPage, summary="List members")
def list_members(request: HttpRequest, filters: Query[MemberFilters], page: Query[PageIn]) -> dict:
    """Your members, newest first, optionally filtered by following, first-touch store or a text search."""
    members = selectors.member_list(
        merchant=merchant_of(request), following=filters.following, source_store_id=filters.store_id, q=filters.q
    )
    return paginate(members, page)


@router.get("/by-openid/{openid}", response=MemberOut, summary="Get a member by openid")
def get_member_by_openid(request: HttpRequest, openid: OpenId) -> Member:
    """The member behind an openid of your service account; 404 `not_found` when there is none."""
    return selectors.member_by_openid(merchant=merchant_of(request), openid=openid)


@router.get("/{member_id}", response=MemberOut, summary="Get a member")
def get_member(request: HttpRequest, member_id: MemberId) -> Member:
    """One member with their follow state and first touch."""
    return selectors.member_get(merchant=merchant_of(request), public_id=member_id)


@router.get("/{member_id}/timeline", response=TouchPage, summary="A member's timeline")
def get_member_timeline(request: HttpRequest, member_id: MemberId, page: Query[PageIn]) -> dict:
    """Every touch of the member (follows, unfollows, scans, messages, menu taps, locations…), newest first."""
    merchant = merchant_of(request)
    member = selectors.member_get(merchant=merchant, public_id=member_id)
    return paginate(selectors.member_timeline(merchant=merchant, member=member), page)
