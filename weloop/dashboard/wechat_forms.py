"""Console forms of the WeChat channel: QR codes, auto-replies, the follow greeting, live credentials.

Like ``forms.py``: they read and shape input, the services decide what is valid. Field names match
the ``extra["field"]`` the services put on their errors, so ``attach_error`` shows an error beside
its field without a table. Fields carry ``data-testid`` attributes for the browser tests.
"""

from __future__ import annotations

from typing import ClassVar, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from weloop.dashboard.forms import _tag
from weloop.members.enums import QrCodeKind
from weloop.messaging.enums import MatchType, ReplyKind
from weloop.messaging.models import AutoReplyRule, ReplyContent
from weloop.messaging.services import ReplyInput, RuleInput
from weloop.tenants.enums import WechatMessageMode
from weloop.tenants.services import WechatCredentialsInput
from weloop.wechat.limits import QR_MAX_EXPIRE_SECONDS

SECONDS_PER_DAY = 86_400
QR_MAX_EXPIRE_DAYS = QR_MAX_EXPIRE_SECONDS // SECONDS_PER_DAY  # 30

# --- QR codes ---------------------------------------------------------------------------------


class QrCodeForm(forms.Form):
    PERMANENT, TEMPORARY = "permanent", "temporary"

    kind = forms.ChoiceField(label=_("For"), choices=QrCodeKind.choices, initial=QrCodeKind.STORE)
    store_id = forms.ChoiceField(label=_("Store"), required=False)
    staff_id = forms.ChoiceField(label=_("Shopping guide"), required=False)
    channel = forms.CharField(
        label=_("Channel name"), max_length=200, required=False, help_text=_("e.g. “Poster at the metro station”.")
    )
    lifetime = forms.ChoiceField(
        label=_("Lifetime"),
        choices=[(PERMANENT, _("Permanent")), (TEMPORARY, _("Temporary"))],
        initial=PERMANENT,
        widget=forms.RadioSelect,
        help_text=_("WeChat allows at most 100,000 permanent codes per account; temporary ones expire."),
    )
    expire_days = forms.IntegerField(
        label=_("Expires after (days)"),
        min_value=1,
        max_value=QR_MAX_EXPIRE_DAYS,
        initial=QR_MAX_EXPIRE_DAYS,
        required=False,
        help_text=_("Temporary codes only: 1 to 30 days."),
    )

    FIELDS_BY_ERROR: ClassVar[dict[str, tuple[str, ...]]] = {"wechat.limit_exceeded": ("expire_days",)}

    def __init__(
        self,
        *args: object,
        store_choices: list[tuple[str, str]],
        staff_choices: list[tuple[str, str]],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        cast(forms.ChoiceField, self.fields["store_id"]).choices = [("", "—"), *store_choices]
        cast(forms.ChoiceField, self.fields["staff_id"]).choices = [("", "—"), *staff_choices]
        _tag(self, "qr")

    @property
    def expire_seconds(self) -> int | None:
        """What the service takes: None for a permanent code, the days in seconds otherwise."""
        if self.cleaned_data.get("lifetime") != self.TEMPORARY:
            return None
        days = self.cleaned_data.get("expire_days") or QR_MAX_EXPIRE_DAYS
        return int(days) * SECONDS_PER_DAY


# --- replies: auto-reply rules and the follow greeting ------------------------------------------


class ReplyForm(forms.Form):
    """A text reply or one article; subclasses add what the reply answers."""

    kind = forms.ChoiceField(
        label=_("Reply with"), choices=ReplyKind.choices, initial=ReplyKind.TEXT, widget=forms.RadioSelect
    )
    text = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("At most 2048 bytes: a Chinese character counts 3."),
    )
    title = forms.CharField(label=_("Article title"), required=False, max_length=200)
    description = forms.CharField(label=_("Article description"), required=False, max_length=500)
    url = forms.CharField(label=_("Article link"), required=False, max_length=2048, help_text=_("https://…"))
    pic_url = forms.CharField(label=_("Article picture URL"), required=False, max_length=2048)

    def reply_input(self) -> ReplyInput:
        data = self.cleaned_data
        return ReplyInput(
            kind=data["kind"],
            text=data["text"],
            title=data["title"],
            description=data["description"],
            url=data["url"],
            pic_url=data["pic_url"],
        )

    @staticmethod
    def initial_from(reply: ReplyContent) -> dict[str, object]:
        """Initial values from a stored reply (an AutoReplyRule or a FollowGreeting)."""
        return {
            "kind": reply.reply_kind,
            "text": reply.reply_text,
            "title": reply.article_title,
            "description": reply.article_description,
            "url": reply.article_url,
            "pic_url": reply.article_pic_url,
        }


class AutoReplyForm(ReplyForm):
    keyword = forms.CharField(label=_("Keyword"), max_length=200)
    match_type = forms.ChoiceField(label=_("Match"), choices=MatchType.choices, initial=MatchType.EXACT)
    priority = forms.IntegerField(
        label=_("Priority"), initial=0, help_text=_("Higher wins when several rules match (-1000 to 1000).")
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    field_order = ["keyword", "match_type", "kind", "text", "title", "description", "url", "pic_url", "priority"]

    FIELDS_BY_ERROR: ClassVar[dict[str, tuple[str, ...]]] = {"messaging.keyword_taken": ("keyword",)}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        _tag(self, "autoreply")

    def rule_input(self) -> RuleInput:
        data = self.cleaned_data
        return RuleInput(
            keyword=data["keyword"],
            reply=self.reply_input(),
            match_type=data["match_type"],
            is_active=data["is_active"],
            priority=data["priority"],
        )

    @classmethod
    def initial_from_rule(cls, rule: AutoReplyRule) -> dict[str, object]:
        return {
            **cls.initial_from(rule),
            "keyword": rule.keyword,
            "match_type": rule.match_type,
            "priority": rule.priority,
            "is_active": rule.is_active,
        }


class GreetingForm(ReplyForm):
    is_active = forms.BooleanField(label=_("Send it to new followers"), required=False, initial=True)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        _tag(self, "greeting")


# --- a live service account ---------------------------------------------------------------------


class WechatConnectForm(forms.Form):
    """The values the WeChat admin console (mp.weixin.qq.com → Settings → Basic configuration) shows."""

    appid = forms.CharField(label="AppID", max_length=64, help_text=_("“wx” and 16 hex digits."))
    app_secret = forms.CharField(
        label="AppSecret",
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=_("Shown once by WeChat when you reset it."),
    )
    token = forms.CharField(label="Token", max_length=64, help_text=_("3-32 letters and digits, as entered at WeChat."))
    encoding_aes_key = forms.CharField(
        label="EncodingAESKey", max_length=64, help_text=_("43 letters and digits; the old key keeps working a while.")
    )
    original_id = forms.CharField(label=_("Original ID"), max_length=64, help_text=_("gh_ and 12 hex digits."))
    message_mode = forms.ChoiceField(
        label=_("Message mode"), choices=WechatMessageMode.choices, initial=WechatMessageMode.SAFE
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        _tag(self, "wechat-connect")

    def credentials(self) -> WechatCredentialsInput:
        return WechatCredentialsInput(**self.cleaned_data)
