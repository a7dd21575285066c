"""What the consumer store pages show, read through the stores selectors and shaped for templates.

Templates stay free of decisions: whether a store is open, which hours apply today and how an
overnight period is written are settled here (the rules themselves live in ``weloop.stores``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from urllib.parse import quote, urlencode

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.functional import Promise

from weloop.core.db import get_or_not_found
from weloop.stores.enums import WEEKDAY_NAMES, StoreStatus
from weloop.stores.models import HoursException, Store
from weloop.stores.selectors import store_is_open, store_list_public, store_periods, stores_with_open_state
from weloop.tenants.models import Merchant

AMAP_MARKER_URL = "https://uri.amap.com/marker"
MAX_EXCEPTIONS_SHOWN = 30  # a merchant may enter a year of holidays; the page shows the next ones


@dataclass(frozen=True)
class Hours:
    """One opening period as people read it: ``18:00–02:00 (+1)`` closes the next day."""

    opens: str
    closes: str
    next_day: bool

    def __str__(self) -> str:
        return f"{self.opens}–{self.closes}" + (" (+1)" if self.next_day else "")


@dataclass(frozen=True)
class TodayHours:
    periods: list[Hours]
    special: bool  # a dated exception replaces the weekly hours today
    note: str

    @property
    def closed(self) -> bool:
        return not self.periods


@dataclass(frozen=True)
class DayHours:
    weekday: int
    name: str | Promise
    periods: list[Hours]
    is_today: bool


@dataclass(frozen=True)
class ExceptionDay:
    date: date
    is_today: bool
    hours: Hours | None  # None: closed all day
    note: str


@dataclass(frozen=True)
class StoreCard:
    public_id: str
    name: str
    address: str
    city: str
    district: str
    phone: str
    tel_url: str
    map_url: str
    state: str  # "open", "closed" (outside its hours) or "paused" (temporarily closed)
    today: TodayHours


@dataclass(frozen=True)
class StorePage:
    card: StoreCard
    week: list[DayHours]
    exceptions: list[ExceptionDay]


def store_cards(*, merchant: Merchant, moment: datetime) -> list[StoreCard]:
    """The merchant's stores a consumer can visit, as they stand at ``moment``."""
    today = timezone.localtime(moment).date()
    stores = stores_with_open_state(_public_stores(merchant, from_day=today), at=moment)
    return [_card(store, moment=moment, today=today) for store in stores]


def store_page(*, merchant: Merchant, store_id: str, moment: datetime) -> StorePage:
    """One visitable store with its week and upcoming exceptions; NotFound for any other id."""
    today = timezone.localtime(moment).date()
    store = get_or_not_found(_public_stores(merchant, from_day=today), what="store", public_id=store_id)
    periods = store_periods(store)
    week = [
        DayHours(
            weekday=weekday,
            name=WEEKDAY_NAMES[weekday],
            periods=[hours_of(p.opens, p.closes) for p in periods if p.weekday == weekday],
            is_today=weekday == today.weekday(),
        )
        for weekday in range(7)
    ]
    exceptions = [_exception_day(e, today=today) for e in _upcoming(store)[:MAX_EXCEPTIONS_SHOWN]]
    return StorePage(card=_card(store, moment=moment, today=today), week=week, exceptions=exceptions)


def _public_stores(merchant: Merchant, *, from_day: date) -> QuerySet[Store]:
    # One query brings every store's dated exceptions from today on: today's hours and the
    # detail page's "upcoming" list both read them, instead of one query per store. The merchant
    # is joined because store_is_open() reads store.merchant.
    upcoming = HoursException.objects.filter(date__gte=from_day).order_by("date")
    return (
        store_list_public(merchant=merchant)
        .select_related("merchant")
        .prefetch_related(Prefetch("hours_exceptions", queryset=upcoming, to_attr="upcoming_exceptions"))
    )


def _upcoming(store: Store) -> list[HoursException]:
    return store.upcoming_exceptions  # type: ignore[attr-defined]  # set by the prefetch in _public_stores


def _card(store: Store, *, moment: datetime, today: date) -> StoreCard:
    return StoreCard(
        public_id=store.public_id,
        name=store.name,
        address=store.address,
        city=store.city,
        district=store.district,
        phone=store.phone,
        tel_url=tel_url(store.phone),
        map_url=amap_marker_url(store),
        state=_state(store, moment),
        today=_today_hours(store, today),
    )


def _state(store: Store, moment: datetime) -> str:
    if store.status == StoreStatus.PAUSED:
        return "paused"
    open_now = getattr(store, "open_now", None)  # set for a whole list by stores_with_open_state
    if open_now is None:
        open_now = store_is_open(store, at=moment)
    return "open" if open_now else "closed"


def _today_hours(store: Store, today: date) -> TodayHours:
    exception = next((e for e in _upcoming(store) if e.date == today), None)
    if exception is not None:
        special = _exception_hours(exception)
        return TodayHours(periods=[special] if special else [], special=True, note=exception.note)
    periods = [hours_of(p.opens, p.closes) for p in store_periods(store) if p.weekday == today.weekday()]
    return TodayHours(periods=periods, special=False, note="")


def _exception_day(exception: HoursException, *, today: date) -> ExceptionDay:
    hours = _exception_hours(exception)
    return ExceptionDay(date=exception.date, is_today=exception.date == today, hours=hours, note=exception.note)


def _exception_hours(exception: HoursException) -> Hours | None:
    """Special hours that day, or None when the store is closed all day."""
    if exception.is_closed or exception.opens is None or exception.closes is None:
        return None
    return hours_of(exception.opens, exception.closes)


def hours_of(opens: time, closes: time) -> Hours:
    """A period for display; ``closes <= opens`` runs into the next day."""
    if closes == time(0, 0):  # closing at midnight reads better as 24:00 than as 00:00 (+1)
        return Hours(_hhmm(opens), "24:00", next_day=False)
    return Hours(_hhmm(opens), _hhmm(closes), next_day=closes <= opens)


def _hhmm(moment: time) -> str:
    return moment.strftime("%H:%M")


def tel_url(phone: str) -> str:
    """A ``tel:`` link that dials ``0755-8299 0101`` as ``tel:075582990101``; empty without a phone."""
    digits = re.sub(r"[^0-9+]", "", phone or "")
    return f"tel:{digits}" if digits else ""


def amap_marker_url(store: Store) -> str:
    """Amap's marker page, which opens the Amap app when installed (``callnative=1``).

    Store coordinates are GCJ-02, which Amap calls ``gaode``: no conversion needed.
    """
    query = urlencode(
        {
            "position": f"{store.longitude},{store.latitude}",
            "name": store.name,
            "coordinate": "gaode",
            "callnative": "1",
        },
        quote_via=quote,
        safe=",",
    )
    return f"{AMAP_MARKER_URL}?{query}"
