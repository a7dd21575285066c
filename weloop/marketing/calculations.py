"""Pure arithmetic of campaigns: quiet hours, periods, the SMS comparison, batch splitting."""

from __future__ import annotations

import datetime
import struct
from zoneinfo import ZoneInfo

from django.conf import settings
from pyroaring import BitMap

from weloop.core.money import round_half_up


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_key(moment: datetime.datetime) -> str:
    return moment.astimezone(local_tz()).date().isoformat()


def month_key(moment: datetime.datetime) -> str:
    return moment.astimezone(local_tz()).strftime("%Y-%m")


def quiet_until(
    moment: datetime.datetime, start: datetime.time, end: datetime.time, *, enabled: bool = True
) -> datetime.datetime | None:
    """When the quiet hours around ``moment`` end, or None if ``moment`` is outside them.

    The window may span midnight (22:00-08:00): then 23:00 waits for 08:00 next day, 07:00 for 08:00.
    """
    if not enabled or start == end:
        return None
    local = moment.astimezone(local_tz())
    t = local.time()
    if start < end:
        inside = start <= t < end
        end_day = local.date()
    else:
        inside = t >= start or t < end
        end_day = local.date() + datetime.timedelta(days=1) if t >= start else local.date()
    if not inside:
        return None
    return datetime.datetime.combine(end_day, end, tzinfo=local_tz())


def sms_cost_fen(recipients: int, price_centifen: int) -> int:
    """What reaching ``recipients`` people by SMS would cost, in fen (price in 1/100 fen, half-up once)."""
    return round_half_up(recipients * price_centifen, 100)


def split_batches(members: BitMap, size: int) -> list[BitMap]:
    """Cut ``members`` into bitmaps of at most ``size`` in pk order; a last batch of one joins the
    one before (WeChat's mass/send needs at least two openids), so a batch may hold ``size + 1``."""
    out: list[BitMap] = []
    n = len(members)
    start = 0
    while start < n:
        stop = min(start + size, n)
        if n - stop == 1:
            stop = n
        out.append(members[start:stop])
        start = stop
    return out


def levels_load(blob: bytes | memoryview | None) -> list[BitMap]:
    """Bitmaps packed as (4-byte length, serialized BitMap)*."""
    data = bytes(blob or b"")
    out, i = [], 0
    while i < len(data):
        (n,) = struct.unpack_from(">I", data, i)
        out.append(BitMap.deserialize(data[i + 4 : i + 4 + n]))
        i += 4 + n
    return out


def levels_dump(levels: list[BitMap]) -> bytes:
    parts = []
    for level in levels:
        raw = level.serialize()
        parts.append(struct.pack(">I", len(raw)) + raw)
    return b"".join(parts)


def cap_take(levels: list[BitMap], candidates: BitMap, cap: int) -> BitMap:
    """Who of ``candidates`` is under ``cap`` (levels[k] = got more than k); returns them without
    updating (see ``cap_record``)."""
    if cap <= 0:
        return BitMap()
    if len(levels) < cap:
        return candidates.copy()
    return candidates - levels[cap - 1]


def cap_record(levels: list[BitMap], recipients: BitMap, depth: int) -> None:
    """Count one more message for each of ``recipients`` (in place), tracking at least ``depth`` levels."""
    while len(levels) < depth:
        levels.append(BitMap())
    for k in range(len(levels) - 1, 0, -1):
        levels[k] |= levels[k - 1] & recipients
    levels[0] |= recipients
