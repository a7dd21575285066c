"""Shared links carry ``?ref=<referral code>``: remember it in the session, bind once the member is known.

``consumer_view`` (shell.py) calls ``remember_referral`` on any H5 page opened with ``?ref=``; sign-in
(``identity.bind_member``) calls ``apply_pending_referral``. A refused referral (unknown code, the
visitor's own link, a loop, a blocked referrer, already referred) is ignored on the page: it is
logged and counted per reason (the console's referral settings show the counts).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from weloop.referrals.enums import BindingSource
from weloop.referrals.selectors import active_binding
from weloop.referrals.services import binding_create_quietly

MAX_CODE_LENGTH = 16


def _key(merchant: Any) -> str:
    return f"weloop_ref:{merchant.pk}"


def remember_referral(request: HttpRequest, member: Any) -> None:
    """Keep the link's referral code for this merchant; bind now when the visitor is a member."""
    merchant = request.merchant  # type: ignore[attr-defined]
    code = str(request.GET.get("ref", "")).strip()[:MAX_CODE_LENGTH]
    if not code:
        return
    via = str(request.GET.get("via", ""))
    request.session[_key(merchant)] = {
        "code": code,
        "via": via if via in BindingSource.values else BindingSource.LINK,
    }
    if member is not None:
        apply_pending_referral(request, member)


def apply_pending_referral(request: HttpRequest, member: Any) -> None:
    """Bind ``member`` to the referral code remembered in the session, if any (then forget it)."""
    merchant = request.merchant  # type: ignore[attr-defined]
    pending = request.session.pop(_key(merchant), None)
    if not isinstance(pending, dict) or not pending.get("code"):
        return
    binding_create_quietly(merchant=merchant, member=member, code=str(pending["code"]), source=str(pending.get("via")))


def referral_scene(merchant: Any, member: Any) -> str:
    """The order's scene for a member bound to a referrer (``ref:<code>``), else "".

    Checkout records it on the order (like ``table:<code>``), so the attribution ledger credits the
    sale to the referrer; the commission itself follows the binding in force at payment.
    """
    binding = active_binding(merchant=merchant, member=member)
    return f"ref:{binding.referrer.code}" if binding is not None else ""
