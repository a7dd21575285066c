"""Views of the simulator: WeChat's APIs (``api``, ``cgi``, ``sns``), OAuth pages, media and the phone."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse


def simulator_enabled() -> bool:
    """On in simulator mode; ``WELOOP_SIMULATOR_ENABLED`` overrides (a live deployment keeps it off)."""
    explicit = getattr(settings, "WELOOP_SIMULATOR_ENABLED", None)
    return bool(explicit) if explicit is not None else settings.WECHAT_MODE == "simulator"


def enabled_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not simulator_enabled():
            raise Http404("the simulator is off")
        return view(request, *args, **kwargs)

    return wrapped


def simulator_base(request: HttpRequest) -> str:
    """Absolute URL of /simulator as this request reached it (for PicUrl and avatar links)."""
    return request.build_absolute_uri("/simulator").rstrip("/")
