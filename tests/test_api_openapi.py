"""The OpenAPI file and the real routes agree: each documented, each documented one answers."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from handlers.api import PREFIX, add_api_routes, build_api_app
from handlers.api.app import OPENAPI
from loyalty import api_keys

SPEC = json.loads(OPENAPI.read_text("utf-8"))
METHODS = {"get", "post", "put", "patch", "delete"}


def documented() -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in SPEC["paths"].items()
        for method in item
        if method in METHODS
    }


def routed() -> set[tuple[str, str]]:
    found = set()
    for route in build_api_app().router.routes():
        if route.method == "HEAD":  # aiohttp's companion of every GET
            continue
        found.add((route.method, route.resource.canonical))
    return found


def test_every_route_is_documented_and_nothing_else() -> None:
    assert routed() == documented()
    assert SPEC["openapi"].startswith("3.") and SPEC["servers"] == [{"url": PREFIX}]


@pytest.fixture
async def client(db: str) -> AsyncIterator[TestClient]:
    app = web.Application()
    add_api_routes(app)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


def _resolved(parameter: dict) -> dict:
    if "$ref" in parameter:
        return SPEC["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
    return parameter


def _url(path: str, operation: dict) -> str:
    parameters = [_resolved(p) for p in operation.get("parameters", [])]
    values = {p["name"]: str(p["example"]) for p in parameters if p["in"] == "path"}
    return PREFIX + re.sub(r"{(\w+)}", lambda match: values[match.group(1)], path)


async def test_every_documented_route_answers_as_documented(client: TestClient) -> None:
    key = (await api_keys.create_key(1, ",".join(api_keys.Scope), "docs")).secret
    for method, path in sorted(documented()):
        operation = SPEC["paths"][path][method.lower()]
        response = await client.request(
            method,
            _url(path, operation),
            json={} if method == "POST" else None,
            headers={"Authorization": f"Bearer {key}", "Idempotency-Key": f"docs-{path}"},
        )
        body = await response.json()
        where = f"{method} {path}: {response.status} {body}"
        assert response.content_type == "application/json", where
        assert str(response.status) in operation["responses"], where
        if response.status >= 400:
            assert body["error"]["code"] not in ("not_found", "method_not_allowed"), where


async def test_the_file_is_served_without_a_key(client: TestClient) -> None:
    response = await client.get(PREFIX + "/openapi.json")
    assert response.status == 200
    assert await response.json() == SPEC
