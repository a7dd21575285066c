"""Member bitmaps kept in process: one per tag (snapshot + the TagChange log), attributes by query.

Freshness of tag bitmaps
    ``members.TagChange`` is an append-only log written in the same transaction as each tag change.
    A tag's bitmap is a snapshot (``TagBitmapSnapshot``, or ``MemberTag`` the very first time)
    plus the log rows after the snapshot's ``last_change_id``. Every evaluation reads only the rows
    after the newest one this process has seen (one indexed query per tag).

    Ids are handed out at insert but rows become visible at commit, so a row with a smaller id can
    appear after a larger one. Rows younger than ``SETTLE`` are therefore "unsettled": each refresh
    counts the rows of the unsettled id range, and if the count grew, re-reads that range and replays
    it in id order. Replaying is idempotent because the changes of one (tag, member) pair are
    serialized by the ``MemberTag`` unique constraint, so their ids follow commit order and the
    last one wins. Only rows older than ``SETTLE`` are folded into the persisted snapshot.

Attribute terms (following, gender, ...) are built by one query each and cached for
``ATTRIBUTE_TTL`` seconds: a follow or a profile edit shows up in counts within that time.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from pyroaring import BitMap, FrozenBitMap

from weloop.core import clock
from weloop.members.models import Member, MemberTag, Tag, TagChange
from weloop.segments.errors import InvalidExpression, UnknownTag
from weloop.segments.expressions import SOURCES, Node, Term, terms
from weloop.segments.models import TagBitmapSnapshot
from weloop.tenants.models import Merchant

SETTLE = timedelta(seconds=120)
SNAPSHOT_EVERY = 5_000  # changes applied since the stored snapshot before it is rewritten
MAX_TAGS = 5_000  # tag bitmaps kept per process (least recently used go first)


def attribute_ttl() -> float:
    return float(getattr(settings, "SEGMENTS_ATTRIBUTE_TTL_SECONDS", 30))


@dataclass
class _Batch:
    high: int  # highest id of the batch; the batch spans (previous high, high]
    count: int
    newest_at: datetime


@dataclass
class _TagBits:
    public_id: str
    bits: BitMap
    settled_id: int  # every change <= settled_id is applied and older than SETTLE
    batches: list[_Batch] = field(default_factory=list)
    unpersisted: int = 0
    frozen: FrozenBitMap | None = None

    @property
    def max_id(self) -> int:
        return self.batches[-1].high if self.batches else self.settled_id

    def view(self) -> FrozenBitMap:
        if self.frozen is None:
            self.frozen = FrozenBitMap(self.bits)
        return self.frozen


_lock = threading.RLock()
_tags: OrderedDict[int, _TagBits] = OrderedDict()
_attributes: dict[tuple[Any, ...], tuple[float, FrozenBitMap]] = {}


def clear_caches() -> None:
    """Forget every in-process bitmap (tests; a process that wants a cold start)."""
    with _lock:
        _tags.clear()
        _attributes.clear()


def _apply(entry: _TagBits, rows: list[tuple[int, int, bool, datetime]]) -> None:
    for _id, member_id, added, _at in rows:
        if added:
            entry.bits.add(member_id)
        else:
            entry.bits.discard(member_id)
    if rows:
        entry.frozen = None
        entry.unpersisted += len(rows)


def _changes(tag_pk: int, low: int, high: int | None = None) -> list[tuple[int, int, bool, datetime]]:
    qs = TagChange.objects.filter(tag_id=tag_pk, id__gt=low)
    if high is not None:
        qs = qs.filter(id__lte=high)
    return list(qs.order_by("id").values_list("id", "member_id", "added", "at"))


def _settled_id_now(tag_pk: int) -> int:
    cutoff = clock.now() - SETTLE
    last = TagChange.objects.filter(tag_id=tag_pk, at__lt=cutoff).order_by("-id").values_list("id", flat=True)[:1]
    return int(last[0]) if last else 0


def _load(tag: Tag) -> _TagBits:
    snap = TagBitmapSnapshot.objects.filter(merchant_id=tag.merchant_id, tag_id=tag.pk).first()
    if snap is not None:
        return _TagBits(tag.public_id, BitMap.deserialize(bytes(snap.data)), snap.last_change_id)
    settled = _settled_id_now(tag.pk)  # read before MemberTag: every change <= settled is in what follows
    bits = BitMap(MemberTag.objects.filter(tag_id=tag.pk).values_list("member_id", flat=True).iterator(10_000))
    entry = _TagBits(tag.public_id, bits, settled)
    entry.unpersisted = SNAPSHOT_EVERY  # a first build is worth keeping
    return entry


def _refresh(tag: Tag, entry: _TagBits) -> None:
    # Late commits inside the unsettled range: the count of visible rows grew.
    if entry.batches:
        seen = sum(b.count for b in entry.batches)
        visible = TagChange.objects.filter(tag_id=tag.pk, id__gt=entry.settled_id, id__lte=entry.max_id).count()
        if visible != seen:
            rows = _changes(tag.pk, entry.settled_id, entry.max_id)
            _apply(entry, rows)
            newest = max((r[3] for r in rows), default=clock.now())
            entry.batches = [_Batch(entry.max_id, len(rows), newest)]
    rows = _changes(tag.pk, entry.max_id)
    if rows:
        _apply(entry, rows)
        entry.batches.append(_Batch(rows[-1][0], len(rows), max(r[3] for r in rows)))
    cutoff = clock.now() - SETTLE
    while entry.batches and entry.batches[0].newest_at < cutoff:
        entry.settled_id = entry.batches.pop(0).high


def _persist(tag: Tag, entry: _TagBits) -> None:
    """Store the bitmap as a snapshot good through ``settled_id`` (later rows replay idempotently)."""
    values = {
        "last_change_id": entry.settled_id,
        "member_count": len(entry.bits),
        "data": entry.bits.serialize(),
        "built_at": clock.now(),
    }
    try:
        with transaction.atomic():
            TagBitmapSnapshot.objects.update_or_create(merchant_id=tag.merchant_id, tag_id=tag.pk, defaults=values)
    except IntegrityError:  # another process stored one at the same moment: either is exact
        return
    entry.unpersisted = 0


def tag_bitmap(tag: Tag) -> FrozenBitMap:
    """The members (pks) carrying ``tag`` now, from the process cache refreshed by the change log."""
    with _lock:
        entry = _tags.get(tag.pk)
        if entry is None or entry.public_id != tag.public_id:
            entry = _load(tag)
            _tags[tag.pk] = entry
        _tags.move_to_end(tag.pk)
        _refresh(tag, entry)
        if entry.unpersisted >= SNAPSHOT_EVERY:
            _persist(tag, entry)
        while len(_tags) > MAX_TAGS:
            _tags.popitem(last=False)
        return entry.view()


def snapshot_rebuild(*, tag: Tag) -> int:
    """Rebuild a tag's snapshot from ``MemberTag`` (repair tool); return its member count."""
    with _lock:
        TagBitmapSnapshot.objects.filter(merchant_id=tag.merchant_id, tag_id=tag.pk).delete()
        _tags.pop(tag.pk, None)
        entry = _load(tag)
        _refresh(tag, entry)
        _persist(tag, entry)
        _tags[tag.pk] = entry
        return len(entry.bits)


# --- attribute terms ------------------------------------------------------------------------------


def _attribute_query(merchant: Merchant, term: Term | None) -> Any:
    qs = Member.objects.for_merchant(merchant)
    if term is None:
        return qs
    kind, value = term.kind, term.value
    if kind == "following":
        return qs.filter(is_following=True)
    if kind == "source":
        return qs.filter(first_source=value) if value in SOURCES else qs.filter(first_qr_code__kind=value)
    if kind == "first_store":
        return qs.filter(first_store__public_id=value)
    if kind == "gender":
        return qs.filter(gender=value)
    if kind == "city":
        return qs.filter(city=value)
    if kind == "birthday_month":
        return qs.filter(birthday__month=int(value))
    if kind == "joined_within":
        return qs.filter(created_at__gte=clock.now() - timedelta(days=int(value[:-1])))
    raise InvalidExpression(f"The term {kind!r} cannot be evaluated.", extra={"position": term.position})


def attribute_bitmap(merchant: Merchant, term: Term | None) -> FrozenBitMap:
    """Members matching an attribute term (``None``: every member of the merchant), cached briefly."""
    key = (merchant.pk, merchant.slug, merchant.created_at, term.key() if term else ("*", ""))
    now = time.monotonic()
    with _lock:
        hit = _attributes.get(key)
        if hit and hit[0] > now:
            return hit[1]
    bits = FrozenBitMap(_attribute_query(merchant, term).values_list("pk", flat=True).iterator(10_000))
    with _lock:
        if len(_attributes) > 20_000:
            _attributes.clear()
        _attributes[key] = (now + attribute_ttl(), bits)
    return bits


class DbResolver:
    """Resolves terms for one merchant from the database-backed caches above."""

    def __init__(self, merchant: Merchant, node: Node) -> None:
        self.merchant = merchant
        names = sorted({t.value for t in terms(node) if t.kind == "tag"})
        found = {t.name: t for t in Tag.objects.for_merchant(merchant).filter(name__in=names)} if names else {}
        for t in terms(node):
            if t.kind == "tag" and t.value not in found:
                raise UnknownTag(f"No tag is named {t.value!r}.", extra={"tag": t.value, "position": t.position})
            if t.kind == "first_store":
                self._check_store(t)
        self.tags = found
        self._universe: FrozenBitMap | None = None

    def _check_store(self, term: Term) -> None:
        from weloop.stores.models import Store

        if not Store.objects.for_merchant(self.merchant).filter(public_id=term.value).exists():
            raise InvalidExpression(
                f"No store has the id {term.value!r}.", extra={"position": term.position, "store": term.value}
            )

    def universe(self) -> FrozenBitMap:
        if self._universe is None:
            self._universe = attribute_bitmap(self.merchant, None)
        return self._universe

    def term(self, term: Term) -> FrozenBitMap:
        if term.kind == "tag":
            return tag_bitmap(self.tags[term.value])
        return attribute_bitmap(self.merchant, term)
