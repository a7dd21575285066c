"""Staff pages (owners and admins): list, create with store assignment, deactivate."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from weloop.core.errors import WeloopError
from weloop.dashboard.forms import StaffCreateForm
from weloop.dashboard.web import attach_error, error_context, render_page
from weloop.stores.selectors import store_list
from weloop.stores.services import store_assign_staff
from weloop.tenants.access import staff_view
from weloop.tenants.enums import StaffRole
from weloop.tenants.models import StaffMember
from weloop.tenants.permissions import has_permission, require_permission
from weloop.tenants.selectors import staff_list as staff_list_of
from weloop.tenants.services import staff_create as create_staff_member
from weloop.tenants.services import staff_deactivate as deactivate_staff_member


def _roles_grantable_by(staff: StaffMember) -> list[str]:
    if has_permission(staff, "staff.manage_owners"):
        return list(StaffRole.values)
    return [role for role in StaffRole.values if role != StaffRole.OWNER]


def _can_deactivate(actor: StaffMember, member: StaffMember) -> bool:
    if not member.is_active or member.pk == actor.pk:
        return False
    return member.role != StaffRole.OWNER or has_permission(actor, "staff.manage_owners")


@staff_view("staff.manage")
def staff_list(request: HttpRequest) -> HttpResponse:
    staff, merchant = request.staff, request.merchant  # type: ignore[attr-defined]
    members = staff_list_of(merchant=merchant).prefetch_related("store_assignments__store")
    rows = [
        {
            "member": member,
            "stores": [a.store for a in member.store_assignments.all()],  # type: ignore[attr-defined]
            "can_deactivate": _can_deactivate(staff, member),
        }
        for member in members
    ]
    return render_page(request, "dashboard/staff/list.html", {"rows": rows})


@staff_view("staff.manage")
def staff_create(request: HttpRequest) -> HttpResponse:
    staff, merchant = request.staff, request.merchant  # type: ignore[attr-defined]
    store_choices = [(s.public_id, s.name) for s in store_list(merchant=merchant)]
    form = StaffCreateForm(request.POST or None, store_choices=store_choices, roles=_roles_grantable_by(staff))
    error: WeloopError | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            # The login and its store limits are one change: a failed assignment must not leave
            # a staff member who can work in every store.
            with transaction.atomic():
                member = create_staff_member(
                    merchant=merchant,
                    username=data["username"],
                    password=data["password"],
                    role=data["role"],
                    display_name=data["display_name"],
                )
                if data["stores"]:
                    store_assign_staff(merchant=merchant, staff=member, store_public_ids=data["stores"])
        except WeloopError as exc:
            error = exc
            attach_error(form, exc, field_by_code={"tenants.username_taken": ("username",)})
        else:
            messages.success(request, gettext("%(name)s can now sign in.") % {"name": member})
            return redirect("dashboard:staff_list")
    status = (error.status if error else 400) if request.method == "POST" else 200
    return render_page(request, "dashboard/staff/form.html", {"form": form, **error_context(error)}, status=status)


@require_POST
@staff_view("staff.manage")
def staff_deactivate(request: HttpRequest, staff_id: str) -> HttpResponse:
    actor, merchant = request.staff, request.merchant  # type: ignore[attr-defined]
    member = staff_list_of(merchant=merchant).filter(public_id=staff_id).first()
    if member is not None and member.role == StaffRole.OWNER:
        require_permission(actor, "staff.manage_owners")
    try:
        member = deactivate_staff_member(merchant=merchant, public_id=staff_id, actor=actor)
    except WeloopError as error:
        if error.status == 404:
            raise
        messages.error(request, gettext(error.detail))
    else:
        messages.success(request, gettext("%(name)s can no longer sign in here.") % {"name": member})
    return redirect("dashboard:staff_list")
