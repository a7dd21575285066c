"""Segments in the console: the list, create/edit with a live count as you type, a tag builder.

The expression box posts (htmx, debounced) to ``segment_preview`` which answers a small partial:
the count, a sample of members, "matches nobody", or the expression's error with its position.
The builder appends a term with AND / OR / AND NOT; without JavaScript it is a plain form submit.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from weloop.core.errors import WeloopError
from weloop.dashboard.web import actor_of, error_context, is_htmx, render_page, render_partial
from weloop.members.selectors import tag_list
from weloop.segments import expressions, selectors, services
from weloop.segments.errors import InvalidExpression
from weloop.segments.models import Segment
from weloop.tenants.access import staff_view
from weloop.tenants.models import Merchant

BUILDER_OPS = (("and", _("AND")), ("or", _("OR")), ("and_not", _("AND NOT")))


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    expression = forms.CharField(
        label=_("Who is in it"),
        max_length=expressions.MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "data-testid": "segment-expression"}),
        help_text=_(
            'Terms: tag:"name", following, source:scan, first_store:ID, gender:female, city:"上海", '
            "birthday_month:5, joined_within:30d; combine with AND, OR, NOT and parentheses."
        ),
    )


def _builder_choices(merchant: Merchant) -> dict[str, Any]:
    return {
        "builder_ops": BUILDER_OPS,
        "builder_tags": list(tag_list(merchant=merchant).values_list("name", flat=True)),
    }


def appended(expression: str, op: str, term: expressions.Term) -> str:
    """The expression with ``term`` added by the builder, read left to right (parentheses as needed)."""
    node: expressions.Node = term
    if op == "and_not":
        node = expressions.Not(term)
    if not expression.strip():
        return expressions.to_text(node)
    try:
        current = expressions.parse(expression)
    except InvalidExpression:
        joiner = " OR " if op == "or" else " AND "
        return f"{expression.strip()}{joiner}{expressions.to_text(node)}"
    combined = expressions.Or((current, node)) if op == "or" else expressions.And((current, node))
    return expressions.to_text(combined)


def _preview_context(merchant: Merchant, expression: str) -> dict[str, Any]:
    if not expression.strip():
        return {"empty": True}
    try:
        preview = services.segment_preview(merchant=merchant, expression=expression)
    except WeloopError as error:
        return error_context(error)
    return {"preview": preview}


def _form_page(
    request: HttpRequest, form: SegmentForm, segment: Segment | None, *, error: WeloopError | None = None, status=200
) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    expression = str(form["expression"].value() or "")
    context = {
        "form": form,
        "segment": segment,
        **_builder_choices(merchant),
        **_preview_context(merchant, expression),
        **error_context(error),
    }
    return render_page(request, "dashboard/segments/form.html", context, status=status)


def _builder_expression(request: HttpRequest) -> str:
    expression = request.POST.get("expression", "")
    tag = request.POST.get("builder_tag", "").strip()
    if request.POST.get("builder_term") == "following":
        term = expressions.Term("following")
    elif tag:
        term = expressions.Term("tag", tag)
    else:
        return expression
    op = request.POST.get("builder_op", "and")
    return appended(expression, op if op in dict(BUILDER_OPS) else "and", term)


@staff_view("segments.manage")
def segment_list(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    context = {
        "segments": list(selectors.segment_list(merchant=merchant)),
        "universe": selectors.member_universe_count(merchant=merchant),
    }
    return render_page(request, "dashboard/segments/list.html", context)


def _edit(request: HttpRequest, segment: Segment | None) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    if request.method != "POST":
        initial = {"expression": request.GET.get("expression", "following")}
        if segment is not None:
            initial = {"name": segment.name, "description": segment.description, "expression": segment.expression}
        return _form_page(request, SegmentForm(initial=initial), segment)
    if "add_term" in request.POST:  # the builder without JavaScript: re-show the form, save nothing
        initial = {key: request.POST.get(key, "") for key in ("name", "description")}
        initial["expression"] = _builder_expression(request)
        return _form_page(request, SegmentForm(initial=initial), segment)
    form = SegmentForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, segment, status=400)
    data: dict[str, str] = form.cleaned_data
    try:
        if segment is None:
            segment = services.segment_create(
                merchant=merchant,
                name=data["name"],
                expression=data["expression"],
                description=data["description"],
                created_by=actor_of(request),
            )
        else:
            segment = services.segment_update(
                merchant=merchant,
                segment_id=segment.public_id,
                name=data["name"],
                expression=data["expression"],
                description=data["description"],
            )
    except WeloopError as error:
        return _form_page(request, form, segment, error=error, status=400)
    messages.success(request, gettext("Segment saved: %(count)s members now.") % {"count": segment.last_count})
    return redirect("dashboard:segment_list")


@staff_view("segments.manage")
def segment_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@staff_view("segments.manage")
def segment_edit(request: HttpRequest, segment_id: str) -> HttpResponse:
    segment = selectors.segment_get(merchant=request.merchant, public_id=segment_id)  # type: ignore[attr-defined]
    return _edit(request, segment)


@require_POST
@staff_view("segments.manage")
def segment_delete(request: HttpRequest, segment_id: str) -> HttpResponse:
    services.segment_delete(merchant=request.merchant, segment_id=segment_id)  # type: ignore[attr-defined]
    messages.success(request, gettext("Segment deleted."))
    return redirect("dashboard:segment_list")


@require_POST
@staff_view("segments.manage")
def segment_preview(request: HttpRequest) -> HttpResponse:
    """The live count under the expression box (htmx partial)."""
    merchant = request.merchant  # type: ignore[attr-defined]
    context = _preview_context(merchant, request.POST.get("expression", ""))
    return render_partial(request, "dashboard/segments/_preview.html", context)


@require_POST
@staff_view("segments.manage")
def segment_builder(request: HttpRequest) -> HttpResponse:
    """The builder's "add": the expression box (and its count) with one more term."""
    merchant = request.merchant  # type: ignore[attr-defined]
    expression = _builder_expression(request)
    form = SegmentForm(initial={"expression": expression})
    context = {"form": form, **_preview_context(merchant, expression)}
    if not is_htmx(request):
        return redirect("dashboard:segment_create")
    return render_partial(request, "dashboard/segments/_editor.html", context)
