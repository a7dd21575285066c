"""Sign in, sign out and change password: shared by merchant staff and platform operators."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from weloop.core.errors import WeloopError
from weloop.dashboard.forms import PasswordChangeForm
from weloop.dashboard.web import attach_error, error_context
from weloop.tenants.selectors import memberships_of
from weloop.tenants.services import staff_change_password


def home_url_for(user: Any) -> str:
    """Staff land in the merchant console; operators who are nobody's staff in the platform console."""
    if user.is_staff and not memberships_of(user).exists():
        return reverse("platform:home")
    return reverse("dashboard:home")


class SignInForm(AuthenticationForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs["data-testid"] = "login-username"
        self.fields["password"].widget.attrs["data-testid"] = "login-password"


class SignInView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return home_url_for(self.request.user)


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    error: WeloopError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            staff_change_password(
                user=request.user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except WeloopError as exc:
            error = exc
            attach_error(form, exc, field_by_code=PasswordChangeForm.FIELDS_BY_ERROR)
        else:
            update_session_auth_hash(request, request.user)  # type: ignore[arg-type] # keep this session signed in
            messages.success(request, _("Your password has been changed."))
            return redirect("accounts:password_change")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "home_url": home_url_for(request.user), **error_context(error)}
    return render(request, "accounts/password_change.html", context, status=status)
