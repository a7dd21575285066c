"""Tenancy rules that every model keeps, including models added later (ARCHITECTURE.md section 4).

- A model that belongs to a merchant (a foreign key to Merchant, or to another tenant-owned
  model) subclasses TenantModel, so it carries ``merchant`` and the ``for_merchant`` door.
- Every uniqueness rule of a TenantModel includes ``merchant``: two merchants may each have a
  store called "Futian" or an order numbered 1. Globally unique columns are allowlisted below,
  each with the reason.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models
from django.db.models import F
from django.test.utils import isolate_apps

from weloop.core.models import TenantModel
from weloop.stores.models import Store
from weloop.tenants.models import Merchant

# Columns that are unique across all merchants on purpose: they are how an incoming request
# finds its merchant, so they cannot be scoped by it.
GLOBALLY_UNIQUE_ALLOWLIST = {
    # A bearer API key identifies the merchant; its hash is looked up before any merchant is known.
    "tenants.ApiKey.key_hash",
}

# Models of weloop apps that belong to no merchant: the tenants themselves.
NOT_TENANT_OWNED = {"tenants.Merchant"}


def _weloop_models() -> list[type[models.Model]]:
    # include_auto_created: a many-to-many table between tenant models is tenant-owned too.
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model.__module__.startswith("weloop.") or model._meta.app_config.name.startswith("weloop.")
    ]


def _tenant_models() -> list[type[models.Model]]:
    return [m for m in _weloop_models() if issubclass(m, TenantModel)]


def _points_at_a_tenant(model: type[models.Model]) -> list[str]:
    reasons = []
    for field in model._meta.get_fields():
        if not (field.is_relation and field.concrete and (field.many_to_one or field.one_to_one)):
            continue
        target = field.related_model
        if target is Merchant or (isinstance(target, type) and issubclass(target, TenantModel)):
            reasons.append(f"{field.name} -> {target._meta.label}")
    return reasons


def test_the_checks_see_the_models_that_exist_today():
    labels = {m._meta.label for m in _tenant_models()}

    assert {"stores.Store", "tenants.StaffMember", "tenants.ApiKey", "core.OutboxEvent"} <= labels


def _not_tenant_models(candidates: list[type[models.Model]]) -> list[str]:
    return [
        f"{model._meta.label} ({', '.join(reasons)})"
        for model in candidates
        if model._meta.label not in NOT_TENANT_OWNED
        and not issubclass(model, TenantModel)
        and (reasons := _points_at_a_tenant(model))
    ]


def test_every_tenant_owned_model_is_a_tenant_model():
    offenders = _not_tenant_models(_weloop_models())

    assert offenders == [], "subclass weloop.core.models.TenantModel: " + "; ".join(offenders)


def test_every_tenant_model_has_a_required_merchant_and_the_for_merchant_door():
    for model in _tenant_models():
        field = model._meta.get_field("merchant")
        assert field.related_model is Merchant, model._meta.label
        assert not field.null, f"{model._meta.label}.merchant must not be nullable"
        assert hasattr(model._default_manager, "for_merchant"), f"{model._meta.label}'s default manager"
        assert hasattr(model.objects, "for_merchant"), f"{model._meta.label}.objects"


def _unique_rules(model: type[models.Model]) -> list[tuple[str, set[str]]]:
    """(what, field names) for every uniqueness rule a model declares."""
    meta = model._meta
    rules = []
    for constraint in meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            names = set(constraint.fields) or {getattr(e, "name", str(e)) for e in constraint.expressions}
            rules.append((f"constraint {constraint.name}", names))
    for together in meta.unique_together:
        rules.append((f"unique_together {together}", set(together)))
    for field in meta.local_fields:
        if field.unique and not field.primary_key:
            rules.append((f"{meta.label}.{field.name}", {field.name}))
    return rules


def _tenant_row_links(model: type[models.Model]) -> set[str]:
    """Relations to one row of a tenant model: unique on such a link cannot collide across merchants
    (a one-to-one to an order is scoped by the order), unlike a value such as a name or a number."""
    return {
        name
        for field in model._meta.local_fields
        if field.is_relation and isinstance(field.related_model, type) and issubclass(field.related_model, TenantModel)
        for name in (field.name, field.attname)
    }


def _unscoped_unique_rules(candidates: list[type[models.Model]]) -> list[str]:
    offenders = []
    for model in candidates:
        scoped = {"merchant", "merchant_id"} | _tenant_row_links(model)
        for what, names in _unique_rules(model):
            if what not in GLOBALLY_UNIQUE_ALLOWLIST and not names & scoped:
                offenders.append(f"{model._meta.label}: {what} on {sorted(names)}")
    return offenders


def test_every_unique_rule_of_a_tenant_model_includes_the_merchant():
    offenders = _unscoped_unique_rules(_tenant_models())

    assert offenders == [], "add merchant to these uniqueness rules (or allowlist them with the reason): " + "; ".join(
        offenders
    )


def test_the_allowlist_names_only_columns_that_exist_and_are_unique():
    # A stale allowlist entry would silently excuse a future column of the same name.
    unique_columns = {what for model in _tenant_models() for what, _ in _unique_rules(model)}

    assert unique_columns >= GLOBALLY_UNIQUE_ALLOWLIST


def test_public_ids_are_unique_per_merchant():
    # URLs address objects by public_id inside one merchant, so (merchant, public_id) must be unique.
    for model in _tenant_models():
        if any(f.name == "public_id" for f in model._meta.local_fields):
            rules = [names for _, names in _unique_rules(model)]
            assert {"merchant", "public_id"} in rules, f"{model._meta.label} needs unique (merchant, public_id)"


@isolate_apps("weloop.stores")
def test_the_checks_catch_the_mistakes_they_are_for():
    # Models in an isolated registry: they never reach migrations or the real app registry.
    class Voucher(TenantModel):
        code = models.CharField(max_length=20, unique=True)
        serial = models.IntegerField()
        batch = models.IntegerField()

        class Meta:
            app_label = "stores"
            unique_together = [("serial", "batch")]
            constraints = [
                models.UniqueConstraint(fields=["merchant", "batch"], name="voucher_batch_ok"),
                models.UniqueConstraint(F("serial"), name="voucher_serial_global"),
            ]

    class StoreNote(models.Model):
        store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")

        class Meta:
            app_label = "stores"

    assert _unscoped_unique_rules([Voucher]) == [
        "stores.Voucher: constraint voucher_serial_global on ['serial']",
        "stores.Voucher: unique_together ('serial', 'batch') on ['batch', 'serial']",
        "stores.Voucher: stores.Voucher.code on ['code']",
    ]
    assert _not_tenant_models([StoreNote, Voucher]) == ["stores.StoreNote (store -> stores.Store)"]
