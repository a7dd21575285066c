"""Member pages: the list with search and filters, and one member's profile, first touch and timeline.

Members are created by WeChat (follows, scans, H5 visits, messages); the console only reads them.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse

from weloop.dashboard.views.tags import member_tags_context
from weloop.dashboard.web import render_page
from weloop.dashboard.wechat_selectors import member_search, timeline_items
from weloop.members.enums import MemberSource
from weloop.members.selectors import member_get, member_timeline
from weloop.stores.selectors import store_list
from weloop.tenants.access import staff_view
from weloop.tenants.permissions import has_permission

PAGE_SIZE = 50
TIMELINE_PAGE_SIZE = 100
FOLLOWING_FILTERS = {"yes": True, "no": False}


@staff_view("members.view")
def member_list(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    search = request.GET.get("q", "").strip()[:100]
    following = request.GET.get("following", "")
    following = following if following in FOLLOWING_FILTERS else ""
    source = request.GET.get("source", "")
    source = source if source in MemberSource.values else ""
    stores = list(store_list(merchant=merchant))
    store_id = request.GET.get("store", "")
    store_id = store_id if any(s.public_id == store_id for s in stores) else ""
    members = member_search(
        merchant=merchant,
        q=search or None,
        following=FOLLOWING_FILTERS.get(following),
        store_id=store_id or None,
        source=source or None,
    )
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "search": search,
        "following": following,
        "source": source,
        "store_id": store_id,
        "sources": MemberSource.choices,
        "stores": stores,
        "filtered": bool(search or following or source or store_id),
    }
    return render_page(request, "dashboard/members/list.html", context)


@staff_view("members.view")
def member_detail(request: HttpRequest, member_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    member = member_get(merchant=merchant, public_id=member_id)
    page = Paginator(member_timeline(merchant=merchant, member=member), TIMELINE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "member": member,
        "page": page,
        "timeline": timeline_items(merchant=merchant, member=member, touches=page),
        **member_tags_context(merchant=merchant, member=member),
        "can_tag": has_permission(request.staff, "members.tag"),  # type: ignore[attr-defined]
    }
    return render_page(request, "dashboard/members/detail.html", context)
