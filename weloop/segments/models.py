"""Segments (saved member selections) and the persisted tag bitmaps they are evaluated on."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from weloop.core import clock
from weloop.core.ids import public_id_field
from weloop.core.models import TenantModel


class Segment(TenantModel):
    """A named member selection: ``expression`` is the canonical text of the expression language."""

    public_id = public_id_field("seg_")
    name = models.CharField(_("name"), max_length=60)
    expression = models.TextField(_("expression"))
    description = models.CharField(_("description"), max_length=200, blank=True, default="")
    last_count = models.PositiveIntegerField(null=True, blank=True)
    last_counted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="segment_public_id_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "name"], name="segment_name_per_merchant"),
        ]

    def __str__(self) -> str:
        return self.name


class TagBitmapSnapshot(TenantModel):
    """The members carrying a tag as a serialized roaring bitmap, exact through ``last_change_id``.

    A process loads it and replays the ``members.TagChange`` rows after ``last_change_id`` instead of
    reading every ``MemberTag`` row of the tag; snapshots are rewritten (compacted) as the log grows.
    """

    tag = models.ForeignKey("members.Tag", on_delete=models.CASCADE, related_name="+")
    last_change_id = models.BigIntegerField(default=0)
    member_count = models.PositiveIntegerField(default=0)
    data = models.BinaryField()
    built_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "tag"], name="tag_bitmap_snapshot_once")]

    def __str__(self) -> str:
        return f"{self.tag_id}@{self.last_change_id}"
