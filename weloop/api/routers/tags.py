"""/tags, /members/{member_id}/tags and /tag-rules: member tags, care flags, WeChat sync, auto-tag rules.

Errors: 400 `members.invalid_tag`, 409 `members.tag_name_taken`, 409 `members.tag_in_use` (delete with
`?force=true`), 409 `tagging.wechat_tag_limit` (100 synced tags per WeChat account), 400
`tagging.invalid_rule` (with `extra.field`), 409 `tagging.rule_not_backfillable`, 404 `not_found`.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Path, Query, Router

from weloop.api.auth import actor_of, merchant_of
from weloop.api.pagination import paginate
from weloop.api.schemas.common import PageIn
from weloop.api.schemas.tags import (
    MemberTagChangeOut,
    MemberTagIn,
    MemberTagOut,
    TagDetailOut,
    TagIn,
    TagMembersIn,
    TagMembersOut,
    TagPage,
    TagPatch,
    TagRuleApplyOut,
    TagRuleIn,
    TagRuleOut,
    TagRulePage,
    TagRulePatch,
)
from weloop.members import selectors as member_selectors
from weloop.members import services as member_services
from weloop.members.enums import TagSource
from weloop.members.models import Member, Tag
from weloop.tagging import selectors, services
from weloop.tagging.models import TagRule

router = Router(tags=["Tags"])
member_tags_router = Router(tags=["Tags"])
rules_router = Router(tags=["Tag rules"])

TagId = Annotated[str, Path(description="The tag's public id (`tag_…`).", example="tag_8QK2M4XPAF")]
MemberId = Annotated[str, Path(description="The member's public id (`mb_…`).", example="mb_7Q2M4K9XPA")]
RuleId = Annotated[str, Path(description="The rule's public id (`trl_…`).", example="trl_4K9QX2M7PA")]


def _detail(merchant: Any, tag: Tag) -> Tag:
    tag.sync = selectors.tag_sync_of(merchant=merchant, tag=tag)  # type: ignore[attr-defined]
    return tag


@router.get("", response=TagPage, summary="List tags")
def list_tags(
    request: HttpRequest,
    page: Query[PageIn],
    kind: Annotated[str | None, Query(description="manual, auto or care.")] = None,
    q: Annotated[str | None, Query(description="Part of the name.")] = None,
) -> dict:
    """Tags by name with how many members carry each; filter by kind (manual, auto, care) or name."""
    return paginate(member_selectors.tag_list(merchant=merchant_of(request), kind=kind, q=q), page)


@router.post("", response={201: TagDetailOut}, summary="Create a tag")
def create_tag(request: HttpRequest, payload: TagIn) -> Tag:
    """With `sync_to_wechat` the tag is created on WeChat by a queued sync (at most 100 synced tags)."""
    merchant = merchant_of(request)
    return _detail(merchant, services.synced_tag_create(merchant=merchant, **payload.model_dump()))


@router.get("/{tag_id}", response=TagDetailOut, summary="Get a tag")
def get_tag(request: HttpRequest, tag_id: TagId) -> Tag:
    """One tag with its member count and the state of its WeChat sync."""
    merchant = merchant_of(request)
    return _detail(merchant, member_selectors.tag_get(merchant=merchant, public_id=tag_id))


@router.patch("/{tag_id}", response=TagDetailOut, summary="Change a tag")
def update_tag(request: HttpRequest, payload: TagPatch, tag_id: TagId) -> Tag:
    """Rename, describe, make it a care flag, or switch WeChat sync (renames reach WeChat by the next sync)."""
    merchant = merchant_of(request)
    tag = services.synced_tag_update(merchant=merchant, tag_id=tag_id, **payload.model_dump(exclude_none=True))
    return _detail(merchant, tag)


@router.delete("/{tag_id}", response={204: None}, summary="Delete a tag")
def delete_tag(
    request: HttpRequest,
    tag_id: TagId,
    force: Annotated[bool, Query(description="Delete even while members carry it.")] = False,
) -> None:
    """Refused with 409 `members.tag_in_use` while members carry it, unless `force=true`."""
    member_services.tag_delete(merchant=merchant_of(request), tag_id=tag_id, force=force)


@router.post("/{tag_id}/sync", response={202: TagDetailOut}, summary="Sync a tag to WeChat now")
def sync_tag(request: HttpRequest, tag_id: TagId) -> Tag:
    """Queue a sync run now (it reconciles WeChat with the members carrying the tag)."""
    merchant = merchant_of(request)
    tag = member_selectors.tag_get(merchant=merchant, public_id=tag_id)
    if tag.sync_to_wechat or tag.wechat_tag_id is not None:
        services.tag_sync_request(merchant=merchant, tag=tag)
    return _detail(merchant, tag)


def _members(merchant: Any, member_ids: list[str]) -> tuple[list[Member], list[str]]:
    found = {m.public_id: m for m in Member.objects.for_merchant(merchant).filter(public_id__in=member_ids)}
    return list(found.values()), [i for i in dict.fromkeys(member_ids) if i not in found]


@router.post("/{tag_id}/members", response=TagMembersOut, summary="Put a tag on members")
def add_tag_members(request: HttpRequest, payload: TagMembersIn, tag_id: TagId) -> dict:
    """Idempotent: members who already carry the tag are left alone (`changed` counts the others)."""
    merchant = merchant_of(request)
    tag = member_selectors.tag_get(merchant=merchant, public_id=tag_id)
    members, unknown = _members(merchant, payload.member_ids)
    changed = member_services.member_tags_add_many(
        merchant=merchant,
        tag=tag,
        member_ids=[m.pk for m in members],
        source=TagSource.API,
        source_ref=actor_of(request),
    )
    return {"changed": changed, "unknown": unknown}


@router.post("/{tag_id}/members/remove", response=TagMembersOut, summary="Take a tag off members")
def remove_tag_members(request: HttpRequest, payload: TagMembersIn, tag_id: TagId) -> dict:
    """Idempotent: members who do not carry the tag are left alone."""
    merchant = merchant_of(request)
    tag = member_selectors.tag_get(merchant=merchant, public_id=tag_id)
    members, unknown = _members(merchant, payload.member_ids)
    changed = sum(
        member_services.member_tag_remove(merchant=merchant, member=m, tag=tag, actor=actor_of(request))
        for m in members
    )
    return {"changed": changed, "unknown": unknown}


@member_tags_router.get("/{member_id}/tags", response=list[MemberTagOut], summary="A member's tags")
def member_tags(request: HttpRequest, member_id: MemberId) -> Any:
    """The tags a member carries, care flags included, with who or what put them."""
    merchant = merchant_of(request)
    member = member_selectors.member_get(merchant=merchant, public_id=member_id)
    return list(member_selectors.member_tags(merchant=merchant, member=member))


@member_tags_router.post("/{member_id}/tags", response=MemberTagChangeOut, summary="Tag a member")
def member_tag_add(request: HttpRequest, payload: MemberTagIn, member_id: MemberId) -> dict:
    """Put one tag on the member; `changed` is false when they already had it."""
    merchant = merchant_of(request)
    member = member_selectors.member_get(merchant=merchant, public_id=member_id)
    tag = member_selectors.tag_get(merchant=merchant, public_id=payload.tag_id)
    changed = member_services.member_tag_add(
        merchant=merchant, member=member, tag=tag, source=TagSource.API, actor=actor_of(request)
    )
    return {"changed": changed}


@member_tags_router.delete("/{member_id}/tags/{tag_id}", response=MemberTagChangeOut, summary="Untag a member")
def member_tag_remove(request: HttpRequest, member_id: MemberId, tag_id: TagId) -> dict:
    """Take one tag off the member; `changed` is false when they did not have it."""
    merchant = merchant_of(request)
    member = member_selectors.member_get(merchant=merchant, public_id=member_id)
    tag = member_selectors.tag_get(merchant=merchant, public_id=tag_id)
    return {
        "changed": member_services.member_tag_remove(merchant=merchant, member=member, tag=tag, actor=actor_of(request))
    }


@rules_router.get("", response=TagRulePage, summary="List auto-tag rules")
def list_rules(request: HttpRequest, page: Query[PageIn]) -> dict:
    """The merchant's auto-tag rules, newest first, with how many members each has tagged."""
    return paginate(selectors.rule_list(merchant=merchant_of(request)), page)


@rules_router.post("", response={201: TagRuleOut}, summary="Create an auto-tag rule")
def create_rule(request: HttpRequest, payload: TagRuleIn) -> TagRule:
    """Applies to events from now on; call `/apply` to tag members who already match."""
    return services.rule_create(merchant=merchant_of(request), **payload.model_dump())


@rules_router.get("/{tag_rule_id}", response=TagRuleOut, summary="Get an auto-tag rule")
def get_rule(request: HttpRequest, tag_rule_id: RuleId) -> TagRule:
    """One auto-tag rule with its parameters and counters."""
    return selectors.rule_get(merchant=merchant_of(request), rule_id=tag_rule_id)


@rules_router.patch("/{tag_rule_id}", response=TagRuleOut, summary="Change an auto-tag rule")
def update_rule(request: HttpRequest, payload: TagRulePatch, tag_rule_id: RuleId) -> TagRule:
    """Change name, tag, kind, params or switch it off; tags already put stay."""
    return services.rule_update(
        merchant=merchant_of(request), rule_id=tag_rule_id, **payload.model_dump(exclude_none=True)
    )


@rules_router.delete("/{tag_rule_id}", response={204: None}, summary="Delete an auto-tag rule")
def delete_rule(request: HttpRequest, tag_rule_id: RuleId) -> None:
    """Members keep the tags it put."""
    services.rule_delete(merchant=merchant_of(request), rule_id=tag_rule_id)


@rules_router.post("/{tag_rule_id}/apply", response=TagRuleApplyOut, summary="Apply a rule to existing members now")
def apply_rule(request: HttpRequest, tag_rule_id: RuleId) -> dict:
    """Idempotent backfill from stored orders, redemptions, visits and attributes."""
    return {"added": services.rule_apply_now(merchant=merchant_of(request), rule_id=tag_rule_id)}
