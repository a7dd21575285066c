"""Money is an int of fen: every ``*_fen`` column of every model is a 64-bit integer.

Passes vacuously until the first money column exists; it covers every model added later.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps
from django.db import models

MONEY_FIELD_TYPES = (models.BigIntegerField, models.PositiveBigIntegerField)


def _fen_fields() -> Iterable[tuple[str, models.Field]]:
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields(include_hidden=True):
            if getattr(field, "concrete", False):
                yield model._meta.label, field


def _wrong_money_fields(fields: Iterable[tuple[str, models.Field]]) -> list[str]:
    return [
        f"{label}.{field.name} is {type(field).__name__}"
        for label, field in fields
        if field.name.endswith("_fen") and not isinstance(field, MONEY_FIELD_TYPES)
    ]


def test_every_fen_field_of_every_model_is_a_big_integer():
    wrong = _wrong_money_fields(_fen_fields())

    assert wrong == [], "money columns must be BigIntegerField or PositiveBigIntegerField: " + "; ".join(wrong)


def _named(field: models.Field, name: str) -> models.Field:
    field.set_attributes_from_name(name)
    return field


def test_the_rule_refuses_floats_decimals_and_small_ints_and_accepts_big_ints():
    fields = [
        ("shop.Order", _named(models.FloatField(), "total_fen")),
        ("shop.Order", _named(models.DecimalField(max_digits=12, decimal_places=2), "paid_fen")),
        ("shop.Order", _named(models.IntegerField(), "discount_fen")),
        ("shop.Order", _named(models.BigIntegerField(), "subtotal_fen")),
        ("shop.Order", _named(models.PositiveBigIntegerField(), "refunded_fen")),
        ("shop.Order", _named(models.FloatField(), "rating")),
    ]

    assert _wrong_money_fields(fields) == [
        "shop.Order.total_fen is FloatField",
        "shop.Order.paid_fen is DecimalField",
        "shop.Order.discount_fen is IntegerField",
    ]
