"""The simulated WeChat world: WeChat's own data about users, tokens, menus, tags, QR codes and pushes.

These are not tenant rows. WeChat keys everything by the account's ``appid``; so do we, with a plain
string and no foreign key to ``tenants.Merchant``. The merchant side of the world (its appid, secret,
token and keys) is read from ``tenants.WechatAccount`` (see ``weloop.simulator.accounts``).
"""

from __future__ import annotations

from django.db import models

from weloop.core import clock
from weloop.simulator.enums import (
    DeliveryKind,
    DeliveryStatus,
    InteractionKind,
    OutboundKind,
    PushResult,
    TokenKind,
)


class SimUser(models.Model):
    """A WeChat user as one account sees them: an openid that exists only for that appid."""

    appid = models.CharField(max_length=32, db_index=True)
    openid = models.CharField(max_length=64, unique=True)
    unionid = models.CharField(max_length=64, blank=True, default="")
    nickname = models.CharField(max_length=64)
    avatar_url = models.CharField(max_length=500, blank=True, default="")
    subscribed = models.BooleanField(default=False)
    subscribe_time = models.DateTimeField(null=True, blank=True)
    # user/info reports how the user followed: ADD_SCENE_QR_CODE with qr_scene(_str), else ADD_SCENE_OTHERS.
    subscribe_scene = models.CharField(max_length=40, blank=True, default="")
    qr_scene = models.BigIntegerField(default=0)
    qr_scene_str = models.CharField(max_length=64, blank=True, default="")
    # The user switched off this account's template messages: they are refused with "failed:user block".
    blocks_templates = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.nickname} ({self.openid})"


class SimAccessToken(models.Model):
    """An access_token (or jsapi ticket) WeChat issued; a newer one of the same kind supersedes it."""

    appid = models.CharField(max_length=32, db_index=True)
    kind = models.CharField(max_length=16, choices=TokenKind.choices, default=TokenKind.TOKEN)
    value = models.CharField(max_length=512, unique=True)
    issued_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    # A superseded token keeps working for a 5-minute overlap (WECHAT.md §3.1), then is "not latest".
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["appid", "kind", "superseded_at"], name="sim_token_current_idx")]


class SimMenu(models.Model):
    appid = models.CharField(max_length=32, unique=True)
    button = models.JSONField(default=list)
    updated_at = models.DateTimeField(default=clock.now)


class SimTag(models.Model):
    appid = models.CharField(max_length=32)
    tag_id = models.PositiveIntegerField()
    name = models.CharField(max_length=60)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["tag_id"]
        constraints = [
            models.UniqueConstraint(fields=["appid", "tag_id"], name="sim_tag_id_per_appid"),
            models.UniqueConstraint(fields=["appid", "name"], name="sim_tag_name_per_appid"),
        ]


class SimUserTag(models.Model):
    user = models.ForeignKey(SimUser, on_delete=models.CASCADE, related_name="tag_links")
    tag = models.ForeignKey(SimTag, on_delete=models.CASCADE, related_name="user_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "tag"], name="sim_user_tag_once")]


class SimQrTicket(models.Model):
    appid = models.CharField(max_length=32, db_index=True)
    ticket = models.CharField(max_length=200, unique=True)
    action_name = models.CharField(max_length=24)
    scene_id = models.BigIntegerField(null=True, blank=True)
    scene_str = models.CharField(max_length=64, blank=True, default="")
    permanent = models.BooleanField(default=False)
    expire_seconds = models.PositiveIntegerField(null=True, blank=True)
    expire_at = models.DateTimeField(null=True, blank=True)
    url = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-id"]

    @property
    def scene(self) -> str:
        return self.scene_str or str(self.scene_id)

    def is_expired(self) -> bool:
        return self.expire_at is not None and clock.now() >= self.expire_at


class SimOAuthCode(models.Model):
    """A web-authorization code: single use, 5 minutes (WECHAT.md §3.9)."""

    code = models.CharField(max_length=64, unique=True)
    appid = models.CharField(max_length=32)
    openid = models.CharField(max_length=64)
    scope = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)


class SimWebToken(models.Model):
    """The per-user web access_token from /sns/oauth2/access_token (not the account's token)."""

    access_token = models.CharField(max_length=512, unique=True)
    refresh_token = models.CharField(max_length=512, unique=True)
    appid = models.CharField(max_length=32)
    openid = models.CharField(max_length=64)
    scope = models.CharField(max_length=32)
    expires_at = models.DateTimeField()
    refresh_expires_at = models.DateTimeField()


class SimInteraction(models.Model):
    """A customer-service window the user opened: ``quota`` messages (None = unlimited) until ``expires_at``."""

    user = models.ForeignKey(SimUser, on_delete=models.CASCADE, related_name="interactions")
    kind = models.CharField(max_length=16, choices=InteractionKind.choices)
    at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    quota = models.PositiveIntegerField(null=True, blank=True)
    used = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["user", "expires_at"], name="sim_interaction_open_idx")]


class SimMedia(models.Model):
    """An image the phone uploaded: served at PicUrl and by /cgi-bin/media/get."""

    media_id = models.CharField(max_length=64, unique=True)
    appid = models.CharField(max_length=32)
    content_type = models.CharField(max_length=40)
    data = models.BinaryField()
    created_at = models.DateTimeField(default=clock.now)


class SimDelivery(models.Model):
    """One message or event WeChat must push to the account's callback (with its retries in SimPush)."""

    appid = models.CharField(max_length=32, db_index=True)
    openid = models.CharField(max_length=64)  # FromUserName: the user, or the mass-send helper
    user = models.ForeignKey(SimUser, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(max_length=16, choices=DeliveryKind.choices)
    msg_type = models.CharField(max_length=32)
    event = models.CharField(max_length=40, blank=True, default="")
    summary = models.CharField(max_length=500, blank=True, default="")  # what the phone shows
    xml = models.TextField()  # the plaintext message; sealed afresh for each attempt
    msg_id = models.BigIntegerField(null=True, blank=True)
    create_time = models.BigIntegerField()
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    failure_reason = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(default=clock.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]


class SimPush(models.Model):
    """One HTTP attempt of a delivery: attempt 1 is the original, 2-4 the retries."""

    delivery = models.ForeignKey(SimDelivery, on_delete=models.CASCADE, related_name="pushes")
    attempt_no = models.PositiveSmallIntegerField()
    url = models.CharField(max_length=500)
    query = models.JSONField(default=dict)
    body = models.TextField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)
    result = models.CharField(max_length=20, choices=PushResult.choices)
    error = models.CharField(max_length=300, blank=True, default="")
    started_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["delivery_id", "attempt_no"]


class SimMassSend(models.Model):
    appid = models.CharField(max_length=32, db_index=True)
    msg_id = models.BigIntegerField(unique=True)
    msg_data_id = models.BigIntegerField(null=True, blank=True)
    clientmsgid = models.CharField(max_length=64, blank=True, default="")
    is_to_all = models.BooleanField(default=False)
    tag_id = models.PositiveIntegerField(null=True, blank=True)
    msgtype = models.CharField(max_length=20)
    body = models.JSONField(default=dict)
    total_count = models.PositiveIntegerField(default=0)
    filter_count = models.PositiveIntegerField(default=0)
    sent_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["appid", "clientmsgid"],
                condition=~models.Q(clientmsgid=""),
                name="sim_mass_clientmsgid_once",
            )
        ]


class SimOutboundMessage(models.Model):
    """Something the account sent to a user: what the phone's chat shows."""

    appid = models.CharField(max_length=32)
    user = models.ForeignKey(SimUser, on_delete=models.CASCADE, related_name="inbox")
    kind = models.CharField(max_length=20, choices=OutboundKind.choices)
    msgtype = models.CharField(max_length=32)
    body = models.JSONField(default=dict)
    msgid = models.BigIntegerField(null=True, blank=True)
    client_msg_id = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=32, default="delivered")
    delivery = models.ForeignKey(SimDelivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    mass_send = models.ForeignKey(SimMassSend, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["user", "kind", "created_at"], name="sim_outbound_user_kind_idx"),
            # template/send's dedup of client_msg_id looks here once per message
            models.Index(fields=["appid", "client_msg_id"], name="sim_outbound_client_msg_idx"),
        ]


class SimQuotaCounter(models.Model):
    """Calls of one rate-limited API by one account on one day (template/send's daily quota).

    Counted with one conditional UPDATE (``used < quota``) in the sending transaction, so two
    processes never both take the last unit. With ``REDIS_URL`` the count is kept in Redis instead.
    """

    appid = models.CharField(max_length=32)
    api = models.CharField(max_length=40)
    day = models.DateField()
    used = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["appid", "api", "day"], name="sim_quota_counter_uniq")]


# WeChat Pay's records live in their own module; importing them here registers them with Django.
from weloop.simulator.pay_models import (  # noqa: E402, F401
    SimPayMerchant,
    SimPayNotification,
    SimPayOrder,
    SimPayRefund,
)
