"""Another merchant's staff and API key see none of a merchant's objects: always a 404.

The walk is generic so that routes added later are covered without editing this file:
- every URL pattern of the console, the clerk pages and the consumer H5, and every operation in the
  API's OpenAPI document, is visited;
- a path parameter named ``<model>_id`` (or a model's ``URL_KWARG``) is filled with an object of the
  victim merchant, found among all TenantModels, looked up by ``public_id`` when the model has one;
- the victim merchant is seeded with the demo data (every capability adds its demo rows), so each
  kind of object exists. A route whose object kind is missing from the demo fails the test.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

from weloop.core.models import TenantModel

pytestmark = pytest.mark.django_db

SURFACES = ("dashboard/", "clerk/", "m/<slug:merchant_slug>/")
ACCEPTED = {404}  # 405 only means the method is wrong before any lookup, which leaks nothing
ACCEPTED_WRONG_METHOD = {404, 405}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _kwarg_models() -> dict[str, type]:
    models = {}
    for model in apps.get_models():
        if issubclass(model, TenantModel) and model.__module__.startswith("weloop."):
            models[getattr(model, "URL_KWARG", _snake(model.__name__) + "_id")] = model
    return models


def _object_value(model: type, merchant) -> str:
    """The victim's object as URLs name it: the field URL_KWARG names (``order_no``), else public_id, else pk."""
    obj = model.objects.for_merchant(merchant).order_by("pk").first()
    assert obj is not None, f"the demo data has no {model.__name__}: add one to weloop/demo/seed.py"
    field_names = {f.name for f in model._meta.concrete_fields}
    named_field = getattr(model, "URL_KWARG", "")
    if named_field in field_names:
        return str(getattr(obj, named_field))
    return str(obj.public_id if hasattr(obj, "public_id") else obj.pk)


def _lookup_field_value(name: str, merchant) -> str | None:
    """A path parameter named like a field of a tenant model (``openid``): the victim's value of it."""
    for model in apps.get_models():
        if issubclass(model, TenantModel) and model.__module__.startswith("weloop."):
            field_names = {f.name for f in model._meta.concrete_fields}
            if name in field_names and name not in {"merchant", "id", "status", "name"}:
                value = model.objects.for_merchant(merchant).values_list(name, flat=True).first()
                if value:
                    return str(value)
    return None


def _fill(params: list[str], victim, *, slug: str) -> tuple[dict[str, str], bool]:
    """Values for path parameters; True when at least one names a victim object."""
    models, values, has_object = _kwarg_models(), {}, False
    for name in params:
        if name == "merchant_slug":
            values[name] = slug
        elif name in models:
            values[name] = _object_value(models[name], victim)
            has_object = True
        elif (value := _lookup_field_value(name, victim)) is not None:
            values[name] = value
            has_object = True
        elif name == "date" or name.endswith("_date"):
            values[name] = dt.date.today().isoformat()
        else:
            values[name] = "1"
    return values, has_object


def _walk(patterns, prefix: str = "") -> Iterator[str]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _route_to_path(route: str, values: dict[str, str]) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], route)


def _routes() -> list[str]:
    return [r for r in _walk(get_resolver().url_patterns) if r.startswith(SURFACES)]


def _isolation_probe(event) -> None:
    """A subscriber, so the victim has an outbox delivery for the delivery routes."""


@pytest.fixture
def victim():
    from weloop.core.events import publish, subscribe
    from weloop.demo.seed import demo_seed

    merchant = demo_seed().merchant
    subscribe("tests.isolation_probe")(_isolation_probe)
    publish(merchant=merchant, name="tests.isolation_probe", payload={})
    return merchant


@pytest.fixture
def intruder(make_merchant):
    return make_merchant(name="Intruder", slug="intruder")


def _victim_markers(victim) -> list[str]:
    """Strings that would only appear if a page leaked the victim's objects."""
    markers = []
    for model in _kwarg_models().values():
        for obj in model.objects.for_merchant(victim).order_by("pk")[:20]:
            if hasattr(obj, "public_id"):
                markers.append(obj.public_id)
    return markers


def test_console_clerk_and_h5_urls_are_404_for_another_merchant(client, make_staff, victim, intruder):
    # given the intruder merchant's owner, logged in
    client.force_login(make_staff(intruder.merchant, "owner").user)
    markers = _victim_markers(victim)
    checked = 0
    for route in _routes():
        params = re.findall(r"<(?:\w+:)?(\w+)>", route)
        values, has_object = _fill(params, victim, slug=intruder.merchant.slug)
        path = _route_to_path(route, values)
        if has_object:
            # when the intruder asks for a victim object, by GET and by POST
            get = client.get(path)
            post = client.post(path, {})
            # then it does not exist for them
            assert get.status_code in ACCEPTED_WRONG_METHOD, f"GET {path} -> {get.status_code}"
            assert post.status_code in ACCEPTED_WRONG_METHOD, f"POST {path} -> {post.status_code}"
            assert get.status_code == 404 or post.status_code == 404, f"{path} never said 404"
        else:
            response = client.get(path)
            if response.status_code == 200 and not response.get("Content-Type", "").startswith("image/"):
                body = response.content.decode(errors="replace")
                leaked = [m for m in markers if m in body]
                assert not leaked, f"GET {path} shows the other merchant's {leaked[:3]}"
        checked += 1
    assert checked >= 5, "the walk found too few routes: is the URL configuration loaded?"


def _example_for(schema: dict, components: dict):
    if "$ref" in schema:
        return _example_for(components[schema["$ref"].split("/")[-1]], components)
    for key in ("anyOf", "allOf", "oneOf"):
        if key in schema:
            return _example_for(schema[key][0], components)
    if "example" in schema:
        return schema["example"]
    if schema.get("examples"):
        return schema["examples"][0]
    kind = schema.get("type")
    if kind == "object":
        return {
            name: _example_for(sub, components)
            for name, sub in schema.get("properties", {}).items()
            if name in schema.get("required", [])
        }
    if kind == "array":
        return []
    if "enum" in schema:
        return schema["enum"][0]
    return {"integer": 1, "number": 1, "boolean": True}.get(kind, "x")


def test_every_api_operation_is_404_for_another_merchants_key(client, victim, intruder):
    # given the intruder's API key
    auth = {"HTTP_AUTHORIZATION": f"Bearer {intruder.api_key}"}
    spec = client.get("/api/v1/openapi.json").json()
    components = spec.get("components", {}).get("schemas", {})
    markers = _victim_markers(victim)
    checked = 0
    for path_template, operations in spec["paths"].items():
        for method, operation in operations.items():
            params = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"]
            values, has_object = _fill(params, victim, slug=intruder.merchant.slug)
            path = re.sub(r"{(\w+)}", lambda m, v=values: v[m.group(1)], path_template)
            body_schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            body = _example_for(body_schema["schema"], components) if body_schema else None
            if has_object:
                # when the intruder calls it on a victim object
                response = client.generic(
                    method.upper(), path, data=_json(body), content_type="application/json", **auth
                )
                # then the object does not exist for them
                assert response.status_code in ACCEPTED, f"{method.upper()} {path} -> {response.status_code}"
                assert response.json()["code"].endswith("not_found"), response.content
            elif method == "get":
                query, names_object = _required_query(operation, components, victim, intruder)
                response = client.get(path, query, **auth)
                if names_object:
                    # a query naming a victim object (?service_id=…) finds nothing either
                    assert response.status_code == 404, f"GET {path}?{query} -> {response.status_code}"
                    checked += 1
                    continue
                assert response.status_code == 200, f"GET {path} -> {response.status_code}"
                leaked = [m for m in markers if m in response.content.decode()]
                assert not leaked, f"GET {path} shows the other merchant's {leaked[:3]}"
            checked += 1
    assert checked >= 3


def _required_query(operation: dict, components: dict, victim, intruder) -> tuple[dict, bool]:
    """Required query parameters: victim objects for ``<model>_id`` names, documented examples otherwise."""
    required = [p for p in operation.get("parameters", []) if p.get("in") == "query" and p.get("required")]
    models = _kwarg_models()
    object_names = [p["name"] for p in required if p["name"] in models]
    query, _ = _fill(object_names, victim, slug=intruder.merchant.slug)
    for parameter in required:
        if parameter["name"] not in query:
            query[parameter["name"]] = _example_for(parameter.get("schema", {}), components)
    return query, bool(object_names)


def _json(body) -> str:
    import json

    return json.dumps(body if body is not None else {})
