"""The OpenAPI document describes every operation and field; the docs page works offline."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.django_db

STORE_OPERATIONS = {
    ("get", "/api/v1/stores"),
    ("post", "/api/v1/stores"),
    ("get", "/api/v1/stores/{store_id}"),
    ("patch", "/api/v1/stores/{store_id}"),
    ("post", "/api/v1/stores/{store_id}/status"),
    ("get", "/api/v1/stores/{store_id}/exceptions"),
    ("put", "/api/v1/stores/{store_id}/exceptions/{date}"),
    ("delete", "/api/v1/stores/{store_id}/exceptions/{date}"),
}
WRITES = {"post", "put", "patch", "delete"}


@pytest.fixture
def spec(client) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            yield method, path, operation


def test_openapi_names_the_api(spec):
    assert spec["openapi"].startswith("3.")
    assert (spec["info"]["title"], spec["info"]["version"]) == ("WeLoop API", "1")
    description = spec["info"]["description"]
    for topic in ("Authorization: Bearer", "Idempotency-Key", "fen", "limit", "offset", '"code"'):
        assert topic in description, topic


def test_openapi_lists_every_store_operation(spec):
    listed = {(method, path) for method, path, _ in _operations(spec)}
    assert listed >= STORE_OPERATIONS


def test_every_operation_is_described(spec):
    ids = []
    for method, path, operation in _operations(spec):
        where = f"{method.upper()} {path}"
        assert operation.get("summary"), where
        assert len(operation.get("description", "")) > 20, where
        assert operation.get("tags"), where
        ids.append(operation["operationId"])
        for parameter in operation.get("parameters", []):
            assert parameter.get("description"), f"{where}: parameter {parameter['name']}"
    assert len(ids) == len(set(ids)), "operationIds must be unique"


def test_path_parameters_are_declared_and_stores_use_store_id(spec):
    for _, path, operation in _operations(spec):
        in_template = set(re.findall(r"{(\w+)}", path))
        declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert declared == in_template, path
        if path.startswith("/api/v1/stores"):
            # <model>_id carries the public id: the generic tenant-isolation test relies on it
            assert in_template <= {"store_id", "date"}, path


def test_every_operation_declares_its_errors_with_the_shared_schema(spec):
    error_ref = "#/components/schemas/ErrorOut"
    assert set(spec["components"]["schemas"]["ErrorOut"]["properties"]) == {"code", "message", "extra"}
    for method, path, operation in _operations(spec):
        responses = {int(status): body for status, body in operation["responses"].items()}
        expected = {400, 401, 403, 422, 500}
        if "{" in path:
            expected.add(404)
        if method in WRITES:
            expected |= {409, 413}
        assert expected <= set(responses), f"{method} {path} lacks {expected - set(responses)}"
        for status in expected:
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": error_ref}, (method, path, status)
            assert responses[status]["description"]
        assert any(200 <= s < 300 for s in responses), f"{method} {path} has no success response"


def test_writes_document_the_idempotency_key_header(spec):
    for method, path, operation in _operations(spec):
        headers = [p for p in operation.get("parameters", []) if p["in"] == "header"]
        if method in WRITES:
            assert [h["name"] for h in headers] == ["Idempotency-Key"], f"{method} {path}"
            assert headers[0]["schema"]["maxLength"] == 255
        else:
            assert headers == []


def test_bearer_security_scheme_covers_every_operation(spec):
    schemes = spec["components"]["securitySchemes"]
    assert schemes == {
        "ApiKeyAuth": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": schemes["ApiKeyAuth"]["bearerFormat"],
            "description": schemes["ApiKeyAuth"]["description"],
        }
    }
    for method, path, operation in _operations(spec):
        assert operation.get("security") == [{"ApiKeyAuth": []}], f"{method} {path}"


def test_every_schema_field_has_a_description(spec):
    for schema_name, schema in spec["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            assert prop.get("description"), f"{schema_name}.{field} has no description"


def test_store_out_documents_coordinates_as_decimal_strings(spec):
    store_out = spec["components"]["schemas"]["StoreOut"]
    assert store_out["properties"]["latitude"]["type"] == "string"
    assert "decimal string" in store_out["properties"]["latitude"]["description"]
    assert set(store_out["required"]) >= {"id", "name", "latitude", "longitude", "status", "is_open_now", "hours"}


def test_request_examples_are_valid_requests(spec, call):
    # The interactive docs prefill bodies from the examples: together they must make a valid store.
    store_in = spec["components"]["schemas"]["StoreIn"]["properties"]
    body = {name: prop["examples"][0] for name, prop in store_in.items() if "examples" in prop}
    assert {"name", "address", "city", "latitude", "longitude"} <= set(body)
    assert call("POST", "/stores", body).status_code == 201


def test_docs_page_uses_only_bundled_static_files(client):
    # given the interactive docs page
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    # then nothing it loads comes from another host (WeChat's browser and CI are offline) ...
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert assets, "the page should load its scripts and styles"
    remote = [url for url in assets if re.match(r"^(https?:)?//", url)]
    assert not remote, f"docs page loads from a CDN: {remote}"
    assert not re.search(r"https?://(cdn|unpkg|cdnjs|fonts)\.", html)
    # ... and every asset it names is served by us
    for url in assets:
        assert url.startswith("/static/ninja/"), url
        assert client.get(url).status_code == 200, url


def test_docs_page_does_not_call_the_online_validator(client):
    html = client.get("/api/v1/docs").content.decode()
    settings_json = re.search(r'id="swagger-settings">(.*?)</script>', html, re.S).group(1)
    settings = json.loads(settings_json)
    assert settings["validatorUrl"] is None
    assert settings["url"] == "/api/v1/openapi.json"
