"""What the account answers: configured replies as passive-reply XML, and the nearby-stores text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from urllib.parse import quote

from django.conf import settings
from django.urls import reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from weloop.core.errors import WeloopError
from weloop.messaging.enums import ReplyKind
from weloop.messaging.models import ReplyContent
from weloop.stores.models import Store
from weloop.tenants.models import Merchant
from weloop.wechat.messages import SUCCESS, Message, news_reply, text_reply

# WeChat refuses a passive text reply over 2048 bytes; stay under it whatever the addresses are.
TEXT_REPLY_MAX_BYTES = 2048
# The nearby search the location reply uses (discovery's index; messaging may not import it).
DEFAULT_NEARBY_PROVIDER = "weloop.discovery.selectors.stores_near_open_first"


def render_reply(message: Message, content: ReplyContent) -> str:
    """The passive-reply XML of a configured reply, or SUCCESS when it has nothing to say."""
    if content.reply_kind == ReplyKind.ARTICLE and content.article_title and content.article_url:
        return news_reply(
            message, content.article_title, content.article_description, content.article_url, content.article_pic_url
        )
    if content.reply_text.strip():
        return text_reply(message, content.reply_text)
    return SUCCESS


def reply_summary(content: ReplyContent) -> str:
    if content.reply_kind == ReplyKind.ARTICLE:
        return f"[article] {content.article_title}"[:255]
    return content.reply_text[:255]


def distance_label(metres: float) -> str:
    """A distance as people read it: "350 m" below a kilometre, else "1.2 km"."""
    if metres < 1000:
        return f"{round(metres)} m"
    return f"{metres / 1000:.1f} km"


def store_page_url(merchant: Merchant, store: Store) -> str:
    path = reverse("storefront:store_detail", kwargs={"merchant_slug": merchant.slug, "store_id": store.public_id})
    return settings.PUBLIC_URL + path


def amap_navigation_url(store: Store) -> str:
    """Amap's URI API: opens navigation to the store (GCJ-02, which is what stores hold)."""
    to = f"{store.longitude},{store.latitude},{quote(store.name, safe='')}"
    return f"https://uri.amap.com/navigation?to={to}&mode=car&coordinate=gaode&src=weloop&callnative=1"


def nearby_provider() -> Callable[..., list[tuple[Store, float, bool]]] | None:
    """The function ``WELOOP_NEARBY_PROVIDER`` names, or None (empty setting, or not importable).

    It is called as ``provider(merchant=, latitude=, longitude=, radius_m=, limit=, candidates=)`` and
    returns up to ``limit`` stores as (store, metres, open now): the open ones among the
    ``candidates`` nearest, else the nearest marked closed (``discovery.selectors.stores_near_open_first``).
    """
    path = getattr(settings, "WELOOP_NEARBY_PROVIDER", DEFAULT_NEARBY_PROVIDER)
    if not path:
        return None
    try:
        return import_string(path)  # type: ignore[no-any-return]
    except ImportError:
        return None


def provided_nearest_stores(
    merchant: Merchant, latitude: float, longitude: float, *, radius_m: int, limit: int, candidates: int
) -> list[tuple[Store, float, bool]] | None:
    """The location reply's stores from the nearby provider; None when there is none (the caller
    then searches by brute force). Coordinates out of range find nothing (never an error)."""
    provider = nearby_provider()
    if provider is None:
        return None
    try:
        return provider(
            merchant=merchant,
            latitude=latitude,
            longitude=longitude,
            radius_m=radius_m,
            limit=limit,
            candidates=candidates,
        )
    except WeloopError:
        return []


def nearby_text(merchant: Merchant, stores: Sequence[tuple[Store, float, bool]], radius_km: int) -> str:
    """The answer to a location message: up to three stores as (store, metres, open now)."""
    if not stores:
        all_stores = settings.PUBLIC_URL + reverse("storefront:store_list", kwargs={"merchant_slug": merchant.slug})
        return _(
            "Sorry, none of our stores is within %(radius)d km of this place. "
            "Send another location, or see all our stores: %(url)s"
        ) % {"radius": radius_km, "url": all_stores}
    any_open = any(is_open for _store, _metres, is_open in stores)
    lines = [_("Our stores open near you:") if any_open else _("Our nearest stores (all closed right now):")]
    for number, (store, metres, is_open) in enumerate(stores, start=1):
        entry = "\n".join(
            [
                f"{number}. {store.name} · {distance_label(metres)}" + ("" if is_open else " · " + _("closed now")),
                store.address,
                _("Store page: %(url)s") % {"url": store_page_url(merchant, store)},
                _("Navigate: %(url)s") % {"url": amap_navigation_url(store)},
            ]
        )
        if len("\n\n".join([*lines, entry]).encode("utf-8")) > TEXT_REPLY_MAX_BYTES:
            break
        lines.append(entry)
    return "\n\n".join(lines)
