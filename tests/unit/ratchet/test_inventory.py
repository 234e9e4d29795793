"""The legacy inventory: route tables walked by name, OpenAPI documents read."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import httpx
import pytest
import respx

from strangler.ratchet.inventory import Endpoint, endpoints_from_app, endpoints_from_openapi
from strangler.ratchet.settings import RatchetConfigError

APP = """
from fastapi import APIRouter, FastAPI, WebSocket
from starlette.routing import Mount, Route, Router

async def plain(request):
    return None

app = FastAPI()
router = APIRouter()

@router.get("/api/users/{user_id:int}")
async def get_user(user_id: int) -> dict:
    return {}

@router.websocket("/ws/live")
async def live(websocket: WebSocket) -> None:
    await websocket.close()

app.include_router(router)
app.router.routes.append(Mount("/v1", routes=[Route("/ping", plain, methods=["GET", "POST"])]))
"""


def _module(tmp_path: Path, source: str) -> str:
    name = f"inv_{uuid.uuid4().hex[:10]}"
    (tmp_path / f"{name}.py").write_text(source)
    return name


def test_an_app_route_table_lists_methods_paths_and_websockets(tmp_path: Path) -> None:
    name = _module(tmp_path, APP)
    found = endpoints_from_app(f"{name}:app", root=tmp_path)
    assert [str(e) for e in found] == [
        "GET /api/users/{user_id}",  # convertor dropped, docs pages and HEAD skipped
        "GET /v1/ping",
        "POST /v1/ping",
        "WS /ws/live",
    ]
    assert name not in sys.modules  # loaded by name, then forgotten
    assert str(tmp_path) not in sys.path


def test_a_changed_app_is_read_afresh(tmp_path: Path) -> None:
    name = _module(tmp_path, APP)
    first = endpoints_from_app(f"{name}:app", root=tmp_path)
    (tmp_path / f"{name}.py").write_text(
        APP + "\n@app.delete('/api/users/me')\nasync def d(): ...\n"
    )
    second = endpoints_from_app(f"{name}:app", root=tmp_path)
    assert set(second) - set(first) == {Endpoint.of("DELETE", "/api/users/me")}


@pytest.mark.parametrize(
    ("source", "import_string", "message"),
    [
        ("x = 1\n", "{name}", "must look like 'package.module:app'"),
        ("raise RuntimeError('no db')\n", "{name}:app", "RuntimeError: no db"),
        ("app = object()\n", "{name}:app", "has no route table"),
    ],
)
def test_an_unusable_app_is_a_config_error(
    tmp_path: Path, source: str, import_string: str, message: str
) -> None:
    name = _module(tmp_path, source)
    with pytest.raises(RatchetConfigError, match=message):
        endpoints_from_app(import_string.format(name=name), root=tmp_path)


def test_endpoints_are_equal_whatever_their_parameters_are_called() -> None:
    assert Endpoint.of("get", "/users/{id}") == Endpoint.of("GET", "/users/{user_id}")
    assert Endpoint.of("GET", "/users/{id}") != Endpoint.of("GET", "/users/me")


def test_an_openapi_file_in_yaml_is_read(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(
        "openapi: 3.0.0\npaths:\n  /items:\n    get: {}\n    head: {}\n    post: {}\n"
        "  /docs:\n    get: {}\n  /items/{id}:\n    head: {}\n"
    )
    found = endpoints_from_openapi("api.yaml", root=tmp_path)
    assert [str(e) for e in found] == ["GET /items", "POST /items", "HEAD /items/{id}"]


@respx.mock
def test_an_openapi_url_is_fetched() -> None:
    document = {"openapi": "3.1.0", "paths": {"/a": {"delete": {}}}}
    respx.get("http://legacy.test/openapi.json").mock(
        return_value=httpx.Response(200, json=document)
    )
    found = endpoints_from_openapi("http://legacy.test/openapi.json", root=Path("."))
    assert found == [Endpoint.of("DELETE", "/a")]


@respx.mock
def test_an_unreachable_openapi_url_is_a_config_error() -> None:
    respx.get("http://legacy.test/openapi.json").mock(return_value=httpx.Response(503))
    with pytest.raises(RatchetConfigError, match="cannot fetch OpenAPI document"):
        endpoints_from_openapi("http://legacy.test/openapi.json", root=Path("."))


def test_a_document_without_paths_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "api.json").write_text(json.dumps({"openapi": "3.1.0"}))
    with pytest.raises(RatchetConfigError, match="no `paths` object"):
        endpoints_from_openapi("api.json", root=tmp_path)
    with pytest.raises(RatchetConfigError, match="cannot read OpenAPI document"):
        endpoints_from_openapi("missing.json", root=tmp_path)
