"""Members: the merchant's own customers, one per (merchant, openid), with where they came from.

A member's first touch (``first_*``) is written once, when the member is created, and never changes:
it is what "this store brought us this customer" rests on. Every later contact is a ``MemberTouch``.
Stores and staff are referenced by model name only: members and stores share a layer and do not
import each other.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from weloop.core import clock
from weloop.core.ids import public_id_field
from weloop.core.models import TenantModel
from weloop.members.enums import Gender, MemberSource, QrCodeKind, TagKind, TagSource, TouchKind


class QrCode(TenantModel):
    """A parametric QR code of the service account, attributing scans to a store, guide or channel.

    ``scene_str`` is what WeChat pushes back on every scan (``EventKey``); it is the public id, so a
    scene never needs a lookup table and never collides within the merchant.
    """

    public_id = public_id_field("qr_")
    kind = models.CharField(_("kind"), max_length=16, choices=QrCodeKind.choices)
    store = models.ForeignKey("stores.Store", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    staff = models.ForeignKey("tenants.StaffMember", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    channel = models.CharField(_("channel"), max_length=64, blank=True, default="")
    scene_str = models.CharField(max_length=64)
    permanent = models.BooleanField(_("permanent"), default=True)
    ticket = models.CharField(max_length=255, blank=True, default="")
    url = models.CharField(max_length=255, blank=True, default="")
    expire_at = models.DateTimeField(null=True, blank=True)
    scan_count = models.PositiveIntegerField(default=0)
    follow_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="qr_code_public_id_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "scene_str"], name="qr_code_scene_per_merchant"),
        ]

    def __str__(self) -> str:
        return self.public_id

    @property
    def is_expired(self) -> bool:
        return self.expire_at is not None and clock.now() >= self.expire_at


class Member(TenantModel):
    public_id = public_id_field("mb_")
    openid = models.CharField(max_length=64)
    unionid = models.CharField(max_length=64, blank=True, default="")
    nickname = models.CharField(_("nickname"), max_length=64, blank=True, default="")
    avatar_url = models.CharField(max_length=500, blank=True, default="")
    phone = models.CharField(_("phone"), max_length=32, blank=True, default="")
    is_following = models.BooleanField(default=False)
    followed_at = models.DateTimeField(null=True, blank=True)
    unfollowed_at = models.DateTimeField(null=True, blank=True)
    # The first touch: written at creation, never edited.
    first_source = models.CharField(max_length=16, choices=MemberSource.choices)
    first_qr_code = models.ForeignKey(QrCode, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    first_store = models.ForeignKey("stores.Store", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    first_staff = models.ForeignKey(
        "tenants.StaffMember", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    first_channel = models.CharField(max_length=64, blank=True, default="")
    # Attributes segments and rules read; the member fills them on the card page, staff in the console.
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, default=Gender.UNKNOWN)
    city = models.CharField(_("city"), max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "openid"], name="member_once_per_openid"),
            models.UniqueConstraint(fields=["merchant", "public_id"], name="member_public_id_per_merchant"),
        ]
        indexes = [
            models.Index(fields=["merchant", "is_following"], name="member_following_idx"),
            models.Index(fields=["merchant", "first_store"], name="member_first_store_idx"),
        ]

    def __str__(self) -> str:
        return self.nickname or self.openid


class MemberTouch(TenantModel):
    """One contact with a member: a follow, a scan, a message, a menu tap, a purchase…"""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="touches")
    kind = models.CharField(max_length=16, choices=TouchKind.choices)
    qr_code = models.ForeignKey(QrCode, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    store = models.ForeignKey("stores.Store", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    staff = models.ForeignKey("tenants.StaffMember", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    channel = models.CharField(max_length=64, blank=True, default="")
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["member", "-at"], name="member_touch_timeline_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90))
                & (Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180)),
                name="member_touch_coordinates_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}@{self.at:%Y-%m-%d %H:%M}"


class Tag(TenantModel):
    """A label on members: put by staff, by a rule, or a care flag (接待注意) the service desk sees.

    ``sync_to_wechat`` asks for the tag to be mirrored as a WeChat user tag (``wechat_tag_id`` once
    created there); WeChat allows 100 tags per account and 20 per user, so syncing is opt-in.
    """

    public_id = public_id_field("tag_")
    name = models.CharField(_("name"), max_length=30)
    kind = models.CharField(_("kind"), max_length=8, choices=TagKind.choices, default=TagKind.MANUAL)
    description = models.CharField(_("description"), max_length=200, blank=True, default="")
    is_care_flag = models.BooleanField(_("care flag"), default=False)
    care_note = models.CharField(_("note for the service desk"), max_length=200, blank=True, default="")
    sync_to_wechat = models.BooleanField(_("sync to WeChat"), default=False)
    wechat_tag_id = models.IntegerField(null=True, blank=True)
    member_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="tag_public_id_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "name"], name="tag_name_per_merchant"),
        ]

    def __str__(self) -> str:
        return self.name


class MemberTag(TenantModel):
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="member_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="member_tags")
    source = models.CharField(max_length=8, choices=TagSource.choices, default=TagSource.MANUAL)
    source_ref = models.CharField(max_length=64, blank=True, default="")
    added_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-added_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "member", "tag"], name="member_tag_once"),
        ]
        indexes = [models.Index(fields=["tag", "member"], name="member_tag_by_tag_idx")]

    def __str__(self) -> str:
        return f"{self.member_id}:{self.tag_id}"


class TagChange(TenantModel):
    """Append-only log of tag additions and removals, written in the same transaction as the change.

    Segment bitmaps are a snapshot plus the changes after it (by ``id``), so they stay exact
    without rebuilding from ``MemberTag``. ``member_id`` is a plain integer: the log outlives members.
    """

    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="+")
    member_id = models.BigIntegerField()
    added = models.BooleanField()
    at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["tag", "id"], name="tag_change_by_tag_idx")]

    def __str__(self) -> str:
        return f"{'+' if self.added else '-'}{self.tag_id}:{self.member_id}"
