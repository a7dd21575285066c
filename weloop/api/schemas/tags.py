"""Tags, member tags and auto-tag rules over the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from weloop.api.schemas.common import InputSchema, Page
from weloop.members.models import MemberTag, Tag
from weloop.tagging.models import TagRule

RULE_PARAMS_HELP = (
    'Per kind: `bought_product` {product_id, options?: {"size": "38"}}; `spent_at_least` '
    "{amount_fen, days (default 365)}; `redeemed_deal` {deal_id}; `visited_store` {store_id}; "
    "`no_purchase_for_days` {days}; `attribute` {field: gender|city|birthday_month, value}; "
    "`survey_answer` {survey_id, option_id}."
)


class TagSyncOut(Schema):
    status: str = Field(description="idle, pending, running, done or failed.", examples=["done"])
    tagged_count: int = Field(description="Users tagged on WeChat by the last run.")
    untagged_count: int = Field(description="Users untagged on WeChat by the last run.")
    skipped_count: int = Field(description="Members not tagged on WeChat: already at WeChat's 20 tags.")
    error_code: str = Field(description="Why the last run failed; empty when it did not.")
    error_message: str = Field(description="The readable reason; empty when it did not fail.")
    finished_at: dt.datetime | None = Field(description="When the last run ended.")


class TagOut(Schema):
    id: str = Field(description="The tag's public id.", examples=["tag_8QK2M4XPAF"])
    name: str = Field(description="Unique in the merchant, at most 30 characters.", examples=["size-38"])
    kind: str = Field(description="manual, auto or care.", examples=["manual"])
    description: str = Field(description="A note for staff.")
    is_care_flag: bool = Field(description="Shown to whoever serves the member (接待注意).")
    care_note: str = Field(description="What the service desk should know.", examples=["Prefers text, no calls"])
    sync_to_wechat: bool = Field(description="Mirrored as a WeChat user tag.")
    wechat_tag_id: int | None = Field(description="Its id on WeChat once synced.")
    member_count: int = Field(description="Members carrying it.", examples=[1280])
    created_at: dt.datetime = Field(description="When it was created.")

    @staticmethod
    def resolve_id(obj: Tag) -> str:
        return obj.public_id


class TagDetailOut(TagOut):
    sync: TagSyncOut | None = Field(description="The WeChat sync of the tag, if it was ever synced.")


class TagPage(Page):
    items: list[TagOut] = Field(description="The tags on this page, by name.")


class TagIn(InputSchema):
    name: str = Field(description="1 to 30 characters, unique in the merchant.", examples=["size-38"])
    kind: str = Field("manual", description="manual, auto or care.")
    description: str = Field("", description="Up to 200 characters.")
    is_care_flag: bool = Field(False, description="A care flag (接待注意) shown on the service desk.")
    care_note: str = Field("", description="Up to 200 characters.")
    sync_to_wechat: bool = Field(False, description="Mirror as a WeChat user tag (at most 100 per account).")


class TagPatch(InputSchema):
    name: str | None = Field(None, description="A new name.")
    description: str | None = Field(None, description="A new note for staff.")
    is_care_flag: bool | None = Field(None, description="Make it a care flag, or not.")
    care_note: str | None = Field(None, description="A new note for the service desk.")
    sync_to_wechat: bool | None = Field(None, description="Turn WeChat sync on or off.")


class TagMembersIn(InputSchema):
    member_ids: list[str] = Field(
        description="Members' public ids (1-1000); unknown ids are reported, not fatal.",
        min_length=1,
        max_length=1000,
        examples=[["mb_7Q2M4K9XPA"]],
    )


class TagMembersOut(Schema):
    changed: int = Field(
        description="How many members gained (or lost) the tag; the others already had (or lacked) it."
    )
    unknown: list[str] = Field(description="Ids that are not members of yours.")


class MemberTagOut(Schema):
    id: str = Field(description="The tag's public id.")
    name: str = Field(description="The tag's name.")
    is_care_flag: bool = Field(description="A care flag (接待注意).")
    care_note: str = Field(description="The care flag's note for the service desk.")
    source: str = Field(description="manual, rule, survey, event, import, api or campaign.")
    source_ref: str = Field(description="Which rule, survey... put it; may be empty.")
    added_at: dt.datetime = Field(description="When the member got it.")

    @staticmethod
    def resolve_id(obj: MemberTag) -> str:
        return obj.tag.public_id

    @staticmethod
    def resolve_name(obj: MemberTag) -> str:
        return obj.tag.name

    @staticmethod
    def resolve_is_care_flag(obj: MemberTag) -> bool:
        return obj.tag.is_care_flag

    @staticmethod
    def resolve_care_note(obj: MemberTag) -> str:
        return obj.tag.care_note


class MemberTagIn(InputSchema):
    tag_id: str = Field(description="The tag's public id.", examples=["tag_8QK2M4XPAF"])


class MemberTagChangeOut(Schema):
    changed: bool = Field(description="False when the member already carried (or did not carry) the tag.")


class TagRuleOut(Schema):
    id: str = Field(description="The rule's public id.", examples=["trl_4K9QX2M7PA"])
    name: str = Field(description="A name for staff.")
    tag_id: str = Field(description="The tag it puts.")
    kind: str = Field(
        description=(
            "bought_product, spent_at_least, redeemed_deal, visited_store, no_purchase_for_days, "
            "attribute or survey_answer."
        )
    )
    params: dict[str, Any] = Field(description=RULE_PARAMS_HELP)
    active: bool = Field(description="Inactive rules tag nobody.")
    applied_count: int = Field(description="Members it has tagged so far.")
    last_applied_at: dt.datetime | None = Field(description="When it last tagged someone.")
    created_at: dt.datetime = Field(description="When it was created.")

    @staticmethod
    def resolve_id(obj: TagRule) -> str:
        return obj.public_id

    @staticmethod
    def resolve_tag_id(obj: TagRule) -> str:
        return obj.tag.public_id


class TagRulePage(Page):
    items: list[TagRuleOut] = Field(description="The rules on this page, newest first.")


class TagRuleIn(InputSchema):
    name: str = Field("", description="A name for staff; defaults to the tag and kind.")
    tag_id: str = Field(description="The tag to put.")
    kind: str = Field(description="What the rule looks at.", examples=["bought_product"])
    params: dict[str, Any] = Field(
        description=RULE_PARAMS_HELP, examples=[{"product_id": "pr_1", "options": {"size": "38"}}]
    )
    active: bool = Field(True, description="Apply it to events from now on.")


class TagRulePatch(InputSchema):
    name: str | None = Field(None, description="A new name.")
    tag_id: str | None = Field(None, description="Another tag to put (already tagged members keep theirs).")
    kind: str | None = Field(None, description="Another kind (give its params too).")
    params: dict[str, Any] | None = Field(None, description=RULE_PARAMS_HELP)
    active: bool | None = Field(None, description="Switch the rule on or off.")


class TagRuleApplyOut(Schema):
    added: int = Field(description="Members who gained the tag now.")
