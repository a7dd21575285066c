"""open.weixin.qq.com/connect/oauth2/authorize, as the phone's browser sees it.

The signed-in "WeChat user" is the phone's current user for this appid (the session keys of
``views.phone``). When the phone has none for this account, the page asks who you are first.
snsapi_base redirects at once with ``code`` and ``state``; snsapi_userinfo asks for consent, and a
refusal comes back with ``state`` only.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from weloop.simulator import oauth, phone, selectors
from weloop.simulator.accounts import SimAccount, account_for_appid
from weloop.simulator.models import SimUser
from weloop.simulator.views import simulator_base
from weloop.simulator.views.phone import SESSION_APPID, SESSION_OPENID, phone_session_set


def _problem(account: SimAccount | None, redirect_uri: str, response_type: str, scope: str, state: str) -> str:
    # WeChat's own wording on its error pages (10003 redirect_uri, 10005 scope, 10016 appid, ...).
    if account is None:
        return "appid参数错误"
    if not oauth.redirect_uri_is_acceptable(redirect_uri):
        return "redirect_uri参数错误"
    if response_type != "code":
        return "response_type参数错误"
    if scope not in oauth.SCOPES:
        return "scope参数错误或没有scope权限"
    if len(state.encode("utf-8")) > 128:
        return "state参数错误"
    return ""


def _who_is_it(request: HttpRequest, account: SimAccount) -> SimUser | None:
    """The phone's user for this account, after handling a "choose" or "new user" post."""
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action == "choose":
        chosen = selectors.user_for_phone(account.appid, request.POST.get("openid", ""))
        if chosen is not None:
            phone_session_set(request, appid=account.appid, openid=chosen.openid)
    elif action == "new":
        created = phone.user_create(
            account=account, nickname=request.POST.get("nickname", ""), simulator_base=simulator_base(request)
        )
        phone_session_set(request, appid=account.appid, openid=created.openid)
    if request.session.get(SESSION_APPID) != account.appid:
        return None
    return selectors.user_for_phone(account.appid, request.session.get(SESSION_OPENID, ""))


@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    params = request.GET
    account = account_for_appid(params.get("appid", ""))
    redirect_uri, scope, state = params.get("redirect_uri", ""), params.get("scope", ""), params.get("state", "")
    problem = _problem(account, redirect_uri, params.get("response_type", ""), scope, state)
    if problem:
        return render(request, "simulator/oauth_error.html", {"problem": problem}, status=400)
    assert account is not None
    user = _who_is_it(request, account)
    if user is None:
        context = {"account": account, "users": selectors.users_of(account.appid)[:50]}
        return render(request, "simulator/oauth_choose.html", context)
    decision = request.POST.get("action", "") if request.method == "POST" else ""
    if scope == "snsapi_userinfo" and decision == "deny":
        return HttpResponseRedirect(oauth.redirect_with(redirect_uri, state=state))
    if scope == "snsapi_userinfo" and decision != "allow":
        return render(request, "simulator/oauth_consent.html", {"account": account, "user": user})
    code = oauth.code_issue(account=account, user=user, scope=scope)
    return HttpResponseRedirect(oauth.redirect_with(redirect_uri, code=code.code, state=state))
